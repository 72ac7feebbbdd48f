"""Training corpus: MIDI songs from Debian packages, rendered with fluidsynth, exact labels.

Input: the Debian packages named in DESIGN.md ("Data you may use"), fetched with
``apt-get download`` and unpacked with ``dpkg -x`` into ``cache_dir()/corpus`` (never
into git). Output: ``corpus/manifest.json`` and one ``.npz`` per render (int16 audio at
22.05 kHz, beat and downbeat times, cut-salience events) under ``corpus/renders``.

Labels come from each file's tempo and time-signature maps (pretty_midi), so beats and
downbeats are exact; every augmentation that moves time (tempo ±15 %, swing, slow tempo
drift) is one monotonic time map applied to the notes and to the labels alike, while
note-level humanization (timing jitter, velocity) moves notes only. Each render also
varies the soundfont, transposition, drum kit, instrument choice within its family,
which instrument groups play (full mix, no drums, drums only, some groups muted),
fluidsynth's reverb and chorus, and, after rendering, EQ, bus compression, a
convolution reverb, added noise and the level.

Cut-salience targets (Hedna et al. 2023 cut where the music articulates): downbeats,
weighted up at phrase starts (every 4 and 8 bars), at changes of instrumentation or
note density between bars, and strong onsets after a rest.

Everything is deterministic from one seed; the train / validation / test split is by
song (variants of one tune in a package are one song), never by excerpt.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from editspec.errors import EditspecError
from editspec.model.augment import (
    RenderSpec,
    augment_audio,
    draw_spec,
    make_time_map,
    mutate_score,
)

log = logging.getLogger(__name__)

CORPUS_VERSION = 7
"""2: bar lines follow the music where the MIDI's are shifted (:func:`bar_phase`).
3: every song and render has its beat inside the decoder's tempo range (:data:`TEMPO_RANGE_BPM`),
6/8 played in three is labelled 3/4 (:func:`six_eight_in_three`), and songs whose notes sit
on their grid no more often than chance are left out (:func:`_grid_fit`).
4: the bars of files MMA compiled start after its silent first beat (:func:`mma_beat_adjust`).
5: a silent lead-in to the beat where the music puts its bar line lowers the evidence
:func:`bar_phase` needs (:data:`BAR_PHASE_LEAD_IN_MARGIN`).
6: Freedoom's music joined as training-only songs (tried, did not help: models/MODEL_CARD.md).
7: version 5's songs and renders again (version 6 without Freedoom's songs)."""
SR = 22050
"""Sample rate of the renders, Hz (the analyzer's)."""
MIDI_PACKAGES = ("openttd-openmsx", "simutrans-data", "mma", "freedink-data", "pianobooster")
"""Debian packages whose MIDI files are the songs."""
SOUNDFONT_PACKAGES = ("fluid-soundfont-gm", "musescore-general-soundfont-small",
                      "timgm6mb-soundfont")
"""Debian packages holding General MIDI soundfonts."""
FLUIDSYNTH_PACKAGES = ("fluidsynth", "libfluidsynth3", "libinstpatch-1.0-2")
"""fluidsynth and the libraries a stock Debian system may lack, run from the unpacked tree."""
DATA_LICENCES = {
    "openttd-openmsx": "GPL-2.0",
    "simutrans-data": "Artistic-1.0",
    "mma": "GPL-2+",
    "freedink-data": "zlib-style (original Dink Smallwood data); GPL and CC-BY-3.0 (replacements)",
    "pianobooster": "GPL-3+ (parts CC-BY, MIT)",
    "fluid-soundfont-gm": "MIT",
    "musescore-general-soundfont-small": "MIT",
    "timgm6mb-soundfont": "GPL-2",
}


class CorpusError(EditspecError):
    """The corpus cannot be built or read (a package, fluidsynth or a file is missing)."""


@dataclass(frozen=True, slots=True)
class CorpusConfig:
    """How the corpus is built; stored in the manifest."""

    seed: int = 0
    """Seed of the split and of every augmentation."""
    excerpt_s: float = 30.0
    """Length of each rendered excerpt, seconds."""
    renders_train: int = 10
    """Renders per training song (excerpts from all over the song, each augmented anew)."""
    renders_eval: int = 6
    """Renders per validation and per test song (the first clean, the others half-strength
    augmented): many excerpts, because a bar-phase error costs an excerpt all its downbeats."""
    frac_val: float = 0.12
    """Share of songs held out for validation."""
    frac_test: float = 0.18
    """Share of songs held out for testing."""


def corpus_dir() -> str:
    """Return ``cache_dir()/corpus``, where the corpus lives (outside git)."""
    from editspec.analysis.cache import cache_dir

    return os.path.join(cache_dir(), "corpus")


# ---------------------------------------------------------------------------------------------
# fetching: apt-get download + dpkg -x


def fetch_packages(names: tuple[str, ...], root: str) -> dict[str, str]:
    """Download Debian packages and unpack them under ``root/pkgs/NAME``.

    Parameters
    ----------
    names : tuple of str
        Package names.
    root : str
        The corpus folder.

    Returns
    -------
    dict
        Package name → folder it was unpacked into.

    Raises
    ------
    CorpusError
        When ``apt-get`` or ``dpkg`` is missing or a download fails.
    """
    for tool in ("apt-get", "dpkg"):
        if shutil.which(tool) is None:
            raise CorpusError(f"building the corpus needs {tool!r} (a Debian-based system)")
    debs = os.path.join(root, "debs")
    os.makedirs(debs, exist_ok=True)
    out: dict[str, str] = {}
    missing = [n for n in names if not _deb_for(debs, n)]
    if missing:
        proc = subprocess.run(["apt-get", "download", *missing], cwd=debs, capture_output=True,
                              text=True)
        if proc.returncode != 0 and os.geteuid() == 0:  # stale package lists: refresh once
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True)
            proc = subprocess.run(["apt-get", "download", *missing], cwd=debs,
                                  capture_output=True, text=True)
        if proc.returncode != 0:
            raise CorpusError(f"apt-get download {' '.join(missing)} failed: "
                              f"{proc.stderr.strip().splitlines()[-1:]}")
    for name in names:
        deb = _deb_for(debs, name)
        if deb is None:
            raise CorpusError(f"package {name} was not downloaded")
        dest = os.path.join(root, "pkgs", name)
        stamp = os.path.join(dest, ".unpacked")
        if not os.path.isfile(stamp):
            os.makedirs(dest, exist_ok=True)
            subprocess.run(["dpkg", "-x", deb, dest], check=True)
            with open(stamp, "w") as fh:
                fh.write(os.path.basename(deb))
        out[name] = dest
    return out


