"""Recipe data → DSL text or YAML text, for ``editspec fmt``.

:func:`data_to_dsl` is the inverse of :func:`editspec.recipe.from_dsl.parse_dsl`: it
writes the sugar forms where the data fits them exactly and the plain ``key value``
form otherwise (a "quoted" head takes no sugar), so ``parse_dsl(data_to_dsl(d)) == d``
for every document the YAML front end can produce.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from editspec.recipe.dsl_meaning import UNITS, classify

_WORD_RE = re.compile(r'^[^\s"\[\]{},;#]+$')
_KEY_RE = re.compile(r'^[A-Za-z_$][A-Za-z0-9_$-]*$')
_MEASURE_RE = re.compile(r"^([0-9]+(?:\.[0-9]+)?) (" + "|".join(UNITS) + r")$")
KEYWORDS = frozenset({"when", "every", "in", "and", "energy"})
INDENT = "  "


def fmt_scalar(value: Any) -> str:
    """Return a scalar as DSL text that reads back as the same value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        return text if classify(text) == value else json.dumps(text)
    text = str(value)
    if _WORD_RE.fullmatch(text) and text not in KEYWORDS and classify(text) == text \
            and isinstance(classify(text), str):
        return text
    return json.dumps(text, ensure_ascii=False)


def _key(key: str) -> str:
    return key if _KEY_RE.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def _raw_key(key: str) -> str:
    """A key written "quoted": it takes no sugar when read back."""
    return json.dumps(key, ensure_ascii=False)


def fmt_value(value: Any, depth: int) -> str:
    """Return any value in the plain form: scalar, ``[list]`` or ``{ block }``."""
    if isinstance(value, dict):
        return _block(value, depth)
    if isinstance(value, list):
        return "[" + ", ".join(fmt_value(v, depth + 1) for v in value) + "]"
    return fmt_scalar(value)


def _block(mapping: dict[str, Any], depth: int, ctx: str = "") -> str:
    if not mapping:
        return "{}"
    lines = _stmts(mapping, depth + 1, ctx)
    pad = INDENT * depth
    return "{\n" + "\n".join(lines) + "\n" + pad + "}"


def _stmts(mapping: dict[str, Any], depth: int, ctx: str) -> list[str]:
    pad = INDENT * depth
    out = []
    for key, value in mapping.items():
        if ctx == "cuts" and key in ("every", "rules"):
            rules = _cut_rule_lines(key, value, mapping)
            if rules is not None:
                out += [pad + line for line in rules]
                continue
        out.append(f"{pad}{_plain_key(key, value, ctx)} {fmt_value(value, depth)}")
    return out


def _plain_key(key: str, value: Any, ctx: str) -> str:
    """Quote keys that would otherwise be read as sugar."""
    sugar = {"every"} if ctx == "cuts" else set()
    if ctx == "" and key in ("music", "intro", "outro", "logo"):
        sugar.add(key)
    if key in ("music", "intro", "outro", "logo") and isinstance(value, str):
        sugar.add(key)
    if isinstance(value, str) and _MEASURE_RE.fullmatch(value):
        return _raw_key(key) if key in sugar else _key(key)
    return _raw_key(key) if key in sugar else _key(key)


def _measure(text: Any) -> str | None:
    if isinstance(text, str) and (_MEASURE_RE.fullmatch(text) or text in UNITS):
        return text
    return None


