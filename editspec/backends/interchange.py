"""What the OTIO-adapter formats share: counting what an edit holds, timecode rates,
overlay geometry, and the timeline edits several formats make.

The CMX 3600, FCP 7 XML and FCPXML backends start from the timeline
:func:`editspec.backends.otio.edl_to_timeline` builds. Each format module owns what its
format needs: a ``prepare(tl, edl)`` that changes the timeline so its adapter can write
it and returns what was dropped, and optionally a ``finish(text, tl, edl)`` that adds
to the written file what the adapter cannot write;
:func:`editspec.backends.otio.write_timeline` runs them and logs one warning that names
what this timeline loses in this format. This module imports no other backend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from editspec.edl import EDL, Event, ImageOverlay, Reframe, Speed, TextOverlay
from editspec.errors import BackendError

if TYPE_CHECKING:
    import opentimelineio as otio

@dataclass(frozen=True, slots=True)
class Extras:
    """What an edit draws beyond cuts and dissolves, counted for export warnings."""

    titles: int = 0
    """Text overlays."""
    logos: int = 0
    """Image overlays."""
    zoom_pulses: int = 0
    """Zoom pulses."""
    reframed: int = 0
    """Events with a reframe other than cover-centred (a subject centre or track,
    fit-blur, letterbox)."""
    tracked: int = 0
    """Events whose reframe follows a moving subject (a track)."""
    speed: int = 0
    """Events at a constant speed other than 100 %."""
    ramps: int = 0
    """Events with a speed ramp."""
    clip_audio: int = 0
    """Events that play their clip's own sound."""

    def describe(self, *fields: str) -> str:
        """Return ``"2 titles, 14 zoom pulses"`` for the named fields that are not 0."""
        names = {"titles": ("title", "titles"), "logos": ("logo", "logos"),
                 "zoom_pulses": ("zoom pulse", "zoom pulses"),
                 "reframed": ("reframed event", "reframed events"),
                 "tracked": ("subject-tracked event", "subject-tracked events"),
                 "speed": ("speed change", "speed changes"),
                 "ramps": ("speed ramp", "speed ramps"),
                 "clip_audio": ("event with its own sound", "events with their own sound")}
        parts = []
        for f in fields:
            n = getattr(self, f)
            if n:
                parts.append(f"{n} {names[f][n != 1]}")
        return ", ".join(parts)


def count_extras(edl: EDL) -> Extras:
    """Count what ``edl`` draws beyond cuts and dissolves."""
    def constant(ev: Event) -> bool:
        return ev.speed != Speed() and len(ev.speed.points) == 1

    return Extras(
        titles=sum(isinstance(o, TextOverlay) for o in edl.overlays),
        logos=sum(isinstance(o, ImageOverlay) for o in edl.overlays),
        zoom_pulses=len(edl.zoom_pulses),
        reframed=sum(ev.reframe != Reframe() for ev in edl.events),
        tracked=sum(bool(ev.reframe.track) for ev in edl.events),
        speed=sum(constant(ev) for ev in edl.events),
        ramps=sum(len(ev.speed.points) > 1 for ev in edl.events),
        clip_audio=sum(ev.audio.use for ev in edl.events))


TIMECODE_RATES = "23.976, 24, 25, 29.97, 30, 48, 50, 59.94 or 60"
"""The rates SMPTE timecode exists at (OTIO's ``is_smpte_timecode_rate``)."""


def is_timecode_rate(rate: float) -> bool:
    """Whether SMPTE timecode exists at ``rate`` frames per second."""
    import opentimelineio as otio

    return bool(otio.opentime.RationalTime.is_smpte_timecode_rate(rate))


def require_timecode_rate(edl: EDL, label: str) -> None:
    """Raise a one-line :class:`BackendError` when the edit's rate has no SMPTE timecode."""
    if not is_timecode_rate(float(edl.fps)):
        raise BackendError(f"{label} needs a timecode rate ({TIMECODE_RATES} fps); this edit "
                           f"is at {edl.fps} fps: plan it at one of those, or export otio, "
                           "fcpxml or mlt")


def frames_off_grid(seconds: float, fps: Fraction) -> bool:
    """Whether ``seconds`` is not on a whole frame at ``fps`` (within 1/1000 frame)."""
    value = Fraction(seconds) * fps
    return abs(value - round(value)) >= Fraction(1, 1000)


def common_drops(tl: otio.schema.Timeline, edl: EDL) -> list[str]:
    """What every frame-based adapter format loses: sub-frame times, transition kinds."""
    import opentimelineio as otio

    dropped = []
    off_frame = [ev for ev in edl.events if frames_off_grid(ev.src_in, edl.fps)]
    if off_frame:
        dropped.append(f"sub-frame source in points of {len(off_frame)} events (rounded to "
                       f"whole frames at {edl.fps} fps)")
    odd = [t for t in tl.video_tracks()[0].find_children(descended_from_type=otio.schema.Transition)
           if t.transition_type != otio.schema.TransitionTypes.SMPTE_Dissolve]
    if odd:
        kinds = ", ".join(sorted({t.name for t in odd}))
        dropped.append(f"{len(odd)} non-crossfade transitions ({kinds}; written as dissolves)")
        for t in odd:
            t.transition_type = otio.schema.TransitionTypes.SMPTE_Dissolve
    if edl.music is not None and frames_off_grid(edl.music.start, edl.fps):
        dropped.append(f"the sub-frame part of the music start {edl.music.start}s (rounded to "
                       f"a whole frame at {edl.fps} fps)")
    return dropped


