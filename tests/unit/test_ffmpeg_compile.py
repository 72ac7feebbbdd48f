"""The ffmpeg backend's pure compile step, checked without running ffmpeg."""

import itertools
import re
from fractions import Fraction

import pytest

from editspec.backends import ffmpeg
from editspec.backends.ffmpeg import compile_filtergraph
from editspec.backends.ffmpeg.audio import GAIN_SLOT
from editspec.backends.ffmpeg.compile import seek_points, source_time
from editspec.backends.ffmpeg.encode import EncodeOverrides
from editspec.edl import (
    EDL,
    AudioMix,
    Encode,
    Event,
    EventAudio,
    MusicRef,
    SourceInfo,
    Speed,
    TextOverlay,
    Transition,
    ZoomPulse,
    edl_from_dict,
    edl_to_dict,
)
from editspec.errors import BackendError, EditspecError


def _edl(**kw):
    events = kw.pop("events", (Event("/c/a.mp4", 0.0, 1.0, 0, 30),
                               Event("/c/b.mp4", 2.0, 2.5, 30, 45),
                               Event("/c/a.mp4", 1.0, 2.0, 45, 75)))
    return EDL(fps=Fraction(30000, 1001), size=(1080, 1920), duration_frames=75,
               music=MusicRef("/m/song.ogg", 12.5, 0.0, 1.0), events=events,
               sources={"/c/a.mp4": SourceInfo(10.0, Fraction(25)),
                        "/c/b.mp4": SourceInfo(5.0, Fraction(30))}, **kw)


def _arg(argv, flag):
    return [argv[i + 1] for i, a in enumerate(argv) if a == flag]


def test_backend_module_contract():
    assert ffmpeg.NAME == "ffmpeg" and ".mp4" in ffmpeg.SUFFIXES
    assert callable(ffmpeg.write) and callable(ffmpeg.compile_filtergraph)


def test_one_input_per_event_plus_music_and_exact_trims():
    cmd = compile_filtergraph(_edl(), "out.mp4")
    assert _arg(cmd.argv, "-i") == ["/c/a.mp4", "/c/b.mp4", "/c/a.mp4", "/m/song.ogg"]
    assert "movie=" not in cmd.filtergraph
    trims = [int(n) for n in re.findall(r"trim=end_frame=(\d+)", cmd.filtergraph)]
    assert trims == [30, 15, 30]
    assert sum(trims) == cmd.total_frames == 75
    assert "concat=n=3:v=1:a=0" in cmd.filtergraph
    assert cmd.filtergraph.count("fps=30000/1001:start_time=0:round=up") == 3
    assert "scale=1080:1920" in cmd.filtergraph and "crop=w=" in cmd.filtergraph
    assert cmd.argv[-1] == "out.mp4"
    assert _arg(cmd.argv, "-frames:v") == ["75"]


def test_seeks_never_drop_the_frame_on_screen_and_keep_the_music_window():
    cmd = compile_filtergraph(_edl(), "o.mp4")
    # each event's input seeks to the keyframe before its src_in and keeps every frame
    # from there; its timestamps count from the seek point
    assert seek_points(_edl()) == [0.0, 2.0, 1.0]
    assert [float(s) for s in _arg(cmd.argv, "-ss")] == [2.0, 1.0, 12.5]
    assert cmd.filtergraph.count("setpts=(T-0.0001)/1/TB") == 3
    duration = 75 * 1001 / 30000
    assert f"afade=t=out:st={duration - 1:.6f}".rstrip("0") in cmd.filtergraph
    assert f"atrim=end={duration:.6f}".rstrip("0") in cmd.filtergraph


def test_input_reader_seeks_each_input_without_dropping_frames():
    cmd = compile_filtergraph(_edl(), "o.mp4")
    assert _arg(cmd.argv, "-threads") == ["2", "2", "2"]
    assert _arg(cmd.argv, "-i") == ["/c/a.mp4", "/c/b.mp4", "/c/a.mp4", "/m/song.ogg"]
    assert [float(s) for s in _arg(cmd.argv, "-ss")] == [2.0, 1.0, 12.5]
    assert cmd.argv.count("-noaccurate_seek") == 2
    assert "[1:v:0]settb=AVTB,setpts=(T-0.0001)/1/TB" in cmd.filtergraph


def test_unsafe_seek_clips_decode_from_their_start():
    cmd = compile_filtergraph(_edl(), "o.mp4", unsafe_seek=["/c/a.mp4"])
    assert seek_points(_edl(), ["/c/a.mp4"]) == [0.0, 2.0, 0.0]
    assert [float(s) for s in _arg(cmd.argv, "-ss")] == [2.0, 12.5]  # b.mp4, the music
    assert "[2:v:0]settb=AVTB,setpts=(T-1.0001)/1/TB" in cmd.filtergraph  # a.mp4 from 1.0 s


