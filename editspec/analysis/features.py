"""Audio features on the analysis grid: spectrograms, log-mel, onset strength, chroma, loudness.

All features share one frame grid: :data:`SR` Hz, hop :data:`HOP`, frame ``t`` centred
on sample ``t * HOP`` (as librosa's ``center=True``). The hot loops are numba kernels
(:mod:`editspec.analysis._kernels`; the spectrogram's in :mod:`editspec.dsp.spectrum`);
``bench/kernels.py`` measures them against the
librosa functions they replace.
"""

from __future__ import annotations

import functools

import numpy as np

from editspec.dsp.spectrum import on_threads, power_spectrogram  # noqa: F401 (the API)
from editspec.grid import HOP, SR

FPS = SR / HOP
"""Analysis frames per second."""
N_FFT = 2048
"""FFT size of the harmonic and timbre features (chroma, MFCC)."""
ONSET_N_FFT = 1024
"""FFT size of the onset and loudness features: a short window keeps onsets on time
(a 2048-sample window finds beats ~22 ms early, 1024 about 6 ms)."""
N_MELS = 128
"""Mel bands of the timbre features."""
ONSET_N_MELS = 64
"""Mel bands of the onset features."""


def _mel_basis(sr: int, n_fft: int, n_mels: int) -> np.ndarray:
    from editspec.dsp import filters

    return filters.mel(sr, n_fft, n_mels)


