"""Reframing: the crop window of a cover reframe, and the subject path."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from editspec.analysis.video.reframe import crop_box, crop_size
from editspec.edl import Reframe


def test_crop_size_of_9_16_from_16_9() -> None:
    assert crop_size(1920, 1080, 1080, 1920) == pytest.approx(((9 / 16) ** 2, 1.0))
    assert crop_size(1080, 1920, 1920, 1080) == pytest.approx((1.0, (9 / 16) ** 2))


def test_crop_box_clamps_to_the_picture_and_follows_the_track() -> None:
    w = (9 / 16) ** 2
    assert crop_box(Reframe("cover", (0.0, 0.5)), 0, 1920, 1080, 1080, 1920) == \
        pytest.approx((0.0, 0.0, w, 1.0))
    tr = Reframe("cover", (0.2, 0.5), ((0.0, 0.2, 0.5), (2.0, 0.8, 0.5)))
    x0, _, x1, _ = crop_box(tr, 1.0, 1920, 1080, 1080, 1920)
    assert (x0 + x1) / 2 == pytest.approx(0.5)
    x0, _, x1, _ = crop_box(tr, 5.0, 1920, 1080, 1080, 1920)  # held after the last point
    assert x1 == pytest.approx(min(1.0, 0.8 + w / 2))
    assert crop_box(Reframe("fit-blur"), 0, 1920, 1080, 1080, 1920) == (0, 0, 1, 1)


# -- following the subject on generated footage with known positions ----------------------

def _plan(path: str, out_size: tuple[int, int] = (1080, 1920)):  # type: ignore[no-untyped-def]
    from editspec.analysis.video import detect_shots
    from editspec.analysis.video.reframe import follow_subject

    a = detect_shots(path, use_cache=False)
    rf = follow_subject(a.tracks, float(a.fps), 0.0, a.duration, a.size, out_size,
                        a.cut_frames)
    return a, rf


def test_crop_follows_a_moving_shape_over_texture_and_holds_when_it_stops(tmp_path):
    import tests.video_media as vm

    path = str(tmp_path / "shape.mp4")
    truth = vm.shape_over_texture(path)
    _, rf = _plan(path)
    assert rf.mode == "cover" and len(rf.track) >= 2
    inside, centres = [], []
    for n in range(truth.frames):
        t = n / truth.fps
        x0, _, x1, _ = crop_box(rf, t, 320, 180, 1080, 1920)
        subject = (vm.shape_x(n) + 12) / 320
        inside.append(x0 <= subject <= x1)
        centres.append((x0 + x1) / 2)
    assert np.mean(inside) >= 0.95
    c = np.array(centres)
    # before the move and after it the crop holds still (no jitter on the texture)
    assert np.ptp(c[:12]) < 0.01 and np.ptp(c[-25:]) < 0.01
    # it moved with the shape, smoothly: no frame jumps by more than a tenth of the picture
    assert c[-1] - c[0] > 0.4
    assert np.abs(np.diff(c)).max() < 0.1


def test_crop_keeps_a_face_like_pattern_off_centre(tmp_path):
    import tests.video_media as vm

    path = str(tmp_path / "face.mp4")
    vm.face_over_texture(path, centre=(64, 80))
    _, rf = _plan(path)
    for t in (0.1, 1.0, 1.9):
        x0, _, x1, _ = crop_box(rf, t, 320, 180, 1080, 1920)
        assert x0 <= 64 / 320 <= x1
    # landscape output from the same picture: nothing to crop sideways, the face stays
    _, wide = _plan(path, (1920, 1080))
    x0, y0, x1, y1 = crop_box(wide, 1.0, 320, 180, 1920, 1080)
    assert (x0, x1) == pytest.approx((0.0, 1.0)) and y0 <= 80 / 180 <= y1


def test_path_ignores_jitter_and_eases_a_move() -> None:
    from editspec.analysis.video.reframe import plan_path

    fps, n, bands = 25.0, 150, 32
    rng = np.random.default_rng(0)
    where = np.where(np.arange(n) < 75, 0.2, 0.8) + rng.uniform(-0.02, 0.02, n)
    prof = np.zeros((n, bands))
    prof[np.arange(n), np.minimum(bands - 1, (where * bands).astype(int))] = 1.0
    x = plan_path(prof, fps, 0.32)
    assert np.ptp(x[:60]) < 0.01 and np.ptp(x[90:]) < 0.01  # holds through the jitter
    assert x[:60].mean() == pytest.approx(0.2, abs=0.05)
    assert x[90:].mean() == pytest.approx(0.8, abs=0.05)
    assert np.abs(np.diff(x)).max() < 0.1  # eased, not a jump
    # a cut lets it jump
    x_cut = plan_path(prof, fps, 0.32, np.array([75]))
    assert x_cut[76] == pytest.approx(0.8, abs=0.05)


# -- reframe: cover | fit | auto, and the upscaling limit ----------------------------------

class _Tracks:
    def __init__(self, where: float | None, n: int = 900, bands: int = 32) -> None:
        prof = np.full((n, 2, bands), 1.0 / bands, dtype=np.float16)  # spread: no subject
        if where is not None:  # everything in one column band, mid height
            prof[:, 0] = 0.0
            prof[:, 0, int(where * bands)] = 1.0
        self.subject = prof
        self.centre = np.full((n, 2), 0.5, dtype=np.float32)


def _Clip(path: str, where: float | None, size: tuple[int, int] = (1920, 1080)):
    from editspec.plan import ClipFacts

    return ClipFacts(path, 30.0, Fraction(30), size, size, tracks=_Tracks(where),
                     cut_frames=np.zeros(0, np.int64))


def _edl(reframe: str, fill: str = "blur", clips=None, max_upscale: float = 2.0):  # type: ignore[no-untyped-def]
    import dataclasses

    from editspec.plan import plan_edit
    from tests.unit.test_plan import _audio, _recipe

    recipe = _recipe()
    out = dataclasses.replace(recipe.output, reframe=reframe, fill=fill, max_upscale=max_upscale)
    clips = clips or {p: _Clip(p, 0.25) for p in ("a.mp4", "b.mp4", "c.mp4")}
    recipe = dataclasses.replace(recipe, output=out,
                                 clips=(dataclasses.replace(recipe.clips[0],
                                                            paths=tuple(clips)),))
    return plan_edit(recipe, _audio(), clips)


def test_cover_follows_the_subject_fit_shows_it_whole() -> None:
    cover = _edl("cover")
    for ev in cover.events:
        x0, _, x1, _ = crop_box(ev.reframe, ev.src_in, 1920, 1080, 1080, 1920)
        assert ev.reframe.mode == "cover" and x0 <= 0.27 <= x1
    assert {ev.reframe.mode for ev in _edl("fit").events} == {"fit-blur"}
    assert {ev.reframe.mode for ev in _edl("fit", fill="black").events} == {"letterbox"}


def test_auto_fits_where_the_crop_would_lose_the_subject() -> None:
    clips = {"a.mp4": _Clip("a.mp4", 0.25), "b.mp4": _Clip("b.mp4", None)}
    modes = {ev.clip: ev.reframe.mode for ev in _edl("auto", clips=clips).events}
    assert modes == {"a.mp4": "cover", "b.mp4": "fit-blur"}


def test_upscaling_beyond_the_limit_is_avoided_then_warned(caplog) -> None:
    sharp = {p: _Clip(p, 0.5) for p in ("a.mp4", "b.mp4")}
    small = {"small.mp4": _Clip("small.mp4", 0.5, size=(640, 272))}
    # 640x272 cropped to 9:16 is 153 px wide: 7.1x into 1080 px
    edl = _edl("cover", clips={**sharp, **small})
    assert "small.mp4" not in {ev.clip for ev in edl.events}
    assert "picture_warnings" not in edl.meta
    with caplog.at_level("WARNING"):
        alone = _edl("cover", clips=small)
    (w,) = alone.meta["picture_warnings"]
    assert "small.mp4 (640x272) is enlarged 7.1x" in w and w in caplog.text
    # a higher limit takes it as it is
    assert "picture_warnings" not in _edl("cover", clips=small, max_upscale=8).meta


def test_exports_crop_on_the_subject_the_plan_followed(tmp_path) -> None:
    """The EDL records each source's picture size, so MLT's crop sits on the subject (a
    quarter across a 1920x1080 picture) as the render's does, not on the centre."""
    import xml.etree.ElementTree as ET

    from editspec.backends import mlt

    edl = _edl("cover")
    assert {(s.width, s.height) for s in edl.sources.values()} == {(1920, 1080)}
    path = str(tmp_path / "e.mlt")
    mlt.write(edl, path)
    crops = [f for f in ET.parse(path).iter("filter")
             if any(p.get("name") == "mlt_service" and p.text == "crop" for p in f)]
    assert crops
    for f in crops:
        props = {p.get("name"): p.text for p in f}
        assert "center" not in props
        left, right = int(props["left"]), int(props["right"])
        cw = 1920 - left - right
        assert cw == round(1080 * 1080 / 1920)  # the 9:16 cover width of the picture
        assert left <= 0.25 * 1920 <= left + cw and left + cw / 2 < 1920 / 2


