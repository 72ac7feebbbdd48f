"""Recipe error presentation: text with the source line and a caret, or JSON for tools.

Every problem reads ``FILE:LINE:COL: message``, then the recipe's line with a caret
under the column, then a hint where one helps (compare rustc and sqlglot's
``ParseError``). Also the did-you-mean helpers the front ends use for keys, words
and units (``3 sec`` → ``3s``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from editspec.errors import RecipeError, RecipeErrors
from editspec.hints import did_you_mean

__all__ = ["did_you_mean", "errors_to_json", "format_errors", "suggest_measure", "suggest_time"]

MAX_SHOWN = RecipeErrors.MAX_SHOWN


def _source_line(err: RecipeError, sources: Mapping[str, str] | None,
                 cache: dict[str, list[str] | None]) -> str | None:
    if err.line <= 0:
        return None
    if err.path not in cache:
        text = sources.get(err.path) if sources else None
        if text is None:
            try:
                with open(err.path, encoding="utf-8") as fh:
                    text = fh.read(1_000_000)
            except (OSError, UnicodeDecodeError, ValueError):
                text = None
        cache[err.path] = text.splitlines() if text is not None else None
    lines = cache[err.path]
    if lines is None or err.line > len(lines):
        return None
    return lines[err.line - 1]


def format_error(err: RecipeError, source_line: str | None) -> str:
    """Return one problem as ``FILE:LINE:COL: message``, source line, caret and hint.

    Parameters
    ----------
    err : RecipeError
        The problem.
    source_line : str or None
        The text of line ``err.line`` of the recipe, when known.

    Returns
    -------
    str
        Two to four lines, no trailing newline.

    Examples
    --------
    >>> print(format_error(RecipeError("unknown key 'evry' in cuts", "r.yaml", 5, 8,
    ...                                hint="did you mean 'every'?"), "cuts: {evry: 2 beats}"))
    r.yaml:5:8: unknown key 'evry' in cuts
        5 | cuts: {evry: 2 beats}
          |        ^
      hint: did you mean 'every'?
    """
    out = [f"{err.path}:{err.line}:{err.col}: {err.message}"]
    if source_line is not None and len(source_line) <= 400:
        shown = source_line.expandtabs(1).rstrip()
        gutter = f"{err.line:>5}"
        out.append(f"{gutter} | {shown}")
        out.append(f"{' ' * len(gutter)} | {' ' * max(0, err.col - 1)}^")
    if err.hint:
        out.append(f"  hint: {err.hint}")
    return "\n".join(out)


def format_errors(errors: RecipeErrors | Iterable[RecipeError],
                  sources: Mapping[str, str] | None = None, *, limit: int = MAX_SHOWN) -> str:
    """Return every problem in file order, capped with "... and N more".

    Parameters
    ----------
    errors : RecipeErrors or iterable of RecipeError
        The problems.
    sources : mapping of str to str, optional
        Recipe texts by file name; files not given are read from disk.
    limit : int
        Most problems shown.

    Returns
    -------
    str
    """
    errs = list(errors.errors if isinstance(errors, RecipeErrors) else errors)
    cache: dict[str, list[str] | None] = {}
    blocks = [format_error(e, _source_line(e, sources, cache)) for e in errs[:limit]]
    if len(errs) > limit:
        blocks.append(f"... and {len(errs) - limit} more")
    return "\n".join(blocks)


def errors_to_json(errors: RecipeErrors | Iterable[RecipeError]) -> list[dict[str, Any]]:
    """Return the problems as JSON-ready dicts: file, line, column, code, message, hint."""
    errs = errors.errors if isinstance(errors, RecipeErrors) else list(errors)
    return [{"file": e.path, "line": e.line, "column": e.col, "code": e.code,
             "message": e.message, "hint": e.hint} for e in errs]


_TIME_UNIT_FIX = {
    "sec": "s", "secs": "s", "second": "s", "seconds": "s", "sek": "s", "S": "s", "sc": "s",
    "msec": "ms", "msecs": "ms", "millis": "ms", "millisecond": "ms", "milliseconds": "ms",
    "min": "m", "mins": "m", "minute": "m", "minutes": "m", "mn": "m",
}
_WORD_NUM_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z-]+)\s*$")
MEASURE_UNITS = ("beat", "beats", "half-beat", "half-beats", "bar", "bars", "phrase", "phrases",
                 "section", "sections")


def suggest_time(text: Any) -> str | None:
    """Return a time that ``text`` probably meant (``3 sec`` → ``3s``), or None."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    m = _WORD_NUM_RE.match(text)
    if not m:
        if re.fullmatch(r"\s*[0-9]+(?:\.[0-9]+)?\s*", text.replace(",", ".")):
            return text.replace(",", ".").strip() + "s"
        return None
    num, unit = m.groups()
    if unit in ("h", "hr", "hrs", "hour", "hours"):
        return f"{num}:00:00" if "." not in num else None
    fixed = _TIME_UNIT_FIX.get(unit) or _TIME_UNIT_FIX.get(unit.lower())
    if fixed is None and unit.lower() in ("s", "ms", "m"):
        fixed = unit.lower()
    if fixed is None:
        close = did_you_mean(unit.lower(), [*_TIME_UNIT_FIX, "s", "ms"], cutoff=0.75)
        fixed = _TIME_UNIT_FIX.get(close, close) if close else None
    return f"{num}{fixed}" if fixed else None


def suggest_measure(text: Any) -> str | None:
    """Return a musical interval that ``text`` probably meant (``2 beets`` → ``2 beats``)."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    m = _WORD_NUM_RE.match(text) or re.match(r"^\s*()([A-Za-z-]+)\s*$", text)
    if not m:
        return None
    num, unit = m.groups()
    close = did_you_mean(unit.lower(), MEASURE_UNITS)
    if close is None:
        return None
    return f"{num} {close}" if num else close
