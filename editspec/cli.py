"""The ``editspec`` command line: the only module that prints results or exits.

Stages are imported inside each handler, after parsing, so ``editspec --help`` loads
no torch, numba, librosa or opentimelineio. Bad input (:class:`EditspecError`) prints
one line on stderr and exits 2; anything else exits 1 with a hint to rerun with
``--debug``, which re-raises.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import sys
import time
from collections.abc import Sequence
from typing import Any

from editspec import __version__
from editspec.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, EditspecError

TRACKERS = ("hybrid", "dp", "gru", "gru-ensemble")
"""As :data:`editspec.analysis.audio.TRACKERS` (not imported here: ``--help`` stays light)."""



class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _say(msg: str) -> None:
    print(msg, file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of every subcommand."""
    from editspec.backends import BUILTIN_EXPORTS  # names only: no backend is imported

    exports = ", ".join(BUILTIN_EXPORTS)
    p = _Parser(prog="editspec", description="Cut video to music from a short recipe.",
                epilog=f"backends: ffmpeg (render .mp4 .mov .mkv), {exports} (export), "
                       "report (.html), and plugins (entry points 'editspec.backends'). "
                       "Exit codes: 0 ok, 2 bad input, 1 internal error.")
    p.add_argument("--version", action="version", version=f"editspec {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

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

    v = sub.add_parser("validate", help="check a recipe (files exist, headers probed, "
                                        "no frame decoded)")
    v.add_argument("recipe")
    _add_recipe_options(v)

    sc = sub.add_parser("schema", help="print the recipe JSON Schema (draft 2020-12)")
    sc.add_argument("--indent", type=int, default=2, help="JSON indent (2)")

    f = sub.add_parser("fmt", help="print a recipe as YAML or as the DSL (lossless)")
    f.add_argument("recipe", help="recipe (.yaml, .yml, .json or .edit)")
    f.add_argument("--to", choices=("yaml", "dsl"), required=True, help="format to print")
    f.add_argument("-o", "--output", help="write here instead of stdout")
    f.add_argument("--errors", choices=("text", "json"), default="text",
                   help="how recipe problems are printed: text (stderr) or json (stdout)")

    pl = sub.add_parser("plan", help="plan a recipe into an EDL (JSON)")
    pl.add_argument("recipe")
    pl.add_argument("-o", "--output", required=True,
                    help="EDL file to write (.json); - writes it to stdout")
    pl.add_argument("--no-cache", action="store_true", help="recompute analyses")
    pl.add_argument("--explain", action="store_true",
                    help="print each cut: time, frame, musical event, energy, salience, clip, rule")
    pl.add_argument("--seed", type=int, default=None, help="override the recipe's seed")
    pl.add_argument("--tracker", choices=TRACKERS, default=None,
                    help="beat activations for the song analysis")
    _add_recipe_options(pl)

    r = sub.add_parser("render", help="render a recipe or an EDL to a video file")
    r.add_argument("source", help="recipe (.yaml), EDL (.json) or OTIO timeline (.otio)")
    r.add_argument("-o", "--output", required=True, help="video file to write (.mp4)")
    r.add_argument("--dry-run", action="store_true", help="print the ffmpeg command, render nothing")
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
    _add_recipe_options(r)

    pv = sub.add_parser("preview", help="render a quick draft: small, fast, a click on every "
                                        "beat and a flash on every cut")
    pv.add_argument("source", help="recipe (.yaml), EDL (.json) or OTIO timeline (.otio)")
    pv.add_argument("-o", "--output", default=None,
                    help="video file (default SOURCE.preview.mp4)")
    pv.add_argument("--height", type=int, default=480, help="draft height in pixels (480)")
    pv.add_argument("--no-clicks", action="store_true", help="no beat clicks")
    pv.add_argument("--no-flashes", action="store_true", help="no cut flashes")
    pv.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_recipe_options(pv)

    e = sub.add_parser("export", help="export a recipe or an EDL for editors")
    e.add_argument("source", help="recipe (.yaml), EDL (.json) or OTIO timeline (.otio)")
    e.add_argument("--to", default="otio", metavar="FORMAT",
                   help=f"format: {exports} or a plugin backend's name (the file suffix follows "
                        "the format: .otio .edl .xml .fcpxml .mlt); default otio")
    e.add_argument("-o", "--output", required=True, help="file to write")
    e.add_argument("--beat-markers", action="store_true", help="mark every beat, not only downbeats")
    e.add_argument("--titles-as-clips", action="store_true",
                   help="render each title and logo as an alpha clip (ProRes 4444 .mov beside "
                        "FILE) on its own track (otio, fcp7, fcpxml)")
    _add_recipe_options(e)

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
    _add_recipe_options(rp)

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

    t = sub.add_parser("train", help="build the MIDI corpus and train the beat GRU (models/)")
    t.add_argument("--build-corpus", action="store_true",
                   help="fetch the Debian packages and render the corpus first (resumes)")
    t.add_argument("--corpus-only", action="store_true", help="build the corpus, do not train")
    t.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads (2; 1 each for two runs side by side)")
    t.add_argument("-o", "--output", default=os.path.join("models", "beats-gru.pt"),
                   help="weights file to write (models/beats-gru.pt)")
    t.add_argument("--seed", type=int, default=0, help="seed of corpus and training (0)")
    t.add_argument("--epochs", type=int, default=None, help="training epochs (default of train.py)")
    t.add_argument("--workers", type=int, default=2, help="corpus rendering processes (2)")
    t.add_argument("--fresh", action="store_true", help="ignore the training checkpoint")
    t.add_argument("--stop-after", type=int, default=None, metavar="N",
                   help="stop after N epochs, writing the best so far (a later run resumes)")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")

    ln = sub.add_parser("learn", help="learn a cutting style from edited videos (or an editor's "
                                      "corrections) into a style file for `cuts: {style: FILE}`")
    ln.add_argument("folder", nargs="?", help="folder of edited videos (music in the soundtrack, "
                                              "or a music file of the same stem beside each)")
    ln.add_argument("-o", "--output", default=None, help="style file to write (.pt)")
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
    ln.add_argument("--no-cache", action="store_true", help="recompute analyses, ignoring the cache")
    ln.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def _add_recipe_options(p: argparse.ArgumentParser) -> None:
    """Options of every subcommand that reads a recipe."""
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="fill a recipe variable {{NAME}} (repeatable)")
    p.add_argument("--media-root", action="append", default=[], metavar="DIR",
                   help="also allow media and brand kits under DIR (default: only the "
                        "recipe's folder tree)")
    p.add_argument("--errors", choices=("text", "json"), default="text",
                   help="how recipe problems are printed: text (stderr) or json (stdout)")


