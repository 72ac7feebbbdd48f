"""OpenTimelineIO backend: EDL → ``otio.schema.Timeline``, written by OTIO's ``otio_json``.

The timeline holds the whole edit, in OTIO's schema where it has one:

- track ``V1``: one clip per event (external references with their available ranges),
  ``Transition``s for the EDL's transitions, ``LinearTimeWarp`` effects for speed;
- a titles track (``Titles``, more when titles overlap) above it: text overlays as clips
  with a ``GeneratorReference`` (``generator_kind="Text"``, the text and its style in
  ``parameters``), logos as clips of the image file;
- track ``A1``: the music window;
- timeline markers for downbeats, section starts (one colour per label) and optionally
  every beat.

What OTIO has no schema for is carried as clearly named effects on the ``V1`` clip it
belongs to, each with its EDL fields under ``metadata["editspec"]``:
``editspec.Reframe`` (cover centre, subject track, fit-blur/letterbox),
``editspec.SpeedRamp`` (the speed points; the ``LinearTimeWarp`` beside it holds the
mean speed) and ``editspec.ZoomPulse`` (on the clip where the pulse starts, its offset
in output frames from the clip's start). Every overlay clip also keeps its EDL
fields (``metadata["editspec"]["overlay"]``) so a render of the timeline draws what
the EDL draws. Record times are integer frames at the EDL's rate; a rational rate
such as 30000/1001 is kept exact in the timeline metadata (``editspec.fps``).

Reading back is :mod:`editspec.backends.otio_read` (:func:`timeline_to_edl`,
:func:`read_timeline`); the CMX 3600, FCP 7 XML and FCPXML backends start from this
timeline, change it for their format (each in its own module, with the helpers of
:mod:`editspec.backends.interchange`) and write it with :func:`write_timeline`.
See ``docs/interchange.md``.
"""

from __future__ import annotations

import itertools
import logging
import os
import pathlib
from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from editspec.backends.otio_read import read_cut_frames, read_timeline, timeline_to_edl
from editspec.edl import EDL, ImageOverlay, Marker, TextOverlay, check_edl, edl_to_dict
from editspec.errors import BackendError, EditspecError

if TYPE_CHECKING:
    import opentimelineio as otio

log = logging.getLogger(__name__)

__all__ = ["NAME", "SUFFIXES", "edl_to_timeline", "marker_color", "read_cut_frames",
           "read_timeline", "timeline_to_edl", "titles_to_clips", "write", "write_timeline"]

NAME = "otio"
SUFFIXES = (".otio",)

SECTION_COLORS = ("GREEN", "YELLOW", "CYAN", "MAGENTA", "ORANGE", "PURPLE", "PINK", "BLUE")
"""OTIO marker colours given to section labels in order of first appearance."""
KIND_COLORS = {"downbeat": "RED", "beat": "WHITE"}
"""OTIO marker colours of beat markers."""

REFRAME_EFFECT = "editspec.Reframe"
"""Effect name of an event's reframing (metadata: the EDL's ``reframe`` fields)."""
RAMP_EFFECT = "editspec.SpeedRamp"
"""Effect name of an event's speed ramp (metadata: ``points``, the EDL's ``speed``)."""
PULSE_EFFECT = "editspec.ZoomPulse"
"""Effect name of a zoom pulse (metadata: ``offset`` from the clip's first output frame,
``frames``, ``amount``)."""
TITLES_ROLE = "overlays"
"""``metadata["editspec"]["role"]`` of the tracks that hold titles and logos."""
TEXT_GENERATOR = "Text"
"""``generator_kind`` of a title clip."""


# --------------------------------------------------------------------------- helpers


def frames_of(seconds: float, fps: Fraction) -> float:
    """Return ``seconds`` in frames at ``fps``: a whole number when within 1/1000 of one.

    The EDL stores seconds to 6 decimals, so a source frame's time comes back a few
    millionths of a frame off; snapping keeps frame-based formats from flooring it.
    """
    value = Fraction(seconds) * fps
    nearest = round(value)
    return float(nearest) if abs(value - nearest) < Fraction(1, 1000) else float(value)


