"""Style-learning benchmark: learn a hidden cutting rule from edited videos of real music.

Makes edited videos with editspec from real footage (``$EDITSPEC_CACHE/footage``, see
bench/shots.py) and real recorded music (Debian hyperrogue-music and
wesnoth-1.16-music, fetched into the cache as bench/plan.py does), cut by a hidden rule
(every beat where the music is loud, every two bars elsewhere, always at section
starts; :mod:`editspec.style.synth`), rendered small and fast. Learns a style from the
videos of half of the songs (``editspec learn``'s code: cuts detected by the video
analyzer, music analyzed from the soundtrack), then on the other half's music prints
how well the style reproduces the rule's cuts (precision/recall/F1 within ±1 frame),
next to an every-downbeat baseline:

- ``style``: the style's own beat-by-beat decisions on the music (what ``--report`` scores);
- ``planner``: ``editspec plan`` with ``cuts: {every: 1 beat, style: FILE}``;
- ``videos``: the style on the held-out videos themselves (soundtrack + detected cuts).

Target: F1 >= 0.85 and >= 0.2 above the baseline.

Run: ``.venv/bin/python bench/learn.py [--songs 16] [--max-seconds 100]``
"""

from __future__ import annotations

import argparse
import glob
import os
import time
from fractions import Fraction

import numpy as np
from _footage import real_clips

MAX_SHOT_S = 5.0
"""Longest shot of the hidden rule: the longest usable pieces of the real footage."""


def real_songs(min_seconds: float, max_seconds: float) -> list[str]:
    import soundfile as sf

    from editspec.cache import cache_dir
    from editspec.train.packages import fetch_packages

    root = os.path.join(cache_dir(), "realmusic")
    dirs = fetch_packages(("hyperrogue-music", "wesnoth-1.16-music"), root)
    songs = []
    for _, d in sorted(dirs.items()):
        for f in sorted(glob.glob(os.path.join(d, "**", "*.ogg"), recursive=True)):
            try:
                if min_seconds <= sf.info(f).duration <= max_seconds:
                    songs.append(f)
            except RuntimeError:
                continue
    return songs


def planned_cuts(recipe, audio) -> list[int]:
    """The cut frames the planner places (its first passes: no footage needed)."""
    from editspec.pipeline import style_for
    from editspec.plan import initial_state, music_window, place_cuts, rule_targets

    s = initial_state(recipe, audio, {}, style_for(recipe, audio))
    s = place_cuts(rule_targets(music_window(s)))
    return [c.frame for c in s.cuts]