def test_seek_points_include_a_dissolves_handle():
    events = (Event("/c/a.mp4", 0.0, 1.0, 0, 30),
              Event("/c/b.mp4", 2.0, 2.5, 30, 45, transition=Transition("crossfade", 6)))
    # 3 frames of b.mp4 before its src_in are on screen during the dissolve
    assert seek_points(_edl(events=events)) == [0.0, pytest.approx(2.0 - 3 * 1001 / 30000)]


def test_the_loudness_gain_slot_is_filled_in_once_measured():
    edl = _edl(mix=AudioMix(loudness_lufs=-14.0))
    slot = compile_filtergraph(edl, "o.mp4", loudness_gain_db=GAIN_SLOT)
    assert slot.needs_gain and GAIN_SLOT in slot.argv[slot.argv.index("-filter_complex") + 1]
    filled = slot.with_gain(-3.456)
    assert not filled.needs_gain and "volume=-3.46dB" in filled.filtergraph
    assert filled.filtergraph in filled.argv
    assert filled == compile_filtergraph(edl, "o.mp4", loudness_gain_db=-3.456)
    assert filled.with_gain(5.0) is filled


def test_transition_is_centred_on_the_cut():
    events = (Event("/c/a.mp4", 0.0, 1.0, 0, 30),
              Event("/c/b.mp4", 2.0, 2.5, 30, 45, transition=Transition("crossfade", 7)),
              Event("/c/a.mp4", 1.0, 2.0, 45, 75))
    cmd = compile_filtergraph(_edl(events=events), "o.mp4")
    g = cmd.filtergraph
    # 3 frames before the cut (a's handle after its out point), 4 after (b's pre-roll)
    assert "tpad=stop_mode=clone:stop=34,trim=end_frame=34" in g  # a: 30 + 4
    assert "tpad=stop_mode=clone:stop=18,trim=end_frame=18" in g  # b: 3 + 15
    assert "trim=start_frame=0:end_frame=27" in g and "trim=start_frame=27:end_frame=34" in g
    assert "trim=start_frame=0:end_frame=7" in g
    assert re.search(r"xfade=transition=fade:duration=0\.233567:offset=0", g)
    # b starts 3 output frames (0.1001 s) before its src_in
    assert float(_arg(cmd.argv, "-ss")[0]) == pytest.approx(2.0 - 0.1001)
    assert cmd.total_frames == 75


def test_unknown_transition_and_overlong_transition_are_errors():
    events = (Event("/c/a.mp4", 0.0, 1.0, 0, 30),
              Event("/c/b.mp4", 2.0, 2.5, 30, 45, transition=Transition("spin", 4)),
              Event("/c/a.mp4", 1.0, 2.0, 45, 75))
    with pytest.raises(BackendError, match=r"transition 'spin' is not supported, available: "
                                           r"cut, flash, crossfade"):
        compile_filtergraph(_edl(events=events), "o.mp4")
    events = (events[0], Event("/c/b.mp4", 2.0, 2.5, 30, 45,
                               transition=Transition("crossfade", 40)), events[2])
    with pytest.raises(BackendError, match="longer than its neighbouring shots allow"):
        compile_filtergraph(_edl(events=events), "o.mp4")


def test_speed_ramp_source_times_integrate_the_speed():
    fps = Fraction(30)
    ev = Event("x", 1.0, 2.0, 0, 30, speed=Speed(((0, 1.0), (10, 3.0))))
    assert source_time(ev, 0, fps) == 1.0
    assert source_time(ev, 10, fps) == pytest.approx(1.0 + 20 / 30)  # mean speed 2 over 10
    assert source_time(ev, 20, fps) == pytest.approx(1.0 + 50 / 30)
    const = Event("x", 1.0, 2.0, 0, 30, speed=Speed(((0, 2.0),)))
    assert source_time(const, -3, fps) == pytest.approx(0.8)
    g = compile_filtergraph(_edl(events=(Event("/c/a.mp4", 1.0, 2.0, 0, 75, speed=ev.speed),)),
                            "o.mp4").filtergraph
    assert "setpts=\\'st(0\\,T+" in g and "gte(ld(0)" in g


