"""OpenTimelineIO backend: EDL ⇄ ``otio.schema.Timeline``, written and read by OTIO's adapters.

Writing (:func:`edl_to_timeline`, :func:`write`): a video track with one clip per event
(external references with their available ranges), dissolves for the EDL's
transitions, an audio track with the music window, and timeline markers for
downbeats, section starts (named by label, one colour per label) and optionally every
beat. Record times are integer frames at the EDL's rate; a rational rate such as
30000/1001 is kept exact in the timeline metadata (``editspec.fps``) next to OTIO's
float rate. :func:`write_with_adapter` is shared by the CMX 3600, FCP 7 XML and FCPXML
backends, which drop with a warning what their format cannot hold.

Reading (:func:`timeline_to_edl`, :func:`read_timeline`): a simple cut list made
elsewhere (clips on the first video track, cuts, dissolves, one audio clip) becomes
an EDL that the ffmpeg backend renders. See ``docs/interchange.md``.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import os
import pathlib
import urllib.parse
import urllib.request
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from editspec.edl import EDL, Event, Marker, MusicRef, SourceInfo, Transition, check_edl
from editspec.errors import BackendError, EditspecError

if TYPE_CHECKING:
    import opentimelineio as otio

log = logging.getLogger(__name__)

NAME = "otio"
SUFFIXES = (".otio",)

SECTION_COLORS = ("GREEN", "YELLOW", "CYAN", "MAGENTA", "ORANGE", "PURPLE", "PINK", "BLUE")
"""OTIO marker colours given to section labels in order of first appearance."""
KIND_COLORS = {"downbeat": "RED", "beat": "WHITE"}
"""OTIO marker colours of beat markers."""


# --------------------------------------------------------------------------- writing


def _frames(seconds: float, fps: Fraction) -> float:
    """Return ``seconds`` in frames at ``fps``: a whole number when within 1/1000 of one.

    The EDL stores seconds to 6 decimals, so a source frame's time comes back a few
    millionths of a frame off; snapping keeps frame-based formats from flooring it.
    """
    value = Fraction(seconds) * fps
    nearest = round(value)
    return float(nearest) if abs(value - nearest) < Fraction(1, 1000) else float(value)


def _url(path: str) -> str:
    return pathlib.Path(path).absolute().as_uri()


def _marker_color(m: Marker, sections: dict[str, str]) -> str:
    if m.kind == "section":
        return sections.setdefault(m.label, SECTION_COLORS[len(sections) % len(SECTION_COLORS)])
    return KIND_COLORS.get(m.kind, "BLUE")


def _music_length(path: str) -> float | None:
    from editspec.media import probe

    try:
        return probe(path).duration or None
    except EditspecError:
        return None


def edl_to_timeline(edl: EDL, *, beat_markers: bool = False) -> otio.schema.Timeline:
    """Build an OTIO timeline from an EDL.

    Parameters
    ----------
    edl : EDL
        The edit.
    beat_markers : bool
        Also mark every beat (downbeats and section starts are always marked).

    Returns
    -------
    otio.schema.Timeline
        Tracks ``V1`` (clips and dissolves) and, with music, ``A1``; markers on the
        timeline's stack; ``metadata["editspec"]`` holds the editspec version, the
        recipe, the seed, the exact rate and the output size.
    """
    import opentimelineio as otio

    from editspec import __version__

    ot = otio.opentime
    rate = float(edl.fps)

    def rt(frames: float) -> otio.opentime.RationalTime:
        return ot.RationalTime(frames, rate)

    name = os.path.splitext(os.path.basename(edl.recipe))[0] if edl.recipe else "editspec"
    tl = otio.schema.Timeline(name=name)
    tl.global_start_time = rt(0)
    tl.metadata["editspec"] = {
        "version": __version__, "recipe": edl.recipe, "seed": edl.seed, "fps": str(edl.fps),
        "size": list(edl.size), "edl_version": edl.version, "meta": dict(edl.meta)}
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    for ev in edl.events:
        src = edl.sources.get(ev.clip)
        ref = otio.schema.ExternalReference(target_url=_url(ev.clip))
        if src is not None:
            src_rate = float(src.fps)
            ref.available_range = ot.TimeRange(
                ot.RationalTime(0, src_rate),
                ot.RationalTime(_frames(src.duration, src.fps), src_rate))
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
            source_range=ot.TimeRange(rt(_frames(ev.src_in, edl.fps)), rt(ev.frames)))
        clip.metadata["editspec"] = {"src_in": ev.src_in, "src_out": ev.src_out,
                                     "frames": ev.frames, "why": ev.why}
        video.append(clip)
    tl.tracks.append(video)
    if edl.music is not None:
        audio = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
        ref = otio.schema.ExternalReference(target_url=_url(edl.music.path))
        length = _music_length(edl.music.path)
        if length is None:  # not on disk here: the window is all that is known
            length = edl.music.start + edl.duration_frames / edl.fps
        ref.available_range = ot.TimeRange(rt(0), rt(_frames(length, edl.fps)))
        audio.append(otio.schema.Clip(
            name=os.path.basename(edl.music.path), media_reference=ref,
            source_range=ot.TimeRange(rt(_frames(edl.music.start, edl.fps)),
                                      rt(edl.duration_frames)),
            metadata={"editspec": {"start": edl.music.start, "fade_in": edl.music.fade_in,
                                   "fade_out": edl.music.fade_out}}))
        tl.tracks.append(audio)
    sections: dict[str, str] = {}
    for m in edl.markers:
        if m.kind == "beat" and not beat_markers:
            continue
        tl.tracks.markers.append(otio.schema.Marker(
            name=m.label or m.kind, color=_marker_color(m, sections),
            marked_range=ot.TimeRange(rt(m.frame), rt(0)),
            metadata={"editspec": {"kind": m.kind, "label": m.label}}))
    return tl


def write(edl: EDL, path: str, **options: Any) -> None:
    """Write an EDL as an ``.otio`` file, atomically.

    Parameters
    ----------
    edl : EDL
        The edit.
    path : str
        Output ``.otio`` file.
    **options
        ``beat_markers`` (bool): passed to :func:`edl_to_timeline`.
    """
    write_with_adapter(edl, path, "otio_json", **options)


def _markers_to_clips(tl: otio.schema.Timeline) -> int:
    """Move the stack's markers onto the clips of ``V1`` under them (source time).

    Returns the number of markers that fell on no clip (dropped).
    """
    import opentimelineio as otio

    track = tl.video_tracks()[0]
    clips = [(c, c.range_in_parent()) for c in track.find_clips()]
    lost = 0
    for m in list(tl.tracks.markers):
        t = m.marked_range.start_time
        for clip, rng in clips:
            if rng.start_time <= t < rng.end_time_exclusive():
                local = clip.source_range.start_time + (t - rng.start_time)
                clip.markers.append(otio.schema.Marker(
                    name=m.name, color=m.color, metadata=dict(m.metadata),
                    marked_range=otio.opentime.TimeRange(local, m.marked_range.duration)))
                break
        else:
            lost += 1
    tl.tracks.markers.clear()
    return lost


def _prepare_for(tl: otio.schema.Timeline, edl: EDL, adapter_name: str) -> list[str]:
    """Change ``tl`` so that ``adapter_name`` can write it; return what is dropped."""
    import opentimelineio as otio

    dropped: list[str] = []
    off_frame = [ev for ev in edl.events if _frames(ev.src_in, edl.fps) % 1]
    speed = [ev for ev in edl.events
             if abs((ev.src_out - ev.src_in) - ev.frames / edl.fps) > 0.5 / edl.fps]
    if speed:
        dropped.append(f"speed changes of {len(speed)} events (exported at 100%)")
    if adapter_name == "otio_json":
        return dropped
    if off_frame:
        dropped.append(f"sub-frame source in points of {len(off_frame)} events (rounded to "
                       f"whole frames at {edl.fps} fps)")
    odd = [t for t in tl.video_tracks()[0].find_children(descended_from_type=otio.schema.Transition)
           if t.transition_type != otio.schema.TransitionTypes.SMPTE_Dissolve]
    if odd:
        kinds = ", ".join(sorted({t.name for t in odd}))
        dropped.append(f"{len(odd)} non-crossfade transitions ({kinds}; "
                       "written as dissolves)")
        for t in odd:
            t.transition_type = otio.schema.TransitionTypes.SMPTE_Dissolve
    if edl.music is not None and _frames(edl.music.start, edl.fps) % 1:
        dropped.append(f"the sub-frame part of the music start {edl.music.start}s (rounded to "
                       f"a whole frame at {edl.fps} fps)")
    n_markers = len(tl.tracks.markers)
    if adapter_name == "fcp_xml":
        dropped.append("timeline metadata (recipe, editspec version, seed)")
        if n_markers:
            dropped.append(f"colours of {n_markers} markers (FCP 7 XML markers have none)")
    elif adapter_name == "cmx_3600":
        dropped.append("timeline metadata (recipe, editspec version, seed, output size)")
        if tl.audio_tracks():
            dropped.append("the music track (CMX 3600 here holds one video track)")
            for t in list(tl.audio_tracks()):
                tl.tracks.remove(t)
        if n_markers:
            lost = _markers_to_clips(tl)
            dropped.append(f"marker colours other than CMX's and lower-case names of "
                           f"{n_markers} markers (written as LOC comments)")
            if lost:
                dropped.append(f"{lost} markers outside every clip")
    elif adapter_name == "fcpx_xml":
        _teach_fcpx_rate(edl.fps)
        dropped.append("timeline metadata (recipe, editspec version, seed)")
        video = tl.video_tracks()[0]
        transitions = list(video.find_children(descended_from_type=otio.schema.Transition))
        if transitions:
            dropped.append(f"{len(transitions)} transitions (the FCPXML adapter writes none; "
                           "they become cuts)")
            for t in transitions:
                video.remove(t)
        if n_markers:
            lost = _markers_to_clips(tl)
            dropped.append(f"marker colours of {n_markers} markers (FCPXML markers are on clips)")
            if lost:
                dropped.append(f"{lost} markers outside every clip")
    return dropped


def _teach_fcpx_rate(fps: Fraction) -> None:
    """Add ``fps`` to the FCPXML adapter's rate table, which lacks 30000/1001 as a float.

    otio-fcpx-xml-adapter 1.0 looks rates up by ``int(rate)`` then ``float(rate)`` in a
    table keyed ``29.97``, so OTIO's ``30000/1001`` (29.97002997...) finds no
    ``frameDuration`` and the writer fails. The entry added is the exact frame duration.
    """
    import opentimelineio as otio

    # the module object OTIO's plugin loader runs (not necessarily sys.modules' copy)
    table = otio.adapters.from_name("fcpx_xml").module().FRAMERATE_FRAMEDURATION
    table.setdefault(float(fps), f"{fps.denominator}/{fps.numerator}s")


ADAPTER_SUFFIXES = {"otio_json": ".otio", "cmx_3600": ".edl", "fcp_xml": ".xml",
                    "fcpx_xml": ".fcpxml"}


def write_with_adapter(edl: EDL, path: str, adapter_name: str, *, beat_markers: bool = False,
                       **options: Any) -> None:
    """Write an EDL with one of OTIO's adapters, atomically.

    What the format cannot hold is dropped with one ``logging.warning`` that lists it.

    Parameters
    ----------
    edl : EDL
        The edit.
    path : str
        Output file.
    adapter_name : str
        ``otio_json``, ``cmx_3600``, ``fcp_xml`` or ``fcpx_xml``.
    beat_markers : bool
        Also mark every beat.
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
    dropped = _prepare_for(tl, edl, adapter_name)
    if dropped:
        log.warning("%s export of %s drops: %s", adapter_name, path, "; ".join(dropped))
    kwargs: dict[str, Any] = {"rate": float(edl.fps)} if adapter_name == "cmx_3600" else {}
    try:
        with atomic_path(path) as tmp:
            otio.adapters.write_to_file(tl, tmp, adapter_name=adapter_name, **kwargs)
    except (otio.exceptions.OTIOError, ValueError, AttributeError, TypeError) as exc:
        raise BackendError(f"{adapter_name} adapter cannot write {path}: {exc}") from None


