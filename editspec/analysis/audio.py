"""Audio analysis stage: a song → :class:`AudioAnalysis` (tempo, beats, downbeats, metre,
sections, energy, onsets, cut salience).

Decoding is ffmpeg (any format, or a video's soundtrack) to mono at
:data:`~editspec.analysis.features.SR`. Features are in :mod:`.features`, the beat
decoder in :mod:`.beats`, sections in :mod:`.sections`. Two trackers give the
activations the decoder reads: ``dp`` (onset envelope, no model) and ``gru`` (the
learned model of :mod:`editspec.model`). Results are cached by content hash.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from editspec.analysis.features import (  # re-exported: the analyzer's frame grid
    FPS,
    HOP,
    N_FFT,
    N_MELS,
    ONSET_N_FFT,
    ONSET_N_MELS,
    SR,
    log_mel,
    onset_strength,
    power_spectrogram,
)
from editspec.analysis.sections import Section
from editspec.errors import MediaError

__all__ = ["FPS", "HOP", "N_FFT", "N_MELS", "ONSET_N_FFT", "ONSET_N_MELS", "SR", "TRACKERS",
           "AudioAnalysis", "Section", "analyze_audio", "decode_audio", "log_mel",
           "onset_strength", "power_spectrogram"]

ANALYZER_VERSION = "audio-0.7"
HARMONY_HOP = 4 * HOP
"""Hop of the chroma and MFCC features (sections, harmonic change), samples."""
ENERGY_FPS = 25.0
"""Rate of the published energy and salience curves, frames per second."""
MIN_DURATION_S = 1.0
TRACKERS = ("hybrid", "dp", "gru", "gru-ensemble")
"""``hybrid`` (the default when the network ships): the mean of the ``dp`` and ``gru``
beat activations, decoded with the decoder's own settings; best on recorded music
(``bench/real_beats.py``, models/MODEL_CARD.md). ``dp``: onset envelope, no model.
``gru``: the shipped network. ``gru-ensemble``: the mean of the shipped networks
(:data:`editspec.model.infer.ENSEMBLE_NAMES`), one network pass slower."""
HYBRID_DP_WEIGHT = 0.5
"""Share of the ``dp`` onset activation in the ``hybrid`` tracker's beat activation (the
rest is the GRU's beat head): equal weights, not tuned."""
GRU_OBS_LAMBDA = 8.0
"""Bar-pointer HMM ``observation_lambda`` for the GRU's activations (see ``_analyze``)."""
GRU_FINE_LAMBDA = 12.0
"""``observation_lambda`` of the network trackers' second decoding pass: beats emit over
1/12 of the beat interval, with the tempo held within half an octave of the first pass's
(``_analyze``; chosen on recorded music, models/MODEL_CARD.md, "Recorded music")."""
GRU_DP_DOWN_MIX = 0.3
"""Share of the dp tracker's downbeat cue in the GRU's downbeat activation (``_analyze``)."""


