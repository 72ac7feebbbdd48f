"""The ffmpeg backend rendered and decoded: every frame, cut, transition, overlay and level.

The sources are generated with stated ground truth: the "index" clips carry their own
frame number in their luma (Y = 16 + 2 * frame) and their identity in their chroma, so
each decoded output frame says which source frame it shows.
"""

from __future__ import annotations

import os
import re
import subprocess
from fractions import Fraction

import numpy as np
import pytest

from editspec.backends import ffmpeg
from editspec.backends.ffmpeg.compile import source_time
from editspec.edl import (
    EDL,
    AudioMix,
    Encode,
    Event,
    EventAudio,
    ImageOverlay,
    Marker,
    MusicRef,
    Reframe,
    SourceInfo,
    Speed,
    TextOverlay,
    Transition,
    ZoomPulse,
)
from editspec.errors import BackendError
from editspec.media import ffmpeg_exe

W, H = 180, 320
FAST = Encode(crf=12, preset="ultrafast")


def _ff(*args: str) -> None:
    """Make test media with the bundled ffmpeg (``-display_rotation`` is 6.1+), whichever
    ffmpeg the render under test runs (``make test-system-ffmpeg`` puts Debian's 5.1 first)."""
    import imageio_ffmpeg

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel",
                    "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    d = tmp_path_factory.mktemp("render_media")
    p = {k: str(d / v) for k, v in {
        "a": "a.mp4", "b": "b.mp4", "vfr": "vfr.mp4", "short": "short.mp4",
        "mjpeg": "full.avi", "split": "split.mp4", "tone": "tone.mp4", "logo": "logo.png",
        "grad": "grad.mp4"}.items()}
    idx = "geq=lum='16+2*N':cb={cb}:cr={cr}"
    _ff("-f", "lavfi", "-i", "color=black:s=64x64:r=30:d=3.6," + idx.format(cb=128, cr=128),
        "-c:v", "libx264", "-qp", "0", "-g", "15", p["a"])
    # one keyframe only (long GOP, as phones write): every seek decodes from the start
    _ff("-f", "lavfi", "-i", "color=black:s=64x64:r=25:d=4," + idx.format(cb=80, cr=170),
        "-c:v", "libx264", "-qp", "0", "-g", "250", p["b"])
    # VFR phone clip: the first frame is held for half a second before 30 fps starts
    _ff("-f", "lavfi", "-i", "color=black:s=64x64:r=30:d=2," + idx.format(cb=170, cr=80)
        + ",setpts='if(eq(N,0),0,PTS+15)'", "-fps_mode", "passthrough", "-enc_time_base",
        "1/30", "-c:v", "libx264", "-qp", "0", p["vfr"])
    _ff("-f", "lavfi", "-i", "color=black:s=64x64:r=30:d=1," + idx.format(cb=128, cr=80),
        "-c:v", "libx264", "-qp", "0", p["short"])
    # MJPEG, full range: RGB 30 grey is Y=30 in full range (16+14*219/255 in limited)
    _ff("-f", "lavfi", "-i", "color=0x1e1e1e:s=64x64:r=30:d=1", "-c:v", "mjpeg",
        "-pix_fmt", "yuvj420p", "-q:v", "2", p["mjpeg"])
    _ff("-f", "lavfi", "-i", "color=red:s=160x90:r=30:d=2[l];color=blue:s=160x90:r=30:d=2[r];"
        "[l][r]hstack", "-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv444p", p["split"])
    p["rot"] = str(d / "rot.mp4")  # a phone clip: landscape pixels, shown rotated 90
    _ff("-display_rotation", "90", "-i", p["split"], "-c", "copy", p["rot"])
    _ff("-f", "lavfi", "-i", "color=gray:s=64x64:r=30:d=3", "-f", "lavfi", "-i",
        "sine=f=440:d=3:sample_rate=48000", "-c:v", "libx264", "-c:a", "aac", "-shortest",
        p["tone"])
    _ff("-f", "lavfi", "-i", "color=red:s=40x40:d=1", "-frames:v", "1", p["logo"])
    _ff("-f", "lavfi", "-i", "testsrc2=s=180x320:r=30:d=2,trim=end_frame=1,loop=60:1:0,"
        "setpts=N/30/TB", "-c:v", "libx264", "-qp", "0", p["grad"])
    return p


