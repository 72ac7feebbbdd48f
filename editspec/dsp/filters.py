"""librosa's filter banks, computed once and kept in the cache folder.

Importing librosa costs about a second (``librosa.core`` pulls ``scipy.signal`` and
compiles or loads its numba functions), as long as the whole analysis of a song. The
analyzer needs from it only constant arrays — mel and chroma filter banks, mel band
frequencies — so they are computed by librosa the first time and stored as ``.npy``
files keyed by their parameters and librosa's version: a later process loads them in
microseconds and never imports librosa. The arrays are exactly librosa's.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
from collections.abc import Callable
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


@functools.cache
def _librosa_version() -> str:
    from importlib.metadata import version

    return version("librosa")


def cached_array(kind: str, make: Callable[[], np.ndarray], **params: Any) -> np.ndarray:
    """Return ``make()`` from the cache folder, computing and storing it when absent.

    Parameters
    ----------
    kind : str
        Name of the array (part of the file name).
    make : callable
        Computes the array (with librosa); called only on a cache miss.
    **params
        What the array depends on (JSON-able); librosa's version is added.
    """
    from editspec.cache import cache_dir

    text = json.dumps({"librosa": _librosa_version(), **params}, sort_keys=True)
    digest = hashlib.sha1(text.encode()).hexdigest()[:16]
    path = os.path.join(cache_dir(), "filters", f"{kind}-{digest}.npy")
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        pass
    arr = np.ascontiguousarray(make())
    tmp = f"{path}.{os.getpid()}.tmp.npy"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        np.save(tmp, arr, allow_pickle=False)
        os.replace(tmp, path)
    except OSError as exc:  # an unwritable cache costs time, never the result
        log.warning("could not write %s: %s", path, exc)
    return arr


@functools.cache
def mel(sr: int, n_fft: int, n_mels: int, fmin: float = 0.0) -> np.ndarray:
    """``librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin)`` as float32."""
    def make() -> np.ndarray:
        import librosa

        return librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels,
                                   fmin=fmin).astype(np.float32)

    return cached_array("mel", make, sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin)


@functools.cache
def chroma(sr: int, n_fft: int) -> np.ndarray:
    """``librosa.filters.chroma(sr=sr, n_fft=n_fft, tuning=0.0)`` (12 bins, float32)."""
    def make() -> np.ndarray:
        import librosa

        return librosa.filters.chroma(sr=sr, n_fft=n_fft, tuning=0.0).astype(np.float32)

    return cached_array("chroma", make, sr=sr, n_fft=n_fft)


@functools.cache
def mel_frequencies(n_mels: int, fmax: float) -> np.ndarray:
    """``librosa.mel_frequencies(n_mels=n_mels, fmax=fmax)``."""
    def make() -> np.ndarray:
        import librosa

        return librosa.mel_frequencies(n_mels=n_mels, fmax=fmax)

    return cached_array("melfreq", make, n_mels=n_mels, fmax=fmax)