@dataclass(frozen=True, slots=True)
class AudioAnalysis:
    """What the audio analyzer found in a song."""

    path: str
    """The analyzed file."""
    duration: float
    """Duration in seconds."""
    tempo: float
    """Global tempo in BPM (median beat interval)."""
    beats: np.ndarray
    """Beat times in seconds [shape=(n_beats,)], increasing."""
    downbeats: np.ndarray
    """Downbeat times in seconds, a subset of ``beats``."""
    beats_per_bar: int
    """Metre: beats in a bar (3 or 4)."""
    sections: tuple[Section, ...]
    """Sections covering the song in order."""
    energy: np.ndarray
    """Loudness-based energy in 0..1 at ``energy_fps`` [shape=(n,)]."""
    energy_fps: float
    """Rate of ``energy`` and ``salience``, frames per second."""
    loudness: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    """Absolute loudness at ``energy_fps``: K-weighted, over the same 2 s window as
    ``energy``, in dB relative to full scale (LUFS-like) [shape=(n,)]. Unlike ``energy``
    it does not depend on the file's range: a passage has the same value in a 30 s
    excerpt as in the whole song (empty: unknown, e.g. a hand-made analysis)."""
    salience: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    """How good a cut is at each frame, 0..1 at ``energy_fps`` (the GRU's head, or the
    onset-based downbeat activation for the ``dp`` tracker)."""
    onsets: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Onset times in seconds (hits)."""
    onset_strength: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    """Strength of each onset, 0..1."""
    tempo_alternative: float = 0.0
    """The half- or double-tempo reading, BPM."""
    tempo_confidence: float = 1.0
    """Strength of ``tempo`` against ``tempo_alternative``, 0..1."""
    tracker: str = "dp"
    """Which activations the beats were decoded from."""

    def energy_at(self, seconds: np.ndarray | float) -> np.ndarray:
        """Return the energy at times in seconds (linear interpolation)."""
        t = np.arange(len(self.energy)) / self.energy_fps
        return np.interp(seconds, t, self.energy)

    def loudness_at(self, seconds: np.ndarray | float) -> np.ndarray:
        """Return the absolute loudness (dB) at times in seconds; NaN when unknown."""
        if len(self.loudness) == 0:
            return np.full(np.shape(seconds), np.nan)
        t = np.arange(len(self.loudness)) / self.energy_fps
        return np.interp(seconds, t, self.loudness)

    def salience_at(self, seconds: np.ndarray | float) -> np.ndarray:
        """Return the cut salience at times in seconds (linear interpolation)."""
        if len(self.salience) == 0:
            return np.zeros(np.shape(seconds))
        t = np.arange(len(self.salience)) / self.energy_fps
        return np.interp(seconds, t, self.salience)

    @property
    def beat_energy(self) -> np.ndarray:
        """Energy at each beat [shape=(n_beats,)]."""
        return self.energy_at(self.beats)

    @property
    def beat_salience(self) -> np.ndarray:
        """Cut salience at each beat [shape=(n_beats,)]."""
        return self.salience_at(self.beats)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of ``editspec analyze --json`` (DESIGN.md contract)."""
        def r(v: np.ndarray, nd: int = 4) -> list[float]:
            return [round(float(x), nd) for x in v]

        return {
            "version": 1,
            "analyzer": ANALYZER_VERSION,
            "tracker": self.tracker,
            "path": self.path,
            "duration": round(self.duration, 6),
            "tempo": round(self.tempo, 3),
            "tempo_alternative": round(self.tempo_alternative, 3),
            "tempo_confidence": round(self.tempo_confidence, 3),
            "beats_per_bar": self.beats_per_bar,
            "beats": r(self.beats),
            "downbeats": r(self.downbeats),
            "beat_energy": r(self.beat_energy, 3),
            "beat_salience": r(self.beat_salience, 3),
            "sections": [{"start": round(s.start, 4), "end": round(s.end, 4), "label": s.label}
                         for s in self.sections],
            "energy": {"fps": self.energy_fps, "values": r(self.energy)},
            "salience": {"fps": self.energy_fps, "values": r(self.salience)},
            "onsets": {"times": r(self.onsets), "strength": r(self.onset_strength, 3)},
        }


def decode_audio(path: str, sr: int = SR) -> np.ndarray:
    """Decode any audio (or a video's sound) to mono float32 at ``sr`` with ffmpeg.

    Parameters
    ----------
    path : str
        Audio or video file (wav, ogg, flac, mp3, m4a, mp4, ...).
    sr : int
        Output sample rate, Hz.

    Returns
    -------
    np.ndarray [shape=(n,)], float32 in -1..1

    Raises
    ------
    MediaError
        When the file is missing, empty, has no audio, or is shorter than one second.
    """
    from editspec.media import ffmpeg_exe

    if not os.path.isfile(path):
        raise MediaError(f"{path}: no such audio file")
    if os.path.getsize(path) == 0:
        raise MediaError(f"{path}: the file is empty")
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", path,
         "-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(sr), "-f", "f32le", "-"],
        capture_output=True)
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace")
        lines = err.strip().splitlines()
        detail = lines[-1] if lines else "ffmpeg failed"
        if "matches no streams" in err:
            detail = "it has no audio stream"
        # Some real files trip ffmpeg's demuxer but not libsndfile (seen: an Ogg Vorbis
        # song of hyperrogue-music that ffmpeg 9 rejects as "Invalid data").
        y = _decode_with_soundfile(path, sr)
        if y is None:
            raise MediaError(f"{path}: cannot decode audio: {detail}")
    else:
        y = np.frombuffer(proc.stdout, dtype=np.float32)
    if len(y) < MIN_DURATION_S * sr:
        raise MediaError(f"{path}: audio is {len(y) / sr:.2f}s long; at least {MIN_DURATION_S:g}s "
                         "needed")
    return y


