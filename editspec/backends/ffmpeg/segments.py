"""Split a long edit into picture segments rendered one after another (bounded memory).

One ffmpeg pass opens one input per event, and every input decodes a few frames
ahead into the filtergraph, where they wait, scaled to the output size, for their
turn in the ``concat``: memory grows by about six output frames per event (measured:
18 MB per event at 1080x1920, 2.6 GB for 120 cuts). A segmented render compiles the
picture of a run of events at a time into its own file, the sound of the whole edit
into another (so fades, ducking and loudness see the whole mix), and joins them with
the ``concat`` demuxer without re-encoding. Segments start only at hard cuts (never
inside a cross-dissolve or a zoom pulse), so every frame is the one the single pass
would draw. Every segment is encoded with the same explicit colour properties
(Rec. 709, limited range), so the joined file never changes them mid-stream.
:func:`segment_folder` holds a render's segments; it is removed when the render ends,
however it ends, and folders that a killed render left behind (its process is gone)
are removed by the next segmented render into the same folder. The rest is pure: no
process is run here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator

from editspec.backends.ffmpeg.compile import RenderCommand
from editspec.edl import EDL, ImageOverlay, TextOverlay

log = logging.getLogger(__name__)

FOLDER_PREFIX = ".editspec-segments-"
"""Segment folders are ``FOLDER_PREFIX + host + "-" + pid + "-" + random``, beside the output."""

FRAMES_PER_EVENT = 6
"""Output-size frames each open input holds in flight (decoder queue, filter links)."""
BASE_FRAMES = 130
"""Output-size frames of everything else in one pass (encoder lookahead, references)."""
MEMORY_MB = 900.0
"""Default memory budget of one ffmpeg pass; longer edits are rendered in segments."""
MIN_EVENTS = 4
"""Fewest events per segment, whatever the budget (very large outputs)."""


def events_per_pass(edl: EDL, memory_mb: float = MEMORY_MB) -> int:
    """Return how many events one pass may open within ``memory_mb`` at the EDL's size."""
    w, h = edl.size
    frame_mb = w * h * 1.5 / 2**20
    fit = (memory_mb / frame_mb - BASE_FRAMES) / FRAMES_PER_EVENT
    return max(MIN_EVENTS, int(fit))


def can_split_before(edl: EDL, k: int) -> bool:
    """True when a segment may start at event ``k`` (a hard cut, no zoom pulse across it)."""
    ev = edl.events[k]
    t = ev.transition
    if t is not None and t.frames > 0 and t.kind != "cut":
        return False  # a dissolve overlaps both shots; a flash fades out of the one before
    return not any(z.frame < ev.rec_in < z.frame + z.frames for z in edl.zoom_pulses)


def segment_ranges(edl: EDL, limit: int) -> list[tuple[int, int]]:
    """Split the events into ranges ``[k0, k1)`` of about equal size, at most ``limit``.

    A range grows past ``limit`` only where no hard cut lets it end sooner.
    """
    n = len(edl.events)
    if n <= limit:
        return [(0, n)]
    size = math.ceil(n / math.ceil(n / limit))
    ranges: list[tuple[int, int]] = []
    start = 0
    while start < n:
        if n - start <= limit:
            ranges.append((start, n))
            break
        end = start + size
        k = end
        while k > start + 1 and not can_split_before(edl, k):
            k -= 1
        if k == start + 1 and not can_split_before(edl, k):
            k = end
            while k < n and not can_split_before(edl, k):
                k += 1
        ranges.append((start, k))
        start = k
    return ranges


def sub_edl(edl: EDL, k0: int, k1: int) -> EDL:
    """Return events ``k0..k1-1`` as an EDL of their own, starting at frame 0.

    Overlays and zoom pulses are shifted and clipped to the segment; the sound is not
    part of a segment (markers are dropped).
    """
    events = edl.events[k0:k1]
    f0, f1 = events[0].rec_in, events[-1].rec_out
    shifted = [dataclasses.replace(e, rec_in=e.rec_in - f0, rec_out=e.rec_out - f0)
               for e in events]
    shifted[0] = dataclasses.replace(shifted[0], transition=None)
    overlays = tuple(_clip_overlay(o, f0, f1) for o in edl.overlays
                     if o.rec_in < f1 and o.rec_out > f0)
    pulses = tuple(dataclasses.replace(z, frame=z.frame - f0) for z in edl.zoom_pulses
                   if f0 <= z.frame < f1)
    return dataclasses.replace(edl, events=tuple(shifted), duration_frames=f1 - f0,
                               markers=(), overlays=overlays, zoom_pulses=pulses)


