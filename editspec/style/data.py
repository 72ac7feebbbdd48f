"""Training examples of a cutting style: per-beat features and "a cut falls here" labels.

Input: edited videos (their cuts from the video analyzer, their music from the audio
analyzer: the soundtrack, or a music file of the same stem beside the video), or an
editor's corrected timeline next to the plan editspec made. Output: one
:class:`Example` per video: the music's features at every beat inside the video, the
label of each beat (a cut within ±1 frame of the beat's frame), the true cut frames
(for scoring, off-beat cuts included) and per-beat weights.

Features (:data:`MUSIC_FEATURES`) describe the music only; the cut history (beats
since the last cut, :func:`history_features`) is computed from the labels while
training and from the model's own decisions while predicting.
"""

from __future__ import annotations

import glob
import itertools
import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from editspec.errors import EditspecError, MediaError
from editspec.style.match import (
    MATCH_MIN_Z,
    MATCH_MIN_Z_PLAIN,
    MATCH_SR,
    find_music_offset,
    find_song,
    matches,
)

if TYPE_CHECKING:
    from editspec.analysis.audio import AudioAnalysis

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi")
MUSIC_SUFFIXES = (".ogg", ".wav", ".flac", ".mp3", ".m4a", ".aac", ".opus")
TOLERANCE_FRAMES = 1
"""A cut counts as on a beat (and a prediction as right) within this many frames."""
MAX_HISTORY_BEATS = 16
"""Beats since the last cut are one-hot up to this many (longer: the last slot)."""
CORRECTION_WEIGHT = 4.0
"""Weight of a beat where an editor moved, added or removed a cut."""
SNAP_S = 0.1
"""A cut of an edited video labels the beat it is nearest when within this many seconds
(and :data:`SNAP_BEATS` of a beat): an editor's few frames of jitter still teach the
beat; a free cut off the beat labels nothing (it does not poison the grid)."""
SNAP_BEATS = 0.3
"""... and within this share of a beat period."""

MUSIC_FEATURES = (
    "downbeat", "beat_in_bar_0", "beat_in_bar_1", "beat_in_bar_2", "beat_in_bar_3",
    "bar_in_phrase_0", "bar_in_phrase_1", "bar_in_phrase_2", "bar_in_phrase_3",
    "section_start", "section_change_next_bar", "beats_since_section",
    "level", "level_beat_mean", "level_delta", "level_next_bar", "level_prev_bar",
    "onset_strength", "salience", "tempo",
)
"""Names of the per-beat music features, in column order. The ``level`` ones are the
music's absolute loudness (:func:`music_level`), not the analysis' ``energy``: that one is
scaled to each file's range, so a quiet passage of a loud excerpt (an edited video's
soundtrack) read as loud where the whole song, at plan time, calls it quiet."""
LEVEL_FLOOR_DB = -40.0
"""Absolute loudness (dB re full scale, K-weighted over 2 s) that :func:`music_level`
maps to 0 ..."""
LEVEL_CEIL_DB = -5.0
"""... and to 1 (clipped outside)."""
N_HISTORY = MAX_HISTORY_BEATS + 2
"""Columns of :func:`history_features`."""


@dataclass(frozen=True, slots=True)
class Example:
    """The beats of one edited video (or one corrected timeline) with their labels."""

    name: str
    """Where it came from (video file, or ``otio:`` + timeline)."""
    features: np.ndarray
    """float32 [shape=(n_beats, len(MUSIC_FEATURES))]: the music at each beat."""
    labels: np.ndarray
    """float32 [shape=(n_beats,)]: 1 where a cut falls within ±1 frame of the beat."""
    beat_frames: np.ndarray
    """int64 [shape=(n_beats,)]: the frame of the video nearest each beat."""
    downbeat: np.ndarray
    """bool [shape=(n_beats,)]: which beats are downbeats."""
    energy: np.ndarray
    """float32 [shape=(n_beats,)]: music energy at each beat, 0..1."""
    cut_frames: np.ndarray
    """int64 [shape=(n_cuts,)]: every true cut of the video, on a beat or not."""
    fps: float
    """Frame rate of ``beat_frames`` and ``cut_frames``."""
    duration_frames: int
    """Length of the video, frames."""
    weights: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    """float32 [shape=(n_beats,)]: loss weight per beat (empty: all 1)."""
    music: str = ""
    """The music that was analyzed."""

    @property
    def n_beats(self) -> int:
        """Number of beats."""
        return len(self.labels)


