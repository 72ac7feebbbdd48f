"""What the subcommands share: the parser class, messages, recipe and EDL loading."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from editspec.errors import EXIT_BAD_INPUT

TRACKERS = ("hybrid", "dp", "gru", "gru-ensemble")
"""As :data:`editspec.analysis.audio.TRACKERS` (not imported here: ``--help`` stays light)."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def say(msg: str) -> None:
    print(msg, file=sys.stderr)


def add_recipe_options(p: argparse.ArgumentParser) -> None:
    """Options of every subcommand that reads a recipe."""
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="fill a recipe variable {{NAME}} (repeatable)")
    p.add_argument("--media-root", action="append", default=[], metavar="DIR",
                   help="also allow media and brand kits under DIR (default: only the "
                        "recipe's folder tree)")
    p.add_argument("--errors", choices=("text", "json"), default="text",
                   help="how recipe problems are printed: text (stderr) or json (stdout)")


def load_recipe_args(args: argparse.Namespace, path: str) -> Any:
    """Load a recipe with the variables and media roots of the command line."""
    from editspec.recipe import load_recipe, parse_assignments

    return load_recipe(path, variables=parse_assignments(getattr(args, "set", [])),
                       media_roots=getattr(args, "media_root", []))


def load_edl_or_plan(source: str, no_cache: bool = False,
                      args: argparse.Namespace | None = None) -> Any:
    """Return the EDL of ``source``: read (an EDL or OTIO file) or planned (a recipe)."""
    return load_edl_and_audio(source, no_cache, args)[0]


def load_edl_and_audio(source: str, no_cache: bool = False,
                       args: argparse.Namespace | None = None) -> tuple[Any, Any]:
    """Return the EDL of ``source`` and, when a recipe was planned, the song's analysis
    (None for an EDL or OTIO file), so a backend never analyzes the song again."""
    from editspec.edl import read_edl
    from editspec.errors import EditspecError

    if not os.path.isfile(source):
        raise EditspecError(f"{source}: no such recipe or EDL file")
    if source.lower().endswith((".otio", ".otioz")):
        from editspec.backends.otio import read_timeline

        return read_timeline(source), None
    if source.lower().endswith(".json"):
        try:
            with open(source, encoding="utf-8") as fh:
                head = fh.read(4096)
        except (OSError, UnicodeDecodeError) as exc:
            raise EditspecError(f"{source}: cannot read: {exc}") from None
        if '"events"' in head or '"duration_frames"' in head:
            return read_edl(source), None
    from editspec.pipeline import analyze_recipe, plan_analyzed

    recipe = load_recipe_args(args, source) if args is not None else load_recipe_args(
        argparse.Namespace(), source)
    audio, clips = analyze_recipe(recipe, use_cache=not no_cache)
    return plan_analyzed(recipe, audio, clips), audio
