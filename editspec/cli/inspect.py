"""``editspec check`` and ``report``: a render checked, an edit shown as HTML."""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

from editspec.cli.common import (
    add_recipe_options,
    load_edl_and_audio,
    say,
)
from editspec.errors import EXIT_CHECK_FAILED, EXIT_OK, EditspecError


def add_parsers(sub: Any) -> None:
    """Add the check and report subcommands."""
    c = sub.add_parser("check", help="check a render's cuts against its EDL and the beat")
    c.add_argument("render", help="the rendered video")
    c.add_argument("--edl", required=True, help="the EDL it was rendered from (.json)")
    c.add_argument("--json", action="store_true", help="print the report as JSON")
    c.add_argument("--strict", action="store_true",
                   help="exit 3 when any hard cut is off its planned frame")

    rp = sub.add_parser("report", help="write an HTML timeline of an edit: song, cuts, shots, "
                                       "rules, and a render with its beat-grid check")
    rp.add_argument("source", help="recipe (.yaml, .edit) or EDL (.json)")
    rp.add_argument("-o", "--output", required=True, help="HTML file to write (.html)")
    rp.add_argument("--video", metavar="RENDER",
                    help="a render of the edit: played in the page (referenced relative to "
                         "the report) and beat-grid checked")
    rp.add_argument("--embed-video", action="store_true",
                    help="inline the render in the page (up to 8 MB) instead of referencing it")
    rp.add_argument("--no-check", action="store_true", help="skip the render's beat-grid check")
    rp.add_argument("--no-thumbnails", action="store_true", help="no shot thumbnails")
    rp.add_argument("--no-cache", action="store_true", help="recompute analyses")
    add_recipe_options(rp)


def cmd_check(args: argparse.Namespace) -> int:
    """``editspec check``: every cut on its frame and on the beat?"""
    from editspec.check import check_render, format_report
    from editspec.edl import read_edl

    edl = read_edl(args.edl)
    report = check_render(args.render, edl)
    if args.json:
        print(json.dumps(report.to_dict()))
    else:
        print(format_report(report, float(edl.fps)))
    if args.strict and (report.off_frame or report.off_beat):
        say(f"editspec check: {len(report.off_frame)} cut(s) off their planned frame, "
             f"{len(report.off_beat)} on-beat cut(s) off the beat")
        return EXIT_CHECK_FAILED
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """``editspec report``: one self-contained HTML timeline of an edit."""
    from editspec import report

    if args.embed_video and not args.video:
        raise EditspecError("--embed-video needs --video RENDER")
    edl, audio = load_edl_and_audio(args.source, no_cache=args.no_cache, args=args)
    t0 = time.perf_counter()
    report.write(edl, args.output, audio=audio, video=args.video, embed_video=args.embed_video,
                 check=not args.no_check, thumbnails=not args.no_thumbnails,
                 use_cache=not args.no_cache)
    say(f"wrote {args.output} ({os.path.getsize(args.output) / 1e6:.2f} MB, "
         f"{len(edl.cuts)} cuts) in {time.perf_counter() - t0:.1f}s")
    return EXIT_OK


COMMANDS = {"check": cmd_check, "report": cmd_report}
