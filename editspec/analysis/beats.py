"""Beats, downbeats, metre and tempo from frame activations.

Two sources of activations share one decoder:

- ``dp`` (no model): the spectral-flux onset envelope, locally normalized, gives the
  beat activation; bass onsets and harmonic change give the downbeat share.
- ``gru``: the beat and downbeat heads of the GRU (:mod:`editspec.model.infer`).

The decoder is a bar-pointer hidden Markov model decoded by Viterbi in a numba kernel
(:func:`editspec.analysis._kernels.bar_pointer_viterbi`), in the spirit of madmom's
DBN (Krebs, Böck & Widmer 2015, "An efficient state-space model for joint tempo and
meter tracking", ISMIR): tempo and position in the bar are tracked jointly, so beats
and downbeats come out together, the tempo may change between beats, and 3/4 and 4/4
compete on likelihood.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from editspec.analysis.features import FPS


@dataclass(frozen=True, slots=True)
class TempoEstimate:
    """The global tempo and its octave alternative."""

    bpm: float
    """Chosen tempo, BPM."""
    confidence: float
    """Autocorrelation strength of the chosen tempo relative to the alternative, 0..1."""
    alternative: float
    """Half or double tempo, whichever is stronger, BPM."""


def estimate_tempo(onset: np.ndarray, fps: float = FPS, *, start_bpm: float = 120.0,
                   min_bpm: float = 40.0, max_bpm: float = 240.0) -> TempoEstimate:
    """Estimate the global tempo by autocorrelation of the onset envelope.

    The autocorrelation is weighted by a log-normal prior around ``start_bpm`` one
    octave wide (as librosa's ``tempo``), the peak refined by parabolic interpolation.
    Octave errors are reported, not hidden: the stronger of half and double tempo is
    returned as ``alternative`` with the relative strength as ``confidence``.

    Parameters
    ----------
    onset : np.ndarray [shape=(n,)]
        Onset envelope.
    fps : float
        Its frame rate.
    start_bpm, min_bpm, max_bpm : float
        Prior centre and search range, BPM.

    Returns
    -------
    TempoEstimate
    """
    x = onset.astype(np.float64) - onset.mean()
    n = len(x)
    max_lag = min(n - 2, round(60.0 * fps / min_bpm) * 2 + 2)
    spec = np.fft.rfft(x, 2 * n)
    ac = np.fft.irfft(spec * np.conj(spec))[: max_lag + 2]
    ac /= ac[0] + 1e-12
    lags = np.arange(len(ac), dtype=np.float64)
    bpms = 60.0 * fps / np.maximum(lags, 1e-9)
    prior = np.exp(-0.5 * (np.log2(bpms / start_bpm)) ** 2)
    weighted = ac * prior
    ok = (bpms >= min_bpm) & (bpms <= max_bpm)
    weighted[~ok] = -np.inf
    best = int(np.argmax(weighted))

    def refine(k: int) -> float:
        # The prior-weighted peak need not be a peak of ``ac`` itself, and on an envelope
        # with a few isolated onsets the parabola through it can be nearly flat: keep the
        # vertex within half a lag of ``k`` (it is a peak of ``ac`` when it moves at all).
        if 1 <= k < len(ac) - 1:
            a, b, c = ac[k - 1], ac[k], ac[k + 1]
            den = a - 2 * b + c
            if den < 0:
                return k + float(np.clip(0.5 * (a - c) / den, -0.5, 0.5))
        return float(k)

    lag = refine(best)
    bpm = float(np.clip(60.0 * fps / lag, min_bpm, max_bpm))

    def strength(k: float) -> float:
        i = round(k)
        return float(ac[i]) if 0 < i < len(ac) else -1.0

    half, double = strength(lag * 2), strength(lag / 2)
    alt = bpm / 2 if half >= double else bpm * 2
    s_best, s_alt = max(strength(lag), 0.0), max(half, double, 0.0)
    conf = s_best / (s_best + s_alt) if s_best + s_alt > 0 else 0.5
    return TempoEstimate(float(bpm), float(conf), float(alt))


def onset_activations(onset: np.ndarray, bass_onset: np.ndarray, harmonic_change: np.ndarray,
                      fps: float = FPS) -> tuple[np.ndarray, np.ndarray]:
    """Turn onset features into beat and downbeat activations (the ``dp`` tracker).

    The onset envelope minus its 1 s running mean, divided by its 2 s running maximum,
    is how likely any beat is; bass onsets and harmonic change split that into the
    downbeat share.

    Parameters
    ----------
    onset : np.ndarray [shape=(n,)]
        Spectral-flux onset envelope.
    bass_onset : np.ndarray [shape=(n,)]
        Onset envelope of the bands below 200 Hz.
    harmonic_change : np.ndarray [shape=(n,)], in 0..1
        Chroma novelty around each frame.
    fps : float
        Frame rate.

    Returns
    -------
    beat : np.ndarray [shape=(n,)], in 0..0.8
        Activation of beats that are not downbeats.
    down : np.ndarray [shape=(n,)], in 0..0.8
        Activation of downbeats.
    """
    from scipy.ndimage import maximum_filter1d, uniform_filter1d

    o = onset.astype(np.float64)
    o = np.maximum(o - uniform_filter1d(o, max(1, int(fps))), 0.0)
    act = np.clip(o / (maximum_filter1d(o, max(1, int(2 * fps))) + 1e-9), 0, 1) * 0.8
    share = downbeat_share(bass_onset, harmonic_change, fps)
    return act * (1 - share), act * share


def downbeat_share(bass_onset: np.ndarray, harmonic_change: np.ndarray,
                   fps: float = FPS) -> np.ndarray:
    """Return how likely a beat at each frame is a downbeat, 0..0.7, without a model.

    Half the bass onset envelope divided by its 4 s running maximum, half the harmonic
    change; scaled by 0.7 so no frame is sure (bars also start without either).
    """
    from scipy.ndimage import maximum_filter1d

    b = bass_onset.astype(np.float64)
    b = np.clip(b / (maximum_filter1d(b, max(1, int(4 * fps))) + 1e-9), 0, 1)
    return 0.7 * np.clip(0.5 * b + 0.5 * harmonic_change[: len(b)], 0, 1)


def harmonic_change(chroma: np.ndarray, fps: float = FPS, window_s: float = 0.4) -> np.ndarray:
    """Return the chroma novelty per frame: cosine distance of the mean chroma just before
    and just after it, normalized to 0..1 by its 99th percentile."""
    w = max(1, int(window_s * fps))
    c = np.cumsum(np.pad(chroma, ((0, 0), (w + 1, w)), mode="edge"), axis=1)
    past = c[:, w:-w - 1] - c[:, : -2 * w - 1]
    fut = c[:, 2 * w + 1:] - c[:, w + 1: -w]
    n = min(past.shape[1], fut.shape[1])
    past, fut = past[:, :n], fut[:, :n]
    cos = (past * fut).sum(0) / (np.linalg.norm(past, axis=0) * np.linalg.norm(fut, axis=0) + 1e-9)
    dist = 1.0 - cos
    return np.clip(dist / (np.percentile(dist, 99) + 1e-9), 0, 1)


def tempo_intervals(fps: float = FPS, min_bpm: float = 55.0, max_bpm: float = 215.0,
                    n_tempi: int = 60) -> np.ndarray:
    """Return the beat intervals in frames of the tempo states (unique integers, log-spaced)."""
    lo = int(np.floor(60.0 * fps / max_bpm))
    hi = int(np.ceil(60.0 * fps / min_bpm))
    grid = np.exp(np.linspace(np.log(lo), np.log(hi), n_tempi))
    return np.unique(np.round(grid).astype(np.int64))


def tempo_transitions(intervals: np.ndarray, transition_lambda: float,
                      floor: float = 1e-3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return log-probabilities ``[from, to]`` of tempo changes, ∝ exp(-λ |to/from - 1|).

    Probabilities below ``floor`` are dropped; the second and third results give, for
    each target tempo ``i``, the range ``lo[i] <= j < hi[i]`` of source tempi kept.
    """
    ratio = intervals[None, :] / intervals[:, None]
    p = np.exp(-transition_lambda * np.abs(ratio - 1.0))
    p[p < floor] = 0.0
    p /= p.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        logp = np.log(p)
    kept = p > 0
    lo = np.array([np.flatnonzero(kept[:, i])[0] for i in range(len(intervals))], dtype=np.int64)
    hi = np.array([np.flatnonzero(kept[:, i])[-1] + 1 for i in range(len(intervals))],
                  dtype=np.int64)
    return logp, lo, hi


@dataclass(frozen=True, slots=True)
class BeatTrack:
    """Decoded beats."""

    frames: np.ndarray
    """Beat frames [shape=(n_beats,)], int."""
    is_downbeat: np.ndarray
    """Whether each beat starts a bar [shape=(n_beats,)], bool."""
    beats_per_bar: int
    """The metre that won."""
    scores: dict[int, float]
    """Log-likelihood of the best path per metre considered."""


def decode_bar_pointer(beat_act: np.ndarray, down_act: np.ndarray, fps: float = FPS, *,
                       meters: tuple[int, ...] = (3, 4), min_bpm: float = 55.0,
                       max_bpm: float = 215.0, n_tempi: int = 60,
                       transition_lambda: float = 100.0,
                       observation_lambda: float = 16.0) -> BeatTrack:
    """Decode beats and downbeats jointly from frame activations with a bar-pointer HMM.

    Parameters
    ----------
    beat_act : np.ndarray [shape=(n,)], in 0..1
        Probability that a beat other than a downbeat falls on each frame.
    down_act : np.ndarray [shape=(n,)], in 0..1
        Probability that a downbeat falls on each frame.
    fps : float
        Frame rate of the activations.
    meters : tuple of int
        Beats per bar to consider; the most likely path wins.
    min_bpm, max_bpm : float
        Tempo range.
    n_tempi : int
        Number of tempo states (log-spaced).
    transition_lambda : float
        How strongly tempo changes between beats are penalized.
    observation_lambda : float
        The first ``1/observation_lambda`` of each beat emits the beat activations.

    Returns
    -------
    BeatTrack
    """
    from editspec.analysis._kernels import bar_pointer_viterbi

    if len(beat_act) != len(down_act):
        raise ValueError(f"beat_act has {len(beat_act)} frames, down_act {len(down_act)}")
    eps = 1e-6
    b = np.clip(beat_act.astype(np.float64), eps, 1 - eps)
    d = np.clip(down_act.astype(np.float64), eps, 1 - eps)
    none = np.clip(1.0 - b - d, eps, 1.0) / (observation_lambda - 1)
    intervals = tempo_intervals(fps, min_bpm, max_bpm, n_tempi)
    trans, lo, hi = tempo_transitions(intervals, transition_lambda)
    region = np.maximum(1, np.round(intervals / observation_lambda)).astype(np.int64)
    scores: dict[int, float] = {}
    best: tuple[float, np.ndarray, np.ndarray, int] | None = None
    lb, ld, ln = np.log(b), np.log(d), np.log(none)
    def run(bpb: int) -> tuple[float, np.ndarray, np.ndarray]:
        return bar_pointer_viterbi(lb, ld, ln, intervals, bpb, trans, region, lo, hi)

    if len(meters) > 1 and (os.cpu_count() or 1) > 1:  # the kernel releases the GIL
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(len(meters)) as pool:
            results = list(pool.map(run, meters))
    else:
        results = [run(bpb) for bpb in meters]
    for bpb, (score, frames, index) in zip(meters, results, strict=True):
        scores[bpb] = float(score)
        if best is None or score > best[0]:
            best = (float(score), frames, index, bpb)
    if best is None:
        raise ValueError("meters must name at least one metre")
    _, frames, index, bpb = best
    return BeatTrack(frames, index == 0, bpb, scores)


def refine_beats(frames: np.ndarray, activation: np.ndarray, radius: int = 2,
                 ahead: int | None = None) -> np.ndarray:
    """Move each beat to the activation peak from ``radius`` frames before it to ``ahead``
    frames after it (default ``radius``), to a fraction of a frame.

    The decoder puts a beat where its beat region starts; the activation peaks inside
    that region (``ahead``: the region's length), as madmom's DBN ``correct`` option
    reads it. The peak frame is refined by fitting a parabola through it and its
    neighbours.

    Returns
    -------
    np.ndarray [shape=(n_beats,)], float
        Beat positions in (fractional) frames.
    """
    out = frames.astype(np.float64)
    n = len(activation)
    after = radius if ahead is None else ahead
    for i, f in enumerate(frames):
        a, b = max(0, f - radius), min(n, f + after + 1)
        k = a + int(np.argmax(activation[a:b]))
        offset = 0.0
        if 0 < k < n - 1:
            y0, y1, y2 = activation[k - 1], activation[k], activation[k + 1]
            den = y0 - 2 * y1 + y2
            if den < 0:
                offset = float(np.clip(0.5 * (y0 - y2) / den, -0.5, 0.5))
        out[i] = k + offset
    return out


def trim_silent_beats(frames: np.ndarray, activation: np.ndarray,
                      level: float = 0.05) -> np.ndarray:
    """Return indices of beats between the first and last with activation above ``level``."""
    strong = np.flatnonzero(activation[frames] > level)
    if len(strong) == 0:
        return np.arange(0)
    return np.arange(strong[0], strong[-1] + 1)


def offbeat_shift(frames: np.ndarray, kick: np.ndarray, snare: np.ndarray, *,
                  block: int = 32, ratio: float = 1.2) -> np.ndarray:
    """Return, per frame, by how many frames to delay the beat activation so that the
    beats of blocks decoded on the off-beat move to the beat.

    Drum-kit convention: the kick marks the beat. In a punk / skank beat the snare plays
    between the kick's beats, and onset-driven trackers (and the network) lock to the
    snare, half a beat early. Per block of ``block`` decoded beats (8 bars of 4/4), when
    the kick band's onsets (maximum over ±2 frames) are ``ratio`` times stronger halfway
    between the beats than on them, and the snare band's ``ratio`` times stronger on them
    than between, the block's frames get half its beat interval; all others 0. Blocks of
    a usual rock beat (kick and snare on the beats), of double kick drums (kick on both)
    and without drums are left as they are.

    Parameters
    ----------
    frames : np.ndarray [shape=(n_beats,)]
        Decoded beats, (fractional) frames.
    kick, snare : np.ndarray [shape=(n,)]
        Onset envelopes of the bands below 100 Hz and of 250 Hz to 2 kHz.
    block, ratio : int, float
        Beats per block; how much stronger each cue must be.

    Returns
    -------
    np.ndarray [shape=(n,)], float
        Delay per frame (0 almost everywhere on most songs).
    """
    from scipy.ndimage import maximum_filter1d

    n = len(kick)
    shift = np.zeros(n)
    k = maximum_filter1d(kick.astype(np.float64), 5)
    s = maximum_filter1d(snare.astype(np.float64), 5)
    for i in range(0, len(frames) - 2, block):
        g = np.asarray(frames[i: i + block + 1], dtype=np.float64)
        if len(g) < 5:
            break
        on = np.clip(np.round(g[:-1]).astype(np.int64), 0, n - 1)
        off = np.clip(np.round((g[:-1] + g[1:]) / 2).astype(np.int64), 0, n - 1)
        if (k[off].mean() > ratio * k[on].mean() + 1e-12
                and s[on].mean() > ratio * s[off].mean() + 1e-12):
            shift[int(on[0]): round(g[-1])] = float(np.median(np.diff(g))) / 2
    return shift


def phase_islands(frames: np.ndarray, kick: np.ndarray, *, min_run: int = 8,
                  tol: float = 0.15, steady: float = 0.75, majority: float = 2.0) -> np.ndarray:
    """Return, per frame, by how many frames to delay the beat activation so that stretches
    of a steady-tempo song decoded half a beat off the rest of the song come back onto the
    song's grid.

    Most recorded songs keep one tempo (they are played to a click), so their beats lie on
    one grid ``t = (p + k) T``. A tracker that follows the strongest onsets leaves that grid
    by half a beat where the accents move to the off-beat (a skank chorus, a drum-less
    intro strummed on the "and") and comes back after. Such stretches show up as two
    clusters of the beats' phase ``(t / T) mod 1``, half a beat apart. The song's grid is
    the cluster holding ``majority`` times the other's beats, provided the kick (the
    drum-kit convention: the kick marks the beat) does not say otherwise over the whole
    song: its onsets on that grid, relative to its off-beats, must be at least as strong
    as on the other grid. Every run of at least ``min_run`` beats of the other cluster
    then gets half a beat interval; all other frames 0.

    Nothing is moved when the song is not steady (the phases' agreement modulo half a beat,
    ``|mean exp(4 pi i phase)|``, is below ``steady``: tempo changes, rubato), when the
    decoded beats hold one phase only, when neither cluster is clearly the larger, or when
    the kick favours the smaller one (syncopated kicks are common: the decoder's decision,
    taken on all the evidence, stands).

    Parameters
    ----------
    frames : np.ndarray [shape=(n_beats,)]
        Decoded beats, (fractional) frames.
    kick : np.ndarray [shape=(n,)]
        Onset envelope of the band below 100 Hz.
    min_run, tol, steady, majority : int, float, float, float
        Shortest stretch moved (beats); how near (in beats) a phase must be to a cluster;
        the steadiness needed; how many times the other's beats the song's grid holds.

    Returns
    -------
    np.ndarray [shape=(n,)], float
        Delay per frame.
    """
    from scipy.ndimage import maximum_filter1d

    n = len(kick)
    shift = np.zeros(n)
    f = np.asarray(frames, dtype=np.float64)
    if len(f) < 4 * min_run:
        return shift
    m = min(64, len(f) // 4)
    period = float(np.median((f[m:] - f[:-m]) / m))  # robust to a few half-beat jumps
    phase = (f / period) % 1.0
    z = np.exp(4j * np.pi * phase).mean()  # phases and their opposites agree
    if abs(z) < steady:
        return shift
    centres = ((np.angle(z) / (4 * np.pi)) % 0.5, (np.angle(z) / (4 * np.pi)) % 0.5 + 0.5)

    def runs(c: float) -> list[tuple[int, int]]:
        mask = np.abs((phase - c + 0.5) % 1.0 - 0.5) < tol
        edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
        return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)
                if b - a >= min_run]

    groups = [runs(c) for c in centres]
    sizes = [sum(b - a for a, b in g) for g in groups]
    big = int(sizes[1] > sizes[0])
    if sizes[1 - big] == 0 or sizes[big] < majority * sizes[1 - big]:
        return shift
    k = maximum_filter1d(np.asarray(kick, dtype=np.float64), 5)

    def kick_ratio(c: float) -> float:
        grid = (c + np.arange(np.ceil(f[0] / period - c), f[-1] / period - c)) * period
        on = np.clip(np.round(grid).astype(np.int64), 0, n - 1)
        off = np.clip(np.round(grid + period / 2).astype(np.int64), 0, n - 1)
        return float(k[on].sum() / (k[off].sum() + 1e-12))

    if kick_ratio(centres[big]) < kick_ratio(centres[1 - big]):
        return shift
    for a, b in groups[1 - big]:
        lo = max(0, round(f[a] - period / 4))
        shift[lo: min(n, round(f[b - 1] + 3 * period / 4))] = period / 2
    return shift


def delay(x: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Return ``x`` with each frame ``t`` taken from ``t - shift[t]`` (rounded, clipped)."""
    n = len(x)
    idx = np.clip(np.arange(n) - np.round(shift[:n]).astype(np.int64), 0, n - 1)
    return x[idx]
