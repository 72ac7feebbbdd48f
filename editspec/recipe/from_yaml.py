"""YAML front end: text → plain data plus the line/column of every node.

PyYAML composes the node tree (which keeps marks); the values are built from it by
the safe constructor, and each node's position is recorded under its path of keys
and indices so that schema and semantic errors can point at the exact spot.
"""

from __future__ import annotations

from typing import Any

import yaml

from editspec.errors import RecipeError, RecipeErrors

Path = tuple[Any, ...]


class Marks:
    """Positions of the nodes of a recipe document, by path of keys and indices."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.values: dict[Path, tuple[int, int]] = {}
        self.keys: dict[Path, tuple[int, int]] = {}

    def at(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Return (line, col) of the node at ``path``, or of its nearest ancestor."""
        table = self.keys if key else self.values
        p = tuple(path)
        if p in table:
            return table[p]
        while p:
            p = p[:-1]
            if p in self.values:
                return self.values[p]
        return (1, 1)

    def error(self, path: Path, message: str, *, key: bool = False,
              hint: str | None = None) -> RecipeError:
        """Return a :class:`RecipeError` located at ``path``."""
        line, col = self.at(path, key=key)
        return RecipeError(message, self.path, line, col, hint=hint)


def parse_yaml(text: str, path: str) -> tuple[Any, Marks]:
    """Parse YAML recipe text.

    Parameters
    ----------
    text : str
        The recipe.
    path : str
        File name used in error positions.

    Returns
    -------
    data : Any
        The document as dicts, lists and scalars.
    marks : Marks
        Where every node stands.

    Raises
    ------
    RecipeErrors
        On a YAML syntax error, duplicate keys, or an empty document.
    """
    marks = Marks(path)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise RecipeErrors([RecipeError("the recipe is empty", path, 1, 1,
                                            hint="start with `version: 1`")])
        data = _build(loader, node, (), marks)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise RecipeErrors([RecipeError(f"YAML syntax: {problem}", path, line, col)]) from None
    except yaml.YAMLError as exc:
        raise RecipeErrors([RecipeError(f"YAML syntax: {exc}", path, 1, 1)]) from None
    except RecursionError:
        raise RecipeErrors([RecipeError("the recipe is nested too deeply", path, 1, 1)]) from None
    finally:
        loader.dispose()
    return data, marks


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: Path, marks: Marks) -> Any:
    marks.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        errors: list[RecipeError] = []
        loader.flatten_mapping(node)
        for knode, vnode in node.value:
            key = loader.construct_object(knode, deep=True)
            if not isinstance(key, str):
                key = str(key)
            if key in out:
                errors.append(RecipeError(f"duplicate key {key!r}", marks.path,
                                          knode.start_mark.line + 1, knode.start_mark.column + 1))
                continue
            marks.keys[(*path, key)] = (knode.start_mark.line + 1, knode.start_mark.column + 1)
            out[key] = _build(loader, vnode, (*path, key), marks)
        if errors:
            raise RecipeErrors(errors)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, child, (*path, i), marks) for i, child in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