def _load_recipe(args: argparse.Namespace, path: str) -> Any:
    """Load a recipe with the variables and media roots of the command line."""
    from editspec.recipe import load_recipe, parse_assignments

    return load_recipe(path, variables=parse_assignments(getattr(args, "set", [])),
                       media_roots=getattr(args, "media_root", []))


def _load_edl_or_plan(source: str, no_cache: bool = False,
                      args: argparse.Namespace | None = None) -> Any:
    from editspec.edl import read_edl
    from editspec.errors import EditspecError

    if not os.path.isfile(source):
        raise EditspecError(f"{source}: no such recipe or EDL file")
    if source.lower().endswith((".otio", ".otioz")):
        from editspec.backends.otio import read_timeline

        return read_timeline(source)
    if source.lower().endswith(".json"):
        try:
            with open(source, encoding="utf-8") as fh:
                head = fh.read(4096)
        except (OSError, UnicodeDecodeError) as exc:
            raise EditspecError(f"{source}: cannot read: {exc}") from None
        if '"events"' in head or '"duration_frames"' in head:
            return read_edl(source)
    from editspec.pipeline import plan_recipe

    recipe = _load_recipe(args, source) if args is not None else _load_recipe(
        argparse.Namespace(), source)
    return plan_recipe(recipe, use_cache=not no_cache)


def cmd_analyze(args: argparse.Namespace) -> int:
    """``editspec analyze``."""
    from editspec.analysis.audio import analyze_audio, decode_audio

    result = analyze_audio(args.audio, tracker=args.tracker, use_cache=not args.no_cache)
    if args.plot:
        from editspec.plot import plot_audio

        plot_audio(result, args.plot, decode_audio(args.audio))
        _say(f"wrote {args.plot}")
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
    progress = False if args.no_progress else None
    if len(args.video) == 1:
        results = [detect_shots(args.video[0], use_cache=not args.no_cache, progress=progress)]
    else:
        results = analyze_clips(args.video, workers=args.workers, use_cache=not args.no_cache,
                                progress=progress)
    if args.plot:
        from editspec.analysis.video.plot import plot_shots

        plot_shots(results[0], args.plot)
        _say(f"wrote {args.plot}")
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


