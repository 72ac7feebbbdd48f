"""The ``report`` backend: an EDL → one self-contained HTML timeline (``.html``).

The page shows, on one time axis, the song (waveform, energy, cut salience, beats,
downbeats, labelled sections), every cut (coloured by the rule that placed it; hovering
one shows its ``plan --explain`` row), one thumbnail per shot, and, when a render is
given, a video player tied to the timeline and the render's beat-grid check
(:mod:`editspec.check`). ``docs/report.md`` describes it.

What the report reads, besides the EDL: the song's analysis from the cache (the EDL's
music file and tracker; a backend never re-analyzes: without a cached analysis the page
says so and leaves energy and salience out), the song's samples (waveform) and
one frame per shot from the source clips. What it cannot read it leaves out and says so
in the page. The render is referenced relative to the report (``<video src>``), not
inlined: a render of minutes is tens of MB; ``embed_video=True`` inlines a small one.
"""

from __future__ import annotations

import base64
import logging
import math
import os
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from editspec.errors import BackendError, EditspecError, MediaError

if TYPE_CHECKING:
    from editspec.analysis.audio import AudioAnalysis
    from editspec.check import CheckReport
    from editspec.edl import EDL

log = logging.getLogger(__name__)

NAME = "report"
SUFFIXES = (".html",)
EMBED_LIMIT_BYTES = 8 * 1024 * 1024
"""The largest render ``embed_video=True`` inlines (base64 adds a third)."""

VIDEO_TYPES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/mp4",
               ".webm": "video/webm", ".mkv": "video/webm"}


def video_source(video: str, report_path: str, *, embed: bool = False) -> dict[str, Any]:
    """Return how the page finds the render: a path relative to the report, or a data URI.

    Raises
    ------
    MediaError
        When ``video`` is not a file.
    BackendError
        When ``embed`` is asked for a render over :data:`EMBED_LIMIT_BYTES`.
    """
    if not os.path.isfile(video):
        raise MediaError(f"{video}: no such render")
    if embed:
        size = os.path.getsize(video)
        if size > EMBED_LIMIT_BYTES:
            raise BackendError(f"{video}: {size / 2**20:.1f} MB is too large to embed "
                               f"(limit {EMBED_LIMIT_BYTES / 2**20:.0f} MB); reference it instead")
        kind = VIDEO_TYPES.get(os.path.splitext(video)[1].lower(), "video/mp4")
        with open(video, "rb") as fh:
            return {"src": f"data:{kind};base64," + base64.b64encode(fh.read()).decode("ascii"),
                    "embedded": True}
    folder = os.path.dirname(os.path.abspath(report_path))
    rel = os.path.relpath(os.path.abspath(video), folder).replace(os.sep, "/")
    return {"src": quote(rel), "embedded": False, "path": rel}


def collect_report_data(edl: EDL, path: str, *, video: str | None = None,
                        embed_video: bool = False, audio: AudioAnalysis | None = None,
                        analysis: bool = True, thumbnails: bool = True,
                        check: bool | CheckReport = True, use_cache: bool = True,
                        title: str = "") -> dict[str, Any]:
    """Gather what a report shows (see :func:`write`); returns the page's JSON data."""
    from editspec.report.data import build_report_data

    notes: list[str] = []
    video_ref = video_source(video, path, embed=embed_video) if video else None
    samples = None
    music = edl.music.path if edl.music else None
    if analysis and music and os.path.isfile(music):
        from editspec.analysis.audio import SR, cached_audio_analysis, decode_audio

        try:
            if audio is None and use_cache:
                audio = cached_audio_analysis(music, tracker=edl.meta.get("tracker") or None)
            if audio is None:
                notes.append("the song's analysis is not in the cache (planning the recipe or "
                             "`editspec analyze SONG` puts it there; the report never "
                             "analyzes): no energy or salience")
            samples = (decode_audio(music, SR), SR)
        except (EditspecError, ValueError) as exc:
            notes.append(f"song not read ({exc}): no waveform, energy or salience")
    elif analysis and music:
        notes.append(f"{music}: music file not found: no waveform, energy or salience")
    elif not music:
        notes.append("the EDL has no music: no waveform, energy or salience")
    thumbs = None
    if thumbnails:
        from editspec.report.thumbs import extract_thumbnails

        thumbs, problems = extract_thumbnails(edl)
        notes.extend(problems)
    report: CheckReport | None = None
    if video:
        if check is True:
            from editspec.check import check_render

            try:
                report = check_render(video, edl)
            except EditspecError as exc:
                notes.append(f"beat-grid check failed: {exc}")
        elif check is not False:
            report = check
    return build_report_data(edl, audio=audio, samples=samples, thumbnails=thumbs, check=report,
                             video=video_ref, title=title, notes=notes)


def write(edl: EDL, path: str, *, video: str | None = None, embed_video: bool = False,
          audio: AudioAnalysis | None = None, analysis: bool = True, thumbnails: bool = True,
          check: bool | CheckReport = True, use_cache: bool = True, title: str = "",
          **_: Any) -> None:
    """Write the HTML report of an edit, atomically.

    Parameters
    ----------
    edl : EDL
        The edit.
    path : str
        HTML file to write.
    video : str, optional
        A render of ``edl``: played in the page, with its beat-grid check.
    embed_video : bool
        Inline the render (at most :data:`EMBED_LIMIT_BYTES`) instead of referencing it
        relative to ``path``.
    audio : AudioAnalysis, optional
        The song's analysis, when the caller has it (e.g. it planned the edit just now);
        else read from the cache.
    analysis : bool
        Show the song's waveform and curves (False: only what the EDL holds).
    thumbnails : bool
        Take one frame per shot from the source clips.
    check : bool or CheckReport
        Run the beat-grid check of ``video`` (True), skip it (False), or show this one.
    use_cache : bool
        Read the song's analysis from the cache when ``audio`` is not given (False: show
        the song without it); the report never analyzes.
    title : str
        Page title (default: the recipe's file name).

    Raises
    ------
    MediaError
        When ``video`` is not a file.
    BackendError
        When an embedded render is too large.
    """
    from editspec.fsutil import write_text_atomic
    from editspec.report.page import render_page

    data = collect_report_data(edl, path, video=video, embed_video=embed_video, audio=audio,
                               analysis=analysis, thumbnails=thumbnails, check=check,
                               use_cache=use_cache, title=title)
    for note in data["notes"]:
        log.info("report: %s", note)
    write_text_atomic(path, render_page(_finite(data)))


def _finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float (an EDL's meta, an analysis) as None.

    The page's JSON must be strict JSON; a value that is not a number is shown as
    missing rather than ending the report.
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