def beat_features(audio: AudioAnalysis, phrase_bars: int = 4) -> np.ndarray:
    """Describe the music at every beat.

    Parameters
    ----------
    audio : AudioAnalysis
        The song's analysis.
    phrase_bars : int
        Bars in a phrase (bar position is counted from each section start).

    Returns
    -------
    np.ndarray [shape=(n_beats, len(MUSIC_FEATURES))], float32
    """
    beats = np.asarray(audio.beats, dtype=np.float64)
    n = len(beats)
    out = np.zeros((n, len(MUSIC_FEATURES)), np.float32)
    if n == 0:
        return out
    col = {name: i for i, name in enumerate(MUSIC_FEATURES)}
    down = _downbeat_mask(audio)
    period = float(np.median(np.diff(beats))) if n > 1 else 60.0 / max(audio.tempo, 1.0)
    bar_beats = max(1, audio.beats_per_bar)
    sec_starts = [s.start for s in audio.sections[1:]]
    # the downbeat nearest each section start (as the planner's candidate grid snaps them)
    sec_beat = set()
    down_idx = np.flatnonzero(down)
    for t in sec_starts:
        if len(down_idx):
            sec_beat.add(int(down_idx[np.argmin(np.abs(beats[down_idx] - t))]))
    beat_in_bar = 0
    bar_in_phrase = -1
    since_section = 0
    level = music_level(audio, beats)
    for i in range(n):
        if down[i]:
            beat_in_bar = 0
            bar_in_phrase += 1
        else:
            beat_in_bar += 1
        if i in sec_beat:
            bar_in_phrase = 0
            since_section = 0
        out[i, col["downbeat"]] = float(down[i])
        out[i, col[f"beat_in_bar_{min(beat_in_bar, 3)}"]] = 1.0
        out[i, col[f"bar_in_phrase_{max(bar_in_phrase, 0) % phrase_bars % 4}"]] = 1.0
        out[i, col["section_start"]] = float(i in sec_beat)
        out[i, col["beats_since_section"]] = min(since_section, 64) / 64.0
        since_section += 1
    for i in sec_beat:  # the bar before a section change
        out[max(0, i - bar_beats):i, col["section_change_next_bar"]] = 1.0
    edges = np.concatenate([beats, [beats[-1] + period]])
    grid = [np.linspace(a, b, 5) for a, b in itertools.pairwise(edges)]
    beat_mean = np.array([float(np.mean(music_level(audio, g))) for g in grid])
    bar_s = bar_beats * period
    out[:, col["level"]] = level
    out[:, col["level_beat_mean"]] = beat_mean
    out[:, col["level_delta"]] = np.diff(level, prepend=level[0])
    out[:, col["level_next_bar"]] = [np.mean(music_level(audio, np.linspace(t, t + bar_s, 8)))
                                     for t in beats]
    out[:, col["level_prev_bar"]] = [np.mean(music_level(audio, np.linspace(t - bar_s, t, 8)))
                                     for t in beats]
    out[:, col["onset_strength"]] = _onset_near(audio, beats, 0.1 * period)
    out[:, col["salience"]] = audio.salience_at(beats)
    local = np.diff(beats, append=beats[-1] + period) if n > 1 else np.array([period])
    out[:, col["tempo"]] = np.clip(60.0 / np.maximum(local, 1e-3) / 120.0, 0, 3)
    return out


def music_level(audio: AudioAnalysis, seconds: np.ndarray) -> np.ndarray:
    """The music's absolute level at times, 0..1: the analysis' ``loudness`` (dB) from
    :data:`LEVEL_FLOOR_DB` to :data:`LEVEL_CEIL_DB`. It does not depend on the span
    analysed: the same passage has the same level in an excerpt and in the whole song.
    An analysis without loudness (a hand-made one) gives its ``energy`` instead."""
    loud = audio.loudness_at(seconds)
    if np.all(np.isnan(loud)):
        return np.asarray(audio.energy_at(seconds), np.float64)
    return np.clip((loud - LEVEL_FLOOR_DB) / (LEVEL_CEIL_DB - LEVEL_FLOOR_DB), 0.0, 1.0)


