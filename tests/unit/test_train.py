"""Training the beat network (editspec.train, editspec[train]): the torch module and its
weights files, agreement with the numpy network, the corpus' labels, training state.

No downloads and no corpus: songs are synthesized (editspec.demo.synth_song), the
training tests use a tiny corpus written here in the corpus format. Inference without
torch: tests/unit/test_model.py.
"""

from __future__ import annotations

import dataclasses
import json
import os

import mir_eval
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from editspec.demo import synth_song  # noqa: E402
from editspec.errors import CorpusError, ModelError  # noqa: E402
from editspec.model import infer  # noqa: E402
from editspec.train import gru  # noqa: E402
from editspec.train.corpus import CORPUS_VERSION, load_manifest  # noqa: E402
from editspec.train.gru import BeatGRU, GRUConfig  # noqa: E402

SR = 22050
TINY = GRUConfig(n_mels=16, conv_channels=8, hidden=8, layers=1)


@pytest.fixture(scope="module")
def song():
    return synth_song(sr=SR, bars=12, form=(("verse", 0, 4), ("chorus", 4, 8)))


def _peaks(act: np.ndarray, fps: float, thr: float = 0.3) -> np.ndarray:
    from editspec.train.train import pick_peaks

    return pick_peaks(act, fps, threshold=thr)


def test_beat_activation_peaks_on_the_known_beats(song):
    import mir_eval

    y, truth = song
    act = infer.activations(y, SR)
    est = _peaks(act.beat, act.fps)
    assert mir_eval.beat.f_measure(truth.beats, est, f_measure_threshold=0.07) >= 0.9
    # peaks are on time: median distance to the nearest true beat under 20 ms
    err = [np.min(np.abs(truth.beats - t)) for t in est]
    assert np.median(err) < 0.02


def test_wrong_checkpoint_raises_model_error(tmp_path):
    path = str(tmp_path / "other.pt")
    torch.save({"state_dict": {}}, path)
    with pytest.raises(ModelError, match=r"other\.pt: unusable model weights: not an "):
        gru.load_model(path)
    other = str(tmp_path / "other.npz")
    np.savez(other, x=np.zeros(3))
    with pytest.raises(ModelError, match=r"other\.npz: not an editspec-beats-gru weights file"):
        infer.load_fast(other)
    from editspec.model import weights

    weights.write(other, TINY, {k: v for k, v in BeatGRU(TINY).state_dict().items()
                                if k != "head.bias"})
    with pytest.raises(ModelError, match=r"other\.npz: unusable model weights: no head\.bias"):
        infer.load_fast(other)


def test_checkpoint_round_trip(tmp_path):
    from editspec.model import weights

    torch.manual_seed(0)
    model = BeatGRU(TINY).eval()
    path = str(tmp_path / "tiny.npz")
    weights.write(path, model.cfg, model.state_dict(), {"note": "test", "n": np.int64(3)})
    loaded = gru.load_model(path)
    assert loaded.cfg == TINY
    assert weights.read(path)[2] == {"note": "test", "n": 3}
    x = torch.randn(2, 50, TINY.n_inputs)
    with torch.no_grad():
        assert torch.equal(model(x), loaded(x))


