"""Reading OTIO timelines: a cut list made here or elsewhere becomes an EDL.

:func:`timeline_to_edl` reads the first enabled video track as the events (clips back
to back, dissolves as crossfades, ``LinearTimeWarp`` as speed), the titles tracks that
:func:`editspec.backends.otio.edl_to_timeline` writes (text clips with a
``GeneratorReference`` of kind ``Text``, image clips as logos), the ``editspec.*``
effects (reframing, speed ramps, zoom pulses), the first clip of the first audio track
as the music, and the markers. A timeline that editspec wrote reads back as the EDL
it was written from; positions and lengths always come from the timeline, so what an
editor moved or trimmed is what renders. See ``docs/interchange.md``.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import os
import urllib.parse
import urllib.request
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from editspec.edl import EDL, Event, Marker, MusicRef, SourceInfo, Transition, check_edl
from editspec.errors import BackendError, EditspecError

if TYPE_CHECKING:
    import opentimelineio as otio

log = logging.getLogger(__name__)

_EXTRA_EFFECTS = ("editspec.Reframe", "editspec.SpeedRamp", "editspec.ZoomPulse",
                  "LinearTimeWarp")


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


def _effect_meta(clip: otio.schema.Clip, effect_name: str) -> list[dict[str, Any]]:
    return [dict(e.metadata.get("editspec", {})) for e in clip.effects
            if e.effect_name == effect_name]


def _event_extras(clip: otio.schema.Clip, n: int, rate: float,
                  src_in: float) -> tuple[dict[str, Any], float | None]:
    """Return the EDL fields ``reframe``/``speed``/``audio`` of a V1 clip, and the source
    out point its speed implies (None: speed 1)."""
    import opentimelineio as otio

    meta = clip.metadata.get("editspec", {})
    extras: dict[str, Any] = {}
    reframe = _effect_meta(clip, "editspec.Reframe")
    if reframe:
        extras["reframe"] = reframe[0]
    if "audio" in meta:
        extras["audio"] = dict(meta["audio"])
    warps = [e for e in clip.effects if isinstance(e, otio.schema.LinearTimeWarp)]
    ramp = _effect_meta(clip, "editspec.SpeedRamp")
    src_out = None
    if ramp and "points" in ramp[0]:
        extras["speed"] = [list(p) for p in ramp[0]["points"]]
    elif warps and warps[0].time_scalar != 1:
        extras["speed"] = [[0, float(warps[0].time_scalar)]]
        src_out = round(src_in + n * float(warps[0].time_scalar) / rate, 6)
    return extras, src_out


def _overlays(tracks: list[otio.schema.Track], base_dir: str,
              to_frames: Any) -> list[dict[str, Any]]:
    """The EDL ``overlays`` of the titles tracks, in their original drawing order."""
    import opentimelineio as otio

    found: list[tuple[float, int, dict[str, Any]]] = []
    for lane, track in enumerate(tracks):
        for clip in track.find_clips():
            rng = clip.range_in_parent()
            first, end = to_frames(rng.start_time), to_frames(rng.end_time_exclusive())
            if end <= first:
                continue
            meta = clip.metadata.get("editspec", {})
            o = dict(meta.get("overlay", {}))
            ref = clip.media_reference
            if isinstance(ref, otio.schema.GeneratorReference):
                params = dict(ref.parameters)
                if not o and "text" not in params:
                    raise BackendError(f"title clip {clip.name!r} on {track.name!r} has no text")
                o = {**o, **params, "type": "text"}
            elif o:  # a rendered alpha clip of the overlay, or its image: the EDL fields
                pass
            elif isinstance(ref, otio.schema.ExternalReference) and ref.target_url:
                o = {"type": "image", "path": _url_to_path(ref.target_url, base_dir)}
            else:
                raise BackendError(f"clip {clip.name!r} on titles track {track.name!r} is "
                                   "neither a title nor an image file")
            o["rec_in"], o["rec_out"] = first, end
            order = meta.get("order")
            found.append((float(order) if order is not None else math.inf, lane * 10**6 + first,
                          o))
    found.sort(key=lambda f: (f[0], f[1]))
    return [o for _, _, o in found]


def timeline_to_edl(tl: otio.schema.Timeline, *, base_dir: str = ".",
                    size: tuple[int, int] | None = None) -> EDL:
    """Convert an OTIO timeline into an EDL.

    The first enabled video track gives the events (clips back to back; dissolves
    become crossfade transitions; ``LinearTimeWarp`` effects set the speed), the titles
    tracks (``metadata["editspec"]["role"] == "overlays"``) give the text and image
    overlays, the ``editspec.*`` effects give reframing, speed ramps and zoom pulses,
    the first clip of the first audio track gives the music window, and the markers of
    the stack, the tracks and the clips give the markers. Anything else is dropped with
    a warning.

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

    from editspec.edl import edl_from_dict, edl_to_dict

    dropped: list[str] = []
    all_videos = [t for t in tl.video_tracks() if t.enabled]
    title_tracks = [t for t in all_videos
                    if t.metadata.get("editspec", {}).get("role") == "overlays"]
    videos = [t for t in all_videos if t not in title_tracks]
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
    extras: list[dict[str, Any]] = []
    pulses: list[tuple[float, dict[str, Any]]] = []
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
        unknown = [e for e in item.effects if e.effect_name not in _EXTRA_EFFECTS
                   and not isinstance(e, otio.schema.LinearTimeWarp)]
        if unknown:
            names = ", ".join(e.effect_name or e.schema_name() for e in unknown)
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
        extra, speed_out = _event_extras(item, n, rate, src_in)
        src_out = speed_out if speed_out is not None else round(src_in + n / fps, 6)
        if (meta.get("frames") == n and "src_in" in meta and "src_out" in meta
                and abs(float(meta["src_in"]) - src_in) < 0.5 / rate):
            src_in, src_out = float(meta["src_in"]), float(meta["src_out"])
        for z in _effect_meta(item, "editspec.ZoomPulse"):
            pulses.append((float(z.get("order", len(pulses))),
                           {"frame": pos + int(z.get("offset", 0)), "frames": int(z["frames"]),
                            "amount": float(z.get("amount", 0.08))}))
        events.append(Event(path, src_in, src_out, pos, pos + n, pending, str(meta.get("why", ""))))
        extras.append(extra)
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
    overlays = _overlays(title_tracks, base_dir, to_frames)
    if not (overlays or pulses or any(extras) or "mix" in meta or "encode" in meta):
        return edl
    # the carried parts are EDL JSON fields: edl.py parses them as it parses a file
    data = edl_to_dict(edl)
    for ev_data, extra in zip(data["events"], extras, strict=True):
        ev_data.update(extra)
    data["overlays"] = overlays
    data["zoom_pulses"] = [p for _, p in sorted(pulses, key=lambda p: p[0])]
    for key in ("mix", "encode"):
        if key in meta:
            data[key] = dict(meta[key])
    try:
        return edl_from_dict(data)
    except EditspecError as exc:
        raise BackendError(f"timeline {tl.name!r}: {exc}") from None


def read_timeline(path: str) -> EDL:
    """Read a timeline file with OTIO (adapter chosen by suffix) and convert it to an EDL.

    Raises
    ------
    EditspecError
        When the file cannot be read or is not a cut list editspec renders (see
        :func:`timeline_to_edl`).
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