def _downbeat_mask(audio: AudioAnalysis) -> np.ndarray:
    beats = np.asarray(audio.beats)
    down = np.zeros(len(beats), dtype=bool)
    for t in audio.downbeats:
        if len(beats):
            down[int(np.argmin(np.abs(beats - t)))] = True
    return down


def _onset_near(audio: AudioAnalysis, times: np.ndarray, radius_s: float) -> np.ndarray:
    on, st = np.asarray(audio.onsets), np.asarray(audio.onset_strength)
    out = np.zeros(len(times), np.float32)
    if len(on) == 0:
        return out
    for i, t in enumerate(times):
        sel = np.abs(on - t) <= radius_s
        if sel.any():
            out[i] = float(st[sel].max())
    return out


def history_features(beats_since_cut: int) -> np.ndarray:
    """Describe the cut history at a beat: beats since the last cut (one-hot, and scaled).

    Parameters
    ----------
    beats_since_cut : int
        Beats since the last cut (the video's start counts as a cut), >= 1.

    Returns
    -------
    np.ndarray [shape=(N_HISTORY,)], float32
    """
    h = np.zeros(N_HISTORY, np.float32)
    k = int(min(max(beats_since_cut, 1), MAX_HISTORY_BEATS))
    h[k - 1] = 1.0
    h[MAX_HISTORY_BEATS] = np.log2(max(beats_since_cut, 1)) / 5.0
    h[MAX_HISTORY_BEATS + 1] = float(beats_since_cut > MAX_HISTORY_BEATS)
    return h


def history_from_labels(labels: np.ndarray) -> np.ndarray:
    """Cut-history features of every beat when the cuts are known (teacher forcing).

    Returns
    -------
    np.ndarray [shape=(n_beats, N_HISTORY)], float32
    """
    out = np.zeros((len(labels), N_HISTORY), np.float32)
    since = 1
    for i, lab in enumerate(labels):
        out[i] = history_features(since)
        since = 1 if lab > 0.5 else since + 1
    return out


def label_beats(beat_frames: np.ndarray, cut_frames: np.ndarray,
                tolerance: int = TOLERANCE_FRAMES) -> np.ndarray:
    """Label each beat 1 when a cut falls within ``tolerance`` frames of it.

    Returns
    -------
    np.ndarray [shape=(n_beats,)], float32
    """
    cuts = np.sort(np.asarray(cut_frames, dtype=np.int64))
    out = np.zeros(len(beat_frames), np.float32)
    if len(cuts) == 0:
        return out
    for i, f in enumerate(beat_frames):
        k = int(np.searchsorted(cuts, f))
        near = [abs(int(cuts[j]) - int(f)) for j in (k - 1, k) if 0 <= j < len(cuts)]
        out[i] = float(min(near) <= tolerance)
    return out


def _period(audio: AudioAnalysis) -> float:
    b = np.asarray(audio.beats)
    return float(np.median(np.diff(b))) if len(b) > 1 else 60.0 / max(audio.tempo, 1.0)


def snap_labels(beat_frames: np.ndarray, cut_frames: np.ndarray, fps: float,
                period_s: float) -> np.ndarray:
    """Label the beats an editor cut on, tolerating a few frames of jitter.

    Each cut labels the beat nearest it when it lies within :data:`SNAP_S` seconds and
    :data:`SNAP_BEATS` of a beat period (and never less than
    :data:`TOLERANCE_FRAMES`); cuts farther from every beat (free cuts) label nothing.

    Returns
    -------
    np.ndarray [shape=(n_beats,)], float32
    """
    out = np.zeros(len(beat_frames), np.float32)
    if len(beat_frames) == 0:
        return out
    bf = np.asarray(beat_frames, dtype=np.int64)
    tol = max(float(TOLERANCE_FRAMES), min(SNAP_S, SNAP_BEATS * period_s) * fps)
    for c in np.asarray(cut_frames, dtype=np.int64):
        k = int(np.argmin(np.abs(bf - c)))
        if abs(int(bf[k]) - int(c)) <= tol:
            out[k] = 1.0
    return out