def test_a_torch_checkpoint_converts_to_the_same_network(tmp_path):
    """Weights files of older editspec (torch.save, .pt) read with torch give the arrays and
    activations of their .npz conversion (how the shipped .npz files were made)."""
    from editspec.model import weights

    torch.manual_seed(5)
    cfg = GRUConfig()  # the shipped size
    model = BeatGRU(cfg).eval()
    with torch.no_grad():
        model.feat_mean.uniform_(-0.5, 0.5)
        model.feat_std.uniform_(0.5, 2.0)
    pt, npz = str(tmp_path / "old.pt"), str(tmp_path / "new.npz")
    torch.save({"format": "editspec-beats-gru", "version": 1, "config": dataclasses.asdict(cfg),
                "state_dict": model.state_dict(), "meta": {"best_epoch": 7}}, pt)
    from editspec.train import convert

    assert convert.main([pt, npz]) == 0
    cfg_npz, arrays_npz, meta_npz = weights.read(npz)
    assert (cfg_npz, meta_npz) == (cfg, {"best_epoch": 7})
    assert arrays_npz.keys() == model.state_dict().keys()
    for k, v in model.state_dict().items():
        assert np.array_equal(arrays_npz[k], v.numpy()), k
    y = np.tile(synth_song(sr=SR, bars=4)[0], 2)
    a_pt, a_npz = (infer.activations(y, SR, model=infer.load_fast(p)) for p in (pt, npz))
    for k in ("beat", "downbeat", "salience"):
        np.testing.assert_allclose(getattr(a_npz, k), getattr(a_pt, k), atol=1e-6, rtol=0)
    from editspec.model.frontend import features

    feats = features(y, cfg)  # torch's module (training's) agrees with the numpy network
    np.testing.assert_allclose(infer.run_network(infer.load_fast(npz), feats),
                               gru.run_network(model, feats), atol=1e-4, rtol=0)


def _tiny_file(tmp_path, name: str, seed: int, cfg: GRUConfig = TINY) -> str:
    from editspec.model import weights

    torch.manual_seed(seed)
    path = str(tmp_path / name)
    model = BeatGRU(cfg).eval()
    weights.write(path, cfg, model.state_dict())
    return path


def test_several_weights_files_run_as_an_ensemble_of_mean_probabilities(tmp_path, monkeypatch):
    a, b = _tiny_file(tmp_path, "a.npz", 1), _tiny_file(tmp_path, "b.npz", 2)
    feats = np.random.default_rng(0).random((300, TINY.n_inputs)).astype(np.float32)
    pa = gru.run_network(gru.load_model(a), feats)
    pb = gru.run_network(gru.load_model(b), feats)
    assert np.abs(pa - pb).max() > 0.01  # two different networks
    both = gru.load_model(a + os.pathsep + b)
    side_by_side = gru.run_network(both, feats)
    np.testing.assert_allclose(side_by_side, (pa + pb) / 2, atol=1e-5)
    with monkeypatch.context() as one_core:
        one_core.setattr(os, "cpu_count", lambda: 1)
        assert np.array_equal(gru.run_network(both, feats), side_by_side)
    monkeypatch.setenv("EDITSPEC_MODEL", os.pathsep.join([a, b]))
    assert infer.weights_files() == [a, b]
    assert infer.weights_shipped()
    monkeypatch.setenv("EDITSPEC_MODEL", os.pathsep.join([a, str(tmp_path / "gone.npz")]))
    assert not infer.weights_shipped()
    with pytest.raises(ModelError, match=r"gone\.npz: model weights not found"):
        gru.load_model()


def test_gru_ensemble_tracker_runs_the_shipped_networks(tmp_path, monkeypatch, song):
    from editspec import cli
    from editspec.analysis.audio import TRACKERS, analyze_audio
    from editspec.train.gru import Ensemble

    assert cli.TRACKERS == TRACKERS
    files = infer.weights_files(infer.ensemble_path())
    assert len(files) == 2 and infer.weights_shipped(infer.ensemble_path())
    assert sum(os.path.getsize(p) for p in files) <= 2 * 1024 * 1024  # small, all of them
    net = gru.load_model(infer.ensemble_path())
    assert isinstance(net, Ensemble) and len(net.members) == 2
    # $EDITSPEC_MODEL changes the gru tracker only
    monkeypatch.setenv("EDITSPEC_MODEL", _tiny_file(tmp_path, "tiny.npz", 0))
    y, truth = song
    a = analyze_audio("song", y=y, tracker="gru-ensemble")
    assert a.tracker == "gru-ensemble"
    assert mir_eval.beat.f_measure(truth.beats, a.beats) >= 0.95
    assert a.tempo == pytest.approx(truth.tempo, rel=0.01)


