"""Recipe data → validated, resolved :class:`editspec.ir.Recipe`.

Both front ends end here: the document is validated against the JSON Schema (every
problem, at the node's position, with a did-you-mean for misspelt keys), then
times, rates and sizes are parsed and paths resolved relative to the recipe.
"""

from __future__ import annotations

import difflib
import glob
import os
import re
from typing import Any

from editspec.errors import RecipeError, RecipeErrors
from editspec.ir import ClipPool, CutRule, Music, Output, Recipe, Span
from editspec.recipe.from_yaml import Marks
from editspec.timecode import parse_fps, parse_time

DEFAULT_SIZE = (1080, 1920)
DEFAULT_FPS = 30
DEFAULT_DURATION_S = 30.0
DEFAULT_EVERY = "2 beats"
_EVERY_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(beat|beats|bar|bars)\s*$")


def compile_recipe(data: Any, marks: Marks, path: str, *, base_dir: str | None = None,
                   check_files: bool = True) -> Recipe:
    """Validate recipe data and build the IR.

    Parameters
    ----------
    data : Any
        The parsed document.
    marks : Marks
        Node positions, for error messages.
    path : str
        The recipe file (absolute) or a name.
    base_dir : str, optional
        Folder that relative paths resolve against (default: the recipe's folder).
    check_files : bool
        Check that files exist and globs match.

    Returns
    -------
    Recipe

    Raises
    ------
    RecipeErrors
        Every problem found.
    """
    errors = validate_schema(data, marks)
    if errors:
        # Keep going on the parts the schema accepted, so every problem is reported at once.
        _check_files(data, marks, path, base_dir, errors)
        raise RecipeErrors(errors)
    base = base_dir if base_dir is not None else os.path.dirname(os.path.abspath(path))

    def span(p: tuple[Any, ...]) -> Span:
        line, col = marks.at(p)
        return Span(path, line, col)

    def time_at(p: tuple[Any, ...], value: Any, default: float) -> float:
        if value is None:
            return default
        try:
            return parse_time(value)
        except ValueError as exc:
            errors.append(marks.error(p, str(exc)))
            return default

    out = data.get("output", {})
    width, height = DEFAULT_SIZE
    if "size" in out:
        width, height = (int(v) for v in out["size"].split("x"))
        if width % 2 or height % 2 or width < 16 or height < 16:
            errors.append(marks.error(("output", "size"),
                                      f"size {out['size']} must have even width and height >= 16",
                                      hint="H.264 needs even sizes, e.g. 1080x1920"))
    fps = parse_fps(DEFAULT_FPS)
    if "fps" in out:
        try:
            fps = parse_fps(out["fps"])
        except ValueError as exc:
            errors.append(marks.error(("output", "fps"), str(exc)))
    duration: float | None = DEFAULT_DURATION_S
    if out.get("duration") == "song":
        duration = None
    elif "duration" in out:
        duration = time_at(("output", "duration"), out["duration"], DEFAULT_DURATION_S)
        if duration <= 0:
            errors.append(marks.error(("output", "duration"), "duration must be > 0"))
    output = Output(width, height, fps, duration, span(("output",)))

    mus = data["music"]
    music_path = _resolve(base, mus["file"])
    if check_files and not os.path.isfile(music_path):
        errors.append(marks.error(("music", "file"), f"music file {mus['file']!r} does not exist",
                                  hint=f"paths are relative to {base}"))
    music = Music(
        path=music_path,
        start_s=time_at(("music", "start"), mus.get("start"), 0.0),
        fade_in_s=time_at(("music", "fade_in"), mus.get("fade_in"), 0.0),
        fade_out_s=time_at(("music", "fade_out"), mus.get("fade_out"), 1.0),
        span=span(("music",)),
    )

    pools = []
    for i, pattern in enumerate(data["clips"]):
        paths = _glob(base, pattern)
        if check_files and not paths:
            kind = "glob" if glob.has_magic(pattern) else "file"
            errors.append(marks.error(("clips", i), f"clip {kind} {pattern!r} matches no file",
                                      hint=f"paths are relative to {base}"))
        pools.append(ClipPool(pattern, paths, span(("clips", i))))

    cuts_data = data.get("cuts", {})
    m = _EVERY_RE.match(cuts_data.get("every", DEFAULT_EVERY))
    assert m is not None  # the schema's pattern guarantees it
    every = float(m.group(1))
    if every <= 0:
        errors.append(marks.error(("cuts", "every"), "cuts.every must be > 0"))
    cuts = CutRule(every=every, unit=m.group(2).rstrip("s"),
                   min_shot_s=time_at(("cuts", "min_shot"), cuts_data.get("min_shot"), 0.0),
                   span=span(("cuts",)))
    if errors:
        raise RecipeErrors(errors)
    return Recipe(version=data["version"], path=path, output=output, music=music,
                  clips=tuple(pools), cuts=cuts, seed=int(data.get("seed", 0)))


