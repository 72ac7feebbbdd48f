"""Audio analysis: decode → onset strength → tempo → beats → downbeats, energy, sections.

Input: an audio file (or a video's soundtrack). Output: :class:`AudioAnalysis`.

The first tracker is the dynamic-programming beat tracker of Ellis (2007), "Beat
tracking by dynamic programming", J. New Music Research 36(1), as in librosa's
``beat_track``, with the spectral-flux onset envelope and the DP in numba kernels
(:mod:`editspec.analysis._kernels`). Downbeats pick the bar phase whose beats carry
the most bass onsets and harmonic change. Energy is a K-weighted loudness curve
(ITU-R BS.1770 weighting, 400 ms window) scaled to 0..1. Sections come from a
checkerboard novelty over a bar-synchronous self-similarity matrix (Foote 2000).
"""

from __future__ import annotations

import functools
import json
import subprocess
from dataclasses import dataclass
from typing import Any

import numpy as np

from editspec.errors import MediaError

ANALYZER_VERSION = "audio-0.1"
SR = 22050
"""Analysis sample rate, Hz."""
N_FFT = 2048
"""FFT size of the harmonic and timbre features (chroma, MFCC)."""
ONSET_N_FFT = 1024
"""FFT size of the onset and loudness features: a short window keeps onsets on time
(a 2048-sample window finds beats ~22 ms early, 1024 about 6 ms)."""
HOP = 256
"""Hop between analysis frames in samples (86.13 frames per second)."""
N_MELS = 128
ONSET_N_MELS = 64
ENERGY_FPS = 25.0
"""Rate of the published energy curve, frames per second."""
MIN_DURATION_S = 1.0


@dataclass(frozen=True, slots=True)
class Section:
    """A part of the song."""

    start: float
    """Start in seconds (on a downbeat, or 0)."""
    end: float
    """End in seconds."""
    label: str
    """``intro``, ``outro``, ``chorus`` or a repetition letter (``A``, ``B``, ...)."""


