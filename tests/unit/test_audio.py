"""The audio analyzer against songs whose beats are known by construction."""

import json
import os

import mir_eval
import numpy as np
import pytest
import soundfile as sf

from editspec.analysis.audio import analyze_audio, decode_audio
from editspec.demo import synth_song
from editspec.errors import MediaError


def test_demo_song_beats_downbeats_tempo(demo_song):
    path, truth = demo_song
    a = analyze_audio(path)
    assert mir_eval.beat.f_measure(truth.beats, a.beats, f_measure_threshold=0.07) >= 0.95
    assert mir_eval.beat.f_measure(truth.downbeats, a.downbeats, f_measure_threshold=0.07) >= 0.9
    assert a.tempo == pytest.approx(truth.tempo, rel=0.01)
    assert a.duration == pytest.approx(truth.duration, abs=0.05)


def test_beats_are_on_time(demo_song):
    path, truth = demo_song
    a = analyze_audio(path)
    err = np.array([b - truth.beats[np.argmin(np.abs(truth.beats - b))] for b in a.beats])
    # within a third of a 30 fps frame on average, so cuts land on the right frame
    assert abs(np.median(err)) < 0.011


@pytest.mark.parametrize("tempo", [96.0, 140.0])
def test_other_tempi(tmp_path, tempo):
    path = str(tmp_path / "song.wav")
    _, truth = synth_song(path, tempo=tempo, bars=12, sr=22050,
                          form=(("verse", 0, 4), ("chorus", 4, 8)))
    a = analyze_audio(path)
    assert a.tempo == pytest.approx(tempo, rel=0.02)
    assert mir_eval.beat.f_measure(truth.beats, a.beats) >= 0.95


def test_energy_follows_the_form(demo_song):
    path, _ = demo_song
    a = analyze_audio(path)
    intro = a.energy_at(np.arange(1.0, 7.0, 0.5)).mean()  # form: intro bars 0-3 (0-8 s)
    chorus = a.energy_at(np.arange(18.0, 30.0, 0.5)).mean()  # chorus bars 8-15 (16-32 s)
    assert a.energy.min() >= 0.0 and a.energy.max() <= 1.0
    assert chorus > 0.8 and intro < 0.3


def test_loudness_does_not_depend_on_the_span_analysed(demo_song):
    # an edited video's soundtrack is an excerpt of the song: its energy is scaled to the
    # excerpt's range, its absolute loudness is the song's (issue 26)
    from editspec.analysis.audio import SR

    path, _ = demo_song
    whole = analyze_audio(path)
    y = decode_audio(path)
    start = 4.0  # intro (quiet, 0-8 s) and verse (8-16 s): no chorus in the excerpt
    part = analyze_audio(path, y=y[int(start * SR):int(16.0 * SR)], tracker="dp")
    t = np.arange(6.0, 14.0, 0.25)  # song time, away from the excerpt's edges
    assert whole.loudness_at(t) == pytest.approx(part.loudness_at(t - start), abs=0.5)
    assert float(np.ptp(whole.loudness_at(t))) > 6.0  # the quiet intro and the verse differ
    # the energy of the same passage does depend on the span: the verse is middling in the
    # song (the chorus is louder) but the loudest part of the excerpt
    verse = np.arange(10.0, 14.0, 0.25)
    assert part.energy_at(verse - start).mean() - whole.energy_at(verse).mean() > 0.15


def test_sections_cover_the_song_and_find_the_loud_part(demo_song):
    path, _truth = demo_song
    a = analyze_audio(path)
    assert a.sections[0].start == 0.0
    assert a.sections[-1].end == pytest.approx(a.duration)
    for s0, s1 in zip(a.sections[:-1], a.sections[1:], strict=True):
        assert s0.end == s1.start
    chorus = [s for s in a.sections if s.label == "chorus"]
    assert chorus, a.sections
    # the chorus section overlaps the loud bars 8-15 (16-32 s)
    assert any(s.start < 30.0 and s.end > 18.0 for s in chorus)


