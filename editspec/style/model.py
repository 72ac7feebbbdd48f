"""The style network and its file: a small GRU over beats, rebuilt from the config it carries.

A bidirectional GRU reads the music features of every beat (:data:`~.data.MUSIC_FEATURES`);
a small head reads its state at a beat together with the cut history (beats since the
last cut) and gives the probability that a cut falls on that beat (Hedna et al. 2023
decide cuts on beats and downbeats with a recurrent network in the same way).

A style file is a ``torch.save`` of plain containers and tensors only, loaded with
``weights_only=True``: ``format``, ``version``, ``config``, ``features`` (the music
feature names), ``norm`` (mean and std per feature), ``state_dict`` and ``summary``
(the training report: data, metrics on held-out videos, style statistics).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from editspec.errors import ModelError
from editspec.style import STYLE_FORMAT, STYLE_VERSION
from editspec.style.data import MUSIC_FEATURES, N_HISTORY


@dataclass(frozen=True, slots=True)
class StyleConfig:
    """Shape of the style network."""

    n_music: int = len(MUSIC_FEATURES)
    """Music features per beat."""
    n_history: int = N_HISTORY
    """Cut-history features per beat."""
    hidden: int = 24
    """GRU units per direction."""
    layers: int = 1
    """Stacked GRU layers."""
    head: int = 32
    """Units of the head's hidden layer."""


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


def save_style(model: StyleGRU, mean: torch.Tensor, std: torch.Tensor, summary: dict[str, Any],
               path: str) -> None:
    """Write a style file (temp file beside it, then renamed into place)."""
    from editspec.fsutil import atomic_path

    blob = {"format": STYLE_FORMAT, "version": STYLE_VERSION, "config": asdict(model.cfg),
            "features": list(MUSIC_FEATURES), "norm": {"mean": mean.float(), "std": std.float()},
            "state_dict": {k: v.detach().clone() for k, v in model.state_dict().items()},
            "summary": summary}
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    with atomic_path(path) as tmp:
        torch.save(blob, tmp)


UPGRADES: dict[int, Any] = {}
"""Version → function upgrading a style dict of that version to the next."""


def read_style_file(path: str) -> dict[str, Any]:
    """Read and check a style file with ``weights_only=True`` (no pickled code runs).

    Raises
    ------
    ModelError
        When the file is missing, not a style file, of an unknown version, or damaged.
    """
    if not os.path.isfile(path):
        raise ModelError(f"{path}: no such style file")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelError(f"{path}: not a readable style file ({type(exc).__name__}); "
                         "make one with `editspec learn`") from None
    if not isinstance(blob, dict) or blob.get("format") != STYLE_FORMAT:
        raise ModelError(f"{path}: not an editspec style file (no format {STYLE_FORMAT!r}); "
                         "make one with `editspec learn`")
    version = blob.get("version")
    while isinstance(version, int) and version in UPGRADES:
        blob = UPGRADES[version](blob)
        version = blob.get("version")
    if version != STYLE_VERSION:
        raise ModelError(f"{path}: style file version {version!r} is not supported "
                         f"(this editspec reads version {STYLE_VERSION})")
    for key in ("config", "features", "norm", "state_dict", "summary"):
        if key not in blob:
            raise ModelError(f"{path}: style file has no {key!r}; it is damaged")
    return blob


def load_style(path: str) -> tuple[StyleGRU, torch.Tensor, torch.Tensor, dict[str, Any]]:
    """Load a style: the network rebuilt from its config, the feature norm and the summary.

    Raises
    ------
    ModelError
        See :func:`read_style_file`; also when the weights do not fit the config or the
        features differ from this editspec's.
    """
    blob = read_style_file(path)
    if list(blob["features"]) != list(MUSIC_FEATURES):
        raise ModelError(f"{path}: the style was learned from other features "
                         f"({len(blob['features'])}, this editspec has {len(MUSIC_FEATURES)}); "
                         "learn it again")
    try:
        cfg = StyleConfig(**blob["config"])
        model = StyleGRU(cfg)
        model.load_state_dict(blob["state_dict"])
        mean, std = blob["norm"]["mean"].float(), blob["norm"]["std"].float()
    except (TypeError, KeyError, RuntimeError, AttributeError) as exc:
        first = str(exc).strip().splitlines()[0][:120]
        raise ModelError(f"{path}: style weights do not fit its config ({first})") from None
    model.eval()
    return model, mean, std, dict(blob["summary"])
