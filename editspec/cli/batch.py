"""``editspec batch``: one render per row of a table."""

from __future__ import annotations

import argparse
import json
from typing import Any

from editspec.cli.common import (
    say,
)


def add_parsers(sub: Any) -> None:
    """Add the batch subcommand."""
    b = sub.add_parser("batch", help="render one output per row of a table of values "
                                     "(templated recipe; local pool or Dask cluster)")
    b.add_argument("recipe", help="templated recipe (.yaml or .edit) with `variables`")
    b.add_argument("--table", required=True,
                   help="rows of values: .csv, .jsonl or .parquet (columns = variables)")
    b.add_argument("-o", "--output-dir", required=True, help="folder for the outputs and "
                                                             "manifest.jsonl")
    b.add_argument("--name", default=None, metavar="PATTERN",
                   help="output names, e.g. '{sku}-{lang}.mp4' (default: the recipe's "
                        "output.name, else '{row}' and the matrix keys)")
    b.add_argument("--matrix", action="append", default=[], metavar="KEY=V1,V2",
                   help="multiply the rows: aspect=9:16,1:1,16:9, duration=10s,15s or a "
                        "variable (repeatable)")
    b.add_argument("--workers", type=int, default=None,
                   help="renders at once on the local pool (default: cores / 4, at least 1)")
    b.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="render on this Dask distributed scheduler (media and output folder "
                        "on a path every worker sees)")
    b.add_argument("--retries", type=int, default=2,
                   help="times a row is retried after its worker died (2)")
    b.add_argument("--preset", default=None, help="encoder preset for every render")
    b.add_argument("--crf", type=int, default=None, help="quality for every render")
    b.add_argument("--json", action="store_true",
                   help="print the manifest records of this run as JSON lines")
    b.add_argument("--no-progress", action="store_true", help="no progress line")
    b.add_argument("--media-root", action="append", default=[], metavar="DIR",
                   help="also allow media and file values under DIR")


def cmd_batch(args: argparse.Namespace) -> int:
    """``editspec batch``: one render per table row, resumable, local or on Dask."""
    from editspec.batch import run_batch

    options = {k: v for k, v in (("preset", args.preset), ("crf", args.crf)) if v is not None}
    result = run_batch(args.recipe, args.table, args.output_dir, name=args.name,
                       matrix=args.matrix, workers=args.workers, scheduler=args.scheduler,
                       retries=args.retries, media_roots=args.media_root, options=options,
                       progress=not args.no_progress)
    if args.json:
        for job in result.jobs:
            print(json.dumps(job.record(), ensure_ascii=False))
    say(result.summary())
    return result.exit_code


COMMANDS = {"batch": cmd_batch}
