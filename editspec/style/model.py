"""The style network without torch, and its file: a small GRU over beats in numpy.

A bidirectional GRU reads the music features of every beat (:data:`~.data.MUSIC_FEATURES`);
a small head reads its state at a beat together with the cut history (beats since the
last cut) and gives the probability that a cut falls on that beat (Hedna et al. 2023
decide cuts on beats and downbeats with a recurrent network in the same way).
:class:`StyleNet` computes what torch's :class:`~editspec.style.net.StyleGRU` (training,
``editspec[train]``) computes, in numpy, so a plan with ``cuts: {style: FILE}`` needs no
torch.

A style file is a NumPy ``.npz`` read with ``allow_pickle=False``: ``__style__`` (JSON:
``format``, ``version``, ``config``, ``features``, the music feature names, and
``summary``, the training report: data, metrics on held-out videos, style statistics),
``norm.mean`` and ``norm.std`` (the feature normalization) and the network's
``state_dict`` arrays under torch's names. Version 1 files (a ``torch.save`` of the same
content, written by earlier editspec) are read where torch is installed.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from editspec.errors import ModelError
from editspec.model.weights import plain_json
from editspec.style import STYLE_FORMAT, STYLE_VERSION
from editspec.style.data import MUSIC_FEATURES, N_HISTORY

_HEAD = "__style__"


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


def state_names(cfg: StyleConfig) -> list[str]:
    """The arrays of a style network (torch's ``state_dict`` names)."""
    gru = [f"gru.{kind}_{part}_l{layer}{d}" for layer in range(cfg.layers)
           for d in ("", "_reverse") for kind in ("weight", "bias") for part in ("ih", "hh")]
    return [*gru, "head.0.weight", "head.0.bias", "head.2.weight", "head.2.bias"]


@dataclass(frozen=True, eq=False)
class StyleNet:
    """A style network's weights as float32 arrays, run in numpy (no torch)."""

    cfg: StyleConfig
    arrays: Mapping[str, np.ndarray]
    """The module's ``state_dict`` as float32 arrays (torch's names)."""

    @classmethod
    def from_state(cls, cfg: StyleConfig, state: Mapping[str, Any]) -> StyleNet:
        """Build from a ``state_dict`` (torch tensors or arrays)."""
        arrays = {k: np.ascontiguousarray(v.detach().cpu().numpy() if hasattr(v, "detach")
                                          else v, dtype=np.float32) for k, v in state.items()}
        missing = sorted(set(state_names(cfg)) - set(arrays))
        if missing:
            raise ValueError(f"no {missing[0]}")
        return cls(cfg, arrays)

    def encode(self, music: np.ndarray) -> np.ndarray:
        """Context of every beat: normalized music ``(beats, n_music)`` → ``(beats,
        2 * hidden + n_music)``, the GRU's states both ways and the music itself."""
        x = np.asarray(music, np.float32)
        h = x
        for layer in range(self.cfg.layers):
            h = np.concatenate([self._direction(h, f"l{layer}", False),
                                self._direction(h, f"l{layer}_reverse", True)], axis=1)
        return np.concatenate([h, x], axis=1)

    def _direction(self, x: np.ndarray, name: str, reverse: bool) -> np.ndarray:
        """One GRU direction from a zero state, torch's equations (gates r, z, n)."""
        a = self.arrays
        H = self.cfg.hidden
        gi = x @ a[f"gru.weight_ih_{name}"].T + a[f"gru.bias_ih_{name}"]
        w_hh, b_hh = a[f"gru.weight_hh_{name}"], a[f"gru.bias_hh_{name}"]
        out = np.zeros((len(x), H), np.float32)
        h = np.zeros(H, np.float32)
        for t in (range(len(x) - 1, -1, -1) if reverse else range(len(x))):
            gh = w_hh @ h + b_hh
            g = gi[t]
            r = 1.0 / (1.0 + np.exp(-(g[:H] + gh[:H])))
            z = 1.0 / (1.0 + np.exp(-(g[H:2 * H] + gh[H:2 * H])))
            n = np.tanh(g[2 * H:] + r * gh[2 * H:])
            h = ((1.0 - z) * n + z * h).astype(np.float32)
            out[t] = h
        return out

    @property
    def head(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """The head's layers: ``w1 (head, context + history)``, ``b1``, ``w2 (head,)``, ``b2``."""
        a = self.arrays
        return (a["head.0.weight"], a["head.0.bias"], a["head.2.weight"][0],
                float(a["head.2.bias"][0]))


def write_style(path: str, cfg: StyleConfig, state: Mapping[str, Any], mean: Any, std: Any,
                summary: Mapping[str, Any]) -> None:
    """Write a style file (a temporary file beside it, then renamed into place)."""
    from editspec.fsutil import atomic_path

    net = StyleNet.from_state(cfg, state)
    head = {"format": STYLE_FORMAT, "version": STYLE_VERSION, "config": asdict(cfg),
            "features": list(MUSIC_FEATURES), "summary": plain_json(summary)}
    arrays = {_HEAD: np.array(json.dumps(head, sort_keys=True)),
              "norm.mean": _f32(mean), "norm.std": _f32(std), **net.arrays}
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)


UPGRADES: dict[int, Any] = {1: lambda blob: {**blob, "version": 2}}
"""Version → function upgrading a style dict of that version to the next (version 1 is
version 2's content in a ``torch.save`` file)."""


def read_style_file(path: str) -> dict[str, Any]:
    """Read and check a style file; no pickled code runs.

    Returns
    -------
    dict
        ``format``, ``version``, ``config``, ``features``, ``summary``, ``norm`` (``mean``,
        ``std`` arrays) and ``state_dict`` (arrays).

    Raises
    ------
    ModelError
        When the file is missing, not a style file, of an unknown version, or damaged.
    MissingExtraError
        When it is a version 1 file (torch) and torch is not installed.
    """
    if not os.path.isfile(path):
        raise ModelError(f"{path}: no such style file")
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (OSError, zipfile.BadZipFile):
        names = []
    if f"{_HEAD}.npy" in names:
        blob = _read_npz(path)
    elif any(n.endswith("data.pkl") for n in names):
        blob = _read_torch(path)
    else:
        raise ModelError(f"{path}: not a readable style file (not an .npz); "
                         "make one with `editspec learn`")
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


def _read_npz(path: str) -> dict[str, Any]:
    try:
        with np.load(path, allow_pickle=False) as z:
            blob = json.loads(str(z[_HEAD]))
            arrays = {k: np.ascontiguousarray(z[k], dtype=np.float32) for k in z.files
                      if k != _HEAD}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise ModelError(f"{path}: not a readable style file ({type(exc).__name__}); "
                         "make one with `editspec learn`") from None
    if not isinstance(blob, dict):
        return {}
    if "norm.mean" in arrays and "norm.std" in arrays:
        blob["norm"] = {"mean": arrays.pop("norm.mean"), "std": arrays.pop("norm.std")}
    blob["state_dict"] = arrays
    return blob


def _read_torch(path: str) -> dict[str, Any]:
    """A version 1 style file: ``torch.save`` of plain containers and tensors."""
    from editspec.errors import require_extra

    torch = require_extra("torch", "train", f"reading the version 1 style file {path}")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelError(f"{path}: not a readable style file ({type(exc).__name__}); "
                         "make one with `editspec learn`") from None
    if isinstance(blob, dict):
        if isinstance(blob.get("norm"), dict):
            blob["norm"] = {k: _f32(v) for k, v in blob["norm"].items()}
        if isinstance(blob.get("state_dict"), dict):
            blob["state_dict"] = {k: _f32(v) for k, v in blob["state_dict"].items()}
    return blob


def load_style(path: str) -> tuple[StyleNet, np.ndarray, np.ndarray, dict[str, Any]]:
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
        net = StyleNet.from_state(cfg, blob["state_dict"])
        _check_shapes(net)
        mean, std = _f32(blob["norm"]["mean"]), _f32(blob["norm"]["std"])
        if mean.shape != (cfg.n_music,) or std.shape != (cfg.n_music,):
            raise ValueError(f"norm of shape {mean.shape}, expected ({cfg.n_music},)")
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        first = str(exc).strip().splitlines()[0][:120]
        raise ModelError(f"{path}: style weights do not fit its config ({first})") from None
    return net, mean, std, dict(blob["summary"])


def _check_shapes(net: StyleNet) -> None:
    cfg, a = net.cfg, net.arrays
    H = cfg.hidden
    want = {"head.0.weight": (cfg.head, 2 * H + cfg.n_music + cfg.n_history),
            "head.0.bias": (cfg.head,), "head.2.weight": (1, cfg.head), "head.2.bias": (1,)}
    for layer in range(cfg.layers):
        n_in = cfg.n_music if layer == 0 else 2 * H
        for d in ("", "_reverse"):
            want |= {f"gru.weight_ih_l{layer}{d}": (3 * H, n_in),
                     f"gru.weight_hh_l{layer}{d}": (3 * H, H),
                     f"gru.bias_ih_l{layer}{d}": (3 * H,), f"gru.bias_hh_l{layer}{d}": (3 * H,)}
    for k, shape in want.items():
        if a[k].shape != shape:
            raise ValueError(f"{k} has shape {a[k].shape}, expected {shape}")


def _f32(v: Any) -> np.ndarray:
    if hasattr(v, "detach"):  # a torch tensor
        v = v.detach().cpu().float().numpy()
    return np.ascontiguousarray(v, dtype=np.float32)