def file_url(path: str) -> str:
    """Return the absolute ``file://`` URL of a local path."""
    return pathlib.Path(path).absolute().as_uri()


def marker_color(m: Marker, sections: dict[str, str]) -> str:
    """Return the OTIO colour name of a marker (``sections``: label → colour, filled in)."""
    if m.kind == "section":
        return sections.setdefault(m.label, SECTION_COLORS[len(sections) % len(SECTION_COLORS)])
    return KIND_COLORS.get(m.kind, "BLUE")


def _music_length(path: str) -> float | None:
    from editspec.media import probe

    try:
        return probe(path).duration or None
    except EditspecError:
        return None


def mean_speed(points: tuple[tuple[int, float], ...], frames: int) -> float:
    """Return the mean of a speed ramp over ``frames`` output frames (linear between
    points, held before the first and after the last)."""
    pts = sorted(points)
    knots = [(0.0, pts[0][1])] + [(float(f), v) for f, v in pts if 0 < f < frames]
    knots.append((float(frames), _speed_at(pts, frames)))
    area = sum((b - a) * (va + vb) / 2 for (a, va), (b, vb) in itertools.pairwise(knots))
    return area / frames


def _speed_at(pts: list[tuple[int, float]], k: float) -> float:
    if k <= pts[0][0]:
        return pts[0][1]
    for (a, va), (b, vb) in itertools.pairwise(pts):
        if k <= b:
            return va + (vb - va) * (k - a) / (b - a)
    return pts[-1][1]


def overlay_lanes(overlays: tuple[TextOverlay | ImageOverlay, ...]) -> list[int]:
    """Return the track (0 = lowest) of each overlay: above every earlier one it overlaps.

    Overlays are drawn in order, so a later overlay that overlaps an earlier one must sit
    on a higher track; one that overlaps none goes on the lowest.
    """
    lanes: list[int] = []
    for i, o in enumerate(overlays):
        below = [lanes[j] for j in range(i)
                 if overlays[j].rec_in < o.rec_out and o.rec_in < overlays[j].rec_out]
        lanes.append(max(below) + 1 if below else 0)
    return lanes


# --------------------------------------------------------------------------- building


