"""Where renders run: a local process pool (default) or a Dask distributed cluster.

Both runners take a job dict, return futures, and report each finished future as
``("ok", result)``, ``("died", message)`` (the worker process was lost: the row may
be retried) or ``("error", message)``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)


def default_workers() -> int:
    """Renders at once on this machine: a quarter of the usable cores, at least one.

    ffmpeg already spreads one render over several threads (x264 uses about 1.5 per
    core); more renders than cores / 4 mostly adds memory and context switches.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, cores // 4)


class LocalRunner:
    """A ``ProcessPoolExecutor`` (spawned processes) that is rebuilt when a worker dies."""

    name = "local"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool = self._new_pool()

    def _new_pool(self) -> Any:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))

    def submit(self, job: dict[str, Any]) -> Any:
        from concurrent.futures import Future
        from concurrent.futures.process import BrokenProcessPool

        from editspec.batch.worker import render_job

        try:
            return self._pool.submit(render_job, job)
        except BrokenProcessPool as exc:  # a worker died: report it like the others
            fut: Future[Any] = Future()
            fut.set_exception(exc)
            return fut

    def wait(self, futures: Iterable[Any], timeout: float | None) -> set[Any]:
        from concurrent.futures import FIRST_COMPLETED, wait

        done, _ = wait(list(futures), timeout=timeout, return_when=FIRST_COMPLETED)
        return set(done)

    def outcome(self, fut: Any) -> tuple[str, Any]:
        from concurrent.futures.process import BrokenProcessPool

        try:
            return "ok", fut.result()
        except BrokenProcessPool:
            return "died", "a worker process died while rendering"
        except Exception as exc:
            return "error", f"{type(exc).__name__}: {exc}"

    def recover(self) -> None:
        """Replace a broken pool (after a worker died) with a fresh one."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()

    def close(self, interrupted: bool = False) -> None:
        if interrupted:
            # stop renders cleanly: SIGINT makes a worker stop its ffmpeg and remove
            # the temporary file, then exit
            for proc in list(getattr(self._pool, "_processes", {}).values()):
                with contextlib.suppress(ProcessLookupError, AttributeError):
                    os.kill(proc.pid, signal.SIGINT)
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskRunner:
    """A ``dask.distributed.Client`` connected to a scheduler (``tcp://HOST:PORT``).

    Media and the output folder must be on a path that every worker sees.
    """

    name = "dask"

    def __init__(self, address: Any) -> None:
        from editspec.errors import EditspecError, require_extra

        Client = require_extra("distributed", "dask", "editspec batch --scheduler").Client
        try:
            self.client = Client(address, timeout="20s", set_as_default=True)
        except (OSError, TimeoutError) as exc:
            raise EditspecError(f"cannot reach the Dask scheduler {address}: {exc}") from None
        from distributed import as_completed

        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        self._n = 0
        self._done = as_completed([], with_results=False)

    def submit(self, job: dict[str, Any]) -> Any:
        from editspec.batch.worker import render_job

        self._n += 1
        fut = self.client.submit(render_job, job, pure=False, retries=0,
                                 key=f"editspec-render-{os.getpid()}-{self._n}")
        self._done.add(fut)
        return fut

    def wait(self, futures: Iterable[Any], timeout: float | None) -> set[Any]:
        """Block until at least one future is done; return every done one."""
        first = next(self._done)
        return {first, *self._done.next_batch(block=False)}

    def outcome(self, fut: Any) -> tuple[str, Any]:
        from distributed.scheduler import KilledWorker

        try:
            return "ok", fut.result()
        except KilledWorker:
            return "died", "the Dask worker running it died"
        except Exception as exc:
            return "error", f"{type(exc).__name__}: {exc}"

    def recover(self) -> None:
        """Nothing to do: the scheduler replaces lost workers."""

    def close(self, interrupted: bool = False) -> None:
        self.client.close()