def _panned_texture(frames: int, step: tuple[float, float], box_x: list[int] | None = None):
    """Luma frames (n, 36, 64) of a random texture panned by ``step`` pixels a frame (drawn
    at 4x and area-averaged, so the pan falls between pixels as a real camera's does), with
    an optional bright 6x6 box at column ``box_x[i]`` that moves on its own."""
    rng = np.random.default_rng(3)
    from scipy.ndimage import uniform_filter

    # grain about 1.5 analysis pixels wide (feathers, foliage at 128 px), contrast ~10/255
    big = uniform_filter(rng.integers(0, 256, size=(36 * 4 + 64, 64 * 4 + 64)).astype(
        np.float64), 6)
    out = np.empty((frames, 36, 64), dtype=np.uint8)
    for i in range(frames):
        ox, oy = round(32 - 4 * step[0] * i), round(32 - 4 * step[1] * i)
        win = big[oy:oy + 36 * 4, ox:ox + 64 * 4]
        f = win.reshape(36, 4, 64, 4).mean(axis=(1, 3))
        if box_x is not None:
            f[15:21, box_x[i]:box_x[i] + 6] = 250
        out[i] = np.clip(np.round(f), 0, 255)
    return out


def test_motion_residual_ignores_a_sub_pixel_pan_of_texture():
    from editspec.analysis.video.subject import motion_residual

    step = (0.5, 0.25)  # content moves half a pixel right, a quarter down, each frame
    y = _panned_texture(12, step)
    shifts = np.tile(np.array(step, dtype=np.float32), (len(y), 1))
    res = motion_residual(y, None, shifts)
    assert not res[0].any()  # frame 0 has nothing to compare with
    # whole-pixel compensation leaves half a pixel of texture misregistered: measure the
    # same pan with the shifts rounded, which the sub-pixel version must beat by far
    rounded = motion_residual(y, None, np.round(shifts + 1e-3))
    inner = (slice(1, None), slice(2, -2), slice(2, -2))
    assert (res[inner] > 0).mean() < 0.01
    assert (rounded[inner] > 0).mean() > max(0.03, 5 * (res[inner] > 0).mean())


def test_motion_residual_keeps_what_moves_apart_from_the_camera():
    from editspec.analysis.video.subject import motion_residual

    step = (0.5, 0.0)
    xs = [8 + 3 * i for i in range(12)]
    y = _panned_texture(12, step, xs)
    res = motion_residual(y[1:], y[0], np.tile(np.array(step, np.float32), (11, 1)))
    for i in range(11):
        cols = res[i].sum(axis=0)
        # the residual's mass sits on the box (now at xs[i + 1], it came from xs[i])
        box = cols[xs[i]:xs[i + 1] + 6].sum()
        assert box >= 0.8 * cols.sum() > 0
