"""The cut optimizer and the clip assignment on inputs whose best answer is known."""

import itertools

import numpy as np
import pytest
from scipy.stats import spearmanr

from editspec.plan.assign import Segment, Slot, assign_segments
from editspec.plan.cutopt import CandidateGrid, candidate_grid, choose_cuts

FPS = 30.0


def _grid(first=0.25, period=0.5, n=80, start=0.0, frames=600):
    beats = first + np.arange(n) * period
    return beats, candidate_grid(beats, beats[::4], [(0.0, "A"), (8.25, "B")], np.array([]),
                                 np.array([]), lambda t: np.zeros_like(t), start, frames, FPS)


def _only(g, kinds):
    keep = np.isin(g.kinds, kinds)
    return CandidateGrid(g.times[keep], g.frames[keep], g.kinds[keep], g.salience[keep],
                         tuple(lb for lb, k in zip(g.labels, keep, strict=True) if k))


def test_grid_frames_are_nearest_to_events():
    _beats, g = _grid(start=1.0)
    for t, f in zip(g.times, g.frames, strict=True):
        assert abs(f / FPS - t) <= 0.5 / FPS + 1e-9
    # beats, half-beats, downbeats, phrase and section starts are all there
    assert set(g.kinds.tolist()) >= {1, 2, 3, 4, 5}


def test_every_two_beats_on_the_downbeat_phase():
    beats, g = _grid()
    g = _only(g, [2, 3, 4, 5])
    idx = choose_cuts(g, 600, np.full(len(g.frames), 1.0), FPS, min_frames=10)
    cuts = g.times[idx]
    # every second beat, in phase with the downbeats (0.25, 2.25, ...)
    # (the beat at 0.25 s would make a 0.25 s first shot, far from the 1 s target)
    expected = [t for t in beats[::2] if 0.5 < t < 20.0]
    assert np.allclose(cuts, expected)


def test_salience_moves_cuts_and_min_max_hold():
    _beats, g = _grid()
    g = _only(g, [1, 2, 3, 4, 5])
    sal = np.zeros(len(g.frames))
    hot = next(i for i, t in enumerate(g.times) if abs(t - 5.0) < 1e-6)  # a half-beat at 5.0 s
    sal[hot] = 3.0
    g = CandidateGrid(g.times, g.frames, g.kinds, sal, g.labels)
    idx = choose_cuts(g, 600, np.full(len(g.frames), 1.0), FPS, min_frames=20, max_frames=45)
    assert hot in idx.tolist()
    shots = np.diff(np.concatenate([[0], g.frames[idx], [600]]))
    assert shots.min() >= 20 and shots.max() <= 45


def test_forced_cuts_are_kept_and_infeasible_is_explained():
    _beats, g = _grid()
    must = np.zeros(len(g.frames), bool)
    i = int(np.argmin(np.abs(g.times - 8.25)))
    must[i] = True
    idx = choose_cuts(g, 600, np.full(len(g.frames), 4.0), FPS, must=must)
    assert i in idx.tolist()
    with pytest.raises(ValueError, match="would exceed the longest allowed"):
        choose_cuts(_only(g, [5]), 600, np.full(1, 1.0), FPS, max_frames=200)


def test_assignment_matches_motion_to_energy_without_reuse():
    rng = np.random.default_rng(3)
    energy = rng.uniform(0, 1, 24)
    slots = [Slot(int(f), float(e)) for f, e in zip(rng.integers(15, 45, 24), energy, strict=True)]
    motion = np.linspace(0.05, 0.95, 8)
    segs = [Segment(f"c{i}.mp4", 0.0, 12.0, float(m)) for i, m in enumerate(motion)]
    out, reused = assign_segments(slots, segs, FPS, rng=np.random.default_rng(0))
    assert reused == 0
    got = [segs[a.segment].motion for a in out]
    assert spearmanr(energy, got).statistic >= 0.6
    used: dict[str, list[tuple[float, float]]] = {}
    for s, a in zip(slots, out, strict=True):
        clip = segs[a.segment].clip
        rng_ = (a.src_in, a.src_in + s.frames / FPS)
        assert rng_[1] <= segs[a.segment].end + 1e-9
        for lo, hi in used.get(clip, []):
            assert rng_[0] >= hi - 1e-9 or rng_[1] <= lo + 1e-9
        used.setdefault(clip, []).append(rng_)
    clips = [segs[a.segment].clip for a in out]
    assert all(a != b for a, b in itertools.pairwise(clips))


def test_hero_first_must_include_and_small_pool():
    slots = [Slot(30, 0.5, chorus=i in (5, 6), first=i == 0) for i in range(8)]
    segs = [Segment("a.mp4", 0, 10, 0.5), Segment("hero.mp4", 0, 4, 0.5, hero=True),
            Segment("must.mp4", 0, 1.5, 0.2, must=True), Segment("b.mp4", 0, 10, 0.4)]
    out, reused = assign_segments(slots, segs, FPS)
    clips = [segs[a.segment].clip for a in out]
    assert clips[0] == "hero.mp4"
    assert "must.mp4" in clips
    tiny = [Segment("x.mp4", 0, 2.0, 0.5), Segment("y.mp4", 0, 2.0, 0.5)]
    out, reused = assign_segments(slots, tiny, FPS)
    assert reused == 4 and sum(a.reused for a in out) == 4
    with pytest.raises(ValueError, match="long enough"):
        assign_segments([Slot(300, 0.5)], tiny, FPS)


def test_hungarian_is_never_worse_than_greedy():
    rng = np.random.default_rng(7)
    slots = [Slot(int(f), float(e)) for f, e in zip(rng.integers(12, 40, 40),
                                                     rng.uniform(0, 1, 40), strict=True)]
    segs = [Segment(f"c{i}.mp4", 0.0, 6.0, float(m)) for i, m in enumerate(rng.uniform(0, 1, 8))]
    energy = [s.energy for s in slots]
    rho = {}
    for method in ("hungarian", "greedy"):
        out, _ = assign_segments(slots, segs, FPS, method=method)
        rho[method] = spearmanr(energy, [segs[a.segment].motion for a in out]).statistic
    assert rho["hungarian"] >= rho["greedy"] - 0.05
    with pytest.raises(ValueError, match="method='x' is not one of hungarian, greedy"):
        assign_segments(slots, segs, FPS, method="x")


def test_reuse_when_pieces_are_many_but_too_short():
    slots = [Slot(60, 0.5) for _ in range(8)]  # 2 s each
    segs = [Segment("long.mp4", 0.0, 10.0, 0.5)] + \
        [Segment(f"s{i}.mp4", 0.0, 0.5, 0.5) for i in range(10)]
    out, reused = assign_segments(slots, segs, FPS)
    assert reused == 3  # the long clip has 5 fresh 2 s pieces; short clips cannot fill a slot
    assert all(segs[a.segment].clip == "long.mp4" for a in out)
