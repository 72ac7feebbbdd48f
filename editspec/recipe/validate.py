"""Schema validation of recipe data: every problem, located, with a hint that teaches.

The document is checked against ``schema.json`` (draft 2020-12) with jsonschema; each
error's ``absolute_path`` is mapped to the node's mark, and for ``oneOf``/``anyOf``
the deepest sub-error is explained (as ansible-lint does). Hints name the choices,
the closest key or value (did-you-mean), or the time the user probably meant.
"""

from __future__ import annotations

from typing import Any

from editspec.errors import RecipeError
from editspec.recipe.from_yaml import Marks
from editspec.recipe.report import did_you_mean, suggest_measure, suggest_time


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

    from editspec.recipe.source import recipe_schema

    schema = recipe_schema()
    if not isinstance(data, dict):
        return [marks.error((), "a recipe is a mapping of keys such as version, music, clips",
                            hint="start with `version: 1`", code="not-a-mapping")]
    validator = jsonschema.Draft202012Validator(schema)
    errors: list[RecipeError] = []
    seen: set[tuple[Any, ...]] = set()
    for err in validator.iter_errors(data):
        for e in _explain(err, marks, schema):
            k = (e.path, e.line, e.col, e.message)
            if k not in seen:
                seen.add(k)
                errors.append(e)
    return errors


def _where(path: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for p in path:
        if isinstance(p, int):
            parts.append(f"[{p}]")
        else:
            parts.append(("." if parts else "") + str(p)[:40])
    return "".join(parts) or "recipe"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(err: Any, schema: dict[str, Any], path: tuple[Any, ...]) -> str | None:
    desc = err.schema.get("description") if isinstance(err.schema, dict) else None
    desc = desc or _description_at(schema, path)
    return desc.rstrip(".") if desc else None


def _is_time_schema(sub: Any) -> bool:
    return isinstance(sub, dict) and (sub.get("$ref") == "#/$defs/time" or any(
        isinstance(s, dict) and s.get("$ref") == "#/$defs/time"
        for s in sub.get("oneOf", []) + sub.get("anyOf", [])))


def _is_measure_schema(sub: Any) -> bool:
    return isinstance(sub, dict) and (sub.get("$ref") == "#/$defs/measure" or any(
        isinstance(s, dict) and s.get("$ref") == "#/$defs/measure"
        for s in sub.get("oneOf", []) + sub.get("anyOf", [])))


def _enums(sub: Any) -> list[str]:
    """The fixed words a (sub)schema accepts."""
    if not isinstance(sub, dict):
        return []
    out = [str(v) for v in sub.get("enum", [])]
    if "const" in sub and isinstance(sub["const"], str):
        out.append(sub["const"])
    for s in sub.get("oneOf", []) + sub.get("anyOf", []):
        out += _enums(s)
    return out


def _explain(err: Any, marks: Marks, schema: dict[str, Any]) -> list[RecipeError]:
    path = tuple(err.absolute_path)
    where = _where(path)
    if err.validator == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        out = []
        for key in err.instance:
            if key in allowed:
                continue
            close = did_you_mean(str(key), allowed)
            hint = f"did you mean {close!r}?" if close else f"allowed: {', '.join(allowed)}"
            out.append(marks.error((*path, key), f"unknown key {_short(key)} in {where}",
                                   key=True, hint=hint, code="unknown-key"))
        return out
    if err.validator == "required":
        return [marks.error(path, f"{where}: {err.message}", code="missing-key")]
    if err.validator == "const" and path == ("version",):
        return [marks.error(path, f"{where}: must be {err.validator_value!r}, not "
                                  f"{_short(err.instance)}", code="bad-version")]
    if err.validator == "const":
        return [marks.error(path, f"{where}: must be {err.validator_value!r}, not "
                                  f"{_short(err.instance)}")]
    if err.validator in ("oneOf", "anyOf", "pattern", "enum", "type", "format"):
        sub = err.schema
        value = err.instance
        hint = None
        if err.validator == "oneOf" and isinstance(value, dict) and all(
                isinstance(b, dict) and set(b) == {"required"} for b in sub.get("oneOf", [])):
            keys = [k for b in sub["oneOf"] for k in b["required"]]
            have = [k for k in keys if k in value]
            what = "both" if len(have) > 1 else "one of"
            return [marks.error(path, f"{where}: needs {'only one of' if have else what} "
                                      f"{' or '.join(repr(k) for k in keys)}",
                                hint=_describe(err, schema, path), code="missing-key")]
        if isinstance(value, str):
            words = _enums(sub) or _enums(_node_at(schema, path))
            if words:
                close = did_you_mean(value, words)
                if close:
                    hint = f"did you mean {close!r}?"
            if hint is None and (_is_time_schema(sub) or _is_time_schema(_node_at(schema, path))):
                fixed = suggest_time(value)
                if fixed:
                    hint = f"did you mean {fixed!r}? times are written 20s, 1.5s, 500ms, 2m or 1:30"
            if hint is None and (_is_measure_schema(sub)
                                 or _is_measure_schema(_node_at(schema, path))):
                fixed = suggest_measure(value)
                if fixed:
                    hint = f"did you mean {fixed!r}?"
        if err.validator == "enum" and hint is None:
            hint = "allowed: " + ", ".join(str(v) for v in err.validator_value)
        if hint is None:
            hint = _describe(err, schema, path)
        if err.validator == "type":
            want = err.validator_value
            want = " or ".join(want) if isinstance(want, list) else want
            return [marks.error(path, f"{where}: expected {_TYPE_WORDS.get(want, want)}, "
                                      f"got {_kind(value)}", hint=hint, code="wrong-type")]
        return [marks.error(path, f"{where}: {_short(value)} is not valid", hint=hint)]
    if err.validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                         "minItems", "maxItems", "minLength", "maxLength", "uniqueItems",
                         "minProperties", "maxProperties"):
        return [marks.error(path, f"{where}: {err.message[:200]}", code="out-of-range",
                            hint=_describe(err, schema, path))]
    return [marks.error(path, f"{where}: {err.message[:200]}")]


_TYPE_WORDS = {"object": "a mapping", "array": "a list", "string": "text",
               "number": "a number", "integer": "a whole number", "boolean": "true or false"}


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {_short(value)}"
    if isinstance(value, str):
        return f"the text {_short(value)}"
    return "a mapping" if isinstance(value, dict) else "a list"


def _node_at(schema: dict[str, Any], path: tuple[Any, ...]) -> Any:
    node: Any = schema
    for part in path:
        if not isinstance(node, dict):
            return None
        node = _deref(schema, node)
        if isinstance(part, int):
            node = node.get("items", {})
        else:
            props = node.get("properties", {})
            if part in props:
                node = props[part]
            else:
                extra = node.get("additionalProperties")
                node = extra if isinstance(extra, dict) else {}
    return _deref(schema, node) if isinstance(node, dict) else node


def _deref(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = schema.get("$defs", {}).get(ref.split("/")[-1], {})
        merged = dict(target)
        merged.update({k: v for k, v in node.items() if k != "$ref"})
        if "description" in node:
            merged["description"] = node["description"]
        merged["$ref"] = ref
        return merged
    return node


def _description_at(schema: dict[str, Any], path: tuple[Any, ...]) -> str | None:
    node = _node_at(schema, path)
    return node.get("description") if isinstance(node, dict) else None