def _deb_for(folder: str, name: str) -> str | None:
    for f in sorted(os.listdir(folder)):
        if f.startswith(name + "_") and f.endswith(".deb"):
            return os.path.join(folder, f)
    return None


@dataclass(frozen=True, slots=True)
class Synth:
    """A runnable fluidsynth."""

    exe: str
    """The binary."""
    env: dict[str, str]
    """Environment to run it with (``LD_LIBRARY_PATH`` for an unpacked tree)."""


def find_fluidsynth(root: str) -> Synth:
    """Return a runnable fluidsynth: on PATH, else unpacked from Debian's packages.

    The unpacked binary runs with ``LD_LIBRARY_PATH`` pointing into its tree. When it
    still lacks a system library and we are root, ``apt-get install fluidsynth`` is the
    last resort.

    Raises
    ------
    CorpusError
        When no fluidsynth can be run.
    """
    exe = shutil.which("fluidsynth")
    if exe and _runs(exe, dict(os.environ)):
        return Synth(exe, dict(os.environ))
    dirs = fetch_packages(FLUIDSYNTH_PACKAGES, root)
    libdirs = []
    for d in dirs.values():
        for sub in ("usr/lib/x86_64-linux-gnu", "usr/lib/aarch64-linux-gnu", "usr/lib"):
            if os.path.isdir(os.path.join(d, sub)):
                libdirs.append(os.path.join(d, sub))
    exe = os.path.join(dirs["fluidsynth"], "usr", "bin", "fluidsynth")
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = os.pathsep.join([*libdirs, env.get("LD_LIBRARY_PATH", "")])
    if _runs(exe, env):
        return Synth(exe, env)
    if os.geteuid() == 0:
        log.warning("unpacked fluidsynth lacks system libraries; installing it with apt-get")
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "fluidsynth"],
                       capture_output=True)
        exe2 = shutil.which("fluidsynth")
        if exe2 and _runs(exe2, dict(os.environ)):
            return Synth(exe2, dict(os.environ))
    raise CorpusError("cannot run fluidsynth (unpacked from Debian's package; "
                      "install it with `apt-get install fluidsynth`)")


