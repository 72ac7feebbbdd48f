"""``editspec plan``: a recipe planned into an EDL."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from editspec.cli.common import (
    TRACKERS,
    add_recipe_options,
    load_recipe_args,
    say,
)
from editspec.errors import EXIT_OK


def add_parsers(sub: Any) -> None:
    """Add the plan subcommand."""
    pl = sub.add_parser("plan", help="plan a recipe into an EDL (JSON)")
    pl.add_argument("recipe")
    pl.add_argument("-o", "--output", required=True,
                    help="EDL file to write (.json); - writes it to stdout")
    pl.add_argument("--no-cache", action="store_true", help="recompute analyses")
    pl.add_argument("--explain", action="store_true",
                    help="print each cut: time, frame, musical event, energy, salience, clip, rule")
    pl.add_argument("--seed", type=int, default=None, help="override the recipe's seed")
    pl.add_argument("--tracker", choices=TRACKERS, default=None,
                    help="beat activations for the song analysis")
    add_recipe_options(pl)


def cmd_plan(args: argparse.Namespace) -> int:
    """``editspec plan``."""
    from editspec.edl import edl_to_json, write_edl
    from editspec.pipeline import plan_recipe

    recipe = load_recipe_args(args, args.recipe)
    if args.seed is not None:
        import dataclasses

        recipe = dataclasses.replace(recipe, seed=args.seed)
    edl = plan_recipe(recipe, use_cache=not args.no_cache, tracker=args.tracker)
    to_stdout = args.output == "-"
    if to_stdout:
        sys.stdout.write(edl_to_json(edl))
        sys.stdout.flush()
    else:
        write_edl(edl, args.output)
    if args.explain:
        from editspec.plan import format_explain

        print(format_explain(edl), file=sys.stderr if to_stdout else sys.stdout)
    where = "the EDL to stdout" if to_stdout else args.output
    say(f"wrote {where}: {len(edl.events)} shots, {edl.duration_frames} frames at {edl.fps} fps")
    return EXIT_OK


COMMANDS = {"plan": cmd_plan}
