"""Recipe front ends: YAML (+ JSON Schema) and the lark DSL, one IR out.

:func:`load_recipe` picks the front end by file suffix (``.yaml``/``.yml``/``.json``
or ``.edit``), merges the brand kits the recipe ``extends``, fills its ``{{variables}}``,
validates the document against ``schema.json`` and compiles it to
:class:`editspec.ir.Recipe`. Every problem is collected and raised together as
:class:`editspec.errors.RecipeErrors`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from editspec.errors import RecipeError, RecipeErrors
from editspec.ir import Recipe
from editspec.recipe.source import (
    DSL_SUFFIXES,
    MAX_RECIPE_BYTES,
    YAML_SUFFIXES,
    parse_recipe_text,
    read_recipe_text,
    recipe_schema,
    syntax_of,
)

__all__ = ["DSL_SUFFIXES", "MAX_RECIPE_BYTES", "YAML_SUFFIXES", "format_recipe", "load_recipe",
           "loads_recipe", "parse_assignments", "parse_recipe_text", "read_recipe_text",
           "recipe_schema", "syntax_of"]

def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    """Return ``{name: value}`` from ``--set NAME=VALUE`` arguments.

    Raises
    ------
    RecipeErrors
        When an item has no ``=`` or an empty name.
    """
    out: dict[str, str] = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            raise RecipeErrors([RecipeError(f"--set {item!r} is not NAME=VALUE", "<command line>",
                                            0, 0, hint="e.g. --set title=Hello",
                                            code="bad-assignment")])
        out[name.strip()] = value
    return out


def load_recipe(path: str, *, check_files: bool = True,
                variables: Mapping[str, Any] | None = None,
                media_roots: Sequence[str] = ()) -> Recipe:
    """Read, validate and compile a recipe file.

    Parameters
    ----------
    path : str
        A ``.yaml``/``.yml``/``.json`` or ``.edit`` (DSL) recipe.
    check_files : bool
        Check that the music file exists and that every clip glob matches a file.
    variables : mapping of str to Any, optional
        Values of the recipe's declared variables (``--set``, a table row); text is
        converted to the declared type.
    media_roots : sequence of str
        Folders besides the recipe's own folder tree that its paths may reach.

    Returns
    -------
    Recipe

    Raises
    ------
    RecipeErrors
        All problems found, each as ``FILE:LINE:COL: message``.
    """
    from editspec.recipe.compile import compile_recipe
    from editspec.recipe.template import expand_document

    syntax = syntax_of(path)
    text = read_recipe_text(path)
    data, marks = parse_recipe_text(text, path, syntax)
    apath = os.path.abspath(path)
    base = os.path.dirname(apath)
    roots = (base, *(os.path.abspath(r) for r in media_roots))
    exp = expand_document(data, marks, apath, base, variables or {}, roots)
    return compile_recipe(exp.data, exp.marks, path, base_dir=base, check_files=check_files,
                          roots=roots, values=exp.values, kits=exp.kits, errors=exp.errors)


def loads_recipe(text: str, base_dir: str = ".", *, name: str = "<recipe>",
                 syntax: str = "yaml", check_files: bool = True,
                 variables: Mapping[str, Any] | None = None,
                 media_roots: Sequence[str] = ()) -> Recipe:
    """Compile recipe text; paths resolve relative to ``base_dir``.

    Parameters
    ----------
    text : str
        The recipe.
    base_dir : str
        Folder that relative paths resolve against (and the root they must stay in).
    name : str
        File name for error positions.
    syntax : {"yaml", "dsl"}
        Which front end.
    check_files, variables, media_roots
        As for :func:`load_recipe`.

    Returns
    -------
    Recipe
    """
    from editspec.recipe.compile import compile_recipe
    from editspec.recipe.template import expand_document

    data, marks = parse_recipe_text(text, name, syntax)
    base = os.path.abspath(base_dir)
    roots = (base, *(os.path.abspath(r) for r in media_roots))
    exp = expand_document(data, marks, name, base, variables or {}, roots)
    return compile_recipe(exp.data, exp.marks, name, base_dir=base, check_files=check_files,
                          roots=roots, values=exp.values, kits=exp.kits, errors=exp.errors)


def format_recipe(path: str, to: str) -> str:
    """Return a recipe file converted to ``"yaml"`` or ``"dsl"`` text, losslessly.

    The document is converted as written: brand kits are not merged and variables are
    not filled, and every comment is kept (before the top-level statement it stands in
    or heads: :mod:`editspec.recipe.comments`). It must parse; schema problems are
    reported as for :func:`load_recipe`.

    Raises
    ------
    RecipeErrors
        When the recipe does not parse or does not match the schema.
    """
    from editspec.recipe.comments import recipe_comments
    from editspec.recipe.dsl_print import data_to_dsl, data_to_yaml
    from editspec.recipe.validate import validate_schema

    text = read_recipe_text(path)
    syntax = syntax_of(path)
    data, marks = parse_recipe_text(text, path, syntax)
    errors = [e for e in validate_schema(data, marks) if e.code in ("unknown-key", "not-a-mapping")]
    if errors:
        raise RecipeErrors(errors)
    comments = recipe_comments(text, syntax, marks, data)
    return data_to_dsl(data, comments) if to == "dsl" else data_to_yaml(data, comments)
