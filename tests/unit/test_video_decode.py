"""Decoding real-world shapes of video: containers, rotation, VFR, 10-bit, interlaced,
odd sizes; broken input gives one clear MediaError; a truncated file is analyzed up to
the break with a warning."""

from __future__ import annotations

import logging
import os

import pytest
import video_media as vm

from editspec.analysis.video import detect_shots, probe_video
from editspec.analysis.video.decode import analysis_size
from editspec.errors import MediaError

LENGTHS = (30, 23, 40, 17, 35)
CUTS = [30, 53, 93, 110]

CONTAINERS = {
    "mp4": vm.ENC,
    "mkv": vm.ENC,
    "mov": vm.ENC,
    "webm": ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "1M"],
    "avi": ["-c:v", "mpeg4", "-q:v", "3"],
}


@pytest.mark.parametrize("ext", sorted(CONTAINERS))
def test_containers_exact_cuts(tmp_path, ext):
    path = str(tmp_path / f"clip.{ext}")
    truth = vm.hard_cuts(path, LENGTHS, enc=CONTAINERS[ext])
    a = detect_shots(path, use_cache=False)
    assert list(a.cut_frames) == truth.hard == CUTS
    assert a.n_frames == truth.frames


def test_ten_bit_source(tmp_path):
    path = str(tmp_path / "ten.mkv")
    enc = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-pix_fmt", "yuv420p10le"]
    vm.hard_cuts(path, LENGTHS, enc=enc)
    assert "yuv420p10" in vm_stream_line(path)
    assert list(detect_shots(path, use_cache=False).cut_frames) == CUTS


def test_odd_size(tmp_path):
    path = str(tmp_path / "odd.mkv")  # 4:4:4 allows odd sizes
    enc = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-pix_fmt", "yuv444p"]
    vm.hard_cuts(path, LENGTHS, enc=enc, size=(173, 97), fmt="yuv444p")
    assert list(detect_shots(path, use_cache=False).cut_frames) == CUTS


def test_interlaced_source(tmp_path):
    src = str(tmp_path / "p50.mp4")
    # cuts on even frames at 50 fps; interlaced H.264 needs a height divisible by 4
    vm.hard_cuts(src, tuple(2 * n for n in LENGTHS), fps=50, size=(160, 96))
    path = str(tmp_path / "i25.mp4")
    vm.reencode(src, path, "-vf", "tinterlace=mode=interleave_top,setfield=tff",
                "-c:v", "libx264", "-preset", "ultrafast", "-flags", "+ilme+ildct")
    assert "top first" in vm_stream_line(path) or "tff" in vm_stream_line(path)
    a = detect_shots(path, use_cache=False)
    assert a.fps == 25
    assert list(a.cut_frames) == CUTS


def test_variable_frame_rate(tmp_path):
    path = str(tmp_path / "vfr.mp4")
    _, cut_s = vm.vfr_clip(path)
    a = detect_shots(path, use_cache=False)
    assert len(a.cuts) == 1
    assert abs(a.cuts[0] - cut_s) <= 1.0 / float(a.fps) + 1e-9


def test_rotated_phone_clip(tmp_path):
    flat = str(tmp_path / "flat.mp4")
    vm.moving_box(flat)  # the box moves right in the coded picture
    path = str(tmp_path / "rotated.mp4")
    vm.remux(flat, path, "-display_rotation", "90")
    info = probe_video(path)
    assert info.rotation in (90, 270)
    w, h = analysis_size(info.width, info.height, info.rotation)
    assert h > w  # analysed upright: portrait
    c = detect_shots(path, use_cache=False).tracks.centre
    # on screen the box now moves vertically and stays put horizontally
    assert c[:, 1].max() - c[:, 1].min() > 0.3
    assert c[:, 0].max() - c[:, 0].min() < 0.05


def test_not_video(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("hello\n" * 100)
    with pytest.raises(MediaError, match=r"notes\.mp4: not a media file that ffmpeg can read"):
        detect_shots(str(path))


def test_empty_file(tmp_path):
    path = tmp_path / "empty.mkv"
    path.write_bytes(b"")
    with pytest.raises(MediaError, match=r"empty\.mkv: empty file"):
        detect_shots(str(path))


def test_missing_file(tmp_path):
    with pytest.raises(MediaError, match=r"nothere\.mp4: no such file"):
        detect_shots(str(tmp_path / "nothere.mp4"))


def test_no_video_stream(tmp_path):
    path = str(tmp_path / "tone.wav")
    vm.sine_audio(path)
    with pytest.raises(MediaError, match=r"tone\.wav: has no video stream"):
        detect_shots(path)


def test_truncated_without_index(tmp_path):
    path = str(tmp_path / "cut.mp4")
    vm.hard_cuts(path, LENGTHS)  # moov atom at the end
    with open(path, "rb") as fh:
        data = fh.read()
    with open(path, "wb") as fh:
        fh.write(data[: len(data) // 2])
    with pytest.raises(MediaError, match=r"cut\.mp4: truncated or damaged"):
        detect_shots(path)


def test_truncated_stream_analyzed_up_to_the_break(tmp_path, caplog):
    path = str(tmp_path / "broken.mkv")
    vm.hard_cuts(path, LENGTHS, extra=["-cluster_time_limit", "200"])
    size = os.path.getsize(path)
    with open(path, "r+b") as fh:
        fh.truncate(int(size * 0.55))
    with caplog.at_level(logging.WARNING):
        a = detect_shots(path, use_cache=False)
    assert a.truncated
    assert "decoding stopped" in caplog.text
    assert 40 < a.n_frames < 140
    assert list(a.cut_frames) == [c for c in CUTS if c < a.n_frames - 2]


def vm_stream_line(path: str) -> str:
    import subprocess

    from editspec.media import ffmpeg_exe

    text = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", path], capture_output=True,
                          text=True).stderr
    return next(line for line in text.splitlines() if "Video:" in line)
