"""numba kernels for the analysis hot paths: plain loops, explicit signatures, cached.

Each kernel has a ``bench/`` script that measures it against the library code it
replaces. Wrappers in :mod:`editspec.analysis.audio` and :mod:`editspec.analysis.video`
validate and shape the inputs; kernels assume contiguous arrays of the stated dtypes.
"""

from __future__ import annotations

import numpy as np
from numba import float32, float64, int64, njit, uint8, void


@njit(float32[:](float32[:, :], int64), cache=True, nogil=True)
def onset_flux(spec_db: np.ndarray, lag: int) -> np.ndarray:  # pragma: no cover - numba
    """Spectral flux onset strength: mean over bands of the positive change over ``lag`` frames.

    Equal to ``librosa.onset.onset_strength(S=spec_db, lag=lag, max_size=1)`` with
    the ``lag`` leading frames set to 0 (librosa pads them likewise).
    """
    n_bands, n_frames = spec_db.shape
    out = np.zeros(n_frames, dtype=np.float32)
    for t in range(lag, n_frames):
        acc = 0.0
        for b in range(n_bands):
            d = spec_db[b, t] - spec_db[b, t - lag]
            if d > 0.0:
                acc += d
        out[t] = acc / n_bands
    return out


@njit(void(float64[:], float64, float64, float64[:], int64[:]), cache=True, nogil=True)
def beat_dp(local: np.ndarray, period: float, tightness: float, cum: np.ndarray,
            back: np.ndarray) -> None:  # pragma: no cover - numba
    """Dynamic-programming beat placement (Ellis 2007).

    ``cum[t] = local[t] + max_p cum[p] - tightness * log((t - p) / period)^2`` over
    predecessors ``p`` from ``t - 2 period`` to ``t - period / 2``; ``back[t]`` is the
    best ``p`` (-1 for none). Fills ``cum`` and ``back`` in place.
    """
    n = local.shape[0]
    lo = int(round(2.0 * period))
    hi = max(1, int(round(period / 2.0)))
    for t in range(n):
        best = -1e300
        arg = -1
        start = t - lo
        if start < 0:
            start = 0
        for p in range(start, t - hi + 1):
            r = np.log((t - p) / period)
            s = cum[p] - tightness * r * r
            if s > best:
                best = s
                arg = p
        if arg >= 0 and best > 0.0:
            cum[t] = local[t] + best
            back[t] = arg
        else:
            cum[t] = local[t]
            back[t] = -1


@njit(float64[:](uint8[:, :, :]), cache=True, nogil=True)
def frame_diffs(frames: np.ndarray) -> np.ndarray:  # pragma: no cover - numba
    """Mean absolute difference between consecutive frames, in 0..255.

    ``frames`` has shape (n, h, w*c); ``out[0] = 0`` and ``out[i]`` compares frame
    ``i`` with frame ``i - 1``.
    """
    n, h, w = frames.shape
    out = np.zeros(n, dtype=np.float64)
    for i in range(1, n):
        acc = 0
        for y in range(h):
            for x in range(w):
                a = np.int64(frames[i, y, x])
                b = np.int64(frames[i - 1, y, x])
                acc += a - b if a > b else b - a
        out[i] = acc / (h * w)
    return out
