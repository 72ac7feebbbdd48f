"""MLT XML backend: the EDL as a project that ``melt``, Shotcut and Kdenlive open.

Written by hand with :mod:`xml.etree.ElementTree` (there is no OTIO adapter for MLT in
the adapter packages editspec uses). One ``avformat`` producer per event, a video
playlist of entries with frame-exact ``in``/``out`` (inclusive, at the profile's rate),
an audio playlist with the music window, and a tractor that mixes the two.

Reframing matches the ffmpeg backend's scale-to-cover crop: each producer carries
MLT's ``crop`` filter, with ``center=1`` (crop the source to the profile's aspect
ratio around its centre, so MLT's scaler fills the frame instead of letterboxing) or,
for a subject centre, the explicit ``left``/``right``/``top``/``bottom`` that put that
centre in the middle; ``letterbox`` events have no crop (melt letterboxes).

What is drawn over the edit goes on the tractor as filters of track 0, with the
frames they cover (``in``/``out``), in the ffmpeg backend's order: zoom pulses as
``affine`` filters (a keyframed ``transition.rect`` that falls linearly from the
pulse's zoom to none), then titles as ``text`` filters (text, font family, size,
colour, box) and logos as ``watermark`` filters (image, rectangle, opacity).

Markers are written as Shotcut markers (``shotcut:markers``); fades as ``volume``
filters. A constant speed is MLT's ``timewarp`` producer (a ramp: at its mean speed).
Transitions, the shape of speed ramps, the blurred fill of ``fit-blur`` and moving
subject tracks (held at their mean centre) are not written, with one warning that
counts them.
"""

from __future__ import annotations

import logging
import os
from typing import Any
from xml.etree import ElementTree as ET

from editspec.backends.interchange import (
    count_extras,
    frames_off_grid,
    overlay_center,
    overlay_size,
    parse_color,
    title_font_size,
)
from editspec.edl import EDL, Event, ImageOverlay, SourceInfo, TextOverlay, check_edl
from editspec.timecode import time_to_frame

log = logging.getLogger(__name__)

NAME = "mlt"
SUFFIXES = (".mlt",)

MARKER_RGB = {"GREEN": "#00ff00", "YELLOW": "#ffff00", "CYAN": "#00ffff", "MAGENTA": "#ff00ff",
              "ORANGE": "#ffa500", "PURPLE": "#a020f0", "PINK": "#ffc0cb", "BLUE": "#0000ff",
              "RED": "#ff0000", "WHITE": "#ffffff"}


def _props(parent: ET.Element, **props: object) -> None:
    for key, value in props.items():
        ET.SubElement(parent, "property", name=key.replace("__", ".").replace("_colon_", ":")
                      ).text = str(value)


def _clock(frame: int, edl: EDL) -> str:
    """Return MLT's ``hh:mm:ss.mmm`` clock string of an output frame."""
    ms = round(frame * 1000 * edl.fps.denominator / edl.fps.numerator)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    return f"{h:02d}:{m:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def _crop_props(ev: Event, src: SourceInfo | None, w: int, h: int) -> dict[str, object]:
    """The ``crop`` filter of an event: cover around its (mean) subject centre; none for
    letterbox and fit-blur."""
    if ev.reframe.mode != "cover":
        return {}
    cx, cy = ev.reframe.center
    if ev.reframe.track:
        cx = sum(p[1] for p in ev.reframe.track) / len(ev.reframe.track)
        cy = sum(p[2] for p in ev.reframe.track) / len(ev.reframe.track)
    if (cx, cy) == (0.5, 0.5) or src is None or not (src.width and src.height):
        return {"mlt_service": "crop", "center": 1, "center_bias": 0, "use_profile": 0}
    sw, sh = src.width, src.height
    if sw * h > sh * w:  # wider than the output: crop left and right
        cw = round(sh * w / h)
        left = max(0, min(sw - cw, round(cx * sw - cw / 2)))
        return {"mlt_service": "crop", "left": left, "right": sw - cw - left, "top": 0,
                "bottom": 0, "use_profile": 0}
    ch = round(sw * h / w)
    top = max(0, min(sh - ch, round(cy * sh - ch / 2)))
    return {"mlt_service": "crop", "left": 0, "right": 0, "top": top, "bottom": sh - ch - top,
            "use_profile": 0}


def _mlt_color(color: str) -> str:
    r, g, b, a = parse_color(color)
    return f"0x{r:02x}{g:02x}{b:02x}{a:02x}"


def _font_family(path: str) -> str:
    """The family name of a font file (Pillow reads it); DejaVu Sans for the default."""
    if not path:
        return "DejaVu Sans"
    try:
        from PIL import ImageFont

        return str(ImageFont.truetype(path, 12).getname()[0])
    except Exception:  # unreadable: the family fontconfig falls back to
        return os.path.splitext(os.path.basename(path))[0]


