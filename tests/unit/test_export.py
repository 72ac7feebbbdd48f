"""Interchange backends: EDL → OTIO → EDL, and every format read back by its own reader.

Each exported file is read back by the OTIO adapter of its format (no mocks) and must
give the EDL's cut frames (0 frames off) and source in points; MLT is checked by
structure here and rendered by ``melt`` in ``tests/e2e/test_interchange.py``.
"""

from __future__ import annotations

import itertools
import logging
import xml.etree.ElementTree as ET
from fractions import Fraction

import opentimelineio as otio
import pytest

from editspec.backends import backend_for_path, get_backend
from editspec.backends.otio import (
    edl_to_timeline,
    read_cut_frames,
    read_timeline,
    timeline_to_edl,
)
from editspec.cli import EXPORT_FORMATS
from editspec.edl import (
    EDL,
    Event,
    Marker,
    MusicRef,
    SourceInfo,
    Transition,
    edl_from_dict,
    edl_to_dict,
)

NTSC = Fraction(30000, 1001)
FORMATS = {  # name: (suffix, adapter, read-back options)
    "otio": (".otio", "otio_json", {}),
    "cmx3600": (".edl", "cmx_3600", {}),
    "fcp7": (".xml", "fcp_xml", {}),
    "fcpxml": (".fcpxml", "fcpx_xml", {}),
}


def make_edl(fps: Fraction = Fraction(30), *, transitions: bool = False,
             bounds: tuple[int, ...] = (0, 37, 60, 97, 120, 150)) -> EDL:
    """An EDL whose source in points sit on source frames (sources at the output rate)."""
    clips = ["/media/a.mp4", "/media/b.mp4", "/media/c clip.mp4"]
    events = []
    for i, (a, b) in enumerate(itertools.pairwise(bounds)):
        src_in = float(Fraction(11 + 7 * i) / fps)
        tr = Transition("crossfade", 8) if transitions and i == 2 else (
            Transition("dip", 6) if transitions and i == 3 else None)
        events.append(Event(clips[i % 3], round(src_in, 6), round(src_in + (b - a) / fps, 6),
                            a, b, tr, why=f"beat {i}"))
    markers = [Marker(f, "downbeat" if f % 60 == 0 else "beat") for f in range(0, bounds[-1], 15)]
    markers += [Marker(0, "section", "intro"), Marker(60, "section", "chorus"),
                Marker(120, "section", "intro")]
    markers.sort(key=lambda m: (m.frame, m.kind, m.label))
    data = edl_to_dict(EDL(
        fps=fps, size=(1080, 1920), duration_frames=bounds[-1],
        music=MusicRef("/media/song.ogg", 2.0, 0.5, 1.0), events=tuple(events),
        markers=tuple(markers), recipe="/work/r/recipe.yaml", seed=7,
        sources={c: SourceInfo(20.0, fps, 1920, 1080) for c in clips}, meta={"tempo": 120.0}))
    return edl_from_dict(data)  # as it comes from a JSON file


@pytest.mark.parametrize("fps", [Fraction(30), NTSC, Fraction(25), Fraction(24000, 1001)],
                         ids=str)
@pytest.mark.parametrize("transitions", [False, True])
def test_edl_to_otio_to_edl_is_equal(fps, transitions, tmp_path):
    edl = make_edl(fps, transitions=transitions)
    back = timeline_to_edl(edl_to_timeline(edl, beat_markers=True))
    assert back == edl
    path = str(tmp_path / "t.otio")
    get_backend("otio").write(edl, path, beat_markers=True)
    assert read_timeline(path) == edl
    assert edl_to_dict(read_timeline(path)) == edl_to_dict(edl)


def test_without_beat_markers_only_beats_are_missing():
    edl = make_edl()
    back = timeline_to_edl(edl_to_timeline(edl))
    assert back.markers == tuple(m for m in edl.markers if m.kind != "beat")
    assert any(m.kind == "beat" for m in edl.markers)


