"""The network's front end, without torch: :class:`GRUConfig` and :func:`features`.

The analyzer computes the features and runs the network (:mod:`editspec.model.fastnet`)
without importing torch; :mod:`editspec.train.gru` (the torch module, for training)
re-exports these names.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from editspec.grid import SR

HEADS = ("beat", "downbeat", "salience")
"""Output channels, in order."""


@dataclass(frozen=True, slots=True)
class GRUConfig:
    """Shape of the network and of its input features."""

    sr: int = SR
    """Sample rate the features expect, Hz."""
    n_fft: int = 1024
    """STFT window, samples."""
    hop: int = 512
    """STFT hop, samples (frame ``j`` is centred on sample ``j * hop``)."""
    n_mels: int = 64
    """Mel bands."""
    fmin: float = 30.0
    """Lowest mel frequency, Hz."""
    harm_n_fft: int = 4096
    """STFT window of the harmonic stream, samples (bass notes and chords, for downbeats)."""
    harm_bands: int = 0
    """Semitone bands of the harmonic stream from :attr:`harm_fmin`; 0 (the shipped model):
    none. 72 covers A1..G#7."""
    harm_fmin: float = 55.0
    """Centre of the lowest semitone band, Hz (A1)."""
    conv_channels: int = 64
    """Channels of the front convolution (kernel 3 over time)."""
    hidden: int = 64
    """GRU units per direction."""
    layers: int = 2
    """Stacked GRU layers."""
    bidirectional: bool = True
    """Read the song both ways (offline analysis)."""
    dropout: float = 0.1
    """Dropout between layers while training."""

    @property
    def fps(self) -> float:
        """Network frames per second."""
        return self.sr / self.hop

    @property
    def n_inputs(self) -> int:
        """Feature dimensions per frame (log-mel, its positive difference, semitone bands)."""
        return 2 * self.n_mels + self.harm_bands

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GRUConfig:
        """Build from a checkpoint's dict, ignoring unknown keys."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def features(y: np.ndarray, cfg: GRUConfig, *, power: np.ndarray | None = None,
             power_hop: int = 0) -> np.ndarray:
    """Return the network input: log-mel in 0..1, its positive first difference and
    log semitone bands in 0..1 (a long window that resolves bass notes and chords).

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio at ``cfg.sr``.
    cfg : GRUConfig
        Front-end parameters.
    power, power_hop : np.ndarray, int, optional
        A power spectrogram of ``y`` made with ``cfg.n_fft`` at hop ``power_hop``, a
        divisor of ``cfg.hop`` (frame ``j`` centred on sample ``j * power_hop``), e.g.
        the analyzer's onset spectrogram: its frames at ``cfg.hop`` are used instead of
        a new STFT (the same numbers).

    Returns
    -------
    np.ndarray [shape=(1 + n // cfg.hop, cfg.n_inputs)], float32
        Frame ``j`` is centred on sample ``j * cfg.hop``. Bands are in dB below the
        song's loudest bin, floored at -80 dB and scaled to 0..1, so the level of the
        recording does not matter.
    """
    from editspec.dsp.spectrum import power_spectrogram

    y = np.asarray(y, dtype=np.float32)
    n_frames = 1 + len(y) // cfg.hop
    fits = (power is not None and power_hop > 0 and cfg.hop % power_hop == 0
            and power.shape[0] == cfg.n_fft // 2 + 1 and power.shape[1] == 1 + len(y) // power_hop)
    if fits:
        power = power[:, :: cfg.hop // power_hop][:, :n_frames]  # type: ignore[index]
    else:  # none given, or another FFT size or hop: a new STFT
        power = power_spectrogram(y, n_fft=cfg.n_fft, hop=cfg.hop)
    x = _log01(_mel_basis(cfg) @ power)
    diff = np.maximum(np.diff(x, axis=1, prepend=x[:, :1]), 0.0)
    parts = [x, diff]
    if cfg.harm_bands > 0:
        hp = power_spectrogram(y, n_fft=cfg.harm_n_fft, hop=cfg.hop)
        parts.append(_log01(_semitone_basis(cfg) @ hp))
    return np.ascontiguousarray(np.vstack(parts).T)


def _log01(bands: np.ndarray) -> np.ndarray:
    db = 10.0 * np.log10(np.maximum(bands, 1e-10))
    db = np.maximum(db - db.max(), -80.0)
    return (db / 80.0 + 1.0).astype(np.float32)


def _semitone_basis(cfg: GRUConfig) -> np.ndarray:
    """Triangular filters one semitone apart (each spans its neighbours' centres), area 1."""
    key = ("semi", cfg.sr, cfg.harm_n_fft, cfg.harm_bands, cfg.harm_fmin)
    if key not in _MEL:
        freqs = np.arange(cfg.harm_n_fft // 2 + 1) * cfg.sr / cfg.harm_n_fft
        centres = cfg.harm_fmin * 2.0 ** (np.arange(-1, cfg.harm_bands + 1) / 12.0)
        basis = np.zeros((cfg.harm_bands, len(freqs)), np.float32)
        for k in range(cfg.harm_bands):
            lo, c, hi = centres[k], centres[k + 1], centres[k + 2]
            w = np.maximum(0.0, np.minimum((freqs - lo) / (c - lo), (hi - freqs) / (hi - c)))
            if w.sum() == 0:  # narrower than a bin: take the nearest bin
                w[int(np.argmin(np.abs(freqs - c)))] = 1.0
            basis[k] = w / w.sum()
        _MEL[key] = basis
    return _MEL[key]


_MEL: dict[tuple[Any, ...], np.ndarray] = {}


def _mel_basis(cfg: GRUConfig) -> np.ndarray:
    key = (cfg.sr, cfg.n_fft, cfg.n_mels, cfg.fmin)
    if key not in _MEL:
        from editspec.dsp import filters  # librosa's, cached on disk

        _MEL[key] = filters.mel(cfg.sr, cfg.n_fft, cfg.n_mels, float(cfg.fmin))
    return _MEL[key]