def test_overlays_zoom_audio_and_encoder_settings():
    edl = _edl(overlays=(TextOverlay("Hi", 0, 30),), zoom_pulses=(ZoomPulse(40, 6, 0.1),),
               events=(Event("/c/a.mp4", 0.0, 1.0, 0, 30),
                       Event("/c/b.mp4", 2.0, 2.5, 30, 45, audio=EventAudio(True, -3.0)),
                       Event("/c/a.mp4", 1.0, 2.0, 45, 75)),
               mix=AudioMix(-23.0, duck_db=10.0),
               encode=Encode(codec="h265", crf=None, bitrate="6M", preset="fast"))
    cmd = compile_filtergraph(edl, "o.mp4", loudness_gain_db=-4.5)
    g = cmd.filtergraph
    # the title is a drawn PNG input, composited over frames 0..29: no text in the graph
    title = [a for a in cmd.argv if a.endswith(".png")]
    assert len(title) == 1 and "Hi" not in g and "drawtext" not in g
    # timed by its stamps alone, half a frame early (1001/60000 s), then one transparent frame
    assert ("loop=loop=29:size=1:start=0,tpad=stop=1:stop_mode=add:color=black@0,"
            "settb=expr=1001/60000,setpts=max(2*(N+0)-1\\,0)") in g
    assert "overlay=x=" in g and "enable=" not in g.split("overlay=x=")[1].split(";")[0]
    # frames 40..45: the last 6 of event 2 (from frame 30) and the first of event 3
    assert g.count("zoompan=") == 2 and "between(in\\,10\\,15)" in g
    assert "between(in\\,-5\\,0)" in g
    assert "[1:a:0]atrim=start=0:duration=0.5005" in g and "volume=-3dB" in g
    assert "volume=-4.50dB,alimiter=" in g
    assert "eval=frame" in g  # the music's ducking envelope
    assert _arg(cmd.argv, "-c:v") == ["libx265"] and _arg(cmd.argv, "-b:v") == ["6M"]
    assert "-crf" not in cmd.argv and _arg(cmd.argv, "-tag:v") == ["hvc1"]
    single = compile_filtergraph(edl, "o.webm", encode=EncodeOverrides(codec="vp9")).argv
    assert _arg(single, "-c:v") == ["libvpx-vp9"] and _arg(single, "-c:a") == ["libopus"]
    assert "loudnorm=I=-23" in compile_filtergraph(edl, "o.mp4").filtergraph


def test_bad_encode_and_overlay_settings_are_backend_errors():
    with pytest.raises(BackendError, match="codec 'mpeg1' is not supported, available: h264"):
        compile_filtergraph(_edl(encode=Encode(codec="mpeg1")), "o.mp4")
    with pytest.raises(BackendError, match="text colour 'red;drawbox' is not"):
        compile_filtergraph(_edl(overlays=(TextOverlay("x", 0, 5, color="red;drawbox"),)), "o")
    with pytest.raises(BackendError, match="overlay position 'middle' is not one of center"):
        compile_filtergraph(_edl(overlays=(TextOverlay("x", 0, 5, position="middle"),)), "o")


def test_edl_v2_fields_round_trip_and_v1_upgrades():
    edl = _edl(overlays=(TextOverlay("a:b 'c'\n", 0, 30, box="#00000080", position="0.5,0.2"),),
               zoom_pulses=(ZoomPulse(40, 6, 0.1),), mix=AudioMix(-23.0, -2.0, 6.0),
               encode=Encode("vp9", 30, "", "medium", "vp9_vaapi", "128k"),
               events=(Event("/c/a.mp4", 0.0, 1.0, 0, 30, speed=Speed(((0, 1.0), (10, 2.0))),
                             audio=EventAudio(True, -6.0)),
                       Event("/c/b.mp4", 2.0, 2.5, 30, 45), Event("/c/a.mp4", 1.0, 2.0, 45, 75)))
    d = edl_to_dict(edl)
    assert d["version"] == 3 and edl_from_dict(d) == edl
    d1 = edl_to_dict(_edl())
    for key in ("zoom_pulses", "overlays", "mix", "encode"):
        del d1[key]
    d1["version"] = 1
    old = edl_from_dict(d1)
    assert old.version == 3 and old.overlays == () and old.mix == AudioMix()


def test_edl_v3_text_fields_round_trip_and_v2_texts_keep_no_shadow():
    text = TextOverlay("x", 0, 30, font="/f/a.ttc#1", size=70, weight=700, min_size=30,
                       outline="black", shadow="#00000080", safe_area="none", enter="slide-up",
                       enter_frames=8, exit="fade", exit_frames=5)
    assert edl_from_dict(edl_to_dict(_edl(overlays=(text,)))).overlays == (text,)
    d2 = edl_to_dict(_edl(overlays=(text,)))
    d2["version"] = 2
    for key in ("weight", "min_size", "outline", "shadow", "safe_area", "enter", "enter_frames",
                "exit", "exit_frames"):
        del d2["overlays"][0][key]
    up = edl_from_dict(d2).overlays[0]
    assert up.shadow == "" and up.enter == "none" and up.safe_area == "auto" and up.weight == 400
    d2["overlays"][0]["enter"] = "spin"
    with pytest.raises(EditspecError, match="text enter 'spin' is not one of none, fade"):
        edl_from_dict(d2)


