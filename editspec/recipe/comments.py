"""The comments of a recipe's text, so that ``editspec fmt`` keeps them.

Neither front end keeps comments in the data (PyYAML drops them, the DSL grammar ignores
them), so they are found in the text by a small scanner that knows each syntax's
strings, and attached to the top-level statement they stand in or before, by the line
numbers the parsers record (:class:`editspec.recipe.from_yaml.Marks`). ``fmt`` prints
each comment before its top-level statement, in order; a comment inside a block moves
up to that statement's head, and one after the last statement stays at the end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_BLOCK_SCALAR = re.compile(r"""^(\s*)(?:-\s+)?[^#'"]*:\s*[|>][-+0-9]*\s*(?:#.*)?$""")


@dataclass(frozen=True, slots=True)
class Comment:
    """One comment of a recipe's text."""

    line: int
    """1-based line."""
    text: str
    """From ``#`` to the end of the line, trailing spaces removed."""
    own_line: bool
    """Alone on its line (else it follows a value)."""
    indent: int
    """Columns before the ``#`` (own-line comments)."""


def find_comments(text: str, syntax: str) -> list[Comment]:
    """Return the comments of recipe ``text`` in ``"yaml"`` or ``"dsl"`` syntax, in order."""
    return list(_scan_yaml(text) if syntax == "yaml" else _scan_dsl(text))


def _scan_dsl(text: str) -> Iterable[Comment]:
    for n, line in enumerate(text.splitlines(), 1):
        in_str = esc = False
        for i, ch in enumerate(line):
            if in_str:
                if esc:
                    esc = False
                elif ch == "\\":
                    esc = True
                elif ch == '"':
                    in_str = False
            elif ch == '"':
                in_str = True
            elif ch == "#":
                yield Comment(n, line[i:].rstrip(), not line[:i].strip(), i)
                break


def _scan_yaml(text: str) -> Iterable[Comment]:
    quote = ""
    block_indent: int | None = None  # inside a | or > block scalar deeper than this
    for n, line in enumerate(text.splitlines(), 1):
        indent = len(line) - len(line.lstrip(" "))
        if block_indent is not None:
            if not line.strip() or indent > block_indent:
                continue  # the block scalar's content: '#' is text there
            block_indent = None
        prev = " "
        for i, ch in enumerate(line):
            if quote == "'":
                if ch == "'":
                    quote = ""  # '' (an escaped quote) closes and reopens: same result
            elif quote == '"':
                if ch == '"' and prev != "\\":
                    quote = ""
            elif ch in "'\"" and prev in " \t[{,:-":
                quote = ch
            elif ch == "#" and prev in " \t":
                yield Comment(n, line[i:].rstrip(), not line[:i].strip(), i)
                break
            prev = "" if prev == "\\" and ch == "\\" else ch
        m = _BLOCK_SCALAR.match(line)
        if m and not quote:
            block_indent = len(m.group(1))


def attach_comments(comments: list[Comment], key_lines: dict[str, int]
                    ) -> dict[str | None, list[str]]:
    """Group comments by the top-level key they belong to (None: after the last one).

    An own-line comment at column 0 belongs to the next top-level key (it heads it); an
    indented one, or one after a value, to the key whose statement it stands in.
    """
    order = sorted(key_lines.items(), key=lambda kv: kv[1])
    out: dict[str | None, list[str]] = {}
    for c in comments:
        before = [k for k, line in order if line <= c.line]
        after = [k for k, line in order if line > c.line]
        key: str | None
        if (c.own_line and c.indent == 0) or not before:
            key = after[0] if after else None
        else:
            key = before[-1]
        out.setdefault(key, []).append(c.text)
    return out


def recipe_comments(text: str, syntax: str, marks: Any, data: Any
                    ) -> dict[str | None, list[str]]:
    """The comments of a parsed recipe, by top-level key (see :func:`attach_comments`)."""
    if not isinstance(data, dict):
        return {}
    lines = {k: marks.keys[(k,)][1] for k in data if (k,) in marks.keys}
    return attach_comments(find_comments(text, syntax), lines)
