import textwrap
from fractions import Fraction

import pytest

from editspec.errors import RecipeErrors
from editspec.recipe import load_recipe

SMALLEST = """\
version: 1
output: {size: 1080x1920, fps: 30, duration: 20s}
music: {file: song.ogg, start: 0s}
clips: ["clips/*.mp4"]
cuts: {every: 2 beats}
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "clips").mkdir()
    for name in ("b.mp4", "a.mp4"):
        (tmp_path / "clips" / name).write_bytes(b"x")
    (tmp_path / "song.ogg").write_bytes(b"x")
    return tmp_path


def _write(folder, text, name="r.yaml"):
    p = folder / name
    p.write_text(textwrap.dedent(text))
    return str(p)


def _messages(path):
    with pytest.raises(RecipeErrors) as info:
        load_recipe(path)
    return [e.format() for e in info.value.errors]


def test_smallest_recipe_of_the_design(folder):
    r = load_recipe(_write(folder, SMALLEST))
    assert (r.output.width, r.output.height) == (1080, 1920)
    assert r.output.fps == Fraction(30)
    assert r.output.duration_s == 20.0
    assert r.music.path == str(folder / "song.ogg")
    assert r.music.start_s == 0.0
    assert r.clip_paths == (str(folder / "clips/a.mp4"), str(folder / "clips/b.mp4"))
    assert (r.cuts.every, r.cuts.unit) == (2.0, "beat")


def test_ntsc_rate_bars_and_song_duration(folder):
    r = load_recipe(_write(folder, """\
        version: 1
        output: {fps: 30000/1001, duration: song}
        music: {file: song.ogg, start: "1:02.5", fade_out: 500ms}
        clips: [clips/a.mp4]
        cuts: {every: 1 bar, min_shot: 0.75s}
        """))
    assert r.output.fps == Fraction(30000, 1001)
    assert r.output.duration_s is None
    assert r.music.start_s == 62.5 and r.music.fade_out_s == 0.5
    assert (r.cuts.every, r.cuts.unit, r.cuts.min_shot_s) == (1.0, "bar", 0.75)


def test_unknown_key_points_at_it_with_did_you_mean(folder):
    p = _write(folder, SMALLEST.replace("cuts: {every: 2 beats}", "cuts: {evry: 2 beats}"))
    assert _messages(p) == [f"{p}:5:8: unknown key 'evry' in cuts (did you mean 'every'?)"]


def test_every_problem_is_reported_at_once(folder):
    p = _write(folder, """\
        version: 1
        output: {size: 1080x1920, fps: fast, duration: 20 parsecs}
        music: {file: nosuch.ogg, start: 0s}
        clips: ["nothing/*.mp4"]
        cuts: {every: 2 beets}
        colour: red
        """)
    msgs = _messages(p)
    assert msgs == [
        f"{p}:2:32: output.fps: 'fast' is not valid (Output frame rate: 24, 25, 30, 60 or a "
        "rational rate such as 30000/1001)",
        f"{p}:2:48: output.duration: '20 parsecs' is not valid (Output length: a time (20s, "
        "1:30), `song` for the whole song from music.start, or a section name (chorus) for that "
        "section's length)",
        f"{p}:3:15: music file 'nosuch.ogg' does not exist (paths are relative to {folder})",
        f"{p}:4:9: clip glob 'nothing/*.mp4' matches no file (paths are relative to {folder})",
        f"{p}:5:15: cuts.every: '2 beets' is not valid (did you mean '2 beats'?)",
        f"{p}:6:1: unknown key 'colour' in recipe (allowed: $schema, brand, clips, cuts, energy, "
        "extends, intro, music, output, outro, overlays, seed, transitions, variables, version)",
    ]


def test_missing_files_and_empty_globs_after_schema(folder):
    p = _write(folder, SMALLEST.replace("song.ogg", "nosuch.ogg").replace("clips/*", "none/*"))
    msgs = _messages(p)
    assert msgs == [
        f"{p}:3:15: music file 'nosuch.ogg' does not exist (paths are relative to {folder})",
        f"{p}:4:9: clip glob 'none/*.mp4' matches no file (paths are relative to {folder})",
    ]


def test_yaml_syntax_error_has_position(folder):
    p = _write(folder, "version: 1\nmusic: {file: song.ogg\nclips: [a]\n")
    msgs = _messages(p)
    assert len(msgs) == 1 and msgs[0].startswith(f"{p}:3:")
    assert "YAML syntax" in msgs[0]


@pytest.mark.parametrize(("text", "expected"), [
    ("", "1:1: the recipe is empty (start with `version: 1`)"),
    ("- 1\n- 2\n", "1:1: a recipe is a mapping of keys such as version, music, clips "
                   "(start with `version: 1`)"),
    ("version: 2\nmusic: {file: song.ogg}\nclips: [a]\n", "1:10: version: must be 1, not 2"),
    ("version: 1\nversion: 1\n", "2:1: duplicate key 'version'"),
    ("version: 1\nmusic: {file: song.ogg}\nclips: []\n", "3:8: clips: [] should be non-empty "
     "(Video clip pools to cut from, used in this order: each a glob or file relative to the "
     "recipe's folder, or a pool with options)"),
    ("version: 1\nclips: [a]\n", "1:1: recipe: 'music' is a required property"),
])
def test_bad_recipes_exact_messages(folder, text, expected):
    p = _write(folder, text)
    assert _messages(p)[0] == f"{p}:{expected}"


def test_odd_size_rejected(folder):
    p = _write(folder, SMALLEST.replace("1080x1920", "1081x1920"))
    assert _messages(p) == [f"{p}:2:16: size 1081x1920 must have even width and height from 16 "
                            "to 8192 (H.264 needs even sizes, e.g. 1080x1920)"]


def test_fuzz_regressions_are_recipe_errors(folder):
    # found by bench/fuzz_recipes.py: a huge number default, an alias bomb, NUL bytes
    huge = _write(folder, SMALLEST + "variables: {p: {type: number, default: 1"
                  + "0" * 400 + "}}\n")
    assert _messages(huge)[0] == f"{huge}:6:40: variable 'p': default '1{'0' * 59}' is not a number"
    bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 9))
    assert "more than 20000 values" in _messages(_write(folder, bomb))[0]
    assert _messages(_write(folder, "version: 1\x00\n"))[0].endswith(
        "1:11: YAML syntax: character U+0000 is not allowed in YAML")


MERGED = SMALLEST + """\
overlays:
  - &top {text: "Hi", start: 0s, end: 3s, position: top}
  - {<<: *top, text: "Bye", start: 3s, end: 5s}
  - <<: [{position: bottom, size: 30}, *top]
    end: 6s
"""


def test_yaml_merge_keys_merge_and_own_keys_override(folder):
    r = load_recipe(_write(folder, MERGED))
    got = [(o.text, o.start_s, o.end_s, o.position, o.style.size) for o in r.overlays]
    assert got[:2] == [("Hi", 0.0, 3.0, "top", got[0][4]), ("Bye", 3.0, 5.0, "top", got[0][4])]
    # the first merged map wins over the later one, the mapping's own key over both
    assert got[2] == ("Hi", 0.0, 6.0, "bottom", 30)


def test_yaml_merge_keys_still_reject_a_repeated_own_key(folder):
    p = _write(folder, MERGED + '  - {<<: *top, text: "a", text: "b"}\n')
    assert _messages(p) == [f"{p}:11:27: duplicate key 'text'"]
