"""Beat, downbeat and tempo accuracy on held-out songs: editspec dp, editspec gru, librosa.

Songs: the test split of the MIDI corpus (``editspec train --build-corpus`` / ``make
corpus``; exact labels from the MIDI tempo and metre maps; split by song). Prints, per
tracker, the mean over songs of beat F-measure (±70 ms), CMLt, AMLt, downbeat
F-measure and tempo accuracy (within 4 %; and allowing half/double), plus seconds per
song and the speed ratio to ``librosa.beat.beat_track`` measured in the same run.
Then section boundary hit rate (±1 bar) on synthesized songs whose form is known.

Run: ``.venv/bin/python bench/beats.py [--limit N] [--trackers dp,gru,librosa]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def tempo_of(beats: np.ndarray) -> float:
    return 60.0 / float(np.median(np.diff(beats))) if len(beats) > 2 else 0.0


def score(ref_b, ref_d, est_b, est_d, ref_tempo, est_tempo) -> dict[str, float]:
    import mir_eval

    ref_b = mir_eval.beat.trim_beats(ref_b, min_beat_time=1.0)  # mir_eval's usual 5 s is long
    est_b = mir_eval.beat.trim_beats(np.asarray(est_b, float), min_beat_time=1.0)
    _, cmlt, _, amlt = mir_eval.beat.continuity(ref_b, est_b)
    out = {"beat F": mir_eval.beat.f_measure(ref_b, est_b), "CMLt": cmlt, "AMLt": amlt}
    if est_d is not None:
        rd = ref_d[ref_d >= 1.0]
        ed = np.asarray(est_d, float)
        ed = ed[ed >= 1.0]
        out["downbeat F"] = mir_eval.beat.f_measure(rd, ed)
    ratio = est_tempo / ref_tempo if ref_tempo > 0 else 0
    out["tempo acc1"] = float(abs(ratio - 1) <= 0.04)
    out["tempo acc2"] = float(min(abs(ratio * m - 1) for m in (0.5, 1, 2, 1 / 3, 3)) <= 0.04)
    return out


def bench_corpus(limit: int | None, trackers: list[str]) -> None:
    import librosa

    from editspec.analysis.audio import SR, analyze_audio
    from editspec.model.data import load_manifest, load_render

    manifest = load_manifest()
    test = [e for e in manifest["renders"] if e["split"] == "test"]
    # one render per song first (the clean one), then the others
    test.sort(key=lambda e: (e["name"].rsplit("-", 1)[1], e["name"]))
    if limit:
        test = test[:limit]
    print(f"held-out corpus: {len(test)} renders of "
          f"{len({e['group'] for e in test})} songs (test split, by song)\n")
    results: dict[str, list[dict[str, float]]] = {t: [] for t in trackers}
    times: dict[str, list[float]] = {t: [] for t in trackers}
    if "gru" in trackers:
        analyze_audio("warm", y=np.zeros(SR * 4, np.float32), tracker="gru", use_cache=False)
    analyze_audio("warm", y=np.zeros(SR * 4, np.float32), tracker="dp", use_cache=False)
    for e in test:
        d = load_render(e)
        y, rb, rd = d["audio"], d["beats"], d["downbeats"]
        if len(rb) < 8:
            continue
        ref_tempo = tempo_of(rb)
        for t in trackers:
            t0 = time.perf_counter()
            if t == "librosa":
                tempo, fr = librosa.beat.beat_track(y=y, sr=SR)
                eb, ed = librosa.frames_to_time(fr, sr=SR), None
                est_tempo = float(np.atleast_1d(tempo)[0])
            else:
                a = analyze_audio(e["name"], y=y, tracker=t, use_cache=False)
                eb, ed, est_tempo = a.beats, a.downbeats, a.tempo
            times[t].append(time.perf_counter() - t0)
            results[t].append(score(rb, rd, eb, ed, ref_tempo, est_tempo))
    keys = ["beat F", "CMLt", "AMLt", "downbeat F", "tempo acc1", "tempo acc2"]
    print(f"{'tracker':10s} " + " ".join(f"{k:>11s}" for k in keys) + f" {'s/song':>8s}")
    for t in trackers:
        rows = results[t]
        vals = []
        for k in keys:
            got = [r[k] for r in rows if k in r]
            vals.append(f"{np.mean(got):11.3f}" if got else f"{'-':>11s}")
        print(f"{t:10s} " + " ".join(vals) + f" {statistics.median(times[t]):8.3f}")
    if "librosa" in trackers:
        base = statistics.median(times["librosa"])
        for t in trackers:
            if t != "librosa":
                print(f"speed: editspec {t} (whole analysis) takes "
                      f"{statistics.median(times[t]) / base:.2f}x the time of librosa.beat_track")


def bench_sections() -> None:
    from editspec.analysis.audio import SR, analyze_audio
    from editspec.demo import synth_song

    forms = [
        (4, 120.0, (("intro", 0, 4), ("verse", 4, 8), ("chorus", 12, 8), ("verse", 20, 8),
                    ("chorus", 28, 8), ("outro", 36, 4))),
        (4, 96.0, (("verse", 0, 8), ("chorus", 8, 8), ("intro", 16, 4), ("chorus", 20, 8))),
        (3, 132.0, (("intro", 0, 4), ("verse", 4, 8), ("chorus", 12, 8), ("outro", 20, 4))),
        (4, 140.0, (("intro", 0, 8), ("chorus", 8, 16), ("verse", 24, 8), ("chorus", 32, 8))),
    ]
    hits = total = found_n = 0
    for bpb, tempo, form in forms:
        bars = form[-1][1] + form[-1][2]
        y, truth = synth_song(None, tempo=tempo, bars=bars, beats_per_bar=bpb, sr=SR, form=form)
        a = analyze_audio("s", y=y, tracker="dp", use_cache=False)
        bar_s = 60.0 / tempo * bpb
        ref = [truth.downbeats[f] for _, f, _ in form[1:]]
        est = [s.start for s in a.sections[1:]]
        found_n += len(est)
        for r in ref:
            total += 1
            hits += any(abs(r - e) <= bar_s + 1e-6 for e in est)
    print(f"\nsections on {len(forms)} synthesized songs with known form: boundary hit rate "
          f"(±1 bar) {hits}/{total} = {hits / total:.2f}; {found_n} boundaries found for "
          f"{total} true")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="at most N test renders")
    ap.add_argument("--trackers", default="dp,gru,librosa")
    ap.add_argument("--no-sections", action="store_true")
    args = ap.parse_args()
    trackers = args.trackers.split(",")
    if "gru" in trackers:
        from editspec.model.infer import weights_shipped

        if not weights_shipped():
            print("no GRU weights installed: skipping the gru tracker")
            trackers.remove("gru")
    bench_corpus(args.limit, trackers)
    if not args.no_sections:
        bench_sections()


if __name__ == "__main__":
    main()