def _decode_with_soundfile(path: str, sr: int) -> np.ndarray | None:
    """Decode with libsndfile (wav, flac, ogg, mp3) and resample with soxr; None on failure."""
    try:
        import soundfile
        import soxr

        data, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except Exception:
        return None
    mono = data.mean(axis=1)
    if rate != sr:
        mono = soxr.resample(mono, rate, sr, quality="HQ")
    return np.ascontiguousarray(mono, dtype=np.float32)


def default_tracker() -> str:
    """Return ``hybrid`` when the network's weights are there (shipped, or named by
    ``$EDITSPEC_MODEL``), else ``dp``."""
    try:
        from editspec.model.infer import weights_shipped
    except ImportError:
        return "dp"
    return "hybrid" if weights_shipped() else "dp"


def analyze_audio(path: str, *, y: np.ndarray | None = None, tracker: str | None = None,
                  meters: tuple[int, ...] = (3, 4), use_cache: bool = True) -> AudioAnalysis:
    """Analyze a song: tempo, beats, downbeats, metre, sections, energy, onsets, salience.

    Parameters
    ----------
    path : str
        Audio file (or a video whose sound is analyzed).
    y : np.ndarray, optional
        Already decoded mono audio at :data:`SR` (skips decoding and the cache).
    tracker : {"hybrid", "dp", "gru", "gru-ensemble"}, optional
        Source of the beat activations (default: :func:`default_tracker`, ``hybrid``
        when the network's weights are there, else ``dp``; :data:`TRACKERS`).
    meters : tuple of int
        Metres considered (beats per bar).
    use_cache : bool
        Read and write the content-hash cache.

    Returns
    -------
    AudioAnalysis

    Raises
    ------
    MediaError
        When the file cannot be decoded as audio of at least one second.
    ValueError
        For an unknown tracker.
    """
    from editspec import cache

    tracker = tracker or default_tracker()
    key = None
    if y is None and use_cache:
        key = _cache_key(path, tracker, meters)
        hit = cache.load(key)
        if hit is not None and "loudness" in hit:  # entries before it: analyzed again
            return _from_arrays(path, hit)
    elif tracker not in TRACKERS:
        raise ValueError(f"tracker={tracker!r} is not one of {', '.join(TRACKERS)}")
    if y is None:
        y = decode_audio(path)
    result = _analyze(path, y, tracker, meters)
    if key is not None:
        cache.save(key, _to_arrays(result))
    return result


def _cache_key(path: str, tracker: str, meters: tuple[int, ...]) -> str:
    """The analysis cache's key of ``path`` analyzed with ``tracker`` and ``meters``."""
    from editspec import cache

    if tracker not in TRACKERS:
        raise ValueError(f"tracker={tracker!r} is not one of {', '.join(TRACKERS)}")
    params: dict[str, object] = {"sr": SR, "hop": HOP, "tracker": tracker,
                                 "meters": list(meters)}
    if tracker != "dp":  # the GRU's results depend on its weights and decoder settings
        stamps = [[st.st_size, st.st_mtime_ns] for st in
                  (os.stat(p) for p in _weights_files(tracker) if os.path.isfile(p))]
        params["gru"] = [GRU_OBS_LAMBDA, GRU_DP_DOWN_MIX, HYBRID_DP_WEIGHT,
                         (stamps[0] if len(stamps) == 1 else stamps) or None, "fastnet"]
    if not os.path.isfile(path):
        raise MediaError(f"{path}: no such audio file")
    return cache.cache_key("audio", path, ANALYZER_VERSION, params)


