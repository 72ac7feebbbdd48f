"""`editspec render` and `editspec preview` from the command line, in-process and as a
subprocess: dry run, options, the preview, and bad input (exit 2, one line)."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction

import pytest
from media import decoded_duration, stream_info

from editspec.cli import main
from editspec.edl import EDL, AudioMix, Encode, Event, Marker, read_edl, write_edl
from editspec.media import ffmpeg_exe


@pytest.fixture(scope="module")
def edl_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli_render")
    clip = str(d / "c.mp4")
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    "testsrc2=s=96x54:r=30:d=2", "-c:v", "libx264", clip], check=True)
    edl = EDL(fps=Fraction(30), size=(90, 160), duration_frames=40, music=None,
              events=(Event(clip, 0.0, 0.666667, 0, 20), Event(clip, 1.0, 1.666667, 20, 40)),
              markers=(Marker(0, "downbeat"), Marker(20, "beat")),
              mix=AudioMix(loudness_lufs=None), encode=Encode(crf=30, preset="ultrafast"))
    path = d / "edit.json"
    write_edl(edl, str(path))
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "editspec", *args], capture_output=True,
                          text=True, timeout=300)


def test_dry_run_prints_the_graph_and_a_command(edl_file, tmp_path, capsys):
    assert main(["render", str(edl_file), "-o", str(tmp_path / "o.mp4"), "--dry-run",
                 "--codec", "h265", "--size", "1:1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# filtergraph\n") and "\n# command\n" in out
    assert "libx265" in out and "scale=1080:1080" in out and "concat=n=2" in out
    assert not (tmp_path / "o.mp4").exists()
    proc = _run("render", str(edl_file), "-o", str(tmp_path / "o.mp4"), "--dry-run")
    assert proc.returncode == 0 and "-noaccurate_seek" in proc.stdout


def test_dry_run_of_a_segmented_render_is_a_script_that_renders_it(edl_file, tmp_path):
    edl = read_edl(str(edl_file))
    clip = edl.events[0].clip
    events = tuple(Event(clip, 0.1 * i, 0.1 * i + 0.2, 6 * i, 6 * i + 6) for i in range(9))
    long = EDL(fps=edl.fps, size=edl.size, duration_frames=54, music=None, events=events,
               mix=edl.mix, encode=edl.encode)
    path = tmp_path / "long.json"
    write_edl(long, str(path))
    out = tmp_path / "o.mp4"
    proc = _run("render", str(path), "-o", str(out), "--dry-run", "--memory", "1")
    assert proc.returncode == 0, proc.stderr
    assert "9 events in 3 segments" in proc.stdout and not out.exists()
    script = tmp_path / "render.sh"
    script.write_text(proc.stdout)
    subprocess.run(["bash", str(script)], check=True, capture_output=True)
    assert decoded_duration(str(out))[0] == 54
    bad = _run("render", str(path), "-o", str(out), "--memory", "0")
    assert bad.returncode == 2 and "--memory" in bad.stderr


def test_render_writes_the_video_with_the_options(edl_file, tmp_path):
    out = tmp_path / "o.mp4"
    proc = _run("render", str(edl_file), "-o", str(out), "--no-progress", "--size", "64x112",
                "--crf", "35")
    assert proc.returncode == 0, proc.stderr
    assert decoded_duration(str(out))[0] == 40
    assert "64x112" in stream_info(str(out))


def test_preview_writes_a_small_draft(edl_file, tmp_path):
    out = tmp_path / "p.mp4"
    proc = _run("preview", str(edl_file), "-o", str(out), "--height", "80", "--no-progress")
    assert proc.returncode == 0, proc.stderr
    assert "44x80" in stream_info(str(out)) and "1 cuts flashed" in proc.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--size", "big"], "--size 'big' is not WxH or one of 9:16"),
    (["--size", "101x50"], "--size '101x50' must be even"),
])
def test_bad_render_options_exit_2_with_one_line(edl_file, tmp_path, args, message):
    proc = _run("render", str(edl_file), "-o", str(tmp_path / "o.mp4"), *args)
    assert proc.returncode == 2
    assert proc.stderr.strip() == message + (" and at most 7680" if "even" in message else
                                             ", 1:1, 4:5, 16:9, 16:9-4k, 4k")
    assert "Traceback" not in proc.stderr


def test_missing_clip_exits_2_and_leaves_no_file(edl_file, tmp_path):
    import dataclasses

    edl = read_edl(str(edl_file))
    ev = dataclasses.replace(edl.events[1], clip=str(tmp_path / "gone.mp4"))
    bad = tmp_path / "bad.json"
    write_edl(dataclasses.replace(edl, events=(edl.events[0], ev)), str(bad))
    proc = _run("render", str(bad), "-o", str(tmp_path / "o.mp4"), "--no-progress")
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"clip {tmp_path / 'gone.mp4'} does not exist"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]
