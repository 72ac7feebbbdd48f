"""Every example runs as written on the media `make demo` makes (issue 27, part 5).

`make demo` runs ``editspec demo -o out --examples examples``: the demo song, clips and
logo are linked into ``examples/`` (and ``brand/``, ``batch/``). Here the same media
(the 40 s demo song, the six demo clips at their full lengths, small pictures) are
linked into a copy of ``examples/``; every recipe, unchanged, validates and plans
through the CLI, and renders (at a sixth of its size) with the frames its EDL plans.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from editspec.cli import main
from editspec.edl import read_edl
from editspec.media import ffmpeg_exe

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")
RECIPES = sorted(
    os.path.relpath(os.path.join(d, f), EXAMPLES)
    for d, _, files in os.walk(EXAMPLES) for f in files
    if f.endswith((".yaml", ".yml", ".edit"))
    and os.path.relpath(d, EXAMPLES).split(os.sep)[0] not in ("brand", "batch"))
RENDERED = ("chorus-crossfades.yaml", "product-loop.yaml")
"""Among them: the one that did not fit the demo song, and the one with a logo."""


def test_there_are_examples_to_run():
    assert len(RECIPES) >= 7 and set(RENDERED) <= set(RECIPES)


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    from editspec.demo import link_examples, make_demo_media

    root = tmp_path_factory.mktemp("examples")
    media = root / "out"
    make_demo_media(str(media), clip_size=(160, 90))
    ex = root / "examples"
    shutil.copytree(EXAMPLES, ex, symlinks=True, ignore=shutil.ignore_patterns(
        "song.ogg", "clips", "logo.png"))  # links a developer's own `make demo` left there
    links = link_examples(str(media), str(ex))
    assert sorted(os.path.relpath(p, ex) for p in links) == sorted(
        os.path.join(sub, name) if sub != "." else name
        for sub in (".", "brand", "batch") for name in ("song.ogg", "clips", "logo.png"))
    assert os.readlink(ex / "clips") == os.path.join("..", "out", "clips")  # relative
    return ex


@pytest.mark.parametrize("name", RECIPES)
def test_example_validates_and_plans_as_written(examples, name, tmp_path, capsys):
    recipe = str(examples / name)
    assert main(["validate", recipe]) == 0, capsys.readouterr().err
    assert main(["plan", recipe, "-o", str(tmp_path / "e.json")]) == 0, capsys.readouterr().err
    edl = read_edl(str(tmp_path / "e.json"))
    assert len(edl.events) >= 2 and edl.duration_frames > 0


@pytest.mark.parametrize("name", RECIPES)
def test_example_renders_as_written(examples, name, tmp_path, capsys):
    """Each recipe renders, unchanged, at a sixth of its size (same aspect, for speed)."""
    assert main(["plan", str(examples / name), "-o", str(tmp_path / "e.json")]) == 0
    edl = read_edl(str(tmp_path / "e.json"))
    w, h = (max(2, round(v / 6 / 2) * 2) for v in edl.size)
    out = tmp_path / "x.mp4"
    assert main(["render", str(examples / name), "-o", str(out), "--size", f"{w}x{h}",
                 "--preset", "ultrafast", "--no-progress"]) == 0, capsys.readouterr().err
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(out), "-map",
                           "0:v:0", "-f", "null", "-"], capture_output=True, text=True)
    assert proc.returncode == 0
    frames = int(proc.stderr.rsplit("frame=", 1)[1].split()[0])
    assert frames == edl.duration_frames
    assert f"{w}x{h}" in proc.stderr


def test_an_output_longer_than_the_song_fails_validate_with_a_useful_hint(examples, capsys):
    recipe = examples / "too-long.yaml"
    recipe.write_text((examples / "chorus-crossfades.yaml").read_text().replace(
        "duration: 20s", "duration: 60s"))
    assert main(["validate", str(recipe)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].endswith(":7:54: output.duration 60s is longer than the song (41.00s)")
    assert err[3] == "  hint: set output.duration to at most 41.00s, or `duration: song`"