def _edl(events, *, fps=Fraction(30), music=None, **kw) -> EDL:
    evs, pos = [], 0
    for e in events:
        clip, src_in, n = e[:3]
        extra = e[3] if len(e) > 3 else {}
        evs.append(Event(clip, src_in, round(src_in + n / float(fps), 6), pos, pos + n, **extra))
        pos += n
    kw.setdefault("encode", FAST)
    kw.setdefault("mix", AudioMix(loudness_lufs=None))
    return EDL(fps=fps, size=kw.pop("size", (W, H)), duration_frames=pos, music=music,
               events=tuple(evs), **kw)


def _render(edl: EDL, path: str) -> str:
    ffmpeg.write(edl, path, progress=False)
    return path


def _planes(path: str, w: int = W, h: int = H) -> np.ndarray:
    """Decoded frames as raw yuv420p planes [shape=(n, w*h*3/2)], uint8."""
    out = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", path, "-f", "rawvideo",
                          "-pix_fmt", "yuv420p", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(out, np.uint8).reshape(-1, w * h * 3 // 2)


def _index_and_clip(path: str) -> tuple[list[int], list[int]]:
    """Per output frame: the source frame shown (from Y) and the clip's U value."""
    f = _planes(path)
    y = f[:, : W * H].mean(axis=1)
    u = f[:, W * H: W * H + W * H // 4].mean(axis=1)
    return [round((v - 16) / 2) for v in y], [round(v) for v in u]


def _expected(clip_fps: float, src_in: float, n: int, speed=None, fps=30) -> list[int]:
    if speed is None:
        return [int((src_in + k / fps) * clip_fps + 1e-3) for k in range(n)]
    ev = Event("x", src_in, src_in + 1, 0, n, speed=speed)
    return [int(source_time(ev, k, Fraction(fps)) * clip_fps + 1e-3) for k in range(n)]


@pytest.mark.parametrize("lengths", [(15, 15, 15, 15), (7, 13, 5, 11, 1, 9, 3)],
                         ids=["regular", "irregular"])
def test_every_frame_shows_its_source_frame_and_cuts_are_exact(media, tmp_path, lengths):
    clips = [(media["a"], 30.0, 128), (media["b"], 25.0, 80)]
    events, want_idx, want_u = [], [], []
    for i, n in enumerate(lengths):
        clip, cfps, u = clips[i % 2]
        src_in = round((i * 7 % 40) / cfps, 6)
        events.append((clip, src_in, n))
        want_idx += _expected(cfps, src_in, n)
        want_u += [u] * n
    out = _render(_edl(events), str(tmp_path / "cuts.mp4"))
    idx, u = _index_and_clip(out)
    assert len(idx) == sum(lengths)
    assert u == want_u  # every cut on its EDL frame: 0 frames off
    assert idx == want_idx  # and every frame the source frame on screen at its time


def test_vfr_held_first_frame_and_short_clip_and_speed(media, tmp_path):
    ramp = Speed(((0, 1.0), (12, 3.0)))
    events = [(media["vfr"], 0.2, 12), (media["short"], 0.5, 30), (media["a"], 0.0, 10,
              {"speed": Speed(((0, 2.0),))}), (media["a"], 0.5, 16, {"speed": ramp})]
    out = _render(_edl(events), str(tmp_path / "vfr.mp4"))
    idx, _ = _index_and_clip(out)
    # source time 0.2 + k/30 shows frame 0 until frame 1 appears at 0.5 + 1/30
    assert idx[:12] == [0] * 10 + [1, 2]
    # a 1 s clip from 0.5 s: frames 15..29, then its last frame held to fill the slot
    assert idx[12:42] == list(range(15, 30)) + [29] * 15
    assert idx[42:52] == list(range(0, 20, 2))
    assert idx[52:68] == _expected(30.0, 0.5, 16, speed=ramp)


def test_mjpeg_full_range_keeps_its_levels(media, tmp_path):
    out = _render(_edl([(media["mjpeg"], 0.0, 10)]), str(tmp_path / "full.mp4"))
    rgb = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", out, "-f", "rawvideo", "-pix_fmt",
                          "rgb24", "-"], capture_output=True, check=True).stdout
    assert np.frombuffer(rgb, np.uint8).mean() == pytest.approx(30, abs=3)


