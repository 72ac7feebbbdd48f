"""Video analysis against generated ground truth: cuts, dissolves, fades, flashes, pans,
motion, shake, quality, subject centre; the cache and the parallel pool."""

from __future__ import annotations

import numpy as np
import pytest
import video_media as vm

from editspec.analysis.video import analyze_clips, detect_shots, probe_video
from editspec.errors import MediaError


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict:
    d = tmp_path_factory.mktemp("video")
    out = {}
    for name, make in {
        "hard": lambda p: vm.hard_cuts(p),
        "dissolve": lambda p: vm.transitions(p, "fade"),
        "fade": lambda p: vm.transitions(p, "fadeblack"),
        # 6 and 8 frames between moving pictures (gradients, test pattern, zooming fractal):
        # music-video dissolves; two seeds of the random source. (Not from cellauto: its
        # two-level picture makes the first blended frame's histogram jump like a hard cut.)
        **{f"short{d}-{seed}": (lambda p, d=d, seed=seed: vm.transitions(
            p, "fade", (2.0, 2.0, 2.0, 2.0), d / 25, (6, 0, 1, 7), seed=seed))
           for d in (6, 8) for seed in (1, 2)},
        "flash": vm.flashes,
        "pan": vm.fast_pan,
        "box": vm.moving_box,
        "quality": vm.still_and_blur,
        "shaky": lambda p: vm.shaky(p, amplitude=6),
        "steady_pan": lambda p: vm.shaky(p, amplitude=0, pan_px=2),
    }.items():
        path = str(d / f"{name}.mp4")
        out[name] = (path, make(path))
    return out


def _close(found, truth, tol):
    return len(found) == len(truth) and all(abs(int(f) - t) <= tol
                                            for f, t in zip(sorted(found), truth, strict=True))


def test_hard_cuts_exact_frames(media):
    path, truth = media["hard"]
    a = detect_shots(path, use_cache=False)
    assert list(a.cut_frames) == truth.hard
    assert list(a.cut_kinds) == ["cut"] * len(truth.hard)
    np.testing.assert_allclose(a.cuts, np.array(truth.hard) / truth.fps)
    assert a.n_frames == truth.frames
    assert len(a.motion) == len(truth.hard) + 1
    assert a.transitions.shape == (len(truth.hard), 2)


def test_dissolves_found_near_their_middle(media):
    path, truth = media["dissolve"]
    a = detect_shots(path, use_cache=False)
    assert _close(a.cut_frames, truth.gradual, 2), (a.cut_frames, truth.gradual)
    assert set(a.cut_kinds) == {"dissolve"}
    for (lo, hi), mid in zip(a.transitions, truth.gradual, strict=True):
        assert lo < mid < hi  # the transition span covers the middle


@pytest.mark.parametrize("name", ["short6-1", "short6-2", "short8-1", "short8-2"])
def test_short_dissolves_between_moving_shots(media, name):
    path, truth = media[name]
    a = detect_shots(path, use_cache=False)
    assert _close(a.cut_frames, truth.gradual, 2), (a.cut_frames, truth.gradual)
    assert set(a.cut_kinds) == {"dissolve"}


def test_fades_through_black_found_near_their_middle(media):
    path, truth = media["fade"]
    a = detect_shots(path, use_cache=False)
    assert _close(a.cut_frames, truth.gradual, 2), (a.cut_frames, truth.gradual)
    assert set(a.cut_kinds) == {"fade"}


def test_flashes_are_not_cuts(media):
    path, _ = media["flash"]
    assert len(detect_shots(path, use_cache=False).cuts) == 0


def test_fast_pan_is_not_a_cut(media):
    path, _ = media["pan"]
    a = detect_shots(path, use_cache=False)
    assert len(a.cuts) == 0
    # 12 px a frame of 160, 25 fps: 1.875 widths per second, content moving left
    speed = np.median(a.tracks.camera[1:, 0])
    assert speed == pytest.approx(-12 / 160 * 25, rel=0.1)


def test_steady_pan_speed_and_shake(media):
    steady = detect_shots(media["steady_pan"][0], use_cache=False)
    shaky = detect_shots(media["shaky"][0], use_cache=False)
    assert np.median(steady.tracks.camera[1:, 0]) == pytest.approx(-2 / 160 * 25, rel=0.15)
    assert shaky.shot_shake[0] > 4 * steady.shot_shake[0]
    assert len(steady.cuts) == len(shaky.cuts) == 0


def test_quality_black_blur_and_usable_segments(media):
    path, truth = media["quality"]  # 0-39 sharp, 40-79 blurred, 80-99 black
    a = detect_shots(path, use_cache=False)
    assert list(a.cut_frames) == truth.hard
    t = a.tracks
    assert t.black[80:].all() and not t.black[:80].any()
    assert t.sharpness[:40].min() > 3 * t.sharpness[41:80].max()
    assert a.usable.shape == (1, 2)
    assert a.usable[0, 0] == 0.0 and a.usable[0, 1] == pytest.approx(40 / truth.fps)


def test_subject_centre_follows_the_moving_box(media):
    path, truth = media["box"]  # box centre x = 28 + 2n px of 160, y = middle
    a = detect_shots(path, use_cache=False)
    n = np.arange(truth.frames)
    x_true = (28 + 2 * n) / 160
    mid = slice(10, truth.frames - 10)  # the smoothing leans inward at the ends
    assert np.abs(a.tracks.centre[mid, 0] - x_true[mid]).max() < 0.05
    assert np.abs(a.tracks.centre[:, 1] - 0.5).max() < 0.05


