"""Labels of the corpus: songs read from MIDI files with their exact beat and downbeat grid
(tempo and time-signature maps, bar lines checked against the music), and the cut-salience
events of the audible score."""

from __future__ import annotations

import itertools
import logging
import os
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from editspec.train.packages import MIDI_PACKAGES

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Song:
    """A MIDI file that passed the checks, with its exact grid."""

    path: str
    """The MIDI file."""
    group: str
    """Songs of one group (variants of a tune) share a split."""
    beats: np.ndarray
    """Beat times, s."""
    downbeats: np.ndarray
    """Downbeat times, s (a subset of beats)."""
    end_s: float
    """Time of the last note off, s."""


def song_group(path: str) -> str:
    """Return the split group of a MIDI path: package + stem without trailing digits/suffixes."""
    m = re.search(r"/pkgs/([^/]+)/", path)
    pkg = m.group(1) if m else ""
    stem = os.path.splitext(os.path.basename(path))[0].lower()
    base = stem
    for _ in range(2):
        base = re.sub(r"[\W_]*(\d+|redfarn|imuh\d*)$", "", base)
    return f"{pkg}/{base or stem}"


def midi_grid(pm: Any, *, six_eight_in_three: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Return beat and downbeat times from a PrettyMIDI's tempo and time-signature maps.

    The beat is the denominator's note value, except in compound metres (6/8, 9/8,
    12/8), where it is the dotted quarter, and in 2/2 and 4/2, where it is the quarter.
    With ``six_eight_in_three``, a 6/8 bar has three quarter-note beats (as 3/4).
    """
    end_tick = pm.time_to_tick(pm.get_end_time())
    sigs = sorted(pm.time_signature_changes, key=lambda s: s.time)
    if not sigs or pm.time_to_tick(sigs[0].time) > 0:
        import pretty_midi

        sigs = [pretty_midi.TimeSignature(4, 4, 0.0), *sigs]
    beats, downs = [], []
    for i, sig in enumerate(sigs):
        t0 = pm.time_to_tick(sig.time)
        t1 = pm.time_to_tick(sigs[i + 1].time) if i + 1 < len(sigs) else end_tick + 1
        num, den = sig.numerator, sig.denominator
        beat_ticks = pm.resolution * 4.0 / den
        per_bar = num
        if den == 8 and num == 6 and six_eight_in_three:
            beat_ticks *= 2
            per_bar = 3
        elif den == 8 and num % 3 == 0 and num > 3:
            beat_ticks *= 3
            per_bar = num // 3
        elif den == 2:
            beat_ticks /= 2
            per_bar = num * 2
        k = 0
        tick = float(t0)
        while tick < t1:
            beats.append(pm.tick_to_time(round(tick)))
            downs.append(k % per_bar == 0)
            k += 1
            tick = t0 + k * beat_ticks
    b = np.array(beats)
    d = np.array(downs, dtype=bool)
    return b, b[d]


BAR_PHASE_MARGIN = 0.5
"""How much more downbeat evidence (of at most 3) another beat of the bar needs than the
MIDI's own bar line before :func:`bar_phase` moves the bar lines there."""
BAR_PHASE_HARMONY_RATIO = 1.3
"""...and how many times more often the harmony must change there."""
BAR_PHASE_LEAD_IN_MARGIN = 0.25
"""The margin when the file's first note also falls on that beat of the bar, after beats of
silence: the music starts where its chords, bass and kick put the bar line, and the MIDI's
bar line stands in the silence before it."""


def _first_onset(pm: Any) -> float:
    """Return the start of the file's first note, s (0 without notes)."""
    return min((n.start for ins in pm.instruments for n in ins.notes), default=0.0)