def test_timeline_keeps_rational_rate_ranges_markers_and_metadata():
    edl = make_edl(NTSC, transitions=True)
    tl = edl_to_timeline(edl)
    meta = tl.metadata["editspec"]
    assert meta["fps"] == "30000/1001" and meta["recipe"] == "/work/r/recipe.yaml"
    assert meta["version"]
    assert list(meta["size"]) == [1080, 1920] and meta["seed"] == 7
    v1, a1 = tl.tracks
    clips = list(v1.find_clips())
    assert [c.range_in_parent().start_time.value for c in clips] == [e.rec_in for e in edl.events]
    for clip, ev in zip(clips, edl.events, strict=True):
        assert clip.source_range.start_time.rate == float(NTSC)
        assert clip.source_range.start_time.value == round(ev.src_in * NTSC)  # whole frames
        assert clip.source_range.start_time.value.is_integer()
        avail = clip.media_reference.available_range
        assert avail.duration.to_seconds() == pytest.approx(20.0)
        assert clip.media_reference.target_url.startswith("file:///media/")
    assert clips[2].media_reference.target_url.endswith("c%20clip.mp4")
    fades = list(v1.find_children(descended_from_type=otio.schema.Transition))
    assert [(t.transition_type, t.in_offset.value, t.out_offset.value) for t in fades] == [
        (otio.schema.TransitionTypes.SMPTE_Dissolve, 4, 4),
        (otio.schema.TransitionTypes.Custom, 3, 3)]
    music = a1[0]
    assert music.source_range.start_time.to_seconds() == pytest.approx(2.0)
    assert music.source_range.duration.value == edl.duration_frames
    markers = {(m.name, m.color, m.marked_range.start_time.value) for m in tl.tracks.markers}
    assert ("intro", "GREEN", 0) in markers and ("chorus", "YELLOW", 60) in markers
    assert ("intro", "GREEN", 120) in markers  # one colour per section label
    assert ("downbeat", "RED", 60) in markers
    assert not any(name == "beat" for name, _, _ in markers)
    assert sum(1 for m in edl_to_timeline(edl, beat_markers=True).tracks.markers
               if m.name == "beat") == sum(1 for m in edl.markers if m.kind == "beat")


def _write(name, edl, tmp_path, **options):
    suffix, adapter, kwargs = FORMATS[name]
    path = str(tmp_path / f"cut{suffix}")
    get_backend(name).write(edl, path, **options)
    if adapter == "cmx_3600":
        kwargs = {"rate": float(edl.fps)}
    return path, adapter, kwargs


@pytest.mark.parametrize("fps", [Fraction(30), NTSC, Fraction(25)], ids=str)
@pytest.mark.parametrize("name", list(FORMATS))
def test_each_format_reads_back_with_the_edl_cuts_and_source_ranges(name, fps, tmp_path):
    edl = make_edl(fps)
    path, adapter, kwargs = _write(name, edl, tmp_path)
    if adapter == "fcpx_xml" and fps.denominator != 1:
        # otio-fcpx-xml-adapter 1.0 reads a 1001/30000s frame duration as rate int(29.97)=29
        # and lands clips a frame off; check the written rational times instead.
        _check_fcpxml_structure(path, edl)
        return
    assert read_cut_frames(path, adapter, **kwargs) == edl.cuts
    tl = otio.adapters.read_from_file(path, adapter_name=adapter, **kwargs)
    clips = list(tl.video_tracks()[0].find_clips())
    assert len(clips) == len(edl.events)
    for clip, ev in zip(clips, edl.events, strict=True):
        rng = clip.source_range
        assert round(rng.start_time.rescaled_to(float(fps)).value) == round(ev.src_in * fps)
        assert round(rng.duration.rescaled_to(float(fps)).value) == ev.frames
        name = ev.clip.rsplit("/", 1)[1].replace(" ", "%20")
        assert clip.media_reference.target_url.endswith(name)