def _long_edl(n=40, **kw):
    events, pos = [], 0
    for i in range(n):
        length = 5 + i % 7
        events.append(Event(f"/c/{'ab'[i % 2]}.mp4", 0.1 * i, 0.1 * i + length / 30, pos,
                            pos + length, **(kw.pop(f"e{i}", {}))))
        pos += length
    return EDL(fps=Fraction(30), size=(1080, 1920), duration_frames=pos, music=None,
               events=tuple(events), **kw)


def test_segments_tile_the_edit_and_respect_the_limit():
    from editspec.backends.ffmpeg.segments import segment_ranges

    edl = _long_edl(40)
    assert segment_ranges(edl, 40) == [(0, 40)]
    for limit in (4, 7, 13, 39):
        ranges = segment_ranges(edl, limit)
        assert ranges[0][0] == 0 and ranges[-1][1] == 40
        assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
        assert all(0 < k1 - k0 <= limit for k0, k1 in ranges)
        assert len(ranges) == -(-40 // limit)  # as few segments as the limit allows


def test_segments_never_start_inside_a_dissolve_a_flash_or_a_zoom_pulse():
    from editspec.backends.ffmpeg.segments import can_split_before, segment_ranges

    base = _long_edl(40)
    pulse_at = base.events[12].rec_in - 2
    edl = _long_edl(40, e10={"transition": Transition("crossfade", 4)},
                    e20={"transition": Transition("flash", 4)},
                    e30={"transition": Transition("cut", 0)},
                    zoom_pulses=(ZoomPulse(pulse_at, 6),))
    assert not can_split_before(edl, 10) and not can_split_before(edl, 20)
    assert not can_split_before(edl, 12) and can_split_before(edl, 30)
    for limit in (4, 5, 10, 11):
        starts = [k0 for k0, _ in segment_ranges(edl, limit)]
        assert not {10, 12, 20} & set(starts)


def test_a_segment_is_an_edl_of_its_own():
    from editspec.backends.ffmpeg.segments import segment_ranges, sub_edl
    from editspec.edl import check_edl

    base = _long_edl(24)
    edl = _long_edl(24, e8={"transition": Transition("cut", 0)}, overlays=(
        TextOverlay("whole", 0, base.duration_frames), TextOverlay("early", 3, 20)),
        zoom_pulses=(ZoomPulse(base.events[9].rec_in, 4),))
    ranges = segment_ranges(edl, 8)
    subs = [sub_edl(edl, k0, k1) for k0, k1 in ranges]
    for (k0, _), sub in zip(ranges, subs, strict=True):
        check_edl(sub)
        f0 = edl.events[k0].rec_in
        assert sub.events[0].transition is None
        assert [e.clip for e in sub.events] == [e.clip for e in edl.events[k0:k0 + len(sub.events)]]
        assert all(o.rec_out <= sub.duration_frames for o in sub.overlays)
        assert [z.frame + f0 for z in sub.zoom_pulses] == [
            z.frame for z in edl.zoom_pulses if f0 <= z.frame < f0 + sub.duration_frames]
    assert sum(s.duration_frames for s in subs) == edl.duration_frames
    assert [o.text for o in subs[0].overlays] == ["whole", "early"]
    assert [o.text for o in subs[1].overlays] == ["whole"]
    picture = compile_filtergraph(subs[1], "part.mp4", streams="v")
    assert "-an" in picture.argv and "[aout]" not in picture.filtergraph


def test_sound_pass_encodes_for_the_final_container():
    sound = compile_filtergraph(_edl(), "sound.webm", streams="a", loudness_gain_db=-2.0)
    assert _arg(sound.argv, "-c:a") == ["libopus"] and "-vn" in sound.argv
    assert "[vout]" not in sound.filtergraph and "volume=-2.00dB" in sound.filtergraph


def test_passes_grow_with_the_budget_and_shrink_with_the_picture():
    from editspec.backends.ffmpeg.segments import MIN_EVENTS, events_per_pass

    tall = _long_edl(4)
    small = EDL(fps=Fraction(30), size=(360, 640), duration_frames=5, music=None,
                events=(Event("/c/a.mp4", 0, 1, 0, 5),))
    assert events_per_pass(tall, 2000) > events_per_pass(tall, 900) >= MIN_EVENTS
    assert events_per_pass(small, 900) > 4 * events_per_pass(tall, 900)
    assert events_per_pass(tall, 1) == MIN_EVENTS
