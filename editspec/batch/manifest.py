"""The batch manifest, ``OUTDIR/manifest.jsonl``: one JSON object per output.

During a run every finished row is appended (and flushed to disk) at once, so a
crash loses nothing that finished; at the end of a run the file is rewritten, one
line per output in table order, atomically. When reading, the last line of an
output wins. A row is done, and skipped by the next run, when its record says
``ok``, its input and EDL hashes are the same, and its file exists with the
recorded size.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable
from typing import Any

from editspec.fsutil import write_text_atomic

log = logging.getLogger(__name__)

MANIFEST = "manifest.jsonl"
MANIFEST_VERSION = 1


def text_hash(text: str | bytes) -> str:
    """BLAKE2b-128 hex digest of text (UTF-8) or bytes."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def read_manifest(outdir: str) -> dict[str, dict[str, Any]]:
    """Return the last record of every output name (unreadable lines are ignored)."""
    path = os.path.join(outdir, MANIFEST)
    out: dict[str, dict[str, Any]] = {}
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by a crash
                if isinstance(rec, dict) and isinstance(rec.get("output"), str):
                    out[rec["output"]] = rec
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("cannot read %s: %s", path, exc)
    return out


def is_done(rec: dict[str, Any] | None, outdir: str, inputs_hash: str, edl_hash: str) -> bool:
    """True when ``rec`` shows this output rendered from the same inputs and EDL."""
    if not rec or rec.get("status") != "ok":
        return False
    if rec.get("inputs_hash") != inputs_hash or rec.get("edl_hash") != edl_hash:
        return False
    path = os.path.join(outdir, rec["output"])
    try:
        return os.path.getsize(path) == rec.get("size")
    except OSError:
        return False


class ManifestWriter:
    """Appends records as rows finish; :meth:`compact` rewrites the file at the end."""

    def __init__(self, outdir: str) -> None:
        self.path = os.path.join(outdir, MANIFEST)
        self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (closed in close())

    def append(self, rec: dict[str, Any]) -> None:
        """Write one record and push it to disk."""
        self._fh.write(json.dumps({"version": MANIFEST_VERSION, **rec}, ensure_ascii=False)
                       + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        """Close the file."""
        self._fh.close()

    def compact(self, order: Iterable[str]) -> None:
        """Rewrite the manifest: the last record of each output, in ``order`` first."""
        self.close()
        records = read_manifest(os.path.dirname(self.path))
        names = [n for n in order if n in records]
        names += [n for n in records if n not in set(names)]
        write_text_atomic(self.path, "".join(json.dumps(records[n], ensure_ascii=False) + "\n"
                                             for n in names))