def edl_to_timeline(edl: EDL, *, beat_markers: bool = False) -> otio.schema.Timeline:
    """Build an OTIO timeline from an EDL, titles, logos and effects included.

    Parameters
    ----------
    edl : EDL
        The edit.
    beat_markers : bool
        Also mark every beat (downbeats and section starts are always marked).

    Returns
    -------
    otio.schema.Timeline
        Tracks ``V1`` (clips, dissolves and effects), ``Titles`` (when the EDL has
        overlays; ``Titles 2`` ... when they overlap) and, with music, ``A1``; markers
        on the timeline's stack; ``metadata["editspec"]`` holds the editspec version,
        the recipe, the seed, the exact rate, the output size, the mix and the encoder
        settings.
    """
    import opentimelineio as otio

    from editspec import __version__

    ot = otio.opentime
    rate = float(edl.fps)
    data = edl_to_dict(edl)

    def rt(frames: float) -> otio.opentime.RationalTime:
        return ot.RationalTime(frames, rate)

    name = os.path.splitext(os.path.basename(edl.recipe))[0] if edl.recipe else "editspec"
    tl = otio.schema.Timeline(name=name)
    tl.global_start_time = rt(0)
    tl.metadata["editspec"] = {
        "version": __version__, "recipe": edl.recipe, "seed": edl.seed, "fps": str(edl.fps),
        "size": list(edl.size), "edl_version": edl.version, "meta": dict(edl.meta),
        "mix": data["mix"], "encode": data["encode"]}
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    clips = []
    for ev, ev_data in zip(edl.events, data["events"], strict=True):
        src = edl.sources.get(ev.clip)
        ref = otio.schema.ExternalReference(target_url=file_url(ev.clip))
        if src is not None:
            src_rate = float(src.fps)
            ref.available_range = ot.TimeRange(
                ot.RationalTime(0, src_rate),
                ot.RationalTime(frames_of(src.duration, src.fps), src_rate))
            ref.metadata["editspec"] = {"fps": str(src.fps), "width": src.width,
                                        "height": src.height, "duration": src.duration}
        if ev.transition is not None and ev.transition.frames > 0 and len(video):
            half = ev.transition.frames // 2
            crossfade = ev.transition.kind == "crossfade"
            video.append(otio.schema.Transition(
                name=ev.transition.kind,
                transition_type=(otio.schema.TransitionTypes.SMPTE_Dissolve if crossfade
                                 else otio.schema.TransitionTypes.Custom),
                in_offset=rt(half), out_offset=rt(ev.transition.frames - half),
                metadata={"editspec": {"kind": ev.transition.kind}}))
        clip = otio.schema.Clip(
            name=os.path.basename(ev.clip), media_reference=ref,
            source_range=ot.TimeRange(rt(frames_of(ev.src_in, edl.fps)), rt(ev.frames)))
        clip.metadata["editspec"] = {
            "src_in": ev.src_in, "src_out": ev.src_out, "frames": ev.frames, "why": ev.why,
            **{k: ev_data[k] for k in ("reframe", "speed", "audio") if k in ev_data}}
        _add_event_effects(clip, ev, ev_data, edl.fps)
        video.append(clip)
        clips.append(clip)
    for n, (z, z_data) in enumerate(zip(edl.zoom_pulses, data["zoom_pulses"], strict=True)):
        k = max((i for i, ev in enumerate(edl.events) if ev.rec_in <= z.frame), default=0)
        offset = z.frame - edl.events[k].rec_in
        clips[k].effects.append(otio.schema.Effect(
            name="zoom pulse", effect_name=PULSE_EFFECT,
            metadata={"editspec": {"offset": offset, "frames": z_data["frames"],
                                   "amount": z_data["amount"], "order": n}}))
    tl.tracks.append(video)
    for track in _overlay_tracks(edl, data["overlays"], rt):
        tl.tracks.append(track)
    if edl.music is not None:
        audio = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
        ref = otio.schema.ExternalReference(target_url=file_url(edl.music.path))
        length = _music_length(edl.music.path)
        if length is None:  # not on disk here: the window is all that is known
            length = edl.music.start + edl.duration_frames / edl.fps
        ref.available_range = ot.TimeRange(rt(0), rt(frames_of(length, edl.fps)))
        audio.append(otio.schema.Clip(
            name=os.path.basename(edl.music.path), media_reference=ref,
            source_range=ot.TimeRange(rt(frames_of(edl.music.start, edl.fps)),
                                      rt(edl.duration_frames)),
            metadata={"editspec": {"start": edl.music.start, "fade_in": edl.music.fade_in,
                                   "fade_out": edl.music.fade_out}}))
        tl.tracks.append(audio)
    sections: dict[str, str] = {}
    for m in edl.markers:
        if m.kind == "beat" and not beat_markers:
            continue
        tl.tracks.markers.append(otio.schema.Marker(
            name=m.label or m.kind, color=marker_color(m, sections),
            marked_range=ot.TimeRange(rt(m.frame), rt(0)),
            metadata={"editspec": {"kind": m.kind, "label": m.label}}))
    return tl


