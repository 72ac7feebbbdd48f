"""``editspec export``: an EDL written for editors by an export backend."""

from __future__ import annotations

import argparse
from typing import Any

from editspec.cli.common import (
    add_recipe_options,
    load_edl_or_plan,
    say,
)
from editspec.errors import EXIT_OK


def add_parsers(sub: Any) -> None:
    """Add the export subcommand."""
    from editspec.backends import BUILTIN_EXPORTS  # names only: no backend is imported

    exports = ", ".join(BUILTIN_EXPORTS)
    e = sub.add_parser("export", help="export a recipe or an EDL for editors")
    e.add_argument("source", help="recipe (.yaml), EDL (.json) or OTIO timeline (.otio)")
    e.add_argument("--to", default="otio", metavar="FORMAT",
                   help=f"format: {exports} or a plugin backend's name (the file suffix follows "
                        "the format: .otio .edl .xml .fcpxml .mlt); default otio")
    e.add_argument("-o", "--output", required=True, help="file to write")
    e.add_argument("--beat-markers", action="store_true",
                   help="mark every beat, not only downbeats")
    e.add_argument("--titles-as-clips", action="store_true",
                   help="render each title and logo as an alpha clip (ProRes 4444 .mov beside "
                        "FILE) on its own track (otio, fcp7, fcpxml)")
    add_recipe_options(e)


def cmd_export(args: argparse.Namespace) -> int:
    """``editspec export``."""
    from editspec.backends import get_export_backend

    backend = get_export_backend(args.to)
    edl = load_edl_or_plan(args.source, args=args)
    backend.write(edl, args.output, beat_markers=args.beat_markers,
                  titles_as_clips=args.titles_as_clips)
    say(f"wrote {args.output}")
    return EXIT_OK


COMMANDS = {"export": cmd_export}
