"""The style network in torch, for learning (``editspec[train]``): :class:`StyleGRU`.

The same network as :class:`editspec.style.model.StyleNet` (which uses a style without
torch): a bidirectional GRU over the beats' music features and an MLP head that reads
its state at a beat with the cut history. :func:`save_style` writes the style file
(:func:`editspec.style.model.write_style`).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from editspec.style.model import StyleConfig, StyleNet, load_style, write_style


class StyleGRU(nn.Module):
    """Bidirectional GRU over the beats' music features + an MLP head with the cut history."""

    def __init__(self, cfg: StyleConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.gru = nn.GRU(cfg.n_music, cfg.hidden, num_layers=cfg.layers, batch_first=True,
                          bidirectional=True)
        self.head = nn.Sequential(nn.Linear(2 * cfg.hidden + cfg.n_music + cfg.n_history,
                                            cfg.head), nn.ReLU(), nn.Linear(cfg.head, 1))

    def encode(self, music: torch.Tensor) -> torch.Tensor:
        """Context of every beat: [batch, beats, n_music] → [batch, beats, 2*hidden + n_music]."""
        h, _ = self.gru(music)
        return torch.cat([h, music], dim=-1)

    def logits(self, context: torch.Tensor, history: torch.Tensor) -> torch.Tensor:
        """Cut logits from the context and the cut history [..., n_history] → [...]."""
        return self.head(torch.cat([context, history], dim=-1)).squeeze(-1)

    def forward(self, music: torch.Tensor, history: torch.Tensor) -> torch.Tensor:
        """Cut logits of every beat with the history given (teacher forcing)."""
        return self.logits(self.encode(music), history)

    def to_net(self) -> StyleNet:
        """The same weights as a numpy :class:`~editspec.style.model.StyleNet`."""
        return StyleNet.from_state(self.cfg, self.state_dict())


def save_style(model: StyleGRU, mean: Any, std: Any, summary: dict[str, Any],
               path: str) -> None:
    """Write a style file (temp file beside it, then renamed into place)."""
    write_style(path, model.cfg, model.state_dict(), mean, std, summary)


def load_style_torch(path: str) -> tuple[StyleGRU, torch.Tensor, torch.Tensor, dict[str, Any]]:
    """A style file as a torch module (to learn on from it, ``--base``), norm and summary.

    Raises
    ------
    ModelError
        See :func:`editspec.style.model.load_style`.
    """
    net, mean, std, summary = load_style(path)
    model = StyleGRU(net.cfg)
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in net.arrays.items()})
    model.eval()
    return model, torch.from_numpy(mean.copy()), torch.from_numpy(std.copy()), summary
