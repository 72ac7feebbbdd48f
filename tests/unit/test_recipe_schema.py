"""schema.json: valid draft 2020-12, a description on every property, docs in sync."""

import json
import os
import shutil

import jsonschema

from editspec.recipe import recipe_schema
from editspec.recipe.docs import render_docs

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def _walk(node, path):
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            yield f"{path}.{name}", sub
            yield from _walk(sub, f"{path}.{name}")
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                yield from _walk(node[key], f"{path}[{key}]")
        for key in ("anyOf", "oneOf"):
            for i, sub in enumerate(node.get(key, [])):
                yield from _walk(sub, f"{path}<{key}{i}>")


def test_schema_is_valid_2020_12():
    schema = recipe_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_every_property_has_a_description():
    schema = recipe_schema()
    props = list(_walk(schema, "recipe"))
    for name, d in schema["$defs"].items():
        assert d.get("description"), name
        props += list(_walk(d, f"$defs.{name}"))
    assert len(props) > 80
    missing = [p for p, sub in props if not sub.get("description")]
    assert missing == []


def test_docs_are_generated_from_the_schema():
    with open(os.path.join(ROOT, "docs", "recipes.md"), encoding="utf-8") as fh:
        committed = fh.read()
    assert committed == render_docs(recipe_schema()), \
        "docs/recipes.md is out of date: run python -m editspec.recipe.docs"


def test_example_brand_kit_is_a_partial_recipe(tmp_path):
    """The kit passes the schema (less `music`/`clips`), which does reject a broken kit,
    and a recipe that extends it gets the kit's settings."""
    from editspec.media import run_ffmpeg
    from editspec.recipe import load_recipe
    from editspec.recipe.from_yaml import parse_yaml

    kit_path = os.path.join(ROOT, "examples", "brand", "kit.yaml")
    with open(kit_path, encoding="utf-8") as fh:
        kit, _ = parse_yaml(fh.read(), "kit.yaml")  # YAML 1.2 scalars: 9:16 stays text
    kit = json.loads(json.dumps(kit))
    validator = jsonschema.Draft202012Validator(dict(recipe_schema(), required=["version"]))
    assert [e.message for e in validator.iter_errors(kit)] == []
    broken = json.loads(json.dumps(kit))
    broken["brand"]["colours"] = broken["brand"].pop("colors")
    broken["output"]["fps"] = "fast"
    assert sorted(e.json_path for e in validator.iter_errors(broken)) == ["$.brand",
                                                                        "$.output.fps"]

    (tmp_path / "brand").mkdir()
    shutil.copy(kit_path, tmp_path / "brand" / "kit.yaml")
    run_ffmpeg(["-y", "-f", "lavfi", "-i", "color=red:s=16x16", "-frames:v", "1",
                str(tmp_path / "brand" / "logo.png")], "logo")
    (tmp_path / "song.ogg").write_bytes(b"x")
    (tmp_path / "a.mp4").write_bytes(b"x")
    (tmp_path / "r.yaml").write_text("version: 1\nextends: brand/kit.yaml\n"
                                     "music: {file: song.ogg}\nclips: [a.mp4]\n"
                                     "output: {duration: 10s}\n")
    r = load_recipe(str(tmp_path / "r.yaml"))
    assert (r.output.width, r.output.height, r.output.fps) == (1080, 1920, 30)
    assert r.output.duration_s == 10.0  # the recipe's own key, merged into the kit's output
    assert r.brand.name == "Northwind"
    assert dict(r.brand.colors)["sun"] == "#fee715"
    # the logo, relative to the kit that names it, drawn over the whole edit
    assert [o.image for o in r.overlays if o.kind == "image"] == [
        str(tmp_path / "brand" / "logo.png")]