def beats_in_window(audio: AudioAnalysis, start_s: float, duration_frames: int,
                    fps: float) -> tuple[np.ndarray, np.ndarray]:
    """Beats of the song inside an output window: their indices and output frames.

    Beats whose frame would be 0 (the start, always a cut) or past the end are left out.
    """
    frames = np.floor((np.asarray(audio.beats) - start_s) * fps + 0.5).astype(np.int64)
    keep = np.flatnonzero((frames > 0) & (frames < duration_frames))
    return keep, frames[keep]


def example_from_cuts(name: str, audio: AudioAnalysis, cut_frames: np.ndarray, fps: float,
                      duration_frames: int, *, start_s: float = 0.0,
                      features: np.ndarray | None = None,
                      weights: np.ndarray | None = None) -> Example:
    """Build the example of one edit from its music analysis and its cut frames.

    Parameters
    ----------
    name : str
        Where it came from.
    audio : AudioAnalysis
        The music.
    cut_frames : np.ndarray
        Frames at which a new shot starts.
    fps : float
        Frame rate of the edit.
    duration_frames : int
        Length of the edit, frames.
    start_s : float
        Song time of the edit's frame 0.
    features : np.ndarray, optional
        :func:`beat_features` of ``audio``, if already computed.
    weights : np.ndarray, optional
        Per-beat weights over the song's beats (sliced to the window).
    """
    if features is None:
        features = beat_features(audio)
    idx, frames = beats_in_window(audio, start_s, duration_frames, fps)
    cuts = np.asarray(sorted(int(c) for c in cut_frames if 0 < int(c) < duration_frames),
                      dtype=np.int64)
    labels = snap_labels(frames, cuts, fps, _period(audio))
    down = _downbeat_mask(audio)[idx]
    return Example(name=name, features=features[idx].astype(np.float32), labels=labels,
                   beat_frames=frames, downbeat=down,
                   energy=audio.energy_at(np.asarray(audio.beats)[idx]).astype(np.float32),
                   cut_frames=cuts, fps=float(fps), duration_frames=int(duration_frames),
                   weights=(np.ones(len(idx), np.float32) if weights is None
                            else np.asarray(weights, np.float32)[idx]),
                   music=audio.path)


def music_for(video: str) -> str | None:
    """The music file of the same stem beside a video, if any."""
    stem = os.path.splitext(video)[0]
    for suffix in MUSIC_SUFFIXES:
        if os.path.isfile(stem + suffix):
            return stem + suffix
    return None


def _files_in(folder: str, suffixes: tuple[str, ...], what: str) -> list[str]:
    """The files of ``folder`` (sub-folders included, sorted) ending in ``suffixes``.

    Raises
    ------
    EditspecError
        When the folder does not exist or holds none.
    """
    if not os.path.isdir(folder):
        raise EditspecError(f"{folder}: no such folder of {what}s")
    found = sorted(f for f in glob.glob(os.path.join(folder, "**", "*"), recursive=True)
                   if os.path.isfile(f) and f.lower().endswith(suffixes))
    if not found:
        raise EditspecError(f"{folder}: holds no {what} ({', '.join(suffixes)})")
    return found


def find_videos(folder: str) -> list[str]:
    """The edited videos in a folder (:func:`_files_in`)."""
    return _files_in(folder, VIDEO_SUFFIXES, "edited video")


def find_songs(folder: str) -> list[str]:
    """The music files in a folder (:func:`_files_in`)."""
    return _files_in(folder, MUSIC_SUFFIXES, "music file")