def main() -> None:
    import torch

    from editspec.analysis.audio import analyze_audio
    from editspec.cache import cache_dir
    from editspec.errors import EditspecError
    from editspec.ir import ClipPool, CutRule, Cuts, Music, Output, Recipe
    from editspec.style.data import beat_features, example_from_cuts, example_from_video
    from editspec.style.infer import (
        downbeat_baseline,
        evaluate,
        load_cached,
        predict_example,
        score_cuts,
    )
    from editspec.style.synth import LOUD, hidden_rule, render_rule_edit, rule_edit
    from editspec.style.train import LearnConfig, learn_style

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--songs", type=int, default=16, help="songs in all (half learn, half test)")
    ap.add_argument("--max-seconds", type=float, default=100.0,
                    help="songs up to this long, edited whole (the soundtrack is the song)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(max(1, (os.cpu_count() or 2) // 2))
    t_start = time.perf_counter()
    clips = real_clips()
    rng = np.random.default_rng(args.seed)
    pool = real_songs(30.0, args.max_seconds)
    picked = [pool[i] for i in sorted(rng.choice(len(pool), min(args.songs, len(pool)),
                                                 replace=False))]
    order = rng.permutation(len(picked))
    half = len(picked) // 2
    learn_songs = [picked[i] for i in order[:half]]
    test_songs = [picked[i] for i in order[half:]]
    work = os.path.join(cache_dir(), "bench-learn")
    print(f"footage: {len(clips)} real clips; {len(picked)} real songs of "
          f"30-{args.max_seconds:g}s, each edited whole; "
          f"hidden rule: every beat at energy > {LOUD:g}, every 2 bars elsewhere, section "
          f"starts forced, shots <= {MAX_SHOT_S:g}s")
    made = {}
    t0 = time.perf_counter()
    for song in picked:
        name = os.path.splitext(os.path.basename(song))[0]
        sub = "learn" if song in learn_songs else "test"
        out = os.path.join(work, sub, f"{name}.mp4")
        try:
            audio = analyze_audio(song)
        except EditspecError as exc:
            print(f"  skip {name}: {exc}")
            continue
        # the real footage is short (41 s in all): list it 4 times so long shots fit
        # and no shot longer than its longest usable segments (5 s)
        try:
            edl = rule_edit(song, audio, clips, duration_s=None,
                            seed=args.seed, repeat=4, cuts=hidden_rule(max_shot_s=MAX_SHOT_S))
        except EditspecError as exc:
            print(f"  skip {name}: {exc}")
            continue
        if not os.path.isfile(out):
            os.makedirs(os.path.dirname(out), exist_ok=True)
            try:
                render_rule_edit(edl, out)
            except EditspecError as exc:
                print(f"  skip {name}: {str(exc)[:100]}")
                continue
        made[song] = (audio, edl, out)
    print(f"made {len(made)} edited videos in {time.perf_counter() - t0:.0f}s "
          f"({len([s for s in made if s in learn_songs])} to learn from)")

    # learn, as `editspec learn DIR` does: detected cuts + the soundtrack's analysis
    t0 = time.perf_counter()
    train_ex = [example_from_video(made[s][2]) for s in learn_songs if s in made]
    detect = score_cuts([(ex.cut_frames, made[s][1].cuts)
                         for ex, s in zip(train_ex, [s for s in learn_songs if s in made],
                                          strict=True)])
    style_path = os.path.join(work, "hidden-rule.pt")
    summary = learn_style(train_ex, style_path, cfg=LearnConfig(seed=args.seed), progress=False)
    model, mean, std, _ = load_cached(style_path)
    print(f"learned in {time.perf_counter() - t0:.0f}s (best epoch "
          f"{summary['training']['best_epoch']}); detected cuts vs the rule's on the learning "
          f"videos: F1 {detect['f1']:.3f}; style file {os.path.getsize(style_path) / 1024:.0f} KB")

    # test: the other half's music
    t0 = time.perf_counter()
    style_pairs, base_pairs, plan_pairs, test_videos = [], [], [], []
    print(f"\n{'test song':30s} {'cuts':>5s} {'style F1':>9s} {'planner F1':>10s} "
          f"{'downbeat F1':>11s}")
    for song in test_songs:
        if song not in made:
            continue
        audio, edl, out = made[song]
        fps = float(edl.fps)
        truth = edl.cuts
        ex = example_from_cuts(song, audio, np.asarray(truth), fps, edl.duration_frames,
                               start_s=edl.music.start, features=beat_features(audio))
        pred = predict_example(model, mean, std, ex)
        base = downbeat_baseline(ex)
        recipe = Recipe(1, "style.yaml", Output(160, 90, Fraction(30), edl.duration_frames / 30),
                        Music(song, edl.music.start), (ClipPool("footage", tuple(clips) * 4),),
                        Cuts((CutRule(1, "beat"),), style=style_path,
                             max_shot_s=MAX_SHOT_S), seed=args.seed)
        planned = planned_cuts(recipe, audio)
        style_pairs.append((pred, truth))
        base_pairs.append((base, truth))
        plan_pairs.append((planned, truth))
        test_videos.append(example_from_video(out))
        print(f"{os.path.basename(song)[:30]:30s} {len(truth):5d} "
              f"{score_cuts([(pred, truth)])['f1']:9.3f} "
              f"{score_cuts([(planned, truth)])['f1']:10.3f} "
              f"{score_cuts([(base, truth)])['f1']:11.3f}")
    on_videos = evaluate(model, mean, std, test_videos)
    rows = (("style (music only)", score_cuts(style_pairs)),
            ("planner with style", score_cuts(plan_pairs)),
            ("style on the videos", on_videos["style"]),
            ("every downbeat", score_cuts(base_pairs)),
            ("every downbeat (videos)", on_videos["downbeat_baseline"]))
    print(f"\nheld-out music ({len(style_pairs)} songs), cuts within ±1 frame of the rule's:")
    print(f"  {'':26s} {'precision':>9s} {'recall':>7s} {'F1':>6s}")
    for name, s in rows:
        print(f"  {name:26s} {s['precision']:9.3f} {s['recall']:7.3f} {s['f1']:6.3f}")
    f1, fb = rows[0][1]["f1"], rows[3][1]["f1"]
    ok = f1 >= 0.85 and f1 - fb >= 0.2
    print(f"\ntarget F1 >= 0.85 and >= baseline + 0.2: style {f1:.3f} vs baseline {fb:.3f}: "
          f"{'met' if ok else 'NOT met'}; planner {rows[1][1]['f1']:.3f}")
    st = summary["statistics"]
    print(f"style statistics: median shot {st.get('median_shot_beats')} beats (quiet "
          f"{st.get('median_shot_beats_quiet')}, loud {st.get('median_shot_beats_loud')}), "
          f"{100 * st['share_on_downbeats']:.0f}% of beat cuts on downbeats, pace~energy rho "
          f"{st.get('pace_energy_rho', 0):+.2f}")
    print(f"total {time.perf_counter() - t_start:.0f}s")


if __name__ == "__main__":
    main()
