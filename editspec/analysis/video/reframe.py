"""Where a cover crop sits: the crop window of an event's reframe at a source time.

Input: an event's :class:`~editspec.edl.Reframe` and the source and output sizes.
Output: the crop as a normalized box of the source picture (what the ffmpeg backend
cuts out), for benchmarks, tests and the planner's checks.
"""

from __future__ import annotations

import itertools

import numpy as np

from editspec.edl import Reframe


def crop_size(src_w: float, src_h: float, out_w: float, out_h: float) -> tuple[float, float]:
    """Return the cover crop's (width, height) as fractions of the source picture."""
    sa, oa = src_w / src_h, out_w / out_h
    return (oa / sa, 1.0) if sa > oa else (1.0, sa / oa)


def centre_at(reframe: Reframe, t: float) -> tuple[float, float]:
    """Return the reframe's subject centre at source second ``t`` (track linear, held)."""
    if not reframe.track:
        return float(reframe.center[0]), float(reframe.center[1])
    tr = np.asarray(reframe.track, dtype=np.float64)
    return float(np.interp(t, tr[:, 0], tr[:, 1])), float(np.interp(t, tr[:, 0], tr[:, 2]))


def crop_box(reframe: Reframe, t: float, src_w: float, src_h: float, out_w: float,
             out_h: float) -> tuple[float, float, float, float]:
    """Return the crop (x0, y0, x1, y1), normalized, that an event shows at source second t.

    ``cover`` crops the output's aspect around the centre, clamped to the picture (as the
    ffmpeg backend does); the fit modes show the whole picture.
    """
    if reframe.mode != "cover":
        return 0.0, 0.0, 1.0, 1.0
    cw, ch = crop_size(src_w, src_h, out_w, out_h)
    cx, cy = centre_at(reframe, t)
    x0 = min(max(cx - cw / 2, 0.0), 1.0 - cw)
    y0 = min(max(cy - ch / 2, 0.0), 1.0 - ch)
    return x0, y0, x0 + cw, y0 + ch


STEP_S = 0.1
"""Time step of the crop path, seconds."""
POSITIONS = 41
"""Crop positions the path chooses from across the free range."""
MOVE_COST = 2.0
"""Cost of moving the crop by one picture width, in subject fractions kept for one step."""
FRAMING = 0.3
"""Weight of an off-centre subject inside the crop (0: anywhere inside is as good)."""
EASE_S = 0.2
"""Gaussian easing of the path, seconds."""


def _captured(profile: np.ndarray, lefts: np.ndarray,
              width: float) -> tuple[np.ndarray, np.ndarray]:
    """Fraction of each step's profile inside [left, left + width), and the centre of that
    part (its mean position), both (steps, positions)."""
    b = profile.shape[1]
    mid = (np.arange(b) + 0.5) / b
    edges = np.linspace(0.0, 1.0, b + 1)
    cum0 = np.concatenate([np.zeros((profile.shape[0], 1)), np.cumsum(profile, axis=1)], axis=1)
    cum1 = np.concatenate([np.zeros((profile.shape[0], 1)),
                           np.cumsum(profile * mid, axis=1)], axis=1)

    def at(cum: np.ndarray, x: np.ndarray) -> np.ndarray:  # linear within a band
        return np.stack([np.interp(x, edges, row) for row in cum])

    right = np.minimum(lefts + width, 1.0)
    mass = at(cum0, right) - at(cum0, lefts)
    moment = at(cum1, right) - at(cum1, lefts)
    centre = np.where(mass > 1e-9, moment / np.maximum(mass, 1e-9), lefts + width / 2)
    return mass, centre


def _viterbi(gain: np.ndarray, lefts: np.ndarray, move_cost: float) -> np.ndarray:
    """Positions (indices) maximizing kept subject minus the cost of moving (L1)."""
    n, k = gain.shape
    trans = move_cost * np.abs(lefts[:, None] - lefts[None, :])  # [to, from]
    score = -gain[0].copy()
    back = np.zeros((n, k), dtype=np.int64)
    for t in range(1, n):
        tot = score[None, :] + trans
        back[t] = np.argmin(tot, axis=1)
        score = tot[np.arange(k), back[t]] - gain[t]
    path = np.empty(n, dtype=np.int64)
    path[-1] = int(np.argmin(score))
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def plan_path(profile: np.ndarray, fps: float, width: float,
              cuts: np.ndarray | None = None) -> np.ndarray:
    """Return the crop centre per frame (0..1 along one axis) that keeps the subject.

    The path is what a camera operator would do: it holds while the subject stays in
    the window, moves when the subject leaves it for longer than moving is worth (the
    cost of a move grows with its length, so small drifts are ignored and no jitter
    passes), eases in and out, and jumps only at the source's cuts.

    Parameters
    ----------
    profile : np.ndarray [shape=(n, bands)]
        The subject's share in each band along the axis, per frame.
    fps : float
        Frames per second of the profile.
    width : float
        Crop size along the axis, fraction of the picture (1: nothing to choose).
    cuts : np.ndarray, optional
        Frames where a new shot starts (the path restarts there).
    """
    from scipy.ndimage import gaussian_filter1d

    n = len(profile)
    if width >= 0.999 or n == 0:
        return np.full(n, 0.5, dtype=np.float64)
    lefts = np.linspace(0.0, 1.0 - width, POSITIONS)
    step = max(1, round(STEP_S * fps))
    bounds = [0, *sorted(int(c) for c in (cuts if cuts is not None else []) if 0 < c < n), n]
    out = np.empty(n, dtype=np.float64)
    for a, b in itertools.pairwise(bounds):
        if b <= a:
            continue
        prof = np.asarray(profile[a:b], dtype=np.float64)
        m = (b - a + step - 1) // step
        pad = np.concatenate([prof, np.repeat(prof[-1:], m * step - (b - a), axis=0)])
        steps = pad.reshape(m, step, -1).mean(axis=1)
        mass, inside = _captured(steps, lefts, width)
        # keep the most subject; of equal framings, the one with the subject nearer the middle
        off = np.abs(inside - (lefts[None, :] + width / 2)) / width
        gain = mass * (1.0 - FRAMING * off)
        centres = lefts[_viterbi(gain, lefts, MOVE_COST)] + width / 2
        if m > 1:
            centres = gaussian_filter1d(centres, EASE_S / (step / fps), mode="nearest")
        t_steps = (np.arange(m) * step + (step - 1) / 2)
        out[a:b] = np.interp(np.arange(b - a), t_steps, centres)
    return np.clip(out, width / 2, 1 - width / 2)


