"""Golden filtergraphs: the ffmpeg commands compiled for the examples' EDLs, exactly.

``tests/golden/ffmpeg/NAME.edl.json`` is the EDL that ``editspec plan examples/NAME.yaml``
wrote with the demo media (paths relative to the repository, ``examples/...``);
``NAME.graph.txt`` is what the compile step makes of it: the render's arguments and
filtergraph (with a loudness gain, as the render step compiles it) and the sound-only
loudness measurement. ``teaser-variants`` is the teaser with the reframe modes and a
clip's own sound that no example uses. A change to the compile shows up here as a
diff of the graph; when it is intended, rewrite them with ``pytest --update-golden``
(those tests are then skipped, not compared) and review the diff.

Title PNGs are named by the hash of their pixels, which depends on the FreeType
build: their path is written as ``$CACHE/titles/TITLE.png``.
"""

from __future__ import annotations

import dataclasses
import glob
import json
import os
import re
import shlex

import pytest

from editspec.backends.ffmpeg import compile_filtergraph
from editspec.edl import EventAudio, Reframe, edl_from_dict

GOLDEN = os.path.join(os.path.dirname(__file__), "..", "golden", "ffmpeg")
NAMES = sorted(os.path.basename(p)[: -len(".edl.json")]
               for p in glob.glob(os.path.join(GOLDEN, "*.edl.json")))
FONTS = os.path.join(os.path.dirname(__file__), "..", "..", "editspec", "text", "fonts")
GAIN_DB = -2.5
"""The loudness gain the render commands are compiled with (a measured one in a render)."""


def _load(name: str):
    with open(os.path.join(GOLDEN, f"{name}.edl.json"), encoding="utf-8") as fh:
        data = json.load(fh)
    for o in data["overlays"]:  # the same DejaVu faces, shipped with editspec
        if o.get("font", "").startswith("/usr/share/fonts/truetype/dejavu/"):
            o["font"] = os.path.abspath(os.path.join(FONTS, os.path.basename(o["font"])))
    return edl_from_dict(data)


def _variants(edl):
    """The teaser with fit-blur and letterbox events and two events playing their sound."""
    ev = list(edl.events)
    ev[1] = dataclasses.replace(ev[1], reframe=Reframe("fit-blur"))
    ev[2] = dataclasses.replace(ev[2], reframe=Reframe("letterbox"))
    ev[4] = dataclasses.replace(ev[4], audio=EventAudio(True, -3.0))
    ev[5] = dataclasses.replace(ev[5], audio=EventAudio(True))
    return dataclasses.replace(edl, events=tuple(ev))


CASES = [*NAMES, "teaser-variants"] if "teaser" in NAMES else NAMES


def _text(cmd) -> str:
    argv = ["GRAPH" if i and cmd.argv[i - 1] == "-filter_complex" else a
            for i, a in enumerate(cmd.argv)]
    return f"# argv\n{shlex.join(argv)}\n# filtergraph\n{cmd.filtergraph}\n"


def _compiled(case: str) -> str:
    edl = _variants(_load("teaser")) if case == "teaser-variants" else _load(case)
    render = compile_filtergraph(edl, "out.mp4", loudness_gain_db=GAIN_DB)
    measure = compile_filtergraph(edl, "-", audio_only=True, loudness_gain_db=GAIN_DB)
    text = (f"## render (loudness gain {GAIN_DB} dB)\n{_text(render)}"
            f"## loudness measurement\n{_text(measure)}")
    cache = os.environ["EDITSPEC_CACHE"]
    return re.sub(re.escape(cache) + r"/titles/[^/\s']+\.png", "$CACHE/titles/TITLE.png", text)


def test_there_are_golden_examples():
    assert len(NAMES) >= 5 and "teaser-variants" in CASES


@pytest.mark.parametrize("case", CASES)
def test_filtergraph_is_golden(case, request):
    text = _compiled(case)
    path = os.path.join(GOLDEN, f"{case}.graph.txt")
    if request.config.getoption("--update-golden"):
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        pytest.skip(f"rewrote {path}: review the diff, then run without --update-golden")
    assert os.path.isfile(path), f"no golden file {path}: run pytest --update-golden"
    with open(path, encoding="utf-8") as fh:
        expected = fh.read()
    assert text == expected, f"{case}: the compiled command differs from {path}"


def test_the_golden_graphs_are_what_they_say():
    """The golden files themselves, read independently of the compile: one input per
    event, then one per overlay, then the music; the gain written once."""
    for case in NAMES:
        with open(os.path.join(GOLDEN, f"{case}.graph.txt"), encoding="utf-8") as fh:
            render = fh.read().split("## loudness measurement")[0]
        edl = _load(case)
        argv = shlex.split(render.split("# argv\n")[1].split("\n# filtergraph")[0])
        inputs = [argv[i + 1] for i, a in enumerate(argv) if a == "-i"]
        n = len(edl.events)
        assert inputs[:n] == [e.clip for e in edl.events]
        images = [o.path for o in edl.overlays if hasattr(o, "scale")]
        assert [p for p in inputs[n:-1] if not p.endswith("TITLE.png")] == images
        assert len(inputs) == n + len(edl.overlays) + 1 and inputs[-1] == edl.music.path
        assert render.count(f"volume={GAIN_DB:.2f}dB") == 1
        assert argv[argv.index("-frames:v") + 1] == str(edl.duration_frames)
