"""The unit of parallel work: render one planned EDL into one output file.

This module is what pool processes and Dask workers import: it loads no analysis
stack (no librosa, numba or torch), only the EDL and the ffmpeg backend. The task
takes and returns plain JSON-able dicts, so it pickles the same for both runners.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from typing import Any

_local = threading.local()
_installed = False
_RealPopen = subprocess.Popen


class _TimedPopen(_RealPopen):  # type: ignore[misc,valid-type]
    """``subprocess.Popen`` that adds each child's wall time to the task's ffmpeg time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._t0 = time.perf_counter()
        self._counted = False
        super().__init__(*args, **kwargs)

    def wait(self, timeout: float | None = None) -> int:  # type: ignore[override]
        code = super().wait(timeout)
        if not self._counted:
            self._counted = True
            _local.ffmpeg_s = getattr(_local, "ffmpeg_s", 0.0) + time.perf_counter() - self._t0
        return code


def _install_timer() -> None:
    """Time the task's subprocesses (all ffmpeg) so the batch can report its overhead."""
    global _installed
    if not _installed:
        subprocess.Popen = _TimedPopen  # type: ignore[misc]
        _installed = True


def render_job(job: dict[str, Any]) -> dict[str, Any]:
    """Render one job; return its manifest fields.

    Parameters
    ----------
    job : dict
        ``edl`` (EDL as a dict), ``output`` (absolute path; every worker must see it)
        and ``options`` (passed to the ffmpeg backend's ``write``).

    Returns
    -------
    dict
        ``status`` (``ok`` or ``failed``), ``error``, ``size`` (bytes), ``duration``
        (s, from the file's header), ``task_s`` and ``ffmpeg_s`` (wall seconds of the
        task and of its ffmpeg processes), ``worker`` (host:pid).
    """
    t0 = time.perf_counter()
    _install_timer()
    _local.ffmpeg_s = 0.0
    out: dict[str, Any] = {"status": "ok", "error": None, "size": None, "duration": None,
                           "worker": f"{os.uname().nodename}:{os.getpid()}"}
    try:
        from editspec.backends import ffmpeg as backend
        from editspec.edl import edl_from_dict
        from editspec.media import probe

        edl = edl_from_dict(job["edl"])
        backend.write(edl, job["output"], progress=False, **job.get("options", {}))
        out["size"] = os.path.getsize(job["output"])
        out["duration"] = round(probe(job["output"]).duration, 3)
    except Exception as exc:  # a failed row is reported, the batch goes on
        from editspec.errors import EditspecError

        msg = exc.one_line() if isinstance(exc, EditspecError) else f"{type(exc).__name__}: {exc}"
        out.update(status="failed", error=" ".join(str(msg).split())[:1000])
    out["ffmpeg_s"] = round(getattr(_local, "ffmpeg_s", 0.0), 4)
    out["task_s"] = round(time.perf_counter() - t0, 4)
    return out
