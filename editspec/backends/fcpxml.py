"""FCPXML (Final Cut Pro X, also read by Resolve), by OTIO's ``fcpx_xml`` adapter plus
the parts it cannot write.

otio-fcpx-xml-adapter 1.0 writes clips, a music lane and markers on clips; it has no
titles, transitions or clip adjustments. :func:`finish` adds them to its XML with
ElementTree:

- titles as ``<title>`` elements of FCP's *Basic Title* (text, font, size, colour,
  position), connected to the spine clip under their first frame on lanes 1, 2 ...;
- logos as connected clips of the image file with ``<adjust-transform>`` (position,
  scale) and ``<adjust-blend>`` (opacity);
- dissolves as ``<transition>`` elements (*Cross Dissolve*) centred on their cut;
- reframing as ``<adjust-conform>`` (``fill`` for cover, ``fit`` for letterbox) and an
  ``<adjust-transform>`` position that puts the subject centre in the middle;
- zoom pulses as keyframes (linear) of ``<adjust-transform>``'s scale on the clips they
  fall on.

Speed changes, subject tracks (written at their mean centre) and the
blurred fill of ``fit-blur`` are dropped with one warning that counts them.
"""

from __future__ import annotations

import contextlib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from editspec.backends.interchange import (
    common_drops,
    count_extras,
    markers_to_clips,
    overlay_center,
    parse_color,
    remove_effects,
    remove_title_tracks,
    title_font_size,
)
from editspec.backends.otio import write_timeline
from editspec.edl import EDL, ImageOverlay, Reframe, TextOverlay

if TYPE_CHECKING:
    import opentimelineio as otio

NAME = "fcpxml"
SUFFIXES = (".fcpxml",)
ADAPTER = "fcpx_xml"
LABEL = "FCPXML"

BASIC_TITLE_UID = (".../Titles.localized/Bumper:Opener.localized/Basic Title.localized/"
                   "Basic Title.moti")
CROSS_DISSOLVE_UID = "FxPlug:4731E73A-8DAC-4113-9A30-AE85B1761265"
POSITION_KEY = "9999/999166631/999166633/1/100/101"
"""The *Basic Title* parameter key of its position (as Final Cut Pro writes it)."""


@contextlib.contextmanager
def _adapter_knows_rate(fps: Fraction) -> Iterator[None]:
    """While writing, the FCPXML adapter's rate table holds ``fps``'s exact frame duration.

    otio-fcpx-xml-adapter 1.0 has no way to be told a frame rate: its writer looks the
    ``frameDuration`` up in a module table (``FRAMERATE_FRAMEDURATION``) by ``int(rate)``
    and then ``float(rate)``, keyed ``23.98``, ``29.97``, ``59.94`` and whole rates, so
    OTIO's exact ``30000/1001`` (29.97002997...) or ``24000/1001``, or any rate the table
    lacks (12, 48), finds none and the writer fails on an empty ``frameDuration``. No
    option or hook of the adapter or of OTIO's plugin API sets it (read in the adapter's
    source, 1.0.0), so the entry is added for the one write and taken out again
    afterwards: other users of the adapter in this process never see it. Remove this
    when the adapter computes ``frameDuration`` from the rate itself.
    """
    import opentimelineio as otio

    # the module object OTIO's plugin loader runs (not necessarily sys.modules' copy)
    table = otio.adapters.from_name("fcpx_xml").module().FRAMERATE_FRAMEDURATION
    key = float(fps)
    added = key not in table
    if added:
        table[key] = f"{fps.denominator}/{fps.numerator}s"
    try:
        yield
    finally:
        if added:
            table.pop(key, None)


