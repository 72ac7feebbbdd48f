"""Brand kits and variables: the document transformations before validation.

``extends: kit.yaml`` merges a brand kit (a partial recipe, YAML or DSL) under the
recipe: mappings merge key by key, everything else the recipe sets replaces the kit's
value. Kits may extend kits. Every merged node keeps the file and position it came
from, so an error inside a kit points into the kit.

``{{name}}`` in any text value is replaced by the variable's value: ``--set`` or a
table row, else the declared default. A text that is exactly ``{{name}}`` takes the
variable's typed value (a number stays a number). Undeclared and unfilled variables
are errors.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from editspec.errors import RecipeError, RecipeErrors
from editspec.recipe.from_yaml import Marks, Path
from editspec.recipe.report import did_you_mean

MAX_EXTENDS = 8
"""Longest chain of brand kits."""
VAR_RE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")
HEX_RE = re.compile(r"^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$")


@dataclass
class Expanded:
    """A document after kits and variables, ready for validation."""

    data: Any
    """The document."""
    marks: Marks
    """Positions of its nodes (in several files after ``extends``)."""
    values: dict[str, Any] = field(default_factory=dict)
    """Value of every declared variable that has one."""
    kits: list[str] = field(default_factory=list)
    """Brand kits merged in, outermost first."""
    errors: list[RecipeError] = field(default_factory=list)
    """Problems found so far (validation goes on to find the rest)."""


def inside_roots(path: str, roots: Sequence[str]) -> bool:
    """Return True when ``path`` lies in one of ``roots``, lexically.

    Paths are compared as written (made absolute, ``..`` folded), symlinks not resolved:
    a ``clips/`` folder of links into a footage library is the user's own choice and
    stays usable, while a written ``../x`` or an absolute path elsewhere is outside.
    """
    full = os.path.normpath(os.path.abspath(path))
    for root in roots:
        r = os.path.normpath(os.path.abspath(root))
        if full == r or full.startswith(r.rstrip(os.sep) + os.sep):
            return True
    return False


def expand_document(data: Any, marks: Marks, path: str, base: str,
                    variables: Mapping[str, Any], roots: Sequence[str]) -> Expanded:
    """Merge brand kits and fill variables.

    Parameters
    ----------
    data : Any
        The parsed recipe.
    marks : Marks
        Its node positions.
    path : str
        The recipe file (absolute) or a name.
    base : str
        The recipe's folder.
    variables : mapping of str to Any
        Given values (text from ``--set`` is converted to the declared type).
    roots : sequence of str
        Folders that files may come from.

    Returns
    -------
    Expanded
    """
    out = Expanded(data, marks)
    if not isinstance(data, dict):
        return out
    _merge_kits(out, path, base, roots, [os.path.abspath(path)])
    _fill_variables(out, variables)
    return out


# -- extends ------------------------------------------------------------------------------

def _merge_kits(out: Expanded, path: str, base: str, roots: Sequence[str],
                chain: list[str]) -> None:
    data, marks = out.data, out.marks
    ref = data.get("extends")
    if ref is None:
        return
    if not isinstance(ref, str) or not ref:
        return  # the schema reports it
    data.pop("extends")
    file, line, col = marks.pos(("extends",))
    here = os.path.dirname(os.path.abspath(file)) if os.path.isfile(file) else base
    kit = os.path.normpath(os.path.join(here, os.path.expanduser(ref)))

    def err(message: str, hint: str | None = None, code: str = "bad-extends") -> None:
        out.errors.append(RecipeError(message, file, line, col, hint=hint, code=code))

    if len(chain) > MAX_EXTENDS:
        err(f"brand kits extend each other more than {MAX_EXTENDS} deep")
        return
    if not inside_roots(kit, roots):
        err(f"brand kit {ref!r} is outside the recipe's folder",
            hint="symlink it into the recipe's folder, or pass --media-root DIR to allow "
                 "files under DIR", code="outside-root")
        return
    if kit in chain:
        err(f"brand kit {ref!r} extends itself", hint=" -> ".join(os.path.basename(c)
                                                                 for c in [*chain, kit]))
        return
    if not os.path.isfile(kit):
        err(f"brand kit {ref!r} does not exist", hint=f"paths are relative to {here}",
            code="missing-file")
        return
    from editspec.recipe.source import parse_recipe_text, read_recipe_text, syntax_of

    try:
        kdata, kmarks = parse_recipe_text(read_recipe_text(kit), kit, syntax_of(kit))
    except RecipeErrors as exc:
        out.errors.extend(exc.errors)
        return
    if not isinstance(kdata, dict):
        out.errors.append(kmarks.error((), "a brand kit is a mapping of recipe keys",
                                       code="not-a-mapping"))
        return
    inner = Expanded(kdata, kmarks)
    _merge_kits(inner, kit, os.path.dirname(kit), roots, [*chain, kit])
    out.errors.extend(inner.errors)
    out.kits[:0] = [*inner.kits, kit]
    kdata = inner.data
    kdata.pop("version", None)
    merged_marks = Marks(marks.path)
    out.data = _merge(kdata, inner.marks, data, marks, (), merged_marks)
    out.marks = merged_marks


def _copy_marks(src: Marks, path: Path, dest: Marks) -> None:
    n = len(path)
    for table, dtable in ((src.values, dest.values), (src.keys, dest.keys)):
        for p, pos in table.items():
            if p[:n] == path:
                dtable[p] = pos


def _merge(base: Any, bmarks: Marks, over: Any, omarks: Marks, path: Path, dest: Marks) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        dest.values[path] = omarks.values.get(path, bmarks.values.get(path, (omarks.path, 1, 1)))
        out: dict[str, Any] = {}
        for key in [*base, *(k for k in over if k not in base)]:
            kp = (*path, key)
            if key in over and key in base:
                dest.keys[kp] = omarks.keys.get(kp, (omarks.path, 1, 1))
                out[key] = _merge(base[key], bmarks, over[key], omarks, kp, dest)
            elif key in over:
                _copy_marks(omarks, kp, dest)
                out[key] = over[key]
            else:
                _copy_marks(bmarks, kp, dest)
                out[key] = base[key]
        return out
    _copy_marks(omarks, path, dest)
    return over


# -- variables ----------------------------------------------------------------------------

def _fill_variables(out: Expanded, given: Mapping[str, Any]) -> None:
    data, marks = out.data, out.marks
    decl = data.get("variables")
    declared: dict[str, dict[str, Any]] = {}
    if isinstance(decl, dict):
        declared = {k: v for k, v in decl.items() if isinstance(v, dict)}
    for name, raw in given.items():
        if name not in declared:
            close = did_you_mean(name, declared)
            hint = (f"did you mean {close!r}?" if close else
                    f"declared: {', '.join(declared)}" if declared else
                    f"declare it under `variables:` as {name}: {{type: string}}")
            where = ("variables",) if "variables" in data else ()
            out.errors.append(marks.error(where, f"variable {name!r} is set but not declared",
                                          key=bool(where), hint=hint, code="undeclared-variable"))
            continue
        vtype = declared[name].get("type", "string")
        try:
            out.values[name] = convert_value(raw, vtype)
        except ValueError as exc:
            out.errors.append(marks.error(("variables", name), f"variable {name!r}: {exc}",
                                          key=True, code="bad-variable"))
    for name, spec in declared.items():
        if name in out.values:
            continue
        if "default" in spec:
            try:
                out.values[name] = convert_value(spec["default"], spec.get("type", "string"))
            except ValueError as exc:
                out.errors.append(marks.error(("variables", name, "default"),
                                              f"variable {name!r}: default {exc}",
                                              code="bad-variable"))
        else:
            out.errors.append(marks.error(
                ("variables", name), f"variable {name!r} has no value", key=True,
                hint=f"set it with --set {name}=... or give it a default",
                code="unfilled-variable"))
    out.data = _substitute(data, (), marks, declared, out)


def convert_value(raw: Any, vtype: str) -> Any:
    """Return ``raw`` (text from the command line, or a YAML scalar) as ``vtype``.

    Raises
    ------
    ValueError
        When it is not a value of that type; the message names the type.
    """
    from editspec.timecode import parse_time

    if vtype in ("number", "integer"):
        if isinstance(raw, bool):
            raise ValueError(f"{raw!r} is not a {vtype}")
        try:
            num = float(raw) if vtype == "number" else int(str(raw).strip())
            if vtype == "number" and not math.isfinite(num):
                raise ValueError(num)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"{str(raw)[:60]!r} is not a{'n' if vtype[0] == 'i' else ''} "
                             f"{vtype}") from None
        if vtype == "number" and num == int(num) and abs(num) < 2**53:
            return int(num) if not isinstance(raw, float) else num
        return num
    if vtype == "boolean":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("true", "yes", "on", "1"):
            return True
        if text in ("false", "no", "off", "0"):
            return False
        raise ValueError(f"{str(raw)[:60]!r} is not true or false")
    if isinstance(raw, bool):
        raise ValueError(f"{raw!r} is not a {vtype}")
    text = str(raw)
    if vtype == "time":
        try:
            parse_time(text)
        except ValueError:
            raise ValueError(f"{text[:60]!r} is not a time like 2s or 1:30") from None
    if vtype == "color" and not HEX_RE.match(text) and not NAME_RE.match(text):
        raise ValueError(f"{text[:60]!r} is not a colour like #ff0040")
    return text


def _substitute(node: Any, path: Path, marks: Marks, declared: dict[str, Any],
                out: Expanded) -> Any:
    if isinstance(node, dict):
        if path == () and "variables" in node:
            return {k: (v if k == "variables" else
                        _substitute(v, (k,), marks, declared, out)) for k, v in node.items()}
        return {k: _substitute(v, (*path, k), marks, declared, out) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, (*path, i), marks, declared, out) for i, v in enumerate(node)]
    if not isinstance(node, str) or "{{" not in node:
        return node
    whole = VAR_RE.fullmatch(node.strip())

    def value_of(name: str) -> Any:
        if name in out.values:
            return out.values[name]
        if name not in declared:
            close = did_you_mean(name, declared)
            hint = (f"did you mean {close!r}?" if close else
                    f"declare it under `variables:` as {name}: {{type: string}}")
            out.errors.append(marks.error(path, f"variable {name[:40]!r} is not declared",
                                          hint=hint, code="undeclared-variable"))
        return None

    if whole:
        value = value_of(whole.group(1))
        return node if value is None else value

    def repl(m: re.Match[str]) -> str:
        value = value_of(m.group(1))
        if value is None:
            return m.group(0)
        return str(value).lower() if isinstance(value, bool) else str(value)

    return VAR_RE.sub(repl, node)