def test_json_contract(demo_song):
    path, _ = demo_song
    d = analyze_audio(path).to_dict()
    for key in ("duration", "tempo", "beats", "downbeats", "sections", "energy"):
        assert key in d
    assert set(d["energy"]) == {"fps", "values"}
    assert set(d["downbeats"]) <= set(d["beats"])


def test_cache_gives_the_same_result(demo_song):
    path, _ = demo_song
    a = analyze_audio(path, use_cache=False)
    b = analyze_audio(path)  # written to the cache
    c = analyze_audio(path)  # read back
    np.testing.assert_array_equal(a.beats, c.beats)
    np.testing.assert_array_equal(b.energy, c.energy)
    np.testing.assert_array_equal(b.loudness, c.loudness)
    assert len(c.loudness) == len(c.energy)
    assert a.sections == c.sections


def test_bad_audio_is_a_media_error(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not audio at all\n" * 100)
    with pytest.raises(MediaError, match="cannot decode audio"):
        decode_audio(str(text))
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match="the file is empty"):
        decode_audio(str(empty))
    short = tmp_path / "short.wav"
    sf.write(str(short), np.zeros(8000, np.float32), 22050)
    with pytest.raises(MediaError, match=r"audio is 0\.36s long; at least 1s needed"):
        decode_audio(str(short))
    with pytest.raises(MediaError, match="no such audio file"):
        analyze_audio(str(tmp_path / "missing.ogg"))


def _f(truth, est):
    return mir_eval.beat.f_measure(truth, est, f_measure_threshold=0.07)


def test_three_four_metre(tmp_path):
    path = str(tmp_path / "waltz.wav")
    _, truth = synth_song(path, tempo=132.0, beats_per_bar=3, bars=16, sr=22050,
                          form=(("verse", 0, 8), ("chorus", 8, 8)))
    a = analyze_audio(path)
    assert a.beats_per_bar == 3
    assert _f(truth.beats, a.beats) >= 0.95
    assert _f(truth.downbeats, a.downbeats) >= 0.9


def test_tempo_change_is_followed(tmp_path):
    path = str(tmp_path / "change.wav")
    _, truth = synth_song(path, tempo=120.0, bars=20, sr=22050, tempo_changes={10: 100.0},
                          form=(("verse", 0, 10), ("chorus", 10, 10)))
    a = analyze_audio(path)
    assert _f(truth.beats, a.beats) >= 0.95
    assert _f(truth.downbeats, a.downbeats) >= 0.9
    first = np.diff(a.beats[(a.beats > 2) & (a.beats < 18)])
    last = np.diff(a.beats[a.beats > 23])
    assert np.median(first) == pytest.approx(0.5, abs=0.012)
    assert np.median(last) == pytest.approx(0.6, abs=0.012)


def test_tempo_alternative_is_an_octave(demo_song):
    a = analyze_audio(demo_song[0])
    assert a.tempo_alternative in (pytest.approx(a.tempo / 2, rel=0.02),
                                   pytest.approx(a.tempo * 2, rel=0.02))
    assert 0.5 <= a.tempo_confidence <= 1.0


def test_onsets_and_salience(demo_song):
    path, truth = demo_song
    a = analyze_audio(path)
    # every beat of the song has a drum or chord hit: most beats have an onset within 50 ms
    near = [np.min(np.abs(a.onsets - b)) < 0.05 for b in truth.beats]
    assert np.mean(near) > 0.9
    assert len(a.salience) == len(a.energy)
    # salience is higher on downbeats than on the other beats
    down = a.salience_at(truth.downbeats).mean()
    other = a.salience_at(np.setdiff1d(truth.beats, truth.downbeats)).mean()
    assert down > other


@pytest.mark.parametrize("fmt", ["mp3", "ogg", "flac", "m4a", "mp4"])
def test_formats_decode_to_the_same_beats(tmp_path, demo_song, fmt):
    from editspec.media import run_ffmpeg

    src, truth = demo_song
    dest = str(tmp_path / f"song.{fmt}")
    extra = ["-f", "lavfi", "-i", "color=c=black:s=64x64:r=10", "-shortest", "-c:v", "libx264",
             "-c:a", "aac"] if fmt == "mp4" else []
    run_ffmpeg(["-y", "-i", src, *extra, dest], "encode")
    a = analyze_audio(dest)
    assert _f(truth.beats, a.beats) >= 0.95