# --------------------------------------------------------------------------- reading


def _url_to_path(url: str, base_dir: str) -> str:
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "file":
        return urllib.request.url2pathname(parsed.path)
    if parsed.scheme and len(parsed.scheme) > 1:
        raise BackendError(f"media {url!r} is not a local file")
    return os.path.normpath(os.path.join(base_dir, url))


def _rate(value: Any, what: str) -> Fraction:
    """A frame rate read from a timeline; one outside editspec's range is a BackendError."""
    from editspec.timecode import parse_fps

    try:
        return parse_fps(value)
    except ValueError as exc:
        raise BackendError(f"{what}: {exc}") from None


def _fps_of(tl: otio.schema.Timeline, rate: float) -> Fraction:
    parse_fps = functools.partial(_rate, what="the timeline's rate")
    meta = tl.metadata.get("editspec", {})
    if "fps" in meta:
        fps = parse_fps(str(meta["fps"]))
        if math.isclose(float(fps), rate, rel_tol=1e-9):
            return fps
    return parse_fps(rate)


def _source_info(clip: otio.schema.Clip, path: str) -> SourceInfo:
    from editspec.media import probe

    parse_fps = functools.partial(_rate, what=f"the rate of clip {clip.name or path!r}")
    ref = clip.media_reference
    meta = dict(ref.metadata.get("editspec", {}))
    avail = ref.available_range
    if meta.get("fps") and "duration" in meta:
        return SourceInfo(float(meta["duration"]), parse_fps(str(meta["fps"])),
                          int(meta.get("width", 0)), int(meta.get("height", 0)))
    if os.path.isfile(path):
        info = probe(path)
        if not (info.has_video and info.fps > 0):
            raise BackendError(f"{path}: not a video clip (no video stream)")
        return SourceInfo(info.duration, info.fps, info.width, info.height)
    # not here (yet): what the timeline says; rendering will report the missing file
    if avail is not None:
        return SourceInfo(avail.duration.to_seconds(), parse_fps(avail.duration.rate))
    return SourceInfo(0.0, parse_fps(clip.source_range.duration.rate))  # duration unknown


