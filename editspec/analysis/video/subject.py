"""Where the subject is: a per-frame subject map, kept as column and row profiles.

Input: the analysis frames (small yuv420p, see :mod:`~editspec.analysis.video.decode`)
and the camera motion of each frame (from the global-motion kernel).
Output: per frame, how much of the subject lies in each column band and each row band
of the picture (:data:`BANDS` bands each, summing to 1), from which the planner picks
a crop window of any aspect (:mod:`~editspec.analysis.video.reframe`).

The subject map of a frame is a blend of

- motion saliency: what moves apart from the camera (the previous frame shifted by the
  camera motion, absolute residual above coding noise), remembered for about half a
  second so that a subject that pauses keeps its place;
- static saliency: frequency-tuned saliency (Achanta et al. 2009: colour distance of
  the blurred picture from its mean colour), with a mild centre prior;

weighted by how much moves: where the local motion is strong the moving thing is the
subject, in still shots the salient region is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BANDS = 32
"""Column bands (and row bands) of the profiles."""
NOISE = 12
"""Residual at or below this (0..255) is coding noise."""
MEMORY_S = 1.0
"""Time constant of the motion memory, seconds."""
MOTION_FULL = 3.0
"""Mean residual (0..255) at which the motion map alone makes the subject map."""
WHITE = 225
"""Luma at or above this is blown out (a window, the sky): never the subject."""
CENTRE_PRIOR = 0.3
"""Width (standard deviation, fraction of the picture) of the static map's centre prior."""


@dataclass(slots=True)
class SubjectState:
    """What the subject map carries from one chunk of frames to the next."""

    prev: np.ndarray | None = None
    """Last luma plane of the previous chunk."""
    memory: np.ndarray | None = None
    """Decaying motion map."""


def _resample(profile: np.ndarray, bands: int) -> np.ndarray:
    """Resample (n, k) profiles to (n, bands) bands of equal width (mass kept)."""
    n, k = profile.shape
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(profile, axis=1)], axis=1)
    at = np.linspace(0.0, k, bands + 1)
    lo = np.minimum(np.floor(at).astype(np.int64), k - 1)
    frac = at - lo
    c = cum[:, lo] + frac[None, :] * (cum[:, lo + 1] - cum[:, lo])
    return np.diff(c, axis=1)


def static_saliency(y: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Frequency-tuned saliency at chroma resolution, float32 (n, h/2, w/2), each frame
    summing to 1 (uniform when flat)."""
    from scipy.ndimage import uniform_filter

    n, ch, cw = u.shape
    yy = y.reshape(n, ch, 2, cw, 2).astype(np.float32).mean(axis=(2, 4))
    lab = np.stack([yy, u.astype(np.float32), v.astype(np.float32)], axis=1)
    lab = uniform_filter(lab, size=(1, 1, 3, 3), mode="nearest")
    mean = lab.mean(axis=(2, 3), keepdims=True)
    s = ((lab - mean) ** 2).sum(axis=1)
    # blown-out regions (windows, sky) are backgrounds, not subjects
    s = s * (yy < WHITE)
    tot = s.sum(axis=(1, 2), keepdims=True)
    return np.where(tot > 1e-6, s / np.maximum(tot, 1e-6), 1.0 / (ch * cw)).astype(np.float32)


def motion_residual(y: np.ndarray, prev: np.ndarray | None, shifts: np.ndarray) -> np.ndarray:
    """Camera-compensated absolute residual above noise, float32 (n, h, w), 0..255.

    The previous frame is shifted by the camera motion to the sub-pixel (bilinear): a
    whole-pixel shift leaves up to half a pixel of misregistration, whose residual on
    fine texture (feathers, foliage, a brick wall) reads as motion all over a picture
    that only the camera moved. Pixels the shifted frame does not cover are 0.

    ``shifts``: (n, 2) camera motion dx, dy in pixels (content moved right/down).
    """
    from editspec.analysis._video_kernels import camera_residual

    y = np.asarray(y, dtype=np.uint8)
    has_prev = prev is not None
    p = np.asarray(prev if has_prev else np.zeros(y.shape[1:]), dtype=np.uint8)
    return camera_residual(y, p, int(has_prev), np.asarray(shifts, dtype=np.float32), NOISE)


def subject_profiles(y: np.ndarray, u: np.ndarray, v: np.ndarray, shifts: np.ndarray,
                     fps: float, state: SubjectState) -> np.ndarray:
    """Return float16 (n, 2, BANDS): per frame the column profile and the row profile of
    the subject map (each summing to 1), and update ``state`` for the next chunk."""
    n = y.shape[0]
    _, ch, cw = u.shape
    stat = static_saliency(y, u, v)
    res = motion_residual(y, state.prev, shifts)
    mot = res.reshape(n, ch, 2, cw, 2).mean(axis=(2, 4))
    # centre prior on the static part: salient things near the middle count a bit more
    gx = np.exp(-0.5 * (((np.arange(cw) + 0.5) / cw - 0.5) / CENTRE_PRIOR) ** 2)
    gy = np.exp(-0.5 * (((np.arange(ch) + 0.5) / ch - 0.5) / CENTRE_PRIOR) ** 2)
    stat = stat * gx[None, None, :] * gy[None, :, None]
    stat /= np.maximum(stat.sum(axis=(1, 2), keepdims=True), 1e-12)
    decay = float(np.exp(-1.0 / max(1.0, MEMORY_S * fps)))
    mem = state.memory if state.memory is not None else np.zeros((ch, cw), np.float32)
    cols = np.empty((n, cw), dtype=np.float64)
    rows = np.empty((n, ch), dtype=np.float64)
    for i in range(n):
        mem = mem * decay + mot[i] * (1.0 - decay)
        total = float(mem.sum())
        # how strongly something moves apart from the camera: the peak of the map
        wm = min(1.0, total / (ch * cw) / MOTION_FULL)
        s = (1.0 - wm) * stat[i]
        if total > 1e-6:
            s = s + wm * (mem / total)
        cols[i] = s.sum(axis=0)
        rows[i] = s.sum(axis=1)
    state.prev = y[-1].copy()
    state.memory = mem
    out = np.stack([_resample(cols, BANDS), _resample(rows, BANDS)], axis=1)
    out /= np.maximum(out.sum(axis=2, keepdims=True), 1e-12)
    return out.astype(np.float16)