def _rule_line(rule: Any) -> str | None:
    if not isinstance(rule, dict) or set(rule) - {"every", "energy_above", "energy_below",
                                                   "section"} or "every" not in rule:
        return None
    every = _measure(rule["every"])
    if every is None:
        if not isinstance(rule["every"], str):
            return None
        every = json.dumps(rule["every"], ensure_ascii=False)
    line = f"every {every}"
    cond = []
    for key, op in (("energy_above", ">"), ("energy_below", "<")):
        if key in rule:
            v = rule[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                return None
            cond.append(f"energy {op} {fmt_scalar(v)}")
    if cond:
        line += " when " + " and ".join(cond)
    if "section" in rule:
        line += " in " + fmt_value(rule["section"], 0)
    if list(rule) != [k for k in ("every", "energy_above", "energy_below", "section")
                      if k in rule]:
        return None  # key order would not survive
    return line


def _cut_rule_lines(key: str, value: Any, cuts: dict[str, Any]) -> list[str] | None:
    if key == "every":
        if "rules" in cuts:
            return None
        line = _rule_line({"every": value})
        return [line] if line is not None and _measure(value) else None
    if not isinstance(value, list) or not value:
        return None
    if len(value) == 1 and list(value[0]) == ["every"] if isinstance(value[0], dict) else False:
        return None  # one plain rule reads back as the `every` shorthand
    lines = [_rule_line(r) for r in value]
    if any(line is None for line in lines) or "every" in cuts:
        return None
    return [line for line in lines if line is not None]


def _primary_stmt(head: str, field: str, item: Any, depth: int, ctx: str) -> str | None:
    """``head VALUE [{ rest }]`` for a mapping whose first key is ``field``."""
    if not isinstance(item, dict) or not item or next(iter(item)) != field:
        return None
    first = item[field]
    if isinstance(first, (dict, list)):
        return None
    rest = {k: v for k, v in item.items() if k != field}
    text = f"{head} {fmt_scalar(first)}"
    if head in ("transition",) and fmt_scalar(first) in KEYWORDS:
        return None
    if rest:
        text += " " + _block(rest, depth, ctx)
    elif head in ("clips",):
        text += " {}"
    return text


def _transition_stmt(t: Any, depth: int) -> str | None:
    if not isinstance(t, dict) or "type" not in t or next(iter(t)) != "type":
        return None
    order = [k for k in ("type", "length", "when") if k in t]
    if list(t) != order or isinstance(t["type"], (dict, list)):
        return None
    parts = ["transition", fmt_scalar(t["type"])]
    if fmt_scalar(t["type"]) in KEYWORDS or (fmt_scalar(t["type"]).startswith('"') and \
            t["type"] in ("when", "every")):
        return None
    if "length" in t:
        if isinstance(t["length"], (dict, list)) or t["length"] in ("when", "every"):
            return None
        parts.append(fmt_scalar(t["length"]))
    if "when" in t:
        w = t["when"]
        if isinstance(w, (dict, list)):
            return None
        if (isinstance(w, str) and _MEASURE_RE.fullmatch(w)) or (isinstance(w, str) and w in UNITS):
            parts += ["every", w]
        else:
            parts += ["when", fmt_scalar(w)]
    return " ".join(parts)


def _var_stmt(name: str, spec: Any, depth: int) -> str | None:
    if not isinstance(spec, dict) or not _KEY_RE.fullmatch(name) or name in KEYWORDS:
        return None
    if list(spec)[:1] != ["type"] or not isinstance(spec["type"], str) or \
            not _WORD_RE.fullmatch(spec["type"]) or classify(spec["type"]) != spec["type"]:
        return None
    order = [k for k in ("type", "default") if k in spec]
    if list(spec)[: len(order)] != order:
        return None
    text = f"var {name} {spec['type']}"
    if "default" in spec:
        if isinstance(spec["default"], (dict, list)):
            return None
        text += " " + fmt_scalar(spec["default"])
    rest = {k: v for k, v in spec.items() if k not in ("type", "default")}
    if rest:
        text += " " + _block(rest, depth)
    return text


def data_to_dsl(data: Any, comments: dict[str | None, list[str]] | None = None) -> str:
    """Return recipe data as DSL text.

    Parameters
    ----------
    data : Any
        A recipe document (dicts, lists, scalars), as either front end gives it.
    comments : dict, optional
        Comment lines to print before each top-level key's statements (None: at the end),
        as :func:`editspec.recipe.comments.recipe_comments` gives them.

    Returns
    -------
    str
        DSL text that :func:`editspec.recipe.from_dsl.parse_dsl` reads back as ``data``.
    """
    if not isinstance(data, dict):
        return f'"recipe" {fmt_value(data, 0)}\n'
    comments = comments or {}
    lines: list[str] = []
    for key, value in data.items():
        lines += comments.get(key, [])
        lines += _top_stmt(key, value)
    lines += comments.get(None, [])
    return "\n".join(lines) + "\n"


def _top_stmt(key: str, value: Any) -> list[str]:
    plain = [f"{_raw_key(key)} {fmt_value(value, 0)}"]
    if key == "clips" and isinstance(value, list) and value:
        out = []
        for item in value:
            if isinstance(item, dict):
                out.append(_primary_stmt("clips", "files", item, 0, "clips")
                           or f"clips {_block(item, 0)}")
            elif isinstance(item, list):
                out.append(f"clips [{fmt_value(item, 1)}]")
            else:
                out.append(f"clips {fmt_scalar(item)}")
        return out
    if key == "transitions" and isinstance(value, list) and value:
        out = []
        for t in value:
            out.append(_transition_stmt(t, 0) or f"transitions [{fmt_value(t, 1)}]")
        return out
    if key == "overlays" and isinstance(value, list) and value:
        out = []
        for o in value:
            stmt = None
            if isinstance(o, dict) and o:
                head = next(iter(o))
                if head in ("text", "image"):
                    stmt = _primary_stmt(head, head, o, 0, "overlay")
            out.append(stmt or f"overlays [{fmt_value(o, 1)}]")
        return out
    if key == "variables" and isinstance(value, dict) and value:
        out = []
        for name, spec in value.items():
            stmt = _var_stmt(name, spec, 0)
            out.append(stmt or f"variables {{ {_key(name)} {fmt_value(spec, 1)} }}")
        return out
    if key in ("music", "intro", "outro") and isinstance(value, dict):
        stmt = _primary_stmt(key, "file", value, 0, key)
        return [stmt] if stmt else plain
    if key == "cuts" and isinstance(value, dict):
        if value and next(iter(value)) == "pattern" and isinstance(value["pattern"], str):
            rest = {k: v for k, v in value.items() if k != "pattern"}
            head = f"cuts {fmt_scalar(value['pattern'])}"
            if fmt_scalar(value["pattern"]).startswith("{"):
                return plain
            return [head + (" " + _block(rest, 0, "cuts") if rest else "")]
        return [f"cuts {_block(value, 0, 'cuts')}"]
    if key == "brand" and isinstance(value, dict):
        return [f"brand {_block(value, 0, 'brand')}"]
    if key in ("clips", "transitions", "overlays", "variables", "var", "text", "image",
               "transition", "clip", "music", "intro", "outro", "cuts", "logo"):
        return plain
    return [f"{_key(key)} {fmt_value(value, 0)}"]


def data_to_yaml(data: Any, comments: dict[str | None, list[str]] | None = None) -> str:
    """Return recipe data as YAML text (block style, keys in recipe order).

    ``comments`` are printed before each top-level key, as for :func:`data_to_dsl`.
    """
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    from editspec.recipe.from_yaml import _Loader

    reader = _Loader("")  # the recipe loader's resolver: "0E0" reads as a number there

    def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = '"' if any(ch in value for ch in "\n\r\t") or value != value.strip() else None
        if style is None and reader.resolve(yaml.ScalarNode, value, (True, False)) != \
                "tag:yaml.org,2002:str":
            style = "'"
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Dumper.add_representer(str, _str)

    def dump(doc: Any) -> str:
        return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                         default_flow_style=None, width=100)

    if not comments or not isinstance(data, dict) or not data:
        return dump(data)

    class _Top(dict):  # type: ignore[type-arg]
        pass

    _Dumper.add_representer(_Top, lambda d, v: d.represent_mapping(
        "tag:yaml.org,2002:map", v.items(), flow_style=False))
    lines = dump(_Top(data)).splitlines(keepends=True)
    # a top-level key starts a line at column 0; its value's lines are indented or "- "
    starts = [i for i, line in enumerate(lines) if line[:1] not in (" ", "-", "\n", "")]
    if len(starts) != len(data):  # not as expected: the values, without the comments
        return dump(data)
    parts = []
    for n, key in enumerate(data):
        parts += [c + "\n" for c in comments.get(key, [])]
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        parts += lines[starts[n]:end]
    parts += [c + "\n" for c in comments.get(None, [])]
    return "".join(parts)