def _clip_path(clip: otio.schema.Clip, base_dir: str) -> str:
    import opentimelineio as otio

    ref = clip.media_reference
    if not isinstance(ref, otio.schema.ExternalReference) or not ref.target_url:
        raise BackendError(f"clip {clip.name!r} has no media file (reference "
                           f"{type(ref).__name__}); editspec renders external files only")
    return _url_to_path(ref.target_url, base_dir)


def timeline_to_edl(tl: otio.schema.Timeline, *, base_dir: str = ".",
                    size: tuple[int, int] | None = None) -> EDL:
    """Convert a simple OTIO cut list into an EDL.

    The first enabled video track gives the events (clips back to back; dissolves
    become crossfade transitions), the first clip of the first audio track gives the
    music window, and the markers of the stack, the tracks and the clips give the
    markers. Anything else is dropped with a warning.

    Parameters
    ----------
    tl : otio.schema.Timeline
        The timeline.
    base_dir : str
        Folder that relative media paths are relative to (the timeline file's).
    size : (int, int), optional
        Output (width, height); default: the editspec metadata's, else the first clip's.

    Returns
    -------
    EDL
        Record frames at the timeline's rate; ``size`` from the editspec metadata, else
        the first clip's.

    Raises
    ------
    BackendError
        When the timeline has no clips, a gap before its end, media that is not a
        local file, or a music clip that starts before its file does.
    """
    import opentimelineio as otio

    dropped: list[str] = []
    videos = [t for t in tl.video_tracks() if t.enabled]
    if not videos or not list(videos[0].find_clips()):
        raise BackendError(f"timeline {tl.name!r} has no video clips to render")
    if len(videos) > 1:
        dropped.append(f"{len(videos) - 1} video tracks above the first")
    track = videos[0]
    first = next(iter(track.find_clips()))
    fps = _fps_of(tl, first.trimmed_range().duration.rate)
    rate = float(fps)

    def to_frames(t: otio.opentime.RationalTime) -> int:
        return round(t.rescaled_to(rate).value)

    events: list[Event] = []
    first_use: dict[str, otio.schema.Clip] = {}
    pending: Transition | None = None
    shift = 0
    pos = 0
    children = list(track)
    while children and isinstance(children[-1], otio.schema.Gap):
        children.pop()
    for item in children:
        if isinstance(item, otio.schema.Transition):
            kind = item.metadata.get("editspec", {}).get("kind") or (
                "crossfade" if item.transition_type == otio.schema.TransitionTypes.SMPTE_Dissolve
                else item.name or "crossfade")
            before, after = to_frames(item.in_offset), to_frames(item.out_offset)
            pending, shift = Transition(str(kind), before + after), (after - before) // 2
            if not events:
                dropped.append(f"transition {item.name!r} before the first clip")
                pending, shift = None, 0
            continue
        if not isinstance(item, otio.schema.Clip) or not item.enabled:
            raise BackendError(f"track {track.name!r} has a {type(item).__name__.lower()} at frame "
                               f"{pos}; editspec renders clips back to back (no gaps)")
        rng = item.trimmed_range()
        n = to_frames(rng.duration)
        if n <= 0:
            continue
        path = _clip_path(item, base_dir)
        first_use.setdefault(path, item)
        if item.effects:
            names = ", ".join(e.effect_name or e.schema_name() for e in item.effects)
            dropped.append(f"effects of clip {item.name!r} ({names})")
        start = rng.start_time.to_seconds()
        meta = item.metadata.get("editspec", {})
        if pending is not None and shift:  # re-centre an uneven dissolve (CMX: after the cut)
            prev = events[-1]
            events[-1] = dataclasses.replace(
                prev, rec_out=prev.rec_out + shift,
                src_out=round(prev.src_out + shift / rate, 6))
            start, n, pos, meta = start + shift / rate, n - shift, pos + shift, {}
        src_in = round(max(0.0, start), 6)
        src_out = round(src_in + n / fps, 6)
        if (meta.get("frames") == n and "src_in" in meta
                and abs(float(meta["src_in"]) - src_in) < 0.5 / rate):
            src_in, src_out = float(meta["src_in"]), float(meta["src_out"])
        events.append(Event(path, src_in, src_out, pos, pos + n, pending, str(meta.get("why", ""))))
        pending, shift = None, 0
        pos += n
    if not events:
        raise BackendError(f"timeline {tl.name!r} has no video clips to render")

    music = None
    audios = [t for t in tl.audio_tracks() if t.enabled and list(t.find_clips())]
    if len(audios) > 1:
        dropped.append(f"{len(audios) - 1} audio tracks after the first")
    if audios:
        aclips = list(audios[0].find_clips())
        if len(aclips) > 1:
            dropped.append(f"{len(aclips) - 1} audio clips after the first on {audios[0].name!r}")
        a = aclips[0]
        rec = a.range_in_parent().start_time.to_seconds()
        meta = a.metadata.get("editspec", {})
        start = round(a.trimmed_range().start_time.to_seconds() - rec, 6)
        if "start" in meta and abs(float(meta["start"]) - start) < 0.5 / rate:
            start = float(meta["start"])
        if start < 0:
            raise BackendError(f"music clip {a.name!r} starts at {rec:.3f}s on the timeline but "
                               f"at {start + rec:.3f}s in its file; editspec needs the music "
                               "to cover the timeline from its start")
        music = MusicRef(_clip_path(a, base_dir), start, float(meta.get("fade_in", 0.0)),
                         float(meta.get("fade_out", 0.0)))

    markers: list[Marker] = []

    def add_marker(m: otio.schema.Marker, frame: int) -> None:
        meta = m.metadata.get("editspec", {})
        if 0 <= frame < pos:
            markers.append(Marker(frame, str(meta.get("kind", "marker")),
                                  str(meta.get("label", m.name if "kind" not in meta else ""))))

    for m in tl.tracks.markers:
        add_marker(m, to_frames(m.marked_range.start_time))
    for m in track.markers:
        add_marker(m, to_frames(m.marked_range.start_time))
    for clip in track.find_clips():
        if clip.markers:
            rng, start = clip.range_in_parent(), clip.trimmed_range().start_time
            for m in clip.markers:
                add_marker(m, to_frames(rng.start_time + (m.marked_range.start_time - start)))
    markers.sort(key=lambda m: (m.frame, m.kind, m.label))

    sources = {path: _source_info(clip, path) for path, clip in first_use.items()}
    for ev in events:
        if ev.src_in >= sources[ev.clip].duration > 0:
            raise BackendError(f"clip {os.path.basename(ev.clip)!r} at frame {ev.rec_in} starts at "
                               f"{ev.src_in:.3f}s, after the end of its media "
                               f"({sources[ev.clip].duration:.3f}s)")
    meta = tl.metadata.get("editspec", {})
    size = size or meta.get("size")
    if not size:
        src = sources[events[0].clip]
        if not (src.width and src.height):
            raise BackendError(f"timeline {tl.name!r}: output size unknown (no editspec "
                               "metadata and the first clip's size is unknown)")
        size = (src.width, src.height)
    if dropped:
        log.warning("reading timeline %r drops: %s", tl.name, "; ".join(dropped))
    edl = EDL(fps=fps, size=(int(size[0]), int(size[1])), duration_frames=pos, music=music,
              events=tuple(events), markers=tuple(markers), recipe=str(meta.get("recipe", "")),
              seed=int(meta.get("seed", 0)), sources=sources,
              meta=dict(meta["meta"]) if "meta" in meta else {"timeline": tl.name})
    check_edl(edl)
    return edl