def test_an_ensemble_of_different_configs_is_a_model_error(tmp_path):
    a = _tiny_file(tmp_path, "a.npz", 1)
    b = _tiny_file(tmp_path, "b.npz", 1, GRUConfig(n_mels=24, conv_channels=8,
                                                  hidden=12, layers=1))
    with pytest.raises(ModelError, match="must have the same config"):
        gru.load_model(a + os.pathsep + b)


def test_chunked_inference_matches_whole_sequence():
    torch.manual_seed(0)
    model = BeatGRU(TINY).eval()
    feats = np.random.default_rng(0).random((700, TINY.n_inputs)).astype(np.float32)
    whole = gru.run_network(model, feats, chunk=1000)
    chunked = gru.run_network(model, feats, chunk=300, context=100)
    # a unidirectional 1-layer GRU forgets slowly; with 100 frames of context the chunks agree
    assert np.abs(whole - chunked).max() < 0.05


@pytest.mark.parametrize("cfg", [TINY, GRUConfig(n_mels=8, conv_channels=6, hidden=5, layers=2),
                                 GRUConfig(n_mels=14, conv_channels=4, hidden=7,
                                           layers=3, bidirectional=False)])
def test_fast_forward_pass_equals_torchs(cfg):
    from editspec.model.fastnet import from_state

    torch.manual_seed(3)
    model = BeatGRU(cfg).eval()
    with torch.no_grad():  # non-trivial normalization and biases
        model.feat_mean.uniform_(-0.5, 0.5)
        model.feat_std.uniform_(0.5, 2.0)
        for p in model.parameters():
            p.mul_(3.0)
    x = np.random.default_rng(1).random((3, 257, cfg.n_inputs)).astype(np.float32)
    with torch.inference_mode():
        ref = model(torch.from_numpy(x)).numpy()
    got = from_state(cfg, model.state_dict()).forward(x)
    assert got.shape == ref.shape and got.dtype == np.float32
    assert np.abs(ref).max() > 1.0  # the logits are not all near zero
    np.testing.assert_allclose(got, ref, atol=1e-4, rtol=1e-4)


def test_shipped_networks_give_the_same_activations_without_torch(song):
    from editspec.model.frontend import features

    y, _ = song
    for path in (infer.weights_path(), infer.ensemble_path()):
        feats = features(np.tile(y, 3), gru.load_model(path).cfg)  # more than one chunk
        ref = gru.run_network(gru.load_model(path), feats)
        fast = infer.run_network(infer.load_fast(path), feats)
        assert len(feats) > infer.CHUNK_FRAMES
        np.testing.assert_allclose(fast, ref, atol=1e-4)


def test_fast_loading_errors_are_model_errors(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelError, match="corrupt"):
        infer.load_fast(str(bad))
    with pytest.raises(ModelError, match="not found"):
        infer.load_fast(str(tmp_path / "gone.npz"))
    a = _tiny_file(tmp_path, "a.npz", 1)
    b = _tiny_file(tmp_path, "b.npz", 2, GRUConfig(n_mels=16, conv_channels=8, hidden=6, layers=1))
    with pytest.raises(ModelError, match="same config"):
        infer.load_fast(a + os.pathsep + b)


def test_midi_grid_follows_tempo_and_time_signature_maps():
    pretty_midi = pytest.importorskip("pretty_midi")
    from editspec.train.labels import midi_grid

    pm = pretty_midi.PrettyMIDI(initial_tempo=120)  # 0.5 s per quarter
    pm.time_signature_changes = [pretty_midi.TimeSignature(4, 4, 0.0),
                                 pretty_midi.TimeSignature(6, 8, 4.0)]  # after 2 bars of 4/4
    ins = pretty_midi.Instrument(0)
    ins.notes.append(pretty_midi.Note(90, 60, 0.0, 7.0))
    pm.instruments.append(ins)
    beats, downs = midi_grid(pm)
    # 4/4: quarter beats every 0.5 s, bars of 4; 6/8: dotted-quarter beats (0.75 s), bars of 2
    np.testing.assert_allclose(beats[:8], np.arange(8) * 0.5)
    np.testing.assert_allclose(beats[8:11], [4.0, 4.75, 5.5])
    np.testing.assert_allclose(downs[:4], [0.0, 2.0, 4.0, 5.5])


