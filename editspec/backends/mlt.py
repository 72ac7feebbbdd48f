"""MLT XML backend: the EDL as a project that ``melt``, Shotcut and Kdenlive open.

Written by hand with :mod:`xml.etree.ElementTree` (there is no OTIO adapter for MLT in
the adapter packages editspec uses). One ``avformat`` producer per event, a video
playlist of entries with frame-exact ``in``/``out`` (inclusive, at the profile's rate),
an audio playlist with the music window, and a tractor that mixes the two.

Reframing matches the ffmpeg backend's scale-to-cover and centre crop: each producer
carries MLT's ``crop`` filter with ``center=1``, which crops the source to the
profile's aspect ratio around its centre, so MLT's scaler fills the frame instead of
letterboxing. Markers are written as Shotcut markers (``shotcut:markers``); fades as
``volume`` filters. Transitions are not written (they become cuts, with a warning).
"""

from __future__ import annotations

import logging
import os
from typing import Any
from xml.etree import ElementTree as ET

from editspec.edl import EDL, check_edl
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
    from editspec.backends.otio import _marker_color

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
        src_len = (time_to_frame(src.duration, fps) if src else 0)
        first = time_to_frame(ev.src_in, fps)
        last = first + ev.frames - 1
        prod = ET.SubElement(root, "producer", id=f"clip{i}", **{"in": "0"},
                             out=str(max(src_len - 1, last)))
        _props(prod, length=max(src_len, last + 1), eof="pause", resource=os.path.abspath(ev.clip),
               mlt_service="avformat", seekable=1, audio_index=-1, video_index=0,
               shotcut_colon_caption=os.path.basename(ev.clip))
        crop = ET.SubElement(prod, "filter", id=f"cover{i}")
        _props(crop, mlt_service="crop", center=1, center_bias=0, use_profile=0)
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
               color=MARKER_RGB[_marker_color(m, sections)])
    for t in tracks:
        ET.SubElement(tractor, "track", producer=t, **({"hide": "video"} if t != "V1" else {}))
    if len(tracks) > 1:
        mix = ET.SubElement(tractor, "transition", id="mix0")
        _props(mix, a_track=0, b_track=1, mlt_service="mix", always_active=1, sum=1)
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
        ``beat_markers`` (bool): also mark every beat. Others are ignored.
    """
    from editspec.fsutil import atomic_path

    check_edl(edl)
    dropped = []
    fades = [e for e in edl.events if e.transition is not None and e.transition.frames > 0]
    if fades:
        dropped.append(f"{len(fades)} transitions (written as cuts)")
    off = [e for e in edl.events if abs(e.src_in * edl.fps - round(e.src_in * edl.fps)) > 1e-6]
    if off:
        dropped.append(f"sub-frame source in points of {len(off)} events (rounded to whole "
                       f"frames at {edl.fps} fps)")
    if dropped:
        log.warning("mlt export of %s drops: %s", path, "; ".join(dropped))
    doc = edl_to_mlt(edl, beat_markers=bool(options.get("beat_markers", False)))
    with atomic_path(path) as tmp:
        doc.write(tmp, encoding="utf-8", xml_declaration=True)
