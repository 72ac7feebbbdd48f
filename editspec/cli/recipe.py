"""``editspec validate``, ``schema`` and ``fmt``: recipes checked, described, converted."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from editspec.cli.common import (
    add_recipe_options,
    load_recipe_args,
    say,
)
from editspec.errors import EXIT_OK


def add_parsers(sub: Any) -> None:
    """Add the validate, schema and fmt subcommands."""
    v = sub.add_parser("validate", help="check a recipe (files exist, headers probed, "
                                        "no frame decoded)")
    v.add_argument("recipe")
    add_recipe_options(v)

    sc = sub.add_parser("schema", help="print the recipe JSON Schema (draft 2020-12)")
    sc.add_argument("--indent", type=int, default=2, help="JSON indent (2)")

    f = sub.add_parser("fmt", help="print a recipe as YAML or as the DSL (lossless)")
    f.add_argument("recipe", help="recipe (.yaml, .yml, .json or .edit)")
    f.add_argument("--to", choices=("yaml", "dsl"), required=True, help="format to print")
    f.add_argument("-o", "--output", help="write here instead of stdout")
    f.add_argument("--errors", choices=("text", "json"), default="text",
                   help="how recipe problems are printed: text (stderr) or json (stdout)")


def cmd_validate(args: argparse.Namespace) -> int:
    """``editspec validate``: schema, files exist, media headers probed; no frame decoded."""
    from editspec.errors import RecipeErrors
    from editspec.recipe.probe import probe_recipe_media

    recipe = load_recipe_args(args, args.recipe)
    problems = probe_recipe_media(recipe)
    if problems:
        raise RecipeErrors(problems)
    n = len(recipe.clip_paths)
    if args.errors == "json":
        print(json.dumps({"file": args.recipe, "ok": True, "errors": []}))
    else:
        print(f"{args.recipe}: ok ({n} clip{'s' if n != 1 else ''})")
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    """``editspec schema``: the recipe JSON Schema."""
    from editspec.recipe import recipe_schema

    print(json.dumps(recipe_schema(), indent=args.indent, ensure_ascii=False))
    return EXIT_OK


def cmd_fmt(args: argparse.Namespace) -> int:
    """``editspec fmt``: convert a recipe between YAML and the DSL."""
    from editspec.fsutil import write_text_atomic
    from editspec.recipe import format_recipe

    text = format_recipe(args.recipe, args.to)
    if args.output:
        write_text_atomic(args.output, text)
        say(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


COMMANDS = {"validate": cmd_validate, "schema": cmd_schema, "fmt": cmd_fmt}