def prepare(tl: otio.schema.Timeline, edl: EDL) -> list[str]:
    """Change ``tl`` for the ``fcpx_xml`` adapter; return what is dropped.

    Transitions and the titles tracks are taken out of the timeline here and written
    by :func:`finish`, which adapters cannot do.
    """
    import opentimelineio as otio

    extras = count_extras(edl)
    dropped = []
    what = extras.describe("speed", "ramps", "clip_audio")
    if what:
        dropped.append(f"{what}: FCPXML is written here without those effects")
    if extras.tracked:
        dropped.append(f"subject tracks of {extras.tracked} events (held at their mean centre)")
    blur = sum(ev.reframe.mode == "fit-blur" for ev in edl.events)
    if blur:
        dropped.append(f"the blurred fill of {blur} fit-blur events (written as fit)")
    remove_effects(tl)
    dropped += common_drops(tl, edl)
    video = tl.video_tracks()[0]
    for t in list(video.find_children(descended_from_type=otio.schema.Transition)):
        video.remove(t)
    keep_clips = any(t.metadata.get("editspec", {}).get("alpha_clips") for t in tl.tracks)
    if not keep_clips:
        remove_title_tracks(tl)
    dropped.append("timeline metadata (recipe, editspec version, seed)")
    n_markers = len(tl.tracks.markers)
    if n_markers:
        lost = markers_to_clips(tl)
        dropped.append(f"marker colours of {n_markers} markers (FCPXML markers are on clips)")
        if lost:
            dropped.append(f"{lost} markers outside every clip")
    return dropped


def _seconds(text: str | None) -> Fraction:
    if not text:
        return Fraction(0)
    return Fraction(text.rstrip("s"))


def _time(seconds: Fraction) -> str:
    if seconds == 0:
        return "0s"
    return f"{seconds.numerator}/{seconds.denominator}s" if seconds.denominator != 1 \
        else f"{seconds.numerator}s"


class _Doc:
    """The adapter's XML with helpers to add resources and find spine clips."""

    def __init__(self, text: str, edl: EDL) -> None:
        self.root = ET.fromstring(text.encode("utf-8"))
        self.edl = edl
        self.resources = self.root.find("./resources")
        self.spine = self.root.find(".//sequence/spine")
        self.clips = [c for c in self.spine if c.tag == "clip"]
        ids = [int(e.get("id", "r0")[1:]) for e in self.resources
               if e.get("id", "").startswith("r")]
        self.next_id = max(ids, default=0) + 1
        fmt = self.root.find(".//sequence").get("format")
        self.format_id = fmt
        self.n_styles = 0

    def new_id(self) -> str:
        rid = f"r{self.next_id}"
        self.next_id += 1
        return rid

    def effect(self, name: str, uid: str) -> str:
        for e in self.resources.findall("effect"):
            if e.get("uid") == uid:
                return e.get("id")
        rid = self.new_id()
        ET.SubElement(self.resources, "effect", id=rid, name=name, uid=uid)
        return rid

    def seconds(self, frame: int) -> Fraction:
        return Fraction(frame) / self.edl.fps

    def parent_at(self, frame: int) -> tuple[ET.Element, Fraction]:
        """The spine clip under output ``frame`` and ``frame`` in that clip's time."""
        t = self.seconds(frame)
        for clip in self.clips:
            off, dur = _seconds(clip.get("offset")), _seconds(clip.get("duration"))
            if off <= t < off + dur or clip is self.clips[-1]:
                return clip, _seconds(clip.get("start")) + (t - off)
        raise AssertionError("no spine clips")

    def connect(self, parent: ET.Element, child: ET.Element) -> None:
        """Insert a connected item before the parent's markers (FCPXML's element order)."""
        kids = list(parent)
        at = next((i for i, k in enumerate(kids) if k.tag == "marker"), len(kids))
        parent.insert(at, child)

    def text(self) -> str:
        ET.indent(self.root, space="    ")
        body = ET.tostring(self.root, encoding="unicode")
        return '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n\n' + body + "\n"


