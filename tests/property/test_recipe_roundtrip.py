"""Hypothesis: recipes go DSL → YAML → DSL (and data → DSL → data) to an equal IR.

Two generators: valid recipe documents built from the schema's vocabulary (which must
also compile to the same IR from either syntax), and arbitrary documents of any shape
(keys, unicode text, numbers, nesting) that the printer must write losslessly.
"""

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from editspec.errors import RecipeErrors
from editspec.recipe import loads_recipe
from editspec.recipe.dsl_print import data_to_dsl, data_to_yaml
from editspec.recipe.from_dsl import _parser, parse_dsl
from editspec.recipe.from_yaml import parse_yaml

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

times = st.one_of(st.integers(0, 600),
                  st.sampled_from(["0s", "1.5s", "500ms", "2m", "1:30", "20s"]))
measures = st.sampled_from(["beat", "2 beats", "1 bar", "2 bars", "half-beat", "1 phrase",
                            "section", "4 bars"])
sections = st.sampled_from(["intro", "verse", "chorus", "outro", "A"])
energy = st.floats(0, 1, allow_nan=False).map(lambda x: round(x, 3))
text = st.text(string.ascii_letters + string.digits + " {}!€é\"\\#,;[]\n\t", max_size=30)
words = st.text(string.ascii_lowercase + "-_", min_size=1, max_size=12)


def _opt(d):
    return st.fixed_dictionaries({}, optional=d)


rules = st.lists(_opt({"energy_above": energy, "section": st.one_of(sections, st.lists(
    sections, min_size=1, max_size=3))}).map(lambda r: {"every": "1 bar", **r}), min_size=1,
    max_size=4)
cuts = st.one_of(
    _opt({"every": measures, "min_shot": st.sampled_from(["0.2s", "0.25s", 0.1])}),
    st.fixed_dictionaries({"pattern": st.sampled_from(["every-beat", "every-bar", "energy-map",
                                                       "build-up-and-drop", "phrase", "calm"])}),
    st.fixed_dictionaries({"rules": rules}, optional={"snap_to_downbeat": st.booleans(),
                                                      "phrase_bars": st.sampled_from([4, 8])}))
pools = st.one_of(st.just("clips/*.mp4"), st.fixed_dictionaries(
    {"files": st.sampled_from(["clips/a.mp4", ["clips/*.mp4"]])},
    optional={"tags": st.lists(words, max_size=3), "weight": st.integers(1, 5),
              "hero": st.booleans(), "audio": st.booleans(), "in": st.just("1s")}))
overlays = st.one_of(
    st.fixed_dictionaries({"text": text}, optional={
        "position": st.sampled_from(["top", "bottom", "center"]), "size": st.integers(10, 99),
        "color": st.sampled_from(["white", "#ff0040"]), "start": st.just("1s"),
        "section": sections}),
    st.fixed_dictionaries({"image": st.just("logo.png")}, optional={
        "scale": st.floats(0.05, 1, allow_nan=False).map(lambda x: round(x, 2)),
        "opacity": st.just(0.5)}))
transitions = st.fixed_dictionaries(
    {"type": st.sampled_from(["cut", "crossfade", "dip-to-black", "dip-to-white", "flash"])},
    optional={"length": st.sampled_from(["0.5s", 0.25, "100ms"]),
              "when": st.one_of(st.sampled_from(["section-change", "every-cut", "downbeat"]),
                                measures)})
recipes = st.fixed_dictionaries(
    {"version": st.just(1), "music": _opt({"start": times, "fade_out": times,
                                           "gain": st.sampled_from([-3, "-6dB", 0])}
                                          ).map(lambda m: {"file": "song.ogg", **m}),
     "clips": st.lists(pools, min_size=1, max_size=3)},
    optional={"seed": st.integers(0, 2**32 - 1),
              "output": _opt({"size": st.sampled_from(["9:16", "1:1", "4:5", "16:9", "640x360"]),
                              "fps": st.sampled_from([24, 30, "30000/1001", 59.94]),
                              "duration": st.one_of(times.filter(lambda t: t not in (0, "0s")),
                                                    st.just("song"), sections)}),
              "cuts": cuts,
              "energy": _opt({"density": st.booleans(), "zoom_pulse": st.just(0.05),
                              "speed_ramps": st.booleans()}),
              "transitions": st.lists(transitions, max_size=3),
              "overlays": st.lists(overlays, max_size=3),
              "intro": st.just({"file": "clips/a.mp4", "duration": "1s"})})

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                    st.floats(allow_nan=False), st.text(max_size=12))
anything = st.recursive(scalars, lambda c: st.one_of(
    st.lists(c, max_size=4), st.dictionaries(st.text(min_size=1, max_size=8), c, max_size=4)),
    max_leaves=20)
documents = st.dictionaries(
    st.one_of(st.sampled_from(["version", "clips", "cuts", "music", "transitions", "overlays",
                               "variables", "output", "brand", "intro", "every", "text"]),
              st.text(min_size=1, max_size=8)), anything, min_size=1, max_size=6)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    d = tmp_path_factory.mktemp("media")
    (d / "clips").mkdir()
    for name in ("clips/a.mp4", "clips/b.mp4", "song.ogg", "logo.png"):
        (d / name).write_bytes(b"x")
    return d


def _strip_path(r):
    import dataclasses

    return dataclasses.replace(r, path="<recipe>")


@SETTINGS
@given(recipes)
def test_valid_recipes_dsl_yaml_dsl_equal_ir(folder, doc):
    dsl = data_to_dsl(doc)
    data1, _ = parse_dsl(dsl, "a.edit")
    assert data1 == doc
    yaml_text = data_to_yaml(data1)
    data2, _ = parse_yaml(yaml_text, "b.yaml")
    assert data2 == doc
    assert parse_dsl(data_to_dsl(data2), "c.edit")[0] == doc
    try:
        ir_dsl = loads_recipe(dsl, str(folder), syntax="dsl")
    except RecipeErrors as exc:  # some combinations are semantically wrong: same errors
        with pytest.raises(RecipeErrors) as other:
            loads_recipe(yaml_text, str(folder))
        assert [e.message for e in other.value.errors] == [e.message for e in exc.errors]
        return
    ir_yaml = loads_recipe(yaml_text, str(folder))
    ir_back = loads_recipe(data_to_dsl(data2), str(folder), syntax="dsl")
    assert _strip_path(ir_dsl) == _strip_path(ir_yaml) == _strip_path(ir_back)


def _equal(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (a != a and b != b)
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_equal, a, b))
    return type(a) is type(b) and a == b


@SETTINGS
@given(documents)
def test_any_document_prints_to_dsl_losslessly(doc):
    text = data_to_dsl(doc)
    back, _ = parse_dsl(text, "x.edit")
    assert _equal(back, doc), text


@settings(max_examples=200, deadline=None)
@given(from_lark(_parser(), start="start"))
def test_grammar_sentences_parse_or_fail_cleanly(text):
    try:
        data, _ = parse_dsl(text, "g.edit")
    except RecipeErrors:
        return
    again, _ = parse_dsl(data_to_dsl(data), "h.edit")
    assert _equal(again, data)
