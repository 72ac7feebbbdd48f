"""The power spectrogram shared by the analyzer and the beat network's front end.

Below both :mod:`editspec.analysis` and :mod:`editspec.model` (neither imports the
other for it). The hot loops are numba kernels (framing and windowing, ``|X|^2``);
``bench/kernels.py`` measures the spectrogram against librosa's ``stft``.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
from numba import complex64, float32, int64, njit, void

from editspec.grid import HOP

FEATURE_THREADS = 2
"""Threads sharing the frames of a spectrogram or mel projection (fewer on fewer cores)."""


def power_spectrogram(y: np.ndarray, n_fft: int = 2048, hop: int = HOP) -> np.ndarray:
    """Return the centred, Hann-windowed power spectrogram.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio.
    n_fft : int
        Frame length in samples.
    hop : int
        Hop in samples.

    Returns
    -------
    np.ndarray [shape=(1 + n_fft // 2, n_frames)], float32
        ``|STFT|^2`` as librosa's ``stft(center=True, pad_mode="constant")``: frame ``t``
        is centred on sample ``t * hop``.
    """
    import scipy.fft

    pad = n_fft // 2
    yp = np.pad(np.asarray(y, dtype=np.float32), (pad, pad))
    n_frames = 1 + (len(yp) - n_fft) // hop
    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)  # periodic Hann, as scipy/librosa
    power = np.empty((n_frames, n_fft // 2 + 1), dtype=np.float32)
    block = max(1, (1 << 19) // n_fft)  # 2 MB of frames at a time stays in cache

    def run(first: int, stop: int) -> None:  # frame, window, FFT and |.|^2, block by block
        buf = np.empty((min(block, stop - first), n_fft), dtype=np.float32)
        for a in range(first, stop, block):
            frames = buf[: min(block, stop - a)]
            frame_window(yp, hop, a, window, frames)
            spec = scipy.fft.rfft(frames, axis=1, workers=1, overwrite_x=True)
            power_of(spec, power[a:a + len(frames)])

    # (pocketfft's own workers split each block and join after it: slower than this)
    on_threads(run, n_frames)
    return power.T  # a view: (bins, frames) in Fortran order, no copy


def on_threads(run: Callable[[int, int], None], n: int, min_share: int = 256) -> None:
    """Call ``run(first, stop)`` on consecutive shares of ``range(n)``, one thread each.

    For kernels that release the GIL (numba ``nogil``, pocketfft): up to
    :data:`FEATURE_THREADS` threads, fewer on fewer cores or for less than ``min_share``
    items a thread.
    """
    threads = max(1, min(FEATURE_THREADS, os.cpu_count() or 1, n // min_share))
    if threads == 1:
        run(0, n)
        return
    from concurrent.futures import ThreadPoolExecutor

    bounds = [n * k // threads for k in range(threads + 1)]
    with ThreadPoolExecutor(threads, thread_name_prefix="editspec-features") as pool:
        list(pool.map(run, bounds[:-1], bounds[1:]))


@njit(void(float32[::1], int64, int64, float32[::1], float32[:, ::1]), cache=True, nogil=True)
def frame_window(yp: np.ndarray, hop: int, first: int, window: np.ndarray,
                 out: np.ndarray) -> None:  # pragma: no cover - numba
    """Write frames ``first, first + 1, ...`` of ``yp`` (hop ``hop``) times ``window`` to ``out``.

    The same numbers as ``frames[first:first + len(out)] * window`` on a strided frame view,
    without the view's temporary.
    """
    n, m = out.shape
    for i in range(n):
        o = (first + i) * hop
        for j in range(m):
            out[i, j] = yp[o + j] * window[j]


@njit(void(complex64[:, ::1], float32[:, ::1]), cache=True, nogil=True)
def power_of(spec: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - numba
    """``out = |spec|^2`` as ``re * re + im * im`` in float32: numpy's numbers in one pass
    (numpy reads the strided real and imaginary views twice and writes a temporary)."""
    n, m = spec.shape
    for i in range(n):
        for k in range(m):
            v = spec[i, k]
            out[i, k] = v.real * v.real + v.imag * v.imag
