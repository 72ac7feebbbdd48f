"""``editspec train`` and ``learn``: the beat model and cutting styles trained."""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

from editspec.cli.common import (
    say,
)
from editspec.errors import EXIT_OK, EditspecError


def add_parsers(sub: Any) -> None:
    """Add the train and learn subcommands."""
    t = sub.add_parser("train", help="build the MIDI corpus and train the beat GRU (models/)")
    t.add_argument("--build-corpus", action="store_true",
                   help="fetch the Debian packages and render the corpus first (resumes)")
    t.add_argument("--corpus-only", action="store_true", help="build the corpus, do not train")
    t.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads (2; 1 each for two runs side by side)")
    t.add_argument("-o", "--output", default=os.path.join("models", "beats-gru.npz"),
                   help="weights file to write (models/beats-gru.npz)")
    t.add_argument("--seed", type=int, default=0, help="seed of corpus and training (0)")
    t.add_argument("--epochs", type=int, default=None, help="training epochs (default of train.py)")
    t.add_argument("--workers", type=int, default=2, help="corpus rendering processes (2)")
    t.add_argument("--fresh", action="store_true", help="ignore the training checkpoint")
    t.add_argument("--stop-after", type=int, default=None, metavar="N",
                   help="stop after N epochs, writing the best so far (a later run resumes)")
    t.add_argument("--init", default=None, metavar="WEIGHTS",
                   help="fine-tune from this weights file (its network and normalization)")
    t.add_argument("--lr", type=float, default=None, help="peak learning rate (3e-3)")
    t.add_argument("--renders-train", type=int, default=None, metavar="N",
                   help="corpus renders per training song (10)")
    t.add_argument("--renders-eval", type=int, default=None, metavar="N",
                   help="corpus renders per validation and test song (6)")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")

    ln = sub.add_parser("learn", help="learn a cutting style from edited videos (or an editor's "
                                      "corrections) into a style file for `cuts: {style: FILE}`")
    ln.add_argument("folder", nargs="?", help="folder of edited videos (music in the soundtrack, "
                                              "or a music file of the same stem beside each)")
    ln.add_argument("--songs", default=None, metavar="FOLDER",
                    help="a folder of the songs the videos use: a video without a music file "
                         "beside it is found in one of them by its soundtrack, and the whole "
                         "song is analyzed (its sections and loudness, not the excerpt's)")
    ln.add_argument("-o", "--output", default=None, help="style file to write (.npz)")
    ln.add_argument("--report", nargs="?", const=True, default=None, metavar="STYLE",
                    help="print held-out precision/recall/F1 against an every-downbeat baseline "
                         "and the style's statistics: of STYLE, or of the style just learned")
    ln.add_argument("--from-otio", action="append", default=[], metavar="TIMELINE",
                    help="an editor's corrected timeline (OTIO) of a plan: its moved, added and "
                         "removed cuts become examples (repeatable, each with --plan)")
    ln.add_argument("--plan", action="append", default=[], metavar="EDL",
                    help="the EDL JSON editspec planned, one per --from-otio")
    ln.add_argument("--base", default=None, metavar="STYLE",
                    help="start from this style (fine-tune) instead of from scratch")
    ln.add_argument("--seed", type=int, default=0, help="seed of the split and the weights (0)")
    ln.add_argument("--epochs", type=int, default=None, help="most epochs (300)")
    ln.add_argument("--val-share", type=float, default=None,
                    help="share of the videos held out, by video (0.25)")
    ln.add_argument("--json", action="store_true", help="print the style's summary as JSON")
    ln.add_argument("--no-cache", action="store_true",
                    help="recompute analyses, ignoring the cache")
    ln.add_argument("--no-progress", action="store_true", help="no progress bar")


