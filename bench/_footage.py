"""The real footage clips in the cache folder, analyzed (shared by the benchmark scripts)."""

from __future__ import annotations

import glob
import os
from typing import Any


def real_clips() -> dict[str, Any]:
    """Return ``{path: VideoAnalysis}`` of every clip in ``CACHE/footage`` (.mp4, .mov).

    Exits with a message when there is none (``bench/shots.py`` fetches them).
    """
    from editspec.analysis.cache import cache_dir
    from editspec.analysis.video import analyze_clips

    folder = os.path.join(cache_dir(), "footage")
    footage = sorted(glob.glob(os.path.join(folder, "*.mp4")) +
                     glob.glob(os.path.join(folder, "*.mov")))
    if not footage:
        raise SystemExit("no footage in the cache: run bench/shots.py once to fetch it")
    return {a.path: a for a in analyze_clips(footage)}
