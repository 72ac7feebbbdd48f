"""Moment scores: how worth showing each stretch of a clip is, frame by frame.

Input: a clip's :class:`~editspec.analysis.video.features.FrameFeatures`, its
:class:`~editspec.analysis.video.tracks.Tracks` and its shot transitions. Output:
:class:`Moments`, per-frame tracks at the analysis rate that the planner reads to pick
in points (it never decodes anything itself):

- activity (0..1): how much moves apart from the camera (the residual after camera
  compensation), half on an absolute scale (a fast movement is a fast movement in any
  clip) and half relative to the clip's own busiest stretch (the ignition after a
  static pad, the pen pushing the coin);
- quality (0..1): sharpness, exposure, no large dark mass over the picture (a lens
  covered, a subject too close), no whip pan or shake, not inside a fade or dissolve;
- change (internal): how much the picture differs half a second before and after a
  frame, within its shot: an event changes it, motion on the spot does not;
- score (0..1): quality times interest (half activity, half change), smoothed over
  about half a second; static, empty, blurred, dark or frozen stretches score low;
- frozen: frames that repeat the previous one (a held first frame, a frozen or
  paused stretch, a still card): runs of at least :data:`FROZEN_MIN_S` (at the
  clip's start: :data:`HELD_MIN_S`) never fill a shot;
- look: a tiny colour layout at :data:`LOOK_RATE` per second, so the planner can tell
  two moments that look alike (novelty against what the edit already shows).

Everything is derived from features the decoder pass already computes, so the extra
cost is a few vectorised passes over per-frame numbers. See ``docs/video.md``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from editspec.analysis.video.features import MINI_FACTOR, FrameFeatures
from editspec.analysis.video.tracks import Tracks

FROZEN_MAD = 0.12
"""Mean absolute difference to the previous frame (0..255 luma) under which a frame
repeats it (codec noise on a real still scene stays above it; a duplicated frame is 0)."""
FROZEN_MIN_S = 0.3
"""Shortest frozen run (seconds) marked frozen inside a clip."""
HELD_MIN_S = 0.1
"""Shortest frozen run (seconds) marked frozen at a clip's start (a held first frame)."""
LOOK_RATE = 2
"""Looks per second."""
LOOK_GRID = (4, 4)
"""Rows, columns of the luma layout of a look (plus the mean U and V of each half)."""
ACTIVITY_SCALE = 2.5
"""Residual motion (0..255) at which the absolute activity is 1 - 1/e."""
CHANGE_S = 0.5
"""Change is measured between the pictures this long before and after a frame."""
CHANGE_SCALE = 3.0
"""Picture change (0..255, mean over the mini frames) at which the absolute change is
1 - 1/e."""


@dataclass(frozen=True, slots=True)
class Moments:
    """Per-frame moment tracks of one clip, at the analysis rate."""

    score: np.ndarray
    """float32 [shape=(n,)]: how worth showing the frame's moment is, 0..1."""
    activity: np.ndarray
    """float32 [shape=(n,)]: motion apart from the camera, 0..1 (energetic moments high)."""
    quality: np.ndarray
    """float32 [shape=(n,)]: sharp, well exposed, unobstructed, steady, 0..1."""
    frozen: np.ndarray
    """bool [shape=(n,)]: the frame belongs to a frozen run (held, paused, still card)."""
    look: np.ndarray
    """float32 [shape=(k, d)]: colour layout at :data:`LOOK_RATE` per second, unit length."""


def _smooth(x: np.ndarray, width: int) -> np.ndarray:
    from scipy.ndimage import uniform_filter1d

    if len(x) < 2 or width < 2:
        return x.astype(np.float64)
    return uniform_filter1d(x.astype(np.float64), min(width, len(x)), mode="nearest")


def frozen_frames(mad: np.ndarray, fps: float) -> np.ndarray:
    """Bool per frame: inside a run of repeated frames long enough to read as frozen.

    Parameters
    ----------
    mad : np.ndarray [shape=(n,)]
        Mean absolute luma difference to the previous frame, 0..255 (frame 0: 0).
    fps : float
        Analysis rate.
    """
    from editspec.analysis.video.tracks import runs

    n = len(mad)
    same = np.asarray(mad, dtype=np.float64) < FROZEN_MAD
    if n:
        # frame 0 has no predecessor: it is held when the frame after it repeats it
        same[0] = n > 1 and bool(same[1])
    out = np.zeros(n, dtype=bool)
    for a, b in runs(same):
        # a run of k repeats shows k + 1 equal frames, the one before it included
        a0 = max(0, a - 1) if a > 0 else 0
        need = HELD_MIN_S if a0 == 0 else FROZEN_MIN_S
        if (b - a0) / fps >= need:
            out[a0:b] = True
    return out


def picture_change(mini: np.ndarray, cut_frames: np.ndarray, fps: float) -> np.ndarray:
    """How much the picture changes around each frame: the mean absolute difference of the
    mini frames :data:`CHANGE_S` before and after it (0..255), within its shot (a cut is
    no event: near one the window stops at the shot's edge).

    Motion that goes nowhere (a face talking, a ball bouncing on the spot, leaves in the
    wind) keeps the picture as it was; an event (someone coming into view, a pen pushing
    a coin, an ignition, objects flying in) changes it.
    """
    n = len(mini)
    out = np.zeros(n, dtype=np.float64)
    if n < 2:
        return out
    k = max(1, round(CHANGE_S * fps))
    bounds = [0, *sorted(int(c) for c in cut_frames if 0 < int(c) < n), n]
    m = mini.astype(np.int16)
    for a, b in itertools.pairwise(bounds):
        if b - a < 2:
            continue
        t = np.arange(a, b)
        lo, hi = np.maximum(t - k, a), np.minimum(t + k, b - 1)
        out[a:b] = np.abs(m[hi] - m[lo]).mean(axis=1)
    return out


