"""Augmentation of the training corpus: time maps, score changes and sound changes.

Every change that moves time is one monotonic map applied to notes and labels alike
(:func:`make_time_map`); the others change what plays (:func:`mutate_score`) or how it
sounds after rendering (:func:`augment_audio`). Randomness comes only from the
``numpy.random.Generator`` passed in. Used by :mod:`editspec.train.render`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from editspec.grid import SR

DRUM_KITS = (0, 8, 16, 24, 25, 32, 40)
"""GM drum-kit programs (standard, room, power, electronic, TR-808, jazz, brush)."""


def make_time_map(beats: np.ndarray, rng: np.random.Generator, *, tempo_factor: float,
                  swing: float, drift_s: float, drift_period_s: float
                  ) -> Callable[[np.ndarray], np.ndarray]:
    """Return a monotonic map from score time to rendered time.

    Swing moves each beat's midpoint to ``swing`` of the beat (0.5 = straight); drift is
    a slow sinusoidal push and pull of ``drift_s`` seconds over ``drift_period_s``; the
    tempo factor divides the time (1.1 = 10 % faster).
    """
    phase0 = rng.uniform(0, 2 * np.pi)
    b = np.asarray(beats, dtype=np.float64)

    def f(t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        if swing != 0.5 and len(b) >= 2:
            i = np.clip(np.searchsorted(b, t, side="right") - 1, 0, len(b) - 2)
            a, c = b[i], b[i + 1]
            inside = (t >= b[0]) & (t < b[-1])
            p = np.clip((t - a) / (c - a), 0.0, 1.0)
            q = np.where(p < 0.5, p * 2 * swing, swing + (p - 0.5) * 2 * (1 - swing))
            t = np.where(inside, a + q * (c - a), t)
        t = t + drift_s * np.sin(2 * np.pi * t / drift_period_s + phase0)
        return t / tempo_factor

    return f


@dataclass(frozen=True, slots=True)
class RenderSpec:
    """The random choices of one render (stored in the manifest)."""

    soundfont: str
    start_s: float
    tempo_factor: float
    transpose: int
    swing: float
    drift_s: float
    mode: str
    """``full``, ``nodrums``, ``drumsonly`` or ``muted`` (some pitched groups silent)."""
    drum_kit: int
    reverb: bool
    chorus: bool
    gain: float
    kit: str = ""
    """Hydrogen kit (``drumkit.xml`` path) that plays the drums; empty: the soundfont's."""
    groove: str = ""
    """Drum pattern written over a span of bars (:data:`GROOVES`); empty: the song's own."""
    drive: float = 0.0
    """Amp-like saturation of the pitched instruments (tanh drive; 0: none)."""
    master_db: float = 0.0
    """Gain into a brick-wall limiter, as mastering does (0: none)."""


