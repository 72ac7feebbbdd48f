"""The ``editspec`` command line: the only module that prints results or exits.

Stages are imported inside each handler, after parsing, so ``editspec --help`` loads
no torch, numba, librosa or opentimelineio. Bad input (:class:`EditspecError`) prints
one line on stderr and exits 2; anything else exits 1 with a hint to rerun with
``--debug``, which re-raises.

One module per command group, each with ``add_parsers(sub)`` and its ``COMMANDS``:
:mod:`.analyze` (analyze, shots), :mod:`.recipe` (validate, schema, fmt), :mod:`.plan`,
:mod:`.render` (render, preview), :mod:`.export`, :mod:`.inspect` (check, report),
:mod:`.batch`, :mod:`.setup` (demo, doctor), :mod:`.learn` (train, learn);
:mod:`.common` holds the parser class and the recipe/EDL loading they share.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence

from editspec import __version__
from editspec.cli import analyze, batch, export, inspect, learn, plan, recipe, render, setup
from editspec.cli.common import TRACKERS, Parser, say
from editspec.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EditspecError,
)

GROUPS = (analyze, recipe, plan, render, export, inspect, batch, setup, learn)
"""The command groups, in the order ``--help`` lists their subcommands."""

COMMANDS = {name: run for group in GROUPS for name, run in group.COMMANDS.items()}

__all__ = ["COMMANDS", "TRACKERS", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of every subcommand."""
    from editspec.backends import BUILTIN_EXPORTS  # names only: no backend is imported

    exports = ", ".join(BUILTIN_EXPORTS)
    p = Parser(prog="editspec", description="Cut video to music from a short recipe.",
               epilog=f"backends: ffmpeg (render .mp4 .mov .mkv), {exports} (export), "
                      "report (.html), and plugins (entry points 'editspec.backends'). "
                      "Exit codes: 0 ok, 2 bad input, 1 internal error.")
    p.add_argument("--version", action="version", version=f"editspec {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    for group in GROUPS:
        group.add_parsers(sub)
    return p


def _print_error(exc: EditspecError, mode: str) -> None:
    """Print bad input: recipe problems with source line, caret and hint (or as JSON)."""
    from editspec.errors import RecipeError, RecipeErrors

    if isinstance(exc, (RecipeErrors, RecipeError)):
        from editspec.recipe.report import errors_to_json, format_errors

        errs = exc.errors if isinstance(exc, RecipeErrors) else [exc]
        if mode == "json":
            print(json.dumps({"ok": False, "errors": errors_to_json(errs)}))
        else:
            say(format_errors(errs))
        return
    if mode == "json":
        print(json.dumps({"ok": False, "errors": [{"file": None, "line": 0, "column": 0,
                                                   "code": type(exc).__name__,
                                                   "message": exc.one_line(), "hint": None}]}))
    else:
        say(exc.one_line())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="editspec: %(levelname)s: %(message)s")
    if not args.command:
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return COMMANDS[args.command](args)
    except EditspecError as exc:
        if args.debug:
            raise
        _print_error(exc, getattr(args, "errors", "text"))
        return exc.exit_code
    except KeyboardInterrupt:
        say("editspec: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        if args.debug:
            raise
        say(f"editspec: internal error: {type(exc).__name__}: {exc} "
            "(rerun with --debug for details)")
        return EXIT_INTERNAL