def remove_title_tracks(tl: otio.schema.Timeline) -> None:
    """Remove the titles tracks (``metadata["editspec"]["role"] == "overlays"``)."""
    for t in [t for t in tl.tracks if t.metadata.get("editspec", {}).get("role") == "overlays"]:
        tl.tracks.remove(t)


def remove_effects(tl: otio.schema.Timeline, keep: Callable[[Any], bool] = lambda e: False
                   ) -> None:
    """Remove the effects of the first video track's clips, except those ``keep`` accepts."""
    for clip in tl.video_tracks()[0].find_clips():
        kept = [e for e in clip.effects if keep(e)]
        clip.effects[:] = kept


def markers_to_clips(tl: otio.schema.Timeline) -> int:
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


MARGIN = 0.06
"""Distance of edge positions from the frame's edge, a fraction of the output height (as
the ffmpeg backend's :data:`editspec.backends.ffmpeg.overlay.MARGIN`)."""


def title_layout(o: TextOverlay, size: tuple[int, int]) -> tuple[int, int, int, int, int] | None:
    """Return where the render draws a title: ``(x, y, width, height, font_size)`` pixels.

    From the text engine (:func:`editspec.text.raster.render_title_png`, which the ffmpeg
    backend composites), so exports place a title where the render does, at the size it
    was shrunk to; None where the text engine is not installed.
    """
    try:
        from editspec.text.raster import render_title_png
    except ImportError:
        return None
    img = render_title_png(o, size)
    return img.x, img.y, img.width, img.height, int(img.layout.size)


def title_font_size(o: TextOverlay, size: tuple[int, int]) -> int:
    """The font size a title is drawn at (after the text engine shrank it to fit)."""
    lay = title_layout(o, size)
    return lay[4] if lay is not None else o.size


def overlay_size(o: TextOverlay | ImageOverlay, size: tuple[int, int]) -> tuple[float, float]:
    """Return an overlay's (width, height) in output pixels.

    A title: as the render draws it (:func:`title_layout`), else its longest line at
    0.55 em per character by its lines' height; a logo: ``scale`` of the output width,
    at the image's aspect (read from its header with Pillow; square when it cannot be
    read).
    """
    if isinstance(o, TextOverlay):
        lay = title_layout(o, size)
        if lay is not None:
            return float(lay[2]), float(lay[3])
        lines = o.text.splitlines() or [""]
        return (0.55 * o.size * max(len(line) for line in lines), 1.2 * o.size * len(lines))
    w = o.scale * size[0]
    try:
        from PIL import Image

        with Image.open(o.path) as im:
            iw, ih = im.size
        return w, w * ih / iw
    except Exception:  # missing or unreadable: the NLE will say so; square is a guess
        return w, w


def overlay_center(o: TextOverlay | ImageOverlay, size: tuple[int, int]) -> tuple[float, float]:
    """Return the centre of an overlay on the output, normalized 0..1 (x right, y down).

    Named positions follow the ffmpeg backend's placement (edges at :data:`MARGIN` of the
    output height); ``"x,y"`` is the centre itself.

    Raises
    ------
    BackendError
        When the position is neither a known name nor ``"x,y"``.
    """
    width, height = size
    lay = title_layout(o, size) if isinstance(o, TextOverlay) else None
    if lay is not None:
        return (lay[0] + lay[2] / 2) / width, (lay[1] + lay[3] / 2) / height
    if "," in o.position:
        try:
            fx, fy = (float(v) for v in o.position.split(","))
        except ValueError:
            raise BackendError(f"overlay position {o.position!r} is not 'x,y' in 0..1") from None
        return fx, fy
    w, h = overlay_size(o, size)
    margin = MARGIN * height
    x, y = width / 2, height / 2
    if "left" in o.position:
        x = margin + w / 2
    if "right" in o.position:
        x = width - margin - w / 2
    if o.position.startswith("top"):
        y = margin + h / 2
    if o.position.startswith("bottom"):
        y = height - margin - h / 2
    return x / width, y / height


def parse_color(color: str) -> tuple[int, int, int, int]:
    """Return ``(r, g, b, a)`` 0..255 of ``#rrggbb[aa]`` or a basic colour name (else white)."""
    named = {"white": "#ffffff", "black": "#000000", "red": "#ff0000", "green": "#008000",
             "blue": "#0000ff", "yellow": "#ffff00", "cyan": "#00ffff", "magenta": "#ff00ff",
             "gray": "#808080", "grey": "#808080", "orange": "#ffa500"}
    c = color.split("@")[0]
    c = named.get(c.lower(), c)
    if not c.startswith("#") or len(c) not in (7, 9):
        return 255, 255, 255, 255
    try:
        r, g, b = (int(c[i:i + 2], 16) for i in (1, 3, 5))
        a = int(c[7:9], 16) if len(c) == 9 else 255
    except ValueError:
        return 255, 255, 255, 255
    return r, g, b, a
