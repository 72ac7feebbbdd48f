"""Batch: one templated recipe x a table of values → one render per row.

Stage input: a recipe with ``variables``, a table (CSV, JSON lines, Parquet) and an
optional matrix (``aspect=9:16,1:1``); output: one video per row and matrix value in
an output folder, with ``manifest.jsonl``. The parent process reads and checks every
row, analyzes each song and clip set once (content-hash cache), plans every row
(cheap), and hands renders, the parallel unit, to a local process pool or a Dask
cluster. Re-running skips the outputs already made from the same inputs and EDL.
Modules: ``table`` (rows, matrix, names), ``jobs`` (rows to planned jobs),
``manifest``, ``runners`` (local, dask), ``worker`` (the render task), ``progress``.
See ``docs/batch.md``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from editspec.batch.jobs import Hasher, Job, Template, compile_job, plan_job
from editspec.batch.manifest import MANIFEST, ManifestWriter, is_done, read_manifest
from editspec.batch.progress import Progress, summary_table
from editspec.batch.table import (
    default_name_pattern,
    expand_matrix,
    format_name,
    parse_matrix,
    pattern_fields,
    read_table,
)
from editspec.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, EditspecError

log = logging.getLogger(__name__)

LOCK = ".editspec-batch.lock"
TEMP_PREFIX = ".editspec-"
"""Prefix of :func:`editspec.fsutil.atomic_path`'s temporary files."""


@dataclass
class BatchResult:
    """What a batch did."""

    jobs: list[Job]
    """Every output, in table order (then matrix order)."""
    wall_s: float
    """Wall time of the whole batch, seconds (reading, analysis, planning, renders)."""
    prepare_s: float
    """Seconds before the first render could start (table, recipe, analysis, first plan)."""
    workers: int
    """Renders at once."""
    runner: str
    """``local`` or ``dask``."""

    def count(self, status: str) -> int:
        """Number of jobs with ``status``."""
        return sum(j.status == status for j in self.jobs)

    @property
    def ffmpeg_s(self) -> float:
        """Wall seconds spent in ffmpeg processes by the renders of this run."""
        return sum(j.result.get("ffmpeg_s") or 0.0 for j in self.jobs if j.status == "ok"
                   and j.result)

    @property
    def outside_ffmpeg(self) -> float:
        """Share of the worker capacity (workers x wall) not spent in ffmpeg, 0..1."""
        cap = self.wall_s * self.workers
        return max(0.0, 1.0 - self.ffmpeg_s / cap) if cap > 0 else 0.0

    @property
    def exit_code(self) -> int:
        """2 when a row was bad input, 1 when a render failed, else 0."""
        if self.count("invalid"):
            return EXIT_BAD_INPUT
        return EXIT_INTERNAL if self.count("failed") else EXIT_OK

    def summary(self) -> str:
        """The final summary table."""
        return summary_table(self.jobs, self.wall_s, self.workers, self.runner)


