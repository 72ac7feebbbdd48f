"""Training audio that sounds recorded: sampled drum kits, off-beat drum patterns,
saturation and the mastering limiter, on a tiny kit and scores generated here."""

from __future__ import annotations

import numpy as np
import pytest

pretty_midi = pytest.importorskip("pretty_midi")
soundfile = pytest.importorskip("soundfile")

from editspec.grid import SR  # noqa: E402
from editspec.train.augment import limit, rewrite_groove, saturate  # noqa: E402
from editspec.train.drumkits import find_kits, load_kit, render_drums, role_of  # noqa: E402

KIT_XML = """<?xml version="1.0" encoding="UTF-8"?>
<drumkit_info xmlns="http://www.hydrogen-music.org/drumkit">
 <name>Tiny</name>
 <instrumentList>
  <instrument><id>0</id><name>Kick</name><volume>1</volume><gain>1</gain>
   <instrumentComponent><component_id>0</component_id><gain>1</gain>
    <layer><filename>kick_soft.wav</filename><min>0</min><max>0.5</max><gain>1</gain></layer>
    <layer><filename>kick_hard.wav</filename><min>0.5</min><max>1</max><gain>1</gain></layer>
   </instrumentComponent></instrument>
  <instrument><id>1</id><name>Snare Rock</name><volume>1</volume><gain>0.5</gain>
   <filename>snare.flac</filename></instrument>
  <instrument><id>2</id><name>Snare Roll</name><volume>1</volume><gain>1</gain>
   <filename>snare.flac</filename></instrument>
 </instrumentList>
</drumkit_info>
"""


@pytest.fixture
def kit_dir(tmp_path):
    d = tmp_path / "usr/share/hydrogen/data/drumkits/Tiny"
    d.mkdir(parents=True)
    (d / "drumkit.xml").write_text(KIT_XML)
    click = np.zeros(2205, np.float32)
    click[0] = 1.0
    soundfile.write(d / "kick_soft.wav", 0.2 * click, 44100)  # resampled to SR on load
    soundfile.write(d / "kick_hard.wav", 0.8 * click, 44100)
    soundfile.write(d / "snare.flac", np.stack([0.6 * click, 0.6 * click], 1), SR)
    return tmp_path


def test_kit_instruments_get_their_roles_and_layers(kit_dir):
    [xml] = find_kits({"x": str(kit_dir)})
    kit = load_kit(xml)
    assert set(kit.roles) == {"kick", "snare"}  # the roll is left out
    assert [len(i) for i in kit.roles["kick"]] == [2]
    assert role_of("Hat Open") == "hat_open" and role_of("Closed HH") == "hat"
    assert role_of("Pedal HH") is None and role_of("Ride Jazz") == "ride"


def test_drums_are_mixed_at_their_note_times_with_velocity_layers(kit_dir):
    kit = load_kit(find_kits({"x": str(kit_dir)})[0])
    notes = [pretty_midi.Note(127, 36, 1.0, 1.1), pretty_midi.Note(32, 36, 2.0, 2.1),
             pretty_midi.Note(127, 38, 2.5, 2.6), pretty_midi.Note(100, 81, 3.0, 3.1)]
    y = render_drums(notes, kit, 4 * SR, 0.5, np.random.default_rng(0))
    hits = np.flatnonzero(np.abs(y) > 0.01)
    onsets = hits[np.insert(np.diff(hits) > 100, 0, True)]
    # 1.0, 2.0, 2.5 s in a track starting at 0.5 s; the triangle (81) has no role
    np.testing.assert_allclose(onsets / SR, [0.5, 1.5, 2.0], atol=2 / SR)
    peaks = [np.abs(y[i:i + 40]).max() for i in onsets]
    # the soft layer (0.2) at velocity 32 against the hard one (0.8) at 127; both clicks
    # lose the same share of their peak to the resampling to SR
    assert peaks[1] / peaks[0] == pytest.approx(0.2 * 32 / 127 / 0.8, rel=0.02)
    assert peaks[2] == pytest.approx(0.6 * 0.5, rel=0.01)  # snare sample x instrument gain


def _score(bpm: float = 120.0, bars: int = 12) -> tuple[object, np.ndarray, np.ndarray]:
    pm = pretty_midi.PrettyMIDI(initial_tempo=bpm)
    drum = pretty_midi.Instrument(0, is_drum=True)
    beat = 60.0 / bpm
    beats = np.arange(bars * 4) * beat
    for i, b in enumerate(beats):  # the song's own groove: snare on 2 and 4
        drum.notes.append(pretty_midi.Note(100, 36 if i % 2 == 0 else 38, b, b + 0.1))
    pm.instruments.append(drum)
    return pm, beats, beats[::4]


@pytest.mark.parametrize("seed", range(4))
def test_skank_groove_puts_the_snare_on_the_off_beats_of_whole_bars(seed):
    pm, beats, downs = _score()
    out = rewrite_groove(pm, beats, downs, "skank", np.random.default_rng(seed))
    snares = np.array(sorted(n.start for n in out.instruments[0].notes if n.pitch == 38))
    kicks = np.array(sorted(n.start for n in out.instruments[0].notes if n.pitch == 36))
    off = snares[np.abs((snares / 0.5) % 1 - 0.5) < 1e-6]  # halfway between beats
    assert len(off) >= 4 * 4 - 1  # at least 4 bars of skank
    lo, hi = off.min() - 0.25, off.max() + 0.25
    assert np.isclose(lo % 2.0, 0.0) and np.isclose(hi % 2.0, 0.0)  # whole bars
    inside = kicks[(kicks >= lo) & (kicks < hi)]
    np.testing.assert_allclose(inside, beats[(beats >= lo) & (beats < hi)])  # kick every beat
    assert not any(lo <= s < hi for s in snares if s not in off)  # the old backbeat is gone
    assert len(pm.instruments[0].notes) == len(beats)  # the input score is untouched


def test_limiter_holds_the_ceiling_and_raises_the_loudness():
    rng = np.random.default_rng(0)
    t = np.arange(2 * SR) / SR
    y = (0.1 * np.sin(2 * np.pi * 220 * t) + 0.5 * (rng.random(len(t)) < 0.001)).astype(np.float32)
    out = limit(y, 12.0)
    peak = np.abs(y).max()
    assert np.abs(out).max() <= 0.9 * peak + 1e-6
    rms = lambda a: float(np.sqrt(np.mean(a**2)))  # noqa: E731
    assert rms(out) > 2.0 * rms(y)


def test_saturation_keeps_the_peak_and_squashes_the_crest():
    t = np.arange(SR) / SR
    y = (np.sin(2 * np.pi * 110 * t) * np.linspace(0.05, 1, SR)).astype(np.float32)
    out = saturate(y, 6.0)
    assert np.isclose(np.abs(out).max(), np.abs(y).max(), rtol=1e-3)
    assert np.abs(out[: SR // 10]).mean() > 3 * np.abs(y[: SR // 10]).mean()