@pytest.mark.parametrize("kind", ["crossfade", "dip-to-black", "flash", "wipeleft"])
def test_transitions_are_centred_on_the_cut_and_keep_the_length(media, tmp_path, kind):
    n = 6
    events = [(media["a"], 1.0, 20), (media["b"], 2.0, 20,
                                      {"transition": Transition(kind, n)}), (media["a"], 1.0, 10)]
    out = _render(_edl(events), str(tmp_path / f"{kind}.mp4"))
    f = _planes(out)
    assert len(f) == 50
    y = f[:, : W * H].astype(float).mean(axis=1)
    u = f[:, W * H: W * H + W * H // 4].astype(float).mean(axis=1)
    before, after = 20 - n // 2, 20 + n - n // 2
    assert np.all(np.abs(u[:before] - 128) < 2) and np.all(np.abs(u[after:40] - 80) < 2)
    if kind == "flash":  # a hard cut on the frame, white peaking on both sides of it
        assert np.all(np.abs(u[:17] - 128) < 2) and np.all(np.abs(u[23:40] - 80) < 2)
        assert y[19] > y[16] + 40 and y[20] > y[23] + 40
    elif kind == "dip-to-black":
        assert y[20] < min(y[16], y[23]) - 20
    else:  # both pictures inside the window: chroma between the two clips
        assert np.all((u[before + 1: after - 1] > 84) & (u[before + 1: after - 1] < 124))
    assert np.all(np.abs(u[40:] - 128) < 2)  # the next plain cut is still exact


def test_reframe_modes_and_subject_track(media, tmp_path):
    split = media["split"]  # left half red, right half blue
    events = [(split, 0.0, 5, {"reframe": Reframe("cover", (0.0, 0.5))}),
              (split, 0.0, 5, {"reframe": Reframe("cover", (1.0, 0.5))}),
              (split, 0.0, 5, {"reframe": Reframe("letterbox")}),
              (split, 0.0, 5, {"reframe": Reframe("fit-blur")}),
              (split, 0.0, 30, {"reframe": Reframe(track=((0.0, 0.0, 0.5), (1.0, 1.0, 0.5)))})]
    out = _render(_edl(events), str(tmp_path / "reframe.mp4"))
    rgb = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", out, "-f", "rawvideo", "-pix_fmt",
                          "rgb24", "-"], capture_output=True, check=True).stdout
    f = np.frombuffer(rgb, np.uint8).reshape(-1, H, W, 3).astype(int)
    mean = f.mean(axis=(1, 2))
    assert mean[2][0] > 200 and mean[2][2] < 40  # centre at the left: red
    assert mean[7][2] > 200 and mean[7][0] < 40  # centre at the right: blue
    top = f[12, :40].mean()
    assert top < 10  # letterbox: black bars above and below
    assert f[17, :40].mean() > 40  # fit-blur: the bars are a blurred copy
    assert f[17, H // 2, 10: W // 2 - 10, 0].mean() > 150  # ... under the sharp picture
    assert mean[20][0] > 200 and mean[49][2] > 200  # the track pans from red to blue


def test_rotated_phone_clip_is_shown_upright(media, tmp_path):
    out = _render(_edl([(media["rot"], 0.0, 5)]), str(tmp_path / "rot.mp4"))
    rgb = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", out, "-f", "rawvideo", "-pix_fmt",
                          "rgb24", "-"], capture_output=True, check=True).stdout
    got = np.frombuffer(rgb, np.uint8).reshape(-1, H, W, 3)[0].astype(int)
    # ffmpeg's own autorotation of the same file is the truth
    truth = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", media["rot"], "-frames:v", "1",
                            "-vf", f"scale={W}:{H}", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                           capture_output=True, check=True).stdout
    want = np.frombuffer(truth, np.uint8).reshape(H, W, 3).astype(int)
    assert want[: H // 3].mean(axis=(0, 1))[2] > 200  # blue on top once upright
    assert np.abs(got - want)[8:-8].mean() < 8


def test_text_and_image_overlays_show_only_in_their_frames(media, tmp_path):
    events = [(media["mjpeg"], 0.0, 30)]
    overlays = (TextOverlay("Hi: 100% 'ok'", 5, 15, size=28, color="#ffffff", box="#ff0000",
                            position="center"),
                ImageOverlay(media["logo"], 10, 20, position="top-left", scale=0.25))
    out = _render(_edl(events, overlays=overlays), str(tmp_path / "text.mp4"))
    rgb = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", out, "-f", "rawvideo", "-pix_fmt",
                          "rgb24", "-"], capture_output=True, check=True).stdout
    f = np.frombuffer(rgb, np.uint8).reshape(-1, H, W, 3).astype(int)
    box = f[:, H // 2 - 10: H // 2 + 10, W // 2 - 40: W // 2 + 40]
    red = (box[..., 0] > 150) & (box[..., 1] < 90)
    white = (box > 180).all(axis=-1)
    has_text = red.mean(axis=(1, 2)) > 0.2
    assert has_text.tolist() == [5 <= i < 15 for i in range(30)]
    assert all(white[i].any() for i in range(5, 15))  # glyphs drawn inside the box
    margin = round(0.06 * H)
    logo = f[:, margin + 5, margin + 5]
    assert [bool(p[0] > 150 and p[1] < 90) for p in logo] == [10 <= i < 20 for i in range(30)]


def test_zoom_pulse_punches_in_and_returns(media, tmp_path):
    out = _render(_edl([(media["grad"], 0.0, 30)], zoom_pulses=(ZoomPulse(10, 8, 0.3),)),
                  str(tmp_path / "zoom.mp4"))
    f = _planes(out)[:, : W * H].astype(float)
    diff = np.abs(f - f[0]).mean(axis=1)
    assert diff[:10].max() < 1.5 and diff[18:].max() < 1.5
    assert diff[10] > 5 and diff[10] > diff[14] > diff[17]


def _loudness(path: str) -> float:
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", path, "-map", "0:a",
                           "-af", "ebur128", "-f", "null", "-"], capture_output=True, text=True)
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", proc.stderr)[-1])


