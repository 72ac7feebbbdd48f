"""Render defects of issue 27 (part 6), each rendered for real and decoded.

- A long edit's filtergraph is larger than the 128 KiB Linux allows one argument: its
  render and preview failed with "Argument list too long"; the graph now goes in a file.
- A segmented render changed its colour tags mid-file (each segment took those of its
  first clip); every segment is now tagged Rec. 709, limited range, read back from every
  SPS of the joined file.
- Segment folders left by a killed render are removed by the next one.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
from fractions import Fraction

import pytest

from editspec.backends import ffmpeg
from editspec.backends.ffmpeg import segments
from editspec.edl import EDL, AudioMix, Encode, Event, SourceInfo, Speed

W, H = 64, 36


def _bundled() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _ff(*args: str) -> None:
    subprocess.run([_bundled(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args],
                   check=True)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("defects")
    sd, hd = str(d / "sd.mp4"), str(d / "hd.mp4")
    # an SD clip tagged BT.601 (bt470bg), an HD one tagged BT.709, as cameras write them
    _ff("-f", "lavfi", "-i", "testsrc2=s=64x36:r=30:d=3", "-c:v", "libx264", "-preset",
        "ultrafast", "-g", "10", "-pix_fmt", "yuv420p", "-colorspace", "bt470bg",
        "-color_primaries", "bt470bg", "-color_trc", "smpte170m", sd)
    _ff("-f", "lavfi", "-i", "color=c=blue:s=64x36:r=30:d=3", "-c:v", "libx264", "-preset",
        "ultrafast", "-g", "10", "-pix_fmt", "yuv420p", "-colorspace", "bt709",
        "-color_primaries", "bt709", "-color_trc", "bt709", hd)
    return {"sd": sd, "hd": hd}


def _edl(events, sources) -> EDL:
    total = events[-1].rec_out
    return EDL(fps=Fraction(30), size=(W, H), duration_frames=total, music=None,
               events=tuple(events), sources=sources, mix=AudioMix(loudness_lufs=None),
               encode=Encode(preset="ultrafast", crf=30))


def _frames(path: str) -> int:
    raw = subprocess.run([_bundled(), "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt",
                          "gray", "-"], capture_output=True, check=True).stdout
    return len(raw) // (W * H)


def test_long_edit_graph_over_128_kib_renders(clips, tmp_path):
    n = 52
    events = [Event(clips["sd"], 0.1 * (k % 5), 0.1 * (k % 5) + 1.5, 30 * k, 30 * k + 30,
                    speed=Speed(((0, 0.5), (29, 1.5)))) for k in range(n)]
    edl = _edl(events, {clips["sd"]: SourceInfo(3.0, Fraction(30))})
    cmd = ffmpeg.compile_filtergraph(edl, "x.mp4")
    assert len(cmd.filtergraph.encode()) > 131072  # over Linux's MAX_ARG_STRLEN
    out = str(tmp_path / "long.mp4")
    ffmpeg.write(edl, out, progress=False)
    assert _frames(out) == 30 * n
    draft = str(tmp_path / "draft.mp4")  # `editspec preview` runs the same graph and more
    ffmpeg.preview(edl, draft, progress=False)
    assert _frames(draft) == 30 * n


def _sps_colour(path: str) -> set[tuple[str, int]]:
    text = subprocess.run([_bundled(), "-hide_banner", "-nostdin", "-i", path, "-c", "copy",
                           "-bsf:v", "trace_headers", "-f", "null", "-"],
                          capture_output=True, text=True).stderr
    return {(m.group(1), int(m.group(2))) for m in re.finditer(
        r"(video_full_range_flag|colour_primaries|transfer_characteristics|"
        r"matrix_coefficients)\s+\d+ = (\d+)", text)}


def test_segmented_render_keeps_one_set_of_colour_tags(clips, tmp_path):
    events = [Event(clips["sd"] if k < 4 else clips["hd"], 0.1 * k, 0.1 * k + 0.5,
                    15 * k, 15 * k + 15) for k in range(8)]
    edl = _edl(events, {clips["sd"]: SourceInfo(3.0, Fraction(30)),
                        clips["hd"]: SourceInfo(3.0, Fraction(30))})
    ranges = segments.segment_ranges(edl, segments.events_per_pass(edl, 0.5))
    assert ranges == [(0, 4), (4, 8)]  # the first segment opens on the SD clip, the second on HD
    out = str(tmp_path / "seg.mp4")
    ffmpeg.write(edl, out, progress=False, memory_mb=0.5)
    assert _frames(out) == 120
    tags = _sps_colour(out)
    # every SPS of the joined stream: BT.709 primaries, transfer and matrix, limited range
    assert tags == {("video_full_range_flag", 0), ("colour_primaries", 1),
                    ("transfer_characteristics", 1), ("matrix_coefficients", 1)}, tags


def test_segment_folders_of_a_killed_render_are_removed(clips, tmp_path):
    gone = subprocess.Popen(["true"])
    gone.wait()
    host = re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname())[:40] or "host"
    stale = tmp_path / f"{segments.FOLDER_PREFIX}{host}-{gone.pid}-abc123"
    stale.mkdir()
    (stale / "part0000.mp4").write_bytes(b"left behind")
    live = tmp_path / f"{segments.FOLDER_PREFIX}{host}-{os.getppid()}-def456"
    live.mkdir()  # a render of a process that still runs: left alone
    events = [Event(clips["sd"], 0.1 * k, 0.1 * k + 0.5, 15 * k, 15 * k + 15) for k in range(8)]
    edl = _edl(events, {clips["sd"]: SourceInfo(3.0, Fraction(30))})
    out = str(tmp_path / "o.mp4")
    ffmpeg.write(edl, out, progress=False, memory_mb=0.5)
    assert _frames(out) == 120
    left = sorted(p for p in os.listdir(tmp_path) if p.startswith(segments.FOLDER_PREFIX))
    assert left == [live.name]


def _rgb(path: str, w: int, h: int, n: int = 0):
    """Frame ``n`` as a player shows it: ffmpeg's RGB by the file's own matrix tag."""
    import numpy as np

    raw = subprocess.run([_bundled(), "-v", "error", "-i", path, "-vf",
                          f"select=eq(n\\,{n}),scale={w}:{h}:flags=area", "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(h, w, 3).astype(int)


def test_a_bt601_clip_keeps_its_colours_in_the_bt709_output(tmp_path):
    """The output is tagged BT.709: a BT.601-tagged (SD) clip's YCbCr must be converted, or
    players show it shifted (saturated reds about 10 % brighter, greens darker)."""
    sd = str(tmp_path / "red601.mp4")
    _ff("-f", "lavfi", "-i", "color=c=0xc01010:s=64x36:r=30:d=1", "-c:v", "libx264",
        "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv444p", "-vf",
        "scale=out_color_matrix=bt601:out_range=tv", "-colorspace", "smpte170m",
        "-color_primaries", "smpte170m", "-color_trc", "smpte170m", sd)
    edl = _edl([Event(sd, 0.0, 0.5, 0, 15)], {sd: SourceInfo(1.0, Fraction(30))})
    out = str(tmp_path / "out.mp4")
    ffmpeg.write(edl, out, progress=False)
    src, got = _rgb(sd, W, H), _rgb(out, W, H, 5)
    assert abs(src[..., 0].mean() - 0xc0) < 4  # the source reads as made
    assert abs(got - src).mean(axis=(0, 1)).max() < 4, (got.mean(axis=(0, 1)),
                                                        src.mean(axis=(0, 1)))