def _add_title(doc: _Doc, o: TextOverlay, lane: int) -> None:
    w, h = doc.edl.size
    parent, start = doc.parent_at(o.rec_in)
    x, y = overlay_center(o, doc.edl.size)
    title = ET.Element("title", ref=doc.effect("Basic Title", BASIC_TITLE_UID), lane=str(lane),
                       offset=_time(start), duration=_time(doc.seconds(o.rec_out - o.rec_in)),
                       start="3600s", name=(o.text.splitlines() or ["title"])[0][:60])
    # Basic Title's position: pixels from the frame's centre, y up
    ET.SubElement(title, "param", name="Position", key=POSITION_KEY,
                  value=f"{round((x - 0.5) * w, 1):g} {round((0.5 - y) * h, 1):g}")
    doc.n_styles += 1
    sid = f"ts{doc.n_styles}"
    text = ET.SubElement(title, "text")
    ET.SubElement(text, "text-style", ref=sid).text = o.text
    style_def = ET.SubElement(title, "text-style-def", id=sid)
    r, g, b, a = parse_color(o.color)
    font = "DejaVu Sans"
    if o.font:
        import os

        font = os.path.splitext(os.path.basename(o.font))[0]
    ET.SubElement(style_def, "text-style", font=font, fontSize=str(title_font_size(o, (w, h))),
                  fontColor=f"{r / 255:.4g} {g / 255:.4g} {b / 255:.4g} {a / 255:.4g}",
                  alignment="center")
    doc.connect(parent, title)


def _add_logo(doc: _Doc, o: ImageOverlay, lane: int) -> None:
    import os

    from editspec.backends.otio import file_url

    w, h = doc.edl.size
    asset = doc.new_id()
    ET.SubElement(doc.resources, "asset", id=asset, name=os.path.basename(o.path),
                  src=file_url(o.path), start="0s", duration="0s", hasVideo="1", hasAudio="0",
                  format=doc.format_id)
    parent, start = doc.parent_at(o.rec_in)
    x, y = overlay_center(o, doc.edl.size)
    dur = _time(doc.seconds(o.rec_out - o.rec_in))
    clip = ET.Element("clip", name=os.path.basename(o.path), lane=str(lane), offset=_time(start),
                      duration=dur)
    # position in percent of the frame height from its centre (y up); the still is
    # fitted to the frame first, so its scale is the logo's width over the fitted width
    ET.SubElement(clip, "adjust-transform",
                  position=f"{round((x - 0.5) * w / h * 100, 3):g} {round((0.5 - y) * 100, 3):g}",
                  scale=f"{o.scale:g} {o.scale:g}")
    if o.opacity < 1:
        ET.SubElement(clip, "adjust-blend", amount=f"{o.opacity:g}")
    ET.SubElement(clip, "video", ref=asset, offset="0s", duration=dur)
    doc.connect(parent, clip)


def _add_reframe(doc: _Doc, clip: ET.Element, reframe: Reframe, src: Any) -> None:
    w, h = doc.edl.size
    fit = reframe.mode in ("letterbox", "fit-blur")
    adjust = [ET.Element("adjust-conform", type="fit" if fit else "fill")]
    if not fit and src is not None and src.width and src.height:
        cx, cy = reframe.center
        if reframe.track:
            cx = sum(p[1] for p in reframe.track) / len(reframe.track)
            cy = sum(p[2] for p in reframe.track) / len(reframe.track)
        s = max(w / src.width, h / src.height)
        sw, sh = src.width * s, src.height * s
        dx = max(-(sw - w) / 2, min((sw - w) / 2, (0.5 - cx) * sw))
        dy = max(-(sh - h) / 2, min((sh - h) / 2, (0.5 - cy) * sh))
        if dx or dy:
            adjust.append(ET.Element("adjust-transform",
                                     position=f"{round(dx / h * 100, 3):g} "
                                              f"{round(-dy / h * 100, 3):g}"))
    for k, el in enumerate(adjust):
        clip.insert(k, el)