def _runs(exe: str, env: dict[str, str]) -> bool:
    try:
        proc = subprocess.run([exe, "--version"], env=env, capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def find_soundfonts(dirs: dict[str, str]) -> list[tuple[str, str]]:
    """Return ``(name, path)`` of every ``.sf2``/``.sf3`` in the unpacked soundfont packages."""
    out = []
    for pkg in SOUNDFONT_PACKAGES:
        for base, _, files in sorted(os.walk(dirs.get(pkg, "/nonexistent"))):
            for f in sorted(files):
                if f.lower().endswith((".sf2", ".sf3")):
                    out.append((os.path.splitext(f)[0], os.path.join(base, f)))
    return out


# ---------------------------------------------------------------------------------------------
# songs and labels


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


def split_groups(groups: list[str], cfg: CorpusConfig) -> dict[str, str]:
    """Assign each song group to ``train``, ``val`` or ``test`` (seeded permutation)."""
    uniq = sorted(set(groups))
    order = np.random.default_rng([cfg.seed, 7]).permutation(len(uniq))
    n_test = max(1, round(cfg.frac_test * len(uniq)))
    n_val = max(1, round(cfg.frac_val * len(uniq)))
    out = {}
    for rank, i in enumerate(order):
        out[uniq[i]] = "test" if rank < n_test else "val" if rank < n_test + n_val else "train"
    return out

# ---------------------------------------------------------------------------------------------
# labels of the cut salience


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



# ---------------------------------------------------------------------------------------------
# rendering


def render_one(pm: Any, song: Song, spec: RenderSpec, sf_path: str, synth: Synth,
               rng: np.random.Generator, excerpt_s: float, strength: float
               ) -> dict[str, np.ndarray]:
    """Render one augmented excerpt; return its arrays (audio int16, labels in excerpt time)."""
    import soundfile

    tmap = _time_map(song, spec, rng)
    score, keep = mutate_score(pm, spec, rng, tmap)
    t0 = float(tmap(np.array([spec.start_s]))[0])
    t1 = t0 + excerpt_s
    for ins in score.instruments:  # drop what cannot sound in the excerpt
        ins.notes = [n for n in ins.notes if n.end > t0 - 3.0 and n.start < t1]
    with tempfile.TemporaryDirectory(prefix="editspec-render-") as tmp:
        mid, wav = os.path.join(tmp, "s.mid"), os.path.join(tmp, "s.wav")
        score.write(mid)
        cmd = [synth.exe, "-ni", "-q", "-g", f"{spec.gain:.3f}", "-r", str(SR), "-O", "float",
               "-T", "wav", "-F", wav,
               "-o", f"synth.reverb.active={int(spec.reverb)}",
               "-o", f"synth.chorus.active={int(spec.chorus)}",
               "-o", f"synth.reverb.room-size={rng.uniform(0.1, 0.9):.2f}",
               "-o", "synth.cpu-cores=1", sf_path, mid]
        proc = subprocess.run(cmd, env=synth.env, capture_output=True, timeout=600)
        if proc.returncode != 0 or not os.path.isfile(wav):
            raise CorpusError(f"fluidsynth failed on {song.path}: {proc.stderr[-300:]!r}")
        y, sr = soundfile.read(wav, dtype="float32", always_2d=True)
    if sr != SR:
        raise CorpusError(f"fluidsynth rendered at {sr} Hz, expected {SR}")
    chan = rng.random()
    y = y.mean(axis=1) if chan < 0.8 or y.shape[1] == 1 else y[:, int(chan > 0.9)]
    i0 = round(t0 * SR)
    seg = y[i0:i0 + int(excerpt_s * SR)]
    seg = np.pad(seg, (0, max(0, int(excerpt_s * SR) - len(seg))))
    seg = augment_audio(seg, rng, strength)
    beats = tmap(song.beats) - t0
    downs = tmap(song.downbeats) - t0
    s_t, s_w = salience_events(pm, keep, song.beats, song.downbeats)
    s_t = tmap(s_t) - t0 if len(s_t) else s_t
    dur = len(seg) / SR
    # the labels end where the music ends
    end = float(tmap(np.array([song.end_s]))[0]) - t0
    lim = min(dur, end + 0.05)
    inb = (beats >= 0) & (beats < lim)
    ind = (downs >= 0) & (downs < lim)
    ins = (s_t >= 0) & (s_t < lim)
    return {"audio": np.round(np.clip(seg, -1, 1) * 32767).astype(np.int16),
            "beats": beats[inb], "downbeats": downs[ind],
            "salience_times": s_t[ins], "salience_weights": s_w[ins]}


def _render_draws(pm: Any, song: Song, cfg: CorpusConfig, split: str, idx: int, k: int,
                  sf_name: str) -> tuple[np.random.Generator, RenderSpec, float]:
    """Return render ``k`` of song ``idx``'s generator, its choices and augmentation strength
    (the generator continues into :func:`render_one`)."""
    rng = np.random.default_rng([cfg.seed, idx, k])
    has_drums = any(i.is_drum and i.notes for i in pm.instruments)
    n_fams = len({i.program // 8 for i in pm.instruments if not i.is_drum and i.notes})
    strength = 1.0 if split == "train" else (0.0 if k == 0 else 0.5)
    spec = draw_spec(rng, sf_name, float(song.beats[0]), song.end_s, cfg.excerpt_s, has_drums,
                     n_fams, strength)
    spec = replace(spec, tempo_factor=tempo_factor_in_range(spec.tempo_factor, song.beats))
    return rng, spec, strength


def _time_map(song: Song, spec: RenderSpec, rng: np.random.Generator
              ) -> Callable[[np.ndarray], np.ndarray]:
    """A render's map from score time to its audio's time (:func:`make_time_map`)."""
    return make_time_map(song.beats, rng, tempo_factor=spec.tempo_factor, swing=spec.swing,
                         drift_s=spec.drift_s, drift_period_s=float(rng.uniform(12, 40)))


def _song_job(args: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Render every excerpt of one song (runs in a worker process)."""
    idx, path, split, n_renders, cfg_d, sfs, synth_d, out_dir = args
    cfg = CorpusConfig(**cfg_d)
    synth = Synth(**synth_d)
    loaded = load_song(path)
    if loaded is None:
        return []
    pm, song = loaded
    entries = []
    for k in range(n_renders):
        sf_name, sf_path = sfs[(idx + k) % len(sfs)]
        rng, spec, strength = _render_draws(pm, song, cfg, split, idx, k, sf_name)
        name = f"{split}-{idx:04d}-{k}"
        fname = os.path.join(out_dir, name + ".npz")
        if not os.path.isfile(fname):
            arrays = render_one(pm, song, spec, sf_path, synth, rng, cfg.excerpt_s, strength)
            if len(arrays["beats"]) < 8 or np.abs(arrays["audio"]).max() < 100:
                continue
            tmp = fname + ".tmp.npz"
            np.savez(tmp, **arrays)
            os.replace(tmp, fname)
        entries.append({"name": name, "file": os.path.relpath(fname, os.path.dirname(out_dir)),
                        "split": split, "song": path, "group": song.group, "spec": asdict(spec)})
    return entries


def _distinct(paths: list[str], seen: set[str]) -> list[str]:
    """The files whose bytes are not yet in ``seen`` (content hashes, updated), in order."""
    out = []
    for p in paths:
        with open(p, "rb") as fh:
            h = hashlib.blake2b(fh.read(), digest_size=8).hexdigest()
        if h not in seen:
            seen.add(h)
            out.append(p)
    return out


def build_corpus(cfg: CorpusConfig = CorpusConfig(), *, workers: int = 2, root: str | None = None,
                 progress: bool = True, limit_songs: int | None = None) -> str:
    """Fetch the packages, render the corpus and write its manifest; return the manifest path.

    Finished renders are kept, so an interrupted build resumes where it stopped.

    Parameters
    ----------
    cfg : CorpusConfig
        Seed, excerpt length, renders per song, split fractions.
    workers : int
        Rendering processes.
    root : str, optional
        Corpus folder (default :func:`corpus_dir`).
    progress : bool
        Show a progress bar on stderr.
    limit_songs : int, optional
        Use only the first N songs (for quick trials).

    Returns
    -------
    str
        Path of ``manifest.json``.
    """
    from concurrent.futures import ProcessPoolExecutor

    from tqdm import tqdm

    root = root or corpus_dir()
    os.makedirs(root, exist_ok=True)
    dirs = fetch_packages(MIDI_PACKAGES + SOUNDFONT_PACKAGES, root)
    synth = find_fluidsynth(root)
    sfs = find_soundfonts(dirs)
    if len(sfs) < 2:
        raise CorpusError(f"need at least two soundfonts, found {[n for n, _ in sfs]}")
    seen: set[str] = set()  # identical files (same bytes) count once
    paths = _distinct(list_midi(dirs), seen)
    paths = paths[:limit_songs] if limit_songs else paths
    splits = split_groups([song_group(p) for p in paths], cfg)
    out_dir = os.path.join(root, f"renders-v{CORPUS_VERSION}")  # a new version renders anew
    os.makedirs(out_dir, exist_ok=True)
    jobs = []
    for idx, p in enumerate(paths):
        split = splits[song_group(p)]
        n = cfg.renders_train if split == "train" else cfg.renders_eval
        jobs.append((idx, p, split, n, asdict(cfg), sfs, asdict(synth), out_dir))
    entries: list[dict[str, Any]] = []
    bar = tqdm(total=len(jobs), desc="corpus", unit="song", disable=not progress)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for res in pool.map(_song_job, jobs):
            entries.extend(res)
            bar.update(1)
            bar.set_postfix(renders=len(entries))
    bar.close()
    manifest = {"version": CORPUS_VERSION, "config": asdict(cfg), "sr": SR,
                "soundfonts": [n for n, _ in sfs],
                "packages": list(MIDI_PACKAGES + SOUNDFONT_PACKAGES),
                "licences": DATA_LICENCES, "renders": entries}
    path = os.path.join(root, "manifest.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(manifest, fh, indent=1)
    os.replace(tmp, path)
    return path


def load_manifest(root: str | None = None) -> dict[str, Any]:
    """Return the corpus manifest.

    Raises
    ------
    CorpusError
        When the corpus has not been built (run ``editspec train --build-corpus``).
    """
    path = os.path.join(root or corpus_dir(), "manifest.json")
    if not os.path.isfile(path):
        raise CorpusError(f"{path}: no corpus; build it with `editspec train --build-corpus` "
                          "or `make corpus`")
    with open(path) as fh:
        manifest = json.load(fh)
    if manifest.get("version") != CORPUS_VERSION:
        raise CorpusError(f"{path}: corpus version {manifest.get('version')}, this editspec "
                          f"needs {CORPUS_VERSION}; rebuild it with `make corpus`")
    return manifest


def load_render(entry: dict[str, Any], root: str | None = None) -> dict[str, np.ndarray]:
    """Return one render's arrays; ``audio`` as float32 in -1..1."""
    with np.load(os.path.join(root or corpus_dir(), entry["file"]), allow_pickle=False) as z:
        d = {k: z[k] for k in z.files}
    d["audio"] = d["audio"].astype(np.float32) / 32767.0
    return d