def _add_event_effects(clip: otio.schema.Clip, ev: Any, ev_data: dict[str, Any],
                       fps: Fraction) -> None:
    """Speed as ``LinearTimeWarp`` (+ ``editspec.SpeedRamp``), reframing as an effect."""
    import opentimelineio as otio

    if "speed" in ev_data:
        points = ev.speed.points
        # a ramp: its mean speed, the source length an NLE should use
        scalar = points[0][1] if len(points) == 1 else round(mean_speed(points, ev.frames), 6)
        clip.effects.append(otio.schema.LinearTimeWarp(name="speed", time_scalar=scalar))
        if len(points) > 1:
            clip.effects.append(otio.schema.Effect(
                name="speed ramp", effect_name=RAMP_EFFECT,
                metadata={"editspec": {"points": ev_data["speed"]}}))
    if "reframe" in ev_data:
        clip.effects.append(otio.schema.Effect(
            name=f"reframe {ev.reframe.mode}", effect_name=REFRAME_EFFECT,
            metadata={"editspec": dict(ev_data["reframe"])}))


def _overlay_tracks(edl: EDL, overlay_data: list[dict[str, Any]],
                    rt: Any) -> list[otio.schema.Track]:
    """The titles tracks: one clip per overlay, gaps between, lanes as :func:`overlay_lanes`."""
    import opentimelineio as otio

    if not edl.overlays:
        return []
    lanes = overlay_lanes(edl.overlays)
    tracks = []
    for lane in range(max(lanes) + 1):
        name = "Titles" if lane == 0 else f"Titles {lane + 1}"
        track = otio.schema.Track(name=name, kind=otio.schema.TrackKind.Video,
                                  metadata={"editspec": {"role": TITLES_ROLE}})
        items = sorted((o.rec_in, i) for i, o in enumerate(edl.overlays) if lanes[i] == lane)
        pos = 0
        for _, i in items:
            o, o_data = edl.overlays[i], overlay_data[i]
            if o.rec_in > pos:
                track.append(otio.schema.Gap(duration=rt(o.rec_in - pos)))
            n = o.rec_out - o.rec_in
            rng = otio.opentime.TimeRange(rt(0), rt(n))
            meta = {"editspec": {"overlay": o_data, "order": i}}
            if isinstance(o, TextOverlay):
                params = {k: v for k, v in o_data.items()
                          if k not in ("type", "rec_in", "rec_out")}
                ref: Any = otio.schema.GeneratorReference(
                    name="title", generator_kind=TEXT_GENERATOR, parameters=params,
                    available_range=rng)
                label = o.text.splitlines()[0][:40] if o.text.strip() else "title"
            else:
                ref = otio.schema.ExternalReference(target_url=file_url(o.path),
                                                    available_range=rng)
                label = os.path.basename(o.path)
            track.append(otio.schema.Clip(name=label, media_reference=ref, source_range=rng,
                                          metadata=meta))
            pos = o.rec_out
        tracks.append(track)
    return tracks


def titles_to_clips(tl: otio.schema.Timeline, edl: EDL, path: str) -> list[str]:
    """Render every overlay as an alpha clip and point the titles tracks' clips at them.

    The clips (:func:`editspec.backends.alpha.render_alpha_clips`) keep their EDL fields
    in metadata, so reading the timeline back still gives the overlays (not the rendered
    files); the tracks are marked ``metadata["editspec"]["alpha_clips"] = True``.

    Parameters
    ----------
    tl : otio.schema.Timeline
        A timeline from :func:`edl_to_timeline` (changed here).
    edl : EDL
        The edit it was built from.
    path : str
        The export file; the clips go in a folder beside it
        (:func:`editspec.backends.alpha.clips_folder`).

    Returns
    -------
    list of str
        The files written, in overlay order.
    """
    import opentimelineio as otio

    from editspec.backends.alpha import render_alpha_clips

    files = render_alpha_clips(edl, path)
    for track in tl.video_tracks():
        meta = track.metadata.get("editspec", {})
        if meta.get("role") != TITLES_ROLE:
            continue
        track.metadata["editspec"] = {**dict(meta), "alpha_clips": True}
        for clip in track.find_clips():
            order = int(clip.metadata["editspec"]["order"])
            n = edl.overlays[order].rec_out - edl.overlays[order].rec_in
            rng = otio.opentime.TimeRange(otio.opentime.RationalTime(0, float(edl.fps)),
                                          otio.opentime.RationalTime(n, float(edl.fps)))
            clip.media_reference = otio.schema.ExternalReference(
                target_url=file_url(files[order]), available_range=rng)
            clip.name = os.path.basename(files[order])
    return files


