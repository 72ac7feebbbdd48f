"""Where outputs go: `-o -` is stdout, and an output that cannot be written is bad input (2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from editspec.cli import main


def _run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "editspec", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


@pytest.fixture
def recipe(tmp_path, demo_song, small_clips):
    path = tmp_path / "r.yaml"
    clip_dir = os.path.dirname(small_clips[0])
    path.write_text(f"version: 1\noutput: {{size: 90x160, fps: 30, duration: 4s}}\n"
                    f"music: {{file: {demo_song[0]}, start: 0s}}\nclips: ['{clip_dir}/*.mp4']\n"
                    "cuts: {every: 2 beats}\n")
    return str(path), ["--media-root", os.path.dirname(demo_song[0]), "--media-root", clip_dir]


def test_plan_to_dash_writes_the_edl_to_stdout_and_no_file(recipe, tmp_path):
    path, roots = recipe
    proc = _run("plan", path, *roots, "-o", "-", "--explain", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    edl = json.loads(proc.stdout)  # stdout is the EDL and nothing else
    assert edl["duration_frames"] == 120 and [e["rec_in"] for e in edl["events"]][1:] == \
        [30, 60, 90]  # a cut every 2 beats of the 120 BPM song: every second
    assert not (tmp_path / "-").exists()
    assert "to stdout" in proc.stderr


@pytest.mark.parametrize("where", ["folder", "under-a-file"])
def test_an_output_that_cannot_be_written_exits_2_with_one_line(recipe, tmp_path, capsys,
                                                                where):
    path, roots = recipe
    (tmp_path / "taken").mkdir()
    (tmp_path / "file.txt").write_text("x")
    out = str(tmp_path / "taken") if where == "folder" else str(tmp_path / "file.txt" / "e.json")
    for cmd in (["fmt", path, "--to", "dsl", "-o", out], ["plan", path, *roots, "-o", out]):
        assert main(cmd) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"cannot write {out}: ") and len(err.strip().splitlines()) == 1
        proc = _run(*cmd)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert proc.stderr.strip() == err.strip()
    assert (tmp_path / "file.txt").read_text() == "x" and os.listdir(tmp_path / "taken") == []
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".editspec-")]
