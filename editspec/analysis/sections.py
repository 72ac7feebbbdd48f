"""Song sections from a bar-synchronous self-similarity matrix, and the best window.

Boundaries are peaks of a Gaussian checkerboard novelty over the bar-by-bar
self-similarity of chroma, MFCC and loudness, plus bar-to-bar loudness jumps (Foote 2000,
"Automatic audio segmentation using a measure of audio novelty", ICME), so they fall on
downbeats.
Segments are labelled by repetition: segments whose mean features lie within half the
median bar distance of each other share a letter, and neighbours sharing a letter are one
section; the loudest label lasting 4 bars in all is ``chorus`` (a label that repeats gets a
0.1 head start); a quiet first or last segment is ``intro`` / ``outro``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Section:
    """A part of the song."""

    start: float
    """Start in seconds (on a downbeat, or 0)."""
    end: float
    """End in seconds."""
    label: str
    """``intro``, ``outro``, ``chorus`` or a repetition letter (``A``, ``B``, ...)."""


def bar_features(features: np.ndarray, bar_frames: np.ndarray) -> np.ndarray:
    """Average frame features over each bar [shape=(d, n_bars)]."""
    n = features.shape[1]
    edges = np.clip(np.concatenate([bar_frames, [n]]), 0, n - 1)
    edges[-1] = n
    return np.stack([features[:, a:max(b, a + 1)].mean(axis=1)
                     for a, b in itertools.pairwise(edges)], axis=1)


def checkerboard_novelty(ssm: np.ndarray, half_width: int) -> np.ndarray:
    """Return Foote's novelty: a Gaussian-tapered checkerboard kernel along the diagonal."""
    k = half_width
    sign = np.concatenate([-np.ones(k), np.ones(k)])
    taper = np.exp(-0.5 * ((np.arange(2 * k) - k + 0.5) / k) ** 2)
    kernel = np.outer(sign * taper, sign * taper)
    padded = np.pad(ssm, k, mode="reflect")  # mirrored edges show no false change
    n = ssm.shape[0]
    return np.array([np.sum(padded[i:i + 2 * k, i:i + 2 * k] * kernel) for i in range(n)])


