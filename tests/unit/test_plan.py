"""Planner v0 on hand-made analyses whose beats are known."""

from fractions import Fraction

import numpy as np
import pytest

from editspec.analysis.audio import AudioAnalysis, Section
from editspec.analysis.video import VideoInfo
from editspec.edl import edl_to_json
from editspec.errors import MediaError, RecipeErrors
from editspec.ir import ClipPool, CutRule, Music, Output, Recipe
from editspec.plan import plan_edit


def _audio(tempo=120.0, first=0.25, n=120, bpb=4):
    beats = first + np.arange(n) * 60.0 / tempo
    return AudioAnalysis("song.ogg", float(beats[-1] + 1), tempo, beats, beats[::bpb], bpb,
                         (Section(0.0, 10.0, "intro"), Section(10.0, float(beats[-1] + 1), "chorus")),
                         np.linspace(0, 1, 100).astype(np.float32), 1.0)


def _recipe(every=2.0, unit="beat", min_shot=0.0, duration=20.0, start=0.0, fps=Fraction(30),
            clips=("a.mp4", "b.mp4", "c.mp4")):
    return Recipe(1, "r.yaml", Output(1080, 1920, fps, duration), Music("song.ogg", start),
                  (ClipPool("*.mp4", tuple(clips)),), CutRule(every, unit, min_shot))


def _clips(paths=("a.mp4", "b.mp4", "c.mp4"), duration=30.0):
    return {p: VideoInfo(p, duration, Fraction(30), 640, 360, False) for p in paths}


def test_cuts_on_every_second_beat_at_the_nearest_frame():
    audio = _audio()
    edl = plan_edit(_recipe(start=1.0), audio, _clips())
    fps = 30
    beats_in = [t - 1.0 for t in audio.beats if 1.0 <= t < 21.0]
    # downbeats are beats 0, 4, 8 ...; the first downbeat in the window is beat 4 (2.25 s)
    grid = [t - 1.0 for i, t in enumerate(audio.beats) if 1.0 <= t < 21.0 and i % 2 == 0]
    expected = [int(np.floor(t * fps + 0.5)) for t in grid if t > 0]
    assert edl.cuts == expected
    assert len(beats_in) == 40 and len(edl.events) == len(expected) + 1
    assert edl.duration_frames == 600
    for f in edl.cuts:  # never more than half a frame from its beat
        assert min(abs(f / fps - t) for t in grid) <= 0.5 / fps + 1e-9


def test_bars_and_ntsc_rate():
    audio = _audio()
    fps = Fraction(30000, 1001)
    edl = plan_edit(_recipe(every=1, unit="bar", fps=fps), audio, _clips())
    downs = [t for t in audio.downbeats if 0 < t < 20.0]
    assert edl.cuts == [int(np.floor(t * 30000 / 1001 + 0.5)) for t in downs]
    assert edl.duration_frames == int(np.floor(20 * 30000 / 1001 + 0.5))


def test_min_shot_drops_close_cuts():
    audio = _audio(tempo=240.0)  # a beat every 0.25 s
    edl = plan_edit(_recipe(every=1, min_shot=0.6), audio, _clips())
    lengths = [e.frames for e in edl.events]
    assert min(lengths) >= 18
    assert all(b - a >= 18 for a, b in zip([0, *edl.cuts], edl.cuts, strict=False))


def test_events_tile_and_never_reuse_source_frames():
    edl = plan_edit(_recipe(), _audio(), _clips())
    pos = 0
    used: dict[str, list[tuple[float, float]]] = {}
    for e in edl.events:
        assert e.rec_in == pos
        pos = e.rec_out
        assert e.src_out - e.src_in == pytest.approx(e.frames / 30)
        for a, b in used.get(e.clip, []):
            assert e.src_in >= b - 1e-9 or e.src_out <= a + 1e-9
        used.setdefault(e.clip, []).append((e.src_in, e.src_out))
    assert pos == edl.duration_frames
    # round robin: neighbours come from different clips
    assert all(a.clip != b.clip for a, b in zip(edl.events, edl.events[1:], strict=False))


def test_same_inputs_same_edl_bytes():
    a = edl_to_json(plan_edit(_recipe(), _audio(), _clips()))
    b = edl_to_json(plan_edit(_recipe(), _audio(), _clips()))
    assert a == b


def test_song_too_short_is_a_recipe_error():
    with pytest.raises(RecipeErrors, match=r"music.start 50s \+ duration 20s runs past the end"):
        plan_edit(_recipe(start=50.0), _audio(), _clips())


def test_clips_too_short_is_a_media_error():
    with pytest.raises(MediaError, match="no clip is long enough for a 1.00s shot"):
        plan_edit(_recipe(), _audio(), _clips(duration=0.5))
