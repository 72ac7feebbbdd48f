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

from dataclasses import asdict
from typing import Any

import torch
from torch import nn

from editspec.model.frontend import HEADS, GRUConfig, features  # noqa: F401 (re-exported)

FORMAT = "editspec-beats-gru"
FORMAT_VERSION = 1


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
        width = cfg.hidden * (2 if cfg.bidirectional else 1)
        self.head = nn.Linear(width, len(HEADS))

    def _hidden(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - self.feat_mean) / self.feat_std
        h = self.act(self.conv(x.transpose(1, 2))).transpose(1, 2)
        h, _ = self.gru(self.drop(h))
        return self.drop(h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map features ``(batch, frames, n_inputs)`` to logits ``(batch, frames, 3)``."""
        return self.head(self._hidden(x))


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
