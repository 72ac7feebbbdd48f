"""Best moments: moment scores on generated footage with a known dull and a known
highlight stretch, and the planner choosing the highlight and never a frozen frame."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from editspec.analysis.video import detect_shots
from editspec.analysis.video.moments import frozen_frames, picture_change
from editspec.edl import edl_to_json
from editspec.ir import CutRule
from editspec.plan import format_explain, plan_edit
from editspec.plan.assign import MomentTrack, Segment, Slot, assign_segments
from tests.unit.test_plan import _audio, _recipe
from tests.video_media import dull_and_highlight

HIGHLIGHT = (3.0, 5.0)
"""Seconds of ``dull_and_highlight`` where the box moves; the rest is held or black."""


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("moments") / "dull.mp4")
    dull_and_highlight(path)
    return path


def test_frozen_runs_held_first_frame_and_short_repeats():
    fps = 30.0
    mad = np.full(120, 3.0)
    mad[0:4] = 0.0          # frames 0-3 equal: a held first frame (0.13 s)
    mad[40:45] = 0.0        # 6 equal frames (0.2 s) inside: too short to read as frozen
    mad[80:95] = 0.05       # 16 equal frames (0.53 s): frozen
    got = frozen_frames(mad, fps)
    assert got[0:4].all() and not got[4:40].any()
    assert not got[39:46].any()
    assert got[79:95].all() and not got[95:].any() and not got[46:79].any()


def _minis(xs: list[float], size: int = 6) -> np.ndarray:
    """Mini frames (n, 18 * 32) of a bright square at column ``xs[i]`` on grey."""
    out = np.full((len(xs), 18, 32), 60, dtype=np.uint8)
    for i, x in enumerate(xs):
        out[i, 6:6 + size, int(x):int(x) + size] = 220
    return out.reshape(len(xs), -1)


def test_picture_change_tells_an_event_from_motion_on_the_spot_and_skips_cuts():
    fps = 10.0
    n = 40
    # a square jiggling on the spot (a face talking, a ball bouncing in place): it moves
    # every frame, yet a second later the picture is as it was
    jiggle = picture_change(_minis([12 + (i % 3 == 0) for i in range(n)]), np.zeros(0), fps)
    # the same square travelling across the picture: an event
    travel = picture_change(_minis([2 + 0.6 * i for i in range(n)]), np.zeros(0), fps)
    mid = slice(5, n - 5)
    assert travel[mid].min() > 3 * jiggle[mid].max() > 0
    # a still picture, then a cut to another still picture: no change on either side
    still = _minis([4] * 20 + [20] * 20)
    assert not picture_change(still, np.array([20]), fps).any()
    assert picture_change(still, np.zeros(0), fps)[15:25].min() > 0  # (without the cut)


def test_moment_scores_find_the_highlight_and_the_frozen_frames(clip):
    a = detect_shots(clip, use_cache=False)
    m = a.moments
    t = np.arange(a.n_frames) / float(a.fps)
    hi = (t > HIGHLIGHT[0] + 0.3) & (t < HIGHLIGHT[1] - 0.3)
    held = ((t > 0.1) & (t < 1.9)) | ((t > 5.3) & (t < 6.9))
    assert m.frozen[held].all()
    assert not m.frozen[hi].any()
    assert m.score[hi].min() > 0.3
    assert m.score[held].max() < 0.05
    assert m.activity[hi].mean() > 5 * max(m.activity[held].mean(), 1e-3)
    assert len(m.look) == pytest.approx(7 * 2, abs=1)


def test_plan_shows_the_highlight_never_held_or_black_frames(clip):
    a = detect_shots(clip)
    recipe = _recipe(rules=(CutRule(1, "beat"),), duration=1.5, clips=(clip,))
    edl = plan_edit(recipe, _audio(), {clip: a})
    assert len(edl.events) >= 2 and edl.meta["reused_shots"] == 0
    for e in edl.events:
        assert HIGHLIGHT[0] - 0.05 <= e.src_in and e.src_out <= HIGHLIGHT[1] + 0.05, e
    again = plan_edit(recipe, _audio(), {clip: a})
    assert edl_to_json(again) == edl_to_json(edl)
    text = format_explain(edl)
    assert text.count("footage: moment") == len(edl.events)


def test_an_all_frozen_clip_still_plans(clip, tmp_path):
    a = detect_shots(clip)
    frozen = dataclasses.replace(a.moments, frozen=np.ones_like(a.moments.frozen))
    recipe = _recipe(rules=(CutRule(1, "beat"),), duration=1.0, clips=(clip,))
    edl = plan_edit(recipe, _audio(), {clip: dataclasses.replace(a, moments=frozen)})
    assert edl.events  # nothing but frozen footage: used rather than failing


def _track(score, activity, rate=10.0, look=None):
    n = len(score)
    if look is None:
        look = np.tile(np.eye(4)[0], (n // 5 + 1, 1))
    return MomentTrack(rate, np.asarray(score, float), np.asarray(activity, float), look, 2.0)


def test_energetic_slots_get_active_moments_calm_slots_steady_ones():
    # two clips of equal moment score, each showing something new every second: one
    # busy, one steady
    looks = np.repeat(np.eye(4)[[0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2]], 2, axis=0)
    busy = _track(np.full(100, 0.6), np.full(100, 0.9), look=looks)
    calm = _track(np.full(100, 0.6), np.full(100, 0.2), look=looks)
    segs = [Segment("busy.mp4", 0.0, 10.0, 0.5), Segment("calm.mp4", 0.0, 10.0, 0.5)]
    slots = [Slot(30, 0.1), Slot(30, 0.95), Slot(30, 0.15), Slot(30, 0.9)]
    out, reused = assign_segments(slots, segs, 30.0, moments={"busy.mp4": busy, "calm.mp4": calm})
    assert reused == 0
    assert [segs[o.segment].clip for o in out] == ["calm.mp4", "busy.mp4", "calm.mp4", "busy.mp4"]


def test_in_points_go_to_the_peak_and_never_repeat_while_fresh_footage_remains():
    score = np.full(200, 0.1)
    score[120:140] = 0.9  # the peak: 12-14 s
    score[40:60] = 0.7    # the second best: 4-6 s
    look = np.tile(np.eye(4)[2], (40, 1))  # looks at 2 per second
    look[24:28] = np.eye(4)[0]  # the peak looks one way, the second best another
    look[8:12] = np.eye(4)[1]
    mt = _track(score, np.full(200, 0.5), look=look)
    segs = [Segment("a.mp4", 0.0, 20.0, 0.5)]
    slots = [Slot(30, 0.9)]
    out, _ = assign_segments(slots, segs, 30.0, moments={"a.mp4": mt})
    assert 12.0 - 1e-6 <= out[0].src_in <= 13.0 + 1e-6
    assert out[0].rank == 0
    out, reused = assign_segments([Slot(30, 0.9), Slot(30, 0.9)], segs, 30.0,
                                  moments={"a.mp4": mt})
    assert reused == 0
    ins = sorted(o.src_in for o in out)
    assert ins[1] - ins[0] >= 1.0 - 1e-6  # no frame shown twice
    # the second shot shows the other good moment, not more of the peak's
    assert 4.0 - 1e-6 <= ins[0] <= 5.0 + 1e-6 and 12.0 - 1e-6 <= ins[1] <= 13.0 + 1e-6
