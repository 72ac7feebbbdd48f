"""Batch inputs: the table of values (CSV, JSON lines, Parquet), the matrix, output names.

Table values stay data: they are read as text (CSV) or JSON scalars, converted to the
recipe's declared variable types later, and only ever placed into the parsed recipe
document, never into recipe text.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from editspec.errors import EditspecError

MAX_ROWS = 100_000
"""Largest table read, rows."""
MATRIX_KEYS_OUTPUT = {"aspect": "size", "size": "size", "duration": "duration", "fps": "fps"}
"""Matrix keys that set an ``output`` field of the recipe (key → field)."""
OUTPUT_SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv", ".webm")
_FIELD = re.compile(r"\{([^{}]*)\}")
_UNSAFE = re.compile(r"[^\w.+-]+")


@dataclass(frozen=True, slots=True)
class Row:
    """One row of the table (after the matrix: one output)."""

    number: int
    """1-based number of the row in the table (the header is not a row)."""
    values: dict[str, Any]
    """Column → value: text from CSV, a JSON scalar from JSON lines; None when empty."""
    matrix: dict[str, str] = field(default_factory=dict)
    """The matrix values this variant takes (``{"aspect": "9:16"}``)."""

    @property
    def label(self) -> str:
        """``row 3`` or ``row 3 [aspect=9:16]``."""
        extra = ", ".join(f"{k}={v}" for k, v in self.matrix.items())
        return f"row {self.number}" + (f" [{extra}]" if extra else "")


def read_table(path: str) -> tuple[list[str], list[Row]]:
    """Read a table of values: ``.csv``, ``.jsonl`` (one JSON object a line) or ``.parquet``.

    Parameters
    ----------
    path : str
        The table file.

    Returns
    -------
    columns : list of str
        Column names in order.
    rows : list of Row
        The rows; empty CSV cells and JSON nulls are None (not given).

    Raises
    ------
    EditspecError
        When the file is missing, unreadable, of an unknown kind or malformed.
    """
    if not os.path.isfile(path):
        raise EditspecError(f"{path}: no such table file")
    suffix = os.path.splitext(path)[1].lower()
    if suffix in (".csv", ".tsv"):
        return _read_csv(path, "\t" if suffix == ".tsv" else ",")
    if suffix in (".jsonl", ".ndjson"):
        return _read_jsonl(path)
    if suffix in (".parquet", ".pq"):
        return _read_parquet(path)
    raise EditspecError(f"{path}: unknown table kind {suffix!r}, available: .csv, .tsv, "
                        f".jsonl, .parquet")


def _check_columns(path: str, columns: Sequence[str]) -> None:
    seen: set[str] = set()
    for c in columns:
        if not c:
            raise EditspecError(f"{path}: a column has an empty name")
        if c in seen:
            raise EditspecError(f"{path}: column {c!r} appears twice")
        seen.add(c)


def _read_csv(path: str, delimiter: str) -> tuple[list[str], list[Row]]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            header = next(reader, None)
            if header is None:
                raise EditspecError(f"{path}: the table is empty (no header row)")
            columns = [h.strip() for h in header]
            _check_columns(path, columns)
            rows = []
            for cells in reader:
                if not any(c.strip() for c in cells):
                    continue  # blank line
                n = len(rows) + 1
                if len(cells) > len(columns):
                    raise EditspecError(f"{path}: row {n} (line {reader.line_num}) has "
                                        f"{len(cells)} cells, the header {len(columns)}")
                values = {c: (cells[i] if i < len(cells) and cells[i] != "" else None)
                          for i, c in enumerate(columns)}
                rows.append(Row(n, values))
                if n > MAX_ROWS:
                    raise EditspecError(f"{path}: more than {MAX_ROWS} rows")
    except UnicodeDecodeError as exc:
        raise EditspecError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise EditspecError(f"{path}: not a CSV table: {exc}") from None
    except OSError as exc:
        raise EditspecError(f"{path}: cannot read: {exc.strerror}") from None
    return columns, rows


def _scalar(path: str, n: int, col: str, v: Any) -> Any:
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    raise EditspecError(f"{path}: row {n}, column {col!r}: a value is text, a number or a "
                        f"boolean, not {type(v).__name__}")


def _read_jsonl(path: str) -> tuple[list[str], list[Row]]:
    columns: list[str] = []
    rows = []
    try:
        with open(path, encoding="utf-8-sig") as fh:
            for line_no, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                n = len(rows) + 1
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise EditspecError(f"{path}:{line_no}: not JSON: {exc.msg}") from None
                if not isinstance(obj, dict):
                    raise EditspecError(f"{path}:{line_no}: a row is a JSON object, "
                                        f"not {type(obj).__name__}")
                for k in obj:
                    if k not in columns:
                        columns.append(k)
                rows.append(Row(n, {str(k): _scalar(path, n, k, v) for k, v in obj.items()}))
                if n > MAX_ROWS:
                    raise EditspecError(f"{path}: more than {MAX_ROWS} rows")
    except UnicodeDecodeError as exc:
        raise EditspecError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise EditspecError(f"{path}: cannot read: {exc.strerror}") from None
    _check_columns(path, columns)
    return columns, [Row(r.number, {c: r.values.get(c) for c in columns}) for r in rows]


def _read_parquet(path: str) -> tuple[list[str], list[Row]]:
    from editspec.errors import require_extra

    pq = require_extra("pyarrow.parquet", "parquet", f"{path}: reading a Parquet table")
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises its own error types
        raise EditspecError(f"{path}: not a Parquet table: {exc}") from None
    columns = [str(c) for c in table.column_names]
    _check_columns(path, columns)
    if table.num_rows > MAX_ROWS:
        raise EditspecError(f"{path}: more than {MAX_ROWS} rows")
    rows = [Row(i + 1, {c: _scalar(path, i + 1, c, v) for c, v in rec.items()})
            for i, rec in enumerate(table.to_pylist())]
    return columns, rows


# -- matrix ---------------------------------------------------------------------------

def parse_matrix(specs: Sequence[str]) -> list[tuple[str, list[str]]]:
    """Parse ``--matrix KEY=V1,V2,...`` arguments into ``[(key, values)]``.

    Raises
    ------
    EditspecError
        On a spec without ``=``, an empty value list, or a key given twice.
    """
    out: list[tuple[str, list[str]]] = []
    for spec in specs:
        key, eq, rest = spec.partition("=")
        key = key.strip()
        values = [v.strip() for v in rest.split(",") if v.strip()]
        if not eq or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,39}", key) or not values:
            raise EditspecError(f"--matrix {spec!r} is not KEY=V1,V2 (e.g. aspect=9:16,1:1,16:9)")
        if any(k == key for k, _ in out):
            raise EditspecError(f"--matrix key {key!r} is given twice")
        if len(set(values)) != len(values):
            raise EditspecError(f"--matrix {key}: a value is repeated in {rest!r}")
        out.append((key, values))
    return out


def expand_matrix(rows: Sequence[Row], matrix: Sequence[tuple[str, list[str]]]) -> list[Row]:
    """Return every row times every combination of the matrix values (row-major)."""
    if not matrix:
        return list(rows)
    keys = [k for k, _ in matrix]
    combos = list(itertools.product(*(vals for _, vals in matrix)))
    return [Row(r.number, r.values, dict(zip(keys, combo, strict=True)))
            for r in rows for combo in combos]


# -- output names -----------------------------------------------------------------------

def default_name_pattern(matrix: Sequence[tuple[str, list[str]]], n_rows: int) -> str:
    """``{row}`` zero-padded, then each matrix key: ``{row}-{aspect}.mp4``."""
    return "-".join(["{row}", *(f"{{{k}}}" for k, _ in matrix)]) + ".mp4"


def pattern_fields(pattern: str) -> list[str]:
    """The ``{field}`` names a name pattern uses."""
    return [m.group(1).strip() for m in _FIELD.finditer(pattern)]


def sanitize_component(text: str, limit: int = 80) -> str:
    """Return ``text`` as a safe piece of a file name (no separators, no leading dots).

    Letters and digits of any script, ``.``, ``-``, ``+`` and ``_`` stay; every other run
    becomes ``_``; runs of dots become one; the result is cut to ``limit`` characters.
    """
    text = unicodedata.normalize("NFC", str(text))
    text = _UNSAFE.sub("_", text)
    text = re.sub(r"\.{2,}", ".", text).strip("._ ")
    return text[:limit] or "_"


def format_name(pattern: str, row: Row, width: int) -> str:
    """Fill a name pattern from a row; return a safe file name (one path component).

    Parameters
    ----------
    pattern : str
        ``{column}`` fields, ``{row}`` (zero-padded to ``width``) and matrix keys.
    row : Row
        The row.
    width : int
        Digits of ``{row}``.

    Raises
    ------
    EditspecError
        When a field is neither a column, ``row`` nor a matrix key.
    """
    def value(m: re.Match[str]) -> str:
        key = m.group(1).strip()
        if key == "row":
            return f"{row.number:0{width}d}"
        if key in row.matrix:
            return sanitize_component(row.matrix[key])
        if key in row.values:
            v = row.values[key]
            return sanitize_component("" if v is None else v)
        raise EditspecError(f"name pattern {pattern!r} uses {{{key}}}, which is not a column, "
                            f"'row' or a --matrix key; columns: {', '.join(row.values) or 'none'}")

    stem, suffix = os.path.splitext(pattern)
    if suffix.lower() not in OUTPUT_SUFFIXES:
        stem, suffix = pattern, ".mp4"
    literal = _FIELD.split(stem)[::2]
    if any(("/" in p or "\\" in p or "\0" in p) for p in literal):
        raise EditspecError(f"name pattern {pattern!r} must name a file, not a folder")
    parts = _FIELD.split(stem)
    pieces = [sanitize_component(p) if p else "" for p in parts[::2]]
    out = pieces[0]
    for i, m in enumerate(_FIELD.finditer(stem)):
        out += value(m) + pieces[i + 1]
    out = _cut_utf8(out, NAME_STEM_BYTES)
    if not out or out[0] in ".-":
        out = "_" + out
    return out + suffix.lower()


NAME_STEM_BYTES = 200
"""Longest output name stem, in UTF-8 bytes: file systems allow 255 bytes per name (not
characters: one emoji is 4 bytes), and the suffix and temporary names need room."""


def _cut_utf8(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, never inside a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")
