"""Paired comparison of two runs of ``bench/model_quality.py`` on the same split.

Both runs must have scored the same renders (``--json`` files). For beat and downbeat F of
one method (``gru+hmm`` by default) it prints each mean, their difference, a 95 % interval
of the difference from resampling the songs (the renders of a drawn song go together,
both runs alike), and the share of draws in which the first run is ahead. With 10
validation songs a difference is worth acting on only when that interval excludes 0.

Usage: ``python bench/compare.py A.json B.json [--method gru+hmm] [--draws 2000]``
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model_quality import song_draws  # the same song resamples


def paired_bootstrap(songs: list[str], a: np.ndarray, b: np.ndarray, draws: int = 2000,
                     seed: int = 0) -> tuple[float, float, float]:
    """Return the 2.5 and 97.5 percentiles of mean(a) - mean(b) over song resamples, and
    the share of resamples where it is positive."""
    diffs = np.array([a[rows].mean() - b[rows].mean() for rows in song_draws(songs, draws, seed)])
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    return float(lo), float(hi), float(np.mean(diffs > 0))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--method", default="gru+hmm")
    ap.add_argument("--draws", type=int, default=2000)
    args = ap.parse_args()
    runs = []
    for path in (args.a, args.b):
        try:
            with open(path, encoding="utf-8") as fh:
                runs.append({r["name"]: r for r in json.load(fh)})
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"{path}: not a model_quality --json file ({exc})", file=sys.stderr)
            return 2
    if set(runs[0]) != set(runs[1]):
        print(f"{args.a} and {args.b} scored different renders", file=sys.stderr)
        return 2
    names = sorted(runs[0])
    songs = [runs[0][n]["song"] for n in names]
    print(f"{len(names)} renders of {len(set(songs))} songs, method {args.method}, "
          f"{args.draws} song resamples")
    print(f"{'':10s} {'A':>7s} {'B':>7s} {'A - B':>7s}   95 % interval   A ahead")
    for label, key in (("beat F", args.method), ("downbeat F", args.method + " down")):
        try:
            a = np.array([runs[0][n][key] for n in names], float)
            b = np.array([runs[1][n][key] for n in names], float)
        except KeyError:
            continue
        lo, hi, ahead = paired_bootstrap(songs, a, b, args.draws)
        print(f"{label:10s} {a.mean():7.3f} {b.mean():7.3f} {a.mean() - b.mean():+7.3f}   "
              f"{lo:+.3f}..{hi:+.3f}   {ahead:6.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
