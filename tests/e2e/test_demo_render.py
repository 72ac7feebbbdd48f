"""`editspec demo` rendered small and decoded: duration, audio, and every cut on its frame."""

import os
import subprocess
import sys

import numpy as np
import pytest
from media import decode_rgb, decoded_duration, frame_changes, stream_info

from editspec.backends.otio import read_cut_frames
from editspec.edl import read_edl


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    proc = subprocess.run(
        [sys.executable, "-m", "editspec", "demo", "-o", str(out), "--size", "180x320",
         "--duration", "10", "--clip-seconds", "8", "--no-progress"],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return out, proc.stdout


def test_demo_writes_recipe_and_outputs(demo_out):
    out, stdout = demo_out
    for name in ("demo.yaml", "demo.edl.json", "demo.mp4", "demo.otio", "song.ogg"):
        assert (out / name).is_file(), name
        assert str(out / name) in stdout or name in ("song.ogg",)
    assert len(list((out / "clips").glob("*.mp4"))) == 6
    assert not [p for p in os.listdir(out) if p.startswith(".editspec-")]


def test_render_length_streams_and_size(demo_out):
    out, _ = demo_out
    edl = read_edl(str(out / "demo.edl.json"))
    assert edl.duration_frames == 300
    frames, audio_s = decoded_duration(str(out / "demo.mp4"))
    assert frames == 300
    assert audio_s == pytest.approx(10.0, abs=0.05)
    info = stream_info(str(out / "demo.mp4"))
    assert "Video: h264" in info and "180x320" in info and "30 fps" in info
    assert "Audio: aac" in info


def test_picture_changes_exactly_at_the_edl_cuts(demo_out):
    out, _ = demo_out
    edl = read_edl(str(out / "demo.edl.json"))
    cuts = edl.cuts
    assert len(cuts) >= 8  # every 2 beats at 120 BPM over 10 s
    d = frame_changes(decode_rgb(str(out / "demo.mp4")))
    detected = sorted(np.argsort(d)[::-1][: len(cuts)].tolist())
    assert detected == cuts
    inside = np.delete(d, [0, *cuts])
    assert d[cuts].min() > 1.5 * inside.max()


def test_cuts_fall_on_the_songs_beats(demo_out, demo_song):
    out, _ = demo_out
    _, truth = demo_song
    edl = read_edl(str(out / "demo.edl.json"))
    for f in edl.cuts:  # the demo recipe cuts every 2 beats from music start 0
        t = f / 30
        assert np.min(np.abs(truth.beats - t)) <= 1.0 / 30 + 0.011


def test_otio_has_the_edl_cuts(demo_out):
    out, _ = demo_out
    edl = read_edl(str(out / "demo.edl.json"))
    assert read_cut_frames(str(out / "demo.otio")) == edl.cuts


def test_check_finds_every_cut_on_its_frame_and_beat(demo_out):
    import json

    out, _ = demo_out
    proc = subprocess.run([sys.executable, "-m", "editspec", "check", str(out / "demo.mp4"),
                           "--edl", str(out / "demo.edl.json"), "--json", "--strict"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["off_frame"] == 0 and report["off_beat"] == 0
    assert all(c["frame_error"] == 0 for c in report["cuts"])
    # measured against the beats the plan used (the song's analysis), not a re-tracked mix:
    # the demo cuts on beats, each within half a frame (the plan's rounding to frames)
    assert report["beats_from"] == "analysis"
    assert all(c["on_beat"] for c in report["cuts"])
    assert all(abs(c["beat_frames"]) <= 0.5 + 1e-3 for c in report["cuts"])
    assert report["tempo"] == pytest.approx(read_edl(str(out / "demo.edl.json")).meta["tempo"])


def test_check_strict_fails_when_the_cuts_miss_the_plans_beats(demo_out, tmp_path):
    import json

    out, _ = demo_out
    data = json.loads((out / "demo.edl.json").read_text())
    data["music"]["start"] += 0.1  # the plan's beats 100 ms earlier than the rendered cuts
    moved = tmp_path / "moved.json"
    moved.write_text(json.dumps(data))
    proc = subprocess.run([sys.executable, "-m", "editspec", "check", str(out / "demo.mp4"),
                           "--edl", str(moved), "--json", "--strict"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 3, proc.stderr
    report = json.loads(proc.stdout)
    assert report["off_frame"] == 0
    assert report["off_beat"] == len(report["cuts"])
    assert all(c["beat_ms"] == pytest.approx(100.0, abs=17.0) for c in report["cuts"])
    assert "on-beat cut(s) off the beat" in proc.stderr


def test_check_reads_the_edls_beat_markers_without_the_song(demo_out, tmp_path):
    import json

    out, _ = demo_out
    data = json.loads((out / "demo.edl.json").read_text())
    data["music"]["path"] = str(tmp_path / "gone.ogg")
    edl_path = tmp_path / "nosong.json"
    edl_path.write_text(json.dumps(data))
    proc = subprocess.run([sys.executable, "-m", "editspec", "check", str(out / "demo.mp4"),
                           "--edl", str(edl_path), "--json", "--strict"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["beats_from"] == "markers"
    assert all(c["beat_frames"] == 0 for c in report["cuts"])


def test_check_strict_fails_when_the_edl_disagrees(demo_out, tmp_path):
    import json

    out, _ = demo_out
    data = json.loads((out / "demo.edl.json").read_text())
    events = data["events"]
    events[2]["rec_in"] += 2  # claim the third shot starts two frames later than rendered
    events[1]["rec_out"] += 2
    events[1]["src_out"] += 2 / 30
    shifted = tmp_path / "shifted.json"
    shifted.write_text(json.dumps(data))
    proc = subprocess.run([sys.executable, "-m", "editspec", "check", str(out / "demo.mp4"),
                           "--edl", str(shifted), "--strict"], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 3
    assert "1 of" in proc.stdout and "hard cuts off their frame" in proc.stdout
