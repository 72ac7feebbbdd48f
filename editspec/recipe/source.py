"""A recipe file's text: read (size limit, UTF-8), its syntax by suffix, parsed, the schema.

The leaf of :mod:`editspec.recipe`: the loaders in ``__init__``, brand kits and
``extends`` (:mod:`.template`), the schema check (:mod:`.validate`) and batch jobs read
recipe files through it.
"""

from __future__ import annotations

import json
import os
from functools import cache
from importlib import resources
from typing import Any

from editspec.errors import RecipeError, RecipeErrors

YAML_SUFFIXES = (".yaml", ".yml", ".json")
DSL_SUFFIXES = (".edit",)
MAX_RECIPE_BYTES = 1_000_000
"""Largest recipe file read, bytes."""


@cache
def recipe_schema() -> dict[str, Any]:
    """Return the recipe JSON Schema (draft 2020-12) that ships in the package."""
    text = resources.files("editspec.recipe").joinpath("schema.json").read_text("utf-8")
    return json.loads(text)


def read_recipe_text(path: str) -> str:
    """Return a recipe file's text.

    Raises
    ------
    RecipeErrors
        When the file is missing, too large, or not UTF-8.
    """
    if not os.path.isfile(path):
        raise RecipeErrors([RecipeError("no such recipe file", path, 0, 0, code="missing-file")])
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_RECIPE_BYTES + 1)
    except OSError as exc:
        raise RecipeErrors([RecipeError(f"cannot read: {exc.strerror}", path, 0, 0,
                                        code="unreadable")]) from None
    if len(raw) > MAX_RECIPE_BYTES:
        raise RecipeErrors([RecipeError(f"the recipe is larger than {MAX_RECIPE_BYTES} bytes",
                                        path, 1, 1, code="too-large")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise RecipeErrors([RecipeError(f"not UTF-8 text ({exc.reason})", path, line, col,
                                        code="not-utf8")]) from None
    return text.removeprefix("\ufeff")


def parse_recipe_text(text: str, name: str, syntax: str) -> tuple[Any, Any]:
    """Parse recipe text with one front end.

    Parameters
    ----------
    text : str
        The recipe.
    name : str
        File name for error positions.
    syntax : {"yaml", "dsl"}
        Which front end.

    Returns
    -------
    data : Any
        The document as plain dicts, lists and scalars (the same for both fronts).
    marks : editspec.recipe.from_yaml.Marks
        Where every node stands.
    """
    if syntax == "dsl":
        from editspec.recipe.from_dsl import parse_dsl

        return parse_dsl(text, name)
    from editspec.recipe.from_yaml import parse_yaml

    return parse_yaml(text, name)


def syntax_of(path: str) -> str:
    """Return ``"yaml"`` or ``"dsl"`` from a recipe's suffix.

    Raises
    ------
    RecipeErrors
        On an unknown suffix.
    """
    suffix = os.path.splitext(path)[1].lower()
    if suffix in DSL_SUFFIXES:
        return "dsl"
    if suffix in YAML_SUFFIXES:
        return "yaml"
    raise RecipeErrors([RecipeError(f"unknown recipe suffix {suffix!r}", path, 0, 0,
                                    hint="recipes are .yaml, .yml, .json or .edit",
                                    code="unknown-suffix")])
