"""Beat, downbeat and tempo accuracy on held-out songs: editspec dp, gru, gru-ensemble, librosa.

Songs: the test split of the MIDI corpus (``editspec train --build-corpus`` / ``make
corpus``; exact labels from the MIDI tempo and metre maps; split by song). Prints, per
tracker, the mean over songs of beat F-measure (±70 ms), CMLt, AMLt, downbeat
F-measure and tempo accuracy (within 4 %; and allowing half/double), plus seconds per
song and the speed ratio to ``librosa.beat.beat_track`` measured in the same run.
Then section boundary hit rate (±1 bar) on synthesized songs whose form is known, and
on whole held-out MIDI songs (rendered once into the corpus folder) at the bars where
their instrumentation changes (read from the MIDI).

Run: ``.venv/bin/python bench/beats.py [--limit N] [--trackers dp,gru,gru-ensemble,librosa]``
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
    from editspec.train.corpus import load_manifest, load_render

    manifest = load_manifest()
    test = [e for e in manifest["renders"] if e["split"] == "test"]
    # one render per song first (the clean one), then the others
    test.sort(key=lambda e: (e["name"].rsplit("-", 1)[1], e["name"]))
    if limit:
        test = test[:limit]
    print(f"held-out corpus: {len(test)} renders of {len({e['song'] for e in test})} songs "
          f"in {len({e['group'] for e in test})} song groups (test split, by group)\n")
    results: dict[str, list[dict[str, float]]] = {t: [] for t in trackers}
    times: dict[str, list[float]] = {t: [] for t in trackers}
    for t in trackers:  # weights loaded, kernels compiled
        if t != "librosa":
            analyze_audio("warm", y=np.zeros(SR * 4, np.float32), tracker=t, use_cache=False)
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
    print(f"{'tracker':12s} " + " ".join(f"{k:>11s}" for k in keys) + f" {'s/song':>8s}")
    for t in trackers:
        rows = results[t]
        vals = []
        for k in keys:
            got = [r[k] for r in rows if k in r]
            vals.append(f"{np.mean(got):11.3f}" if got else f"{'-':>11s}")
        print(f"{t:12s} " + " ".join(vals) + f" {statistics.median(times[t]):8.3f}")
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


def instrumentation_boundaries(pm, downbeats: np.ndarray, window: int = 2,
                               threshold: float = 0.5, spacing: int = 4) -> list[int]:
    """Bars where the set of sounding instruments changes and stays changed.

    Bar ``i`` is a boundary when the instruments with note onsets in bars ``i-window..i-1``
    and in ``i..i+window-1`` overlap by a Jaccard index under ``threshold``; of boundaries
    closer than ``spacing`` bars the clearest change is kept.
    """
    edges = np.append(downbeats, np.inf)
    n = len(downbeats)
    sets = [set() for _ in range(n)]
    for k, ins in enumerate(pm.instruments):
        key = ("drums" if ins.is_drum else ins.program // 8, k)  # instrument family + track
        for note in ins.notes:
            i = int(np.searchsorted(edges, note.start + 0.03, side="right")) - 1
            if 0 <= i < n:
                sets[i].add(key)
    cands = []
    for i in range(window, n - window + 1):
        before = set().union(*sets[i - window:i])
        after = set().union(*sets[i:i + window])
        union = before | after
        if not before or not after or not union:
            continue
        jac = len(before & after) / len(union)
        if jac < threshold:
            cands.append((jac, i))
    kept: list[int] = []
    for _, i in sorted(cands):
        if all(abs(i - j) >= spacing for j in kept):
            kept.append(i)
    return sorted(kept)


def bench_sections_midi(n_songs: int, max_s: float = 480.0) -> None:
    """Section boundaries on whole held-out MIDI songs: hits (±1 bar) at instrumentation changes."""
    import hashlib
    import os
    import subprocess
    import tempfile
    import warnings

    import soundfile

    from editspec.analysis.audio import SR, analyze_audio
    from editspec.train import corpus, labels, packages

    warnings.filterwarnings("ignore", module="pretty_midi")

    manifest = corpus.load_manifest()
    songs = sorted({e["song"] for e in manifest["renders"] if e["split"] == "test"})
    root = corpus.corpus_dir()
    fonts = dict(packages.find_soundfonts({p: os.path.join(root, "pkgs", p)
                                       for p in packages.SOUNDFONT_PACKAGES}))
    sf_path = fonts.get("FluidR3_GM") or next(iter(fonts.values()))
    synth = packages.find_fluidsynth(root)
    cache = os.path.join(root, "whole-songs")
    os.makedirs(cache, exist_ok=True)
    hits = total = found = near = used = 0
    per_song = []
    for path in songs:
        if used >= n_songs:
            break
        loaded = labels.load_song(path)
        if loaded is None:
            continue
        pm, song = loaded
        if song.end_s > max_s:
            continue
        ref = instrumentation_boundaries(pm, song.downbeats)
        if not ref:
            continue
        with open(path, "rb") as fh:
            key = hashlib.sha1(fh.read()).hexdigest()[:16]
        wav = os.path.join(cache, f"{key}.flac")
        if not os.path.isfile(wav):
            with tempfile.TemporaryDirectory() as td:
                out = os.path.join(td, "s.wav")
                subprocess.run([synth.exe, "-ni", "-q", "-g", "0.5", "-r", str(SR), "-T", "wav",
                                "-F", out, sf_path, path], env=synth.env, check=True,
                               capture_output=True, timeout=600)
                y, sr = soundfile.read(out, dtype="float32", always_2d=True)
                soundfile.write(wav, y.mean(axis=1), sr)
        y, sr = soundfile.read(wav, dtype="float32")
        assert sr == SR
        a = analyze_audio(path, y=y, tracker="dp", use_cache=False)
        est = [s.start for s in a.sections[1:]]
        bars = song.downbeats
        bar_s = float(np.median(np.diff(bars)))
        ref_t = [float(bars[i]) for i in ref]
        h = sum(any(abs(r - e) <= bar_s * 1.01 for e in est) for r in ref_t)
        nr = sum(any(abs(r - e) <= bar_s * 1.01 for r in ref_t) for e in est)
        hits, total, found, near, used = hits + h, total + len(ref_t), found + len(est), \
            near + nr, used + 1
        per_song.append((os.path.basename(path), len(ref_t), h, len(est), nr))
    if not total:
        print("\nsections on MIDI songs: no held-out song with instrumentation changes")
        return
    print(f"\nsections on {used} whole held-out MIDI songs (rendered with "
          f"{os.path.basename(sf_path)}; reference: {total} bars where the instrumentation "
          f"changes): boundary hit rate (±1 bar) {hits}/{total} = {hits / total:.2f}; "
          f"precision {near}/{found} = {near / max(1, found):.2f} of the boundaries found "
          f"are at such a change")
    for name, nref, h, nest, nr in per_song:
        print(f"  {name:28s} changes {nref:2d} hit {h:2d}   found {nest:2d} at a change {nr:2d}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="at most N test renders")
    ap.add_argument("--trackers", default="dp,gru,gru-ensemble,librosa")
    ap.add_argument("--no-sections", action="store_true")
    ap.add_argument("--sections-only", action="store_true", help="only the section benchmarks")
    ap.add_argument("--section-songs", type=int, default=20,
                    help="whole held-out MIDI songs for the section benchmark")
    args = ap.parse_args()
    trackers = args.trackers.split(",")
    if "gru" in trackers:
        from editspec.model.infer import weights_shipped

        if not weights_shipped():
            print("no GRU weights installed: skipping the gru tracker")
            trackers.remove("gru")
    if not args.sections_only:
        bench_corpus(args.limit, trackers)
    if not args.no_sections:
        bench_sections()
        bench_sections_midi(args.section_songs)


if __name__ == "__main__":
    main()