@pytest.mark.parametrize("target", [-14.0, -23.0])
def test_loudness_is_normalized_to_the_target(media, demo_song, tmp_path, target):
    song, _ = demo_song
    edl = _edl([(media["a"], 0.0, 90)], music=MusicRef(song, 4.0, 0.5, 0.5),
               mix=AudioMix(loudness_lufs=target), size=(64, 112))
    out = ffmpeg.write(edl, str(tmp_path / "loud.mp4"), progress=False) or \
        str(tmp_path / "loud.mp4")
    assert _loudness(out) == pytest.approx(target, abs=1.0)


def test_clip_sound_is_mixed_and_ducks_the_music(media, demo_song, tmp_path):
    song, _ = demo_song
    events = [(media["a"], 0.0, 45), (media["tone"], 0.5, 45,
                                      {"audio": EventAudio(True, 0.0)}), (media["a"], 1.5, 30)]

    def render(duck_db: float) -> np.ndarray:
        edl = _edl(events, music=MusicRef(song, 4.0), mix=AudioMix(None, duck_db=duck_db),
                   size=(64, 112))
        out = _render(edl, str(tmp_path / f"duck{duck_db}.mp4"))
        pcm = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", out, "-f", "f32le", "-ac", "1",
                              "-ar", "48000", "-"], capture_output=True, check=True).stdout
        return np.frombuffer(pcm, np.float32)

    def band(x, a, b, lo, hi):
        seg = x[int(a * 48000): int(b * 48000)]
        spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)))) ** 2
        freqs = np.fft.rfftfreq(len(seg), 1 / 48000)
        return spec[(freqs > lo) & (freqs < hi)].sum()

    ducked, plain = render(12.0), render(0.0)
    assert len(ducked) == pytest.approx(4 * 48000, abs=1024)
    # the clip's 440 Hz plays during its event (frames 45..89) only
    assert band(ducked, 1.8, 2.8, 430, 450) > 30 * band(ducked, 0.2, 1.2, 430, 450)

    def music(x, a, b):
        return band(x, a, b, 40, 300) + band(x, a, b, 800, 6000)

    # the music is 12 dB down under the clip's sound and untouched elsewhere
    inside = 10 * np.log10(music(plain, 1.8, 2.8) / music(ducked, 1.8, 2.8))
    outside = 10 * np.log10(music(plain, 0.2, 1.2) / music(ducked, 0.2, 1.2))
    assert inside == pytest.approx(12.0, abs=1.5)
    assert outside == pytest.approx(0.0, abs=0.5)


