"""Content-hash cache for analysis results.

One folder, ``$EDITSPEC_CACHE``, else ``$XDG_CACHE_HOME/editspec``, else
``~/.cache/editspec``; entries are ``.npz`` files
(``allow_pickle=False``) keyed on the media's content hash, the analyzer's version and
its parameters. A failed write is a warning, never an error.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


def cache_dir() -> str:
    """Return the cache folder (created on demand).

    ``$EDITSPEC_CACHE``, else ``$XDG_CACHE_HOME/editspec`` (the XDG base directory
    specification: only an absolute ``XDG_CACHE_HOME`` counts), else ``~/.cache/editspec``.
    """
    explicit = os.environ.get("EDITSPEC_CACHE")
    if explicit:
        return explicit
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = xdg if os.path.isabs(xdg) else os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "editspec")


def file_hash(path: str) -> str:
    """Return the BLAKE2b-128 hex digest of a file's bytes."""
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cache_key(kind: str, path: str, version: str, params: dict[str, Any]) -> str:
    """Return the key of an analysis of ``path`` by analyzer ``kind`` at ``version``."""
    blob = json.dumps({"v": version, "p": params}, sort_keys=True)
    return f"{kind}-{file_hash(path)}-{hashlib.blake2b(blob.encode(), digest_size=8).hexdigest()}"


def load(key: str) -> dict[str, np.ndarray] | None:
    """Return the arrays stored under ``key``, or None when absent or unreadable."""
    fname = os.path.join(cache_dir(), key + ".npz")
    if not os.path.isfile(fname):
        return None
    try:
        with np.load(fname, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except Exception as exc:  # a corrupt entry is recomputed
        log.warning("ignoring unreadable cache entry %s: %s", fname, exc)
        return None


def save(key: str, arrays: dict[str, np.ndarray]) -> None:
    """Store arrays under ``key``; a failure is logged as a warning."""
    folder = cache_dir()
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".npz.tmp")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, os.path.join(folder, key + ".npz"))
    except OSError as exc:
        log.warning("could not write the analysis cache in %s: %s", folder, exc)