def bar_phase(pm: Any, beats: np.ndarray, downbeats: np.ndarray) -> int:
    """Return by how many beats the music's bar lines follow the MIDI's (0: they agree).

    Many MIDI files start with a pickup or a silent beat that their time-signature map
    does not account for; their bar lines are then a beat or more early (every file that
    MMA renders with its default ``init.mma``, which ends in ``beatadjust 1``, is one beat
    early). The music itself says where its bars start: chords change, the bass and the
    kick drum play on the downbeat. For each beat of the bar this scores the mean chord
    change (Jaccard distance of the sounding pitch classes to the beat before), the bass
    notes (below E3) and the kick drums that start on it, each scaled by its maximum over
    the bar. Another beat wins only when its score exceeds the bar line's by
    :data:`BAR_PHASE_MARGIN` (:data:`BAR_PHASE_LEAD_IN_MARGIN` when the first note of the
    file falls on that beat, after a silent lead-in) and its chord change is
    :data:`BAR_PHASE_HARMONY_RATIO` times the bar line's; otherwise the MIDI's bar lines
    stand. Songs whose metre changes are left as they are.
    """
    bars = bar_positions(beats, downbeats)
    if len(beats) < 16 or bars is None:
        return 0  # too short, or the metre changes: keep the map
    pos, bpb = bars
    period = float(np.median(np.diff(beats)))
    tol = 0.1 * period
    pcs = np.zeros((len(beats), 12), bool)
    bass = np.zeros(len(beats))
    kick = np.zeros(len(beats))
    for ins in pm.instruments:
        for n in ins.notes:
            i = int(np.searchsorted(beats, n.start + tol)) - 1
            if i < 0:
                continue
            on_beat = n.start - beats[i] < tol
            if ins.is_drum:
                kick[i] += on_beat and n.pitch in (35, 36)
                continue
            j = int(np.searchsorted(beats, n.end - 0.5 * tol))
            pcs[i:max(i + 1, j), n.pitch % 12] = True
            bass[i] += on_beat and n.pitch < 52
    union = (pcs[1:] | pcs[:-1]).sum(axis=1)
    inter = (pcs[1:] & pcs[:-1]).sum(axis=1)
    change = np.zeros(len(beats))
    change[1:] = np.where(union > 0, 1.0 - inter / np.maximum(union, 1), 0.0)

    def per_beat(x: np.ndarray) -> np.ndarray:
        return np.array([x[pos == p].mean() for p in range(bpb)])

    harmony = per_beat(change)
    score = sum(v / (v.max() + 1e-9) for v in (harmony, per_beat(bass), per_beat(kick)))
    best = int(np.argmax(score))
    first = _first_onset(pm)
    k = int(np.searchsorted(beats, first + tol)) - 1
    lead_in = k >= 1 and first - beats[k] < tol and pos[k] == best
    margin = BAR_PHASE_LEAD_IN_MARGIN if lead_in else BAR_PHASE_MARGIN
    if (best != 0 and int(np.argmax(harmony)) == best
            and score[best] - score[0] >= margin
            and harmony[best] >= BAR_PHASE_HARMONY_RATIO * harmony[0]):
        return best
    return 0


def mma_beat_adjust(path: str, pm: Any, beats: np.ndarray) -> int | None:
    """Return by how many beats MMA's silent first beat moves the bars of a file MMA made
    (0 for other files), or None when its bar lines cannot be trusted at all.

    MMA's default ``init.mma`` (in the package) ends with ``beatadjust 1``: every file it
    compiles starts with a silent beat, while the 4/4 time signature it writes at tick 0
    puts the first bar line before that beat. Such a file (it says ``Created by MMA``; one
    time signature, at tick 0; no note in its first half beat) has its bars one beat
    after the MIDI's. A source (``.mma`` beside the file) that says ``BeatAdjust`` moves
    the bars again inside the song, and one that says ``Truncate`` writes bars shorter than
    the time signature (``convert4to5.mma`` plays 5/4 under a 4/4 map): those files are
    left out. Files whose first notes start at once (the groove library's) were compiled
    without the silent beat.
    """
    if not any("Created by MMA" in t.text for t in getattr(pm, "text_events", [])):
        return 0
    src = os.path.splitext(path)[0] + ".mma"
    if os.path.isfile(src):
        with open(src, encoding="utf-8", errors="replace") as fh:
            if re.search(r"^\s*(beatadjust|truncate)\b", fh.read(), re.IGNORECASE | re.MULTILINE):
                return None
    sigs = pm.time_signature_changes
    if len(sigs) != 1 or pm.time_to_tick(sigs[0].time) != 0 or len(beats) < 2:
        return 0
    return 1 if _first_onset(pm) >= beats[0] + 0.5 * (beats[1] - beats[0]) else 0


def _downbeat_index(beats: np.ndarray, downbeats: np.ndarray) -> np.ndarray:
    """Return the indices in ``beats`` of the downbeats."""
    return np.flatnonzero(np.isin(np.round(beats, 6), np.round(downbeats, 6)))


def bar_positions(beats: np.ndarray, downbeats: np.ndarray) -> tuple[np.ndarray, int] | None:
    """Return each beat's place in its bar (0 on a downbeat; beats before the first
    downbeat count back from it) and the beats per bar, or None when the bars are not all
    of one length (or there is no full bar)."""
    idx = _downbeat_index(beats, downbeats)
    bars = np.diff(idx)
    if len(bars) == 0 or np.any(bars != bars[0]) or bars[0] < 2:
        return None
    bpb = int(bars[0])
    return (np.arange(len(beats)) - idx[0]) % bpb, bpb