@dataclass(frozen=True, slots=True)
class AudioAnalysis:
    """What the audio analyzer found in a song."""

    path: str
    """The analyzed file."""
    duration: float
    """Duration in seconds."""
    tempo: float
    """Global tempo in BPM."""
    beats: np.ndarray
    """Beat times in seconds [shape=(n_beats,)], increasing."""
    downbeats: np.ndarray
    """Downbeat times in seconds, a subset of ``beats``."""
    beats_per_bar: int
    """Metre: beats in a bar."""
    sections: tuple[Section, ...]
    """Sections covering the song in order."""
    energy: np.ndarray
    """Loudness-based energy in 0..1 at :data:`ENERGY_FPS` [shape=(n,)]."""
    energy_fps: float
    """Rate of ``energy``, frames per second."""

    def energy_at(self, seconds: np.ndarray | float) -> np.ndarray:
        """Return the energy at times in seconds (linear interpolation)."""
        t = np.arange(len(self.energy)) / self.energy_fps
        return np.interp(seconds, t, self.energy)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of ``editspec analyze --json`` (DESIGN.md contract)."""
        return {
            "version": 1,
            "analyzer": ANALYZER_VERSION,
            "path": self.path,
            "duration": round(self.duration, 6),
            "tempo": round(self.tempo, 3),
            "beats_per_bar": self.beats_per_bar,
            "beats": [round(float(b), 4) for b in self.beats],
            "downbeats": [round(float(b), 4) for b in self.downbeats],
            "sections": [{"start": round(s.start, 4), "end": round(s.end, 4), "label": s.label}
                         for s in self.sections],
            "energy": {"fps": self.energy_fps,
                       "values": [round(float(v), 4) for v in self.energy]},
        }


def decode_audio(path: str, sr: int = SR) -> np.ndarray:
    """Decode any audio (or a video's sound) to mono float32 at ``sr`` with ffmpeg.

    Parameters
    ----------
    path : str
        Audio or video file.
    sr : int
        Output sample rate, Hz.

    Returns
    -------
    np.ndarray [shape=(n,)], float32 in -1..1

    Raises
    ------
    MediaError
        When the file is missing, has no audio, or is shorter than one second.
    """
    import os

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
        msg = proc.stderr.decode(errors="replace").strip().splitlines()
        detail = msg[-1] if msg else "ffmpeg failed"
        if "matches no streams" in proc.stderr.decode(errors="replace"):
            detail = "it has no audio stream"
        raise MediaError(f"{path}: cannot decode audio: {detail}")
    y = np.frombuffer(proc.stdout, dtype=np.float32)
    if len(y) < MIN_DURATION_S * sr:
        raise MediaError(f"{path}: audio is {len(y) / sr:.2f}s long; at least {MIN_DURATION_S:g}s needed")
    return y


@functools.cache
def _mel_basis(sr: int, n_fft: int, n_mels: int) -> np.ndarray:
    import librosa

    return librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels).astype(np.float32)


def power_spectrogram(y: np.ndarray, n_fft: int = N_FFT, hop: int = HOP) -> np.ndarray:
    """Return the centred, Hann-windowed power spectrogram [shape=(1 + n_fft/2, n_frames)].

    Frames are centred as librosa's ``stft(center=True, pad_mode="constant")``: frame
    ``t`` is centred on sample ``t * hop``.
    """
    pad = n_fft // 2
    yp = np.pad(y.astype(np.float32), (pad, pad))
    n_frames = 1 + (len(yp) - n_fft) // hop
    frames = np.lib.stride_tricks.as_strided(
        yp, shape=(n_frames, n_fft), strides=(yp.strides[0] * hop, yp.strides[0]))
    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)  # periodic Hann, as scipy/librosa
    spec = np.fft.rfft(frames * window, axis=1)
    return (spec.real**2 + spec.imag**2).astype(np.float32).T


def log_mel(power: np.ndarray, sr: int = SR, n_mels: int = N_MELS, top_db: float = 80.0) -> np.ndarray:
    """Return a log-mel spectrogram in dB (``librosa.power_to_db(ref=max)`` equivalent)."""
    mel = _mel_basis(sr, (power.shape[0] - 1) * 2, n_mels) @ power
    db = 10.0 * np.log10(np.maximum(mel, 1e-10))
    db -= db.max()
    return np.maximum(db, -top_db).astype(np.float32)


def onset_strength(mel_db: np.ndarray, lag: int = 1) -> np.ndarray:
    """Return the spectral-flux onset envelope [shape=(n_frames,)] (numba kernel)."""
    from editspec.analysis._kernels import onset_flux

    return onset_flux(np.ascontiguousarray(mel_db, dtype=np.float32), lag)


def estimate_tempo(onset: np.ndarray, fps: float, *, start_bpm: float = 120.0,
                   min_bpm: float = 40.0, max_bpm: float = 240.0) -> float:
    """Estimate the global tempo by autocorrelation of the onset envelope.

    The autocorrelation is weighted by a log-normal prior around ``start_bpm`` (one
    octave wide, as librosa's ``tempo``); the peak is refined by parabolic
    interpolation. Octave errors: when the peak at twice or half the tempo is almost
    as strong (within 20 %) and closer to the prior, that one is taken.

    Returns
    -------
    float
        Tempo in BPM.
    """
    x = onset.astype(np.float64) - onset.mean()
    n = len(x)
    max_lag = min(n - 1, int(round(60.0 * fps / min_bpm)))
    min_lag = max(1, int(round(60.0 * fps / max_bpm)))
    spec = np.fft.rfft(x, 2 * n)
    ac = np.fft.irfft(spec * np.conj(spec))[: max_lag + 2]
    ac /= ac[0] + 1e-12
    lags = np.arange(len(ac), dtype=np.float64)
    bpms = 60.0 * fps / np.maximum(lags, 1e-9)
    prior = np.exp(-0.5 * (np.log2(bpms / start_bpm)) ** 2)
    weighted = ac * prior
    weighted[:min_lag] = -np.inf
    weighted[max_lag + 1:] = -np.inf
    best = int(np.argmax(weighted))

    def refine(k: int) -> float:
        if 1 <= k < len(ac) - 1:
            a, b, c = ac[k - 1], ac[k], ac[k + 1]
            den = a - 2 * b + c
            if den < 0:
                return k + 0.5 * (a - c) / den
        return float(k)

    lag = refine(best)
    return float(60.0 * fps / lag)


def track_beats(onset: np.ndarray, fps: float, tempo: float, tightness: float = 100.0) -> np.ndarray:
    """Place beats by dynamic programming over the onset envelope.

    Parameters
    ----------
    onset : np.ndarray [shape=(n,)]
        Onset strength per frame.
    fps : float
        Frames per second of ``onset``.
    tempo : float
        Tempo in BPM.
    tightness : float
        How strictly beats keep the tempo (Ellis's alpha).

    Returns
    -------
    np.ndarray [shape=(n_beats,)], int
        Beat frames.
    """
    from editspec.analysis._kernels import beat_dp

    period = 60.0 * fps / tempo
    # Smooth with a Gaussian a 32nd of a beat wide and normalize, as Ellis does.
    width = max(1, int(round(period / 32)))
    k = np.exp(-0.5 * (np.arange(-width * 4, width * 4 + 1) / width) ** 2)
    local = np.convolve(onset.astype(np.float64), k / k.sum(), mode="same")
    std = local.std()
    local = local / std if std > 0 else local
    cum = np.zeros(len(local))
    back = np.zeros(len(local), dtype=np.int64)
    beat_dp(local, period, tightness, cum, back)
    # Last beat: the last local maximum of cum above half the median of such maxima.
    peaks = np.flatnonzero((cum[1:-1] > cum[:-2]) & (cum[1:-1] >= cum[2:])) + 1
    if len(peaks) == 0:
        return np.zeros(0, dtype=np.int64)
    good = peaks[cum[peaks] >= 0.5 * np.median(cum[peaks])]
    t = int(good[-1])
    beats = []
    while t >= 0:
        beats.append(t)
        t = int(back[t])
    beats_arr = np.array(beats[::-1], dtype=np.int64)
    # Trim beats at the ends that fall on near-silence (below 10 % of the RMS level).
    level = np.sqrt(np.mean(local**2))
    strong = np.flatnonzero(local[beats_arr] > 0.1 * level)
    if len(strong):
        beats_arr = beats_arr[strong[0]: strong[-1] + 1]
    return beats_arr


def find_downbeats(beat_frames: np.ndarray, bass_onset: np.ndarray, chroma: np.ndarray,
                   beats_per_bar: int = 4) -> int:
    """Return the index (0..beats_per_bar-1) of the first downbeat among the beats.

    The bar phase is the one whose beats carry the most bass onsets and the largest
    change of harmony (chroma) from the previous beat, both normalized.
    """
    if len(beat_frames) < 2 * beats_per_bar:
        return 0
    bass = bass_onset[np.clip(beat_frames, 0, len(bass_onset) - 1)].astype(np.float64)
    edges = np.concatenate([beat_frames, [chroma.shape[1]]])
    sync = np.stack([chroma[:, a:max(b, a + 1)].mean(axis=1) for a, b in zip(edges[:-1], edges[1:],
                                                                         strict=True)], axis=1)
    sync /= np.linalg.norm(sync, axis=0, keepdims=True) + 1e-9
    change = np.concatenate([[0.0], 1.0 - np.sum(sync[:, 1:] * sync[:, :-1], axis=0)])

    def norm(v: np.ndarray) -> np.ndarray:
        return (v - v.mean()) / (v.std() + 1e-9)

    score = norm(bass) + norm(change)
    phase_scores = [score[p::beats_per_bar].mean() for p in range(beats_per_bar)]
    return int(np.argmax(phase_scores))


_K_SHELF_HZ, _K_SHELF_DB, _K_HP_HZ = 1681.97, 3.9998, 38.1355


def k_weighting(freqs: np.ndarray) -> np.ndarray:
    """Return the power gain of the ITU-R BS.1770 K-weighting at ``freqs`` (Hz).

    A high shelf of about +4 dB above 1.7 kHz and a second-order high-pass at 38 Hz,
    evaluated as magnitude responses of the analogue prototypes.
    """
    f = np.maximum(freqs, 1e-3)
    shelf = 1.0 + (10 ** (_K_SHELF_DB / 10) - 1.0) * (f**2 / (f**2 + _K_SHELF_HZ**2))
    hp = f**4 / (f**4 + _K_HP_HZ**4)
    return shelf * hp


def loudness_energy(power: np.ndarray, sr: int, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """Return K-weighted loudness in LUFS-like dB per frame and the 0..1 energy curve.

    The weighted power is averaged over a 400 ms window (momentary loudness). Energy
    is the loudness over a 2 s window, mapping the song's own range to 0..1: its 98th
    percentile → 1 and 30 dB below that (or the 2nd percentile, if higher) → 0.
    """
    n_fft = (power.shape[0] - 1) * 2
    freqs = np.arange(power.shape[0]) * sr / n_fft
    weights = k_weighting(freqs).astype(np.float32)
    # Parseval: mean square of a Hann-windowed frame ~ sum |X|^2 / (n_fft * sum(w^2)/n_fft)
    frame_power = (weights @ power) * 2.0 / (n_fft * n_fft * 0.375)
    win = max(1, int(round(0.4 * fps)))
    smooth = np.convolve(frame_power, np.ones(win) / win, mode="same")
    loud = -0.691 + 10.0 * np.log10(np.maximum(smooth, 1e-12))
    # The energy curve follows the loudness over about a bar (2 s), not single hits.
    win2 = max(1, int(round(2.0 * fps)))
    slow = -0.691 + 10.0 * np.log10(np.maximum(
        np.convolve(frame_power, np.ones(win2) / win2, mode="same"), 1e-12))
    hi = np.percentile(slow, 98)
    lo = max(np.percentile(slow, 2), hi - 30.0)
    lo = min(lo, hi - 6.0)
    energy = np.clip((slow - lo) / (hi - lo), 0.0, 1.0)
    return loud.astype(np.float32), energy.astype(np.float32)


def find_sections(bar_times: np.ndarray, features: np.ndarray, bar_energy: np.ndarray,
                  duration: float, kernel_bars: int = 4) -> tuple[Section, ...]:
    """Split the song at downbeats where a checkerboard novelty peaks; label by repetition.

    Parameters
    ----------
    bar_times : np.ndarray [shape=(n_bars,)]
        Downbeat times in seconds.
    features : np.ndarray [shape=(d, n_bars)]
        Bar-synchronous features (chroma, timbre, loudness).
    bar_energy : np.ndarray [shape=(n_bars,)]
        Energy in 0..1 per bar.
    duration : float
        Song duration in seconds.
    kernel_bars : int
        Half-width of the checkerboard kernel in bars.

    Returns
    -------
    tuple of Section
        Covering 0..duration.
    """
    n = len(bar_times)
    if n < 2 * kernel_bars:
        return (Section(0.0, duration, "A"),)
    f = features - features.mean(axis=1, keepdims=True)
    f /= np.linalg.norm(f, axis=0, keepdims=True) + 1e-9
    ssm = f.T @ f
    k = kernel_bars
    sign = np.concatenate([-np.ones(k), np.ones(k)])
    kernel = np.outer(sign, sign) * np.exp(-0.5 * ((np.arange(2 * k) - k + 0.5) / k) ** 2)[:, None] \
        * np.exp(-0.5 * ((np.arange(2 * k) - k + 0.5) / k) ** 2)[None, :]
    padded = np.pad(ssm, k, mode="edge")
    novelty = np.array([np.sum(padded[i:i + 2 * k, i:i + 2 * k] * kernel) for i in range(n)])
    novelty = np.maximum(novelty, 0)
    thresh = max(novelty.mean() + 0.5 * novelty.std(), 1e-6)
    bounds = [0]
    for i in range(1, n):
        left = novelty[max(0, i - 2):i]
        right = novelty[i + 1:i + 3]
        is_peak = novelty[i] >= thresh and (len(left) == 0 or novelty[i] > left.max()) \
            and (len(right) == 0 or novelty[i] >= right.max())
        if is_peak and i - bounds[-1] >= 2 and n - i >= 2:
            bounds.append(i)
    bounds.append(n)
    # Label segments by similarity of their mean features.
    seg_feats = [f[:, a:b].mean(axis=1) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    seg_energy = [float(bar_energy[a:b].mean()) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    labels: list[int] = []
    protos: list[np.ndarray] = []
    for v in seg_feats:
        v = v / (np.linalg.norm(v) + 1e-9)
        sims = [float(v @ p) for p in protos]
        if sims and max(sims) > 0.8:
            labels.append(int(np.argmax(sims)))
        else:
            protos.append(v)
            labels.append(len(protos) - 1)
    names = [chr(ord("A") + lab) if lab < 26 else f"S{lab}" for lab in labels]
    # Chorus: the loudest label, preferring labels that repeat.
    by_label: dict[int, list[float]] = {}
    for lab, e in zip(labels, seg_energy, strict=True):
        by_label.setdefault(lab, []).append(e)
    ranked = sorted(by_label, key=lambda lab: (len(by_label[lab]) > 1, np.mean(by_label[lab])),
                    reverse=True)
    if len(by_label) > 1:
        chorus = ranked[0]
        names = ["chorus" if lab == chorus else nm for lab, nm in zip(labels, names, strict=True)]
    median_e = float(np.median(bar_energy))
    if len(names) > 2 and seg_energy[0] < median_e and names[0] != "chorus":
        names[0] = "intro"
    if len(names) > 2 and seg_energy[-1] < median_e and names[-1] != "chorus":
        names[-1] = "outro"
    times = [0.0] + [float(bar_times[b]) for b in bounds[1:-1]] + [duration]
    return tuple(Section(round(a, 6), round(b, 6), nm)
                 for a, b, nm in zip(times[:-1], times[1:], names, strict=True))


def analyze_audio(path: str, *, y: np.ndarray | None = None, beats_per_bar: int = 4,
                  use_cache: bool = True) -> AudioAnalysis:
    """Analyze a song: tempo, beats, downbeats, sections and energy.

    Parameters
    ----------
    path : str
        Audio file (or a video whose sound is analyzed).
    y : np.ndarray, optional
        Already decoded mono audio at :data:`SR` (skips decoding and the cache).
    beats_per_bar : int
        Metre assumed for downbeats.
    use_cache : bool
        Read and write the content-hash cache.

    Returns
    -------
    AudioAnalysis

    Raises
    ------
    MediaError
        When the file cannot be decoded as audio of at least one second.
    """
    from editspec.analysis import cache

    params = {"sr": SR, "hop": HOP, "n_fft": N_FFT, "onset_n_fft": ONSET_N_FFT,
              "bpb": beats_per_bar}
    key = None
    if y is None and use_cache:
        import os

        if not os.path.isfile(path):
            raise MediaError(f"{path}: no such audio file")
        key = cache.cache_key("audio", path, ANALYZER_VERSION, params)
        hit = cache.load(key)
        if hit is not None:
            return _from_arrays(path, hit)
    if y is None:
        y = decode_audio(path)
    result = _analyze(path, y, beats_per_bar)
    if key is not None:
        cache.save(key, _to_arrays(result))
    return result


def _analyze(path: str, y: np.ndarray, beats_per_bar: int) -> AudioAnalysis:
    import librosa

    fps = SR / HOP
    duration = len(y) / SR
    power = power_spectrogram(y)
    mel_db = log_mel(power)
    onset_power = power_spectrogram(y, n_fft=ONSET_N_FFT)
    onset_mel = log_mel(onset_power, n_mels=ONSET_N_MELS)
    onset = onset_strength(onset_mel)
    tempo = estimate_tempo(onset, fps)
    beat_frames = track_beats(onset, fps, tempo)
    if len(beat_frames) > 2:
        tempo = float(60.0 * fps / np.median(np.diff(beat_frames)))
    chroma = librosa.feature.chroma_stft(S=power, sr=SR, n_fft=N_FFT)
    mel_freqs = librosa.mel_frequencies(n_mels=ONSET_N_MELS + 2, fmax=SR / 2)[1:-1]
    bass_onset = onset_strength(onset_mel[mel_freqs < 200.0])
    phase = find_downbeats(beat_frames, bass_onset, chroma, beats_per_bar)
    beats = beat_frames * HOP / SR
    downbeats = beats[phase::beats_per_bar]
    _, energy_frames = loudness_energy(onset_power, SR, fps)
    # Publish energy at ENERGY_FPS.
    t_out = np.arange(int(duration * ENERGY_FPS)) / ENERGY_FPS
    energy = np.interp(t_out, np.arange(len(energy_frames)) / fps, energy_frames).astype(np.float32)
    # Bar-synchronous features for sections: chroma + MFCC + loudness.
    mfcc = librosa.feature.mfcc(S=mel_db, n_mfcc=13)[1:]
    bar_frames = (downbeats * fps).astype(np.int64)
    if len(bar_frames) >= 2:
        edges = np.concatenate([bar_frames, [power.shape[1]]])
        feats = np.vstack([chroma, mfcc / (np.abs(mfcc).max() + 1e-9),
                           energy_frames[None, :] * 2.0])
        sync = np.stack([feats[:, a:max(b, a + 1)].mean(axis=1)
                         for a, b in zip(edges[:-1], edges[1:], strict=True)], axis=1)
        bar_energy = sync[-1] / 2.0
        sections = find_sections(downbeats, sync, bar_energy, duration)
    else:
        sections = (Section(0.0, duration, "A"),)
    return AudioAnalysis(path=path, duration=duration, tempo=tempo, beats=beats, downbeats=downbeats,
                         beats_per_bar=beats_per_bar, sections=sections, energy=energy,
                         energy_fps=ENERGY_FPS)


def _to_arrays(a: AudioAnalysis) -> dict[str, np.ndarray]:
    meta = {"duration": a.duration, "tempo": a.tempo, "bpb": a.beats_per_bar,
            "energy_fps": a.energy_fps,
            "sections": [[s.start, s.end, s.label] for s in a.sections]}
    return {"beats": a.beats, "downbeats": a.downbeats, "energy": a.energy,
            "meta": np.array(json.dumps(meta))}


def _from_arrays(path: str, d: dict[str, np.ndarray]) -> AudioAnalysis:
    meta = json.loads(str(d["meta"]))
    return AudioAnalysis(path=path, duration=meta["duration"], tempo=meta["tempo"],
                         beats=d["beats"], downbeats=d["downbeats"], beats_per_bar=meta["bpb"],
                         sections=tuple(Section(s, e, lab) for s, e, lab in meta["sections"]),
                         energy=d["energy"], energy_fps=meta["energy_fps"])
