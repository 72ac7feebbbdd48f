"""YAML front end: text → plain data plus the file/line/column of every node.

PyYAML composes the node tree (which keeps marks); the values are built from it by
the safe constructor, and each node's position is recorded under its path of keys
and indices so that schema and semantic errors can point at the exact spot.

The loader reads YAML 1.2-style scalars: ``1:30`` and ``9:16`` stay text (YAML 1.1
would read them as base-60 integers) and dates stay text. Documents are capped in
depth and node count, so an alias bomb or a deeply nested input is a recipe error,
not a hang.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from editspec.errors import RecipeError, RecipeErrors

Path = tuple[Any, ...]
Pos = tuple[str, int, int]

MAX_DEPTH = 64
"""Deepest nesting of mappings and lists a recipe may have."""
MAX_NODES = 20_000
"""Most nodes a recipe may have once aliases are expanded."""


class Marks:
    """Positions of the nodes of a recipe document, by path of keys and indices.

    A position is ``(file, line, col)``: after ``extends``, nodes of one document come
    from several files.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.values: dict[Path, Pos] = {}
        self.keys: dict[Path, Pos] = {}

    def pos(self, path: Path, *, key: bool = False) -> Pos:
        """Return ``(file, line, col)`` of the node at ``path``, or of its nearest ancestor."""
        table = self.keys if key else self.values
        p = tuple(path)
        if p in table:
            return table[p]
        while p:
            p = p[:-1]
            if p in self.values:
                return self.values[p]
        return (self.path, 1, 1)

    def at(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Return (line, col) of the node at ``path``, or of its nearest ancestor."""
        _, line, col = self.pos(path, key=key)
        return line, col

    def error(self, path: Path, message: str, *, key: bool = False, hint: str | None = None,
              code: str = "invalid-value") -> RecipeError:
        """Return a :class:`RecipeError` located at ``path``."""
        file, line, col = self.pos(path, key=key)
        return RecipeError(message, file, line, col, hint=hint, code=code)

    def subtree(self, path: Path) -> Marks:
        """Return the marks under ``path``, re-rooted at ``()``."""
        out = Marks(self.path)
        n = len(path)
        for table, dest in ((self.values, out.values), (self.keys, out.keys)):
            for p, pos in table.items():
                if p[:n] == tuple(path):
                    dest[p[n:]] = pos
        return out


class _Loader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1's base-60 numbers and timestamps."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers
         if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
                        "tag:yaml.org,2002:timestamp")]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)"
               r"|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))


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
        On a YAML syntax error, duplicate keys, an empty or oversized document.
    """
    marks = Marks(path)
    _check_flow_depth(text, path)
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, col = _reader_position(text, exc) if mark is None else (mark.line + 1,
                                                                       mark.column + 1)
        raise RecipeErrors([RecipeError(f"YAML syntax: {_reader_problem(exc)}", path, line,
                                        col, code="yaml-syntax")]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise RecipeErrors([RecipeError("the recipe is empty", path, 1, 1,
                                            hint="start with `version: 1`", code="empty-recipe")])
        data = _Builder(loader, marks).build(node, (), 0)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise RecipeErrors([RecipeError(f"YAML syntax: {problem}", path, line, col,
                                        code="yaml-syntax")]) from None
    except yaml.YAMLError as exc:
        raise RecipeErrors([RecipeError(f"YAML syntax: {exc}", path, 1, 1,
                                        code="yaml-syntax")]) from None
    except (ValueError, OverflowError, TypeError) as exc:
        # The safe constructor's int()/float()/base64 on absurd scalars.
        raise RecipeErrors([RecipeError(f"YAML value: {str(exc)[:200]}", path, 1, 1,
                                        code="yaml-syntax")]) from None
    except RecursionError:
        raise RecipeErrors([RecipeError("the recipe is nested too deeply", path, 1, 1,
                                        code="too-deep")]) from None
    finally:
        loader.dispose()
    return data, marks


def _reader_position(text: str, exc: Exception) -> tuple[int, int]:
    pos = getattr(exc, "position", 0) or 0
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _reader_problem(exc: Exception) -> str:
    char = getattr(exc, "character", None)
    if isinstance(char, int):
        return f"character U+{char:04X} is not allowed in YAML"
    return str(exc).split("\n")[0][:200]


def _check_flow_depth(text: str, path: str) -> None:
    """Reject deeply nested flow collections before PyYAML's recursive parser sees them."""
    depth, line, col, quote, comment = 0, 1, 0, "", False
    for ch in text:
        col += 1
        if ch == "\n":
            line, col, comment = line + 1, 0, False
            continue
        if comment:
            continue
        if quote:
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "#":
            comment = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise RecipeErrors([RecipeError(
                    f"the recipe is nested more than {MAX_DEPTH} levels deep", path, line, col,
                    code="too-deep")])
        elif ch in "]}":
            depth = max(0, depth - 1)


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, marks: Marks) -> None:
        self.loader = loader
        self.marks = marks
        self.count = 0

    def _error(self, node: yaml.Node, message: str, code: str) -> RecipeErrors:
        return RecipeErrors([RecipeError(message, self.marks.path, node.start_mark.line + 1,
                                         node.start_mark.column + 1, code=code)])

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self._error(node, f"the recipe has more than {MAX_NODES} values "
                                    "(after expanding aliases)", "too-large")
        if depth > MAX_DEPTH:
            raise self._error(node, f"the recipe is nested more than {MAX_DEPTH} levels deep",
                              "too-deep")
        pos = (self.marks.path, node.start_mark.line + 1, node.start_mark.column + 1)
        self.marks.values[path] = pos
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            errors: list[RecipeError] = []
            # Merge keys (`<<: *base` or `<<: [*a, *b]`): flatten_mapping puts the merged
            # pairs first, in the order of the merged maps. As the YAML merge-key spec says,
            # an earlier map's key wins over a later map's and the mapping's own keys win
            # over merged ones (PyYAML's own constructor gets the first rule wrong); only
            # the mapping's own keys may not repeat.
            own_keys = {id(k) for k, _ in node.value}
            self.loader.flatten_mapping(node)
            own: set[str] = set()
            for knode, vnode in node.value:
                if not isinstance(knode, yaml.ScalarNode):
                    raise self._error(knode, "a key must be plain text", "bad-key")
                key = self.loader.construct_object(knode, deep=True)
                key = key if isinstance(key, str) else str(key)
                kpos = (self.marks.path, knode.start_mark.line + 1, knode.start_mark.column + 1)
                if id(knode) in own_keys:
                    if key in own:
                        errors.append(RecipeError(f"duplicate key {key[:80]!r}", *kpos,
                                                  code="duplicate-key"))
                        continue
                    own.add(key)
                elif key in out:
                    continue  # merged from an earlier map: that one wins
                self.marks.keys[(*path, key)] = kpos
                out[key] = self.build(vnode, (*path, key), depth + 1)
            if errors:
                raise RecipeErrors(errors)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*path, i), depth + 1) for i, child in enumerate(node.value)]
        value = self.loader.construct_object(node, deep=True)
        if value is None or isinstance(value, (str, bool, int, float)):
            return value
        return str(value)  # !!binary and other explicit tags: keep as text
