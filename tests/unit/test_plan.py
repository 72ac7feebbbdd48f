"""The planner on hand-made analyses whose beats, energy and sections are known."""

import dataclasses
from fractions import Fraction

import numpy as np
import pytest

from editspec.analysis.audio import AudioAnalysis, Section
from editspec.analysis.video import VideoInfo
from editspec.edl import edl_to_json
from editspec.errors import MediaError, RecipeErrors
from editspec.ir import ClipPool, CutRule, Cuts, EnergyMap, Music, Output, Recipe, Span, Transition
from editspec.plan import format_explain, plan_edit

FPS = 30


def _audio(tempo=120.0, first=0.25, n=120, bpb=4, quiet_until=10.0):
    beats = first + np.arange(n) * 60.0 / tempo
    dur = float(beats[-1] + 1)
    t = np.arange(int(dur * 25)) / 25
    energy = np.where(t < quiet_until, 0.2, 0.9).astype(np.float32)
    sections = (Section(0.0, 10.25, "intro"), Section(10.25, 30.25, "chorus"),
                Section(30.25, dur, "outro"))
    return AudioAnalysis("song.ogg", dur, tempo, beats, beats[::bpb], bpb, sections, energy, 25.0,
                         salience=np.zeros(len(t), np.float32))


EVERY_2_BEATS = (CutRule(2, "beat"),)


def _recipe(rules=EVERY_2_BEATS, min_shot=0.0, duration=20.0, start=0.0,
            fps=Fraction(FPS), clips=("a.mp4", "b.mp4", "c.mp4"), **kw):
    music = kw.pop("music", Music("song.ogg", start))
    return Recipe(1, "r.yaml", Output(1080, 1920, fps, duration), music,
                  (ClipPool("*.mp4", tuple(clips)),),
                  Cuts(tuple(rules), min_shot_s=min_shot, max_shot_s=kw.pop("max_shot", None),
                       snap_to_downbeat=kw.pop("snap", False), span=Span("r.yaml", 5, 1)), **kw)


def _clips(paths=("a.mp4", "b.mp4", "c.mp4"), duration=30.0):
    return {p: VideoInfo(p, duration, Fraction(30), 640, 360, False) for p in paths}


def _nearest(t, fps=FPS):
    return int(np.floor(t * fps + 0.5))


def test_cuts_on_every_second_beat_at_the_nearest_frame():
    audio = _audio()
    edl = plan_edit(_recipe(start=1.0), audio, _clips())
    # the first downbeat in the window is beat 4 (2.25 s): every second beat from it
    grid = [t - 1.0 for i, t in enumerate(audio.beats) if 1.0 <= t < 21.0 and i % 2 == 0]
    expected = [_nearest(t) for t in grid if t > 0.5]
    assert edl.cuts == expected
    assert edl.duration_frames == 600
    for f in edl.cuts:  # never more than half a frame from its beat
        assert min(abs(f / FPS - t) for t in grid) <= 0.5 / FPS + 1e-9


def test_bars_at_ntsc_rate():
    audio = _audio()
    fps = Fraction(30000, 1001)
    edl = plan_edit(_recipe(rules=(CutRule(1, "bar"),), fps=fps), audio, _clips())
    downs = [t for t in audio.downbeats if 0.5 < t < 20.0]
    assert edl.cuts == [int(np.floor(t * 30000 / 1001 + 0.5)) for t in downs]


def test_energy_rules_cut_faster_when_loud():
    audio = _audio()  # quiet until 10 s, loud after
    rules = (CutRule(1, "beat", energy_above=0.75), CutRule(2, "bar"))
    edl = plan_edit(_recipe(rules=rules, duration=20.0), audio, _clips())
    shots = np.diff([0, *edl.cuts, edl.duration_frames])
    starts = np.array([0, *edl.cuts])
    quiet = shots[(starts > 30) & (starts < 240)]
    loud = shots[(starts > 330) & (starts < 570)]
    assert np.all(quiet == 120)  # 2 bars of 2 s
    assert np.all(loud == 15)  # a beat of 0.5 s
    rows = edl.meta["explain"]
    assert any("when energy > 0.75" in r["rule"] for r in rows)
    text = format_explain(edl)
    assert "every 2 bars" in text and "every 2 bar " not in text and "every 1 beats" not in text


def test_min_max_shot_hold():
    audio = _audio(tempo=240.0)  # a beat every 0.25 s
    edl = plan_edit(_recipe(rules=(CutRule(1, "beat"),), min_shot=0.2, max_shot=1.0), audio,
                    _clips())
    shots = np.diff([0, *edl.cuts, edl.duration_frames])
    assert shots.min() >= 6 and shots.max() <= 30