def shift_bars(beats: np.ndarray, downbeats: np.ndarray, shift: int) -> np.ndarray:
    """Return the downbeats moved ``shift`` beats later (earlier beats of a first partial
    bar become downbeats as needed); ``downbeats`` when ``shift`` is 0 or the metre changes."""
    bars = bar_positions(beats, downbeats) if shift else None
    return downbeats if bars is None else beats[bars[0] == shift]


TEMPO_RANGE_BPM = (55.0, 215.0)
"""Beat tempi the decoder follows (the defaults of
:func:`editspec.analysis.beats.decode_bar_pointer`, madmom's range). A song's median beat
must lie inside, and each render's tempo change is clipped to keep it there, so that no
label asks for a tempo the analyzer cannot output."""
GRID_CHANCE_TOL = 1 / 24
"""Tolerance (of the beat) of the chance test in :func:`load_song`: a randomly placed onset
lands this close to one of the six 16th/triplet grid points half of the time."""


def tempo_factor_in_range(factor: float, beats: np.ndarray) -> float:
    """Return the render tempo ``factor`` clipped so the song's median beat stays inside
    :data:`TEMPO_RANGE_BPM`."""
    bpm = 60.0 / float(np.median(np.diff(beats)))
    lo, hi = TEMPO_RANGE_BPM
    return float(np.clip(factor, lo / bpm, hi / bpm))


SIX_EIGHT_RATIO = 4.0
"""How many times more onsets the quarter-note places of a 6/8 bar (its 3rd and 5th
eighth) must have than its second dotted-quarter beat (the 4th eighth) before
:func:`six_eight_in_three` reads the bar as 3/4."""


def six_eight_in_three(pm: Any) -> bool:
    """Return True when the song's 6/8 bars are played in three (as 3/4).

    A 6/8 bar has two dotted-quarter beats (eighths 0 and 3); some files write a waltz
    in 6/8, and then the notes start on eighths 0, 2 and 4 and hardly ever on 3. Counting
    note onsets on eighths 2 and 4 against 3 (per place, ratio :data:`SIX_EIGHT_RATIO`)
    tells them apart; running eighths count the same on all three and keep 6/8.
    """
    if not any(s.numerator == 6 and s.denominator == 8 for s in pm.time_signature_changes):
        return False
    beats, downs = midi_grid(pm)
    idx = _downbeat_index(beats, downs)
    starts = np.array([n.start for ins in pm.instruments for n in ins.notes])
    i = np.searchsorted(beats, starts + 1e-6) - 1
    ok = (i >= 0) & (i < len(beats) - 1)
    i, starts = i[ok], starts[ok]
    frac = 3.0 * (starts - beats[i]) / (beats[i + 1] - beats[i])  # eighths after the beat
    k = np.rint(frac).astype(np.int64)
    d = np.searchsorted(idx, i, side="right") - 1  # the bar each note is in
    whole = (d >= 0) & (d + 1 < len(idx))
    whole[whole] &= (idx[d[whole] + 1] - idx[d[whole]]) == 2  # whole 6/8 bars only
    keep = whole & (np.abs(frac - k) <= 0.1) & (k != 3)
    counts = np.bincount((i[keep] - idx[d[keep]]) * 3 + k[keep], minlength=6)
    return bool(counts[2] + counts[4] > 0
                and (counts[2] + counts[4]) / 2 >= SIX_EIGHT_RATIO * max(counts[3], 1.0))


def _grid_fit(pm: Any, beats: np.ndarray) -> tuple[float, float]:
    """Return the share of note onsets within 35 ms, and the share within
    :data:`GRID_CHANCE_TOL` of the local beat, of a 16th or triplet-8th grid point."""
    onsets = np.sort(np.concatenate([[n.start for n in ins.notes] for ins in pm.instruments]
                                    or [np.zeros(0)]))
    if len(onsets) == 0 or len(beats) < 2:
        return 0.0, 0.0
    grid = []
    for a, b in itertools.pairwise(beats):
        grid.extend(a + (b - a) * np.array([0, 0.25, 1 / 3, 0.5, 2 / 3, 0.75]))
    grid = np.sort(np.array(grid))
    idx = np.clip(np.searchsorted(grid, onsets), 1, len(grid) - 1)
    dist = np.minimum(np.abs(onsets - grid[idx - 1]), np.abs(onsets - grid[idx]))
    k = np.clip(np.searchsorted(beats, onsets) - 1, 0, len(beats) - 2)
    return (float(np.mean(dist < 0.035)),
            float(np.mean(dist < GRID_CHANCE_TOL * (beats[k + 1] - beats[k]))))