def test_best_window_prefers_the_chorus(demo_song):
    from editspec.analysis.sections import best_window

    a = analyze_audio(demo_song[0])
    start = best_window(a.downbeats, a.sections, a.energy, a.energy_fps, 12.0, a.duration)
    # the loud chorus is bars 8-15 (16-32 s): a 12 s window should sit inside it, on a downbeat
    assert 15.9 <= start <= 20.1
    assert np.min(np.abs(a.downbeats - start)) < 1e-6


def test_unknown_tracker():
    with pytest.raises(ValueError,
                       match="tracker='xyz' is not one of hybrid, dp, gru, gru-ensemble"):
        analyze_audio("x.ogg", y=np.zeros(22050 * 2, np.float32), tracker="xyz")


def test_section_boundaries_within_a_bar(demo_song):
    path, _truth = demo_song
    a = analyze_audio(path)
    found = [s.start for s in a.sections[1:]]
    # the demo's form changes at bars 4, 8 and 16: 8 s, 16 s and 32 s (a bar is 2 s)
    for t in (8.0, 16.0, 32.0):
        assert min(abs(f - t) for f in found) <= 2.0, (t, a.sections)
    assert a.sections[0].label == "intro" and a.sections[-1].label == "outro"
    chorus = [s for s in a.sections if s.label == "chorus"]
    assert any(s.start <= 18.0 and s.end >= 30.0 for s in chorus), a.sections


def test_librosa_replacements_give_librosa_numbers():
    import librosa

    from editspec.analysis import features as ft

    rng = np.random.default_rng(3)
    for i in range(200):
        n = int(rng.integers(1, 300))
        x = rng.random(n) ** 3
        if i % 3 == 0:
            x = np.round(x * 5) / 5  # ties between neighbours
        kw = {"pre_max": int(rng.integers(0, 6)), "post_max": int(rng.integers(1, 6)),
              "pre_avg": int(rng.integers(0, 12)), "post_avg": int(rng.integers(1, 12)),
              "delta": float(rng.random() * 0.2), "wait": int(rng.integers(0, 6))}
        assert np.array_equal(ft.peak_pick(x, **kw), librosa.util.peak_pick(x, **kw))
    power = rng.random((1025, 50)).astype(np.float32)
    power[:, 7] = 0.0
    np.testing.assert_allclose(ft.chroma(power), librosa.feature.chroma_stft(
        S=power, sr=22050, n_fft=2048, tuning=0.0), rtol=1e-5, atol=1e-7)
    mel_db = ft.log_mel(power)
    np.testing.assert_allclose(ft.mfcc(mel_db), librosa.feature.mfcc(S=mel_db, n_mfcc=13),
                               rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(ft.mel_frequencies(64),
                               librosa.mel_frequencies(n_mels=66, fmax=11025)[1:-1])


def test_a_warm_analysis_process_never_imports_librosa(tmp_path):
    import subprocess
    import sys

    path = str(tmp_path / "song.wav")
    synth_song(path, bars=6)
    analyze_audio(path, tracker="dp", use_cache=False)  # fills the filter-bank cache
    code = ("import sys; from editspec.analysis.audio import analyze_audio; "
            f"a = analyze_audio({path!r}, tracker='dp', use_cache=False); "
            "print(len(a.beats), len(a.sections), 'librosa' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert int(out[0]) > 8 and int(out[1]) >= 1 and out[2] == "False"


@pytest.mark.parametrize("n, n_fft, hop", [(22050 * 7 + 13, 1024, 256), (5000, 2048, 1024),
                                           (300, 1024, 256), (0, 2048, 512)])
def test_power_spectrogram_is_librosas_and_threads_change_no_bit(monkeypatch, n, n_fft, hop):
    import librosa

    from editspec.analysis import features as ft

    y = np.random.default_rng(n).standard_normal(n).astype(np.float32)
    ref = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop, center=True,
                              pad_mode="constant")) ** 2
    power = ft.power_spectrogram(y, n_fft=n_fft, hop=hop)
    assert power.shape == ref.shape and power.dtype == np.float32
    np.testing.assert_allclose(power, ref, rtol=1e-4, atol=1e-4 * max(1.0, float(ref.max())))
    from editspec.dsp import spectrum

    monkeypatch.setattr(spectrum, "FEATURE_THREADS", 1)
    assert np.array_equal(ft.power_spectrogram(y, n_fft=n_fft, hop=hop), power)


