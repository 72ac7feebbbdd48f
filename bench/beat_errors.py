"""What kind of beat errors a tracker makes, on a split of the MIDI corpus.

Needs the corpus (``make corpus``). For every render it scores the beats (mir_eval
F-measure, ±70 ms) and files the render under one kind (:func:`error_kind`):

- ``right``: F ≥ 0.9;
- ``half`` / ``double``: the tracker's tempo is half / twice the true one (metrical level);
- ``3:2`` / ``2:3``: a ratio of 1.5 or 2/3 (dotted or triplet level);
- ``off-beat``: the right tempo, the beats between the true ones (phase);
- ``other``: the rest (the right tempo in part of the excerpt, a wrong tempo...).

For each kind it prints the renders, their mean F, the share of the split's beat F that
they lose, and the split's beat F if that kind were all right: the size of each problem.

Usage: ``python bench/beat_errors.py [--split test] [--tracker gru-ensemble] [--list]``
"""

from __future__ import annotations

import argparse
import collections
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

KINDS = ("right", "half", "double", "3:2", "2:3", "off-beat", "other")


def error_kind(ref: np.ndarray, est: np.ndarray, f: float, right: float = 0.9) -> str:
    """File one render's estimated beats under one of :data:`KINDS`."""
    if f >= right:
        return "right"
    if len(ref) < 3 or len(est) < 3:
        return "other"
    ratio = float(np.median(np.diff(ref)) / np.median(np.diff(est)))  # est tempo / true
    for kind, r in (("half", 0.5), ("double", 2.0), ("3:2", 1.5), ("2:3", 2 / 3)):
        if abs(np.log2(ratio / r)) < 0.07:
            return kind
    if abs(np.log2(ratio)) < 0.07:
        # where each estimated beat falls between the two true beats around it (0..1)
        i = np.clip(np.searchsorted(ref, est) - 1, 0, len(ref) - 2)
        phase = (est - ref[i]) / (ref[i + 1] - ref[i])
        inside = (phase >= 0) & (phase <= 1)
        if inside.sum() >= 3 and np.mean(np.abs(phase[inside] - 0.5) < 0.2) > 0.6:
            return "off-beat"
    return "other"


def main() -> int:
    import mir_eval

    from editspec.analysis.audio import TRACKERS, analyze_audio
    from editspec.train import corpus

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="test", choices=("val", "test", "train"))
    ap.add_argument("--tracker", default="gru-ensemble", choices=TRACKERS)
    ap.add_argument("--list", action="store_true", help="print every render that is not right")
    args = ap.parse_args()

    entries = [e for e in corpus.load_manifest()["renders"] if e["split"] == args.split]
    trim = mir_eval.beat.trim_beats
    rows = []
    for e in entries:
        d = corpus.load_render(e)
        a = analyze_audio(e["name"], y=d["audio"], tracker=args.tracker)
        ref, est = trim(d["beats"]), trim(np.asarray(a.beats, float))
        f = mir_eval.beat.f_measure(ref, est)
        rows.append((e["name"], os.path.basename(e["song"]), e["spec"].get("mode", "-"), f,
                     error_kind(ref, est, f), 60.0 / np.median(np.diff(d["beats"])), a.tempo))
    n = len(rows)
    mean = float(np.mean([r[3] for r in rows]))
    print(f"{args.tracker} on {n} {args.split} renders: beat F {mean:.3f}\n")
    print(f"{'kind':9s} {'renders':>7s} {'mean F':>7s} {'F lost':>7s} {'F if right':>10s}  "
          f"(no drums among them)")
    by = collections.defaultdict(list)
    for r in rows:
        by[r[4]].append(r)
    for kind in KINDS:
        rs = by.get(kind, [])
        if not rs:
            continue
        lost = sum(1 - r[3] for r in rs) / n
        print(f"{kind:9s} {len(rs):7d} {np.mean([r[3] for r in rs]):7.3f} {lost:7.3f} "
              f"{mean + lost:10.3f}  ({sum(r[2] == 'nodrums' for r in rs)})")
    if args.list:
        print()
        for r in sorted(rows, key=lambda r: (KINDS.index(r[4]), r[0])):
            if r[4] != "right":
                print(f"{r[4]:9s} {r[0]:16s} {r[1][:28]:28s} {r[2]:9s} F {r[3]:.2f}  "
                      f"true {r[5]:5.1f} BPM, tracked {r[6]:5.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