def _check_files(data: Any, marks: Marks, path: str, base_dir: str | None,
                 errors: list[RecipeError]) -> None:
    """Add missing-file problems of a document that failed the schema (where its shape allows)."""
    if not isinstance(data, dict):
        return
    base = base_dir if base_dir is not None else os.path.dirname(os.path.abspath(path))
    music = data.get("music")
    if isinstance(music, dict) and isinstance(music.get("file"), str) and music["file"]:
        if not os.path.isfile(_resolve(base, music["file"])):
            errors.append(marks.error(("music", "file"),
                                      f"music file {music['file']!r} does not exist",
                                      hint=f"paths are relative to {base}"))
    clips = data.get("clips")
    if isinstance(clips, list):
        for i, pattern in enumerate(clips):
            if isinstance(pattern, str) and pattern and not _glob(base, pattern):
                kind = "glob" if glob.has_magic(pattern) else "file"
                errors.append(marks.error(("clips", i), f"clip {kind} {pattern!r} matches no file",
                                          hint=f"paths are relative to {base}"))


def _glob(base: str, pattern: str) -> tuple[str, ...]:
    full = _resolve(base, pattern)
    return tuple(sorted(os.path.abspath(p) for p in glob.glob(full, recursive=True)
                        if os.path.isfile(p)))


def _resolve(base: str, rel: str) -> str:
    return os.path.normpath(os.path.join(base, os.path.expanduser(rel)))


def validate_schema(data: Any, marks: Marks) -> list[RecipeError]:
    """Check data against the recipe schema and return every problem, located.

    Parameters
    ----------
    data : Any
        The parsed document.
    marks : Marks
        Node positions.

    Returns
    -------
    list of RecipeError
        Empty when the document is valid.
    """
    import jsonschema

    from editspec.recipe import recipe_schema

    schema = recipe_schema()
    validator = jsonschema.Draft202012Validator(schema)
    if not isinstance(data, dict):
        return [marks.error((), "a recipe is a mapping of keys such as version, music, clips",
                            hint="start with `version: 1`")]
    errors: list[RecipeError] = []
    for err in validator.iter_errors(data):
        errors.extend(_explain(err, marks, schema))
    return errors


def _explain(err: Any, marks: Marks, schema: dict[str, Any]) -> list[RecipeError]:
    path = tuple(err.absolute_path)
    where = ".".join(str(p) for p in path) or "recipe"
    if err.validator == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        out = []
        for key in err.instance:
            if key in allowed:
                continue
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(allowed)}"
            out.append(marks.error((*path, key), f"unknown key {key!r} in {where}", key=True,
                                   hint=hint))
        return out
    if err.validator == "required":
        return [marks.error(path, f"{where}: {err.message}")]
    if err.validator in ("oneOf", "anyOf") and err.context:
        # Report the most specific branch that failed, with the property's description.
        desc = err.schema.get("description") or _description_at(schema, path)
        value = err.instance
        return [marks.error(path, f"{where}: {value!r} is not valid",
                            hint=desc.rstrip(".") if desc else None)]
    if err.validator == "pattern":
        desc = err.schema.get("description") or _description_at(schema, path)
        return [marks.error(path, f"{where}: {err.instance!r} is not valid",
                            hint=desc.rstrip(".") if desc else None)]
    if err.validator == "const":
        return [marks.error(path, f"{where}: must be {err.validator_value!r}, not {err.instance!r}")]
    return [marks.error(path, f"{where}: {err.message}")]


def _description_at(schema: dict[str, Any], path: tuple[Any, ...]) -> str | None:
    node: Any = schema
    for part in path:
        if isinstance(part, int):
            node = node.get("items", {})
        else:
            node = node.get("properties", {}).get(part, {})
    return node.get("description") if isinstance(node, dict) else None
