"""Beat trackers on recorded music: every editspec tracker and librosa, on the labelled songs.

Songs: ``$EDITSPEC_REALMUSIC`` (default ``/work/shared/realmusic``; four recorded
rock/metal songs with beat and downbeat labels, scored exactly as its README says).
Never train on them or tune a setting to one of them: they choose between designs.

Per song and as the mean over songs, for each tracker (``editspec`` trackers decode
the same audio with ``analyze_audio(..., use_cache=False)``; ``librosa`` is
``librosa.beat.beat_track`` on the same audio):

- beat F (±70 ms), CMLt, AMLt (``mir_eval``), reference and estimate kept inside
  [5 s, last reference beat + 70 ms];
- downbeat F the same way (songs with ``downbeats_verified``);
- tempo accuracy: 60 / median inter-beat interval within 4 % of the reference's;
- cut placement, what a user sees: edits cut on every beat and on every 2 beats of the
  tracker's beats, in 30 s windows starting every 10 s across the song; the share of
  cuts within 70 ms of a true beat;
- seconds per 4 minutes of audio (whole analysis from decoded audio), and the ratio to
  librosa's ``beat_track`` in the same run; then a paired timing (``--timing N``): the
  first 4 minutes of the longest song, every tracker and ``beat_track`` timed back to back
  in each of N rounds, the median of the per-round ratios (steadier on a busy machine);
  and the whole process (``--process N``): a fresh ``editspec analyze FILE --json
  --no-cache`` (the default tracker) against a fresh Python process that imports librosa,
  ``librosa.load``s the same file and runs ``librosa.beat.beat_track``, on the first
  4 minutes of the longest song (cut from its Vorbis stream, not re-encoded), interleaved,
  the median of the per-round ratios.

With ``--heldout``, the same on four more recorded songs of the same Debian packages,
labelled here from their charts (``bench/_heldout.py``) and never used to choose anything.

Then, clearly apart, the MIDI test split (synthesized renders; ``bench/beats.py``'s
scoring) when the corpus is built (``make corpus``): it does not predict the recorded
figures above and is printed only to compare the two.

Run: ``python bench/real_beats.py [--trackers hybrid,dp,gru,gru-ensemble,librosa] [--heldout]
[--runs N] [--midi N] [--timing N] [--process N] [--only-timing]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

REALMUSIC = os.environ.get("EDITSPEC_REALMUSIC", "/work/shared/realmusic")
TOL = 0.07
WINDOW_S, WINDOW_STEP_S = 30.0, 10.0
TARGETS = {"beat F": 0.90, "downbeat F": 0.85, "cuts 1 beat": 0.97}
KEYS = ("beat F", "CMLt", "AMLt", "downbeat F", "tempo acc", "cuts 1 beat", "cuts 2 beats")


def load_songs(root: str = REALMUSIC) -> list[dict]:
    """Return the labelled songs (label dict plus ``path``), sorted by id."""
    out = []
    labels = os.path.join(root, "labels")
    for name in sorted(os.listdir(labels)):
        if name.endswith(".json"):
            with open(os.path.join(labels, name)) as fh:
                lab = json.load(fh)
            lab["path"] = os.path.join(root, lab.get("audio", f"songs/{lab['id']}.ogg"))
            out.append(lab)
    return out


def _trim(x: np.ndarray, hi: float) -> np.ndarray:
    x = np.asarray(x, float)
    return x[(x >= 5.0) & (x <= hi)]


def tempo_of(beats: np.ndarray) -> float:
    return 60.0 / float(np.median(np.diff(beats))) if len(beats) > 2 else 0.0


def cut_share(ref: np.ndarray, est: np.ndarray, every: int, hi: float) -> tuple[int, int]:
    """Cuts every ``every`` estimated beats in windows over [5 s, hi]: (hits, cuts)."""
    est = np.asarray(est, float)
    hits = cuts = 0
    start = 5.0
    while start + WINDOW_S <= hi + 1e-9 or start == 5.0:
        inside = est[(est >= start) & (est < min(start + WINDOW_S, hi))]
        c = inside[::every]
        if len(c):
            d = np.min(np.abs(c[:, None] - ref[None, :]), axis=1)
            hits += int(np.sum(d <= TOL))
            cuts += len(c)
        start += WINDOW_STEP_S
        if start + WINDOW_S > hi:
            break
    return hits, cuts


def score(lab: dict, beats: np.ndarray, downbeats: np.ndarray | None) -> dict[str, float]:
    """The README's figures for one song."""
    import mir_eval

    ref_all = np.asarray(lab["beats"], float)
    hi = float(ref_all[-1]) + TOL
    ref, est = _trim(ref_all, hi), _trim(beats, hi)
    _, cmlt, _, amlt = mir_eval.beat.continuity(ref, est)
    out = {"beat F": mir_eval.beat.f_measure(ref, est, TOL), "CMLt": cmlt, "AMLt": amlt}
    if downbeats is not None and lab.get("downbeats_verified"):
        out["downbeat F"] = mir_eval.beat.f_measure(
            _trim(lab["downbeats"], hi), _trim(downbeats, hi), TOL)
    rt, et = tempo_of(ref_all), tempo_of(np.asarray(beats, float))
    out["tempo acc"] = float(rt > 0 and abs(et / rt - 1) <= 0.04)
    for every, key in ((1, "cuts 1 beat"), (2, "cuts 2 beats")):
        h, c = cut_share(ref, np.asarray(beats, float), every, hi)
        out[key] = h / c if c else 0.0
    return out