def test_motion_ranks_shots(media):
    # the pan moves more than the still-and-blur clip's sharp shot
    pan = detect_shots(media["pan"][0])
    still = detect_shots(media["quality"][0])
    assert pan.motion[0] > 5 * still.motion[0]


def test_cache_is_used_the_second_time(media, monkeypatch):
    path, truth = media["hard"]
    first = detect_shots(path)
    import editspec.analysis.video.features as features

    def boom(*args, **kwargs):
        raise AssertionError("decoded again despite the cache")

    monkeypatch.setattr(features, "extract_features", boom)
    second = detect_shots(path)
    assert list(second.cut_frames) == list(first.cut_frames) == truth.hard
    np.testing.assert_array_equal(second.tracks.centre, first.tracks.centre)
    assert second.to_dict() == first.to_dict()


def test_pool_in_order_and_equal_to_one_by_one(media):
    names = ["hard", "fade", "flash"]
    paths = [media[n][0] for n in names]
    pooled = analyze_clips(paths, workers=2, use_cache=False)
    assert [a.path for a in pooled] == paths
    for a, n in zip(pooled, names, strict=True):
        one = detect_shots(media[n][0], use_cache=False)
        np.testing.assert_array_equal(a.cut_frames, one.cut_frames)
        np.testing.assert_allclose(a.frame_motion, one.frame_motion)


def test_pool_reports_the_bad_clip(media, tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_text("not video\n" * 20)
    with pytest.raises(MediaError, match=r"bad\.mp4: not a media file"):
        analyze_clips([media["hard"][0], str(bad)], workers=2)


def test_json_form(media):
    path, truth = media["hard"]
    d = detect_shots(path).to_dict()
    assert d["duration"] == pytest.approx(truth.frames / truth.fps, abs=0.05)
    assert d["fps"] == 25
    assert d["cuts"] == [round(c / truth.fps, 4) for c in truth.hard]
    assert len(d["motion"]) == len(d["shots"]) == len(truth.hard) + 1
    tr = d["tracks"]
    assert tr["fps"] == 10
    n = int(np.ceil(truth.frames / truth.fps * 10))
    for key in ("motion", "camera", "shake", "black", "sharpness", "exposure",
                "centre_x", "centre_y"):
        assert abs(len(tr[key]) - n) <= 1, key
    assert [t["kind"] for t in d["transitions"]] == ["cut"] * len(truth.hard)


def test_probe_reads_the_header_only(media):
    path, _truth = media["hard"]
    info = probe_video(path)
    assert (info.width, info.height, info.rotation) == (160, 90, 0)
    assert info.fps == 25


@pytest.fixture(scope="module")
def edits(tmp_path_factory: pytest.TempPathFactory) -> dict:
    d = tmp_path_factory.mktemp("video_edits")
    out = {}
    for name, make in {"jump_back": vm.jump_back, "fading_flash": vm.fading_flash}.items():
        path = str(d / f"{name}.mp4")
        out[name] = (path, make(path))
    return out


def test_jump_back_within_one_shot_is_a_cut(edits):
    # the picture after the jump was seen 6 frames earlier and comes back as the shot
    # plays on, gradually: a flash would come back at once
    path, truth = edits["jump_back"]
    a = detect_shots(path, use_cache=False)
    assert list(a.cut_frames) == truth.hard
    assert list(a.cut_kinds) == ["cut"]


def test_fading_flash_is_not_a_cut(edits):
    path, truth = edits["fading_flash"]
    a = detect_shots(path, use_cache=False)
    assert not set(a.cut_frames.tolist()) & set(truth.not_cuts), a.cut_frames
    assert len(a.cuts) == 0


def _drifting(n: int, rng: np.random.Generator, speed: float) -> np.ndarray:
    """Mini frames of one textured picture drifting ``speed`` grey levels a frame (motion)."""
    base = rng.integers(40, 200, size=300).astype(np.float64)
    walk = np.cumsum(rng.choice([-1.0, 1.0], size=(n, 300)) * speed, axis=0)
    return np.clip(base + walk, 0, 255).astype(np.uint8)


def test_a_cut_into_heavy_motion_is_a_break_and_motion_is_not():
    from editspec.analysis.video.shots import ShotParams, _is_discontinuity

    rng = np.random.default_rng(0)
    still = np.repeat(rng.integers(40, 200, size=(1, 300)), 10, axis=0).astype(np.uint8)
    moving = _drifting(10, rng, 3.0)  # another picture, changing fast every frame
    mini = np.concatenate([still, moving])
    residual = np.full(len(mini), 30.0, dtype=np.float32)
    p = ShotParams()
    jump = float(np.abs(mini[10].astype(int) - mini[9]).mean())
    assert _is_discontinuity(mini, residual, 10, jump, p)  # the cut at frame 10
    # inside the moving shot every step continues the one before: no break
    for i in range(12, 19):
        step = float(np.abs(mini[i].astype(int) - mini[i - 1]).mean())
        assert not _is_discontinuity(mini, residual, i, step, p)
    # a jump the camera explains (small residual) is no break either
    assert not _is_discontinuity(mini, np.zeros_like(residual), 10, jump, p)


def test_alpha_ramp_finds_a_straight_fall_only():
    from editspec.analysis.video.shots import ShotParams, _alpha_ramp

    p = ShotParams()
    k = 12
    alpha = np.concatenate([np.ones(20), np.linspace(1, 0, 12), np.zeros(20)])
    ramp = _alpha_ramp(alpha, 4, k, p)
    assert ramp[24:28].all() and not ramp[:18].any() and not ramp[34:].any()
    noisy = 0.5 + 0.2 * np.random.default_rng(1).standard_normal(52)  # motion: no trend
    assert not _alpha_ramp(noisy, 4, k, p).any()
