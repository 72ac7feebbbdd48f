"""A filtergraph as data: filters with options, chains with labelled pads, and its text.

ffmpeg reads a filtergraph description in two levels (libavfilter's ``graphparser.c``
then ``av_opt_set_from_string``): the graph level splits filters at ``[ ] , ;`` and
the option level splits ``key=value`` pairs at ``:``. Each level undoes one layer of
backslash escaping and single quotes (``av_get_token``). :func:`filter_text` escapes
every option value for both levels, so any string (a title with quotes, colons,
commas, brackets, backslashes, newlines) reaches the filter exactly as written and can
never end a filter or start a new one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

_PLAIN = re.compile(r"^[A-Za-z0-9_.+\-*/()<>=#@,]*$")
_GRAPH_SPECIAL = "\\'[],;"


def num(x: float | Fraction | int) -> str:
    """Format a number for a filter option: at most 6 decimals, no trailing zeros."""
    text = f"{float(x):.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def escape_option_value(value: str) -> str:
    """Escape a value for the option level (``key=value:key=value``).

    Plain values (names, numbers, expressions without ``:`` or quotes) pass unchanged;
    anything else is single-quoted, a quote inside written as ``'\\''``.
    """
    if _PLAIN.match(value) and value:
        return value
    return "'" + value.replace("'", "'\\''") + "'"


def escape_graph_args(args: str) -> str:
    """Escape a filter's whole argument string for the graph level."""
    return "".join("\\" + c if c in _GRAPH_SPECIAL else c for c in args)


def filter_text(name: str, *positional: str | float | int, **options: object) -> str:
    """Return ``name=arg:key=value...`` escaped for use inside a filtergraph.

    Options whose value is None are left out; ``True``/``False`` become ``1``/``0``.
    Option names may end in ``_`` to dodge Python keywords (``in_=...``).

    Examples
    --------
    >>> filter_text("trim", end_frame=30)
    'trim=end_frame=30'
    >>> filter_text("drawtext", text="a:b, c")
    "drawtext=text=\\\\'a:b\\\\, c\\\\'"
    """
    parts: list[str] = []
    for value in positional:
        parts.append(escape_option_value(_str(value)))
    for key, value in options.items():
        if value is None:
            continue
        parts.append(f"{key.rstrip('_')}={escape_option_value(_str(value))}")
    if not parts:
        return name
    return f"{name}={escape_graph_args(':'.join(parts))}"


def _str(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (float, Fraction)):
        return num(value)
    return str(value)


@dataclass(slots=True)
class Inputs:
    """The ``-i`` inputs of a command, in order: each :meth:`add` returns its index."""

    args: list[str] = field(default_factory=list)
    """The input arguments (``-ss S -t T -i FILE`` ...)."""
    count: int = 0
    """Inputs added so far."""

    def add(self, *args: str) -> int:
        """Append one input's arguments (ending in ``-i FILE``); return its index."""
        self.args += list(args)
        self.count += 1
        return self.count - 1


@dataclass(slots=True)
class Chain:
    """Filters in a row, from labelled input pads to labelled output pads."""

    inputs: list[str]
    """Input pad labels (``0:v:0``, ``v3``)."""
    filters: list[str]
    """Filter texts from :func:`filter_text`."""
    outputs: list[str]
    """Output pad labels."""

    def text(self) -> str:
        """Return the chain as filtergraph text."""
        ins = "".join(f"[{p}]" for p in self.inputs)
        outs = "".join(f"[{p}]" for p in self.outputs)
        return f"{ins}{','.join(self.filters) or 'null'}{outs}"


@dataclass(slots=True)
class Graph:
    """A whole filtergraph: chains in the order they were added."""

    chains: list[Chain] = field(default_factory=list)
    """The chains."""
    _count: int = 0

    def add(self, inputs: list[str], filters: list[str], outputs: list[str] | None = None) -> str:
        """Append a chain; return its (first) output label, made up when not given."""
        if outputs is None:
            outputs = [self.label()]
        self.chains.append(Chain(list(inputs), list(filters), list(outputs)))
        return outputs[0]

    def label(self, prefix: str = "s") -> str:
        """Return a fresh pad label."""
        self._count += 1
        return f"{prefix}{self._count}"

    def text(self) -> str:
        """Return the filtergraph text, one chain per line."""
        return ";\n".join(c.text() for c in self.chains)
