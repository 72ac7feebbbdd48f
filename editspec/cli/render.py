"""``editspec render`` and ``preview``: the ffmpeg backend."""

from __future__ import annotations

import argparse
import os
import shlex
import time
from typing import Any

from editspec.cli.common import (
    add_recipe_options,
    load_edl_or_plan,
    say,
)
from editspec.errors import EXIT_OK, EditspecError


def add_parsers(sub: Any) -> None:
    """Add the render and preview subcommands."""
    r = sub.add_parser("render", help="render a recipe or an EDL to a video file")
    r.add_argument("source", help="recipe (.yaml), EDL (.json) or OTIO timeline (.otio)")
    r.add_argument("-o", "--output", required=True, help="video file to write (.mp4)")
    r.add_argument("--dry-run", action="store_true",
                   help="print the ffmpeg command, render nothing")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.add_argument("--memory", type=float, default=None, metavar="MB",
                   help="memory budget of one ffmpeg pass; longer edits render in segments "
                        "joined without re-encoding (default 900)")
    r.add_argument("--preset", default=None,
                   help="encoder preset (default: the EDL's, veryfast)")
    r.add_argument("--crf", type=int, default=None, help="quality, lower is better (EDL's, 20)")
    r.add_argument("--codec", choices=("h264", "h265", "vp9", "av1"), default=None,
                   help="video codec (default: the EDL's, h264)")
    r.add_argument("--bitrate", default=None, help="target video bitrate (8M) instead of crf")
    r.add_argument("--hardware", default=None, metavar="ENCODER",
                   help="hardware encoder to use when present (h264_nvenc, h264_vaapi ...)")
    r.add_argument("--size", default=None,
                   help="output size WxH or preset 9:16, 1:1, 4:5, 16:9, 4k (default: the EDL's)")
    r.add_argument("--loudness", type=float, default=None, metavar="LUFS",
                   help="integrated loudness target (default: the EDL's, -14)")
    add_recipe_options(r)

    pv = sub.add_parser("preview", help="render a quick draft: small, fast, a click on every "
                                        "beat and a flash on every cut")
    pv.add_argument("source", help="recipe (.yaml), EDL (.json) or OTIO timeline (.otio)")
    pv.add_argument("-o", "--output", default=None,
                    help="video file (default SOURCE.preview.mp4)")
    pv.add_argument("--height", type=int, default=480, help="draft height in pixels (480)")
    pv.add_argument("--no-clicks", action="store_true", help="no beat clicks")
    pv.add_argument("--no-flashes", action="store_true", help="no cut flashes")
    pv.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_recipe_options(pv)


def _render_edl(edl: Any, args: argparse.Namespace) -> Any:
    """Apply ``render``'s size, loudness and encoder options to an EDL."""
    import dataclasses

    from editspec.backends.ffmpeg import PRESETS

    if args.size:
        text = args.size.strip().lower()
        if text in PRESETS:
            size = PRESETS[text]
        else:
            try:
                w, h = (int(v) for v in text.split("x"))
            except ValueError:
                raise EditspecError(f"--size {args.size!r} is not WxH or one of "
                                    f"{', '.join(PRESETS)}") from None
            if w <= 0 or h <= 0 or w % 2 or h % 2 or max(w, h) > 7680:
                raise EditspecError(f"--size {args.size!r} must be even and at most 7680")
            size = (w, h)
        edl = dataclasses.replace(edl, size=size)
    if args.loudness is not None:
        edl = dataclasses.replace(edl, mix=dataclasses.replace(edl.mix,
                                                               loudness_lufs=args.loudness))
    changes = {k: v for k, v in (("codec", args.codec), ("preset", args.preset),
                                 ("crf", args.crf), ("bitrate", args.bitrate),
                                 ("hardware", args.hardware)) if v is not None}
    if changes:
        edl = dataclasses.replace(edl, encode=dataclasses.replace(edl.encode, **changes))
    return edl


def cmd_render(args: argparse.Namespace) -> int:
    """``editspec render``."""
    from editspec.backends import ffmpeg as backend

    edl = _render_edl(load_edl_or_plan(args.source, args=args), args)
    if args.memory is not None and args.memory <= 0:
        raise EditspecError(f"--memory {args.memory:g} must be > 0 MB")
    if args.dry_run:
        _print_render_commands(edl, args.output, args.memory)
        return EXIT_OK
    t0 = time.perf_counter()
    backend.write(edl, args.output, progress=not args.no_progress, memory_mb=args.memory)
    say(f"wrote {args.output} ({edl.duration_frames} frames, {len(edl.events)} shots) "
         f"in {time.perf_counter() - t0:.1f}s")
    return EXIT_OK


def _print_render_commands(edl: Any, output: str, memory_mb: float | None) -> None:
    """Print the filtergraph and command of each pass the render would run."""
    from editspec.backends import ffmpeg as backend
    from editspec.backends.ffmpeg import segments

    ranges = segments.segment_ranges(
        edl, segments.events_per_pass(edl, memory_mb or segments.MEMORY_MB))
    if len(ranges) == 1:
        cmd = backend.compile_filtergraph(edl, output)
        print("# filtergraph\n" + cmd.filtergraph + "\n# command\n"
              + backend.format_command(cmd))
        return
    folder = output + ".segments"
    passes = segments.compile_segments(edl, output, folder, ranges)
    print(f"# {len(edl.events)} events in {len(ranges)} segments (memory budget "
          f"{memory_mb or segments.MEMORY_MB:g} MB per pass); files in {folder}/")
    named = [("sound", passes.sound)] + [(f"picture {i + 1}: events {k0}..{k1 - 1}", p)
                                          for i, ((k0, k1), p) in enumerate(
                                              zip(ranges, passes.parts, strict=True))]
    print(f"mkdir -p {shlex.quote(folder)}")
    for name, cmd in named:  # a shell script: the graphs as comments (they are in the commands)
        graph = "\n".join("#   " + line for line in cmd.filtergraph.splitlines())
        print(f"# {name}: filtergraph\n{graph}\n" + backend.format_command(cmd))
    print(f"# join: {passes.listing[0]} lists the parts\ncat > {shlex.quote(passes.listing[0])}"
          f" <<'EOF'\n{passes.listing[1]}EOF\n" + backend.format_command(passes.join))


def cmd_preview(args: argparse.Namespace) -> int:
    """``editspec preview``: a quick draft to check the timing."""
    from editspec.backends import ffmpeg as backend

    if args.height < 16 or args.height % 2:
        raise EditspecError(f"--height {args.height} must be even and >= 16")
    edl = load_edl_or_plan(args.source, args=args)
    out = args.output or os.path.splitext(args.source)[0] + ".preview.mp4"
    t0 = time.perf_counter()
    small = backend.preview(edl, out, height=args.height, progress=not args.no_progress,
                            clicks=not args.no_clicks, flashes=not args.no_flashes)
    say(f"wrote {out} ({small.size[0]}x{small.size[1]}, {len(edl.cuts)} cuts flashed) "
         f"in {time.perf_counter() - t0:.1f}s")
    return EXIT_OK


COMMANDS = {"render": cmd_render, "preview": cmd_preview}
