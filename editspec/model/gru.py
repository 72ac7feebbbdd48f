"""The network: log-mel frames → convolution → bidirectional GRU stack → three sigmoid heads.

Input: mono audio at 22.05 kHz, turned by :func:`features` into log-mel frames and their
positive differences at :attr:`GRUConfig.fps` (a 512-sample hop, half the analyzer's
rate). Output: per-frame logits of beat, downbeat and cut salience. The recurrent
design follows Böck, Krebs & Widmer (2016, "Joint beat and downbeat tracking with
recurrent neural networks", ISMIR) at a much smaller size; the salience head is the
cut-point network of Hedna, Djemmal & Mershad (2023).

The config travels inside every checkpoint and the module is rebuilt from it
(:func:`model_from_checkpoint`); checkpoints hold only tensors and plain values, so they
load with ``torch.load(..., weights_only=True)``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import torch
from torch import nn

HEADS = ("beat", "downbeat", "salience")
"""Output channels, in order."""
FORMAT = "editspec-beats-gru"
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class GRUConfig:
    """Shape of the network and of its input features."""

    sr: int = 22050
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
    from editspec.analysis.features import power_spectrogram

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
        from editspec.analysis import filters  # librosa's, cached on disk

        _MEL[key] = filters.mel(cfg.sr, cfg.n_fft, cfg.n_mels, float(cfg.fmin))
    return _MEL[key]


class BeatGRU(nn.Module):
    """Conv front end, GRU stack and a linear layer giving three logits per frame.

    Parameters
    ----------
    cfg : GRUConfig
        Sizes.
    """

    def __init__(self, cfg: GRUConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.register_buffer("feat_mean", torch.zeros(cfg.n_inputs))
        self.register_buffer("feat_std", torch.ones(cfg.n_inputs))
        self.conv = nn.Conv1d(cfg.n_inputs, cfg.conv_channels, kernel_size=3, padding=1)
        self.act = nn.ELU()
        self.gru = nn.GRU(cfg.conv_channels, cfg.hidden, num_layers=cfg.layers, batch_first=True,
                          bidirectional=cfg.bidirectional,
                          dropout=cfg.dropout if cfg.layers > 1 else 0.0)
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(cfg.hidden * (2 if cfg.bidirectional else 1), len(HEADS))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map features ``(batch, frames, n_inputs)`` to logits ``(batch, frames, 3)``."""
        x = (x - self.feat_mean) / self.feat_std
        h = self.act(self.conv(x.transpose(1, 2))).transpose(1, 2)
        h, _ = self.gru(self.drop(h))
        return self.head(self.drop(h))


class Ensemble(nn.Module):
    """Networks of one config trained with different seeds; their probabilities are averaged.

    :meth:`forward` returns the logits of the mean probability, so the ensemble runs
    wherever one :class:`BeatGRU` does. Averaging cancels much of one training run's
    luck (models/MODEL_CARD.md), at the cost of one network pass per member
    (:func:`~editspec.model.infer.run_network` runs them side by side, one thread each).

    Parameters
    ----------
    members : list of BeatGRU
        At least two, with equal configs (they share the features).

    Raises
    ------
    ValueError
        When fewer than two members are given or their configs differ.
    """

    def __init__(self, members: list[BeatGRU]) -> None:
        super().__init__()
        if len(members) < 2:
            raise ValueError(f"an ensemble needs at least two networks, got {len(members)}")
        if any(m.cfg != members[0].cfg for m in members[1:]):
            raise ValueError("the networks of an ensemble must have the same config")
        self.cfg = members[0].cfg
        self.members = nn.ModuleList(members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map features ``(batch, frames, n_inputs)`` to logits of the members' mean probability."""
        p = torch.stack([torch.sigmoid(m(x)) for m in self.members]).mean(0)
        return torch.logit(p, eps=1e-6)


def checkpoint_dict(model: BeatGRU, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the weights file's content: format, config, float32 state and plain metadata."""
    return {"format": FORMAT, "version": FORMAT_VERSION, "config": asdict(model.cfg),
            "state_dict": {k: v.detach().cpu().float().clone()
                           for k, v in model.state_dict().items()},
            "meta": dict(meta or {})}


def model_from_checkpoint(ckpt: dict[str, Any]) -> BeatGRU:
    """Rebuild the module from a checkpoint dict (its own config) and load its state.

    Raises
    ------
    ValueError
        When the dict is not an editspec beat-GRU checkpoint or its state does not fit.
    """
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise ValueError(f"not an {FORMAT} checkpoint")
    if int(ckpt.get("version", 0)) > FORMAT_VERSION:
        raise ValueError(f"checkpoint version {ckpt.get('version')} is newer than "
                         f"{FORMAT_VERSION}; upgrade editspec")
    model = BeatGRU(GRUConfig.from_dict(ckpt["config"]))
    model.load_state_dict(ckpt["state_dict"])
    model.eval()
    return model