def test_auto_start_picks_the_loud_part_on_a_downbeat():
    audio = _audio()
    recipe = _recipe(duration=12.0, music=Music("song.ogg", 0.0, start_auto=True))
    edl = plan_edit(recipe, audio, _clips())
    assert 10.0 <= edl.music.start <= 18.5
    assert np.min(np.abs(audio.downbeats - edl.music.start)) < 1e-9


def test_section_start_and_unknown_section_error():
    audio = _audio()
    edl = plan_edit(_recipe(duration=8.0, music=Music("song.ogg", 0.0, start_section="chorus")),
                    audio, _clips())
    assert edl.music.start == pytest.approx(10.25)
    bad = _recipe(music=Music("song.ogg", 0.0, start_section="bridge",
                              start_span=Span("r.yaml", 3, 20)))
    with pytest.raises(RecipeErrors, match=r"r.yaml:3:20: the song has no section 'bridge' "
                                           r"\(its sections: intro, chorus, outro\)"):
        plan_edit(bad, audio, _clips())


def test_min_shot_longer_than_the_rule_is_an_error():
    with pytest.raises(RecipeErrors, match=r"min_shot 3s is longer than this rule's interval"):
        plan_edit(_recipe(rules=(CutRule(1, "beat", span=Span("r.yaml", 6, 3)),), min_shot=3.0),
                  _audio(), _clips())


def test_transitions_at_section_changes():
    audio = _audio()
    recipe = _recipe(rules=(CutRule(1, "bar"),), duration=20.0,
                     transitions=(Transition("crossfade", 0.4, "section-change"),))
    edl = plan_edit(recipe, audio, _clips())
    with_tr = [e for e in edl.events if e.transition is not None]
    assert [e.rec_in for e in with_tr] == [_nearest(10.25)]
    assert with_tr[0].transition.kind == "crossfade" and with_tr[0].transition.frames == 12


def test_events_tile_and_never_reuse_source_frames():
    edl = plan_edit(_recipe(), _audio(), _clips())
    used: dict[str, list[tuple[float, float]]] = {}
    pos = 0
    for e in edl.events:
        assert e.rec_in == pos
        pos = e.rec_out
        assert e.src_out - e.src_in == pytest.approx(e.frames / 30, abs=1e-5)
        for a, b in used.get(e.clip, []):
            assert e.src_in >= b - 1e-6 or e.src_out <= a + 1e-6
        used.setdefault(e.clip, []).append((e.src_in, e.src_out))
    assert pos == edl.duration_frames
    assert all(a.clip != b.clip for a, b in zip(edl.events, edl.events[1:], strict=False))


def test_same_inputs_same_edl_bytes_and_seed_only_breaks_ties():
    a = plan_edit(_recipe(), _audio(), _clips())
    b = plan_edit(_recipe(), _audio(), _clips())
    assert edl_to_json(a) == edl_to_json(b)
    c = plan_edit(dataclasses.replace(_recipe(), seed=5), _audio(), _clips())
    assert c.cuts == a.cuts  # the seed never moves a cut, it only breaks assignment ties


def test_song_too_short_is_a_recipe_error():
    with pytest.raises(RecipeErrors, match=r"music.start 50s \+ duration 20s runs past the end"):
        plan_edit(_recipe(start=50.0), _audio(), _clips())


def test_a_song_too_short_says_what_would_fit():
    with pytest.raises(RecipeErrors) as info:  # too late a start: earlier, or shorter
        plan_edit(_recipe(start=50.0), _audio(), _clips())
    assert info.value.errors[0].hint == ("start at 40.75s or earlier, or set output.duration "
                                         "to at most 10.75s")
    with pytest.raises(RecipeErrors) as info:  # longer than the song: no start would fit
        plan_edit(_recipe(start=20.0, duration=90.0), _audio(), _clips())
    assert info.value.errors[0].hint == ("the song is 60.75s long: set output.duration to at "
                                         "most 40.75s from this start (or `duration: song`)")


def test_clips_too_short_is_a_media_error():
    with pytest.raises(MediaError, match="long enough"):
        plan_edit(_recipe(), _audio(), _clips(duration=0.5))


def test_zoom_pulses_on_loud_beats_only():
    audio = _audio()  # energy 0.2 until 10 s, 0.9 after
    edl = plan_edit(_recipe(energy=EnergyMap(zoom_pulse=0.1)), audio, _clips())
    frames = [z.frame for z in edl.zoom_pulses]
    loud_beats = [_nearest(t) for t in audio.beats if 10.0 <= t < 20.0]
    assert frames == loud_beats
    assert all(z.amount == 0.1 for z in edl.zoom_pulses)