def _brute_bar_pointer(lb, ld, ln, intervals, bpb, log_trans, region, lo, hi):
    """The bar-pointer HMM written out state by state, decoded by plain dense Viterbi."""
    states = [(i, k, o) for i, L in enumerate(intervals) for k in range(bpb) for o in range(L)]
    index = {s: q for q, s in enumerate(states)}
    S = len(states)
    trans = np.full((S, S), -np.inf)
    for (i, k, o), q in index.items():
        if o < intervals[i] - 1:
            trans[q, index[(i, k, o + 1)]] = 0.0
        else:
            for i2 in range(len(intervals)):
                if lo[i2] <= i < hi[i2]:
                    trans[q, index[(i2, (k + 1) % bpb, 0)]] = log_trans[i, i2]

    def emit(t):
        return np.array([(ld[t] if k == 0 else lb[t]) if o < region[i] else ln[t]
                         for i, k, o in states])

    delta = -np.log(S) + emit(0)
    back = []
    for t in range(1, len(lb)):
        cand = delta[:, None] + trans
        back.append(np.argmax(cand, axis=0))
        delta = cand.max(axis=0) + emit(t)
    q = int(np.argmax(delta))
    score, path = delta[q], [q]
    for b in reversed(back):
        q = int(b[q])
        path.append(q)
    path = [states[q] for q in reversed(path)]
    beats = [(t, k) for t, (i, k, o) in enumerate(path) if o == 0]
    return score - ln.sum(), np.array([t for t, _ in beats]), np.array([k for _, k in beats])


@pytest.mark.parametrize("bpb", [2, 3, 4])
def test_bar_pointer_viterbi_equals_a_dense_viterbi(bpb):
    from editspec.analysis import beats as bt
    from editspec.analysis._kernels import bar_pointer_viterbi

    rng = np.random.default_rng(bpb)
    n = 90
    intervals = np.array([4, 5, 6, 7], dtype=np.int64)
    log_trans, lo, hi = bt.tempo_transitions(intervals, 3.0, floor=0.05)
    region = np.array([1, 1, 2, 2], dtype=np.int64)
    p = rng.random((3, n)) + 0.05
    lb, ld, ln = np.log(p / p.sum(axis=0))
    score, frames, index = bar_pointer_viterbi(lb, ld, ln, intervals, bpb, log_trans, region,
                                               lo, hi)
    ref_score, ref_frames, ref_index = _brute_bar_pointer(lb, ld, ln, intervals, bpb,
                                                          log_trans, region, lo, hi)
    assert abs(score - ref_score) < 1e-9
    assert np.array_equal(frames, ref_frames) and np.array_equal(index, ref_index)