def cached_audio_analysis(path: str, *, tracker: str | None = None,
                          meters: tuple[int, ...] = (3, 4)) -> AudioAnalysis | None:
    """Return the song's analysis from the cache, or None when it was never made: never
    analyzes (readers of an edit, such as the report, take what planning computed).

    Parameters are those of :func:`analyze_audio`; the same ones find the same entry.

    Raises
    ------
    MediaError
        When ``path`` does not exist.
    ValueError
        For an unknown tracker.
    """
    from editspec import cache

    hit = cache.load(_cache_key(path, tracker or default_tracker(), meters))
    return None if hit is None else _from_arrays(path, hit)


def _weights_files(tracker: str) -> list[str]:
    """The weights files a GRU tracker runs: ``$EDITSPEC_MODEL`` or the shipped network for
    ``gru`` and ``hybrid``, the shipped ensemble for ``gru-ensemble``."""
    from editspec.model.infer import ensemble_path, weights_files

    return weights_files(ensemble_path() if tracker == "gru-ensemble" else None)


def _analyze(path: str, y: np.ndarray, tracker: str, meters: tuple[int, ...]) -> AudioAnalysis:
    from editspec.analysis import beats as bt
    from editspec.analysis import features as ft
    from editspec.analysis.sections import bar_features, find_sections

    duration = len(y) / SR
    onset_power = ft.power_spectrogram(y, n_fft=ONSET_N_FFT)
    n = onset_power.shape[1]
    gru = None
    with contextlib.ExitStack() as limits:
        if tracker != "dp":
            # The network (numpy + numba, editspec.model.fastnet) releases the GIL: start it
            # now and compute the features below on another core meanwhile. numpy's BLAS
            # gets one thread until then: its idle workers spin and would take that core.
            from concurrent.futures import ThreadPoolExecutor

            from threadpoolctl import threadpool_limits

            from editspec.model.infer import activations, load_fast

            net = load_fast(os.pathsep.join(_weights_files(tracker)))  # errors surface here
            limits.enter_context(threadpool_limits(1, user_api="blas"))
            pool = ThreadPoolExecutor(1, thread_name_prefix="editspec-gru")
            gru = pool.submit(activations, y, SR, model=net, power=onset_power, power_hop=HOP)
            pool.shutdown(wait=False)
        onset_mel = ft.log_mel(onset_power, n_mels=ONSET_N_MELS)
        onset = ft.onset_strength(onset_mel)
        # Harmony and timbre change slowly: a 4x coarser hop is enough and 4x cheaper.
        power = ft.power_spectrogram(y, n_fft=N_FFT, hop=HARMONY_HOP)
        chroma = ft.chroma(power)
        mfcc = ft.mfcc(ft.log_mel(power), n_mfcc=13)[1:]
        bass = ft.onset_strength(onset_mel[ft.mel_frequencies(ONSET_N_MELS) < 200.0])
        harm = bt.harmonic_change(chroma, FPS * HOP / HARMONY_HOP)
        harm = np.interp(np.arange(n), np.arange(len(harm)) * HARMONY_HOP / HOP, harm)
        tempo_est = bt.estimate_tempo(onset, FPS)
        loud_frames = ft.loudness(onset_power, window_s=ft.ENERGY_WINDOW_S)
        energy_frames = ft.energy_from_loudness(loud_frames)
        # onsets: peaks of the envelope above its local mean
        peaks = ft.peak_pick(onset, pre_max=3, post_max=3, pre_avg=10, post_avg=10,
                             delta=float(np.std(onset)) * 0.5, wait=5)
        acts = gru.result() if gru is not None else None
    if acts is not None:
        beat_act = _fit(acts.beat, n)
        down_act = _fit(acts.downbeat, n)
        salience = _fit(acts.salience, n)
        # Decoder input for the GRU (values chosen on the corpus's validation split, never
        # on test; models/MODEL_CARD.md). (1) The downbeat share of each beat mixes the
        # GRU's own (down / beat) with the dp tracker's bass-onset + harmonic-change cue,
        # GRU_DP_DOWN_MIX of the latter: the downbeat head alone fires on many beats.
        # (2) The GRU's peaks are ~5 frames wide, so a beat emits over 1 / GRU_OBS_LAMBDA
        # of the beat interval instead of the decoder's default 1/16 (hybrid too).
        dp_share = bt.downbeat_share(bass, harm)
        if tracker == "hybrid":
            # The GRU's beat head averaged with the dp tracker's onset activation; downbeats
            # from the dp cue alone (the downbeat head fires on many beats, and puts the
            # synthesized tempo-change song's bars on beat 3). The network learned what beats
            # sound like from MIDI renders; a recording's own onsets keep it on the recorded
            # drums (models/MODEL_CARD.md, "Recorded music").
            dp_beat, dp_down = bt.onset_activations(onset, bass, harm)
            beat_act = np.clip(HYBRID_DP_WEIGHT * (dp_beat + dp_down)
                               + (1 - HYBRID_DP_WEIGHT) * beat_act, 0, 1)
            share = dp_share
        else:
            share = ((1 - GRU_DP_DOWN_MIX) * np.clip(down_act / (beat_act + 1e-3), 0, 1)
                     + GRU_DP_DOWN_MIX * dp_share)
        decode_kw = {"observation_lambda": GRU_OBS_LAMBDA}
        down_act = beat_act * share
        beat_only = beat_act - down_act
    else:
        beat_only, down_act = bt.onset_activations(onset, bass, harm)
        beat_act = beat_only + down_act
        salience = np.convolve(down_act, np.hanning(9) / np.hanning(9).sum(), mode="same")
        salience = salience / (salience.max() + 1e-9)
        decode_kw = {}
    track = bt.decode_bar_pointer(beat_only, down_act, FPS, meters=meters, **decode_kw)
    keep = bt.trim_silent_beats(track.frames, beat_act)
    if acts is not None and len(keep) > 2:
        # Second pass for the network's activations: the wide beat region of the first
        # pass finds the tempo (a narrow one drops to half tempo above ~170 BPM on
        # recordings); a narrow region (1 / GRU_FINE_LAMBDA) with the tempo held within
        # half an octave of the first pass's places the beats and bars (recorded music:
        # beat F +0.05, downbeat F +0.09; models/MODEL_CARD.md).
        bpm = 60.0 * FPS / float(np.median(np.diff(track.frames[keep])))
        decode_kw = {"observation_lambda": GRU_FINE_LAMBDA,
                     "min_bpm": max(55.0, bpm / np.sqrt(2.0)),
                     "max_bpm": min(215.0, bpm * np.sqrt(2.0))}
        track = bt.decode_bar_pointer(beat_only, down_act, FPS, meters=(track.beats_per_bar,),
                                      **decode_kw)
        keep = bt.trim_silent_beats(track.frames, beat_act)
    # from a frame before each beat to the end of its beat region (1 / observation_lambda
    # of the beat interval): the GRU's wide peaks put the region's start ~20 ms early
    lam = decode_kw.get("observation_lambda", 16.0)

    def place(track: bt.BeatTrack, keep: np.ndarray, act: np.ndarray) -> np.ndarray:
        ibi = float(np.median(np.diff(track.frames[keep]))) if len(keep) > 2 else FPS / 2
        return bt.refine_beats(track.frames[keep], onset.astype(np.float64) + act,
                               radius=1, ahead=max(2, round(ibi / lam)))

    frames = place(track, keep, beat_act)
    if acts is not None and len(keep) > 2:
        # On-beat vs off-beat per 8 bars by the drums: where the snare sits on the decoded
        # beats and the kick between them (a punk / skank beat read on its snare), the
        # beat activation is delayed by half a beat there and decoded again, so the beats
        # go to the kick (bt.offbeat_shift; models/MODEL_CARD.md, "Recorded music").
        freqs = ft.mel_frequencies(ONSET_N_MELS)
        kick = ft.onset_strength(onset_mel[freqs < 100.0])
        snare = ft.onset_strength(onset_mel[(freqs >= 250.0) & (freqs < 2000.0)])
        # Then one grid per steady song: stretches decoded half a beat off the rest of the
        # song (a drum-less intro, a chorus accented on the "and") are moved the same way,
        # when the rest is twice as long and the kick does not disagree (bt.phase_islands).
        for find in (lambda fr: bt.offbeat_shift(fr, kick, snare),
                     lambda fr: bt.phase_islands(fr, kick)):
            shift = find(frames)
            if shift.any():
                beat_act = bt.delay(beat_act, shift)
                down_act = beat_act * share
                track = bt.decode_bar_pointer(beat_act - down_act, down_act, FPS,
                                              meters=(track.beats_per_bar,), **decode_kw)
                keep = bt.trim_silent_beats(track.frames, beat_act)
                frames = place(track, keep, beat_act)
    is_down = track.is_downbeat[keep]
    beats = frames * HOP / SR
    downbeats = beats[is_down]
    tempo = float(60.0 / np.median(np.diff(beats))) if len(beats) > 2 else tempo_est.bpm
    if abs(np.log2(tempo / tempo_est.bpm)) > 0.5:  # the decoder chose the other octave
        alt, conf = tempo_est.bpm, 1.0 - tempo_est.confidence
    else:
        alt, conf = tempo_est.alternative, tempo_est.confidence
    t_out = np.arange(int(duration * ENERGY_FPS)) / ENERGY_FPS
    t_in = np.arange(n) / FPS
    energy = np.interp(t_out, t_in, energy_frames).astype(np.float32)
    loud = np.interp(t_out, t_in, loud_frames).astype(np.float32)
    sal_out = np.interp(t_out, t_in,
                        _smooth_max(salience, int(FPS / ENERGY_FPS))).astype(np.float32)
    strength = onset[peaks] / (onset.max() + 1e-9)
    # sections over bar-synchronous chroma + MFCC + loudness
    bar_frames = np.round(downbeats * SR / HARMONY_HOP).astype(np.int64)
    if len(bar_frames) >= 2:
        m = power.shape[1]
        coarse_energy = energy_frames[:: HARMONY_HOP // HOP][None, :m]
        groups = [bar_features(g[:, :m], bar_frames) for g in (chroma, mfcc, coarse_energy)]
        sections = find_sections(downbeats, groups, groups[2][0], duration)
    else:
        sections = (Section(0.0, round(duration, 6), "A"),)
    return AudioAnalysis(
        path=path, duration=duration, tempo=tempo, beats=beats, downbeats=downbeats,
        beats_per_bar=track.beats_per_bar, sections=sections, energy=energy,
        energy_fps=ENERGY_FPS, loudness=loud, salience=sal_out, onsets=peaks * HOP / SR,
        onset_strength=strength.astype(np.float32), tempo_alternative=float(alt),
        tempo_confidence=float(conf), tracker=tracker)


def _fit(x: np.ndarray, n: int) -> np.ndarray:
    """Pad or cut a frame curve to ``n`` frames."""
    x = np.asarray(x, dtype=np.float64)
    return x[:n] if len(x) >= n else np.pad(x, (0, n - len(x)))


def _smooth_max(x: np.ndarray, width: int) -> np.ndarray:
    """Running maximum over ``width`` frames, so peaks survive resampling."""
    from scipy.ndimage import maximum_filter1d

    return maximum_filter1d(x, max(1, width)) if width > 1 else x


_ARRAYS = ("beats", "downbeats", "energy", "loudness", "salience", "onsets", "onset_strength")
_SCALARS = ("duration", "tempo", "beats_per_bar", "energy_fps", "tempo_alternative",
            "tempo_confidence", "tracker")


def _to_arrays(a: AudioAnalysis) -> dict[str, np.ndarray]:
    meta = {k: getattr(a, k) for k in _SCALARS}
    meta["sections"] = [[s.start, s.end, s.label] for s in a.sections]
    out = {k: np.asarray(getattr(a, k)) for k in _ARRAYS}
    out["meta"] = np.array(json.dumps(meta))
    return out


def _from_arrays(path: str, d: dict[str, np.ndarray]) -> AudioAnalysis:
    meta = json.loads(str(d["meta"]))
    sections = tuple(Section(s, e, lab) for s, e, lab in meta.pop("sections"))
    arrays = {k: d[k] for k in _ARRAYS if k in d}
    return AudioAnalysis(path=path, sections=sections, **meta, **arrays)
