"""``editspec demo`` and ``doctor``: demo media, and which ffmpeg is used."""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

from editspec.cli.common import (
    say,
)
from editspec.errors import EXIT_OK


def add_parsers(sub: Any) -> None:
    """Add the demo and doctor subcommands."""
    d = sub.add_parser("demo", help="make demo media and render an example edit")
    d.add_argument("-o", "--output-dir", default="out", help="folder for media and results (out)")
    d.add_argument("--examples", default=None, metavar="DIR",
                   help="also link the demo media into DIR (the examples/ folder) so that "
                        "`editspec render examples/X` runs as written")
    d.add_argument("--size", default="1080x1920", help="output size WxH (1080x1920)")
    d.add_argument("--duration", type=float, default=30.0, help="output seconds (30)")
    d.add_argument("--clip-seconds", type=float, default=None, help=argparse.SUPPRESS)
    d.add_argument("--no-progress", action="store_true", help="no progress bar")

    dr = sub.add_parser("doctor", help="show which ffmpeg editspec uses, why, and what it lacks")
    dr.add_argument("--json", action="store_true", help="print one JSON object")


def cmd_doctor(args: argparse.Namespace) -> int:
    """Show the ffmpeg binary editspec runs, why it was chosen, and what it lacks."""
    from editspec.media import ffmpeg_report

    report = ffmpeg_report()
    if args.json:
        print(json.dumps(report, indent=2))
        return EXIT_OK
    for role, info in (("ffmpeg", report["chosen"]), ("on PATH", report["path"]),
                       ("bundled", report["bundled"])):
        if not isinstance(info, dict):
            print(f"{role}: none")
            continue
        if "error" in info:
            print(f"{role}: {info['path']}: {info['error']}")
            continue
        print(f"{role}: {info['path']} (ffmpeg {info['version']}, libavfilter "
              f"{info['libavfilter']})")
        if role == "ffmpeg":
            print(f"  why: {info['why']}")
            print(f"  graph from a file: {info['graph_from_file']}; frame-rate option: "
                  f"{info['frame_rate_option']}")
        lacks = info["lacks_for_every_render"] or []
        print(f"  lacks for every render: {', '.join(lacks) if lacks else 'nothing'}")
        print(f"  lacks (adapted for, or needed by some renders): "
              f"{', '.join(info['lacks']) or 'nothing'}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    """``editspec demo``: make media, plan, render and export."""
    from editspec.backends import ffmpeg as ffmpeg_backend
    from editspec.backends import otio as otio_backend
    from editspec.demo import make_demo_media
    from editspec.edl import write_edl
    from editspec.pipeline import plan_recipe
    from editspec.recipe import load_recipe

    out = args.output_dir
    t0 = time.perf_counter()
    say(f"making demo media in {out}/ ...")
    recipe_path = make_demo_media(out, size=args.size, duration_s=args.duration,
                                  clip_seconds=args.clip_seconds)
    say("analyzing and planning ...")
    edl = plan_recipe(load_recipe(recipe_path))
    edl_path = os.path.join(out, "demo.edl.json")
    write_edl(edl, edl_path)
    t1 = time.perf_counter()
    video = os.path.join(out, "demo.mp4")
    ffmpeg_backend.write(edl, video, progress=not args.no_progress)
    t2 = time.perf_counter()
    timeline = os.path.join(out, "demo.otio")
    otio_backend.write(edl, timeline)
    print(f"recipe:   {recipe_path}\nEDL:      {edl_path}\nvideo:    {video}\n"
          f"timeline: {timeline}")
    if args.examples:
        from editspec.demo import link_examples

        links = link_examples(out, args.examples)
        say(f"linked the demo media into {args.examples}/ ({len(links)} links): "
             f"editspec render {args.examples}/teaser.yaml -o {out}/teaser.mp4")
    say(f"{len(edl.events)} shots at {edl.meta.get('tempo', 0):.1f} BPM; "
         f"media+plan {t1 - t0:.1f}s, render {t2 - t1:.1f}s")
    return EXIT_OK


COMMANDS = {"demo": cmd_demo, "doctor": cmd_doctor}