def _clip_overlay(o: TextOverlay | ImageOverlay, f0: int, f1: int) -> TextOverlay | ImageOverlay:
    """An overlay shifted to a segment ``f0..f1``; a text's entrance (exit) cut off by the
    segment's start (end) keeps only its remaining frames."""
    clipped = dataclasses.replace(o, rec_in=max(o.rec_in, f0) - f0, rec_out=min(o.rec_out, f1) - f0)
    if not isinstance(o, TextOverlay):
        return clipped
    enter = max(0, o.rec_in + o.enter_frames - f0) if o.rec_in < f0 else o.enter_frames
    leave = max(0, f1 - (o.rec_out - o.exit_frames)) if o.rec_out > f1 else o.exit_frames
    return dataclasses.replace(clipped, enter_frames=enter, exit_frames=leave,
                               enter=o.enter if enter else "none",
                               exit=o.exit if leave else "none")


def concat_list(paths: list[str]) -> str:
    """Return a ``concat`` demuxer script joining ``paths`` in order."""
    lines = ["ffconcat version 1.0"]
    for p in paths:
        lines.append("file '" + p.replace("'", "'\\''") + "'")
    return "\n".join(lines) + "\n"


@dataclasses.dataclass(frozen=True, slots=True)
class SegmentedRender:
    """The passes of a segmented render, run in order; ``listing`` is written before ``join``."""

    sound: RenderCommand
    """The whole mix into ``folder/sound.mka`` (``.webm`` for WebM outputs)."""
    parts: list[RenderCommand]
    """The picture of each segment into ``folder/partNNNN.mp4``."""
    listing: tuple[str, str]
    """(path, text) of the ``concat`` script naming the parts."""
    join: RenderCommand
    """Parts and sound into the output, without re-encoding."""


def compile_segments(edl: EDL, output: str, folder: str, ranges: list[tuple[int, int]],
                     **options: object) -> SegmentedRender:
    """Compile the passes of a segmented render with its files in ``folder``.

    ``options`` go to :func:`~editspec.backends.ffmpeg.compile.compile_filtergraph`.
    """
    from editspec.backends.ffmpeg.compile import compile_filtergraph

    sound_path = os.path.join(folder, "sound" + (".webm" if output.lower().endswith(".webm")
                                                 else ".mka"))
    sound = compile_filtergraph(edl, sound_path, streams="a", **options)  # type: ignore[arg-type]
    parts = [compile_filtergraph(sub_edl(edl, k0, k1), os.path.join(folder, f"part{i:04d}.mp4"),
                                 streams="v", **options)  # type: ignore[arg-type]
             for i, (k0, k1) in enumerate(ranges)]
    listing = os.path.join(folder, "parts.ffconcat")
    caps = options.get("caps")
    binary = getattr(caps, "path", None)
    argv = ["-y", "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "concat", "-safe", "0",
            "-i", listing, "-i", sound_path, "-map", "0:v:0", "-map", "1:a:0", "-c", "copy",
            *([] if getattr(caps, "frame_limit_cuts_sound", False)
              else ["-frames:v", str(edl.duration_frames)])]
    if output.lower().endswith((".mp4", ".mov", ".m4v")):
        argv += ["-movflags", "+faststart"]
    return SegmentedRender(sound, parts, (listing, concat_list([p.argv[-1] for p in parts])),
                           RenderCommand([*argv, output], "", edl.duration_frames,
                                         ffmpeg=binary))


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname())[:40] or "host"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_folders(folder: str) -> list[str]:
    """Remove segment folders in ``folder`` left by renders on this host that are gone.

    Returns the removed paths. Folders of live processes, or of other hosts (a shared
    disk under Dask workers), are left alone.
    """
    removed = []
    pattern = re.compile(re.escape(FOLDER_PREFIX + _host()) + r"-(\d+)-")
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        m = pattern.match(name)
        if m and int(m.group(1)) != os.getpid() and not _alive(int(m.group(1))):
            path = os.path.join(folder, name)
            shutil.rmtree(path, ignore_errors=True)
            if not os.path.exists(path):
                removed.append(path)
                log.info("removed %s, left by a render that was killed", path)
    return removed


@contextlib.contextmanager
def segment_folder(folder: str) -> Iterator[str]:
    """Yield a new folder for a render's segments inside ``folder``; remove it at the end.

    Stale segment folders there (their render was killed) are removed first.
    """
    remove_stale_folders(folder)
    with tempfile.TemporaryDirectory(prefix=f"{FOLDER_PREFIX}{_host()}-{os.getpid()}-",
                                     dir=folder) as td:
        yield td
