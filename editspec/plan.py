"""Planner: recipe IR + analyses → EDL.

``PASSES`` is a tuple of pure functions run in order; each is given only the values
its signature names, from the recipe and what earlier passes returned (in the manner
of sqlglot's optimizer rules). The planner never calls ffmpeg: clip facts come from
the analysis stage.

v0 cuts every N beats (or bars) from the first downbeat, drops cuts that would make a
shot shorter than ``min_shot``, and fills the slots round robin from the clips, never
reusing source frames until a clip runs out. Descends from Hedna et al. (2023), "A
Model for the Automatic Mixing of Multiple Audio and Video Clips", Cyberworlds.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from editspec.analysis.audio import AudioAnalysis
from editspec.analysis.video import VideoInfo
from editspec.edl import EDL, Event, Marker, MusicRef, SourceInfo, check_edl
from editspec.errors import MediaError, RecipeError, RecipeErrors
from editspec.ir import Recipe
from editspec.timecode import time_to_frame


def music_window(recipe: Recipe, audio: AudioAnalysis) -> dict[str, Any]:
    """Fix where the output starts in the song and how many frames it lasts."""
    fps = recipe.output.fps
    start = recipe.music.start_s
    span = recipe.music.span
    if start >= audio.duration:
        raise RecipeErrors([RecipeError(
            f"music.start {start:g}s is past the end of the song ({audio.duration:.2f}s)",
            span.path, span.line, span.col)])
    duration = recipe.output.duration_s
    if duration is None:
        duration = audio.duration - start
    if start + duration > audio.duration + 1e-6:
        raise RecipeErrors([RecipeError(
            f"music.start {start:g}s + duration {duration:g}s runs past the end of the song "
            f"({audio.duration:.2f}s)", span.path, span.line, span.col,
            hint=f"start at {max(0.0, audio.duration - duration):.2f}s or shorten output.duration")])
    return {"fps": fps, "start_s": start, "duration_frames": time_to_frame(duration, fps)}


def cut_grid(recipe: Recipe, audio: AudioAnalysis, fps: Fraction, start_s: float,
             duration_frames: int) -> dict[str, Any]:
    """Put a cut on every N-th beat (or bar), counted from the first downbeat in the window."""
    rule = recipe.cuts
    if rule.unit == "bar":
        grid = audio.downbeats
        step = rule.every
        phase_times = grid
    else:
        grid = audio.beats
        step = rule.every
        phase_times = audio.downbeats
    end_s = start_s + duration_frames / fps
    inside = grid[(grid >= start_s) & (grid < end_s)]
    cuts: list[tuple[int, str]] = []
    if len(inside):
        ref = phase_times[(phase_times >= start_s) & (phase_times < end_s)]
        anchor = int(np.searchsorted(inside, ref[0])) if len(ref) else 0
        # positions anchor + k*step (k may be negative), fractional steps interpolate
        first = anchor - step * int(anchor // step)
        pos = first
        unit = f"every {rule.every:g} {rule.unit}{'s' if rule.every != 1 else ''}"
        while pos < len(inside):
            i = int(np.floor(pos))
            frac = pos - i
            t = inside[i] if frac == 0 or i + 1 >= len(inside) else \
                inside[i] + frac * (inside[i + 1] - inside[i])
            frame = time_to_frame(t - start_s, fps)
            if 0 < frame < duration_frames:
                cuts.append((frame, f"{rule.unit} {i + 1} at {t:.3f}s ({unit})"))
            pos += step
    return {"cuts": cuts}


def enforce_min_shot(recipe: Recipe, fps: Fraction, cuts: list[tuple[int, str]],
                     duration_frames: int) -> dict[str, Any]:
    """Drop cuts that would leave a shot shorter than ``min_shot`` (and at least one frame)."""
    min_frames = max(1, time_to_frame(recipe.cuts.min_shot_s, fps))
    kept: list[tuple[int, str]] = []
    last = 0
    for frame, why in sorted(set(cuts)):
        if frame - last >= min_frames and duration_frames - frame >= min_frames:
            kept.append((frame, why))
            last = frame
    return {"cuts": kept}


def assign_clips(recipe: Recipe, clips: dict[str, VideoInfo], fps: Fraction,
                 cuts: list[tuple[int, str]], duration_frames: int) -> dict[str, Any]:
    """Fill every slot with a segment of a clip, round robin, without reusing frames.

    A clip's in point advances through it; when the next slot does not fit in what is
    left, the next clip in turn is tried, and only when no clip has room does a clip
    start over from its beginning.
    """
    paths = list(recipe.clip_paths)
    if not paths:
        raise MediaError("the recipe's clips match no files")
    bounds = [0] + [f for f, _ in cuts] + [duration_frames]
    whys = ["start"] + [w for _, w in cuts]
    cursor = dict.fromkeys(paths, 0.0)
    events = []
    turn = 0
    for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        need = (b - a) / fps
        chosen = None
        for j in range(len(paths)):
            p = paths[(turn + j) % len(paths)]
            if cursor[p] + float(need) <= clips[p].duration + 1e-9:
                chosen = p
                turn = (turn + j + 1) % len(paths)
                break
        if chosen is None:
            for j in range(len(paths)):
                p = paths[(turn + j) % len(paths)]
                if float(need) <= clips[p].duration:
                    chosen, cursor[p] = p, 0.0
                    turn = (turn + j + 1) % len(paths)
                    break
        if chosen is None:
            longest = max(c.duration for c in clips.values())
            raise MediaError(f"no clip is long enough for a {float(need):.2f}s shot "
                             f"(longest clip is {longest:.2f}s); cut more often or add clips")
        info = clips[chosen]
        src_in = round(cursor[chosen] * float(info.fps)) / float(info.fps)
        src_out = src_in + float(need)
        cursor[chosen] = src_out
        events.append(Event(clip=chosen, src_in=src_in, src_out=src_out, rec_in=a, rec_out=b,
                            why=whys[k]))
    return {"events": tuple(events)}


def musical_markers(audio: AudioAnalysis, fps: Fraction, start_s: float,
                    duration_frames: int) -> dict[str, Any]:
    """Mark beats, downbeats and section starts that fall inside the output."""
    markers: list[Marker] = []
    downs = {time_to_frame(t - start_s, fps) for t in audio.downbeats}
    for t in audio.beats:
        f = time_to_frame(t - start_s, fps)
        if 0 <= f < duration_frames:
            markers.append(Marker(f, "downbeat" if f in downs else "beat"))
    for s in audio.sections:
        if s.end > start_s and s.start < start_s + duration_frames / fps:
            f = max(0, time_to_frame(s.start - start_s, fps))
            markers.append(Marker(f, "section", s.label))
    markers.sort(key=lambda m: (m.frame, m.kind, m.label))
    return {"markers": tuple(markers)}


PASSES: tuple[Callable[..., dict[str, Any]], ...] = (
    music_window,
    cut_grid,
    enforce_min_shot,
    assign_clips,
    musical_markers,
)


def plan_edit(recipe: Recipe, audio: AudioAnalysis, clips: dict[str, VideoInfo]) -> EDL:
    """Plan an edit: run :data:`PASSES` over the recipe and the analyses.

    Parameters
    ----------
    recipe : Recipe
        The compiled recipe.
    audio : AudioAnalysis
        Analysis of ``recipe.music.path``.
    clips : dict of str to VideoInfo
        Facts of every clip in ``recipe.clip_paths``.

    Returns
    -------
    EDL
        Frame-exact; the same inputs always give the same EDL.
    """
    values: dict[str, Any] = {"recipe": recipe, "audio": audio, "clips": clips,
                              "rng": np.random.default_rng(recipe.seed)}
    for step in PASSES:
        names = inspect.signature(step).parameters
        values.update(step(**{n: values[n] for n in names}))
    edl = EDL(
        fps=values["fps"], size=(recipe.output.width, recipe.output.height),
        duration_frames=values["duration_frames"],
        music=MusicRef(recipe.music.path, values["start_s"], recipe.music.fade_in_s,
                       recipe.music.fade_out_s),
        events=values["events"], markers=values["markers"], recipe=recipe.path, seed=recipe.seed,
        sources={p: SourceInfo(clips[p].duration, clips[p].fps, clips[p].width, clips[p].height)
                 for p in sorted({e.clip for e in values["events"]})},
        meta={"tempo": round(audio.tempo, 3), "beats_per_bar": audio.beats_per_bar},
    )
    check_edl(edl)
    return edl