def run_tracker(tracker: str, y: np.ndarray, path: str) -> tuple[np.ndarray, np.ndarray | None]:
    if tracker == "librosa":
        import librosa

        from editspec.analysis.audio import SR

        _, b = librosa.beat.beat_track(y=y, sr=SR, units="time")
        return np.asarray(b, float), None
    from editspec.analysis.audio import analyze_audio

    a = analyze_audio(path, y=y, tracker=tracker, use_cache=False)
    return a.beats, a.downbeats


def fmt(v: float | None) -> str:
    return f"{v:8.3f}" if v is not None and not np.isnan(v) else f"{'-':>8s}"


def score_set(title: str, songs: list[dict], trackers: list[str], runs: int,
              default: str) -> dict:
    """Score every tracker on ``songs``; print per song and the means; return the scores."""
    from editspec.analysis.audio import SR, decode_audio

    print(f"{title}: {len(songs)} songs\n")
    per: dict[str, list[dict[str, float]]] = {t: [] for t in trackers}
    secs: dict[str, list[float]] = {t: [] for t in trackers}
    for lab in songs:
        y = decode_audio(lab["path"])
        for t in trackers:
            times = []
            for _ in range(max(1, runs)):
                t0 = time.perf_counter()
                b, d = run_tracker(t, y, lab["path"])
                times.append(time.perf_counter() - t0)
            # per 4 minutes of audio, so songs of any length compare
            secs[t].append(statistics.median(times) * 240.0 * SR / len(y))
            per[t].append(score(lab, b, d))
        print(f"{lab['id']} ({lab['bpm']:g} BPM, {len(y) / SR:.0f} s)")
        print(f"  {'tracker':13s}" + "".join(f"{k:>13s}" for k in KEYS))
        for t in trackers:
            s = per[t][-1]
            print(f"  {t:13s}" + "".join(f"{fmt(s.get(k)):>13s}" for k in KEYS))
    print(f"\n{title}, mean over {len(songs)} songs "
          f"(s/4min: whole analysis per 4 minutes of audio)")
    print(f"  {'tracker':13s}" + "".join(f"{k:>13s}" for k in KEYS) + f"{'s/4min':>9s}")
    means: dict[str, dict[str, float]] = {}
    for t in trackers:
        means[t] = {k: float(np.mean([s[k] for s in per[t] if k in s]))
                    if any(k in s for s in per[t]) else float("nan") for k in KEYS}
        print(f"  {t:13s}" + "".join(f"{fmt(means[t][k]):>13s}" for k in KEYS)
              + f"{statistics.median(secs[t]):9.3f}")
    if "librosa" in trackers:
        base = statistics.median(secs["librosa"])
        for t in trackers:
            if t != "librosa":
                r = statistics.median(secs[t]) / base
                print(f"speed: {t} whole analysis {r:.2f}x librosa.beat_track's time "
                      f"({'within' if r <= 1.0 else 'OVER'} the bound of 1.00x)")
    t = default if default in trackers else trackers[0]
    print(f"\ntargets, default tracker {t}: "
          + "; ".join(f"{k} {means[t][k]:.3f} vs {v:.2f} "
                      f"({'met' if means[t][k] >= v else 'missed'} by {means[t][k] - v:+.3f})"
                      for k, v in TARGETS.items()) + "\n")
    return {"songs": [s["id"] for s in songs], "scores": per, "seconds": secs}


