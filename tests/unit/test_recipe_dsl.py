"""The DSL front end: same data and IR as YAML, syntax errors with positions, fmt."""

import textwrap

import pytest

from editspec.errors import RecipeErrors
from editspec.recipe import load_recipe, loads_recipe
from editspec.recipe.dsl_print import data_to_dsl, data_to_yaml
from editspec.recipe.from_dsl import grammar_text, parse_dsl
from editspec.recipe.from_yaml import parse_yaml

FULL_DSL = """\
# every kind of statement
version 1
seed 7
var title string "Hello"
var price number 9.99 { description "shown in the corner" }
output { size 9:16; fps 30000/1001; duration 20s }
music "song.ogg" {
  start chorus
  fade_out 1.5s
  gain -3dB
}
clips "clips/*.mp4"
clips "clips/a.mp4" { hero true; in 1s; tags [product, close-up] }
cuts {
  every 1 beat when energy > 0.75 in chorus
  every half-beat when energy > 0.9 and energy < 1
  every 2 bars
  min_shot 0.5s
  snap_to_downbeat true
}
energy { density true; zoom_pulse 0.05 }
transition crossfade 0.5s when section-change
transition flash 0.1s every 4 bars
text "{{title}}" { start 0s; end 3s; position bottom }
image "logo.png" { scale 0.1 }
"""

FULL_DATA = {
    "version": 1, "seed": 7,
    "variables": {"title": {"type": "string", "default": "Hello"},
                  "price": {"type": "number", "default": 9.99,
                            "description": "shown in the corner"}},
    "output": {"size": "9:16", "fps": "30000/1001", "duration": "20s"},
    "music": {"file": "song.ogg", "start": "chorus", "fade_out": "1.5s", "gain": "-3dB"},
    "clips": ["clips/*.mp4", {"files": "clips/a.mp4", "hero": True, "in": "1s",
                              "tags": ["product", "close-up"]}],
    "cuts": {"min_shot": "0.5s", "snap_to_downbeat": True, "rules": [
        {"every": "1 beat", "energy_above": 0.75, "section": "chorus"},
        {"every": "half-beat", "energy_above": 0.9, "energy_below": 1},
        {"every": "2 bars"}]},
    "energy": {"density": True, "zoom_pulse": 0.05},
    "transitions": [{"type": "crossfade", "length": "0.5s", "when": "section-change"},
                    {"type": "flash", "length": "0.1s", "when": "4 bars"}],
    "overlays": [{"text": "{{title}}", "start": "0s", "end": "3s", "position": "bottom"},
                 {"image": "logo.png", "scale": 0.1}],
}


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "clips").mkdir()
    for name in ("a.mp4", "b.mp4"):
        (tmp_path / "clips" / name).write_bytes(b"x")
    for name in ("song.ogg", "logo.png"):
        (tmp_path / name).write_bytes(b"x")
    return tmp_path


def test_grammar_ships_in_the_package():
    assert "stmt: head arg*" in grammar_text()


def test_dsl_reads_as_the_yaml_structure():
    data, marks = parse_dsl(FULL_DSL, "r.edit")
    assert data == FULL_DATA
    assert marks.pos(("cuts", "rules", 1, "energy_below")) == ("r.edit", 16, 50)
    assert marks.pos(("overlays", 0, "end")) == ("r.edit", 24, 34)


def test_printer_round_trips_both_ways():
    text = data_to_dsl(FULL_DATA)
    assert parse_dsl(text, "x")[0] == FULL_DATA
    assert parse_yaml(data_to_yaml(FULL_DATA), "y")[0] == FULL_DATA


def test_smallest_recipe_in_the_dsl_equals_the_yaml(folder):
    dsl = loads_recipe(textwrap.dedent("""\
        version 1
        output { size 1080x1920; fps 30; duration 20s }
        music "song.ogg" { start 0s }
        clips "clips/*.mp4"
        cuts { every 2 beats }
        """), str(folder), syntax="dsl")
    yaml = loads_recipe(textwrap.dedent("""\
        version: 1
        output: {size: 1080x1920, fps: 30, duration: 20s}
        music: {file: song.ogg, start: 0s}
        clips: ["clips/*.mp4"]
        cuts: {every: 2 beats}
        """), str(folder))
    assert dsl == yaml
    assert (dsl.cuts.every, dsl.cuts.unit) == (2.0, "beat")