def test_speed_ramps_use_source_at_the_speed():
    audio = _audio()
    edl = plan_edit(_recipe(energy=EnergyMap(speed_ramps=True, speed_min=0.5, speed_max=2.0)),
                    audio, _clips())
    for e in edl.events:
        speed = e.speed.points[0][1]
        assert e.src_out - e.src_in == pytest.approx(e.frames / 30 * speed, abs=1e-5)
    quiet = [e.speed.points[0][1] for e in edl.events if e.rec_out < 280]
    loud = [e.speed.points[0][1] for e in edl.events if e.rec_in > 320]
    assert max(quiet) < 1.0 < min(loud)


def test_overlays_by_time_and_by_section_and_source_audio():
    from editspec.ir import ClipPool, Overlay, TextStyle

    audio = _audio()
    overlays = (Overlay("text", text="Hi: 100% \\o/", start_s=1.0, end_s=3.0,
                        style=TextStyle(size=40, color="#ff0000")),
                Overlay("text", text="LOUD", sections=("chorus",)))
    recipe = dataclasses.replace(_recipe(duration=20.0), overlays=overlays,
                                 clips=(ClipPool("*.mp4", ("a.mp4", "b.mp4", "c.mp4"),
                                                 audio=True),))
    edl = plan_edit(recipe, audio, _clips())
    first, loud = edl.overlays
    assert (first.text, first.rec_in, first.rec_out, first.size, first.color) == \
        ("Hi: 100% \\o/", 30, 90, 40, "#ff0000")
    assert (loud.text, loud.rec_in, loud.rec_out) == ("LOUD", _nearest(10.25), 600)
    assert all(e.audio.use for e in edl.events)


def test_title_entrances_and_exits_last_their_musical_length_at_the_tempo():
    from editspec.ir import Overlay, TextStyle

    def placed(tempo, length, fps=Fraction(FPS)):
        style = TextStyle(enter="slide-up", exit="fade", animation_length=length)
        recipe = dataclasses.replace(_recipe(duration=20.0, fps=fps), overlays=(
            Overlay("text", text="Hi", start_s=1.0, end_s=5.0, style=style),
            Overlay("text", text="Still", start_s=1.0, end_s=5.0)))
        return plan_edit(recipe, _audio(tempo=tempo), _clips()).overlays

    moving, still = placed(120.0, None)  # one beat by default: 0.5 s at 120 BPM
    assert (moving.enter, moving.enter_frames, moving.exit, moving.exit_frames) == \
        ("slide-up", 15, "fade", 15)
    assert (still.enter, still.enter_frames, still.exit, still.exit_frames) == \
        ("none", 0, "none", 0)
    assert placed(90.0, (2.0, "beat"))[0].enter_frames == 40  # 2 x 0.667 s
    assert placed(120.0, (1.0, "bar"))[0].exit_frames == 60  # 4 beats of 0.5 s
    assert placed(120.0, (0.25, "s"))[0].enter_frames == 8  # seconds, not beats: 7.5 -> 8
    assert placed(120.0, None, Fraction(30000, 1001))[0].enter_frames == 15  # 14.99


def test_reframe_follows_the_subject_track():
    class Tracks:
        centre = np.column_stack([np.linspace(0.2, 0.8, 900), np.full(900, 0.5)])

    from editspec.plan import ClipFacts

    clips = {p: ClipFacts(p, 30.0, Fraction(30), (640, 360), tracks=Tracks())
             for p in ("a.mp4", "b.mp4", "c.mp4")}
    edl = plan_edit(_recipe(), _audio(), clips)
    for e in edl.events:
        assert e.reframe.mode == "cover" and len(e.reframe.track) >= 2
        t0, x0, _ = e.reframe.track[0]
        assert t0 == pytest.approx(e.src_in, abs=1e-3)
        assert x0 == pytest.approx(0.2 + 0.6 * e.src_in * 30 / 899, abs=0.01)


def test_intro_and_outro_play_whole_and_end_on_cuts():
    from editspec.ir import EndClip

    clips = _clips(("a.mp4", "b.mp4", "c.mp4", "intro.mp4", "outro.mp4"))
    clips["intro.mp4"] = VideoInfo("intro.mp4", 2.2, Fraction(30), 640, 360, False)
    clips["outro.mp4"] = VideoInfo("outro.mp4", 3.0, Fraction(30), 640, 360, False)
    recipe = dataclasses.replace(_recipe(duration=20.0), intro=EndClip("intro.mp4"),
                                 outro=EndClip("outro.mp4", duration_s=1.5))
    edl = plan_edit(recipe, _audio(), clips)
    plain = plan_edit(_recipe(duration=20.0), _audio(), _clips())
    first, last = edl.events[0], edl.events[-1]
    assert first.clip == "intro.mp4" and first.rec_in == 0 and first.src_in == 0.0
    assert last.clip == "outro.mp4" and last.rec_out == edl.duration_frames
    # both end or start on a cut the plan made anyway, the nearest to their lengths
    assert first.rec_out in plain.cuts and last.rec_in in plain.cuts
    # the intro has 2.2 s of footage: it ends on the last planned cut before that
    assert first.rec_out == max(c for c in plain.cuts if c / 30 <= 2.2)
    # the outro is asked to last 1.5 s: it starts on the planned cut nearest that
    near = min(plain.cuts, key=lambda c: abs((600 - c) / 30 - 1.5))
    assert last.rec_in == near
    assert [e.rec_in for e in edl.events[1:-1]] == [c for c in plain.cuts
                                                     if first.rec_out <= c < last.rec_in]