@functools.cache
def _mel_support(sr: int, n_fft: int, n_mels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The mel basis with each filter's first and last nonzero bin: a filter touches a few
    bins, so projecting on its support does a tenth of the dense product's work."""
    w = np.ascontiguousarray(_mel_basis(sr, n_fft, n_mels))
    nz = w > 0
    lo = np.array([np.argmax(r) if r.any() else 0 for r in nz], dtype=np.int64)
    hi = np.array([len(r) - np.argmax(r[::-1]) if r.any() else 0 for r in nz], dtype=np.int64)
    return w, lo, hi


def log_mel(power: np.ndarray, sr: int = SR, n_mels: int = N_MELS,
            top_db: float = 80.0) -> np.ndarray:
    """Return a log-mel spectrogram in dB, ``librosa.power_to_db(mel, ref=np.max, top_db=80)``.

    Parameters
    ----------
    power : np.ndarray [shape=(1 + n_fft // 2, n_frames)]
        Power spectrogram.
    sr : int
        Sample rate, Hz.
    n_mels : int
        Mel bands.
    top_db : float
        Floor below the maximum, dB.

    Returns
    -------
    np.ndarray [shape=(n_mels, n_frames)], float32, in -top_db..0
    """
    from editspec.analysis._kernels import mel_project

    w, lo, hi = _mel_support(sr, (power.shape[0] - 1) * 2, n_mels)
    power_tf = np.ascontiguousarray(power.T, dtype=np.float32)
    n = power_tf.shape[0]
    mel = np.empty((n_mels, n), dtype=np.float32)
    on_threads(lambda a, b: mel_project(power_tf, w, lo, hi, mel, a, b), n)
    np.maximum(mel, np.float32(1e-10), out=mel)
    db = np.log10(mel, out=mel)
    db *= np.float32(10.0)
    db -= db.max()
    np.maximum(db, np.float32(-top_db), out=db)
    return db


def onset_strength(mel_db: np.ndarray, lag: int = 1) -> np.ndarray:
    """Return the spectral-flux onset envelope (numba kernel).

    Equal to ``librosa.onset.onset_strength(S=mel_db, lag=lag, max_size=1, center=False)``.

    Returns
    -------
    np.ndarray [shape=(n_frames,)], float32, >= 0
    """
    from editspec.analysis._kernels import onset_flux

    return onset_flux(np.ascontiguousarray(mel_db, dtype=np.float32), lag)


def chroma(power: np.ndarray, sr: int = SR) -> np.ndarray:
    """Return a chromagram [shape=(12, n_frames)] from a power spectrogram.

    Equal to ``librosa.feature.chroma_stft(S=power, sr=sr, tuning=0.0)``: librosa's
    chroma filter bank (cached, :mod:`editspec.dsp.filters`), each frame scaled to
    a maximum of 1 (frames of zeros stay zero).
    """
    from editspec.dsp import filters

    raw = filters.chroma(sr, (power.shape[0] - 1) * 2) @ power
    peak = np.abs(raw).max(axis=0)
    peak[peak < np.finfo(raw.dtype).tiny] = 1.0
    return raw / peak


def peak_pick(x: np.ndarray, *, pre_max: int, post_max: int, pre_avg: int, post_avg: int,
              delta: float, wait: int) -> np.ndarray:
    """Return the indices of the peaks of ``x`` (numba kernel).

    The same picks as ``librosa.util.peak_pick`` with the same arguments (Böck, Krebs
    and Schedl 2012): a local maximum over ``pre_max``/``post_max`` frames, ``delta``
    above the local mean over ``pre_avg``/``post_avg`` frames, ``wait`` frames after
    the previous peak.
    """
    from editspec.analysis._kernels import peak_pick as kernel

    hits = kernel(np.ascontiguousarray(x, dtype=np.float64), int(pre_max), int(post_max),
                  int(pre_avg), int(post_avg), float(delta), int(wait))
    return np.flatnonzero(hits)


def mfcc(mel_db: np.ndarray, n_mfcc: int = 13) -> np.ndarray:
    """Return MFCCs [shape=(n_mfcc, n_frames)] of a log-mel spectrogram (dB).

    Equal to ``librosa.feature.mfcc(S=mel_db, n_mfcc=n_mfcc)``: the orthonormal DCT-II
    over bands, first ``n_mfcc`` coefficients.
    """
    import scipy.fft

    return scipy.fft.dct(mel_db, axis=0, type=2, norm="ortho")[:n_mfcc]


def mel_frequencies(n_mels: int, sr: int = SR) -> np.ndarray:
    """Return the centre frequency in Hz of each mel band."""
    from editspec.dsp import filters

    return filters.mel_frequencies(n_mels + 2, sr / 2)[1:-1]


_K_SHELF_HZ, _K_SHELF_DB, _K_HP_HZ = 1681.97, 3.9998, 38.1355


def k_weighting(freqs: np.ndarray) -> np.ndarray:
    """Return the power gain of the ITU-R BS.1770 K-weighting at ``freqs`` (Hz).

    A high shelf of about +4 dB above 1.7 kHz and a second-order high-pass at 38 Hz,
    evaluated as magnitude responses of the analogue prototypes.
    """
    f = np.maximum(freqs, 1e-3)
    shelf = 1.0 + (10 ** (_K_SHELF_DB / 10) - 1.0) * (f**2 / (f**2 + _K_SHELF_HZ**2))
    hp = f**4 / (f**4 + _K_HP_HZ**4)
    return shelf * hp


def loudness(power: np.ndarray, sr: int = SR, fps: float = FPS,
             window_s: float = 0.4) -> np.ndarray:
    """Return K-weighted loudness per frame in LUFS-like dB, averaged over ``window_s``.

    Parameters
    ----------
    power : np.ndarray [shape=(1 + n_fft // 2, n_frames)]
        Power spectrogram (Hann window).
    sr : int
        Sample rate, Hz.
    fps : float
        Frames per second.
    window_s : float
        Averaging window (0.4 s is BS.1770's momentary loudness).

    Returns
    -------
    np.ndarray [shape=(n_frames,)], float32, dB
    """
    n_fft = (power.shape[0] - 1) * 2
    freqs = np.arange(power.shape[0]) * sr / n_fft
    weights = k_weighting(freqs).astype(np.float32)
    # Parseval for a periodic Hann window: mean square = 2 sum|X|^2 / (n_fft^2 * 3/8)
    frame_power = (weights @ power) * 2.0 / (n_fft * n_fft * 0.375)
    win = max(1, round(window_s * fps))
    smooth = np.convolve(frame_power, np.ones(win) / win, mode="same")
    return (-0.691 + 10.0 * np.log10(np.maximum(smooth, 1e-12))).astype(np.float32)


def energy_curve(power: np.ndarray, sr: int = SR, fps: float = FPS) -> np.ndarray:
    """Return the 0..1 energy curve: loudness over a 2 s window scaled to the song's range.

    The song's 98th percentile maps to 1 and 30 dB below it (or its 2nd percentile,
    if higher, but at least 6 dB below) to 0, so pace follows the song's own dynamics.

    Returns
    -------
    np.ndarray [shape=(n_frames,)], float32, in 0..1
    """
    return energy_from_loudness(loudness(power, sr, fps, window_s=ENERGY_WINDOW_S))


ENERGY_WINDOW_S = 2.0
"""Loudness window of the energy curve (and of the analysis' absolute ``loudness``), s."""


def energy_from_loudness(slow: np.ndarray) -> np.ndarray:
    """:func:`energy_curve` from the loudness over :data:`ENERGY_WINDOW_S` (dB)."""
    hi = float(np.percentile(slow, 98))
    lo = max(float(np.percentile(slow, 2)), hi - 30.0)
    lo = min(lo, hi - 6.0)
    return np.clip((slow - lo) / (hi - lo), 0.0, 1.0).astype(np.float32)