# --------------------------------------------------------------------------- writing


Prepare = Callable[["otio.schema.Timeline", EDL], list[str]]
"""``prepare(tl, edl) -> dropped``: a format's changes to the timeline before writing."""
Finish = Callable[[str, "otio.schema.Timeline", EDL], str]
"""``finish(text, tl, edl) -> text``: what a format adds to its adapter's output."""


def write_timeline(edl: EDL, path: str, adapter_name: str, *,
                   prepare: Prepare | None = None, finish: Finish | None = None,
                   label: str | None = None, adapter_options: dict[str, Any] | None = None,
                   beat_markers: bool = False, titles_as_clips: bool = False,
                   **options: Any) -> None:
    """Write an EDL through its timeline with one of OTIO's adapters, atomically.

    The OTIO, CMX 3600, FCP 7 XML and FCPXML backends write with it; each format's
    ``prepare`` and ``finish`` own what that format needs. What the format cannot hold
    is dropped with one ``logging.warning`` that lists it.

    Parameters
    ----------
    edl : EDL
        The edit.
    path : str
        Output file.
    adapter_name : str
        ``otio_json``, ``cmx_3600``, ``fcp_xml`` or ``fcpx_xml``.
    prepare : callable, optional
        ``prepare(tl, edl) -> list[str]``: changes the timeline for the format and
        returns what it dropped.
    finish : callable, optional
        ``finish(text, tl, edl) -> str``: adds to the adapter's output what it cannot
        write (the timeline given is the prepared one).
    label : str, optional
        The format's name in the warning (default ``adapter_name``).
    adapter_options : dict, optional
        Keyword arguments of the adapter's writer (CMX 3600: ``rate``).
    beat_markers : bool
        Also mark every beat.
    titles_as_clips : bool
        Render each title and logo as an alpha clip beside ``path`` and place the clips
        on their own tracks instead of the titles tracks (:func:`titles_to_clips`).
    **options
        Unused (other backends' options), accepted so one CLI call fits all.

    Raises
    ------
    BackendError
        When the adapter fails on this timeline.
    """
    import opentimelineio as otio

    from editspec.fsutil import atomic_path

    check_edl(edl)
    tl = edl_to_timeline(edl, beat_markers=beat_markers)
    if titles_as_clips and edl.overlays:
        titles_to_clips(tl, edl, path)
    dropped = prepare(tl, edl) if prepare is not None else []
    if dropped:
        log.warning("%s export of %s drops: %s", label or adapter_name, path, "; ".join(dropped))
    try:
        text = otio.adapters.write_to_string(tl, adapter_name=adapter_name,
                                             **(adapter_options or {}))
    except (otio.exceptions.OTIOError, ValueError, AttributeError, TypeError) as exc:
        raise BackendError(f"{adapter_name} adapter cannot write {path}: {exc}") from None
    if finish is not None:
        text = finish(text, tl, edl)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)


def write(edl: EDL, path: str, **options: Any) -> None:
    """Write an EDL as an ``.otio`` file, atomically.

    Parameters
    ----------
    edl : EDL
        The edit.
    path : str
        Output ``.otio`` file.
    **options
        ``beat_markers`` (bool): passed to :func:`edl_to_timeline`; ``titles_as_clips``
        (bool): titles and logos as rendered alpha clips (:func:`titles_to_clips`).
    """
    write_timeline(edl, path, "otio_json", **options)
