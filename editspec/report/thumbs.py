"""Thumbnails for the report: one small JPEG per shot, taken from the source clips.

Input: an EDL's events. Output: one ``data:image/jpeg;base64,...`` URI per event (None
where the frame could not be taken). Each frame is the middle of the event's source
span, scaled and centre-cropped to the output's aspect (what the viewer sees of it),
with one short ffmpeg call per distinct frame, a few at a time.
"""

from __future__ import annotations

import base64
import logging
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from editspec.edl import EDL

log = logging.getLogger(__name__)

THUMB_HEIGHT = 96
"""Thumbnail height in pixels (the width follows the output's aspect)."""


def thumb_size(size: tuple[int, int], height: int = THUMB_HEIGHT) -> tuple[int, int]:
    """Return the (width, height) of a thumbnail for an output of ``size``: even, >= 16."""
    w, h = size
    tw = max(16, round(height * w / max(h, 1) / 2) * 2)
    return min(tw, 4 * height), height


def extract_frame(clip: str, time_s: float, size: tuple[int, int], quality: int = 6) -> bytes:
    """Return one frame of ``clip`` at ``time_s`` as JPEG bytes, cropped to ``size``.

    Raises
    ------
    OSError
        When ffmpeg gives no picture.
    """
    from editspec.media import ffmpeg_exe

    w, h = size
    vf = f"scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},setsar=1"
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error",
         "-ss", f"{max(0.0, time_s):.4f}", "-i", clip, "-map", "0:v:0", "-frames:v", "1",
         "-vf", vf, "-q:v", str(quality), "-f", "image2pipe", "-c:v", "mjpeg", "-"],
        capture_output=True, timeout=60)
    if not proc.stdout.startswith(b"\xff\xd8"):
        msg = proc.stderr.decode(errors="replace").strip().splitlines()
        raise OSError(msg[-1] if msg else f"no frame at {time_s:.3f}s")
    return proc.stdout


def extract_thumbnails(edl: EDL, *, height: int = THUMB_HEIGHT,
                       workers: int | None = None) -> tuple[list[str | None], list[str]]:
    """Take one thumbnail per event of ``edl``.

    Parameters
    ----------
    edl : EDL
        The edit; its events' clips are read.
    height : int
        Thumbnail height, pixels.
    workers : int, optional
        ffmpeg processes at once (default: up to 4, the CPU count).

    Returns
    -------
    thumbs : list of (str or None)
        A JPEG data URI per event, None where the clip could not be read.
    problems : list of str
        One line per clip that gave no frame.
    """
    size = thumb_size(edl.size, height)
    jobs: dict[tuple[str, float], None] = {}
    keys = []
    for e in edl.events:
        key = (e.clip, round((e.src_in + e.src_out) / 2, 3))
        keys.append(key)
        jobs.setdefault(key, None)
    problems: dict[str, str] = {}

    def take(key: tuple[str, float]) -> str | None:
        clip, t = key
        if not os.path.isfile(clip):
            problems.setdefault(clip, f"{clip}: no such clip, shot thumbnails left blank")
            return None
        try:
            jpeg = extract_frame(clip, t, size)
        except (OSError, subprocess.SubprocessError) as exc:
            problems.setdefault(clip, f"{clip}: no thumbnail at {t:.2f}s: {exc}")
            return None
        return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")

    n = workers or min(4, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=max(1, n)) as pool:
        done = dict(zip(jobs, pool.map(take, jobs), strict=True))
    for line in problems.values():
        log.warning("%s", line)
    return [done[k] for k in keys], list(problems.values())