def _song_with_pickup(pretty_midi, bpb: int, pickup: int, drums: bool):
    """A 120 BPM song whose MIDI bar lines are at beat 0, 4, ... but whose chords, bass
    and kick start their bars ``pickup`` beats later (as after MMA's silent beat)."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    pm.time_signature_changes = [pretty_midi.TimeSignature(bpb, 4, 0.0)]
    keys, bass = pretty_midi.Instrument(0), pretty_midi.Instrument(33)
    kit = pretty_midi.Instrument(0, is_drum=True)
    roots = [0, 5, 7, 0, 9, 5, 7, 0] * 3
    for bar, root in enumerate(roots):
        t0 = (pickup + bar * bpb) * 0.5
        for k in range(bpb):  # the chord sounds on every beat of its bar
            t = t0 + k * 0.5
            keys.notes += [pretty_midi.Note(70, 60 + root + iv, t, t + 0.45) for iv in (0, 4, 7)]
            kit.notes.append(pretty_midi.Note(80, 42, t, t + 0.1))  # hi-hat
        bass.notes.append(pretty_midi.Note(90, 36 + root, t0, t0 + 0.9))
        kit.notes.append(pretty_midi.Note(100, 36, t0, t0 + 0.1))
    pm.instruments += [keys, bass] + ([kit] if drums else [])
    return pm


@pytest.mark.parametrize(("bpb", "pickup", "drums"), [(4, 0, True), (4, 1, True), (4, 1, False),
                                                      (3, 2, False), (4, 3, True)])
def test_bar_phase_finds_bar_lines_the_midi_misplaces(bpb, pickup, drums):
    pretty_midi = pytest.importorskip("pretty_midi")
    from editspec.train.labels import bar_phase, midi_grid, shift_bars

    pm = _song_with_pickup(pretty_midi, bpb, pickup, drums)
    beats, downs = midi_grid(pm)
    assert bar_phase(pm, beats, downs) == pickup
    fixed = shift_bars(beats, downs, pickup)
    first_chord = pickup * 0.5
    assert first_chord in fixed and np.allclose(np.diff(fixed), bpb * 0.5)
    assert fixed[0] <= first_chord and set(np.round(fixed, 6)) <= set(np.round(beats, 6))


def test_bar_phase_keeps_the_midi_bar_lines_without_clear_evidence():
    pretty_midi = pytest.importorskip("pretty_midi")
    from editspec.train.labels import bar_phase, midi_grid

    # one sustained chord and a bass on every beat: nothing marks any beat of the bar
    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    keys, bass = pretty_midi.Instrument(0), pretty_midi.Instrument(33)
    keys.notes += [pretty_midi.Note(70, p, 0.5, 40.0) for p in (60, 64, 67)]
    bass.notes += [pretty_midi.Note(90, 36, 0.5 * k, 0.5 * k + 0.4) for k in range(1, 80)]
    pm.instruments += [keys, bass]
    beats, downs = midi_grid(pm)
    assert bar_phase(pm, beats, downs) == 0


def _half_bar_song(pretty_midi, count_in: bool):
    """A 4/4 song at 120 BPM whose music starts two beats after the MIDI's bar line: kick
    and bass on its beats 1 and 3, a new chord on every beat 1 and on beat 3 in seven bars
    of ten (so beat 1 is favoured, but by less than ``BAR_PHASE_MARGIN``). With
    ``count_in`` a hi-hat plays the two beats before, so the file has no silent lead-in."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    pm.time_signature_changes = [pretty_midi.TimeSignature(4, 4, 0.0)]
    keys, bass = pretty_midi.Instrument(0), pretty_midi.Instrument(33)
    kit = pretty_midi.Instrument(0, is_drum=True)
    triads = [(0, 4, 7), (2, 6, 9), (5, 9, 0), (7, 11, 2), (9, 1, 4), (4, 8, 11)]
    for bar in range(24):
        t0 = 1.0 + bar * 2.0  # the music's bars start at MIDI beat 2
        first = triads[bar % 6]
        second = first if bar % 10 in (1, 4, 7) else triads[(bar + 3) % 6]
        for k in range(4):
            t = t0 + k * 0.5
            keys.notes += [pretty_midi.Note(70, 60 + pc, t, t + 0.45)
                           for pc in (first if k < 2 else second)]
            kit.notes.append(pretty_midi.Note(80, 42, t, t + 0.1))
            if k in (0, 2):
                kit.notes.append(pretty_midi.Note(100, 36, t, t + 0.1))
                bass.notes.append(pretty_midi.Note(90, 36 + (first if k == 0 else second)[0],
                                                   t, t + 0.9))
    if count_in:
        kit.notes += [pretty_midi.Note(80, 42, t, t + 0.1) for t in (0.0, 0.5)]
    pm.instruments += [keys, bass, kit]
    return pm


