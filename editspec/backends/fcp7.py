"""Final Cut Pro 7 XML (xmeml, imported by Premiere and Resolve), by OTIO's ``fcp_xml``.

Starts from :func:`editspec.backends.otio.edl_to_timeline`'s timeline and writes what
the adapter can carry: clips, dissolves and markers; titles as ``generatoritem``s of
FCP's ``Text`` generator (text, font, size, colour, origin) on a video track above the
edit; logos as clips of the image file with a *Basic Motion* filter (scale and centre)
and an *Opacity* filter. Zoom pulses, reframing and speed changes are dropped with
one warning that counts them for this timeline.

FCP 7 XML writes SMPTE timecode, which exists at 23.976, 24, 25, 29.97, 30, 48, 50,
59.94 and 60 fps only: a source clip at another rate (20 fps, 12 fps ...) is described
at the sequence's rate (with a warning naming it); a sequence at another rate cannot
be written (a one-line error naming the rate).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from editspec.backends.interchange import (
    common_drops,
    count_extras,
    is_timecode_rate,
    overlay_center,
    overlay_size,
    parse_color,
    remove_effects,
    require_timecode_rate,
    title_font_size,
)
from editspec.backends.otio import write_timeline
from editspec.edl import EDL, ImageOverlay, TextOverlay

if TYPE_CHECKING:
    import opentimelineio as otio

NAME = "fcp7"
SUFFIXES = (".xml",)
ADAPTER = "fcp_xml"
LABEL = "FCP 7 XML"


def _param(pid: str, name: str, value: Any) -> dict[str, Any]:
    return {"parameterid": pid, "name": name, "value": value}


def _title_effect(o: TextOverlay, size: tuple[int, int]) -> dict[str, Any]:
    """The ``fcp_xml`` metadata that makes the adapter write a Text ``generatoritem``."""
    x, y = overlay_center(o, size)
    r, g, b, a = parse_color(o.color)
    font = os.path.splitext(os.path.basename(o.font))[0] if o.font else "DejaVu Sans"
    return {"effecttype": "generator", "mediatype": "video", "effectcategory": "Text",
            "parameter": [
                _param("str", "Text", o.text),
                _param("fontname", "Font", font),
                _param("fontsize", "Size", title_font_size(o, size)),
                _param("fontalign", "Alignment", 2),  # centre
                _param("fontcolor", "Font Color",
                       {"alpha": a, "red": r, "green": g, "blue": b}),
                _param("origin", "Origin", {"horiz": round(x - 0.5, 4),
                                            "vert": round(y - 0.5, 4)})]}


def _motion_filters(o: ImageOverlay, size: tuple[int, int]) -> dict[str, Any]:
    """``fcp_xml`` clip metadata: Basic Motion (scale, centre) and Opacity filters."""
    x, y = overlay_center(o, size)
    w, _ = overlay_size(o, size)
    try:
        from PIL import Image

        with Image.open(o.path) as im:
            native = im.size[0]
    except Exception:
        native = 0
    scale = round(100 * w / native, 3) if native else round(100 * o.scale, 3)
    motion = {"name": "Basic Motion", "effectid": "basic", "effectcategory": "motion",
              "effecttype": "motion", "mediatype": "video",
              "parameter": [_param("scale", "Scale", scale),
                            _param("center", "Center", {"horiz": round(x - 0.5, 4),
                                                        "vert": round(y - 0.5, 4)})]}
    opacity = {"name": "Opacity", "effectid": "opacity", "effectcategory": "motion",
               "effecttype": "motion", "mediatype": "video",
               "parameter": [_param("opacity", "opacity", round(100 * o.opacity, 3))]}
    return {"filter": [{"effect": motion}, {"effect": opacity}]}


def prepare(tl: otio.schema.Timeline, edl: EDL) -> list[str]:
    """Change ``tl`` for the ``fcp_xml`` adapter; return what was dropped.

    Raises
    ------
    BackendError
        When the edit's rate has no SMPTE timecode.
    """
    import opentimelineio as otio

    require_timecode_rate(edl, LABEL)
    extras = count_extras(edl)
    dropped = []
    what = extras.describe("zoom_pulses", "reframed", "speed", "ramps", "clip_audio")
    if what:
        dropped.append(f"{what}: FCP 7 XML is written here without those effects")
    remove_effects(tl)
    rate = float(edl.fps)
    odd_rates = {}
    for clip in tl.video_tracks()[0].find_clips():
        ref = clip.media_reference
        avail = ref.available_range
        if avail is not None and not is_timecode_rate(avail.duration.rate):
            odd_rates[clip.name] = avail.duration.rate
            ref.available_range = otio.opentime.TimeRange(
                avail.start_time.rescaled_to(rate), avail.duration.rescaled_to(rate))
    for name, src_rate in sorted(odd_rates.items()):
        dropped.append(f"the {src_rate:g} fps rate of clip {name!r} (FCP 7 XML timecode has "
                       f"no {src_rate:g} fps; its file is described at {edl.fps} fps)")
    for track in tl.video_tracks()[1:]:
        for clip in track.find_clips():
            meta = clip.metadata.get("editspec", {})
            if "order" not in meta:
                continue
            o = edl.overlays[int(meta["order"])]
            if track.metadata.get("editspec", {}).get("alpha_clips"):
                continue  # full-frame rendered clips: placed as they are
            if isinstance(o, TextOverlay):
                clip.media_reference.name = "Text"
                clip.media_reference.metadata["fcp_xml"] = _title_effect(o, edl.size)
            elif isinstance(o, ImageOverlay):
                clip.metadata["fcp_xml"] = _motion_filters(o, edl.size)
    dropped += common_drops(tl, edl)
    dropped.append("timeline metadata (recipe, editspec version, seed)")
    if tl.tracks.markers:
        dropped.append(f"colours of {len(tl.tracks.markers)} markers (FCP 7 XML markers have "
                       "none)")
    return dropped


def write(edl: EDL, path: str, **options: Any) -> None:
    """Write an EDL as a ``.xml`` file, atomically.

    Parameters
    ----------
    edl : EDL
        The edit.
    path : str
        Output file.
    **options
        ``beat_markers`` (bool): also mark every beat; ``titles_as_clips`` (bool):
        titles and logos as rendered alpha clips on their own tracks.

    Raises
    ------
    BackendError
        When the edit's rate has no SMPTE timecode, or the adapter fails.
    """
    write_timeline(edl, path, ADAPTER, prepare=prepare, label=LABEL, **options)
