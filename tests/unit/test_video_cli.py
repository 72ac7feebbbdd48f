"""``editspec shots``: JSON contract, --plot, several clips, bad input; in-process and as a
subprocess; lazy imports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import video_media as vm

from editspec.cli import main


def _run(*args):
    return subprocess.run([sys.executable, "-m", "editspec", *args], capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("shots") / "cuts.mp4")
    return path, vm.hard_cuts(path)


def test_shots_json_subprocess(clip):
    path, truth = clip
    proc = _run("shots", path, "--json", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert d["fps"] == truth.fps
    assert d["duration"] == pytest.approx(truth.frames / truth.fps, abs=0.05)
    assert d["cuts"] == [round(c / truth.fps, 4) for c in truth.hard]
    assert len(d["motion"]) == len(truth.hard) + 1
    assert d["tracks"]["fps"] == 10


def test_shots_plot_and_text_in_process(clip, tmp_path, capsys):
    path, truth = clip
    png = tmp_path / "shots.png"
    assert main(["shots", path, "--plot", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = capsys.readouterr().out
    assert f"{len(truth.hard) + 1} shots" in out


def test_shots_several_clips_json_lines(clip, tmp_path, capsys):
    path, truth = clip
    other = str(tmp_path / "flash.mp4")
    vm.flashes(other)
    assert main(["shots", path, other, "--json", "--workers", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [json.loads(x)["path"] for x in lines] == [path, other]
    assert len(json.loads(lines[0])["cuts"]) == len(truth.hard)
    assert json.loads(lines[1])["cuts"] == []


def _bad(tmp_path):
    text = tmp_path / "notes.mp4"
    text.write_text("hello\n" * 50)
    tone = str(tmp_path / "tone.wav")
    vm.sine_audio(tone)
    return [(["shots", str(text)], "notes.mp4: not a media file"),
            (["shots", tone], "tone.wav: has no video stream"),
            (["shots", str(tmp_path / "none.mp4")], "none.mp4: no such file"),
            (["shots", str(text), tone, "--plot", "x.png"], "--plot takes one video, got 2")]


def test_bad_input_exit_2_one_line(tmp_path, capsys):
    for args, text in _bad(tmp_path):
        proc = _run(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert text in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert main(args) == 2
        assert text in capsys.readouterr().err


def test_help_imports_no_numba_or_matplotlib():
    code = ("import sys; from editspec.cli import main\n"
            "try:\n    main(['shots', '--help'])\nexcept SystemExit:\n    pass\n"
            "print([m for m in ('numba', 'matplotlib', 'tqdm') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