@contextlib.contextmanager
def _locked(outdir: str) -> Iterator[None]:
    import fcntl

    fh = open(os.path.join(outdir, LOCK), "w")  # noqa: SIM115
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise EditspecError(f"{outdir}: another editspec batch is writing there") from None
        yield
    finally:
        fh.close()


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """Let SIGTERM stop the batch as Ctrl-C does (clean up, keep the manifest)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def make_jobs(template: Template, table: str, outdir: str, *, name: str | None = None,
              matrix: Sequence[str] = ()) -> list[Job]:
    """Read the table, apply the matrix, name every output and check names are unique.

    Raises
    ------
    EditspecError
        On a bad table, matrix or name pattern, or two rows writing the same file.
    """
    columns, rows = read_table(table)
    if not rows:
        raise EditspecError(f"{table}: the table has no rows")
    mat = parse_matrix(matrix)
    template.check_matrix(mat)
    variants = expand_matrix(rows, mat)
    pattern = name or template.name_pattern or default_name_pattern(mat, len(rows))
    missing = [k for k, _ in mat if k not in pattern_fields(pattern)]
    if missing:  # each matrix value gets its own file
        stem, ext = os.path.splitext(pattern)
        pattern = "-".join([stem, *(f"{{{k}}}" for k in missing)]) + ext
    keys = {"row", *columns, *(k for k, _ in mat)}
    for f in pattern_fields(pattern):
        if f not in keys:
            raise EditspecError(f"name pattern {pattern!r} uses {{{f}}}, which is not a column, "
                                f"'row' or a --matrix key; columns: {', '.join(columns)}")
    unused = [c for c in columns if c not in template.declared
              and c not in pattern_fields(pattern)]
    if unused:
        log.warning("columns %s are neither recipe variables nor in the name pattern; "
                    "they are ignored", ", ".join(repr(c) for c in unused))
    width = max(4, len(str(rows[-1].number)))
    root = os.path.abspath(outdir)
    jobs: list[Job] = []
    seen: dict[str, Job] = {}
    for r in variants:
        fname = format_name(pattern, r, width)
        if fname.casefold() == MANIFEST:
            raise EditspecError(f"{r.label} would write {fname}, the batch's manifest")
        other = seen.get(fname.casefold())
        if other is not None:
            raise EditspecError(f"{other.row.label} and {r.label} would both write {fname}: "
                                f"make the name pattern {pattern!r} unique (add {{row}} or "
                                f"another column)")
        job = Job(r, fname, os.path.join(root, fname))
        seen[fname.casefold()] = job
        jobs.append(job)
    return jobs


def run_batch(recipe: str, table: str, outdir: str, *, name: str | None = None,
              matrix: Sequence[str] = (), workers: int | None = None,
              scheduler: Any = None, retries: int = 2, media_roots: Sequence[str] = (),
              options: dict[str, Any] | None = None, progress: bool = True,
              tracker: str | None = None, stream: Any = None) -> BatchResult:
    """Render one output per table row (times the matrix).

    Parameters
    ----------
    recipe : str
        The templated recipe (YAML or DSL) with ``variables``.
    table : str
        ``.csv``, ``.jsonl`` or ``.parquet``: one row per output; columns fill the
        recipe's variables of the same name.
    outdir : str
        Output folder; gets the videos and ``manifest.jsonl``.
    name : str, optional
        Output name pattern (``{sku}-{lang}.mp4``); default: the recipe's
        ``output.name``, else ``{row}`` and the matrix keys.
    matrix : sequence of str
        ``KEY=V1,V2`` specs; each multiplies the rows. Keys: ``aspect``/``size``,
        ``duration``, ``fps``, or a recipe variable.
    workers : int, optional
        Renders at once on the local pool (default :func:`runners.default_workers`).
    scheduler : str or object, optional
        A Dask scheduler address (``tcp://HOST:PORT``) or cluster: render there.
    retries : int
        Times a row is tried again after its worker died (a failed render is not).
    media_roots : sequence of str
        Folders besides the recipe's that media and file values may come from.
    options : dict, optional
        ffmpeg backend options for every render (``preset``, ``crf``...).
    progress : bool
        Show the progress line on ``stream`` (stderr).

    Returns
    -------
    BatchResult

    Raises
    ------
    EditspecError
        Bad input found before anything runs: recipe, table, matrix, names.
    KeyboardInterrupt
        After Ctrl-C or SIGTERM: running renders are stopped and their temporary
        files removed; finished rows are in the manifest.
    """
    from editspec.batch.runners import DaskRunner, LocalRunner, default_workers

    t0 = time.perf_counter()
    if retries < 0:
        raise EditspecError(f"--retries {retries} must be >= 0")
    if workers is not None and workers < 1:
        raise EditspecError(f"--workers {workers} must be >= 1")
    if scheduler is not None:  # editspec[dask]: said before any output is made
        from editspec.errors import require_extra

        require_extra("distributed", "dask", "editspec batch --scheduler")
    options = dict(options or {})
    template = Template(recipe, media_roots)
    jobs = make_jobs(template, table, outdir, name=name, matrix=matrix)
    os.makedirs(outdir, exist_ok=True)
    with _locked(outdir), _sigterm_interrupts():
        for f in os.listdir(outdir):  # temporaries of a crashed run (we hold the lock)
            if f.startswith(TEMP_PREFIX) and f != LOCK:
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(outdir, f))
        for job in jobs:
            compile_job(template, job)
        prior = read_manifest(outdir)
        writer = ManifestWriter(outdir)
        for job in jobs:
            if job.status == "invalid":
                writer.append(job.record())
        runner: Any = (DaskRunner(scheduler) if scheduler is not None
                       else LocalRunner(workers or default_workers()))
        n_workers = runner.workers
        bar = Progress(len(jobs), enabled=progress, stream=stream)
        hasher = Hasher()
        analyses: dict[Any, Any] = {}
        todo = iter([j for j in jobs if j.status == "pending"])
        retry: list[Job] = []
        inflight: dict[Any, Job] = {}
        cap = n_workers + 1 if runner.name == "local" else 2 * n_workers + 2
        prepare_s: float | None = None
        rendered = 0
        interrupted = False

        def finished() -> int:
            return sum(j.status in ("ok", "failed", "skipped", "invalid") for j in jobs)

        def show() -> None:
            bar.update(finished(), sum(j.status in ("failed", "invalid") for j in jobs),
                       len(inflight), rendered)

        try:
            show()
            while True:
                while len(inflight) < cap:
                    job = retry.pop(0) if retry else next(todo, None)
                    if job is None:
                        break
                    if job.edl is None:
                        try:
                            plan_job(template, job, analyses, hasher, options, tracker=tracker)
                        except EditspecError as exc:
                            job.status, job.error = "invalid", exc.one_line()
                            writer.append(job.record())
                            show()
                            continue
                        if is_done(prior.get(job.name), outdir, job.inputs_hash or "",
                                   job.edl_hash or ""):
                            job.status = "skipped"
                            job.result = {k: prior[job.name].get(k)
                                          for k in ("size", "duration")}
                            show()
                            continue
                    job.attempts += 1
                    if prepare_s is None:
                        prepare_s = time.perf_counter() - t0
                    inflight[runner.submit({"edl": job.edl, "output": job.output,
                                            "options": options})] = job
                    show()
                if not inflight:
                    break
                died = False
                for fut in runner.wait(inflight, None):
                    job = inflight.pop(fut)
                    kind, value = runner.outcome(fut)
                    if kind == "died":
                        died = True
                        if job.attempts <= retries:
                            log.info("%s: %s; trying again", job.row.label, value)
                            retry.append(job)
                            continue
                        job.status = "failed"
                        job.error = f"{value} ({job.attempts} attempts)"
                    elif kind == "error":
                        job.status, job.error = "failed", value
                    else:
                        job.result = value
                        job.status, job.error = value["status"], value["error"]
                        rendered += 1
                    writer.append(job.record())
                    show()
                if died and runner.name == "local":
                    # the pool is broken: every job in flight died with it
                    for job in list(inflight.values()):
                        if job.attempts <= retries:
                            retry.append(job)
                        else:
                            job.status = "failed"
                            job.error = f"a worker process died ({job.attempts} attempts)"
                            writer.append(job.record())
                    inflight.clear()
                    runner.recover()
        except KeyboardInterrupt:
            interrupted = True
            if runner.name == "dask":
                with contextlib.suppress(Exception):
                    runner.client.cancel(list(inflight))
            raise
        finally:
            bar.close()
            runner.close(interrupted=interrupted)
            writer.compact(j.name for j in jobs)
    wall = time.perf_counter() - t0
    return BatchResult(jobs, wall, prepare_s if prepare_s is not None else wall, n_workers,
                       runner.name)
