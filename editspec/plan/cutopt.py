"""Cut placement by dynamic programming over a grid of musical candidates.

Input: candidate cut times from the analysis (beats, half-beats, downbeats, phrase and
section starts, strong onsets), each with a salience (the GRU's cut-salience head, or
the onset tracker's downbeat activation), a bonus for its musical kind, and the shot
length the recipe's rules ask for around it. Output: the subset of candidates to cut
on that maximizes total salience minus a penalty on every shot for straying from its
target length, under hard min/max shot lengths and forced cuts (section changes to
snap to). Unlike a greedy walk, a weak candidate now can win because it leads to a
strong one later. Descends from Hedna et al. (2023), which cut on the beats and
downbeats a recurrent network scored.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numba import float64, int64, njit, types

KIND_NAMES = ("onset", "half-beat", "beat", "downbeat", "phrase", "section")
KIND_BONUS = np.array([0.05, 0.0, 0.15, 0.35, 0.5, 0.7])
"""Bonus per candidate kind (index in :data:`KIND_NAMES`), added to its salience."""


@dataclass(frozen=True, slots=True)
class CandidateGrid:
    """Cut candidates on the output timeline, in time order."""

    times: np.ndarray
    """Output time of each candidate, seconds [shape=(m,)]."""
    frames: np.ndarray
    """The output frame nearest each candidate [shape=(m,)], int."""
    kinds: np.ndarray
    """Index into :data:`KIND_NAMES` of the strongest musical event at each candidate."""
    salience: np.ndarray
    """Cut salience at each candidate, 0..1."""
    labels: tuple[str, ...]
    """What each candidate is, for ``--explain`` (``downbeat 12``, ``section chorus``)."""


@njit(types.Tuple((float64[:], int64[:]))(int64[:], float64[:], float64[:], float64[:],
                                            int64, int64[:], float64, int64[:]), cache=True)
def _cut_dp(frames, gain, target_frames, shot_weight, min_frames, max_frames, length_weight,
            must):  # pragma: no cover - numba
    """best[j]: best score of a cut sequence from node 0 ending with a cut at node j.

    ``max_frames[i]`` bounds the shot that starts at node i."""
    n = frames.shape[0]
    best = np.full(n, -1e300)
    back = np.full(n, -1, dtype=np.int64)
    best[0] = 0.0
    longest = max_frames.max()
    for j in range(1, n):
        i = j - 1
        while i >= 0:
            length = frames[j] - frames[i]
            if length > longest:
                break
            if length >= min_frames and length <= max_frames[i] and best[i] > -1e299:
                r = np.log2(length / target_frames[i])
                v = best[i] + gain[j] - length_weight * shot_weight[i] * r * r
                if v > best[j]:
                    best[j] = v
                    back[j] = i
            if must[i] == 1:
                break  # a forced cut cannot be skipped
            i -= 1
    return best, back


def choose_cuts(grid: CandidateGrid, duration_frames: int, target_s: np.ndarray, fps: float, *,
                min_frames: int = 1, max_frames: int | None = None,
                must: np.ndarray | None = None, salience_weight: float = 1.0,
                length_weight: float = 4.0, shot_weight: np.ndarray | None = None,
                max_frames_at: np.ndarray | None = None) -> np.ndarray:
    """Pick the cuts: indices into the grid, in order.

    Parameters
    ----------
    grid : CandidateGrid
        Candidates strictly inside ``0 < frame < duration_frames``.
    duration_frames : int
        Output length in frames.
    target_s : np.ndarray [shape=(m,)]
        Shot length, seconds, that the rules ask for a shot starting at each candidate.
    fps : float
        Output frame rate.
    min_frames, max_frames : int
        Hard bounds on every shot's length, frames (max None: unbounded).
    must : np.ndarray [shape=(m,)], bool, optional
        Candidates that must be cut on (section changes to snap to).
    salience_weight : float
        Weight of a candidate's salience against its kind bonus.
    length_weight : float
        Weight of the squared log2 ratio of a shot's length to its target.
    shot_weight : np.ndarray [shape=(m,)], optional
        Per-candidate multiplier of the length penalty (how strictly a rule's density holds).
    max_frames_at : np.ndarray [shape=(m,)], int, optional
        A tighter bound, frames, on the shot starting at each candidate (the start of the
        output takes the first candidate's); ``max_frames`` still holds for all.

    Returns
    -------
    np.ndarray [shape=(k,)], int
        Indices of the chosen candidates.

    Raises
    ------
    ValueError
        When no sequence of cuts meets the constraints (the message says which).
    """
    m = len(grid.frames)
    if must is None:
        must = np.zeros(m, dtype=bool)
    if shot_weight is None:
        shot_weight = np.ones(m)
    max_f = int(max_frames) if max_frames else duration_frames
    # nodes: 0 = start, 1..m = candidates, m + 1 = end
    frames = np.concatenate([[0], grid.frames, [duration_frames]]).astype(np.int64)
    gain = np.concatenate([[0.0], salience_weight * grid.salience + KIND_BONUS[grid.kinds], [0.0]])
    target0 = float(target_s[0]) if m else float(duration_frames / fps)
    target = np.concatenate([[target0], target_s, [target_s[-1] if m else target0]]) * fps
    weights = np.concatenate([[shot_weight[0] if m else 1.0], shot_weight,
                              [1.0]]).astype(np.float64)
    must_n = np.concatenate([[1], must.astype(np.int64), [1]]).astype(np.int64)
    max_n = np.full(m + 2, max_f, dtype=np.int64)
    if max_frames_at is not None and m:
        at = np.minimum(np.asarray(max_frames_at, dtype=np.int64), max_f)
        max_n[1:m + 1] = at
        max_n[0] = at[0]
    best, back = _cut_dp(frames, gain.astype(np.float64), np.maximum(target, 1.0), weights,
                         int(min_frames), max_n, float(length_weight), must_n)
    if best[-1] < -1e299:
        raise ValueError(_infeasible(frames, must_n, int(min_frames), max_n))
    path = []
    j = int(back[-1])
    while j > 0:
        path.append(j - 1)
        j = int(back[j])
    return np.array(path[::-1], dtype=np.int64)


def _infeasible(frames: np.ndarray, must: np.ndarray, min_f: int, max_n: np.ndarray) -> str:
    gaps = np.diff(frames)
    over = np.flatnonzero(gaps > max_n[:-1])
    if len(over):
        k = int(over[0])
        return (f"no cut candidate between frames {frames[k]} and {frames[k + 1]}: a shot there "
                f"would exceed the longest allowed ({int(max_n[k])} frames)")
    forced = frames[must == 1]
    close = np.diff(forced)
    if len(close) and close.min() < min_f:
        k = int(np.argmin(close))
        return (f"forced cuts at frames {forced[k]} and {forced[k + 1]} are closer than the "
                f"shortest allowed shot ({min_f} frames)")
    return f"no cuts satisfy shots of {min_f}..{int(max_n.max())} frames"


def candidate_grid(beats: np.ndarray, downbeats: np.ndarray,
                   section_starts: list[tuple[float, str]],
                   onsets: np.ndarray, onset_strength: np.ndarray, salience_at,
                   start_s: float, duration_frames: int, fps: float, *,
                   phrase_bars: int = 4, onset_threshold: float = 0.5) -> CandidateGrid:
    """Collect cut candidates inside the output window, one per output frame.

    Parameters
    ----------
    beats, downbeats : np.ndarray
        Song times, seconds.
    section_starts : list of (float, str)
        Song time and label of each section start.
    onsets, onset_strength : np.ndarray
        Onset times (s) and strengths (0..1); onsets at or above ``onset_threshold``
        and away from beats become ``onset`` candidates.
    salience_at : callable
        Song time(s) → cut salience in 0..1.
    start_s : float
        Song time of output frame 0.
    duration_frames : int
        Output length, frames.
    fps : float
        Output frame rate.
    phrase_bars : int
        Bars in a phrase: every ``phrase_bars``-th downbeat from a section start is a
        ``phrase`` candidate.

    Returns
    -------
    CandidateGrid
        Candidates with ``0 < frame < duration_frames``; when two events fall on one
        frame the stronger kind wins.
    """
    end_s = start_s + duration_frames / fps
    events: list[tuple[float, int, str]] = []
    k_onset, k_half, k_beat, k_down, k_phrase, k_section = range(6)
    for i, t in enumerate(beats):
        events.append((float(t), k_beat, f"beat {i + 1}"))
    for a, b in itertools.pairwise(beats):
        events.append((float(a + b) / 2, k_half, "half-beat"))
    sec_times = sorted(t for t, _ in section_starts)
    for i, t in enumerate(downbeats):
        # bars counted from the most recent section start
        prev = [s for s in sec_times if s <= t + 1e-3]
        first = prev[-1] if prev else float(downbeats[0])
        bar_no = int(np.sum((downbeats >= first - 1e-3) & (downbeats < t - 1e-3)))
        kind = k_phrase if bar_no % phrase_bars == 0 else k_down
        events.append((float(t), kind, f"{'phrase' if kind == k_phrase else 'downbeat'} "
                                        f"(bar {i + 1})"))
    for t, label in section_starts:
        if t > 0:
            # snap the section start to the nearest downbeat
            if len(downbeats):
                t = float(downbeats[np.argmin(np.abs(downbeats - t))])
            events.append((t, k_section, f"section {label}"))
    if len(beats) > 1:
        period = float(np.median(np.diff(beats)))
        for t, s in zip(onsets, onset_strength, strict=True):
            if s >= onset_threshold and np.min(np.abs(beats - t)) > 0.15 * period:
                events.append((float(t), k_onset, f"hit ({s:.2f})"))
    by_frame: dict[int, tuple[float, int, str]] = {}
    for t, kind, label in events:
        if not start_s <= t < end_s:
            continue
        f = int(np.floor((t - start_s) * fps + 0.5))
        if not 0 < f < duration_frames:
            continue
        if f not in by_frame or kind > by_frame[f][1]:
            by_frame[f] = (t, kind, label)
    fr = np.array(sorted(by_frame), dtype=np.int64)
    times = np.array([by_frame[f][0] - start_s for f in fr])
    kinds = np.array([by_frame[f][1] for f in fr], dtype=np.int64)
    sal = np.asarray(salience_at(times + start_s), dtype=np.float64) if len(fr) else np.zeros(0)
    return CandidateGrid(times, fr, kinds, sal, tuple(by_frame[f][2] for f in fr))