def test_slow_motion_keeps_the_clips_sound(media, tmp_path):
    # 0.4x is below what one atempo filter takes (0.5): the sound is slowed by a chain
    slow = {"audio": EventAudio(True, 0.0), "speed": Speed(((0, 0.4),))}
    edl = _edl([(media["a"], 0.0, 30), (media["tone"], 0.5, 45, slow), (media["a"], 1.5, 30)],
               size=(64, 112))
    out = _render(edl, str(tmp_path / "slow.mp4"))
    pcm = np.frombuffer(subprocess.run([ffmpeg_exe(), "-v", "error", "-i", out, "-f", "f32le",
                                        "-ac", "1", "-ar", "48000", "-"], capture_output=True,
                                       check=True).stdout, np.float32)
    assert len(pcm) == pytest.approx(3.5 * 48000, abs=1024)

    def tone(a, b):  # energy at 440 Hz (atempo keeps the pitch) against the whole band
        seg = pcm[int(a * 48000): int(b * 48000)]
        spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)))) ** 2
        f = np.fft.rfftfreq(len(seg), 1 / 48000)
        return spec[(f > 430) & (f < 450)].sum() / max(spec.sum(), 1e-12)

    # the clip's sound plays through its whole slowed event (frames 30..74), not outside
    assert tone(1.1, 1.4) > 0.5 and tone(2.1, 2.4) > 0.5
    rms = {k: float(np.sqrt(np.mean(pcm[int(a * 48000): int(b * 48000)] ** 2)))
           for k, (a, b) in {"in": (1.1, 2.4), "after": (2.6, 3.4)}.items()}
    assert rms["after"] < 0.05 * rms["in"]


@pytest.mark.parametrize(("codec", "suffix", "name"),
                         [("h265", ".mp4", "hevc"), ("vp9", ".webm", "vp9"),
                          ("av1", ".mp4", "av1")])
def test_codecs(media, tmp_path, codec, suffix, name):
    edl = _edl([(media["a"], 0.0, 8), (media["b"], 0.0, 7)],
               encode=Encode(codec=codec, crf=30, preset="ultrafast"), size=(64, 112))
    out = _render(edl, str(tmp_path / f"c{suffix}"))
    info = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", out], capture_output=True,
                          text=True).stderr
    assert f"Video: {name}" in info
    assert len(_planes(out, 64, 112)) == 15


def test_hardware_encoder_absent_falls_back_to_software(media, tmp_path, caplog):
    edl = _edl([(media["a"], 0.0, 5)], encode=Encode(crf=30, preset="ultrafast",
                                                     hardware="h264_nonexistent"), size=(64, 112))
    out = _render(edl, str(tmp_path / "hw.mp4"))
    assert len(_planes(out, 64, 112)) == 5
    assert "h264_nonexistent is not available" in caplog.text


def test_ctrl_c_stops_ffmpeg_and_leaves_no_file(media, tmp_path):
    target = tmp_path / "stopped.mp4"

    def interrupt(frames: int) -> None:
        raise KeyboardInterrupt

    edl = _edl([(media["a"], 0.0, 90), (media["b"], 0.0, 90)])
    with pytest.raises(KeyboardInterrupt):
        ffmpeg.write(edl, str(target), progress=False, on_progress=interrupt)
    assert os.listdir(tmp_path) == []
    # a segmented render stops in its second part: no part, sound or output is left
    long = _edl([(media["a" if i % 2 else "b"], 0.1 * i, 20) for i in range(10)])
    seen: list[int] = []

    def later(frames: int) -> None:
        seen.append(frames)
        if frames > 80:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ffmpeg.write(long, str(target), progress=False, on_progress=later, memory_mb=1.0)
    assert max(seen) > 80 and os.listdir(tmp_path) == []


def test_ffmpeg_failure_is_one_message_with_the_log_tail(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(2000))
    edl = _edl([(str(bad), 0.0, 5)])
    with pytest.raises(BackendError) as info:
        ffmpeg.write(edl, str(tmp_path / "o.mp4"), progress=False)
    message = str(info.value)
    assert "\n" not in message and "ffmpeg failed" in message and str(bad) in message
    assert sorted(os.listdir(tmp_path)) == ["bad.mp4"]


def test_preview_is_small_with_cut_flashes_and_beat_clicks(media, tmp_path):
    events = [(media["a"], 0.0, 30), (media["b"], 0.0, 30)]
    edl = _edl(events, size=(360, 640), markers=(Marker(0, "downbeat"), Marker(15, "beat"),
                                                 Marker(30, "downbeat"), Marker(45, "beat")))
    small = ffmpeg.preview(edl, str(tmp_path / "p.mp4"), height=160, progress=False)
    assert small.size == (90, 160)
    f = _planes(str(tmp_path / "p.mp4"), 90, 160)[:, : 90 * 160].astype(float).mean(axis=1)
    assert len(f) == 60 and f[30] > f[29] + 40 and f[30] > f[31] + 40
    pcm = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(tmp_path / "p.mp4"), "-f",
                          "f32le", "-ac", "1", "-ar", "48000", "-"], capture_output=True).stdout
    x = np.abs(np.frombuffer(pcm, np.float32))
    for frame in (15, 30, 45):
        at = frame * 1600
        assert x[at: at + 800].max() > 0.1 and x[at - 4000: at - 1000].max() < 0.02


