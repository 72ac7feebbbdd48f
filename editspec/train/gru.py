"""The network: log-mel frames → convolution → bidirectional GRU stack → three sigmoid heads.

Input: mono audio at 22.05 kHz, turned by :func:`features` into log-mel frames and their
positive differences at :attr:`GRUConfig.fps` (a 512-sample hop, half the analyzer's
rate). Output: per-frame logits of beat, downbeat and cut salience. The recurrent
design follows Böck, Krebs & Widmer (2016, "Joint beat and downbeat tracking with
recurrent neural networks", ISMIR) at a much smaller size; the salience head is the
cut-point network of Hedna, Djemmal & Mershad (2023).

The config travels inside every weights file and the module is rebuilt from it
(:func:`load_model`, from the ``.npz`` of :mod:`editspec.model.weights`); analysis runs
the same weights without torch (:mod:`editspec.model.fastnet`). :func:`run_network`
runs this module over a song as :func:`editspec.model.infer.run_network` runs the numpy
network (training's validation).
"""

from __future__ import annotations

import functools
import os

import numpy as np
import torch
from torch import nn

from editspec.errors import ModelError
from editspec.model.frontend import HEADS, GRUConfig, features  # noqa: F401 (re-exported)
from editspec.model.infer import CHUNK_FRAMES, CONTEXT_FRAMES, chunk_batch, join_chunks


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
    (:func:`editspec.model.infer.run_network` runs their numpy twins side by side).

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


INFER_THREADS = 1
"""torch intra-op threads while :func:`run_network` runs (the caller's setting is restored)."""


def load_model(path: str | None = None) -> BeatGRU | Ensemble:
    """Load the network as a torch module from weights files (cached per path and
    modification time).

    Parameters
    ----------
    path : str, optional
        Weights file (default :func:`editspec.model.infer.weights_path`); several files
        separated by ``os.pathsep`` load as an :class:`Ensemble`.

    Returns
    -------
    BeatGRU or Ensemble
        In eval mode.

    Raises
    ------
    ModelError
        When a file is missing, unreadable, not a weights file, or does not fit the
        network, or when the networks of an ensemble differ in config.
    """
    from editspec.model.infer import _existing_files

    files = _existing_files(path)
    nets = [_load_cached(p, os.path.getmtime(p), os.path.getsize(p)) for p in files]
    if len(nets) == 1:
        return nets[0]
    try:
        return Ensemble(nets).eval()
    except ValueError as exc:
        raise ModelError(f"{os.pathsep.join(files)}: {exc}") from None


@functools.lru_cache(maxsize=4)
def _load_cached(path: str, mtime: float, size: int) -> BeatGRU:
    from editspec.model import weights

    cfg, arrays, _ = weights.read(path)
    model = BeatGRU(cfg)
    try:
        model.load_state_dict({k: torch.from_numpy(v) for k, v in arrays.items()})
    except RuntimeError as exc:
        raise ModelError(f"{path}: unusable model weights: {exc}".splitlines()[0]) from None
    return model.eval()


def run_network(model: BeatGRU | Ensemble, feats: np.ndarray, chunk: int = CHUNK_FRAMES,
                context: int = CONTEXT_FRAMES) -> np.ndarray:
    """Run the torch module over features in overlapping chunks, as one batch in one call
    (the shipped weights were chosen with it); return sigmoid outputs ``(m, 3)``.

    :func:`editspec.model.infer.run_network` does the same with the numpy network.
    """
    batch, spans = chunk_batch(feats, chunk, context)
    threads = torch.get_num_threads()
    # One intra-op thread: the recurrent steps are too small to share, and idle OpenMP
    # workers spin after each parallel region, slowing the numba work that follows.
    torch.set_num_threads(INFER_THREADS)
    try:
        x = torch.from_numpy(batch)
        with torch.inference_mode():  # an ensemble's members' probabilities averaged
            outs = [torch.sigmoid(net(x)).numpy() for net in getattr(model, "members", [model])]
    finally:
        torch.set_num_threads(threads)
    out = outs[0] if len(outs) == 1 else np.mean(outs, axis=0, dtype=np.float32)
    return join_chunks(out, spans, len(feats))
