"""GRU against the DP tracker on real recorded music without labels.

Fetches hyperrogue-music and wesnoth-1.16-music (Debian, into the corpus cache), then for
each of ``--songs`` tracks (seeded choice) prints the tempo each tracker finds, the
tempo stability of its beats (share of inter-beat intervals within 5 % of their median)
and how often the two agree (mir_eval F-measure of GRU beats against DP beats, ±70 ms;
also at the other tracker's half/double tempo). No ground truth: agreement and
stability are sanity checks, not accuracy. The default choice (8 tracks, seed 0) is the
one :mod:`editspec.model.selftrain` never pseudo-labels; other counts or seeds may pick
tracks that self-trained weights have seen.

Usage: ``python bench/model_real.py [--songs 8] [--seconds 120] [--seed 0]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def main() -> int:
    import mir_eval

    from editspec.analysis.audio import analyze_audio, decode_audio
    from editspec.model import selftrain

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--songs", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=120.0, help="analyze the first N seconds")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    files = selftrain.list_recordings()  # the music, not the sound effects
    chosen = selftrain.held_out(files, args.songs, args.seed)  # never pseudo-labelled (defaults)
    print(f"{len(files)} recordings; analyzing {len(chosen)} (first {args.seconds:g} s of each)")
    print(f"{'song':34s} {'gru BPM':>8s} {'dp BPM':>7s} {'gru stab':>8s} {'dp stab':>8s} "
          f"{'agree':>6s} {'agree x2':>8s} {'down agree':>10s}")
    agree, agree_oct, stab_g, stab_d, down = [], [], [], [], []
    t0 = time.time()
    for path in chosen:
        y = decode_audio(path)[: int(args.seconds * 22050)]
        g = analyze_audio(path, y=y, tracker="gru")
        d = analyze_audio(path, y=y, tracker="dp")
        f = mir_eval.beat.f_measure(d.beats, g.beats)
        # octave-tolerant: compare against the DP beats at half and double density
        mid = (d.beats[:-1] + d.beats[1:]) / 2
        f2 = max(f, mir_eval.beat.f_measure(np.sort(np.r_[d.beats, mid]), g.beats),
                 mir_eval.beat.f_measure(d.beats[::2], g.beats),
                 mir_eval.beat.f_measure(d.beats[1::2], g.beats))
        fd = mir_eval.beat.f_measure(d.downbeats, g.downbeats)
        agree.append(f)
        agree_oct.append(f2)
        down.append(fd)
        stab_g.append(selftrain.stability(g.beats))
        stab_d.append(selftrain.stability(d.beats))
        name = os.path.basename(path)[:34]
        print(f"{name:34s} {g.tempo:8.1f} {d.tempo:7.1f} {stab_g[-1]:8.2f} {stab_d[-1]:8.2f} "
              f"{f:6.2f} {f2:8.2f} {fd:10.2f}", flush=True)
    print(f"\nmean over {len(chosen)} songs ({time.time() - t0:.0f}s): GRU/DP beat agreement "
          f"{np.mean(agree):.2f} (octave-tolerant {np.mean(agree_oct):.2f}), downbeat agreement "
          f"{np.mean(down):.2f}; tempo stability GRU {np.mean(stab_g):.2f}, "
          f"DP {np.mean(stab_d):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