def cmd_train(args: argparse.Namespace) -> int:
    """``editspec train``: corpus (``--build-corpus``) and training of the beat GRU."""
    from editspec.errors import require_extra

    require_extra("pretty_midi", "train", "editspec train")
    if not args.corpus_only:
        require_extra("torch", "train", "editspec train")
    from editspec.train import corpus

    if args.build_corpus or args.corpus_only:
        t0 = time.perf_counter()
        ckw: dict[str, Any] = {"seed": args.seed}
        for name in ("renders_train", "renders_eval"):
            if getattr(args, name) is not None:
                if getattr(args, name) < 1:
                    raise EditspecError(f"--{name.replace('_', '-')} must be at least 1")
                ckw[name] = getattr(args, name)
        manifest = corpus.build_corpus(corpus.CorpusConfig(**ckw), workers=args.workers,
                                     progress=not args.no_progress)
        say(f"corpus: {manifest} in {time.perf_counter() - t0:.0f}s")
        if args.corpus_only:
            return EXIT_OK
    kw: dict[str, Any] = {"seed": args.seed}
    if args.threads is not None:
        if args.threads < 1:
            raise EditspecError(f"--threads {args.threads} must be at least 1")
        kw["threads"] = args.threads
    from editspec.train import train  # torch: only now

    if args.epochs is not None:
        kw["epochs"] = args.epochs
    if args.lr is not None:
        if not args.lr > 0:
            raise EditspecError(f"--lr {args.lr} must be positive")
        kw["lr"] = args.lr
    tc = train.TrainConfig(**kw)
    meta = train.train(tc, output=args.output, resume=not args.fresh,
                       progress=not args.no_progress, stop_after=args.stop_after, init=args.init)
    say(f"wrote {args.output}: best epoch {meta['best_epoch']}, validation beat F "
         f"{meta['val_beat_f_peaks']:.3f}, downbeat F {meta['val_downbeat_f_peaks']:.3f} "
         f"(peak picking), {meta['train_seconds']:.0f}s of training")
    return EXIT_OK


def cmd_learn(args: argparse.Namespace) -> int:
    """``editspec learn``: a cutting style from edited videos and corrected timelines."""
    if isinstance(args.report, str) and args.folder is None and not args.from_otio:
        from editspec.style.infer import format_report
        from editspec.style.model import read_style_file

        summary = read_style_file(args.report)["summary"]
        print(json.dumps(summary, indent=2, default=str) if args.json else format_report(summary))
        return EXIT_OK
    if args.folder is None and not args.from_otio:
        raise EditspecError("learn needs a folder of edited videos or --from-otio TIMELINE "
                            "--plan EDL (or --report STYLE to show a style's report)")
    if len(args.from_otio) != len(args.plan):
        raise EditspecError(f"--from-otio given {len(args.from_otio)} times and --plan "
                            f"{len(args.plan)} times; give one --plan per --from-otio")
    if args.songs and args.folder is None:
        raise EditspecError("--songs needs a folder of edited videos to look up in it")
    if not args.output:
        raise EditspecError("learn needs -o STYLE.npz, the style file to write")
    if args.val_share is not None and not 0.0 <= args.val_share < 1.0:
        raise EditspecError(f"--val-share {args.val_share:g} must be in 0..1 (exclusive of 1)")
    if args.epochs is not None and args.epochs < 1:
        raise EditspecError(f"--epochs {args.epochs} must be at least 1")
    from editspec.errors import require_extra

    require_extra("torch", "train", "editspec learn")
    from editspec.style import data

    skipped: list[tuple[str, str]] = []
    examples = [] if args.folder is None else data.examples_from_folder(
        args.folder, use_cache=not args.no_cache, progress=not args.no_progress,
        skipped=skipped, songs=args.songs)
    for video, reason in skipped:
        say(f"not used: {video}: {reason}")
    corrections, counts = [], {"kept": 0, "moved": 0, "added": 0, "removed": 0}
    for tl, plan in zip(args.from_otio, args.plan, strict=True):
        ex, change = data.example_from_correction(tl, plan, use_cache=not args.no_cache)
        corrections.append(ex)
        for k, v in change.to_dict().items():
            counts[k] += v
    base = args.base
    if base is None and args.folder is None and os.path.isfile(args.output):
        base = args.output  # corrections alone refine the style already there
    from editspec.style import train  # torch: only now

    cfg = train.LearnConfig(seed=args.seed)
    if args.epochs is not None or args.val_share is not None:
        import dataclasses

        cfg = dataclasses.replace(cfg, epochs=args.epochs or cfg.epochs,
                                  val_share=cfg.val_share if args.val_share is None
                                  else args.val_share)
    summary = train.learn_style(examples, args.output, cfg=cfg, corrections=corrections,
                                base=base, correction_counts=counts if corrections else None,
                                progress=not args.no_progress, skipped=skipped)
    held = summary.get("held_out", {}).get("style", {})
    say(f"wrote {args.output}: {len(examples)} videos, {len(corrections)} corrected timelines"
         + (f", held-out F1 {held['f1']:.3f}" if held else ""))
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    elif args.report:
        from editspec.style.infer import format_report

        print(format_report(summary))
    return EXIT_OK


COMMANDS = {"train": cmd_train, "learn": cmd_learn}