def cmd_validate(args: argparse.Namespace) -> int:
    """``editspec validate``: schema, files exist, media headers probed; no frame decoded."""
    from editspec.errors import RecipeErrors
    from editspec.recipe.probe import probe_recipe_media

    recipe = _load_recipe(args, args.recipe)
    problems = probe_recipe_media(recipe)
    if problems:
        raise RecipeErrors(problems)
    n = len(recipe.clip_paths)
    if args.errors == "json":
        print(json.dumps({"file": args.recipe, "ok": True, "errors": []}))
    else:
        print(f"{args.recipe}: ok ({n} clip{'s' if n != 1 else ''})")
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    """``editspec schema``: the recipe JSON Schema."""
    from editspec.recipe import recipe_schema

    print(json.dumps(recipe_schema(), indent=args.indent, ensure_ascii=False))
    return EXIT_OK


def cmd_fmt(args: argparse.Namespace) -> int:
    """``editspec fmt``: convert a recipe between YAML and the DSL."""
    from editspec.fsutil import write_text_atomic
    from editspec.recipe import format_recipe

    text = format_recipe(args.recipe, args.to)
    if args.output:
        write_text_atomic(args.output, text)
        _say(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    """``editspec plan``."""
    from editspec.edl import edl_to_json, write_edl
    from editspec.pipeline import plan_recipe

    recipe = _load_recipe(args, args.recipe)
    if args.seed is not None:
        import dataclasses

        recipe = dataclasses.replace(recipe, seed=args.seed)
    edl = plan_recipe(recipe, use_cache=not args.no_cache, tracker=args.tracker)
    to_stdout = args.output == "-"
    if to_stdout:
        sys.stdout.write(edl_to_json(edl))
        sys.stdout.flush()
    else:
        write_edl(edl, args.output)
    if args.explain:
        from editspec.plan import format_explain

        print(format_explain(edl), file=sys.stderr if to_stdout else sys.stdout)
    where = "the EDL to stdout" if to_stdout else args.output
    _say(f"wrote {where}: {len(edl.events)} shots, {edl.duration_frames} frames at {edl.fps} fps")
    return EXIT_OK


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

    edl = _render_edl(_load_edl_or_plan(args.source, args=args), args)
    if args.memory is not None and args.memory <= 0:
        raise EditspecError(f"--memory {args.memory:g} must be > 0 MB")
    if args.dry_run:
        _print_render_commands(edl, args.output, args.memory)
        return EXIT_OK
    t0 = time.perf_counter()
    backend.write(edl, args.output, progress=not args.no_progress, memory_mb=args.memory)
    _say(f"wrote {args.output} ({edl.duration_frames} frames, {len(edl.events)} shots) "
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
    edl = _load_edl_or_plan(args.source, args=args)
    out = args.output or os.path.splitext(args.source)[0] + ".preview.mp4"
    t0 = time.perf_counter()
    small = backend.preview(edl, out, height=args.height, progress=not args.no_progress,
                            clicks=not args.no_clicks, flashes=not args.no_flashes)
    _say(f"wrote {out} ({small.size[0]}x{small.size[1]}, {len(edl.cuts)} cuts flashed) "
         f"in {time.perf_counter() - t0:.1f}s")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """``editspec export``."""
    from editspec.backends import get_export_backend

    backend = get_export_backend(args.to)
    edl = _load_edl_or_plan(args.source, args=args)
    backend.write(edl, args.output, beat_markers=args.beat_markers,
                  titles_as_clips=args.titles_as_clips)
    _say(f"wrote {args.output}")
    return EXIT_OK


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
        _say(f"editspec check: {len(report.off_frame)} cut(s) off their planned frame, "
             f"{len(report.off_beat)} on-beat cut(s) off the beat")
        return 3
    return EXIT_OK


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
    _say(result.summary())
    return result.exit_code


def cmd_report(args: argparse.Namespace) -> int:
    """``editspec report``: one self-contained HTML timeline of an edit."""
    from editspec import report

    if args.embed_video and not args.video:
        raise EditspecError("--embed-video needs --video RENDER")
    edl = _load_edl_or_plan(args.source, no_cache=args.no_cache, args=args)
    t0 = time.perf_counter()
    report.write(edl, args.output, video=args.video, embed_video=args.embed_video,
                 check=not args.no_check, thumbnails=not args.no_thumbnails,
                 use_cache=not args.no_cache)
    _say(f"wrote {args.output} ({os.path.getsize(args.output) / 1e6:.2f} MB, "
         f"{len(edl.cuts)} cuts) in {time.perf_counter() - t0:.1f}s")
    return EXIT_OK


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
    _say(f"making demo media in {out}/ ...")
    recipe_path = make_demo_media(out, size=args.size, duration_s=args.duration,
                                  clip_seconds=args.clip_seconds)
    _say("analyzing and planning ...")
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
        _say(f"linked the demo media into {args.examples}/ ({len(links)} links): "
             f"editspec render {args.examples}/teaser.yaml -o {out}/teaser.mp4")
    _say(f"{len(edl.events)} shots at {edl.meta.get('tempo', 0):.1f} BPM; "
         f"media+plan {t1 - t0:.1f}s, render {t2 - t1:.1f}s")
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    """``editspec train``: corpus (``--build-corpus``) and training of the beat GRU."""
    from editspec.model import data

    if args.build_corpus or args.corpus_only:
        t0 = time.perf_counter()
        manifest = data.build_corpus(data.CorpusConfig(seed=args.seed), workers=args.workers,
                                     progress=not args.no_progress)
        _say(f"corpus: {manifest} in {time.perf_counter() - t0:.0f}s")
        if args.corpus_only:
            return EXIT_OK
    kw: dict[str, Any] = {"seed": args.seed}
    if args.threads is not None:
        if args.threads < 1:
            raise EditspecError(f"--threads {args.threads} must be at least 1")
        kw["threads"] = args.threads
    from editspec.model import train  # torch: only now

    if args.epochs is not None:
        kw["epochs"] = args.epochs
    tc = train.TrainConfig(**kw)
    meta = train.train(tc, output=args.output, resume=not args.fresh,
                       progress=not args.no_progress, stop_after=args.stop_after)
    _say(f"wrote {args.output}: best epoch {meta['best_epoch']}, validation beat F "
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
    if not args.output:
        raise EditspecError("learn needs -o STYLE.pt, the style file to write")
    if args.val_share is not None and not 0.0 <= args.val_share < 1.0:
        raise EditspecError(f"--val-share {args.val_share:g} must be in 0..1 (exclusive of 1)")
    if args.epochs is not None and args.epochs < 1:
        raise EditspecError(f"--epochs {args.epochs} must be at least 1")
    from editspec.style import data

    skipped: list[tuple[str, str]] = []
    examples = [] if args.folder is None else data.examples_from_folder(
        args.folder, use_cache=not args.no_cache, progress=not args.no_progress,
        skipped=skipped)
    for video, reason in skipped:
        _say(f"not used: {video}: {reason}")
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
    _say(f"wrote {args.output}: {len(examples)} videos, {len(corrections)} corrected timelines"
         + (f", held-out F1 {held['f1']:.3f}" if held else ""))
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    elif args.report:
        from editspec.style.infer import format_report

        print(format_report(summary))
    return EXIT_OK


COMMANDS = {"check": cmd_check, "analyze": cmd_analyze, "shots": cmd_shots, "validate": cmd_validate,
            "schema": cmd_schema, "fmt": cmd_fmt,
            "plan": cmd_plan, "render": cmd_render, "preview": cmd_preview,
            "export": cmd_export, "demo": cmd_demo, "report": cmd_report,
            "train": cmd_train, "doctor": cmd_doctor, "batch": cmd_batch, "learn": cmd_learn}


def _print_error(exc: EditspecError, mode: str) -> None:
    """Print bad input: recipe problems with source line, caret and hint (or as JSON)."""
    from editspec.errors import RecipeError, RecipeErrors

    if isinstance(exc, (RecipeErrors, RecipeError)):
        from editspec.recipe.report import errors_to_json, format_errors

        errs = exc.errors if isinstance(exc, RecipeErrors) else [exc]
        if mode == "json":
            print(json.dumps({"ok": False, "errors": errors_to_json(errs)}))
        else:
            _say(format_errors(errs))
        return
    if mode == "json":
        print(json.dumps({"ok": False, "errors": [{"file": None, "line": 0, "column": 0,
                                                   "code": type(exc).__name__,
                                                   "message": exc.one_line(), "hint": None}]}))
    else:
        _say(exc.one_line())


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
        _say("editspec: interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        if args.debug:
            raise
        _say(f"editspec: internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)")
        return EXIT_INTERNAL