def paired_timing(songs: list[dict], trackers: list[str], rounds: int) -> dict[str, float]:
    """Whole analysis of the first 4 minutes of the longest song against
    ``librosa.beat.beat_track`` on the same audio, interleaved: each round times every
    tracker once, back to back, so a busy machine slows all of them alike. Prints the
    median seconds and the median of the per-round ratios to librosa."""
    from editspec.analysis.audio import SR, decode_audio

    longest = max(songs, key=lambda s: s.get("duration_s", 0.0))
    y = decode_audio(longest["path"])[: 240 * SR]
    names = [t for t in trackers if t != "librosa"] + ["librosa"]
    secs: dict[str, list[float]] = {t: [] for t in names}
    for _ in range(rounds):
        for t in names:
            t0 = time.perf_counter()
            run_tracker(t, y, longest["path"])
            secs[t].append(time.perf_counter() - t0)
    base = np.array(secs["librosa"])
    print(f"PAIRED TIMING: the first {len(y) / SR:.0f} s of {longest['id']}, {rounds} "
          f"interleaved rounds (wall time, whole analysis from decoded audio)")
    out = {}
    for t in names:
        ratio = float(np.median(np.array(secs[t]) / base))
        out[t] = ratio
        print(f"  {t:13s} {statistics.median(secs[t]):7.3f} s   {ratio:5.2f}x librosa.beat_track"
              + ("" if t == "librosa" else f" ({'within' if ratio <= 1.0 else 'OVER'} 1.00x)"))
    print()
    return out


LIBROSA_PROCESS = ("import sys, librosa; y, sr = librosa.load(sys.argv[1]); "
                   "librosa.beat.beat_track(y=y, sr=sr)")


def process_timing(songs: list[dict], rounds: int, tracker: str) -> float:
    """Whole-process time of ``editspec analyze`` (``tracker``) against librosa's, paired.

    Each round starts both processes back to back on the same 4-minute file (order
    alternating); one untimed round first fills the on-disk caches (numba, filter banks)
    that any second run of either finds. Returns the median of the per-round ratios."""
    import subprocess
    import tempfile

    from editspec.media import ffmpeg_exe

    longest = max(songs, key=lambda s: s.get("duration_s", 0.0))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."),
         env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    with tempfile.TemporaryDirectory(prefix="editspec-bench-") as td:
        path = os.path.join(td, "song-4min.ogg")
        subprocess.run([ffmpeg_exe(), "-v", "error", "-i", longest["path"], "-t", "240",
                        "-c", "copy", path], check=True)
        argv = {"editspec": [sys.executable, "-m", "editspec", "analyze", path, "--json",
                             "--no-cache", "--tracker", tracker],
                "librosa": [sys.executable, "-c", LIBROSA_PROCESS, path]}
        secs: dict[str, list[float]] = {k: [] for k in argv}
        for r in range(rounds + 1):
            order = list(argv) if r % 2 == 0 else list(argv)[::-1]
            for k in order:
                t0 = time.perf_counter()
                subprocess.run(argv[k], check=True, capture_output=True, env=env)
                if r:  # round 0 warms the on-disk caches
                    secs[k].append(time.perf_counter() - t0)
    ratio = float(np.median(np.array(secs["editspec"]) / np.array(secs["librosa"])))
    print(f"WHOLE PROCESS: the first 240 s of {longest['id']}, {rounds} interleaved rounds "
          f"(fresh processes, decode included)")
    print(f"  editspec analyze --tracker {tracker} {statistics.median(secs['editspec']):7.2f} s")
    print(f"  python: librosa.load + beat_track {statistics.median(secs['librosa']):7.2f} s")
    print(f"  ratio (median of per-round ratios): {ratio:.2f}x "
          f"({'within' if ratio <= 1.0 else 'OVER'} the bound of 1.00x)\n")
    return ratio


