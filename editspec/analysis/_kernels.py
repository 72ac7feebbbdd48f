"""numba kernels for the analysis hot paths: plain loops, explicit signatures, cached.

Each kernel has a ``bench/`` script that measures it against the library code it
replaces. Wrappers in :mod:`editspec.analysis.audio` validate and shape the inputs;
kernels assume contiguous arrays of the stated dtypes. Video kernels live in
:mod:`editspec.analysis._video_kernels`.
"""

from __future__ import annotations

import numpy as np
from numba import float32, float64, int64, njit, types, void


@njit(float32[:](float32[:, ::1], int64), cache=True, nogil=True, fastmath=True)
def onset_flux(spec_db: np.ndarray, lag: int) -> np.ndarray:  # pragma: no cover - numba
    """Spectral flux onset strength: mean over bands of the positive change over ``lag`` frames.

    Equal to ``librosa.onset.onset_strength(S=spec_db, lag=lag, max_size=1)`` with
    the ``lag`` leading frames set to 0 (librosa pads them likewise).
    """
    n_bands, n_frames = spec_db.shape
    acc = np.zeros(n_frames, dtype=np.float32)
    for b in range(n_bands):  # rows are contiguous: walk each band along time
        row = spec_db[b]
        for t in range(lag, n_frames):
            acc[t] += max(row[t] - row[t - lag], np.float32(0.0))
    inv = np.float32(1.0 / n_bands)
    for t in range(n_frames):
        acc[t] *= inv
    return acc


@njit(types.Tuple((float64, int64[:], int64[:]))(float64[:], float64[:], float64[:], int64[:],
                                                 int64, float64[:, :], int64[:], int64[:],
                                                 int64[:]),
      cache=True, nogil=True)