def mutate_score(pm: Any, spec: RenderSpec, rng: np.random.Generator,
                  tmap: Callable[[np.ndarray], np.ndarray]) -> tuple[Any, list[bool]]:
    """Apply a render's choices to a copy of the score; return it and the kept-instrument mask."""
    import copy

    pm = copy.deepcopy(pm)
    pitched = [i for i, ins in enumerate(pm.instruments) if not ins.is_drum and ins.notes]
    muted_groups: set[int] = set()
    if spec.mode == "muted" and len(pitched) > 1:
        fams = sorted({pm.instruments[i].program // 8 for i in pitched})
        k = int(rng.integers(1, max(2, len(fams))))
        size = min(k, len(fams) - 1) or 1
        muted_groups = set(rng.choice(fams, size=size, replace=False).tolist())
    keep = []
    for ins in pm.instruments:
        on = True
        if ins.is_drum:
            on = spec.mode != "nodrums"
            ins.program = spec.drum_kit
        else:
            on = spec.mode != "drumsonly" and (ins.program // 8) not in muted_groups
            if rng.random() < 0.3 and ins.program < 96:  # another instrument of the family
                ins.program = (ins.program // 8) * 8 + int(rng.integers(0, 8))
        keep.append(on)
        if not on:
            ins.notes = []
            continue
        starts = np.array([n.start for n in ins.notes])
        ends = np.array([n.end for n in ins.notes])
        new_s = tmap(starts) + rng.normal(0.0, 0.008, len(starts))
        new_e = np.maximum(tmap(ends), new_s + 0.03)
        vel_scale = rng.uniform(0.75, 1.15)
        for n, s, e in zip(ins.notes, new_s, new_e, strict=True):
            n.start, n.end = max(0.0, float(s)), float(e)
            n.velocity = int(np.clip(n.velocity * vel_scale + rng.normal(0, 7), 8, 127))
            if not ins.is_drum:
                n.pitch = int(np.clip(n.pitch + spec.transpose, 0, 127))
        for cc in ins.control_changes:
            cc.time = float(tmap(np.array([cc.time]))[0])
        for pb in ins.pitch_bends:
            pb.time = float(tmap(np.array([pb.time]))[0])
    return pm, keep




GROOVES = ("skank", "halftime", "offhat")
"""Drum patterns that put the snare or the open hi-hat off the beat, or halve the backbeat:
``skank`` (kick on every beat, snare on every off-beat: thrash and punk), ``halftime`` (kick
on 1, snare on 3, eighth hi-hats), ``offhat`` (four-on-the-floor kick, open hi-hat on the
off-beats, snare on 2 and 4)."""


def rewrite_groove(pm: Any, beats: np.ndarray, downbeats: np.ndarray, groove: str,
                   rng: np.random.Generator) -> Any:
    """Return a copy of the score whose drums play ``groove`` over 4 to 16 bars (score time).

    The beat grid is the song's, so the labels stay exact: the network learns that a snare
    or a hi-hat between the beats does not make a beat.
    """
    import copy

    import pretty_midi

    drums = [i for i in pm.instruments if i.is_drum and i.notes]
    if not drums or len(downbeats) < 6:
        return pm
    pm = copy.deepcopy(pm)
    drum = next(i for i in pm.instruments if i.is_drum and i.notes)
    first = int(rng.integers(0, len(downbeats) - 5))
    last = min(len(downbeats) - 1, first + int(rng.integers(4, 17)))
    t0, t1 = float(downbeats[first]), float(downbeats[last])
    for ins in pm.instruments:
        if ins.is_drum:
            ins.notes = [n for n in ins.notes if not t0 - 0.01 <= n.start < t1 - 0.01]
    inside = beats[(beats >= t0 - 1e-6) & (beats < t1 - 1e-6)]
    nxt = np.append(beats[1:], beats[-1] + np.diff(beats[-2:]))
    spans = nxt[(beats >= t0 - 1e-6) & (beats < t1 - 1e-6)]
    down = set(np.round(downbeats, 4).tolist())
    vel = int(rng.integers(90, 125))
    notes: list[tuple[int, float]] = []
    k_in_bar = 0
    for b, e in zip(inside, spans, strict=True):
        half = (b + e) / 2
        k_in_bar = 0 if round(float(b), 4) in down else k_in_bar + 1
        if groove == "skank":
            notes += [(36, b), (38, half), (51 if rng.random() < 0.5 else 42, b)]
            if k_in_bar == 0 and rng.random() < 0.3:
                notes.append((49, b))
        elif groove == "halftime":
            notes += [(42, b), (42, half)]
            notes.append((36, b) if k_in_bar == 0 else (38, b) if k_in_bar == 2 else (0, b))
        else:  # offhat
            notes += [(36, b), (46, half)]
            if k_in_bar % 2 == 1:
                notes.append((38 if rng.random() < 0.7 else 39, b))
    for pitch, t in notes:
        if pitch:
            v = int(np.clip(vel + rng.normal(0, 6), 30, 127))
            drum.notes.append(pretty_midi.Note(v, pitch, float(t), float(t) + 0.1))
    drum.notes.sort(key=lambda n: n.start)
    return pm


def draw_spec(rng: np.random.Generator, soundfont: str, first_beat_s: float, end_s: float,
              excerpt_s: float, has_drums: bool, n_pitched_fams: int, strength: float,
              kits: tuple[str, ...] = ()) -> RenderSpec:
    modes = ["full"] * 5 + ["nodrums"] * 2 + (["drumsonly"] if has_drums else []) + (
        ["muted"] * 2 if n_pitched_fams > 1 else [])
    mode = str(rng.choice(modes)) if strength > 0 else "full"
    if mode == "nodrums" and not has_drums:
        mode = "full"
    first = float(first_beat_s)
    latest = max(first, end_s - excerpt_s)
    return RenderSpec(
        soundfont=soundfont,
        start_s=float(rng.uniform(first, latest)),
        tempo_factor=float(rng.uniform(0.85, 1.15)) if strength > 0 else 1.0,
        transpose=int(rng.integers(-4, 5)) if strength > 0 else 0,
        swing=float(rng.uniform(0.54, 0.62)) if rng.random() < 0.2 * strength else 0.5,
        drift_s=float(rng.uniform(0.0, 0.15)) * strength,
        mode=mode,
        drum_kit=int(rng.choice(DRUM_KITS)) if rng.random() < 0.5 * strength else 0,
        reverb=bool(rng.random() < 0.6),
        chorus=bool(rng.random() < 0.4),
        gain=float(rng.uniform(0.2, 0.5)),
        kit=(str(rng.choice(kits)) if kits and has_drums and mode != "nodrums"
             and rng.random() < 0.6 * strength else ""),
        groove=(str(rng.choice(GROOVES)) if has_drums and mode != "nodrums"
                and rng.random() < 0.3 * strength else ""),
        drive=float(rng.uniform(2, 8)) if rng.random() < 0.35 * strength else 0.0,
        master_db=float(rng.uniform(4, 14)) if rng.random() < 0.5 * strength else 0.0,
    )


def saturate(y: np.ndarray, drive: float) -> np.ndarray:
    """Amp-like soft clipping (tanh) of ``y`` normalized to its peak."""
    peak = float(np.max(np.abs(y))) + 1e-12
    return (np.tanh(drive * y / peak) / np.tanh(drive) * peak).astype(np.float32)


def limit(y: np.ndarray, gain_db: float, ceiling: float = 0.9) -> np.ndarray:
    """Brick-wall limiting after ``gain_db`` of gain: a 3 ms look-ahead gain that never lets
    the peak over ``ceiling`` (of the input's peak), released over 60 ms, as mastering does."""
    from scipy.ndimage import maximum_filter1d, minimum_filter1d, uniform_filter1d

    peak = float(np.max(np.abs(y))) + 1e-12
    x = y / peak * 10 ** (gain_db / 20)
    look = int(0.003 * SR)
    env = maximum_filter1d(np.abs(x), 2 * look + 1)
    g = np.minimum(1.0, ceiling / np.maximum(env, 1e-9))
    g = minimum_filter1d(g, int(0.06 * SR))
    g = np.minimum(g, uniform_filter1d(g, 2 * look + 1))
    return (np.clip(x * g, -ceiling, ceiling) * peak).astype(np.float32)


def augment_audio(y: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """Return ``y`` with random EQ, bus compression, convolution reverb, noise and level.

    ``strength`` 0 gives only a level change; 1 the full training augmentation.
    """
    from scipy.signal import fftconvolve

    y = y.astype(np.float64)
    n = len(y)
    if strength > 0:
        # EQ: low shelf, high shelf and one bell, each ±6 dB, as one gain curve in the FFT domain
        spec = np.fft.rfft(y)
        f = np.fft.rfftfreq(n, 1 / SR)
        lo = rng.uniform(-6, 6) * strength / (1 + (f / rng.uniform(100, 300)) ** 2)
        hi = rng.uniform(-6, 6) * strength / (1 + (rng.uniform(2000, 6000) / np.maximum(f, 1)) ** 2)
        fc = np.exp(rng.uniform(np.log(200), np.log(5000)))
        octaves = np.log2(np.maximum(f, 1) / fc)
        bell = rng.uniform(-6, 6) * strength * np.exp(-0.5 * (octaves / 0.5) ** 2)
        y = np.fft.irfft(spec * 10 ** ((lo + hi + bell) / 20), n)
        # bus compression: RMS follower over 20 ms, ratio 2..6 above a threshold
        if rng.random() < 0.6 * strength + 0.1:
            win = int(0.02 * SR)
            rms = np.sqrt(np.convolve(y * y, np.ones(win) / win, mode="same") + 1e-12)
            db = 20 * np.log10(rms)
            thr = np.percentile(db, rng.uniform(60, 90))
            ratio = rng.uniform(2, 6)
            red = np.where(db > thr, (db - thr) * (1 - 1 / ratio), 0.0)
            red = np.convolve(red, np.ones(win * 3) / (win * 3), mode="same")
            y = y * 10 ** (-red / 20)
        # room: exponentially decaying noise, RT60 0.2..1.8 s
        if rng.random() < 0.5 * strength:
            rt60 = rng.uniform(0.2, 1.8)
            t = np.arange(int(rt60 * SR)) / SR
            ir = rng.normal(0, 1, len(t)) * np.exp(-6.9 * t / rt60)
            ir /= np.sqrt(np.sum(ir**2))
            wet = fftconvolve(y, ir)[:n]
            mix = rng.uniform(0.1, 0.4)
            y = (1 - mix) * y + mix * wet * (np.std(y) / (np.std(wet) + 1e-12))
        # noise: white or pink at 12..40 dB SNR
        if rng.random() < 0.5 * strength:
            noise = rng.normal(0, 1, n)
            if rng.random() < 0.5:
                spec = np.fft.rfft(noise)
                spec /= np.sqrt(np.maximum(np.fft.rfftfreq(n, 1 / SR), 20.0))
                noise = np.fft.irfft(spec, n)
            snr = rng.uniform(12, 40)
            noise *= np.std(y) / (np.std(noise) + 1e-12) * 10 ** (-snr / 20)
            y = y + noise
    peak = np.max(np.abs(y)) + 1e-12
    return (y / peak * rng.uniform(0.3, 0.98)).astype(np.float32)
