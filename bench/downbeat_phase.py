"""Where the downbeat errors of a tracker come from, on a split of the MIDI corpus.

Needs the corpus (``make corpus``). For every render it scores beats and downbeats
(mir_eval F-measure, ±70 ms) and prints:

- how much of the downbeat loss comes from renders whose downbeats are all wrong
  (F < 0.1), and how much from renders whose beats are wrong too (beat F < 0.7);
- for renders with right beats (F ≥ 0.9) and wrong downbeats (F < 0.3), the beat of the
  true bar the tracker put its downbeats on (2 = the third beat: half-bar ambiguity).

Usage: ``python bench/downbeat_phase.py [--split val] [--tracker gru-ensemble]``
"""

from __future__ import annotations

import argparse
import collections
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def bar_offset(beats: np.ndarray, downbeats: np.ndarray, est_down: np.ndarray,
               tolerance: float = 0.07, skip_s: float = 5.0) -> int | None:
    """The most common position, in beats after the true bar line, of the estimated
    downbeats that fall on a true beat (None when none does)."""
    pos = []
    for x in est_down[est_down > skip_s]:
        i = int(np.argmin(np.abs(beats - x)))
        if abs(beats[i] - x) > tolerance:
            continue
        j = int(np.searchsorted(downbeats, beats[i] + 1e-3)) - 1
        if j >= 0:
            pos.append(i - int(np.argmin(np.abs(beats - downbeats[j]))))
    return collections.Counter(pos).most_common(1)[0][0] if pos else None


def main() -> int:
    import mir_eval

    from editspec.analysis.audio import TRACKERS, analyze_audio
    from editspec.train import corpus

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="val", choices=("val", "test", "train"))
    ap.add_argument("--tracker", default="gru-ensemble", choices=TRACKERS)
    args = ap.parse_args()

    entries = [e for e in corpus.load_manifest()["renders"] if e["split"] == args.split]
    trim = mir_eval.beat.trim_beats
    beat_f, down_f, offsets = [], [], collections.Counter()
    for e in entries:
        d = corpus.load_render(e)
        a = analyze_audio(e["name"], y=d["audio"], tracker=args.tracker)
        fb = mir_eval.beat.f_measure(trim(d["beats"]), trim(np.asarray(a.beats, float)))
        fd = mir_eval.beat.f_measure(trim(d["downbeats"]), trim(np.asarray(a.downbeats, float)))
        beat_f.append(fb)
        down_f.append(fd)
        if fb >= 0.9 and fd < 0.3:
            off = bar_offset(d["beats"], d["downbeats"], np.asarray(a.downbeats, float))
            offsets[off] += 1
            print(f"{e['name']:14s} {os.path.basename(e['song'])[:30]:30s} "
                  f"{e['spec']['mode']:9s} beat F {fb:.2f} downbeat F {fd:.2f} "
                  f"downbeats on beat {None if off is None else off + 1} of the bar")
    b, dn = np.array(beat_f), np.array(down_f)
    loss = 1.0 - dn
    print(f"\n{args.tracker} on {len(entries)} {args.split} renders: beat F {b.mean():.3f}, "
          f"downbeat F {dn.mean():.3f}")
    print(f"renders with downbeat F < 0.1: {(dn < 0.1).sum()}, carrying "
          f"{loss[dn < 0.1].sum() / max(loss.sum(), 1e-9):.0%} of the downbeat loss; renders "
          f"with beat F < 0.7 carry {loss[b < 0.7].sum() / max(loss.sum(), 1e-9):.0%}")
    print("right beats, wrong downbeats, by the beat the downbeats fell on: "
          + ", ".join(f"beat {'?' if k is None else k + 1}: {n}"
                      for k, n in sorted(offsets.items(), key=lambda kv: str(kv[0]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