def _add_overlays(tractor: ET.Element, edl: EDL) -> None:
    """Zoom pulses, titles and logos as filters of the tractor's track 0."""
    w, h = edl.size
    for z in edl.zoom_pulses:
        last = z.frame + z.frames - 1

        def rect(k: int, z: object = z) -> str:
            zoom = 1 + z.amount * (1 - k / z.frames)  # type: ignore[attr-defined]
            zw, zh = w * zoom, h * zoom
            return f"{(w - zw) / 2:.2f} {(h - zh) / 2:.2f} {zw:.2f} {zh:.2f} 1"

        f = ET.SubElement(tractor, "filter", **{"in": str(z.frame)}, out=str(last), track="0")
        _props(f, mlt_service="affine", transition__rect=f"0={rect(0)};{z.frames - 1}="
                                                         f"{rect(z.frames - 1)}",
               editspec__what="zoom pulse")
    for o in edl.overlays:
        x, y = overlay_center(o, edl.size)
        ow, oh = overlay_size(o, edl.size)
        f = ET.SubElement(tractor, "filter", **{"in": str(o.rec_in)}, out=str(o.rec_out - 1),
                          track="0")
        if isinstance(o, TextOverlay):
            box_h = oh + (o.size // 2 if o.box else 0)
            font_size = title_font_size(o, edl.size)
            outline = getattr(o, "outline", "")  # EDL version 3 fields
            _props(f, mlt_service="text", argument=o.text,
                   geometry=f"0 {round(y * h - box_h / 2)} {w} {round(box_h)}",
                   family=_font_family(o.font), size=font_size,
                   weight=getattr(o, "weight", 400), fgcolour=_mlt_color(o.color),
                   bgcolour=_mlt_color(o.box) if o.box else "0x00000000",
                   olcolour=_mlt_color(outline) if outline else "0x00000000",
                   outline=max(1, font_size // 16) if outline else 0,
                   pad=font_size // 4 if o.box else 0, halign="center", valign="middle",
                   editspec__what="title")
        elif isinstance(o, ImageOverlay):
            _props(f, mlt_service="watermark", resource=os.path.abspath(o.path),
                   composite__geometry=f"{round(x * w - ow / 2)} {round(y * h - oh / 2)} "
                                       f"{round(ow)} {round(oh)} {o.opacity:g}",
                   composite__fill=1, composite__distort=0, editspec__what="logo")


def edl_to_mlt(edl: EDL, *, beat_markers: bool = False) -> ET.ElementTree:
    """Build the MLT XML document of an EDL.

    Parameters
    ----------
    edl : EDL
        The edit.
    beat_markers : bool
        Also mark every beat (downbeats and section starts are always marked).

    Returns
    -------
    xml.etree.ElementTree.ElementTree
        An ``<mlt>`` document with one profile at the EDL's exact rate and size.
    """
    from editspec import __version__
    from editspec.backends.otio import marker_color, mean_speed

    w, h = edl.size
    fps = edl.fps
    root = ET.Element("mlt", LC_NUMERIC="C", version="7.0.0", producer="main_bin",
                      title=os.path.basename(edl.recipe) or "editspec")
    ET.SubElement(root, "profile", description=f"editspec {w}x{h} {fps}", width=str(w),
                  height=str(h), progressive="1", sample_aspect_num="1", sample_aspect_den="1",
                  display_aspect_num=str(w), display_aspect_den=str(h),
                  frame_rate_num=str(fps.numerator), frame_rate_den=str(fps.denominator),
                  colorspace="709")
    entries = []
    for i, ev in enumerate(edl.events):
        src = edl.sources.get(ev.clip)
        speed = round(mean_speed(ev.speed.points, ev.frames), 6)
        # MLT's timewarp producer, whose frame k is source frame speed * k (a ramp: its mean)
        src_len = (time_to_frame(src.duration / speed, fps) if src else 0)
        first = time_to_frame(ev.src_in / speed, fps)
        last = first + ev.frames - 1
        prod = ET.SubElement(root, "producer", id=f"clip{i}", **{"in": "0"},
                             out=str(max(src_len - 1, last)))
        path = os.path.abspath(ev.clip)
        if speed != 1:
            _props(prod, length=max(src_len, last + 1), eof="pause",
                   resource=f"{speed:g}:{path}", mlt_service="timewarp", warp_speed=f"{speed:g}",
                   warp_resource=path, audio_index=-1, video_index=0,
                   shotcut_colon_caption=f"{os.path.basename(ev.clip)} ({speed:g}x)")
        else:
            _props(prod, length=max(src_len, last + 1), eof="pause", resource=path,
                   mlt_service="avformat", seekable=1, audio_index=-1, video_index=0,
                   shotcut_colon_caption=os.path.basename(ev.clip))
        crop = _crop_props(ev, src, w, h)
        if crop:
            _props(ET.SubElement(prod, "filter", id=f"cover{i}"), **crop)
        entries.append((f"clip{i}", first, last))
    main = ET.SubElement(root, "playlist", id="main_bin")
    _props(main, xml_retain=1)
    video = ET.SubElement(root, "playlist", id="V1")
    _props(video, shotcut_colon_video=1, shotcut_colon_name="V1")
    for pid, first, last in entries:
        ET.SubElement(video, "entry", producer=pid, **{"in": str(first)}, out=str(last))
    tracks = ["V1"]
    if edl.music is not None:
        start = time_to_frame(edl.music.start, fps)
        music = ET.SubElement(root, "producer", id="music", **{"in": "0"},
                              out=str(start + edl.duration_frames - 1))
        _props(music, length=start + edl.duration_frames, eof="pause",
               resource=os.path.abspath(edl.music.path), mlt_service="avformat",
               video_index=-1, audio_index=0,
               shotcut_colon_caption=os.path.basename(edl.music.path))
        audio = ET.SubElement(root, "playlist", id="A1")
        _props(audio, shotcut_colon_audio=1, shotcut_colon_name="A1")
        entry = ET.SubElement(audio, "entry", producer="music", **{"in": str(start)},
                              out=str(start + edl.duration_frames - 1))
        for kind, seconds in (("in", edl.music.fade_in), ("out", edl.music.fade_out)):
            n = min(time_to_frame(seconds, fps), edl.duration_frames)
            if n > 0:
                a, b = (0, n - 1) if kind == "in" else (edl.duration_frames - n,
                                                        edl.duration_frames - 1)
                f = ET.SubElement(entry, "filter", **{"in": str(a)}, out=str(b))
                _props(f, mlt_service="volume", gain=0 if kind == "in" else 1,
                       end=1 if kind == "in" else 0,
                       shotcut_colon_filter=f"fade{kind.title()}Audio")
        tracks.append("A1")
    tractor = ET.SubElement(root, "tractor", id="tractor0", title="editspec", **{"in": "0"},
                            out=str(edl.duration_frames - 1))
    _props(tractor, shotcut=1, editspec__version=__version__, editspec__recipe=edl.recipe)
    markers = ET.SubElement(tractor, "properties", name="shotcut:markers")
    sections: dict[str, str] = {}
    for k, m in enumerate(mk for mk in edl.markers if beat_markers or mk.kind != "beat"):
        one = ET.SubElement(markers, "properties", name=str(k))
        _props(one, text=m.label or m.kind, start=_clock(m.frame, edl), end=_clock(m.frame, edl),
               color=MARKER_RGB[marker_color(m, sections)])
    for t in tracks:
        ET.SubElement(tractor, "track", producer=t, **({"hide": "video"} if t != "V1" else {}))
    if len(tracks) > 1:
        mix = ET.SubElement(tractor, "transition", id="mix0")
        _props(mix, a_track=0, b_track=1, mlt_service="mix", always_active=1, sum=1)
    _add_overlays(tractor, edl)
    ET.indent(root)
    return ET.ElementTree(root)


def write(edl: EDL, path: str, **options: Any) -> None:
    """Write an EDL as an MLT XML file, atomically.

    Parameters
    ----------
    edl : EDL
        The edit.
    path : str
        Output ``.mlt`` file.
    **options
        ``beat_markers`` (bool): also mark every beat. Others (``titles_as_clips``: melt
        draws the titles itself) are ignored.
    """
    from editspec.fsutil import atomic_path

    check_edl(edl)
    dropped = []
    extras = count_extras(edl)
    if extras.clip_audio:
        dropped.append(f"{extras.describe('clip_audio')} (MLT is written here with the music "
                       "only)")
    if extras.ramps:
        dropped.append(f"{extras.describe('ramps')} (MLT is written here at each ramp's "
                       "mean speed)")
    if extras.tracked:
        dropped.append(f"subject tracks of {extras.tracked} events (held at their mean centre)")
    blur = sum(ev.reframe.mode == "fit-blur" for ev in edl.events)
    if blur:
        dropped.append(f"the blurred fill of {blur} fit-blur events (letterboxed)")
    fades = [e for e in edl.events if e.transition is not None and e.transition.frames > 0]
    if fades:
        dropped.append(f"{len(fades)} transitions (written as cuts)")
    off = [e for e in edl.events if frames_off_grid(e.src_in, edl.fps)]
    if off:
        dropped.append(f"sub-frame source in points of {len(off)} events (rounded to whole "
                       f"frames at {edl.fps} fps)")
    if dropped:
        log.warning("MLT export of %s drops: %s", path, "; ".join(dropped))
    doc = edl_to_mlt(edl, beat_markers=bool(options.get("beat_markers", False)))
    with atomic_path(path) as tmp:
        doc.write(tmp, encoding="utf-8", xml_declaration=True)