def _check_fcpxml_structure(path, edl):
    root = ET.parse(path).getroot()
    fmt = root.find("./resources/format")
    assert fmt.get("frameDuration") == f"{edl.fps.denominator}/{edl.fps.numerator}s"
    spine = root.find(".//sequence/spine")
    clips = [c for c in spine if c.tag == "clip"]

    def frames(text):
        return Fraction(text.rstrip("s")) * edl.fps

    assert [frames(c.get("offset")) for c in clips] == [e.rec_in for e in edl.events]
    assert [frames(c.get("duration")) for c in clips] == [e.frames for e in edl.events]
    assert [frames(c.get("start", "0s")) for c in clips] == [round(e.src_in * edl.fps)
                                                           for e in edl.events]


@pytest.mark.parametrize("name", ["otio", "cmx3600", "fcp7"])
@pytest.mark.parametrize("fps", [Fraction(30), NTSC], ids=str)
def test_transitions_read_back_centred_on_the_edl_cuts(name, fps, tmp_path):
    edl = make_edl(fps, transitions=True)
    path, adapter, kwargs = _write(name, edl, tmp_path)
    tl = otio.adapters.read_from_file(path, adapter_name=adapter, **kwargs)
    back = timeline_to_edl(tl, size=edl.size)
    assert back.cuts == edl.cuts
    assert [(e.transition.frames if e.transition else 0) for e in back.events] == [
        (e.transition.frames if e.transition else 0) for e in edl.events]
    for b, e in zip(back.events, edl.events, strict=True):
        assert round(b.src_in * fps) == round(e.src_in * fps)


def test_markers_survive_where_the_format_has_them(tmp_path):
    edl = make_edl(Fraction(30))
    wanted = {(m.frame, m.label or m.kind) for m in edl.markers if m.kind != "beat"}
    # FCP 7 XML: sequence markers
    path, adapter, kw = _write("fcp7", edl, tmp_path)
    tl = otio.adapters.read_from_file(path, adapter_name=adapter)
    assert {(m.marked_range.start_time.value, m.name) for m in tl.tracks.markers} == wanted
    # CMX 3600 and FCPXML: markers on the clip under them, in source time
    for name in ("cmx3600", "fcpxml"):
        path, adapter, kw = _write(name, edl, tmp_path)
        tl = otio.adapters.read_from_file(path, adapter_name=adapter, **kw)
        back = timeline_to_edl(tl, size=edl.size)
        got = {(m.frame, m.label.lower()) for m in back.markers}
        assert wanted <= got, name


def test_ntsc_cmx_writes_loc_markers(tmp_path):
    path, _, _ = _write("cmx3600", make_edl(NTSC), tmp_path)
    with open(path) as fh:
        text = fh.read()
    # in the clip's source time: frame 60 is the first of event 2, whose source in is frame 25
    assert "LOC: 00:00:00;25 YELLOW  CHORUS" in text
    assert "00:00:01;07" in text  # the first cut, frame 37


@pytest.mark.parametrize("name,expected", [
    ("otio", []),
    ("cmx3600", ["the music track", "timeline metadata", "written as LOC comments"]),
    ("fcp7", ["timeline metadata", "colours of"]),
    ("fcpxml", ["2 transitions", "timeline metadata"]),
    ("mlt", ["2 transitions (written as cuts)"]),
])
def test_what_a_format_cannot_hold_is_dropped_with_a_warning(name, expected, tmp_path, caplog):
    edl = make_edl(Fraction(30), transitions=True)
    suffix = FORMATS[name][0] if name in FORMATS else ".mlt"
    with caplog.at_level(logging.WARNING):
        get_backend(name).write(edl, str(tmp_path / f"x{suffix}"))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    if not expected:
        assert warnings == []
    else:
        assert len(warnings) == 1
        for text in expected:
            assert text in warnings[0], warnings[0]


def test_registry_has_every_export_format_with_its_suffix():
    for name in EXPORT_FORMATS:
        module = get_backend(name)
        assert name == module.NAME
        assert backend_for_path("x" + module.SUFFIXES[0]) is module