# -- the planner tells the truth about its rules (issue 26) ---------------------------------

def test_min_shot_that_bends_a_rule_is_warned_and_labelled():
    # 169 BPM: a beat is 60/169 = 0.355 s, shorter than min_shot 0.4 s, so "every 1 beat"
    # can only cut every 2 beats (0.71 s): the rule is bent and the plan must say so
    audio = _audio(tempo=169.0, n=140, quiet_until=0.0)  # loud throughout: rule 1 holds
    rules = (CutRule(1, "beat", energy_above=0.75), CutRule(2, "beat"))
    edl = plan_edit(_recipe(rules=rules, min_shot=0.4, duration=12.0), audio, _clips())
    beat = 60.0 / 169.0
    shots = np.diff([0, *edl.cuts, edl.duration_frames])[1:-1] / FPS
    assert np.allclose(shots, 2 * beat, atol=1.01 / FPS)  # the truth: every 2 beats
    warnings = edl.meta["warnings"]
    assert any(w.startswith("rule 1 (every 1 beat) cut every 2 beats in ")
               and "min_shot 0.4s is longer than 1 beat (0.36s at 169 BPM)" in w
               for w in warnings), warnings
    rows = edl.meta["explain"]
    inner = rows[1:-1]
    assert inner and all(r["pace"] == "every 2 beats" and r["asked"] == "every 1 beat"
                         and r["bent_by"] == "min_shot 0.4s" for r in inner)
    assert all(r["rule"].startswith("1: every 1 beat when energy > 0.75") for r in rows)
    text = format_explain(edl)
    assert "every 2 beats   1: every 1 beat when energy > 0.75 (asked every 1 beat; " \
           "min_shot 0.4s)" in text
    assert "warning: rule 1 (every 1 beat) cut every 2 beats" in text


def test_max_shot_that_bends_a_rule_is_warned():
    audio = _audio()  # 120 BPM: 2 bars are 4 s, max_shot 3 s allows only 1 bar (2 s)
    edl = plan_edit(_recipe(rules=(CutRule(2, "bar"),), max_shot=3.0, duration=20.0), audio,
                    _clips())
    shots = np.diff([0, *edl.cuts, edl.duration_frames])[1:-1]
    assert np.all(shots == 60)
    assert any(w.startswith("rule 1 (every 2 bars) cut every 1 bar in ")
               and "max_shot 3s is shorter than 2 bars (4.00s at 120 BPM)" in w
               for w in edl.meta["warnings"]), edl.meta["warnings"]
    assert all(r["pace"] == "every 1 bar" for r in edl.meta["explain"][1:-1])


def test_missing_downbeats_bend_a_bar_rule_and_the_music_is_named():
    audio = _audio()
    # the analysis found no downbeats between 4 s and 12 s: a bar rule cannot cut there
    downs = audio.downbeats[(audio.downbeats < 4.0) | (audio.downbeats > 12.0)]
    audio = dataclasses.replace(audio, downbeats=downs)
    edl = plan_edit(_recipe(rules=(CutRule(1, "bar"),), duration=20.0), audio, _clips())
    long = [r for r in edl.meta["explain"] if r["beats"] > 6]
    assert long and all(r["bent_by"] == "the music (no downbeat where the rule would cut)"
                        for r in long)


def test_honoured_rules_give_no_warning_and_every_shot_has_a_row():
    audio = _audio()
    rules = (CutRule(1, "beat", energy_above=0.75), CutRule(2, "bar"))
    edl = plan_edit(_recipe(rules=rules, start=0.25, duration=20.0), audio, _clips())
    assert edl.meta["warnings"] == []
    rows = edl.meta["explain"]
    assert [r["frame"] for r in rows] == [e.rec_in for e in edl.events]
    assert rows[0]["event"] == "start" and rows[0]["frame"] == 0
    assert rows[0]["rule"] == "2: every 2 bars" and rows[0]["pace"] == "every 2 bars"
    loud = [r for r in rows if r["rule"].startswith("1:")]
    assert loud and all(r["pace"] == "every 1 beat" and not r["bent_by"] for r in loud[:-1])
    first_line = format_explain(edl).splitlines()[1]
    assert first_line.split()[:4] == ["0", "0.000", "0", "start"]
