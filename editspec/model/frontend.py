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
        """Feature dimensions per frame (log-mel and its positive difference)."""
        return 2 * self.n_mels

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GRUConfig:
        """Build from a checkpoint's dict, ignoring unknown keys.

        Raises
        ------
        ValueError
            For a network with the harmonic input stream (``harm_bands`` > 0: an
            experiment of 2026-11 that was not shipped, its code since removed).
        """
        if int(d.get("harm_bands", 0) or 0) > 0:
            raise ValueError(f"a network with the harmonic input stream (harm_bands "
                             f"{d['harm_bands']}), which this editspec no longer computes")
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def features(y: np.ndarray, cfg: GRUConfig, *, power: np.ndarray | None = None,
             power_hop: int = 0) -> np.ndarray:
    """Return the network input: log-mel in 0..1 and its positive first difference.

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
    return np.ascontiguousarray(np.vstack([x, diff]).T)


def _log01(bands: np.ndarray) -> np.ndarray:
    db = 10.0 * np.log10(np.maximum(bands, 1e-10))
    db = np.maximum(db - db.max(), -80.0)
    return (db / 80.0 + 1.0).astype(np.float32)


_MEL: dict[tuple[Any, ...], np.ndarray] = {}


def _mel_basis(cfg: GRUConfig) -> np.ndarray:
    key = (cfg.sr, cfg.n_fft, cfg.n_mels, cfg.fmin)
    if key not in _MEL:
        from editspec.dsp import filters  # librosa's, cached on disk

        _MEL[key] = filters.mel(cfg.sr, cfg.n_fft, cfg.n_mels, float(cfg.fmin))
    return _MEL[key]
