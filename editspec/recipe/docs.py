"""Generate ``docs/recipes.md`` from ``schema.json``: ``python -m editspec.recipe.docs``.

The schema is the single source of truth for the recipe's shape; this page is derived
from it, and a test checks that the committed page is in sync (``--check``).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

HEADER = """\
# Recipe reference

<!-- Generated from editspec/recipe/schema.json by `python -m editspec.recipe.docs`. -->

A recipe is YAML (`.yaml`, `.yml`, `.json`) or the editspec DSL (`.edit`); both read into
the same structure, checked against one JSON Schema (draft 2020-12: `editspec schema`
prints it). `editspec fmt RECIPE --to yaml|dsl` converts between them. Paths are
relative to the file that names them and stay inside the recipe's folder tree unless
`--media-root DIR` allows more; that check reads paths as written, so symlinks in the
folder (a `clips/` folder of links into a footage library) are followed. Text values
may use `{{variables}}`.

YAML editors complete and check recipes with the modeline
`# yaml-language-server: $schema=<path to editspec/recipe/schema.json>`.

The smallest recipe:

```yaml
version: 1
output: {size: 1080x1920, fps: 30, duration: 20s}
music: {file: song.ogg, start: 0s}
clips: ["clips/*.mp4"]
cuts: {every: 2 beats}
```

and in the DSL:

```
version 1
output { size 1080x1920; fps 30; duration 20s }
music "song.ogg" { start 0s }
clips "clips/*.mp4"
cuts { every 2 beats }
```

DSL sugar: `clips GLOB { options }` and `text "..." { }` / `image FILE { }` append to
`clips` and `overlays`; `every 1 beat when energy > 0.75 and energy < 0.9 in chorus`
inside `cuts { }` is a cut rule; `transition crossfade 0.5s when section-change` (or
`every 4 bars`) appends a transition; `var title string "Hello"` declares a variable;
`music FILE { }`, `intro FILE`, `outro FILE`, `logo FILE { }` set the block's `file`.
A head written as a "quoted string" takes no sugar.

"""


def _type(node: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in node:
        name = node["$ref"].split("/")[-1]
        return f"[{name}](#{name.lower()})"
    if "const" in node:
        return f"`{node['const']}`"
    if "enum" in node:
        return " \\| ".join(f"`{v}`" for v in node["enum"])
    for key in ("anyOf", "oneOf"):
        if key in node:
            return " or ".join(_type(s, defs) for s in node[key])
    t = node.get("type", "any")
    if t == "array":
        return f"list of {_type(node.get('items', {}), defs)}"
    if t == "object" and isinstance(node.get("additionalProperties"), dict):
        return f"map of name → {_type(node['additionalProperties'], defs)}"
    if isinstance(t, list):
        return " or ".join(t)
    extra = []
    for k in ("minimum", "maximum", "exclusiveMinimum", "pattern"):
        if k in node:
            extra.append(f"{k} `{node[k]}`")
    return t + (f" ({', '.join(extra)})" if extra else "")


def _table(props: dict[str, Any], required: list[str], defs: dict[str, Any],
           prefix: str) -> list[str]:
    rows = ["| key | type | description |", "|---|---|---|"]
    nested = []
    for name, node in props.items():
        req = " (required)" if name in required else ""
        typ = "mapping, see below" if node.get("type") == "object" and "properties" in node \
            else _type(node, defs)
        desc = node.get("description", "").replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `{prefix}{name}`{req} | {typ} | {desc} |")
        if node.get("type") == "object" and "properties" in node:
            nested.append((f"{prefix}{name}", node))
    out = [*rows, ""]
    for name, node in nested:
        out += [f"### `{name}`", "", node.get("description", ""), ""]
        out += _table(node["properties"], node.get("required", []), defs, f"{name}.")
    return out


def render_docs(schema: dict[str, Any]) -> str:
    """Return the Markdown reference of a recipe schema.

    Parameters
    ----------
    schema : dict
        The recipe JSON Schema.

    Returns
    -------
    str
        Markdown text.
    """
    defs = schema.get("$defs", {})
    lines = [HEADER.rstrip("\n"), "", "## Top level", "", schema.get("description", ""), ""]
    lines += _table(schema["properties"], schema.get("required", []), defs, "")
    lines += ["## Definitions", ""]
    for name, node in defs.items():
        lines += [f"### {name}", "", node.get("description", ""), ""]
        if "properties" in node:
            lines += _table(node["properties"], node.get("required", []), defs, "")
        else:
            lines += [f"Type: {_type(node, defs)}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check``, compare) ``docs/recipes.md``."""
    from editspec.fsutil import write_text_atomic
    from editspec.recipe.source import recipe_schema

    p = argparse.ArgumentParser(prog="python -m editspec.recipe.docs")
    p.add_argument("-o", "--output", default=os.path.join("docs", "recipes.md"))
    p.add_argument("--check", action="store_true", help="exit 1 when the file is out of date")
    args = p.parse_args(argv)
    text = render_docs(recipe_schema())
    if args.check:
        try:
            with open(args.output, encoding="utf-8") as fh:
                same = fh.read() == text
        except OSError:
            same = False
        if not same:
            print(f"{args.output} is out of date: run python -m editspec.recipe.docs",
                  file=sys.stderr)
        return 0 if same else 1
    write_text_atomic(args.output, text)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
