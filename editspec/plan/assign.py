"""Clip assignment: which footage fills each slot between two cuts.

Input: slots (length, music energy, whether chorus or the first) and usable source
segments (clip, range, motion, hero / must-include flags, weight), and, where the
analysis gave them, each clip's moment tracks (:class:`MomentTrack`: per-frame score
and activity, and a colour layout for novelty). Output: a segment piece and in point
for every slot.

Segments are cut into non-overlapping pieces as long as the longest slot, so any piece
fits any slot and no two slots share source frames. With moment tracks the pieces are
shifted within the slack a segment leaves (dynamic programming) so that they cover its
best frames and leave out its worst, and the pieces of each clip are ranked by
score less their likeness to the better pieces already ranked (maximal marginal
relevance), so a clip's second piece shows something new. A cost matrix (slots x
pieces) rewards a piece's moment score (more so on energetic slots), prices the
mismatch of music energy and footage activity (by rank: energetic music gets the most
active moments, calm music the steady ones), prefers hero clips in the chorus and on
the first shot, favours must-include clips, spreads use across clips (each further
piece of a clip, in rank order, costs a little more) and honours clip weights. The
assignment is solved exactly with the Hungarian method (scipy's
``linear_sum_assignment``), then neighbours from the same clip are separated by swaps,
and a slot shorter than its piece starts where the piece's moment is best.
"""

from __future__ import annotations

import dataclasses
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
    score: float | None = None
    """Mean moment score of the frames shown (None without moment tracks)."""
    activity: float | None = None
    """Mean activity of the frames shown (None without moment tracks)."""
    rank: int = 0
    """Rank of the piece among its clip's pieces (0: the clip's best moment)."""
    of: int = 1
    """Pieces the clip was cut into."""


@dataclass(frozen=True, slots=True)
class MomentTrack:
    """A clip's moment tracks as the assignment reads them (from the video analysis)."""

    rate: float
    """Frames per second of ``score`` and ``activity``."""
    score: np.ndarray
    """float [shape=(n,)]: moment score per frame, 0..1."""
    activity: np.ndarray
    """float [shape=(n,)]: activity per frame, 0..1."""
    look: np.ndarray
    """float [shape=(k, d)]: unit colour layouts at ``look_rate``."""
    look_rate: float
    """Looks per second."""

    def window_means(self, x: np.ndarray, starts: np.ndarray, length: float) -> np.ndarray:
        """Mean of a per-frame track over ``[start, start + length)`` for every start."""
        n = len(x)
        if n == 0:
            return np.zeros(len(starts))
        c = np.concatenate([[0.0], np.cumsum(np.asarray(x, dtype=np.float64))])
        a = np.clip(np.round(starts * self.rate).astype(np.int64), 0, n - 1)
        b = np.clip(np.round((starts + length) * self.rate).astype(np.int64), a + 1, n)
        return (c[b] - c[a]) / (b - a)

    def look_of(self, start: float, end: float) -> np.ndarray:
        """Mean colour layout over ``[start, end)``, unit length."""
        if not len(self.look):
            return np.zeros(1)
        a = int(np.clip(np.floor(start * self.look_rate), 0, len(self.look) - 1))
        b = int(np.clip(np.ceil(end * self.look_rate), a + 1, len(self.look)))
        v = self.look[a:b].astype(np.float64).mean(axis=0)
        return v / max(float(np.linalg.norm(v)), 1e-9)


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks scaled to 0..1, ties sharing their average rank."""
    from scipy.stats import rankdata

    if len(x) <= 1:
        return np.full(len(x), 0.5)
    return (rankdata(x, method="average") - 1) / (len(x) - 1)


PIECES_PER_SEGMENT = 64
"""At most this many pieces are cut from one segment."""


@dataclass(frozen=True, slots=True)
class _Piece:
    segment: int
    start: float
    end: float
    score: float
    activity: float
    look: np.ndarray | None
    index: int = 0
    of: int = 1
    value: float = 0.5
    """The score less the likeness to the clip's better pieces (what the cost rewards)."""