@pytest.mark.parametrize("tracker", ["dp", "gru"])
def test_an_unwritable_cache_folder_costs_only_a_warning(tmp_path, tracker):
    import subprocess
    import sys

    path = str(tmp_path / "song.wav")
    _, truth = synth_song(path, bars=8, sr=22050)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    env = {k: v for k, v in os.environ.items() if k != "EDITSPEC_MODEL"}
    env["EDITSPEC_CACHE"] = str(blocker)
    out = subprocess.run([sys.executable, "-m", "editspec", "analyze", path, "--json",
                          "--tracker", tracker], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert "could not write" in out.stderr and "Traceback" not in out.stderr
    beats = np.array(json.loads(out.stdout)["beats"], float)
    assert _f(truth.beats, beats) >= 0.95


def test_tempo_estimate_stays_in_range_on_a_few_isolated_onsets():
    # A song of held notes has an onset envelope of a few spikes. The prior-weighted
    # autocorrelation peak then sits on a nearly flat parabola, whose vertex was once
    # refined to a lag of -5e10 frames (a tempo of -1e-7 BPM).
    from editspec.analysis.beats import estimate_tempo

    rng = np.random.default_rng(7)
    for _ in range(60):
        x = np.zeros(2584)
        x[rng.choice(len(x), rng.integers(1, 10), replace=False)] = rng.random(10)[:1] * 20 + 1
        t = estimate_tempo(x, 86.13, min_bpm=40.0, max_bpm=240.0)
        assert 40.0 <= t.bpm <= 240.0
        assert t.alternative in (pytest.approx(t.bpm / 2), pytest.approx(t.bpm * 2))
        assert 0.0 <= t.confidence <= 1.0



def test_refined_beats_reach_the_peak_inside_their_beat_region():
    from editspec.analysis.beats import refine_beats

    act = np.zeros(100)
    act[[13, 45, 77]] = 1.0  # peaks 3 frames after the decoded beats
    act[[12, 44, 76]] = act[[14, 46, 78]] = 0.5
    frames = np.array([10, 42, 74])
    assert np.allclose(refine_beats(frames, act, radius=1, ahead=4), [13, 45, 77])
    assert np.allclose(refine_beats(frames, act, radius=2), [12, 44, 76])  # ±2 only


def _drum_envelopes(n_beats: int, ibi: int, kick_at: float, snare_at: float,
                    kick_both: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kick and snare onset envelopes with pulses at a fraction of each beat interval, and
    the beat grid (frames) a tracker that followed the snare would decode."""
    n = (n_beats + 2) * ibi
    kick, snare = np.zeros(n), np.zeros(n)
    for k in range(1, n_beats + 1):
        kick[k * ibi + int(kick_at * ibi)] = 1.0
        if kick_both:
            kick[k * ibi + int((kick_at + 0.5) % 1 * ibi)] = 1.0
        snare[k * ibi + int(snare_at * ibi)] = 1.0
    grid = np.arange(1, n_beats + 1) * ibi + snare_at * ibi
    return kick, snare, grid


def test_offbeat_shift_moves_a_skank_beat_to_the_kick():
    from editspec.analysis.beats import delay, offbeat_shift

    # decoded on the snare, the kick halfway between: every block is delayed half a beat
    kick, snare, grid = _drum_envelopes(64, 30, kick_at=0.5, snare_at=0.0)
    shift = offbeat_shift(grid, kick, snare)
    assert np.all(shift[int(grid[0]): int(grid[-1])] == 15.0)
    act = np.zeros_like(kick)
    act[grid.astype(int)] = 1.0
    moved = np.flatnonzero(delay(act, shift) > 0)
    inside = moved[moved < grid[-1]]  # the last beat ends the last block
    assert len(inside) == 63 and np.all(np.isin(inside, np.flatnonzero(kick)))


@pytest.mark.parametrize("pattern", ["rock", "double kick", "no drums"])
def test_offbeat_shift_leaves_other_beats_alone(pattern):
    from editspec.analysis.beats import offbeat_shift

    if pattern == "rock":  # kick and snare on the beats, decoded there
        kick, snare, grid = _drum_envelopes(64, 30, kick_at=0.0, snare_at=0.0)
    elif pattern == "double kick":  # kick on every half beat, snare on the beats
        kick, snare, grid = _drum_envelopes(64, 30, kick_at=0.0, snare_at=0.0, kick_both=True)
    else:
        kick, snare, grid = np.zeros(66 * 30), np.zeros(66 * 30), np.arange(1, 65) * 30.0
    assert not offbeat_shift(grid, kick, snare).any()


def test_sections_merge_alike_neighbours_and_a_short_burst_is_no_chorus():
    from editspec.analysis.sections import find_sections

    # 40 bars of 2 s: A (bars 0-11), a loud 2-bar burst (12-13), B (14-27, louder by 0.15
    # from bar 20: a boundary of its own, yet the same part), A again (28-39)
    rng = np.random.default_rng(0)
    part = np.array([0] * 12 + [2] * 2 + [1] * 14 + [0] * 12)
    chroma = rng.standard_normal((3, 12))[part].T + 0.05 * rng.standard_normal((12, 40))
    energy = np.array([0.4, 0.7, 1.0])[part]
    energy[20:28] += 0.15
    secs = find_sections(np.arange(40) * 2.0, [chroma, energy[None, :]], energy, 80.0)
    assert [(s.start, s.end) for s in secs] == [(0.0, 24.0), (24.0, 28.0), (28.0, 56.0),
                                                (56.0, 80.0)]
    assert secs[0].label == secs[3].label != secs[2].label
    assert secs[2].label == "chorus" and secs[1].label != "chorus"


def _islands_case(n_beats=128, ibi=30.5, first=40, last=64, kick_on_true=True):
    """Decoded beats on a steady grid of ``ibi`` frames except beats ``first..last-1``, which
    sit half a beat early; the kick on the true grid (or on its off-beats)."""
    true = 20.0 + np.arange(n_beats) * ibi
    decoded = true.copy()
    decoded[first:last] -= ibi / 2
    n = int(true[-1] + 2 * ibi)
    kick = np.zeros(n)
    at = true if kick_on_true else true + ibi / 2
    kick[np.round(at[at < n - 1]).astype(int)] = 1.0
    return true, decoded, kick


def test_phase_islands_moves_a_stretch_off_the_grid_back_onto_it():
    from editspec.analysis.beats import delay, phase_islands

    true, decoded, kick = _islands_case()
    shift = phase_islands(decoded, kick)
    moved = np.flatnonzero(shift)
    assert shift[moved[0]] == pytest.approx(15.25)
    # the stretch from its first decoded beat to half a beat past its last, and nothing else
    assert decoded[40] - 8 <= moved[0] <= decoded[40]
    assert decoded[63] + 15.25 <= moved[-1] <= decoded[63] + 23
    assert len(moved) == moved[-1] - moved[0] + 1
    act = np.zeros_like(kick)
    act[np.round(decoded).astype(int)] = 1.0
    peaks = np.flatnonzero(delay(act, shift))
    # every beat of the stretch now has its peak on the grid; at most one stray copy where
    # the stretch begins (the beat before it, delayed too) is left for the decoder to skip
    assert np.abs(true[40:64, None] - peaks[None, :]).min(axis=1).max() <= 1.0
    assert (np.abs(peaks[:, None] - true[None, :]).min(axis=1) > 1.0).sum() <= 1


def test_phase_islands_needs_a_clear_majority_the_kick_does_not_contradict():
    from editspec.analysis.beats import phase_islands

    # without drums the larger stretch still wins: the island moves
    _, decoded, kick = _islands_case()
    moved = np.flatnonzero(phase_islands(decoded, np.zeros_like(kick)))
    assert decoded[40] - 8 <= moved[0] <= decoded[40] <= decoded[63] + 15 <= moved[-1]
    # the kick on the island's phase all song long (a syncopated kick, or the decoder off
    # the grid for most of the song): nothing moves, whichever is right
    _, decoded, kick = _islands_case(kick_on_true=False)
    assert not phase_islands(decoded, kick).any()
    # 72 beats against 56: no clear majority, nothing moves
    _, decoded, kick = _islands_case(first=40, last=96)
    assert not phase_islands(decoded, kick).any()


def test_phase_islands_leaves_unsteady_and_single_phase_songs_alone():
    from editspec.analysis.beats import phase_islands

    # one phase only, even with the kick on its off-beats (a syncopated kick): no move
    _, decoded, kick = _islands_case(first=0, last=0, kick_on_true=False)
    assert not phase_islands(decoded, kick).any()
    # a tempo that drifts from 25 to 35 frames a beat: no single grid to come back to
    ibi = np.linspace(25.0, 35.0, 127)
    drifting = 20.0 + np.concatenate(([0.0], np.cumsum(ibi)))
    drifting[40:64] -= ibi[40:64] / 2
    kick = np.zeros(int(drifting[-1]) + 40)
    assert not phase_islands(drifting, kick).any()
    # too few beats to tell
    _, decoded, kick = _islands_case(n_beats=30, first=10, last=20)
    assert not phase_islands(decoded, kick).any()