def load_song(path: str) -> tuple[Any, Song] | None:
    """Parse a MIDI file and return it with its grid, or None when it is unusable.

    A song is kept when it parses, lasts at least 20 s, has 60+ notes with some pitched
    instrument, a median beat inside :data:`TEMPO_RANGE_BPM` and note onsets on its grid
    (≥ 75 % within 35 ms of a 16th or triplet point, and ≥ 55 % within 1/24 of a beat,
    where chance gives 50 %: a freely played file with a nominal tempo fails), so the
    labels can be trusted. 6/8 played in three is read as 3/4 (:func:`six_eight_in_three`),
    and the bar lines are moved past MMA's silent first beat (:func:`mma_beat_adjust`) and
    then to where the music has them (:func:`bar_phase`).
    """
    import pretty_midi

    try:
        pm = pretty_midi.PrettyMIDI(path)
    except Exception as exc:  # many kinds of broken MIDI
        log.info("skipping %s: %s", path, exc)
        return None
    end = pm.get_end_time()
    n_notes = sum(len(i.notes) for i in pm.instruments)
    if end < 20.0 or n_notes < 60 or not any(not i.is_drum and i.notes for i in pm.instruments):
        return None
    in_three = six_eight_in_three(pm)
    beats, downs = midi_grid(pm, six_eight_in_three=in_three)
    beats = beats[beats <= end + 0.01]
    downs = downs[downs <= end + 0.01]
    if len(beats) < 16 or len(downs) < 4:
        return None
    bpm = 60.0 / float(np.median(np.diff(beats)))
    if not TEMPO_RANGE_BPM[0] <= bpm <= TEMPO_RANGE_BPM[1]:
        return None
    near, close = _grid_fit(pm, beats)
    if near < 0.75 or close < 0.55:
        return None  # off the grid, or on it no more often than by chance
    adjust = mma_beat_adjust(path, pm, beats)
    if adjust is None:
        return None
    downs = shift_bars(beats, downs, adjust)
    downs = shift_bars(beats, downs, bar_phase(pm, beats, downs))
    return pm, Song(path, song_group(path), beats, downs, end)


def list_midi(dirs: dict[str, str]) -> list[str]:
    """Return every MIDI file in the unpacked song packages, sorted."""
    out = []
    for pkg in MIDI_PACKAGES:
        for base, _, files in os.walk(dirs[pkg]):
            out.extend(os.path.join(base, f) for f in files
                       if f.lower().endswith((".mid", ".midi")))
    return sorted(out)


def salience_events(pm: Any, keep: list[bool], beats: np.ndarray, downbeats: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Return cut-salience events (times in score time, weights 0..1) of the audible score.

    Downbeats weigh 0.4, phrase starts every 4 bars 0.7 and every 8 bars 1.0 (counted
    from the first bar with a note); a bar whose set of sounding instruments or note
    count changes clearly from the bar before weighs 1.0; a strong onset (velocity ≥ 70)
    after at least a beat of silence weighs 0.9.
    """
    notes = [(n.start, n.velocity, k) for k, ins in enumerate(pm.instruments) if keep[k]
             for n in ins.notes]
    if not notes or len(downbeats) == 0:
        return np.zeros(0), np.zeros(0)
    arr = np.array(notes, dtype=np.float64)
    arr = arr[np.argsort(arr[:, 0])]
    onsets, vel, who = arr[:, 0], arr[:, 1], arr[:, 2].astype(int)
    first = int(np.searchsorted(downbeats, onsets[0] - 0.05))
    times, weights = [], []
    edges = np.append(downbeats, np.inf)
    prev_set: set[int] | None = None
    prev_n = 0
    for i in range(first, len(downbeats)):
        j = i - first
        w = 1.0 if j % 8 == 0 else 0.7 if j % 4 == 0 else 0.4
        sel = (onsets >= edges[i] - 0.03) & (onsets < edges[i + 1] - 0.03)
        cur = set(who[sel].tolist())
        n = int(sel.sum())
        if prev_set is not None:
            union = cur | prev_set
            jac = len(cur & prev_set) / len(union) if union else 1.0
            dens = (n + 1) / (prev_n + 1)
            if jac < 0.6 or dens > 2.0 or dens < 0.5:
                w = 1.0
        prev_set, prev_n = cur, n
        times.append(downbeats[i])
        weights.append(w)
    period = float(np.median(np.diff(beats))) if len(beats) > 1 else 0.5
    gaps = np.diff(onsets, prepend=-np.inf)
    strong = (gaps >= max(0.6, period)) & (vel >= 70)
    times.extend(onsets[strong].tolist())
    weights.extend([0.9] * int(strong.sum()))
    t = np.array(times)
    order = np.argsort(t)
    return t[order], np.array(weights)[order]