def test_edit_files_load_by_suffix(folder):
    (folder / "r.edit").write_text(FULL_DSL)
    r = load_recipe(str(folder / "r.edit"))
    assert [(x.every, x.unit, x.energy_above) for x in r.cuts.rules] == [
        (1.0, "beat", 0.75), (1.0, "half-beat", 0.9), (2.0, "bar", None)]
    assert r.overlays[0].text == "Hello"


@pytest.mark.parametrize(("text", "expected"), [
    ("version 1\noutput { size 1080x1920\n", "2:8: DSL syntax: unclosed '{': a block needs a "
                                            "closing '}'"),
    ("version 1\n}\n", "2:1: DSL syntax: unexpected '}': no block is open here"),
    ("clips [a, b\n", "1:7: DSL syntax: unclosed '[': a list needs a closing ']'"),
    ("clips [a b]\n", "1:10: DSL syntax: missing ',' between list items"),
    ('text "abc\n', "1:6: DSL syntax: unterminated string: a \"string\" ends with \" on the "
                    "same line"),
    ("version 1\nsize 1080 x 1920\n", "2:11: 'size' takes one value, got 3"),
    ("cuts { every 2 beats when loudness > 1 }\n", "1:22: unexpected 'when' in a cut rule"),
    ("version 1\nversion 1\n", "2:1: duplicate key 'version'"),
    ("", "1:1: the recipe is empty"),
    ("a " + "[" * 100 + "]" * 100, "1:67: the recipe is nested more than 64 levels deep"),
])
def test_dsl_errors_exact(text, expected):
    with pytest.raises(RecipeErrors) as info:
        parse_dsl(text, "r.edit")
    assert info.value.errors[0].format().split(" (")[0] == f"r.edit:{expected}"


def test_every_syntax_error_at_once_with_what_the_good_statements_get_wrong():
    text = ("version 1\nclips [a b]\nmusic \"song.ogg\" ,\ncuts {\n"
            "  every 1 beat when energy >> 0.5\n}\ntext \"abc\n"
            "transition crossfade 0.5s when\n")
    with pytest.raises(RecipeErrors) as info:
        parse_dsl(text, "r.edit")
    assert [e.format().split(" (")[0] for e in info.value.errors] == [
        "r.edit:2:10: DSL syntax: missing ',' between list items",
        "r.edit:3:18: DSL syntax: ',' only separates the items of a [list]",
        "r.edit:5:28: expected `energy > NUMBER` or `energy < NUMBER`",
        "r.edit:7:6: DSL syntax: unterminated string: a \"string\" ends with \" on the same "
        "line",
        "r.edit:8:27: `when` needs a value"]
    # unbalanced brackets leave statements apart only where they close: the first error
    with pytest.raises(RecipeErrors) as info:
        parse_dsl("clips [a b]\noutput { size 8x8\n", "r.edit")
    assert len(info.value.errors) == 1


def test_schema_errors_point_into_the_dsl(folder):
    p = folder / "r.edit"
    p.write_text('version 1\nmusic "song.ogg"\nclips "clips/*.mp4"\ncuts { evry 2 beats }\n')
    with pytest.raises(RecipeErrors) as info:
        load_recipe(str(p))
    assert [e.format() for e in info.value.errors] == [
        f"{p}:4:8: unknown key 'evry' in cuts (did you mean 'every'?)"]


@pytest.mark.parametrize("text", ["0E0", "-3E+2", "1e5", "12", "true", "null", ".5", "0x1F"])
def test_yaml_printer_quotes_strings_the_loader_would_read_as_numbers(text):
    from editspec.recipe.dsl_print import data_to_yaml
    from editspec.recipe.from_yaml import parse_yaml

    doc = {"version": 1, "overlays": [{"text": text}]}
    back, _ = parse_yaml(data_to_yaml(doc), "r.yaml")
    assert back == doc
