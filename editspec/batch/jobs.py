"""From a templated recipe and a table to planned render jobs.

The recipe is parsed once. For each row a deep copy of the parsed document gets the
row's values as variables (typed and checked against the declarations) and the
matrix's output fields, then is validated and compiled: values never touch recipe
text, so they cannot change the recipe's structure, and file values stay inside the
media roots. Each distinct song and clip set is analyzed once (content-hash cache),
then every row is planned in this process; only renders go to the workers.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from editspec.batch.manifest import text_hash
from editspec.batch.table import MATRIX_KEYS_OUTPUT, Row
from editspec.errors import EditspecError, RecipeErrors

_SIZE = re.compile(r"^([0-9]{2,5}x[0-9]{2,5}|9:16|1:1|4:5|16:9)$")


@dataclass
class Job:
    """One output of the batch and what happened to it."""

    row: Row
    """The table row (and matrix values)."""
    name: str
    """Output file name in the output folder."""
    output: str
    """Absolute output path."""
    status: str = "pending"
    """``pending``, ``invalid`` (bad row), ``skipped`` (done before), ``ok``, ``failed``."""
    error: str | None = None
    """One-line reason when invalid or failed."""
    column: str | None = None
    """The column a bad row's problem is in, when known."""
    recipe: Any = None
    """The compiled Recipe IR."""
    edl: dict[str, Any] | None = None
    """The planned EDL as a dict (what the worker renders)."""
    edl_hash: str | None = None
    inputs: dict[str, str] = field(default_factory=dict)
    """Hash of every input: recipe, values, media files."""
    inputs_hash: str | None = None
    attempts: int = 0
    """Renders started (a worker that dies counts one)."""
    result: dict[str, Any] = field(default_factory=dict)
    """The worker's fields: size, duration, task_s, ffmpeg_s, worker."""

    def record(self) -> dict[str, Any]:
        """The manifest record of this job."""
        return {"row": self.row.number, "matrix": self.row.matrix, "output": self.name,
                "status": self.status, "error": self.error, "column": self.column,
                "inputs": self.inputs, "inputs_hash": self.inputs_hash,
                "edl_hash": self.edl_hash, "size": self.result.get("size"),
                "duration": self.result.get("duration"), "attempts": self.attempts,
                "task_s": self.result.get("task_s"), "ffmpeg_s": self.result.get("ffmpeg_s")}


class Template:
    """A templated recipe parsed once, compiled per row."""

    def __init__(self, path: str, media_roots: Sequence[str] = ()) -> None:
        from editspec.recipe import parse_recipe_text, read_recipe_text, syntax_of

        self.path = path
        self.apath = os.path.abspath(path)
        self.base = os.path.dirname(self.apath)
        self.roots = (self.base, *(os.path.abspath(r) for r in media_roots))
        self.text = read_recipe_text(path)
        self.data, self.marks = parse_recipe_text(self.text, path, syntax_of(path))
        if not isinstance(self.data, dict):
            raise RecipeErrors([self.marks.error((), "a recipe is a mapping of keys",
                                                 code="not-a-mapping")])
        decl = self.data.get("variables")
        self.declared: dict[str, str] = {}
        if isinstance(decl, dict):
            self.declared = {k: str(v.get("type", "string")) for k, v in decl.items()
                             if isinstance(v, dict)}
        out = self.data.get("output")
        name = out.get("name") if isinstance(out, dict) else None
        self.name_pattern: str | None = name if isinstance(name, str) and name else None

    def check_matrix(self, matrix: Sequence[tuple[str, list[str]]]) -> None:
        """Raise :class:`EditspecError` for a matrix key or value that cannot apply."""
        from editspec.timecode import parse_time

        for key, values in matrix:
            if key in self.declared:
                continue
            target = MATRIX_KEYS_OUTPUT.get(key)
            if target is None:
                raise EditspecError(
                    f"--matrix key {key!r} is neither an output field (aspect, size, duration, "
                    f"fps) nor a variable of the recipe"
                    + (f" (declared: {', '.join(self.declared)})" if self.declared else ""))
            for v in values:
                if target == "size" and not _SIZE.match(v):
                    raise EditspecError(f"--matrix {key}={v!r} is not WxH or one of 9:16, 1:1, "
                                        f"4:5, 16:9")
                if target == "duration":
                    try:
                        parse_time(v)
                    except ValueError:
                        raise EditspecError(f"--matrix duration={v!r} is not a time like 10s "
                                            f"or 0:15") from None

    def row_variables(self, row: Row) -> tuple[dict[str, Any], str | None, str | None]:
        """Typed variables of a row; or ``({}, column, error)`` for the first bad value."""
        from editspec.recipe.template import convert_value, inside_roots

        values: dict[str, Any] = {}
        for col, raw in row.values.items():
            if col not in self.declared or raw is None:
                continue
            vtype = self.declared[col]
            try:
                values[col] = convert_value(raw, vtype)
            except ValueError as exc:
                return {}, col, f"{vtype} expected: {exc}"
            if vtype == "file":
                text = str(values[col])
                full = os.path.normpath(os.path.join(self.base, os.path.expanduser(text)))
                if "\0" in text or not inside_roots(full, self.roots):
                    return {}, col, (f"path {text[:80]!r} is outside the media root "
                                     "(the recipe's folder and --media-root folders, compared "
                                     "as written: symlink the file in, or pass --media-root)")
                if not os.path.isfile(full):
                    return {}, col, f"file {text[:80]!r} does not exist (relative to {self.base})"
        for key, v in row.matrix.items():
            if key in self.declared:
                try:
                    values[key] = convert_value(v, self.declared[key])
                except ValueError as exc:
                    return {}, key, f"--matrix {key}: {exc}"
        return values, None, None

    def compile(self, row: Row, values: dict[str, Any]) -> Any:
        """Compile the recipe for a row (values into a copy of the parsed document).

        Raises
        ------
        RecipeErrors
            When the filled document is not a valid recipe.
        """
        from editspec.recipe.compile import compile_recipe
        from editspec.recipe.template import expand_document

        data = copy.deepcopy(self.data)
        for key, v in row.matrix.items():
            if key not in self.declared:
                out = data.get("output")
                if not isinstance(out, dict):
                    out = data["output"] = {}
                out[MATRIX_KEYS_OUTPUT[key]] = v
        exp = expand_document(data, self.marks, self.apath, self.base, values, self.roots)
        return compile_recipe(exp.data, exp.marks, self.path, base_dir=self.base,
                              check_files=True, roots=self.roots, values=exp.values,
                              kits=exp.kits, errors=exp.errors)


