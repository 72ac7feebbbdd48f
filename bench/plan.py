"""Planner benchmark on real music and real footage.

Music: the recorded songs of Debian's hyperrogue-music and wesnoth-1.16-music (fetched
with apt-get download + dpkg -x into the cache). Footage: the real clips in
``$EDITSPEC_CACHE/footage`` (see bench/shots.py), analyzed by the video analyzer.

Prints, per song: the share of cuts within half a frame of a detected beat (target
100 %), shot lengths per rule against what the rule asks, and the Spearman correlation
of slot energy with the motion of the footage put there (target >= 0.6 when the recipe
asks for matching). Then the planning time for a 10-minute song with 300 clips already
analyzed (target under 1 s), median of 5 runs.

Run: ``.venv/bin/python bench/plan.py [--songs 3]``
"""

from __future__ import annotations

import argparse
import glob
import os
import statistics
import time
from fractions import Fraction

import numpy as np
from _footage import real_clips


def real_songs(limit: int) -> list[str]:
    from editspec.cache import cache_dir
    from editspec.train.packages import fetch_packages

    root = os.path.join(cache_dir(), "realmusic")
    dirs = fetch_packages(("hyperrogue-music", "wesnoth-1.16-music"), root)
    songs = []
    for _name, d in sorted(dirs.items()):
        files = sorted(glob.glob(os.path.join(d, "**", "*.ogg"), recursive=True))
        songs += files[:limit]
    return songs


def recipe_for(song: str, clips: list[str], rules, motion: bool):
    from editspec.ir import ClipPool, Cuts, EnergyMap, Music, Output, Recipe

    return Recipe(1, "bench.yaml", Output(1080, 1920, Fraction(30), 30.0),
                  Music(song, 0.0, start_auto=True), (ClipPool("footage", tuple(clips)),),
                  Cuts(tuple(rules), min_shot_s=0.3), energy=EnergyMap(motion=motion))


def main() -> None:
    from scipy.stats import spearmanr

    from editspec.analysis.audio import analyze_audio
    from editspec.ir import CutRule
    from editspec.plan import plan_edit

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--songs", type=int, default=3, help="songs per package")
    args = ap.parse_args()
    clips = real_clips()
    rules = (CutRule(1, "beat", energy_above=0.75), CutRule(1, "bar", energy_above=0.4),
             CutRule(2, "bar"))
    print(f"footage: {len(clips)} real clips; rules: every beat > 0.75 / every bar > 0.4 / "
          "every 2 bars\n")
    print(f"{'song':34s} {'BPM':>6s} {'cuts':>5s} {'on beat':>8s} {'rho':>6s}  shot length / "
          "rule (median per rule)")
    on_all, rhos = [], []
    from editspec.errors import MediaError

    for song in real_songs(args.songs):
        try:
            audio = analyze_audio(song)
        except MediaError as exc:
            print(f"{os.path.basename(song)[:34]:34s} skipped: {exc}")
            continue
        edl = plan_edit(recipe_for(song, list(clips), rules, motion=True), audio, clips)
        fps = float(edl.fps)
        beats = audio.beats - edl.music.start
        on = [np.min(np.abs(beats - f / fps)) <= 0.5 / fps + 1e-9 for f in edl.cuts]
        on_all += on
        seg_motion = []
        slot_energy = []
        for ev in edl.events:
            a = clips[ev.clip]
            k = int(np.searchsorted(a.cuts, ev.src_in, side="right"))
            seg_motion.append(float(a.motion[min(k, len(a.motion) - 1)]))
            t = edl.music.start + (ev.rec_in + ev.rec_out) / 2 / fps
            slot_energy.append(float(audio.energy_at(t)))
        rho = spearmanr(slot_energy, seg_motion).statistic if len(set(seg_motion)) > 1 else 0.0
        rhos.append(rho)
        per_rule: dict[str, list[float]] = {}
        period = 60.0 / audio.tempo
        unit = {"beat": 1, "bar": audio.beats_per_bar}
        explain = edl.meta["explain"]
        lengths = np.diff([0, *edl.cuts, edl.duration_frames]) / fps
        for row, length in zip(explain, lengths[1:], strict=False):
            rule = row["rule"]
            every = float(rule.split("every ")[1].split()[0])
            u = rule.split("every ")[1].split()[1]
            per_rule.setdefault(rule.split(":")[0], []).append(length / (every * unit[u] * period))
        ratios = "  ".join(f"r{k}: {statistics.median(v):.2f} (n={len(v)})"
                           for k, v in sorted(per_rule.items()))
        print(f"{os.path.basename(song)[:34]:34s} {audio.tempo:6.1f} {len(edl.cuts):5d} "
              f"{np.mean(on) * 100:7.1f}% {rho:6.2f}  {ratios}")
    print(f"\nall songs: {np.mean(on_all) * 100:.1f}% of {len(on_all)} cuts "
          "within half a frame of a "
          f"detected beat; median Spearman(slot energy, footage motion) = "
          f"{statistics.median(rhos):.2f}")
    compare_assignment()
    bench_scale()


