"""Motion, camera shake, quality and subject-centre tracks from per-frame features.

Input: :class:`~editspec.analysis.video.features.FrameFeatures` and the shot
boundaries. Output: per-frame tracks (all at the analysis rate) and per-shot means.

- motion: mean absolute frame difference (0..1); camera motion from integral
  projections, in frame widths per second; local motion, the residual after
  compensating the camera (0..1);
- shake: the camera motion minus its 0.3 s moving average (jitter), frame widths per
  second;
- quality: near-black, blur (Laplacian variance mapped to a 0..1 sharpness) and
  exposure (mean luma, clipped highlights);
- centre: where the subject is, from the centroid of the local motion where things
  move and of frequency-tuned saliency otherwise, smoothed within each shot
  (Gaussian, 0.4 s), for cropping 16:9 to 9:16 or 1:1.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

import numpy as np

from editspec.analysis.video.features import FrameFeatures

SHARPNESS_HALF = 60.0
"""Laplacian variance at which sharpness is 0.5 (at the analysis size)."""


@dataclass(frozen=True, slots=True)
class Tracks:
    """Per-frame tracks of one clip, at the analysis rate."""

    motion: np.ndarray
    """float32 [shape=(n,)]: mean absolute difference to the previous frame, 0..1."""
    camera: np.ndarray
    """float32 [shape=(n, 2)]: camera motion x, y, frame widths per second."""
    local: np.ndarray
    """float32 [shape=(n,)]: motion left after compensating the camera, 0..1."""
    shake: np.ndarray
    """float32 [shape=(n,)]: camera jitter, frame widths per second."""
    black: np.ndarray
    """bool [shape=(n,)]: the frame is (near) black."""
    sharpness: np.ndarray
    """float32 [shape=(n,)]: 0 (blurred) .. 1 (sharp)."""
    exposure: np.ndarray
    """float32 [shape=(n,)]: mean luma, 0..1 of full scale."""
    clipped: np.ndarray
    """float32 [shape=(n,)]: fraction of clipped-white pixels."""
    centre: np.ndarray
    """float32 [shape=(n, 2)]: smoothed subject centre x, y in 0..1 of the display frame."""
    subject: np.ndarray = dataclasses.field(
        default_factory=lambda: np.zeros((0, 2, 0), np.float16))
    """float16 [shape=(n, 2, bands)]: where the subject is, per frame: its share in each
    column band and each row band (:mod:`~editspec.analysis.video.subject`); the
    planner's crop path comes from these."""


def _segments(n: int, cut_frames: np.ndarray) -> list[tuple[int, int]]:
    bounds = [0, *[int(c) for c in cut_frames], n]
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def _smooth(x: np.ndarray, sigma: float, segments: list[tuple[int, int]]) -> np.ndarray:
    from scipy.ndimage import gaussian_filter1d

    out = np.array(x, dtype=np.float32, copy=True)
    for a, b in segments:
        if b - a > 1 and sigma > 0:
            out[a:b] = gaussian_filter1d(out[a:b].astype(np.float64), sigma, axis=0, mode="nearest")
    return out


def _moving_average(x: np.ndarray, width: int, segments: list[tuple[int, int]]) -> np.ndarray:
    from scipy.ndimage import uniform_filter1d

    out = np.array(x, dtype=np.float64, copy=True)
    for a, b in segments:
        if b - a > 1:
            out[a:b] = uniform_filter1d(out[a:b], min(width, b - a), axis=0, mode="nearest")
    return out


def compute_tracks(feat: FrameFeatures, cut_frames: np.ndarray, black: np.ndarray) -> Tracks:
    """Derive the tracks of a clip.

    Parameters
    ----------
    feat : FrameFeatures
        Per-frame features.
    cut_frames : np.ndarray [shape=(n_cuts,)], int
        First frames of new shots (smoothing never crosses them).
    black : np.ndarray [shape=(n,)], bool
        Black frames.

    Returns
    -------
    Tracks
    """
    g = feat.geometry
    fps = float(g.fps)
    n = feat.n_frames
    segs = _segments(n, cut_frames)
    m = feat.motion
    camera = np.stack([m[:, 0] / g.width * fps, m[:, 1] / g.height * fps * g.height / g.width],
                      axis=1).astype(np.float32)
    for c in cut_frames:  # the frame after a cut has no camera motion of its own
        camera[int(c)] = 0.0
    avg = _moving_average(camera, max(3, round(0.3 * fps)), segs)
    shake = np.hypot(*(camera - avg).T).astype(np.float32)
    local = (m[:, 3] / 255.0).astype(np.float32)
    lap = feat.luma[:, 4]
    sharp = (lap / (lap + SHARPNESS_HALF)).astype(np.float32)
    # subject centre: the middle of the densest fifth of the subject map, per axis
    raw = np.stack([densest(feat.subject[:, 0]), densest(feat.subject[:, 1])], axis=1)
    raw[black] = 0.5
    centre = np.clip(_smooth(raw, 0.2 * fps, segs), 0.0, 1.0)
    return Tracks(motion=(m[:, 2] / 255.0).astype(np.float32), camera=camera, local=local,
                  shake=shake, black=black.astype(bool), sharpness=sharp,
                  exposure=(feat.luma[:, 0] / 255.0).astype(np.float32),
                  clipped=feat.luma[:, 3].astype(np.float32), centre=centre.astype(np.float32),
                  subject=feat.subject)


def densest(profile: np.ndarray, width: float = 0.2) -> np.ndarray:
    """Centre (0..1) of the window of ``width`` holding most of each row's profile."""
    p = np.asarray(profile, dtype=np.float64)
    n, b = p.shape
    if n == 0:
        return np.zeros(0)
    k = max(1, round(width * b))
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(p, axis=1)], axis=1)
    mass = cum[:, k:] - cum[:, :-k]
    return (np.argmax(mass, axis=1) + k / 2) / b


def usable_frames(tracks: Tracks, *, min_sharpness: float = 0.2, min_exposure: float = 0.08,
                  max_clipped: float = 0.5) -> np.ndarray:
    """Return a bool per frame: not black, not blurred, not under- or over-exposed."""
    return (~tracks.black & (tracks.sharpness >= min_sharpness)
            & (tracks.exposure >= min_exposure) & (tracks.clipped <= max_clipped))


def runs(mask: np.ndarray, min_len: int = 1) -> np.ndarray:
    """Return the runs of True in ``mask`` as int64 [shape=(k, 2)] half-open [start, end)."""
    x = np.concatenate([[0], mask.astype(np.int8), [0]])
    d = np.diff(x)
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    keep = (ends - starts) >= min_len
    return np.stack([starts[keep], ends[keep]], axis=1).astype(np.int64).reshape(-1, 2)


def per_shot_mean(x: np.ndarray, cut_frames: np.ndarray, skip_first: bool = False) -> np.ndarray:
    """Mean of a per-frame track over each shot (the cut frame itself skipped when asked)."""
    segs = _segments(len(x), cut_frames)
    out = []
    for a, b in segs:
        lo = a + 1 if skip_first and b - a > 1 else a
        out.append(float(np.mean(x[lo:b])) if b > lo else 0.0)
    return np.array(out, dtype=np.float64)