def _looks(feat: FrameFeatures) -> np.ndarray:
    g = feat.geometry
    mh, mw = g.height // MINI_FACTOR, g.width // MINI_FACTOR
    fps = float(g.fps)
    n = feat.n_frames
    step = max(1, round(fps / LOOK_RATE))
    idx = np.arange(0, n, step)
    if mh < LOOK_GRID[0] or mw < LOOK_GRID[1] or not len(idx):
        return np.zeros((len(idx), 1), dtype=np.float32)
    m = mh * mw
    mini = feat.mini[idx].astype(np.float32)
    y = mini[:, :m].reshape(-1, mh, mw)
    u = mini[:, m:2 * m].reshape(-1, mh, mw)
    v = mini[:, 2 * m:].reshape(-1, mh, mw)
    gr, gc = LOOK_GRID
    rr = np.array_split(np.arange(mh), gr)
    cc = np.array_split(np.arange(mw), gc)
    parts = [y[:, r][:, :, c].mean(axis=(1, 2)) for r in rr for c in cc]
    for plane in (u, v):
        for half in np.array_split(np.arange(mw), 2):
            parts.append(1.5 * (plane[:, :, half].mean(axis=(1, 2)) - 128.0))
    vec = np.stack(parts, axis=1)
    vec[:, :gr * gc] -= vec[:, :gr * gc].mean(axis=1, keepdims=True) * 0.5
    norm = np.linalg.norm(vec, axis=1, keepdims=True)
    return (vec / np.maximum(norm, 1e-6)).astype(np.float32)


def compute_moments(feat: FrameFeatures, tracks: Tracks, transitions: np.ndarray,
                    cut_frames: np.ndarray | None = None) -> Moments:
    """Score every frame of a clip as a moment to show.

    Parameters
    ----------
    feat : FrameFeatures
        Per-frame features.
    tracks : Tracks
        Motion, camera, quality tracks of the clip.
    transitions : np.ndarray [shape=(k, 2)], int
        First and last frame of each fade or dissolve (their frames score low).
    cut_frames : np.ndarray, optional
        Frames where a new shot starts (the picture change is measured within shots).

    Returns
    -------
    Moments
    """
    fps = float(feat.geometry.fps)
    n = feat.n_frames
    half = max(1, round(0.5 * fps))
    res = np.asarray(feat.motion[:, 3], dtype=np.float64)
    res_s = _smooth(res, half)
    absolute = 1.0 - np.exp(-res_s / ACTIVITY_SCALE)
    top = float(np.percentile(res_s, 90)) if n else 0.0
    relative = np.clip(res_s / max(top, 0.5), 0.0, 1.0)
    activity = 0.5 * absolute + 0.5 * relative
    frozen = frozen_frames(feat.motion[:, 2], fps)
    activity[frozen] = 0.0
    # quality
    sharp = np.clip(np.asarray(tracks.sharpness, dtype=np.float64) / 0.5, 0.2, 1.0)
    expo = np.asarray(tracks.exposure, dtype=np.float64)
    exposure = np.clip((expo - 0.06) / 0.12, 0.0, 1.0) * np.clip((0.97 - expo) / 0.12, 0.0, 1.0)
    exposure *= np.clip(1.0 - (np.asarray(tracks.clipped, np.float64) - 0.2) / 0.4, 0.2, 1.0)
    dark = np.asarray(feat.luma[:, 2], dtype=np.float64)  # share of near-black pixels
    obstructed = np.clip((dark - 0.1) / 0.25, 0.0, 0.8)
    speed = np.hypot(tracks.camera[:, 0], tracks.camera[:, 1]).astype(np.float64)
    whip = np.clip((_smooth(speed, half) - 0.5) / 0.6, 0.0, 0.8)
    shake = np.clip((_smooth(np.asarray(tracks.shake, np.float64), half) - 0.15) / 0.5, 0.0, 0.6)
    quality = sharp * exposure * (1.0 - obstructed) * (1.0 - whip) * (1.0 - shake)
    quality[np.asarray(tracks.black, dtype=bool)] = 0.0
    for a, b in np.asarray(transitions, dtype=np.int64).reshape(-1, 2):
        quality[max(0, a):min(n, b + 1)] *= 0.2
    # interest: what moves, and how much that changes the picture (an event, not motion
    # on the spot), each half on an absolute scale and half relative to the clip's best
    cuts = np.zeros(0, np.int64) if cut_frames is None else np.asarray(cut_frames, np.int64)
    ch = _smooth(picture_change(feat.mini, cuts, fps), half)
    ch_top = float(np.percentile(ch, 90)) if n else 0.0
    change = 0.5 * (1.0 - np.exp(-ch / CHANGE_SCALE)) + 0.5 * np.clip(ch / max(ch_top, 0.5),
                                                                        0.0, 1.0)
    change[frozen] = 0.0
    interest = 0.5 * activity + 0.5 * change
    score = _smooth(np.clip(quality, 0.0, 1.0) * interest, half)
    score[frozen] = 0.0
    return Moments(score=score.astype(np.float32), activity=activity.astype(np.float32),
                   quality=_smooth(quality, half).astype(np.float32), frozen=frozen,
                   look=_looks(feat))