def read_timeline(path: str) -> EDL:
    """Read a timeline file with OTIO (adapter chosen by suffix) and convert it to an EDL.

    Raises
    ------
    EditspecError
        When the file cannot be read or is not a simple cut list (see :func:`timeline_to_edl`).
    """
    import opentimelineio as otio

    try:
        tl = otio.adapters.read_from_file(path)
    except Exception as exc:  # adapters raise anything from ValueError to their own errors
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EditspecError(f"{path}: cannot read timeline: {first}") from None
    if not isinstance(tl, otio.schema.Timeline):
        raise EditspecError(f"{path}: holds a {type(tl).__name__}, not a timeline")
    try:
        return timeline_to_edl(tl, base_dir=os.path.dirname(os.path.abspath(path)))
    except BackendError as exc:
        raise BackendError(f"{path}: {exc}") from None


def read_cut_frames(path: str, adapter_name: str | None = None, **adapter_args: Any) -> list[int]:
    """Return the record frames at which the first video track's clips start (after the first).

    Parameters
    ----------
    path : str
        A timeline file that OTIO can read.
    adapter_name : str, optional
        The adapter (default: by suffix).
    **adapter_args
        Passed to the adapter (``rate=`` for CMX 3600).
    """
    import opentimelineio as otio

    tl = otio.adapters.read_from_file(path, adapter_name=adapter_name, **adapter_args)
    track = tl.video_tracks()[0]
    rate = track.find_clips()[0].trimmed_range().duration.rate if track.find_clips() else 24
    return [round(c.range_in_parent().start_time.rescaled_to(rate).value)
            for c in track.find_clips()][1:]