def example_from_video(path: str, *, music: str | None = None, use_cache: bool = True,
                       tracker: str | None = None,
                       songs: list[str] | None = None) -> Example:
    """Detect a video's cuts, analyze its music and label its beats.

    Parameters
    ----------
    path : str
        An edited video.
    music : str, optional
        Its music (default: a music file of the same stem beside it, else the video's
        own soundtrack). A separate music file is found in the soundtrack by
        :func:`find_music_offset` (the video may use any stretch of it, under voice or
        other sound); a video without a soundtrack is taken to start with it.
    use_cache : bool
        Use the analysis cache.
    tracker : str, optional
        Beat tracker of the audio analysis.
    songs : list of str, optional
        Music files (``editspec learn --songs``): a video without a music file beside it
        is looked up among them (:func:`find_song`), and the song it uses is analyzed
        whole; found in none, its soundtrack is its music.

    Raises
    ------
    MediaError
        When the video has no music (no soundtrack and no music file beside it), or
        its soundtrack does not match the music file beside it.
    """
    from editspec.analysis.audio import analyze_audio
    from editspec.analysis.video import detect_shots
    from editspec.media import probe

    shots = detect_shots(path, use_cache=use_cache, progress=False)
    music = music or music_for(path)
    has_audio = probe(path).has_audio
    start_s = 0.0
    located = False
    if music is None and songs and has_audio:
        from editspec.analysis.audio import decode_audio

        found = find_song(decode_audio(path, MATCH_SR), songs)
        if found is not None:
            music, start_s, _ = found
            located = True
    if music is None:
        if not has_audio:
            raise MediaError(f"{path}: has no soundtrack and no music file of the same name "
                             f"beside it ({', '.join(MUSIC_SUFFIXES)})")
        music = path
    elif has_audio and not located:
        from editspec.analysis.audio import decode_audio

        sr = MATCH_SR
        start_s, z, z_plain = find_music_offset(decode_audio(path, sr),
                                                decode_audio(music, sr), sr)
        if not matches(z, z_plain):
            raise MediaError(f"{path}: its soundtrack does not match the music file beside it "
                             f"({os.path.basename(music)}; the best lag stands out by "
                             f"{z:.1f} robust / {z_plain:.1f} plain standard deviations, "
                             f"needs {MATCH_MIN_Z:g} / {MATCH_MIN_Z_PLAIN:g})")
    audio = analyze_audio(music, tracker=tracker, use_cache=use_cache)
    fps = float(shots.fps)
    duration_frames = int(round(shots.duration * fps))  # noqa: RUF046
    cut_frames = shots.cut_frames if len(shots.cut_frames) else \
        np.round(np.asarray(shots.cuts) * fps).astype(np.int64)
    return example_from_cuts(path, audio, cut_frames, fps, duration_frames, start_s=start_s)


def examples_from_folder(folder: str, *, use_cache: bool = True, tracker: str | None = None,
                         progress: bool = False,
                         skipped: list[tuple[str, str]] | None = None,
                         songs: str | None = None) -> list[Example]:
    """:func:`example_from_video` for every video in a folder (``songs``: a folder of the
    music files the videos use, see :func:`example_from_video`).

    Videos it cannot use are logged and, when ``skipped`` is a list, appended to it as
    ``(video, reason)``: unreadable, no music, music not found in the soundtrack, too few
    beats, no cut found. All unusable: :class:`EditspecError`.
    """
    from tqdm import tqdm

    videos = find_videos(folder)
    song_files = find_songs(songs) if songs else None
    out = []
    skip: list[tuple[str, str]] = [] if skipped is None else skipped
    for v in tqdm(videos, desc="analyzing videos", disable=not progress, leave=False):
        try:
            ex = example_from_video(v, use_cache=use_cache, tracker=tracker, songs=song_files)
        except MediaError as exc:
            reason = str(exc)
            reason = reason[len(v) + 2:] if reason.startswith(v + ": ") else reason
            skip.append((v, reason))
            log.warning("skipping %s: %s", v, reason)
            continue
        why = None
        if ex.n_beats < 4:
            why = f"only {ex.n_beats} beats of music found"
        elif len(ex.cut_frames) == 0:
            why = "no cut found (one shot)"
        if why:
            skip.append((v, why))
            log.warning("skipping %s: %s", v, why)
            continue
        out.append(ex)
    if not out:
        raise EditspecError(f"{folder}: none of its {len(videos)} videos gave training "
                            "examples (see the warnings)")
    return out


