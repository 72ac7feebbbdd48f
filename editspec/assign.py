"""Clip assignment: which footage fills each slot between two cuts.

Input: slots (length, music energy, whether chorus or the first) and usable source
segments (clip, range, motion, hero / must-include flags, weight). Output: a segment
piece and in point for every slot.

Segments are cut into pieces as long as the longest slot, so any piece fits any slot
and no two slots share source frames. A cost matrix (slots × pieces) prices the
mismatch of music energy and footage motion (by rank), prefers hero clips in the
chorus and on the first shot, favours must-include clips, spreads use across clips
(each further piece of a clip costs a little more) and honours clip weights. The
assignment is solved exactly with the Hungarian method (scipy's
``linear_sum_assignment``), then neighbours from the same clip are separated by swaps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Slot:
    """A shot to fill."""

    frames: int
    """Length in output frames."""
    energy: float
    """Mean music energy over the slot, 0..1."""
    chorus: bool = False
    """Whether the slot lies in the chorus."""
    first: bool = False
    """Whether it is the first shot."""


@dataclass(frozen=True, slots=True)
class Segment:
    """Usable source footage: no shot boundary, black, blur or shake inside."""

    clip: str
    """Clip path."""
    start: float
    """Start in the clip, seconds."""
    end: float
    """End in the clip, seconds."""
    motion: float
    """Mean motion, 0..1."""
    hero: bool = False
    """A hero clip: goes to the chorus and the first shot."""
    must: bool = False
    """A must-include clip: used at least once."""
    weight: float = 1.0
    """Relative preference (> 0)."""


@dataclass(frozen=True, slots=True)
class Assignment:
    """The footage of one slot."""

    segment: int
    """Index into the segments."""
    src_in: float
    """In point in the clip, seconds."""
    reused: bool
    """Whether these source frames were already used by another slot."""


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks scaled to 0..1, ties sharing their average rank."""
    from scipy.stats import rankdata

    if len(x) <= 1:
        return np.full(len(x), 0.5)
    return (rankdata(x, method="average") - 1) / (len(x) - 1)