def bar_pointer_viterbi(log_beat: np.ndarray, log_down: np.ndarray, log_none: np.ndarray,
                        intervals: np.ndarray, beats_per_bar: int, log_trans: np.ndarray,
                        beat_region: np.ndarray, trans_lo: np.ndarray,
                        trans_hi: np.ndarray):  # pragma: no cover - numba
    """Viterbi decoding of a bar-pointer hidden Markov model (beats and downbeats jointly).

    A state is (tempo ``i``, beat ``k`` of the bar, frame ``o`` within the beat), with
    ``intervals[i]`` frames per beat. The pointer advances one frame per frame; at the
    end of a beat it moves to the next beat (the first beat after the bar's last) and
    may change tempo from ``j`` to ``i`` with log-probability ``log_trans[j, i]``
    (only ``trans_lo[i] <= j < trans_hi[i]`` are considered). The first
    ``beat_region[i]`` frames of a beat emit ``log_down`` (beat 0) or ``log_beat``; the
    others emit ``log_none``. In the spirit of madmom's DBN (Krebs, Böck & Widmer 2015),
    with tempo changes allowed at every beat.

    Each tempo's bar is a ring buffer indexed by ``(position - t) mod bar_length``, so
    advancing the pointer moves no data; ``log_none`` is added to every state alike and
    therefore left out (scores of different metres stay comparable). Per frame the work
    is the beat-start transitions and the beat-region emissions only.

    Returns
    -------
    score : float
        Log-probability of the best path, less the sum of ``log_none``.
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
    starts = np.empty((B, T), dtype=np.float64)
    ends = np.empty((B, T), dtype=np.float64)
    trans_to = np.ascontiguousarray(log_trans.T)  # [to, from]: the inner loop reads rows
    bp = np.zeros((n, B, T), dtype=np.int16)
    off = np.zeros(T, dtype=np.int64)  # t mod bar length, per tempo
    prev = np.zeros(T, dtype=np.int64)  # (t - 1) mod bar length
    init = -np.log(float(S))
    # frame 0: storage index (q - 0) mod M == q
    for i in range(T):
        L = intervals[i]
        for k in range(B):
            for o in range(L):
                e = 0.0
                if o < beat_region[i]:
                    e = (log_down[0] if k == 0 else log_beat[0]) - log_none[0]
                delta[base[i] + k * L + o] = init + e
    for t in range(1, n):
        for i in range(T):
            prev[i] = off[i]
            off[i] += 1
            if off[i] == B * intervals[i]:
                off[i] = 0
        # 1. beat starts: best predecessor among the last frames of the previous beat
        # (gathered once per frame: every target tempo reads the same few)
        for j in range(T):
            Lj = intervals[j]
            for kp in range(B):
                idx = kp * Lj + Lj - 1 - prev[j]
                if idx < 0:
                    idx += B * Lj
                ends[kp, j] = delta[base[j] + idx]
        for i in range(T):
            for k in range(B):
                kp = k - 1 if k > 0 else B - 1
                best = -1e300
                arg = trans_lo[i]
                for j in range(trans_lo[i], trans_hi[i]):
                    v = ends[kp, j] + trans_to[i, j]
                    if v > best:
                        best = v
                        arg = j
                starts[k, i] = best
                bp[t, k, i] = arg
        # 2. write beat starts, add beat-region emissions
        lb = log_beat[t] - log_none[t]
        ld = log_down[t] - log_none[t]
        for i in range(T):
            L = intervals[i]
            M = B * L
            for k in range(B):
                e = ld if k == 0 else lb
                idx = k * L - off[i]
                if idx < 0:
                    idx += M
                delta[base[i] + idx] = starts[k, i] + e
                for _ in range(1, beat_region[i]):
                    idx += 1
                    if idx == M:
                        idx = 0
                    delta[base[i] + idx] += e
    best_s = 0
    for s in range(S):
        if delta[s] > delta[best_s]:
            best_s = s
    score = delta[best_s]
    i = 0
    while base[i + 1] <= best_s:
        i += 1
    L = intervals[i]
    q = (best_s - base[i] + (n - 1)) % (B * L)
    k = q // L
    o = q % L
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


@njit(void(float32[:, ::1], float32[:, ::1], int64[::1], int64[::1], float32[:, ::1], int64, int64),
      cache=True, nogil=True, fastmath=True)
def mel_project(power_tf: np.ndarray, weights: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                out: np.ndarray, first: int, stop: int) -> None:  # pragma: no cover - numba
    """Mel band energies of frames ``first..stop-1`` of a frames-major power spectrogram.

    ``power_tf`` is (frames, bins); filter ``m`` is nonzero on bins ``lo[m]..hi[m]-1`` with
    weights ``weights[m, lo[m]:hi[m]]``. Writes ``out[:, first:stop]`` of the (mels, frames)
    result: the same numbers as ``weights @ power_tf.T`` in a tenth of the work (a filter
    touches a few bins). Frame ranges are independent, so threads can share the frames.
    """
    n_mels = weights.shape[0]
    for t in range(first, stop):
        row = power_tf[t]
        for m in range(n_mels):
            acc = np.float32(0.0)
            for k in range(lo[m], hi[m]):
                acc += weights[m, k] * row[k]
            out[m, t] = acc


@njit(types.boolean[::1](float64[::1], int64, int64, int64, int64, float64, int64), cache=True,
      nogil=True)
def peak_pick(x: np.ndarray, pre_max: int, post_max: int, pre_avg: int, post_avg: int,
              delta: float, wait: int) -> np.ndarray:  # pragma: no cover - numba
    """Peaks of ``x``: the same picks as ``librosa.util.peak_pick`` (Böck et al. 2012).

    Frame ``n`` is a peak when ``x[n]`` is the maximum of ``x[n-pre_max : n+post_max]``,
    at least ``delta`` above the mean of ``x[n-pre_avg : n+post_avg]``, and more than
    ``wait`` frames after the previous peak (greedy, left to right).
    """
    n_x = x.shape[0]
    peaks = np.zeros(n_x, dtype=np.bool_)
    if n_x == 0:
        return peaks
    first = x[0] >= np.max(x[:min(post_max, n_x)])
    first = first and x[0] >= np.mean(x[:min(post_avg, n_x)]) + delta
    peaks[0] = first
    n = wait + 1 if first else 1
    while n < n_x:
        if x[n] != np.max(x[max(0, n - pre_max):min(n + post_max, n_x)]):
            n += 1
            continue
        if x[n] < np.mean(x[max(0, n - pre_avg):min(n + post_avg, n_x)]) + delta:
            n += 1
            continue
        peaks[n] = True
        n += wait + 1
    return peaks
