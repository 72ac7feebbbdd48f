"""Beat and downbeat F-measure of the GRU on the held-out test songs of the MIDI corpus.

Needs the corpus (``make corpus``). For every test render (songs never seen in training
or validation) it prints, over all renders, the mean mir_eval F-measure (±70 ms; mir_eval
ignores the first 5 s) of:

- ``gru+hmm``: the GRU's activations decoded by the analyzer's bar-pointer HMM
  (``analyze_audio(tracker="gru")``);
- ``gru+peaks``: peak picking on the GRU's beat and downbeat activations;
- ``dp+hmm``: the analyzer without the model (``tracker="dp"``);
- ``librosa``: ``librosa.beat.beat_track`` (beats only).

Each mean comes with a 95 % interval from resampling the songs (2000 seeded draws): with
24 test songs the figures move by several hundredths when songs are swapped.

Usage: ``python bench/model_quality.py [--split test] [--limit N] [--json OUT]``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))


def song_draws(songs: list[str], draws: int = 2000, seed: int = 0) -> list[np.ndarray]:
    """Return ``draws`` resamples of the rows: songs drawn again with replacement, each
    drawn song bringing all its rows (renders of one song are not independent, so songs
    are the unit). Seeded, so every method and run gets the same draws."""
    names = sorted(set(songs))
    idx = [np.flatnonzero(np.array(songs) == n) for n in names]
    rng = np.random.default_rng(seed)
    return [np.concatenate([idx[i] for i in rng.integers(0, len(names), len(names))])
            for _ in range(draws)]


def song_bootstrap(songs: list[str], values: list[float], draws: int = 2000,
                   seed: int = 0) -> tuple[float, float]:
    """95 % interval of the mean over renders under :func:`song_draws`."""
    v = np.asarray(values, float)
    lo, hi = np.percentile([v[rows].mean() for rows in song_draws(songs, draws, seed)],
                           [2.5, 97.5])
    return float(lo), float(hi)


def main() -> int:
    import librosa
    import mir_eval

    from editspec.analysis.audio import analyze_audio
    from editspec.model.infer import activations
    from editspec.train import corpus
    from editspec.train.train import pick_peaks

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="test", choices=("test", "val", "train"))
    ap.add_argument("--limit", type=int, default=None, help="first N renders only")
    ap.add_argument("--json", default=None, help="write per-render scores here")
    args = ap.parse_args()

    manifest = corpus.load_manifest()
    entries = [e for e in manifest["renders"] if e["split"] == args.split][: args.limit]
    methods = ("gru+hmm", "gru+peaks", "dp+hmm", "librosa")
    scores: dict[str, dict[str, list[float]]] = {m: {"beat": [], "down": []} for m in methods}
    rows = []
    t0 = time.time()
    for e in entries:
        d = corpus.load_render(e)
        y, ref_b, ref_d = d["audio"], d["beats"], d["downbeats"]
        est: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
        for tracker in ("gru", "dp"):
            a = analyze_audio(e["name"], y=y, tracker=tracker)
            est[f"{tracker}+hmm"] = (a.beats, a.downbeats)
        act = activations(y)
        est["gru+peaks"] = (pick_peaks(act.beat, act.fps),
                            pick_peaks(act.downbeat, act.fps, min_gap_s=0.5))
        _, lb = librosa.beat.beat_track(y=y, sr=corpus.SR, units="time")
        est["librosa"] = (lb, None)
        row = {"name": e["name"], "song": os.path.basename(e["song"]), "mode": e["spec"]["mode"]}
        for m, (b, dn) in est.items():
            fb = mir_eval.beat.f_measure(mir_eval.beat.trim_beats(ref_b),
                                         mir_eval.beat.trim_beats(np.asarray(b, float)))
            scores[m]["beat"].append(fb)
            row[m] = round(fb, 3)
            if dn is not None:
                fd = mir_eval.beat.f_measure(mir_eval.beat.trim_beats(ref_d),
                                             mir_eval.beat.trim_beats(np.asarray(dn, float)))
                scores[m]["down"].append(fd)
                row[m + " down"] = round(fd, 3)
        rows.append(row)
        print(f"{e['name']:16s} {row['song'][:28]:28s} {row['mode']:9s} "
              + " ".join(f"{m} {row[m]:.3f}/{row.get(m + ' down', float('nan')):.3f}"
                         for m in methods), flush=True)
    n_songs = len({e["song"] for e in entries})
    print(f"\n{len(entries)} {args.split} renders of {n_songs} songs "
          f"(never seen in training), {time.time() - t0:.0f}s")
    print(f"{'method':10s} {'beat F':>8s} {'downbeat F':>11s}   song-bootstrap 95 % interval "
          f"(beat; downbeat)")
    songs = [r["song"] for r in rows]
    for m in methods:
        b = np.mean(scores[m]["beat"]) if scores[m]["beat"] else float("nan")
        dn = np.mean(scores[m]["down"]) if scores[m]["down"] else float("nan")
        ci = "; ".join(f"{lo:.3f}-{hi:.3f}" for lo, hi in
                       (song_bootstrap(songs, v) for v in (scores[m]["beat"], scores[m]["down"])
                        if len(v) == len(songs)))
        print(f"{m:10s} {b:8.3f} {dn:11.3f}   {ci}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
