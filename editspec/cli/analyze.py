"""``editspec analyze`` and ``editspec shots``: the song's and the clips' analyses."""

from __future__ import annotations

import argparse
import json
from typing import Any

from editspec.cli.common import (
    TRACKERS,
    say,
)
from editspec.errors import EXIT_OK, EditspecError


def add_parsers(sub: Any) -> None:
    """Add the analyze and shots subcommands."""
    a = sub.add_parser("analyze", help="analyze a song: tempo, beats, downbeats, sections, energy")
    a.add_argument("audio", help="audio file (or a video whose sound is analyzed)")
    a.add_argument("--json", action="store_true", help="print the analysis as JSON")
    a.add_argument("--no-cache", action="store_true", help="recompute, ignoring the cache")
    a.add_argument("--tracker", choices=TRACKERS, default=None,
                   help="beat activations: hybrid (the model's and the onset envelope's, "
                        "averaged; the default, best on recorded music), dp (onset envelope, "
                        "no model), gru (the model) or gru-ensemble (two models averaged)")
    a.add_argument("--plot", metavar="PNG", help="also write a plot of the analysis")

    s = sub.add_parser("shots", help="find a clip's shots, motion, quality and subject centre")
    s.add_argument("video", nargs="+", help="video file(s); several are analyzed in parallel")
    s.add_argument("--json", action="store_true",
                   help="print the analysis as JSON (one object per line for several videos)")
    s.add_argument("--plot", metavar="PNG", help="also write a plot (one video only)")
    s.add_argument("--no-cache", action="store_true", help="recompute, ignoring the cache")
    s.add_argument("--workers", type=int, default=None, help="videos analyzed at once (CPU cores)")
    s.add_argument("--no-progress", action="store_true", help="no progress bar")


def _require_plot() -> None:
    """``--plot`` needs matplotlib (``editspec[plot]``): say so before any work is done."""
    from editspec.errors import require_extra

    require_extra("matplotlib", "plot", "--plot")


def cmd_analyze(args: argparse.Namespace) -> int:
    """``editspec analyze``."""
    from editspec.analysis.audio import analyze_audio, decode_audio

    if args.plot:
        _require_plot()
    result = analyze_audio(args.audio, tracker=args.tracker, use_cache=not args.no_cache)
    if args.plot:
        from editspec.analysis.plot import plot_audio

        plot_audio(result, args.plot, decode_audio(args.audio))
        say(f"wrote {args.plot}")
    if args.json:
        print(json.dumps(result.to_dict()))
    else:
        labels = ", ".join(f"{s.label} {s.start:.1f}-{s.end:.1f}s" for s in result.sections)
        print(f"{args.audio}: {result.duration:.2f}s, {result.tempo:.1f} BPM "
              f"(or {result.tempo_alternative:.1f}, confidence {result.tempo_confidence:.2f}), "
              f"{result.beats_per_bar} beats per bar, {len(result.beats)} beats, "
              f"{len(result.downbeats)} downbeats ({result.tracker} tracker)\nsections: {labels}")
    return EXIT_OK


def cmd_shots(args: argparse.Namespace) -> int:
    """``editspec shots``."""
    from editspec.analysis.video import analyze_clips, detect_shots

    if args.plot and len(args.video) > 1:
        raise EditspecError(f"--plot takes one video, got {len(args.video)}")
    if args.plot:
        _require_plot()
    progress = False if args.no_progress else None
    if len(args.video) == 1:
        results = [detect_shots(args.video[0], use_cache=not args.no_cache, progress=progress)]
    else:
        results = analyze_clips(args.video, workers=args.workers, use_cache=not args.no_cache,
                                progress=progress)
    if args.plot:
        from editspec.analysis.video.plot import plot_shots

        plot_shots(results[0], args.plot)
        say(f"wrote {args.plot}")
    for result in results:
        if args.json:
            print(json.dumps(result.to_dict()))
        else:
            kinds = {"cut": "", "fade": " (fade)", "dissolve": " (dissolve)"}
            cuts = ", ".join(f"{c:.2f}s{kinds.get(str(k), '')}"
                             for c, k in zip(result.cuts, result.cut_kinds, strict=True))
            print(f"{result.path}: {result.duration:.2f}s at {float(result.fps):.3f} fps, "
                  f"{len(result.cuts) + 1} shots, cuts at {cuts or 'none'}")
    return EXIT_OK


COMMANDS = {"analyze": cmd_analyze, "shots": cmd_shots}
