"""Numbers outside what editspec cuts are bad input (exit 2, one line), never internal errors.

- a clip whose header gives a rate over 1000 fps (high-speed cameras, broken headers);
- an OTIO timeline at such a rate;
- NaN in an EDL: in its meta the report shows it as missing, in its timing it is refused.
"""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction

import opentimelineio as otio
import pytest

from editspec.cli import main
from editspec.edl import EDL, Event, write_edl
from editspec.media import ffmpeg_exe


def _run(*args):
    return subprocess.run([sys.executable, "-m", "editspec", *args], capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def fast_clip(tmp_path_factory):
    d = tmp_path_factory.mktemp("fast")
    path = d / "clips" / "fast.mp4"
    path.parent.mkdir()
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    "testsrc=s=64x64:r=1200:d=0.5", "-c:v", "libx264", str(path)], check=True)
    return path


def _one_line_exit_2(args, expected, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert expected in err and "internal error" not in err
    proc = _run(*args)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert expected in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_a_clip_over_1000_fps_is_bad_input(fast_clip, demo_song, capsys):
    expected = (f"{fast_clip}: its header gives a frame rate of 1200 fps, over the 1000 fps "
                "editspec cuts; re-encode it to a lower rate (ffmpeg -i IN -r 60 OUT)")
    _one_line_exit_2(["shots", str(fast_clip)], expected, capsys)
    recipe = fast_clip.parent.parent / "r.yaml"
    recipe.write_text(f"version: 1\noutput: {{size: 64x64, fps: 30, duration: 2s}}\n"
                      f"music: {{file: {demo_song[0]}}}\nclips: [clips/fast.mp4]\n")
    roots = ["--media-root", str(fast_clip.parent.parent), "--media-root",
             str(demo_song[0]).rsplit("/", 1)[0]]
    assert main(["validate", str(recipe), *roots]) == 2
    assert expected in capsys.readouterr().err
    proc = _run("plan", str(recipe), *roots, "-o", str(recipe) + ".json")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[0] == f"{recipe}:4:9: {expected}"  # at the clip's entry


@pytest.mark.parametrize("media", ["missing", "present"])
def test_an_otio_timeline_over_1000_fps_is_bad_input(tmp_path, fast_clip, capsys, media):
    tl = otio.schema.Timeline()
    track = otio.schema.Track()
    tl.tracks.append(track)
    url = str(fast_clip) if media == "present" else str(tmp_path / "gone.mp4")
    track.append(otio.schema.Clip(
        name="a", media_reference=otio.schema.ExternalReference(target_url=url),
        source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, 1200),
                                             otio.opentime.RationalTime(600, 1200))))
    path = str(tmp_path / "t.otio")
    otio.adapters.write_to_file(tl, path)
    _one_line_exit_2(["render", path, "-o", str(tmp_path / "o.mp4")],
                     f"{path}: the timeline's rate: fps=1200.0 must be > 0 and <= 1000", capsys)
    assert not (tmp_path / "o.mp4").exists()


def _edl(clip, **meta):
    return EDL(fps=Fraction(30), size=(64, 64), duration_frames=60, music=None,
               events=(Event(clip, 0.0, 1.0, 0, 30), Event(clip, 1.0, 2.0, 30, 60)), meta=meta)


def test_nan_in_the_edl_meta_is_shown_as_missing_in_the_report(tmp_path, small_clips, capsys):
    edl = str(tmp_path / "nan.edl.json")
    write_edl(_edl(small_clips[0], tempo=float("nan"), explain=[
        {"time": 1.0, "energy": float("nan"), "salience": float("inf"), "rule": "1: x"}]), edl)
    assert "NaN" in (tmp_path / "nan.edl.json").read_text()
    out = tmp_path / "r.html"
    assert main(["report", edl, "-o", str(out), "--no-thumbnails"]) == 0, capsys.readouterr().err
    page = out.read_text()
    assert '"tempo":null' in page and '"energy":null,"salience":null' in page
    assert "NaN" not in page and "Infinity" not in page


def test_nan_in_the_edl_timing_is_bad_input(tmp_path, small_clips, capsys):
    path = tmp_path / "nan.edl.json"
    write_edl(_edl(small_clips[0]), str(path))
    data = json.loads(path.read_text())
    data["events"][1]["src_in"] = float("nan")
    path.write_text(json.dumps(data))
    for cmd in (["export", str(path), "--to", "otio", "-o", str(tmp_path / "o.otio")],
                ["report", str(path), "-o", str(tmp_path / "o.html")]):
        _one_line_exit_2(cmd, "EDL event 1: src_in=nan src_out=2.0 is not a time", capsys)