def self_similarity(groups: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Return (features, similarity) of bars from feature groups of shape (d_i, n_bars).

    Each dimension is standardized across bars and each group scaled to equal weight
    (chroma's 12 dimensions count as much as loudness's one); similarity is
    ``exp(-d^2 / median(d^2))`` of the Euclidean distance.
    """
    parts = []
    for g in groups:
        g = g - g.mean(axis=1, keepdims=True)
        g = g / (g.std(axis=1, keepdims=True) + 1e-9)
        parts.append(g / np.sqrt(g.shape[0]))
    f = np.vstack(parts)
    d2 = ((f[:, :, None] - f[:, None, :]) ** 2).sum(axis=0)
    return f, np.exp(-d2 / (np.median(d2) + 1e-9))


def find_sections(bar_times: np.ndarray, groups: list[np.ndarray], bar_energy: np.ndarray,
                  duration: float, kernel_bars: int | None = None,
                  min_bars: int = 2) -> tuple[Section, ...]:
    """Split a song at downbeats where the novelty peaks and label the parts.

    Parameters
    ----------
    bar_times : np.ndarray [shape=(n_bars,)]
        Downbeat times in seconds.
    groups : list of np.ndarray [shape=(d_i, n_bars)]
        Bar-synchronous feature groups (chroma, timbre, loudness).
    bar_energy : np.ndarray [shape=(n_bars,)], in 0..1
        Energy per bar.
    duration : float
        Song duration, seconds.
    kernel_bars : int, optional
        Half-width of the checkerboard kernel, bars (default: n_bars / 6, 2..4).
    min_bars : int
        Shortest section, bars.

    Returns
    -------
    tuple of Section
        Covering 0..duration in order.
    """
    n = len(bar_times)
    if n < 2 * min_bars + 1:
        return (Section(0.0, round(duration, 6), "A"),)
    f, ssm = self_similarity(groups)
    k = kernel_bars or max(2, min(4, n // 6))
    novelty = np.maximum(checkerboard_novelty(ssm, k), 0)
    # A change of loudness from one bar to the next is a boundary cue of its own.
    jump = np.abs(np.concatenate([[0.0], np.diff(bar_energy)]))
    novelty = novelty / (novelty.max() + 1e-9) + jump / max(0.15, float(jump.max()))
    thresh = max(novelty.mean() + 0.25 * novelty.std(), 1e-6)
    bounds = [0]
    for i in range(1, n):
        left, right = novelty[i - 1:i], novelty[i + 1:i + 2]
        peak = novelty[i] >= thresh and (len(left) == 0 or novelty[i] > left.max()) \
            and (len(right) == 0 or novelty[i] >= right.max())
        if peak and i - bounds[-1] >= min_bars and n - i >= min_bars:
            bounds.append(i)
    bounds.append(n)
    pairs = list(itertools.pairwise(bounds))
    seg_energy = [float(bar_energy[a:b].mean()) for a, b in pairs]
    labels: list[int] = []
    protos: list[np.ndarray] = []
    scale = np.sqrt(np.median(((f[:, :, None] - f[:, None, :]) ** 2).sum(axis=0)))
    for a, b in pairs:
        v = f[:, a:b].mean(axis=1)
        dists = [float(np.linalg.norm(v - p)) for p in protos]
        if dists and min(dists) < 0.5 * scale:
            labels.append(int(np.argmin(dists)))
        else:
            protos.append(v)
            labels.append(len(protos) - 1)
    # Neighbours that sound alike are one section (the novelty peaked inside it).
    merged = [0]
    for i in range(1, len(pairs)):
        if labels[i] != labels[merged[-1]]:
            merged.append(i)
    bounds = [pairs[i][0] for i in merged] + [n]
    labels = [labels[i] for i in merged]
    pairs = list(itertools.pairwise(bounds))
    seg_energy = [float(bar_energy[a:b].mean()) for a, b in pairs]
    names = [chr(ord("A") + lab) if lab < 26 else f"S{lab}" for lab in labels]
    by_label: dict[int, list[float]] = {}
    bars_of: dict[int, int] = {}
    for lab, e, (a, b) in zip(labels, seg_energy, pairs, strict=True):
        by_label.setdefault(lab, []).append(e)
        bars_of[lab] = bars_of.get(lab, 0) + b - a
    # the chorus: the loudest label (a repeated one gets a 0.1 head start) among those
    # lasting 4 bars in all, when any does: a lone 2-bar burst is not the chorus
    long_enough = [lab for lab in by_label if bars_of[lab] >= 2 * min_bars] or list(by_label)
    if len(by_label) > 1:
        chorus = max(long_enough,
                     key=lambda lab: np.mean(by_label[lab]) + 0.1 * (len(by_label[lab]) > 1))
        names = ["chorus" if lab == chorus else nm for lab, nm in zip(labels, names, strict=True)]
    median_e = float(np.median(bar_energy))
    if len(names) > 2 and seg_energy[0] < median_e and names[0] != "chorus":
        names[0] = "intro"
    if len(names) > 2 and seg_energy[-1] < median_e and names[-1] != "chorus":
        names[-1] = "outro"
    times = [0.0] + [float(bar_times[b]) for b in bounds[1:-1]] + [duration]
    return tuple(Section(round(a, 6), round(b, 6), nm)
                 for a, b, nm in zip(times[:-1], times[1:], names, strict=True))


def best_window(downbeats: np.ndarray, sections: tuple[Section, ...], energy: np.ndarray,
                energy_fps: float, duration: float, song_duration: float) -> float:
    """Return the start (a downbeat) of the best window of ``duration`` seconds.

    The score is the window's mean energy, plus 0.25 times the share of it that is
    chorus, plus 0.1 when it starts at a section start; ties go to the earliest.

    Parameters
    ----------
    downbeats : np.ndarray
        Candidate starts, seconds.
    sections : tuple of Section
        The song's sections.
    energy : np.ndarray
        Energy curve in 0..1.
    energy_fps : float
        Its rate.
    duration : float
        Window length, seconds.
    song_duration : float
        Song length, seconds.

    Returns
    -------
    float
        Start in seconds (0 when the song is no longer than the window).
    """
    starts = [t for t in [0.0, *downbeats.tolist()] if t + duration <= song_duration + 1e-6]
    if not starts:
        return 0.0
    cum = np.concatenate([[0.0], np.cumsum(energy)])
    section_starts = {round(s.start, 3) for s in sections}
    best_t, best_score = starts[0], -np.inf
    for t in starts:
        a = int(t * energy_fps)
        b = max(a + 1, min(len(energy), int((t + duration) * energy_fps)))
        mean_e = (cum[b] - cum[a]) / (b - a) if a < len(energy) else 0.0
        chorus = sum(max(0.0, min(s.end, t + duration) - max(s.start, t))
                     for s in sections if s.label == "chorus") / duration
        score = mean_e + 0.25 * chorus + (0.1 if round(t, 3) in section_starts else 0.0)
        if score > best_score + 1e-9:
            best_t, best_score = t, score
    return float(best_t)