def assign_segments(slots: list[Slot], segments: list[Segment], fps: float, *,
                    match_motion: float = 1.0, hero_bonus: float = 0.6, must_bonus: float = 5.0,
                    spread: float = 0.15, rng: np.random.Generator | None = None,
                    method: str = "hungarian") -> tuple[list[Assignment], int]:
    """Assign a piece of footage to every slot.

    Parameters
    ----------
    slots : list of Slot
        The shots, in timeline order.
    segments : list of Segment
        Usable footage.
    fps : float
        Output frame rate (slot lengths are frames).
    match_motion : float
        Weight of the energy-to-motion rank mismatch (0: ignore motion).
    hero_bonus : float
        Cost reduction of a hero clip in the chorus or the first slot.
    must_bonus : float
        Cost reduction of the first piece of each must-include clip.
    spread : float
        Extra cost of each further piece taken from the same clip.
    rng : np.random.Generator, optional
        Breaks ties with a tiny jitter (seeded, so results are reproducible).
    method : {"hungarian", "greedy"}
        ``hungarian`` solves the assignment exactly; ``greedy`` gives each slot in turn the
        cheapest piece left (the baseline ``bench/plan.py`` measures it against).

    Returns
    -------
    assignments : list of Assignment
        One per slot.
    reused : int
        How many slots had to reuse footage (the pool was too small).

    Raises
    ------
    ValueError
        When no segment is long enough for some slot.
    """
    from scipy.optimize import linear_sum_assignment

    if not slots:
        return [], 0
    longest = max(s.frames for s in slots) / fps
    pieces: list[tuple[int, float, int]] = []  # (segment, start, index within clip)
    per_clip: dict[str, int] = {}
    for si, seg in enumerate(segments):
        n = int((seg.end - seg.start + 1e-9) // longest)
        for k in range(min(n, 64)):
            idx = per_clip.get(seg.clip, 0)
            per_clip[seg.clip] = idx + 1
            pieces.append((si, seg.start + k * longest, idx))
    # Slots shorter than the longest may still fit segments shorter than `longest`.
    short = [si for si, seg in enumerate(segments) if seg.end - seg.start < longest]
    for si in short:
        pieces.append((si, segments[si].start, per_clip.get(segments[si].clip, 0)))
        per_clip[segments[si].clip] = per_clip.get(segments[si].clip, 0) + 1
    if not pieces:
        raise ValueError(f"no usable footage is long enough for a {longest:.2f}s shot")
    # Reuse copies of every piece, priced high: taken only when fresh footage cannot fill a
    # slot (too few pieces, or too few long enough for the longer slots).
    base = list(pieces)
    for _ in range(max(1, -(-len(slots) // len(base)))):
        pieces.extend((si, st, idx + 1000) for si, st, idx in base)
    energy_rank = _ranks(np.array([s.energy for s in slots]))
    motion = np.array([segments[si].motion for si, _, _ in pieces])
    motion_rank = _ranks(motion)
    cost = match_motion * (energy_rank[:, None] - motion_rank[None, :]) ** 2
    seg_len = np.array([segments[si].end - st for si, st, _ in pieces])
    need = np.array([s.frames / fps for s in slots])
    cost = cost + np.where(seg_len[None, :] + 1e-9 < need[:, None], 1e6, 0.0)
    index = np.array([idx for _, _, idx in pieces], dtype=np.float64)
    cost = cost + spread * np.minimum(index, 999)[None, :] + 10.0 * (index >= 1000)[None, :]
    weight = np.array([segments[si].weight for si, _, _ in pieces])
    cost = cost - 0.3 * np.log(np.maximum(weight, 1e-3))[None, :]
    hero = np.array([segments[si].hero for si, _, _ in pieces])
    star = np.array([s.chorus or s.first for s in slots])
    first = np.array([s.first for s in slots])
    cost = cost - hero_bonus * np.outer(star, hero) + 0.5 * hero_bonus * np.outer(~star, hero) \
        - 0.5 * hero_bonus * np.outer(first, hero)
    first_of_must: dict[str, int] = {}
    for p, (si, _, _) in enumerate(pieces):
        if segments[si].must and segments[si].clip not in first_of_must:
            first_of_must[segments[si].clip] = p
    for p in first_of_must.values():
        cost[:, p] -= must_bonus
    if rng is not None:
        cost = cost + rng.uniform(0, 1e-6, size=cost.shape)
    if method == "greedy":
        free = np.ones(cost.shape[1], dtype=bool)
        cols = np.empty(len(slots), dtype=np.int64)
        for i in range(len(slots)):
            row = np.where(free, cost[i], np.inf)
            cols[i] = int(np.argmin(row))
            free[cols[i]] = False
        rows = np.arange(len(slots))
    elif method == "hungarian":
        rows, cols = linear_sum_assignment(cost)
    else:
        raise ValueError(f"method={method!r} is not one of hungarian, greedy")
    chosen = np.empty(len(slots), dtype=np.int64)
    chosen[rows] = cols
    if np.any(cost[rows, cols] > 1e5):
        bad = int(rows[np.argmax(cost[rows, cols])])
        raise ValueError(f"no usable footage is long enough for shot {bad + 1} "
                         f"({need[bad]:.2f}s)")
    chosen = _separate_neighbours(chosen, [segments[pieces[c][0]].clip for c in range(len(pieces))],
                                  cost)
    out = [Assignment(pieces[c][0], float(pieces[c][1]), pieces[c][2] >= 1000) for c in chosen]
    return out, sum(a.reused for a in out)


def _separate_neighbours(chosen: np.ndarray, piece_clip: list[str], cost: np.ndarray,
                         max_delta: float = 0.5) -> np.ndarray:
    """Swap pieces between slots so that no two neighbouring slots show the same clip.

    A swap is made only when it costs less than ``max_delta`` (so a hero clip is not
    moved out of the chorus to avoid a repeat)."""
    chosen = chosen.copy()
    n = len(chosen)

    def clash(i: int) -> bool:
        c = piece_clip[chosen[i]]
        return (i > 0 and piece_clip[chosen[i - 1]] == c) or \
            (i + 1 < n and piece_clip[chosen[i + 1]] == c)

    for i in range(n):
        if not clash(i):
            continue
        best, best_j = None, -1
        for j in range(n):
            if j in (i - 1, i, i + 1):
                continue
            a, b = chosen[i], chosen[j]
            if cost[i, b] > 1e5 or cost[j, a] > 1e5:
                continue
            chosen[i], chosen[j] = b, a
            ok = not clash(i) and not clash(j)
            delta = cost[i, b] + cost[j, a] - cost[i, a] - cost[j, b]
            chosen[i], chosen[j] = a, b
            if ok and delta < max_delta and (best is None or delta < best):
                best, best_j = delta, j
        if best_j >= 0:
            chosen[i], chosen[best_j] = chosen[best_j], chosen[i]
    return chosen