@pytest.mark.parametrize("fps", [Fraction(30), NTSC], ids=str)
def test_mlt_structure_frames_rate_and_cover_crop(fps, tmp_path):
    edl = make_edl(fps)
    path = str(tmp_path / "cut.mlt")
    get_backend("mlt").write(edl, path)
    root = ET.parse(path).getroot()
    prof = root.find("profile")
    assert (int(prof.get("frame_rate_num")), int(prof.get("frame_rate_den"))) == (
        fps.numerator, fps.denominator)
    assert (prof.get("width"), prof.get("height")) == ("1080", "1920")
    entries = root.findall("./playlist[@id='V1']/entry")
    assert [int(e.get("out")) - int(e.get("in")) + 1 for e in entries] == [
        e.frames for e in edl.events]
    assert [int(e.get("in")) for e in entries] == [round(e.src_in * fps) for e in edl.events]
    for e in entries:
        prod = root.find(f"./producer[@id='{e.get('producer')}']")
        crop = prod.find("filter")
        props = {p.get("name"): p.text for p in crop.findall("property")}
        assert props["mlt_service"] == "crop" and props["center"] == "1"
    music = root.find("./playlist[@id='A1']/entry")
    assert int(music.get("in")) == round(2.0 * fps)
    assert int(music.get("out")) - int(music.get("in")) + 1 == edl.duration_frames
    marks = root.findall("./tractor/properties[@name='shotcut:markers']/properties")
    texts = [{p.get("name"): p.text for p in m} for m in marks]
    assert {"text": "chorus", "start": "00:00:02.000" if fps == 30 else "00:00:02.002",
            "end": "00:00:02.000" if fps == 30 else "00:00:02.002",
            "color": "#ffff00"} in texts


def _hand_timeline(fps=30.0):
    tl = otio.schema.Timeline(name="hand")
    v = otio.schema.Track(kind=otio.schema.TrackKind.Video)
    for name, start, dur in (("/m/a.mp4", 10, 20), ("/m/b.mp4", 0, 30)):
        v.append(otio.schema.Clip(
            name=name, media_reference=otio.schema.ExternalReference(target_url="file://" + name),
            source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(start, fps),
                                                 otio.opentime.RationalTime(dur, fps))))
    tl.tracks.append(v)
    return tl


@pytest.mark.parametrize("change,message", [
    (lambda tl: tl.tracks[0].insert(1, otio.schema.Gap(duration=otio.opentime.RationalTime(5, 30))),
     "has a gap at frame 20; editspec renders clips back to back"),
    (lambda tl: tl.tracks[0].append(otio.schema.Clip(
        name="x", source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(0, 30),
                                                       otio.opentime.RationalTime(5, 30)))),
     "clip 'x' has no media file"),
    (lambda tl: [t.remove(t[0]) for t in [tl.tracks[0]] for _ in range(2)],
     "has no video clips to render"),
])
def test_import_rejects_what_it_cannot_render(change, message, tmp_path):
    tl = _hand_timeline()
    change(tl)
    path = str(tmp_path / "bad.otio")
    otio.adapters.write_to_file(tl, path)
    with pytest.raises(Exception, match=message) as info:
        read_timeline(path)
    assert type(info.value).__name__ == "BackendError"


def test_import_rejects_music_before_its_file(tmp_path):
    tl = _hand_timeline()
    a = otio.schema.Track(kind=otio.schema.TrackKind.Audio)
    a.append(otio.schema.Gap(duration=otio.opentime.RationalTime(30, 30)))
    a.append(otio.schema.Clip(
        name="song", media_reference=otio.schema.ExternalReference(target_url="file:///m/s.ogg"),
        source_range=otio.opentime.TimeRange(otio.opentime.RationalTime(15, 30),
                                             otio.opentime.RationalTime(20, 30))))
    tl.tracks.append(a)
    with pytest.raises(Exception, match=r"music clip 'song' starts at 1.000s on the timeline "
                                        r"but at 0.500s in its file"):
        timeline_to_edl(tl)