def compare_assignment() -> None:
    """Hungarian (exact) against greedy assignment: energy/motion match, cost and time."""
    from scipy.stats import spearmanr

    from editspec.plan.assign import Segment, Slot, assign_segments

    rng = np.random.default_rng(1)
    print("\nassignment method (200 slots, 60 clips, random energy/motion; median of 5):")
    print(f"{'method':10s} {'rho':>6s} {'clips':>6s} {'ms':>8s}")
    for method in ("hungarian", "greedy"):
        rhos, times, spread = [], [], []
        for _ in range(5):
            energy = rng.uniform(0, 1, 200)
            slots = [Slot(int(f), float(e)) for f, e in zip(rng.integers(12, 40, 200), energy,
                                                           strict=True)]
            segs = [Segment(f"c{i}.mp4", 0.0, float(rng.uniform(4, 20)), float(m))
                    for i, m in enumerate(rng.uniform(0, 1, 60))]
            t0 = time.perf_counter()
            out, _ = assign_segments(slots, segs, 30.0, method=method)
            times.append((time.perf_counter() - t0) * 1000)
            got = [segs[a.segment].motion for a in out]
            rhos.append(spearmanr(energy, got).statistic)
            spread.append(len({segs[a.segment].clip for a in out}))
        print(f"{method:10s} {statistics.median(rhos):6.2f} {statistics.median(spread):6.0f} "
              f"{statistics.median(times):8.1f}")


def bench_scale() -> None:
    """Planning time: a 10-minute song, 300 analyzed clips."""
    from editspec.analysis.audio import AudioAnalysis, Section
    from editspec.ir import CutRule
    from editspec.plan import ClipFacts, plan_edit

    rng = np.random.default_rng(0)
    dur = 600.0
    beats = 0.3 + np.arange(int(dur / 0.5) - 2) * 0.5
    t = np.arange(int(dur * 25)) / 25
    energy = (0.5 + 0.45 * np.sin(t / 20)).astype(np.float32)
    sections = tuple(Section(float(a), float(min(a + 32, dur)), "chorus" if i % 2 else "A")
                     for i, a in enumerate(np.arange(0, dur, 32)))
    audio = AudioAnalysis("long.ogg", dur, 120.0, beats, beats[::4], 4, sections, energy, 25.0,
                          salience=rng.uniform(0, 1, len(t)).astype(np.float32),
                          onsets=beats + 0.25, onset_strength=rng.uniform(0, 1, len(beats)))

    def Clip(path: str) -> ClipFacts:
        duration = float(rng.uniform(8, 40))
        n = int(rng.integers(1, 5))
        cuts = np.sort(rng.uniform(1, duration - 1, n - 1))
        motion = rng.uniform(0, 1, n)
        return ClipFacts(path, duration, Fraction(30), (1920, 1080), usable=((0.0, duration),),
                         cuts=tuple(float(c) for c in cuts),
                         motion=tuple(float(m) for m in motion))

    clips = {f"c{i:03d}.mp4": Clip(f"c{i:03d}.mp4") for i in range(300)}
    rules = (CutRule(1, "beat", energy_above=0.75), CutRule(1, "bar", energy_above=0.4),
             CutRule(2, "bar"))
    from editspec.ir import ClipPool, Cuts, EnergyMap, Music, Output, Recipe

    recipe = Recipe(1, "bench.yaml", Output(1080, 1920, Fraction(30), None),
                    Music("long.ogg", 0.0), (ClipPool("*", tuple(clips)),),
                    Cuts(rules, min_shot_s=0.3), energy=EnergyMap(motion=True))
    plan_edit(recipe, audio, clips)  # warm (numba)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        edl = plan_edit(recipe, audio, clips)
        times.append(time.perf_counter() - t0)
    print(f"\nplanning a 10-minute song with 300 analyzed clips: {len(edl.events)} shots, "
          f"median {statistics.median(times):.3f}s of 5 runs (target < 1 s)")


if __name__ == "__main__":
    main()