@pytest.mark.realfootage
def test_h264_444_keyframe_seek_never_renders_garbage(tmp_path):
    # cockatoo.mp4 (python3-imageio): a keyframe seek to 3.8 s decodes green garbage
    from footage import FootageUnavailable, fetch_footage

    try:
        KEYFRAME_TRAP = fetch_footage(["cockatoo.mp4"])["cockatoo.mp4"]
    except FootageUnavailable as exc:
        pytest.skip(f"REAL FOOTAGE NOT FETCHED: {exc}")
    edl = EDL(fps=Fraction(20), size=(128, 72), duration_frames=10, music=None,
              events=(Event(KEYFRAME_TRAP, 5.0, 5.5, 0, 10),), encode=FAST,
              mix=AudioMix(loudness_lufs=None),
              sources={KEYFRAME_TRAP: SourceInfo(14.0, Fraction(20), 1280, 720)})
    from editspec.backends.ffmpeg.render import unsafe_seek_clips

    assert unsafe_seek_clips(edl) == [KEYFRAME_TRAP]
    out = _render(edl, str(tmp_path / "c.mp4"))
    got = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", out, "-f", "rawvideo", "-pix_fmt",
                          "rgb24", "-"], capture_output=True, check=True).stdout
    want = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", KEYFRAME_TRAP, "-ss", "5",
                           "-frames:v", "10", "-vf", "scale=128:72", "-f", "rawvideo",
                           "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    diff = np.abs(np.frombuffer(got, np.uint8).astype(int) - np.frombuffer(want, np.uint8))
    assert diff.mean() < 6  # the frames decoded from the start, not green garbage


def test_a_long_edit_rendered_in_segments_is_the_single_pass_picture(media, demo_song, tmp_path,
                                                                     caplog):
    import logging

    song, _ = demo_song
    lengths = (7, 13, 5, 11, 1, 9, 3, 8, 6, 10, 4, 12)
    clips = [(media["a"], 30.0, 128), (media["b"], 25.0, 80)]
    events, want_u, want_idx = [], [], []
    for i, n in enumerate(lengths):
        clip, cfps, u = clips[i % 2]
        src_in = round((i * 7 % 40) / cfps, 6)
        events.append((clip, src_in, n))
        want_u += [u] * n
        want_idx += _expected(cfps, src_in, n)
    total = sum(lengths)
    edl = _edl(events, music=MusicRef(song, 2.0, 0.2, 0.3), mix=AudioMix(loudness_lufs=-16.0),
               overlays=(TextOverlay("seg", 3, total - 3, size=28, box="#ff0000",
                                     position="center"),))
    single = _render(edl, str(tmp_path / "single.mp4"))
    caplog.set_level(logging.INFO, logger="editspec.backends.ffmpeg.render")
    segmented = str(tmp_path / "segmented.mp4")
    ffmpeg.write(edl, segmented, progress=False, memory_mb=1.0)  # 4 events per segment
    assert "12 events rendered in 3 segments" in caplog.text
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".editspec-segments-")]
    a, b = _planes(single), _planes(segmented)
    assert len(b) == total
    assert np.abs(a.astype(int) - b.astype(int)).mean(axis=1).max() < 2.0
    y = b[:, : W * H].astype(float)
    u = b[:, W * H: W * H + W * H // 4].mean(axis=1)
    # every cut on its frame, overlays across the joins; the box covers the centre rows
    v = b[:, W * H + W * H // 4:].reshape(-1, H // 2, W // 2).astype(float)
    boxed = v[:, H // 4 - 3: H // 4 + 3, W // 4 - 10: W // 4 + 10].mean(axis=(1, 2)) > 200
    assert boxed.tolist() == [3 <= i < total - 3 for i in range(total)]
    plain = [i for i in range(total) if not 3 <= i < total - 3]
    assert [round(u[i]) for i in plain] == [want_u[i] for i in plain]
    assert [round((y[i].mean() - 16) / 2) for i in plain] == [want_idx[i] for i in plain]
    assert _loudness(segmented) == pytest.approx(-16.0, abs=1.0)
    from editspec.media import probe

    assert probe(segmented).duration == pytest.approx(total / 30, abs=0.05)
