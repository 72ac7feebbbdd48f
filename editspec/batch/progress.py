"""One progress display for a whole batch, and the final summary table."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from typing import IO, Any


def format_seconds(s: float) -> str:
    """``75`` → ``1:15``; ``3700`` → ``1:01:40``."""
    s = max(0, round(s))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


class Progress:
    """``batch: 12/100 done, 1 failed, 87 left, 3 rendering, ETA 4:10``.

    On a terminal the line is rewritten in place; otherwise one line is printed per
    change, so logs and tests can follow it.
    """

    def __init__(self, total: int, *, enabled: bool = True, stream: IO[str] | None = None) -> None:
        self.total = total
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.t0 = time.perf_counter()
        self.rendered = 0
        self._last = ""

    def update(self, done: int, failed: int, running: int, rendered: int) -> None:
        """Show the state: ``done`` counts rendered, skipped and failed rows."""
        if not self.enabled:
            return
        left = self.total - done
        eta = "?"
        if rendered and left:
            per = (time.perf_counter() - self.t0) / rendered
            eta = format_seconds(per * left)
        elif not left:
            eta = "0:00"
        line = (f"batch: {done}/{self.total} done, {failed} failed, {left} left, "
                f"{running} rendering, ETA {eta}")
        if line == self._last:
            return
        self._last = line
        if self.tty:
            self.stream.write("\r\x1b[2K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the in-place line."""
        if self.enabled and self.tty and self._last:
            self.stream.write("\n")
            self.stream.flush()


def summary_table(jobs: Sequence[Any], wall_s: float, workers: int, runner: str) -> str:
    """The final table: one line per row (output, status, size, duration, time, error)."""
    head = f"{'row':>5s}  {'output':32s} {'status':8s} {'size':>9s} {'dur':>6s} {'time':>6s}  error"
    lines = [head, "-" * len(head)]
    counts: dict[str, int] = {}
    for j in jobs:
        counts[j.status] = counts.get(j.status, 0) + 1
        size = j.result.get("size")
        dur = j.result.get("duration")
        t = j.result.get("task_s")
        err = ""
        if j.error:
            err = (f"column {j.column!r}: " if j.column else "") + j.error
        lines.append(f"{j.row.number:5d}  {os.path.basename(j.name)[:32]:32s} {j.status:8s} "
                     f"{'' if size is None else f'{size / 1e6:.2f} MB':>9s} "
                     f"{'' if dur is None else f'{dur:.2f}s':>6s} "
                     f"{'' if t is None else f'{t:.1f}s':>6s}  {err[:120]}")
    totals = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    lines.append(f"{len(jobs)} outputs: {totals}; {format_seconds(wall_s)} on {workers} "
                 f"{runner} worker{'s' if workers != 1 else ''}")
    return "\n".join(lines)