def main() -> int:
    from editspec.analysis.audio import SR, TRACKERS, default_tracker

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trackers", default=",".join((*TRACKERS, "librosa")))
    ap.add_argument("--runs", type=int, default=1, help="timed runs per song and tracker")
    ap.add_argument("--heldout", action="store_true",
                    help="also the held-out recorded songs of bench/_heldout.py")
    ap.add_argument("--midi", type=int, default=0,
                    help="also score N renders of the MIDI test split (0: all, -1: none)")
    ap.add_argument("--timing", type=int, default=7, metavar="N",
                    help="paired timing rounds on a 4-minute song (0: none)")
    ap.add_argument("--process", type=int, default=5, metavar="N",
                    help="whole-process rounds, editspec analyze vs librosa (0: none)")
    ap.add_argument("--only-timing", action="store_true", help="the paired timings only")
    ap.add_argument("--json", help="write per-song scores here")
    args = ap.parse_args()
    trackers = args.trackers.split(",")
    default = default_tracker()
    if args.only_timing:
        paired_timing(load_songs(), trackers, args.timing or 7)
        if args.process:
            process_timing(load_songs(), args.process, default)
        return 0
    print(f"default tracker: {default}\n")
    for t in trackers:  # weights loaded, kernels compiled, outside the timing
        run_tracker(t, np.zeros(SR * 6, np.float32) + 1e-4 * np.random.default_rng(0)
                    .standard_normal(SR * 6).astype(np.float32), "warm")
    out = {"realmusic": score_set(f"RECORDED MUSIC ({REALMUSIC}, chooses the default)",
                                  load_songs(), trackers, args.runs, default)}
    if args.heldout:
        from _heldout import heldout_songs

        out["heldout"] = score_set("HELD-OUT RECORDED MUSIC (bench/_heldout.py: labelled from "
                                   "the charts, never used to choose)", heldout_songs(),
                                   trackers, args.runs, default)
    if args.timing:
        out["timing"] = paired_timing(load_songs(), trackers, args.timing)
    if args.process:
        out["process"] = process_timing(load_songs(), args.process, default)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=1)
    if args.midi >= 0:
        midi(trackers, args.midi or None)
    return 0


def midi(trackers: list[str], limit: int | None) -> None:
    """The MIDI test split, labelled as such (bench/beats.py's scoring)."""
    from editspec.train import corpus

    print("\n" + "=" * 78)
    print("MIDI TEST SPLIT (synthesized renders of MIDI files; NOT recorded music; "
          "for comparison only)")
    try:
        corpus.load_manifest()
    except Exception as exc:  # no corpus built here
        print(f"  not measured: no MIDI corpus ({str(exc).splitlines()[0][:80]}); "
              "`make corpus` builds it")
        return
    import beats as midi_bench

    midi_bench.bench_corpus(limit, trackers)


if __name__ == "__main__":
    sys.exit(main())
