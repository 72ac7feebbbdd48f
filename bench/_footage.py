"""The real footage clips, fetched and analyzed (shared by the benchmark scripts).

Fetching lives in ``tests/footage.py`` (Debian and PyPI packages into the cache folder,
never git), shared with the real-footage test tier.
"""

from __future__ import annotations

import os
import sys
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))

from footage import FOOTAGE_DIR, FootageUnavailable, fetch_footage

BENCH_CLIPS = ("bigbuckbunny.mp4", "bikes.mp4", "carphone_pristine.mp4", "cockatoo.mp4",
               "motion.mov")
"""The clips the benchmarks have always measured on (a fixed set: their figures compare)."""


def fetch_bench_clips() -> dict[str, str]:
    """Fetch the benchmark clips once; return ``{name: path}`` (exit with why on failure)."""
    try:
        return fetch_footage(list(BENCH_CLIPS))
    except FootageUnavailable as exc:
        raise SystemExit(f"cannot fetch the real footage into {FOOTAGE_DIR}: {exc}") from None


def real_clips() -> dict[str, Any]:
    """Return ``{path: VideoAnalysis}`` of the benchmark clips (fetched on first use)."""
    from editspec.analysis.video import analyze_clips

    footage = sorted(fetch_bench_clips().values())
    return {a.path: a for a in analyze_clips(footage)}
