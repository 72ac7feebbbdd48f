"""schema.json: valid draft 2020-12, a description on every property, docs in sync."""

import json
import os

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


def test_example_brand_kit_is_a_partial_recipe():
    from editspec.recipe.from_yaml import parse_yaml

    with open(os.path.join(ROOT, "examples", "brand", "kit.yaml"), encoding="utf-8") as fh:
        kit, _ = parse_yaml(fh.read(), "kit.yaml")  # YAML 1.2 scalars: 9:16 stays text
    schema = dict(recipe_schema(), required=["version"])
    jsonschema.Draft202012Validator(schema).validate(json.loads(json.dumps(kit)))