def zoom_at(edl: EDL, frame: int) -> float:
    """The zoom of the EDL's pulses at an output frame (as the ffmpeg backend's zoompan)."""
    return 1 + sum(z.amount * (1 - (frame - z.frame) / z.frames) for z in edl.zoom_pulses
                   if z.frame <= frame < z.frame + z.frames)


def _add_pulses(doc: _Doc, clip: ET.Element, first: int, end: int) -> None:
    """Keyframe the clip's scale where zoom pulses fall on output frames ``first..end-1``.

    The zoom is linear between the frames where a pulse starts or ends, so keyframes
    there (linear curves) give every frame the render's zoom.
    """
    edl = doc.edl
    marks: set[int] = set()
    for z in edl.zoom_pulses:
        if z.frame < end and first < z.frame + z.frames:
            marks.update((z.frame - 1, z.frame, z.frame + z.frames - 1, z.frame + z.frames))
            if z.frame < first:
                marks.add(first)
    frames = sorted(f for f in marks if first <= f < end)
    if not frames:
        return
    adjust = clip.find("adjust-transform")
    if adjust is None:
        adjust = ET.Element("adjust-transform")
        kids = list(clip)
        at = next((i for i, k in enumerate(kids) if not k.tag.startswith("adjust-")), len(kids))
        clip.insert(at, adjust)
    param = ET.SubElement(adjust, "param", name="scale")
    anim = ET.SubElement(param, "keyframeAnimation")
    start = _seconds(clip.get("start"))
    for f in frames:
        z = f"{zoom_at(edl, f):.6f}".rstrip("0").rstrip(".")
        ET.SubElement(anim, "keyframe", time=_time(start + doc.seconds(f - first)),
                      value=f"{z} {z}", curve="linear")


def finish(text: str, tl: otio.schema.Timeline, edl: EDL) -> str:
    """Add titles, logos, transitions and reframing to the adapter's FCPXML."""
    from editspec.backends.otio import overlay_lanes

    doc = _Doc(text, edl)
    if len(doc.clips) == len(edl.events):
        for clip, ev in zip(doc.clips, edl.events, strict=True):
            if ev.reframe != Reframe():
                _add_reframe(doc, clip, ev.reframe, edl.sources.get(ev.clip))
            _add_pulses(doc, clip, ev.rec_in, ev.rec_out)
        dissolve = None
        for k, ev in enumerate(edl.events):
            if ev.transition is None or ev.transition.frames <= 0 or k == 0:
                continue
            dissolve = dissolve or doc.effect("Cross Dissolve", CROSS_DISSOLVE_UID)
            before = ev.transition.frames // 2
            tr = ET.Element("transition", name="Cross Dissolve",
                            offset=_time(doc.seconds(ev.rec_in - before)),
                            duration=_time(doc.seconds(ev.transition.frames)))
            ET.SubElement(tr, "filter-video", ref=dissolve, name="Cross Dissolve")
            doc.spine.insert(list(doc.spine).index(doc.clips[k]), tr)
    as_clips = any(t.metadata.get("editspec", {}).get("alpha_clips") for t in tl.tracks)
    if not as_clips:
        for o, lane in zip(edl.overlays, overlay_lanes(edl.overlays), strict=True):
            if isinstance(o, TextOverlay):
                _add_title(doc, o, lane + 1)
            else:
                _add_logo(doc, o, lane + 1)
    return doc.text()


def write(edl: EDL, path: str, **options: Any) -> None:
    """Write an EDL as an ``.fcpxml`` file, atomically.

    Parameters
    ----------
    edl : EDL
        The edit.
    path : str
        Output file.
    **options
        ``beat_markers`` (bool): also mark every beat; ``titles_as_clips`` (bool):
        titles and logos as rendered alpha clips on lanes above the edit.
    """
    with _adapter_knows_rate(edl.fps):
        write_timeline(edl, path, ADAPTER, prepare=prepare, finish=finish, label=LABEL,
                       **options)
