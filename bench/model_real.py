"""The trackers on real recorded music without labels: a sanity check of plausibility.

Fetches Debian's recorded game music (hyperrogue-music, wesnoth-1.16-music; Ogg Vorbis,
into the corpus cache), then for each of ``--songs`` tracks (seeded choice) prints, per
tracker, the tempo it finds and the tempo stability of its beats (share of inter-beat
intervals within 5 % of their median), and how often each agrees with the model-free
``dp`` tracker (mir_eval F-measure of its beats against dp's, ±70 ms; also allowing the
other octave). No ground truth: stability and agreement are sanity checks, not accuracy
(``bench/real_beats.py`` measures accuracy on labelled recordings).

Usage: ``python bench/model_real.py [--songs 8] [--seconds 120] [--seed 0]
[--trackers hybrid,gru]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

RECORDING_PACKAGES = ("hyperrogue-music", "wesnoth-1.16-music")
"""Debian packages of recorded music (Ogg Vorbis), no labels."""


def list_recordings(root: str | None = None) -> list[str]:
    """Fetch the packages (once) and return their music files, sorted: audio files over
    500 kB (the rest are sound effects)."""
    from editspec.train import corpus, packages

    dirs = packages.fetch_packages(RECORDING_PACKAGES, root or corpus.corpus_dir())
    return sorted(os.path.join(b, f) for d in dirs.values() for b, _, fs in os.walk(d)
                  for f in fs if f.lower().endswith((".ogg", ".mp3", ".flac", ".wav"))
                  and os.path.getsize(os.path.join(b, f)) > 500_000)


def stability(beats: np.ndarray) -> float:
    """Share of beat intervals within 5 % of their median (0 with fewer than 4)."""
    ibi = np.diff(beats)
    if len(ibi) < 4:
        return 0.0
    return float(np.mean(np.abs(ibi / np.median(ibi) - 1.0) < 0.05))


def agreement(ref: np.ndarray, est: np.ndarray) -> tuple[float, float]:
    """F-measure of ``est`` against ``ref`` (±70 ms), and the best also at half or double
    ``ref``'s density."""
    import mir_eval

    f = mir_eval.beat.f_measure(ref, est)
    mid = (ref[:-1] + ref[1:]) / 2
    f2 = max(f, mir_eval.beat.f_measure(np.sort(np.r_[ref, mid]), est),
             mir_eval.beat.f_measure(ref[::2], est), mir_eval.beat.f_measure(ref[1::2], est))
    return f, f2


def main() -> int:
    from editspec.analysis.audio import analyze_audio, decode_audio

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--songs", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=120.0, help="analyze the first N seconds")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--trackers", default="hybrid,gru", help="compared with dp")
    args = ap.parse_args()
    trackers = args.trackers.split(",")

    files = list_recordings()  # the music, not the sound effects
    rng = np.random.default_rng(args.seed)
    chosen = [files[i] for i in sorted(rng.choice(len(files), size=min(args.songs, len(files)),
                                                  replace=False))]
    print(f"{len(files)} recordings; analyzing {len(chosen)} (first {args.seconds:g} s of each)")
    print(f"{'song':30s} {'dp BPM':>7s} {'stab':>5s} "
          + " ".join(f"{t + ' BPM':>12s} {'stab':>5s} {'=dp':>5s} {'=dp x2':>6s}"
                     for t in trackers))
    rows: dict[str, list[tuple[float, float, float]]] = {t: [] for t in ["dp", *trackers]}
    t0 = time.time()
    for path in chosen:
        y = decode_audio(path)[: int(args.seconds * 22050)]
        d = analyze_audio(path, y=y, tracker="dp")
        rows["dp"].append((stability(d.beats), 1.0, 1.0))
        line = f"{os.path.basename(path)[:30]:30s} {d.tempo:7.1f} {rows['dp'][-1][0]:5.2f} "
        for t in trackers:
            a = analyze_audio(path, y=y, tracker=t)
            f, f2 = agreement(d.beats, a.beats)
            rows[t].append((stability(a.beats), f, f2))
            line += f"{a.tempo:12.1f} {rows[t][-1][0]:5.2f} {f:5.2f} {f2:6.2f} "
        print(line, flush=True)
    print(f"\nmean over {len(chosen)} songs ({time.time() - t0:.0f}s):")
    for t, r in rows.items():
        s, f, f2 = np.mean(r, axis=0)
        print(f"  {t:13s} tempo stability {s:.2f}"
              + ("" if t == "dp" else f"; beats agree with dp {f:.2f} (either octave {f2:.2f})"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