@dataclass(frozen=True, slots=True)
class Correction:
    """How an editor changed a plan's cuts (frames of the plan's timeline)."""

    kept: tuple[int, ...]
    """Cuts of the plan that the editor kept (within ±1 frame)."""
    moved: tuple[tuple[int, int], ...]
    """(planned, corrected) pairs: a cut moved by more than one frame but less than a beat."""
    added: tuple[int, ...]
    """Cuts the editor added."""
    removed: tuple[int, ...]
    """Cuts of the plan the editor removed."""

    def to_dict(self) -> dict[str, Any]:
        """Counts, for the style's summary."""
        return {"kept": len(self.kept), "moved": len(self.moved), "added": len(self.added),
                "removed": len(self.removed)}


def align_cuts(planned: list[int], corrected: list[int], beat_frames: float,
               tolerance: int = TOLERANCE_FRAMES) -> Correction:
    """Match an editor's cuts to the planned ones.

    Parameters
    ----------
    planned, corrected : list of int
        Cut frames of the plan and of the corrected timeline.
    beat_frames : float
        Length of a beat in frames: a cut moved by less than this is ``moved``.
    tolerance : int
        Cuts this close count as the same cut.
    """
    plan = sorted(set(int(c) for c in planned))
    corr = sorted(set(int(c) for c in corrected))
    kept = [p for p in plan if any(abs(p - c) <= tolerance for c in corr)]
    left_p = [p for p in plan if p not in kept]
    left_c = [c for c in corr if not any(abs(p - c) <= tolerance for p in plan)]
    moved = []
    for p in list(left_p):
        near = [c for c in left_c if abs(c - p) < beat_frames]
        if near:
            c = min(near, key=lambda x: abs(x - p))
            moved.append((p, c))
            left_p.remove(p)
            left_c.remove(c)
    return Correction(tuple(kept), tuple(moved), tuple(left_c), tuple(left_p))


def example_from_correction(timeline: str, plan: str, *, use_cache: bool = True,
                            tracker: str | None = None) -> tuple[Example, Correction]:
    """Turn an editor's corrected timeline (OTIO) of a plan into a training example.

    The corrected cuts are the labels; beats where the editor moved, added or removed a
    cut weigh :data:`CORRECTION_WEIGHT`, so the style converges on the editor's taste.

    Parameters
    ----------
    timeline : str
        The corrected timeline (.otio, or any format OTIO reads).
    plan : str
        The EDL JSON that editspec planned (``editspec plan -o``).

    Raises
    ------
    EditspecError
        When either file cannot be read, or the plan names no music.
    """
    from editspec.analysis.audio import analyze_audio
    from editspec.backends.otio import read_timeline
    from editspec.edl import read_edl

    original = read_edl(plan)
    corrected = read_timeline(timeline)
    if original.music is None or not original.music.path:
        raise EditspecError(f"{plan}: the plan names no music to learn from")
    fps = float(original.fps)
    scale = fps / float(corrected.fps)
    corr_cuts = [int(round(c * scale)) for c in corrected.cuts]  # noqa: RUF046
    audio = analyze_audio(original.music.path, tracker=tracker, use_cache=use_cache)
    period = 60.0 / max(audio.tempo, 1.0)
    change = align_cuts(original.cuts, corr_cuts, period * fps)
    start = float(original.music.start)
    features = beat_features(audio)
    frames_all = np.floor((np.asarray(audio.beats) - start) * fps + 0.5).astype(np.int64)
    changed = [c for pair in change.moved for c in pair] + list(change.added) + \
        list(change.removed)
    weights = np.ones(len(frames_all), np.float32)
    for f in changed:
        weights[np.abs(frames_all - f) <= TOLERANCE_FRAMES] = CORRECTION_WEIGHT
    duration = max(original.duration_frames,
                   int(round(corrected.duration_frames * scale)))  # noqa: RUF046
    ex = example_from_cuts(f"otio:{timeline}", audio, np.asarray(corr_cuts), fps,
                           duration, start_s=start, features=features,
                           weights=weights)
    return ex, change