def _best_windows(seg: Segment, si: int, mt: MomentTrack, length: float,
                  shortest: float) -> list[_Piece]:
    """Cut the segment into as many non-overlapping windows of ``length`` s as fit, placed
    (within the slack the segment leaves) to cover its best frames and leave out its
    worst; then the gaps left that still fit the shortest slot."""
    span = seg.end - seg.start
    k = int((span + 1e-9) // length)
    out: list[_Piece] = []
    free: list[tuple[float, float]] = [(seg.start, seg.end)]
    if k >= 1:
        step = 1.0 / mt.rate
        m = int((span - k * length + 1e-9) / step) + 1  # offsets 0, step, ... <= slack
        offs = np.arange(m) * step
        base = seg.start + np.arange(k) * length
        gain = np.stack([mt.window_means(mt.score, base[i] + offs, length) for i in range(k)])
        # best[i, o]: the best total of windows 0..i with window i shifted by offs[o] (the
        # shifts never decrease, so windows never overlap)
        best = np.empty_like(gain)
        arg = np.zeros((k, m), dtype=np.int64)
        best[0] = gain[0]
        for i in range(1, k):
            run_arg = np.zeros(m, dtype=np.int64)
            cur = 0
            for o in range(m):
                if best[i - 1, o] > best[i - 1, cur] + 1e-12:
                    cur = o
                run_arg[o] = cur
            arg[i] = run_arg
            best[i] = gain[i] + best[i - 1, run_arg]
        o = int(np.argmax(best[-1] + 1e-12 * np.arange(m)[::-1]))
        shift = np.empty(k, dtype=np.int64)
        for i in range(k - 1, -1, -1):
            shift[i] = o
            o = int(arg[i, o])
        starts = [float(base[i] + offs[shift[i]]) for i in range(k)]
        keep = sorted(np.argsort(-gain[np.arange(k), shift], kind="stable")[:PIECES_PER_SEGMENT])
        free = []
        prev = seg.start
        for i in range(k):
            free.append((prev, starts[i]))
            prev = starts[i] + length
            if i in keep:
                out.append(_piece(si, starts[i], starts[i] + length, mt))
        free.append((prev, seg.end))
    for x0, x1 in free:  # leftovers that still fit a short slot
        if x1 - x0 + 1e-9 >= shortest and x1 - x0 < length and len(out) < PIECES_PER_SEGMENT:
            out.append(_piece(si, x0, x1, mt))
    return out


def _piece(si: int, start: float, end: float, mt: MomentTrack) -> _Piece:
    st = np.array([start])
    return _Piece(si, start, end, float(mt.window_means(mt.score, st, end - start)[0]),
                  float(mt.window_means(mt.activity, st, end - start)[0]), mt.look_of(start, end))


NEAR_S = 1.0
"""Pieces this close in time (seconds apart, decaying exponentially) count as one moment
continued, whatever their look."""


def _likeness(a: _Piece, b: _Piece) -> float:
    """How much two pieces of one clip show the same moment, 0..1: their colour layouts
    alike (cosine, sharpened: a clip's pictures all look somewhat alike), or their times
    close."""
    look = 0.0
    if a.look is not None and b.look is not None and len(a.look) == len(b.look):
        look = max(0.0, float(a.look @ b.look)) ** 4
    gap = max(0.0, max(a.start, b.start) - min(a.end, b.end))
    return max(look, float(np.exp(-gap / NEAR_S)))


def _rank_in_clip(pieces: list[_Piece], novelty: float) -> list[_Piece]:
    """Order a clip's pieces best first, each next one the best of score less
    ``novelty`` times its likeness (:func:`_likeness`) to those ranked before it."""
    left = list(range(len(pieces)))
    order: list[int] = []
    sim_max = np.full(len(pieces), -np.inf)
    value: dict[int, float] = {}
    while left:
        gain = [pieces[i].score - novelty * max(0.0, float(sim_max[i])) for i in left]
        k = left[int(np.argmax(gain))]
        value[k] = max(gain)
        order.append(k)
        left.remove(k)
        for i in left:
            sim_max[i] = max(sim_max[i], _likeness(pieces[k], pieces[i]))
    return [dataclasses.replace(pieces[k], index=n, of=len(pieces), value=value[k])
            for n, k in enumerate(order)]


def assign_segments(slots: list[Slot], segments: list[Segment], fps: float, *,
                    match_motion: float = 1.0, hero_bonus: float = 0.6, must_bonus: float = 5.0,
                    spread: float = 0.15, rng: np.random.Generator | None = None,
                    method: str = "hungarian", moments: dict[str, MomentTrack] | None = None,
                    score_weight: float = 2.0, novelty: float = 0.6
                    ) -> tuple[list[Assignment], int]:
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
        Weight of the energy-to-activity rank mismatch (0: ignore motion).
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
    moments : dict of str to MomentTrack, optional
        Moment tracks by clip; a clip without them is cut into pieces from its start and
        matched by its segments' motion.
    score_weight : float
        Weight of the moment score (relative to the pool's best piece).
    novelty : float
        How much a piece's likeness to its clip's better pieces lowers its rank.

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
    moments = moments or {}
    longest = max(s.frames for s in slots) / fps
    shortest = min(s.frames for s in slots) / fps
    by_clip: dict[str, list[_Piece]] = {}
    for si, seg in enumerate(segments):
        mt = moments.get(seg.clip)
        if mt is not None:
            got = _best_windows(seg, si, mt, longest, shortest)
        else:
            n = int((seg.end - seg.start + 1e-9) // longest)
            got = [_Piece(si, seg.start + k * longest, seg.start + (k + 1) * longest, 0.5,
                          seg.motion, None) for k in range(min(n, PIECES_PER_SEGMENT))]
            if seg.end - seg.start < longest:  # fits only the shorter slots
                got.append(_Piece(si, seg.start, seg.end, 0.5, seg.motion, None))
        by_clip.setdefault(seg.clip, []).extend(got)
    pieces: list[_Piece] = []
    for clip, got in by_clip.items():
        if clip in moments:
            got = _rank_in_clip(got, novelty)
        else:  # in order: full pieces first, then the short ones
            got = [dataclasses.replace(p, index=n, of=len(got)) for n, p in enumerate(
                sorted(got, key=lambda p: (p.end - p.start < longest - 1e-9, p.segment,
                                           p.start)))]
        pieces.extend(got)
    pieces.sort(key=lambda p: (p.segment, p.start))
    if not pieces:
        raise ValueError(f"no usable footage is long enough for a {longest:.2f}s shot")
    # Reuse copies of every piece, priced high: taken only when fresh footage cannot fill a
    # slot (too few pieces, or too few long enough for the longer slots).
    n_fresh = len(pieces)
    copies = max(1, -(-len(slots) // n_fresh))
    pieces = pieces + [dataclasses.replace(p, index=p.index + 1000)
                       for _ in range(copies) for p in pieces[:n_fresh]]
    energy_rank = _ranks(np.array([s.energy for s in slots]))
    activity_rank = _ranks(np.array([p.activity for p in pieces]))
    cost = match_motion * (energy_rank[:, None] - activity_rank[None, :]) ** 2
    if moments:
        value = np.array([max(p.value, 0.0) for p in pieces])
        rel = value / max(float(value.max()), 1e-6)
        # every slot wants a strong moment; the energetic ones want it most
        cost = cost - score_weight * (0.85 + 0.3 * energy_rank)[:, None] * rel[None, :]
    seg_len = np.array([p.end - p.start for p in pieces])
    need = np.array([s.frames / fps for s in slots])
    cost = cost + np.where(seg_len[None, :] + 1e-9 < need[:, None], 1e6, 0.0)
    index = np.array([p.index for p in pieces], dtype=np.float64)
    cost = cost + spread * np.minimum(index, 999)[None, :] + 10.0 * (index >= 1000)[None, :]
    weight = np.array([segments[p.segment].weight for p in pieces])
    cost = cost - 0.3 * np.log(np.maximum(weight, 1e-3))[None, :]
    hero = np.array([segments[p.segment].hero for p in pieces])
    star = np.array([s.chorus or s.first for s in slots])
    first = np.array([s.first for s in slots])
    cost = cost - hero_bonus * np.outer(star, hero) + 0.5 * hero_bonus * np.outer(~star, hero) \
        - 0.5 * hero_bonus * np.outer(first, hero)
    first_of_must: dict[str, tuple[int, int]] = {}
    for k, p in enumerate(pieces):
        clip = segments[p.segment].clip
        if segments[p.segment].must and p.index < 1000 and \
                (clip not in first_of_must or p.index < first_of_must[clip][0]):
            first_of_must[clip] = (p.index, k)
    for _, k in first_of_must.values():
        cost[:, k] -= must_bonus
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
    chosen = _separate_neighbours(chosen, [segments[p.segment].clip for p in pieces], cost)
    out = []
    for i, c in enumerate(chosen):
        p = pieces[c]
        mt = moments.get(segments[p.segment].clip)
        src_in, sc, act = p.start, None, None
        if mt is not None:
            src_in = _best_in_point(mt, p.start, p.end, need[i])
            st = np.array([src_in])
            sc = float(mt.window_means(mt.score, st, need[i])[0])
            act = float(mt.window_means(mt.activity, st, need[i])[0])
        out.append(Assignment(p.segment, float(src_in), p.index >= 1000, sc, act,
                              p.index % 1000, p.of))
    return out, sum(a.reused for a in out)


def _best_in_point(mt: MomentTrack, start: float, end: float, length: float) -> float:
    """Where in ``[start, end)`` a shot of ``length`` s shows the best moment (on the
    track's frame grid; the earliest of equals)."""
    room = end - start - length
    if room <= 1e-9:
        return start
    starts = start + np.arange(0, int(room * mt.rate + 1e-6) + 1) / mt.rate
    starts = starts[starts + length <= end + 1e-9]
    if not len(starts):
        return start
    means = mt.window_means(mt.score, starts, length)
    return float(starts[int(np.argmax(np.round(means, 6)))])


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