def test_bar_phase_trusts_a_silent_lead_in_to_the_music_bar_line():
    pretty_midi = pytest.importorskip("pretty_midi")
    from editspec.train.labels import bar_phase, midi_grid

    # two silent beats, then the music, whose evidence favours its first beat: moved
    pm = _half_bar_song(pretty_midi, count_in=False)
    beats, downs = midi_grid(pm)
    assert bar_phase(pm, beats, downs) == 2
    # the same music after a count-in on the MIDI's bar line: too little evidence to move
    pm = _half_bar_song(pretty_midi, count_in=True)
    beats, downs = midi_grid(pm)
    assert bar_phase(pm, beats, downs) == 0


def _six_eight(pretty_midi, eighths: tuple[int, ...]):
    """Twelve 6/8 bars (dotted quarter 0.6 s) with notes on the given eighths of each bar."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=150)  # quarter 0.4 s, eighth 0.2 s
    pm.time_signature_changes = [pretty_midi.TimeSignature(6, 8, 0.0)]
    ins = pretty_midi.Instrument(0)
    for bar in range(12):
        for e in eighths:
            t = bar * 1.2 + e * 0.2
            ins.notes.append(pretty_midi.Note(80, 60 + e, t, t + 0.15))
    pm.instruments.append(ins)
    return pm


def test_six_eight_played_in_three_is_read_as_three_four():
    pretty_midi = pytest.importorskip("pretty_midi")
    from editspec.train.labels import midi_grid, six_eight_in_three

    waltz = _six_eight(pretty_midi, (0, 2, 4))  # a waltz written in 6/8
    assert six_eight_in_three(waltz)
    beats, downs = midi_grid(waltz, six_eight_in_three=True)
    np.testing.assert_allclose(np.diff(beats[:7]), 0.4)  # quarter-note beats
    np.testing.assert_allclose(np.diff(downs[:4]), 1.2)  # three of them per bar
    # running eighths and a plain 6/8 pattern keep the dotted-quarter beat
    assert not six_eight_in_three(_six_eight(pretty_midi, (0, 1, 2, 3, 4, 5)))
    assert not six_eight_in_three(_six_eight(pretty_midi, (0, 2, 3, 5)))
    beats, _ = midi_grid(_six_eight(pretty_midi, (0, 3)))
    np.testing.assert_allclose(np.diff(beats[:5]), 0.6)


def _write_song(pretty_midi, path, onsets: np.ndarray, bpm: float = 120.0) -> str:
    pm = pretty_midi.PrettyMIDI(initial_tempo=bpm)
    ins = pretty_midi.Instrument(0)
    ins.notes += [pretty_midi.Note(80, 60 + (i % 12), float(t), float(t) + 0.1)
                  for i, t in enumerate(onsets)]
    pm.instruments.append(ins)
    pm.write(str(path))
    return str(path)


def test_songs_off_their_grid_or_out_of_the_decoders_tempo_range_are_left_out(tmp_path):
    pretty_midi = pytest.importorskip("pretty_midi")
    from editspec.train.labels import load_song

    rng = np.random.default_rng(3)
    on_grid = np.arange(240) * 0.125  # 16ths at 120 BPM, 30 s
    song = load_song(_write_song(pretty_midi, tmp_path / "grid.mid", on_grid))
    assert song is not None and len(song[1].beats) >= 60
    # freely played over a nominal 120 BPM map: 84 % of random onsets are within 35 ms of
    # a 16th/triplet point at this tempo, but only chance (50 %) within 1/24 of a beat
    free = np.sort(rng.uniform(0.0, 30.0, 240))
    assert load_song(_write_song(pretty_midi, tmp_path / "free.mid", free)) is None
    # a quarter note at 230 BPM (above the decoder's 215) or 45 BPM is no usable beat
    assert load_song(_write_song(pretty_midi, tmp_path / "fast.mid", on_grid * 120 / 230,
                                 bpm=230.0)) is None
    assert load_song(_write_song(pretty_midi, tmp_path / "slow.mid", on_grid * 120 / 45,
                                 bpm=45.0)) is None


def test_files_mma_made_start_their_bars_after_its_silent_beat(tmp_path):
    pretty_midi = pytest.importorskip("pretty_midi")
    from editspec.train.labels import load_song, mma_beat_adjust

    def write(name: str, first_beat: int, made_by_mma: bool, source: str | None = None) -> str:
        pm = _song_with_pickup(pretty_midi, 4, first_beat, drums=True)  # 120 BPM, 4/4 at 0
        if made_by_mma:
            pm.text_events.append(pretty_midi.Text("Created by MMA. Input filename: x.mma", 0.0))
        path = str(tmp_path / f"{name}.mid")
        pm.write(path)
        if source is not None:
            (tmp_path / f"{name}.mma").write_text(source)
        return path

    silent = write("silent", 1, True)
    pm = pretty_midi.PrettyMIDI(silent)
    beats = np.arange(100) * 0.5
    assert mma_beat_adjust(silent, pm, beats) == 1
    song = load_song(silent)[1]
    assert song.downbeats[0] == pytest.approx(0.5)  # the first bar after the silent beat
    np.testing.assert_allclose(np.diff(song.downbeats[:5]), 2.0)
    # notes from the start (MMA's groove library), or not made by MMA: the map stands
    for name, first, by_mma in (("direct", 0, True), ("other", 1, False)):
        path = write(name, first, by_mma)
        assert mma_beat_adjust(path, pretty_midi.PrettyMIDI(path), beats) == 0
    # a source that moves the bars again inside the song: no trustworthy bar lines
    for name, source in (("moved", "Groove Rock\n1 C\nBeatAdjust 1\n2 G\n"),
                         ("short", "Groove Rock\n  truncate 1\n1 C\n2 G\n")):
        path = write(name, 1, True, source=source)
        assert mma_beat_adjust(path, pretty_midi.PrettyMIDI(path), beats) is None
        assert load_song(path) is None
    # a comment that names a command is no command
    path = write("comment", 1, True, source="// no BeatAdjust here\n1 C\n")
    assert mma_beat_adjust(path, pretty_midi.PrettyMIDI(path), beats) == 1


def test_render_tempo_stays_inside_the_decoders_range():
    import inspect

    from editspec.analysis.beats import decode_bar_pointer
    from editspec.train.labels import TEMPO_RANGE_BPM, tempo_factor_in_range

    sig = inspect.signature(decode_bar_pointer).parameters
    assert (sig["min_bpm"].default, sig["max_bpm"].default) == TEMPO_RANGE_BPM
    beats_200 = np.arange(40) * 0.3  # 200 BPM
    assert tempo_factor_in_range(1.15, beats_200) == pytest.approx(215 / 200)
    assert tempo_factor_in_range(0.85, beats_200) == 0.85
    beats_60 = np.arange(40) * 1.0  # 60 BPM may slow down to 55 BPM only
    assert tempo_factor_in_range(0.85, beats_60) == pytest.approx(55 / 60)
    assert tempo_factor_in_range(1.1, beats_60) == 1.1


def test_time_map_keeps_beats_under_swing_and_scales_tempo():
    from editspec.train.augment import make_time_map

    beats = np.arange(10) * 0.5
    f = make_time_map(beats, np.random.default_rng(0), tempo_factor=1.25, swing=0.6,
                      drift_s=0.0, drift_period_s=20.0)
    np.testing.assert_allclose(f(beats), beats / 1.25)
    # the off-beat eighth moves to 60 % of the beat
    assert f(np.array([0.25]))[0] == pytest.approx(0.3 / 1.25)
    t = np.linspace(0, 4.5, 500)
    assert np.all(np.diff(f(t)) > 0)


def test_targets_and_f_measure():
    from editspec.train.train import f_measure, targets

    arrays = {"beats": np.array([1.0, 2.0]), "downbeats": np.array([1.0]),
              "salience_times": np.array([1.0]), "salience_weights": np.array([0.7])}
    y = targets(arrays, 200, 50.0)
    assert y[50, 0] == 1.0 and y[49, 0] == 0.5 and y[51, 0] == 0.5 and y[100, 0] == 1.0
    assert y[50, 1] == 1.0 and y[100, 1] == 0.0
    assert y[50, 2] == pytest.approx(0.7)
    assert f_measure(np.array([1.02, 2.5]), np.array([1.0, 2.0])) == pytest.approx(0.5)
    assert f_measure(np.array([]), np.array([1.0])) == 0.0


def test_split_is_by_song_group():
    from editspec.train.corpus import CorpusConfig, split_groups
    from editspec.train.labels import song_group

    paths = [f"/c/pkgs/mma/x/tune{i}.mid" for i in range(3)] + [
        f"/c/pkgs/mma/x/song_{c}.mid" for c in "abcdefghij"]
    groups = [song_group(p) for p in paths]
    assert len({groups[0], groups[1], groups[2]}) == 1
    split = split_groups(groups, CorpusConfig(seed=3))
    assert set(split.values()) == {"train", "val", "test"}
    assert split == split_groups(groups, CorpusConfig(seed=3))


def _tiny_corpus(root: str) -> None:
    """Write a corpus of four synthesized excerpts (two train, one val, one test)."""
    renders = []
    os.makedirs(os.path.join(root, "renders"))
    for i, (split, tempo) in enumerate([("train", 100.0), ("train", 128.0), ("val", 110.0),
                                        ("test", 120.0)]):
        y, truth = synth_song(sr=SR, tempo=tempo, bars=3, seed=i,
                              form=(("verse", 0, 3),))
        name = f"{split}-{i:04d}-0"
        np.savez(os.path.join(root, "renders", name + ".npz"),
                 audio=np.round(y * 32767).astype(np.int16), beats=truth.beats,
                 downbeats=truth.downbeats, salience_times=truth.downbeats,
                 salience_weights=np.ones(len(truth.downbeats)))
        renders.append({"name": name, "file": f"renders/{name}.npz", "split": split,
                        "song": name, "group": name, "spec": {}})
    with open(os.path.join(root, "manifest.json"), "w") as fh:
        json.dump({"version": CORPUS_VERSION, "config": {"seed": 0}, "renders": renders}, fh)


def test_a_corpus_of_another_version_must_be_rebuilt(tmp_path):
    root = str(tmp_path / "corpus")
    _tiny_corpus(root)
    assert load_manifest(root)["version"] == CORPUS_VERSION
    path = os.path.join(root, "manifest.json")
    with open(path) as fh:
        m = json.load(fh)
    with open(path, "w") as fh:
        json.dump(dict(m, version=CORPUS_VERSION - 1), fh)
    with pytest.raises(CorpusError, match="rebuild it with `make corpus`"):
        load_manifest(root)


def test_resumed_training_equals_uninterrupted(tmp_path):
    from editspec.train.train import TrainConfig, train

    root = str(tmp_path / "corpus")
    _tiny_corpus(root)
    tc = TrainConfig(epochs=2, batch=2, crop_frames=64, model=TINY, threads=1)
    out_a = str(tmp_path / "a.npz")
    meta = train(tc, output=out_a, workdir=str(tmp_path / "wa"), corpus_root=root,
                 progress=False)
    assert meta["best_epoch"] in (1, 2) and "stopped_after" not in meta

    out_b = str(tmp_path / "b.npz")
    wb = str(tmp_path / "wb")
    stopped = train(tc, output=out_b, workdir=wb, corpus_root=root, progress=False,
                    stop_after=1)
    assert stopped["stopped_after"] == 1 and stopped["best_epoch"] == 1
    assert os.path.isfile(os.path.join(wb, "last.pt")) and os.path.isfile(out_b)
    last = torch.load(os.path.join(wb, "last.pt"), weights_only=True)
    assert last["epoch"] == 1
    train(tc, output=out_b, workdir=wb, corpus_root=root, progress=False)

    from editspec.model import weights

    cfg_a, arrays_a, meta_a = weights.read(out_a)
    cfg_b, arrays_b, meta_b = weights.read(out_b)
    assert cfg_a == cfg_b == TINY and arrays_a.keys() == arrays_b.keys()
    for k, v in arrays_a.items():
        assert np.array_equal(v, arrays_b[k]), k
    assert meta_a["history"] == meta_b["history"]


def test_train_without_corpus_is_a_clear_error(tmp_path):
    from editspec.errors import CorpusError
    from editspec.train.train import TrainConfig, train

    with pytest.raises(CorpusError,
                       match="no corpus; build it with `editspec train --build-corpus`"):
        train(TrainConfig(model=TINY), output=str(tmp_path / "x.pt"),
              corpus_root=str(tmp_path / "nothing"), progress=False)


def test_fine_tuning_starts_from_the_given_weights(tmp_path):
    from editspec.model import weights
    from editspec.train.train import TrainConfig, train

    root = str(tmp_path / "corpus")
    _tiny_corpus(root)
    base = str(tmp_path / "base.npz")
    train(TrainConfig(epochs=1, batch=2, crop_frames=64, model=TINY, threads=1, seed=1),
          output=base, workdir=str(tmp_path / "w0"), corpus_root=root, progress=False)
    _, base_arrays, _ = weights.read(base)
    # a vanishing learning rate: fine-tuned weights stay the base's; from scratch (seed 0)
    # they are another network
    tc = TrainConfig(epochs=1, batch=2, crop_frames=64, model=TINY, threads=1, lr=1e-12)
    tuned = str(tmp_path / "tuned.npz")
    meta = train(tc, output=tuned, workdir=str(tmp_path / "w1"), corpus_root=root,
                 progress=False, init=base)
    scratch = str(tmp_path / "scratch.npz")
    train(tc, output=scratch, workdir=str(tmp_path / "w2"), corpus_root=root, progress=False)
    _, tuned_arrays, tuned_meta = weights.read(tuned)
    _, scratch_arrays, _ = weights.read(scratch)
    for k, v in base_arrays.items():
        np.testing.assert_allclose(tuned_arrays[k], v, atol=1e-6, err_msg=k)
    assert any(not np.allclose(scratch_arrays[k], v) for k, v in base_arrays.items())
    lineage = json.loads(tuned_meta["fine_tuned_from"])
    assert lineage["file"] == "base.npz" and lineage["best_epoch"] == 1
    assert meta["fine_tuned_from"] == tuned_meta["fine_tuned_from"]