AUTO_KEEP = 0.5
"""``reframe: auto`` fits the picture where the crop keeps less of the subject than this."""


def kept(profile: np.ndarray, xs: np.ndarray, ys: np.ndarray, cw: float, ch: float) -> float:
    """Mean share of the subject inside the crop along the path (the smaller axis)."""
    b = profile.shape[2]
    edges = np.linspace(0.0, 1.0, b + 1)
    shares = []
    for axis, c, w in ((0, xs, cw), (1, ys, ch)):
        if w >= 0.999:
            continue
        cum = np.concatenate([np.zeros((len(c), 1)), np.cumsum(profile[:, axis], axis=1)], 1)
        lo = np.array([np.interp(x - w / 2, edges, row) for x, row in zip(c, cum, strict=True)])
        hi = np.array([np.interp(x + w / 2, edges, row) for x, row in zip(c, cum, strict=True)])
        shares.append(float(np.mean(hi - lo)))
    return min(shares) if shares else 1.0


def _simplify(t: np.ndarray, x: np.ndarray, y: np.ndarray, tol: float) -> list[int]:
    """Indices of the points to keep so that linear interpolation stays within ``tol``."""
    keep = {0, len(t) - 1}
    stack = [(0, len(t) - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        s = (t[a + 1:b] - t[a]) / (t[b] - t[a])
        err = np.maximum(np.abs(x[a + 1:b] - (x[a] + s * (x[b] - x[a]))),
                         np.abs(y[a + 1:b] - (y[a] + s * (y[b] - y[a]))))
        k = int(np.argmax(err))
        if err[k] > tol:
            m = a + 1 + k
            keep.add(m)
            stack += [(a, m), (m, b)]
    return sorted(keep)


def upscale(mode: str, size: tuple[int, int], out_size: tuple[int, int]) -> float:
    """Output pixels per source pixel when a source of ``size`` fills ``out_size`` in
    ``mode`` (``cover`` crops, the fit modes show the whole picture)."""
    if mode == "cover":
        cw, _ = crop_size(size[0], size[1], out_size[0], out_size[1])
        return out_size[0] / (cw * size[0])
    return min(out_size[0] / size[0], out_size[1] / size[1])


def follow_subject(tracks: object, fps: float, src_in: float, src_out: float,
                   size: tuple[int, int], out_size: tuple[int, int],
                   cut_frames: np.ndarray | None = None, fit: str | None = None) -> Reframe:
    """Return the cover reframe of the source span [src_in, src_out) that keeps the subject.

    Parameters
    ----------
    tracks : Tracks
        The clip's tracks (``subject`` profiles; without them, the ``centre`` track).
    fps : float
        Rate of the tracks.
    src_in, src_out : float
        The event's source span, seconds.
    size : (int, int)
        Displayed source width and height.
    out_size : (int, int)
        Output width and height.
    cut_frames : np.ndarray, optional
        The clip's shot boundaries (track frames): the path may jump there.
    fit : str, optional
        ``reframe: auto``: the fit mode (``fit-blur`` or ``letterbox``) to use instead of
        the crop when the crop keeps less than :data:`AUTO_KEEP` of the subject.
    """
    subject = getattr(tracks, "subject", None)
    centre = np.asarray(getattr(tracks, "centre", np.zeros((0, 2))))
    n = len(subject) if subject is not None and len(subject) else len(centre)
    if n == 0:
        return Reframe()
    a = min(n - 1, max(0, int(np.floor(src_in * fps))))
    b = min(n, max(a + 1, int(np.ceil(src_out * fps)) + 1))
    if subject is not None and len(subject):
        cw, ch = crop_size(size[0], size[1], out_size[0], out_size[1])
        cuts = None if cut_frames is None else np.asarray(cut_frames, dtype=np.int64) - a
        prof = np.asarray(subject[a:b], dtype=np.float32)
        xs = plan_path(prof[:, 0], fps, cw, cuts)
        ys = plan_path(prof[:, 1], fps, ch, cuts)
        if fit is not None and kept(prof, xs, ys, cw, ch) < AUTO_KEEP:
            return Reframe(fit)
    else:
        xs, ys = centre[a:b, 0].astype(np.float64), centre[a:b, 1].astype(np.float64)
    t = np.clip(np.arange(a, b) / fps, src_in, src_out)
    step = max(1, round(STEP_S * fps))
    idx = np.unique(np.concatenate([np.arange(0, b - a, step), [b - a - 1]]))
    t, xs, ys = t[idx], xs[idx], ys[idx]
    keep = _simplify(t, xs, ys, 0.004)
    pts = tuple((round(float(t[i]), 4), round(float(xs[i]), 4), round(float(ys[i]), 4))
                for i in keep)
    if len(pts) == 1 or all(p[1:] == pts[0][1:] for p in pts):
        return Reframe("cover", pts[0][1:])
    return Reframe("cover", pts[0][1:], pts)
