"""Recipe front ends: YAML (+ JSON Schema) today, the lark DSL next, one IR out.

:func:`load_recipe` picks the front end by file suffix, validates the document against
``schema.json``, and compiles it to :class:`editspec.ir.Recipe`. Every problem is
collected and raised together as :class:`editspec.errors.RecipeErrors`.
"""

from __future__ import annotations

import json
import os
from functools import cache
from importlib import resources
from typing import Any

from editspec.errors import RecipeError, RecipeErrors
from editspec.ir import Recipe

YAML_SUFFIXES = (".yaml", ".yml", ".json")


@cache
def recipe_schema() -> dict[str, Any]:
    """Return the recipe JSON Schema (draft 2020-12) that ships in the package."""
    text = resources.files("editspec.recipe").joinpath("schema.json").read_text("utf-8")
    return json.loads(text)


def load_recipe(path: str, *, check_files: bool = True) -> Recipe:
    """Read, validate and compile a recipe file.

    Parameters
    ----------
    path : str
        A ``.yaml``/``.yml``/``.json`` recipe.
    check_files : bool
        Check that the music file exists and that every clip glob matches a file.

    Returns
    -------
    Recipe

    Raises
    ------
    RecipeErrors
        All problems found, each as ``FILE:LINE:COL: message``.
    """
    from editspec.recipe.compile import compile_recipe
    from editspec.recipe.from_yaml import parse_yaml

    if not os.path.isfile(path):
        raise RecipeErrors([RecipeError("no such recipe file", path, 0, 0)])
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in YAML_SUFFIXES:
        raise RecipeErrors([RecipeError(
            f"unknown recipe suffix {suffix!r}", path, 0, 0,
            hint="recipes are .yaml, .yml or .json")])
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except UnicodeDecodeError as exc:
        raise RecipeErrors([RecipeError(f"not UTF-8 text ({exc.reason})", path, 1, 1)]) from None
    data, marks = parse_yaml(text, path)
    return compile_recipe(data, marks, os.path.abspath(path), check_files=check_files)


def loads_recipe(text: str, base_dir: str = ".", *, name: str = "<recipe>",
                 check_files: bool = True) -> Recipe:
    """Compile YAML recipe text; paths resolve relative to ``base_dir``."""
    from editspec.recipe.compile import compile_recipe
    from editspec.recipe.from_yaml import parse_yaml

    data, marks = parse_yaml(text, name)
    return compile_recipe(data, marks, name, base_dir=base_dir, check_files=check_files)