def _guess_column(message: str, row: Row, declared: dict[str, str]) -> str | None:
    given = [c for c, v in row.values.items() if c in declared and v is not None]
    named = [c for c in given if f"'{c}'" in message]
    if len(named) == 1:
        return named[0]
    hits = [c for c in given if str(row.values[c])[:40] and str(row.values[c])[:40] in message]
    if len(hits) == 1:
        return hits[0]
    return given[0] if len(given) == 1 else None


def compile_job(template: Template, job: Job) -> None:
    """Type the row's values and compile its recipe; mark the job invalid on a problem."""
    values, column, error = template.row_variables(job.row)
    if error:
        job.status, job.column, job.error = "invalid", column, error
        return
    try:
        job.recipe = template.compile(job.row, values)
    except RecipeErrors as exc:
        first = exc.errors[0]
        more = f" (and {len(exc.errors) - 1} more)" if len(exc.errors) > 1 else ""
        msg = first.one_line() if hasattr(first, "one_line") else str(first)
        job.status, job.error = "invalid", " ".join(msg.split()) + more
        job.column = _guess_column(job.error, job.row, template.declared)
    except EditspecError as exc:
        job.status, job.error = "invalid", exc.one_line()


class Hasher:
    """File hashes, each file read once per batch."""

    def __init__(self) -> None:
        self._memo: dict[tuple[str, float, int], str] = {}

    def file(self, path: str) -> str:
        from editspec.cache import file_hash

        st = os.stat(path)
        key = (path, st.st_mtime, st.st_size)
        if key not in self._memo:
            self._memo[key] = file_hash(path)
        return self._memo[key]


def plan_job(template: Template, job: Job, analyses: dict[Any, Any], hasher: Hasher,
             options: dict[str, Any], *, tracker: str | None = None) -> None:
    """Plan a compiled job (analysis memoized per song and clip set) and hash it."""
    from editspec.edl import edl_to_dict
    from editspec.pipeline import analyze_recipe, plan_analyzed

    recipe = job.recipe
    key = (recipe.music.path, tuple(recipe.clip_paths))
    if key not in analyses:
        analyses[key] = analyze_recipe(recipe, tracker=tracker)
    audio, clips = analyses[key]
    edl = plan_analyzed(recipe, audio, clips)
    d = edl_to_dict(edl)
    d.pop("meta", None)
    job.edl = d
    job.edl_hash = text_hash(json.dumps(d, sort_keys=True, ensure_ascii=False))
    media = sorted({e.clip for e in edl.events}
                   | ({edl.music.path} if edl.music is not None else set())
                   | {o.path for o in edl.overlays if hasattr(o, "path")})
    inputs = {"recipe": text_hash(template.text),
              "values": text_hash(json.dumps({"row": job.row.values, "matrix": job.row.matrix},
                                             sort_keys=True, ensure_ascii=False, default=str)),
              "options": text_hash(json.dumps(options, sort_keys=True, default=str))}
    for kit in recipe.extends:
        inputs[kit] = hasher.file(kit)
    for path in media:
        inputs[path] = hasher.file(path)
    job.inputs = inputs
    job.inputs_hash = text_hash(json.dumps(inputs, sort_keys=True))
