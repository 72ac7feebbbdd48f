"""The beat network's weights file: a NumPy ``.npz`` read and written without torch.

A weights file holds the network's ``state_dict`` as float32 arrays under torch's names
(``conv.weight``, ``gru.weight_ih_l0``, ...) plus three text entries: ``__format__``
(:data:`FORMAT`, version), ``__config__`` (the :class:`~editspec.model.frontend.GRUConfig`
as JSON) and ``__meta__`` (the training report as JSON). It loads with
``allow_pickle=False``: nothing in it is code.

Older weights files were torch checkpoints (``torch.save`` of the same content,
``.pt``): :func:`read` still takes one when torch is installed (``editspec[train]``), and
``python -m editspec.train.convert OLD.pt NEW.npz`` turns one into this format.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import numpy as np

from editspec.errors import ModelError
from editspec.model.frontend import GRUConfig

FORMAT = "editspec-beats-gru"
FORMAT_VERSION = 1
_KEYS = ("__format__", "__config__", "__meta__")


def array_names(cfg: GRUConfig) -> list[str]:
    """The arrays :meth:`FastNet.forward` reads (torch's ``state_dict`` names)."""
    dirs = ("", "_reverse") if cfg.bidirectional else ("",)
    gru = [f"gru.{kind}_{part}_l{layer}{d}" for layer in range(cfg.layers) for d in dirs
           for kind in ("weight", "bias") for part in ("ih", "hh")]
    return ["feat_mean", "feat_std", "conv.weight", "conv.bias", *gru, "head.weight",
            "head.bias"]


def state_arrays(state: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """A ``state_dict`` (torch tensors or arrays) as contiguous float32 arrays."""
    out = {}
    for k, v in state.items():
        if hasattr(v, "detach"):  # a torch tensor
            v = v.detach().cpu().float().numpy()
        out[k] = np.ascontiguousarray(v, dtype=np.float32)
    return out


def write(path: str, cfg: GRUConfig | Mapping[str, Any], state: Mapping[str, Any],
          meta: Mapping[str, Any] | None = None) -> None:
    """Write a weights file (a temporary file beside it, then renamed into place).

    Parameters
    ----------
    path : str
        The ``.npz`` file.
    cfg : GRUConfig or dict
        The network's config.
    state : mapping
        Its ``state_dict`` (torch tensors or arrays), stored as float32.
    meta : mapping, optional
        Plain, JSON-serializable training facts.
    """
    from editspec.fsutil import atomic_path

    cfg_dict = asdict(cfg) if isinstance(cfg, GRUConfig) else dict(cfg)
    arrays = state_arrays(state)
    clash = sorted(set(arrays) & set(_KEYS))
    if clash:
        raise ValueError(f"state_dict entry {clash[0]!r} is a reserved name")
    text = {"__format__": np.array(json.dumps({"format": FORMAT, "version": FORMAT_VERSION})),
            "__config__": np.array(json.dumps(cfg_dict, sort_keys=True)),
            "__meta__": np.array(json.dumps(plain_json(dict(meta or {})), sort_keys=True))}
    with atomic_path(path, suffix=".npz") as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **text, **arrays)


def read(path: str) -> tuple[GRUConfig, dict[str, np.ndarray], dict[str, Any]]:
    """Read a weights file: config, float32 arrays and metadata.

    Raises
    ------
    ModelError
        When the file is missing, not a weights file, of a newer version, or a torch
        checkpoint while torch is not installed.
    """
    if not os.path.isfile(path):
        raise ModelError(f"{path}: model weights not found (reinstall editspec, or train them "
                         "with `editspec train`)")
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (OSError, zipfile.BadZipFile) as exc:
        raise ModelError(f"{path}: corrupt model weights: not a weights file "
                         f"({type(exc).__name__})") from None
    if "__format__.npy" not in names:
        if any(n.endswith("/data.pkl") or n == "data.pkl" for n in names):
            return _read_torch(path)
        raise ModelError(f"{path}: not an {FORMAT} weights file")
    try:
        with np.load(path, allow_pickle=False) as z:
            head = json.loads(str(z["__format__"]))
            cfg_dict = json.loads(str(z["__config__"]))
            meta = json.loads(str(z["__meta__"])) if "__meta__" in z.files else {}
            arrays = {k: np.ascontiguousarray(z[k], dtype=np.float32)
                      for k in z.files if k not in _KEYS}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise ModelError(f"{path}: corrupt model weights: {type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")) from None
    return _checked(path, head, cfg_dict, arrays, meta)


def _checked(path: str, head: Any, cfg_dict: Any, arrays: dict[str, np.ndarray],
             meta: Any) -> tuple[GRUConfig, dict[str, np.ndarray], dict[str, Any]]:
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise ModelError(f"{path}: unusable model weights: not an {FORMAT} checkpoint")
    if int(head.get("version", 0)) > FORMAT_VERSION:
        raise ModelError(f"{path}: unusable model weights: checkpoint version "
                         f"{head.get('version')} is newer than {FORMAT_VERSION}; upgrade editspec")
    try:
        cfg = GRUConfig.from_dict(cfg_dict)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"{path}: unusable model weights: {exc}".splitlines()[0]) from None
    missing = sorted(set(array_names(cfg)) - set(arrays))
    if missing:
        raise ModelError(f"{path}: unusable model weights: no {missing[0]}")
    return cfg, arrays, dict(meta) if isinstance(meta, dict) else {}


def _read_torch(path: str) -> tuple[GRUConfig, dict[str, np.ndarray], dict[str, Any]]:
    """A torch checkpoint of the same content (older editspec), read with torch."""
    from editspec.errors import require_extra

    torch = require_extra("torch", "train", f"reading the torch checkpoint {path} "
                          "(or convert it: python -m editspec.train.convert)")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelError(f"{path}: corrupt model weights: {type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")) from None
    if not isinstance(ckpt, dict):
        raise ModelError(f"{path}: unusable model weights: not an {FORMAT} checkpoint")
    head = {"format": ckpt.get("format"), "version": ckpt.get("version", 0)}
    state = ckpt.get("state_dict")
    if not isinstance(state, dict):
        raise ModelError(f"{path}: unusable model weights: no state_dict")
    return _checked(path, head, ckpt.get("config"), state_arrays(state), ckpt.get("meta", {}))


def plain_json(d: Any) -> Any:
    """JSON-able copy of nested metadata (numpy scalars and arrays become numbers/lists;
    the style files' summaries use it too)."""
    if isinstance(d, Mapping):
        return {str(k): plain_json(v) for k, v in d.items()}
    if isinstance(d, (list, tuple)):
        return [plain_json(v) for v in d]
    if isinstance(d, np.generic):
        return d.item()
    if isinstance(d, np.ndarray):
        return d.tolist()
    return d
