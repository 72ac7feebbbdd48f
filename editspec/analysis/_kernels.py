"""numba kernels for the analysis hot paths: plain loops, explicit signatures, cached.

Each kernel has a ``bench/`` script that measures it against the library code it
replaces. Wrappers in :mod:`editspec.analysis.audio` and :mod:`editspec.analysis.video`
validate and shape the inputs; kernels assume contiguous arrays of the stated dtypes.
"""

from __future__ import annotations

import numpy as np
from numba import float32, float64, int64, njit, types, uint8


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


@njit(types.Tuple((float64, int64[:], int64[:]))(float64[:], float64[:], float64[:], int64[:],
                                                 int64, float64[:, :], int64[:]),
      cache=True, nogil=True)
def bar_pointer_viterbi(log_beat: np.ndarray, log_down: np.ndarray, log_none: np.ndarray,
                        intervals: np.ndarray, beats_per_bar: int, log_trans: np.ndarray,
                        beat_region: np.ndarray):  # pragma: no cover - numba
    """Viterbi decoding of a bar-pointer hidden Markov model (beats and downbeats jointly).

    A state is (tempo ``i``, beat ``k`` of the bar, frame ``o`` within the beat), with
    ``intervals[i]`` frames per beat. The pointer advances one frame per frame; at the
    end of a beat it moves to the next beat (the first beat after the bar's last) and
    may change tempo with log-probability ``log_trans[j, i]``. The first
    ``beat_region[i]`` frames of a beat emit ``log_down`` (beat 0) or ``log_beat``;
    the rest emit ``log_none``. In the spirit of madmom's DBN (Krebs, Böck, Widmer 2015),
    with tempo changes allowed at every beat.

    Returns
    -------
    score : float
        Log-probability of the best path.
    beat_frames : int64[n_beats]
        Frames where a beat starts on the best path.
    beat_index : int64[n_beats]
        Position of each beat in its bar (0 = downbeat).
    """
    n = log_beat.shape[0]
    T = intervals.shape[0]
    B = beats_per_bar
    base = np.zeros(T + 1, dtype=np.int64)
    for i in range(T):
        base[i + 1] = base[i] + B * intervals[i]
    S = base[T]
    delta = np.empty(S, dtype=np.float64)
    new = np.empty(S, dtype=np.float64)
    bp = np.zeros((n, B, T), dtype=np.int16)
    init = -np.log(float(S))
    # frame 0
    for i in range(T):
        L = intervals[i]
        for k in range(B):
            for o in range(L):
                s = base[i] + k * L + o
                if o < beat_region[i]:
                    e = log_down[0] if k == 0 else log_beat[0]
                else:
                    e = log_none[0]
                delta[s] = init + e
    for t in range(1, n):
        lb = log_beat[t]
        ld = log_down[t]
        ln = log_none[t]
        for i in range(T):
            L = intervals[i]
            r = beat_region[i]
            for k in range(B):
                s0 = base[i] + k * L
                # first frame of beat k: come from the last frame of beat k-1 at any tempo
                kp = k - 1 if k > 0 else B - 1
                best = -1e300
                arg = 0
                for j in range(T):
                    Lj = intervals[j]
                    v = delta[base[j] + kp * Lj + Lj - 1] + log_trans[j, i]
                    if v > best:
                        best = v
                        arg = j
                bp[t, k, i] = arg
                e0 = ld if k == 0 else lb
                new[s0] = best + e0
                for o in range(1, L):
                    e = e0 if o < r else ln
                    new[s0 + o] = delta[s0 + o - 1] + e
        for s in range(S):
            delta[s] = new[s]
    # best final state
    best_s = 0
    for s in range(S):
        if delta[s] > delta[best_s]:
            best_s = s
    score = delta[best_s]
    i = 0
    while base[i + 1] <= best_s:
        i += 1
    L = intervals[i]
    k = (best_s - base[i]) // L
    o = (best_s - base[i]) % L
    frames = np.empty(n // 2 + 2, dtype=np.int64)
    index = np.empty(n // 2 + 2, dtype=np.int64)
    count = 0
    t = n - 1
    while t >= 0:
        if o == 0:
            frames[count] = t
            index[count] = k
            count += 1
            if t > 0:
                j = bp[t, k, i]
                k = k - 1 if k > 0 else B - 1
                i = j
                o = intervals[i] - 1
        else:
            o -= 1
        t -= 1
    out_f = np.empty(count, dtype=np.int64)
    out_k = np.empty(count, dtype=np.int64)
    for c in range(count):
        out_f[c] = frames[count - 1 - c]
        out_k[c] = index[count - 1 - c]
    return score, out_f, out_k
