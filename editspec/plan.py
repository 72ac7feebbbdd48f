"""Planner: recipe IR + analyses → EDL.

``PASSES`` is a tuple of pure functions run in order; each is given only the values
its signature names, from the inputs and what earlier passes returned (in the manner of
sqlglot's optimizer rules). The planner never calls ffmpeg and never decodes media:
song and clip facts come from the analysis stage.

1. :func:`music_window`: where the output starts in the song and how long it is
   (explicit time, ``auto`` = the best window, a section; a song or section length
   ends on a downbeat).
2. :func:`rule_targets`: which of the ordered cut rules holds at each moment, and the
   shot length it asks for (density may follow energy).
3. :func:`place_cuts`: candidates from beats, half-beats, downbeats, phrase and section
   starts and strong onsets, scored by cut salience; dynamic programming picks the cuts
   (:mod:`editspec.cutopt`), on the frame nearest each musical event.
4. :func:`usable_segments` and :func:`assign_footage`: the clips' usable segments,
   matched to the slots by an exact assignment (:mod:`editspec.assign`).
5. :func:`place_transitions`, :func:`reframe_events` (subject-centre track for the crop),
   :func:`zoom_pulses`, :func:`place_overlays`, :func:`musical_markers`: everything the
   backends draw is decided here, none of it in a backend.

Descends from Hedna et al. (2023), "A Model for the Automatic Mixing of Multiple Audio
and Video Clips", Cyberworlds: cuts on beats and downbeats scored by a recurrent model.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import os
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from editspec.analysis.audio import AudioAnalysis
from editspec.edl import (
    DEFAULT_SHADOW,
    EDL,
    Event,
    EventAudio,
    ImageOverlay,
    Marker,
    MusicRef,
    Reframe,
    SourceInfo,
    Speed,
    TextOverlay,
    Transition,
    ZoomPulse,
    check_edl,
)
from editspec.errors import MediaError, RecipeError, RecipeErrors
from editspec.ir import CutRule, Recipe, Span
from editspec.timecode import time_to_frame

log = logging.getLogger(__name__)

UNIT_KIND = {"half-beat": 1, "beat": 2, "bar": 3, "phrase": 4, "section": 5}
"""Lowest candidate kind (see :data:`editspec.cutopt.KIND_NAMES`) a rule of each unit cuts on."""


def _error(span: Span, message: str, hint: str | None = None) -> RecipeErrors:
    return RecipeErrors([RecipeError(message, span.path, span.line, span.col, hint=hint)])


def _sections_named(audio: AudioAnalysis, name: str, span: Span) -> list[Any]:
    found = [s for s in audio.sections if s.label == name]
    if not found:
        have = ", ".join(dict.fromkeys(s.label for s in audio.sections))
        raise _error(span, f"the song has no section {name!r}", hint=f"its sections: {have}")
    return found


def music_window(recipe: Recipe, audio: AudioAnalysis) -> dict[str, Any]:
    """Fix where the output starts in the song and how many frames it lasts."""
    from editspec.analysis.sections import best_window

    fps = recipe.output.fps
    mus, out = recipe.music, recipe.output
    song_end = min(audio.duration, mus.end_s) if mus.end_s is not None else audio.duration
    duration = out.duration_s
    snap_end = False
    if out.duration_section is not None:
        sec = _sections_named(audio, out.duration_section, out.duration_span or out.span)[0]
        duration = sec.end - sec.start
        snap_end = True
    if mus.start_section is not None:
        sec = _sections_named(audio, mus.start_section, mus.start_span or mus.span)[0]
        start = sec.start
        if len(audio.downbeats):
            after = audio.downbeats[audio.downbeats >= sec.start - 0.05]
            start = float(after[0]) if len(after) else sec.start
    elif mus.start_auto:
        want = duration if duration is not None else song_end
        start = best_window(audio.downbeats, audio.sections, audio.energy, audio.energy_fps,
                            min(want, song_end), song_end)
    else:
        start = mus.start_s
    if start >= song_end:
        raise _error(mus.start_span or mus.span,
                     f"music.start {start:g}s is past the end of the song ({song_end:.2f}s)")
    if duration is None:
        duration = song_end - start
        snap_end = True
    if snap_end and len(audio.downbeats):
        # a song- or section-long output ends on the downbeat nearest its end
        ends = audio.downbeats[(audio.downbeats > start + 1.0) & (audio.downbeats <= song_end)]
        if len(ends):
            near = float(ends[np.argmin(np.abs(ends - (start + duration)))])
            if abs(near - (start + duration)) < 60.0 / max(audio.tempo, 1) * audio.beats_per_bar:
                duration = near - start
    if start + duration > song_end + 1e-6:
        if duration > song_end:  # no start fits: only a shorter output does
            hint = (f"the song is {song_end:.2f}s long: set output.duration to at most "
                    f"{song_end - start:.2f}s from this start (or `duration: song`)")
        else:
            hint = (f"start at {song_end - duration:.2f}s or earlier, or set output.duration "
                    f"to at most {song_end - start:.2f}s")
        raise _error(mus.start_span or mus.span,
                     f"music.start {start:g}s + duration {duration:g}s runs past the end of "
                     f"the song ({song_end:.2f}s)", hint=hint)
    return {"fps": fps, "start_s": float(start), "duration_frames": time_to_frame(duration, fps)}


def _beat_period(audio: AudioAnalysis, t: np.ndarray) -> np.ndarray:
    """Local beat period (s) at song times ``t``: the interval of the beat pair around each."""
    b = audio.beats
    if len(b) < 2:
        return np.full(len(t), 60.0 / max(audio.tempo, 1.0))
    ibi = np.diff(b)
    i = np.clip(np.searchsorted(b, t) - 1, 0, len(ibi) - 1)
    return ibi[i]


def _rule_holds(rule: CutRule, energy: np.ndarray, section: list[str]) -> np.ndarray:
    ok = np.ones(len(energy), dtype=bool)
    if rule.energy_above is not None:
        ok &= energy > rule.energy_above
    if rule.energy_below is not None:
        ok &= energy < rule.energy_below
    if rule.sections:
        ok &= np.isin(section, list(rule.sections))
    return ok


def rule_targets(recipe: Recipe, audio: AudioAnalysis, start_s: float, duration_frames: int,
                 fps: Fraction) -> dict[str, Any]:
    """Return, on a 10 ms grid over the output, the index of the rule that holds and the
    shot length (s) it asks for."""
    cuts = recipe.cuts
    for rule in cuts.rules:
        unit_s = _unit_seconds(rule.unit, audio, cuts.phrase_bars)
        if rule.unit != "section" and cuts.min_shot_s > rule.every * unit_s * 1.5:
            raise _error(rule.span,
                         f"min_shot {cuts.min_shot_s:g}s is longer than this rule's interval "
                         f"({rule.every:g} {rule.unit} = {rule.every * unit_s:.2f}s at "
                         f"{audio.tempo:.0f} BPM)", hint="lower cuts.min_shot or cut less often")
    known = {s.label for s in audio.sections}
    for rule in cuts.rules:
        for name in rule.sections:
            if name not in known:
                raise _error(rule.span, f"the song has no section {name!r}",
                             hint=f"its sections: {', '.join(sorted(known))}")
    grid_t = start_s + np.arange(0.0, duration_frames / fps + 0.01, 0.01)
    energy = audio.energy_at(grid_t)
    section = [_section_at(audio, t) for t in grid_t]
    which = np.full(len(grid_t), -1, dtype=np.int64)
    for k, rule in enumerate(cuts.rules):
        free = which < 0
        which[free & _rule_holds(rule, energy, section)] = k
    default = cuts.rules.index(cuts.default_rule)
    which[which < 0] = default
    period = _beat_period(audio, grid_t)
    target = np.empty(len(grid_t))
    for k, rule in enumerate(cuts.rules):
        sel = which == k
        target[sel] = rule.every * _unit_scale(rule.unit, audio, cuts.phrase_bars) * period[sel]
    if recipe.energy.density:
        # pace follows energy: twice as fast at full energy, twice as slow at none
        target *= 2.0 ** (1.0 - 2.0 * energy)
    return {"grid_t": grid_t, "rule_at": which, "target_at": target}


def _unit_scale(unit: str, audio: AudioAnalysis, phrase_bars: int) -> float:
    """Beats per unit."""
    return {"half-beat": 0.5, "beat": 1.0, "bar": float(audio.beats_per_bar),
            "phrase": float(audio.beats_per_bar * phrase_bars),
            "section": float(audio.beats_per_bar * phrase_bars * 2)}[unit]


def _unit_seconds(unit: str, audio: AudioAnalysis, phrase_bars: int) -> float:
    return _unit_scale(unit, audio, phrase_bars) * 60.0 / max(audio.tempo, 1.0)


def _section_at(audio: AudioAnalysis, t: float) -> str:
    for s in audio.sections:
        if s.start <= t < s.end:
            return s.label
    return audio.sections[-1].label if audio.sections else ""


STYLE_MAX_RATIO = 4.0
"""Under a learned style, a shot is at most this many times its rule's interval (unless
``max_shot`` says otherwise): the rules bound the style, so a style that would not cut
for a long stretch still gives a plan."""


def place_cuts(recipe: Recipe, audio: AudioAnalysis, fps: Fraction, start_s: float,
               duration_frames: int, grid_t: np.ndarray, rule_at: np.ndarray,
               target_at: np.ndarray) -> dict[str, Any]:
    """Choose the cuts by dynamic programming over the musical candidates.

    Under a learned style (``cuts.style``) the style's per-beat cut probability is the
    gain, and the rules bound it: their units choose the candidates, ``min_shot`` holds,
    and no shot is longer than ``max_shot`` or, without one, :data:`STYLE_MAX_RATIO`
    times its rule's interval. ``style`` in the result holds the style's own cuts (for
    the warnings of :func:`explain_pace`).
    """
    from editspec.cutopt import CandidateGrid, candidate_grid, choose_cuts

    cuts = recipe.cuts
    salience_at = audio.salience_at
    style_frames: list[int] | None = None
    if cuts.style is not None:  # learned style (issue 12, editspec/style): its cut probability
        from editspec.style.infer import THRESHOLD, style_beats, style_salience

        salience_at = style_salience(cuts.style, audio)
        beats_t, beats_p = style_beats(cuts.style, audio)
        own = np.floor((beats_t[beats_p >= THRESHOLD] - start_s) * float(fps) + 0.5)
        style_frames = sorted({int(f) for f in own if 0 < f < duration_frames})
    grid = candidate_grid(audio.beats, audio.downbeats,
                          [(s.start, s.label) for s in audio.sections], audio.onsets,
                          audio.onset_strength, salience_at, start_s, duration_frames,
                          float(fps), phrase_bars=cuts.phrase_bars)
    idx = np.clip(np.round(grid.times / 0.01).astype(np.int64), 0, len(grid_t) - 1)
    rule_of = rule_at[idx]
    units = [cuts.rules[k].unit for k in rule_of]
    allowed = np.array([g >= UNIT_KIND[u] or (g == 0 and u in ("beat", "half-beat")
                                              and recipe.energy.density)
                        for g, u in zip(grid.kinds, units, strict=True)], dtype=bool)
    keep = np.flatnonzero(allowed)
    sub = CandidateGrid(grid.times[keep], grid.frames[keep], grid.kinds[keep],
                        grid.salience[keep], tuple(grid.labels[i] for i in keep))
    rule_of = rule_of[keep]
    must = np.zeros(len(keep), dtype=bool)
    if cuts.snap_to_downbeat or any(r.unit == "section" for r in cuts.rules):
        must = sub.kinds == 5
    # a single regular rule should come out as a regular grid: hold its density firmly
    strict = len(cuts.rules) == 1 and not recipe.energy.density
    min_frames = max(1, time_to_frame(cuts.min_shot_s, fps))
    max_frames = time_to_frame(cuts.max_shot_s, fps) if cuts.max_shot_s else None
    dp_grid, dp_options = sub, {"length_weight": 12.0 if strict else 4.0}
    bound_at = None
    if cuts.style is not None:  # learned style: cut where it would, the rules bound it
        from editspec.style.infer import style_dp

        dp_grid, dp_options = style_dp(sub)
        if max_frames is None:
            bound_s = STYLE_MAX_RATIO * target_at[idx[keep]]
            bound_at = np.maximum(np.floor(bound_s * float(fps) + 0.5), min_frames + 1)
            dp_options = {**dp_options, "max_frames_at": bound_at.astype(np.int64)}
    try:
        chosen = choose_cuts(dp_grid, duration_frames, target_at[idx[keep]], float(fps),
                             min_frames=min_frames, max_frames=max_frames, must=must,
                             **dp_options)
    except ValueError as exc:
        raise _error(cuts.span, f"cannot place cuts: {exc}",
                     hint="loosen cuts.min_shot / cuts.max_shot or choose another unit") from None
    planned = []
    for c in chosen:
        k = int(rule_of[c])
        planned.append({"frame": int(sub.frames[c]), "time": float(sub.times[c]),
                        "event": sub.labels[c], "salience": float(sub.salience[c]),
                        "energy": float(audio.energy_at(sub.times[c] + start_s)),
                        "rule": _describe_rule(cuts.rules[k], k), "rule_index": k,
                        "forced": bool(must[c])})
    style: dict[str, Any] | None = None
    if style_frames is not None:
        cand = {int(f): i for i, f in enumerate(sub.frames)}
        style = {"own": style_frames, "candidates": sorted(cand),
                 "bound_frames": {} if bound_at is None else
                 {int(f): int(b) for f, b in zip(sub.frames, bound_at, strict=True)}}
    return {"cuts": planned, "style": style}


def _plural(value: float, unit: str) -> str:
    """``1 beat``, ``2 beats``, ``1.5 bars``."""
    return f"{value:g} {unit}" + ("" if value == 1 else "s")


def _describe_rule(rule: CutRule, k: int) -> str:
    text = f"{k + 1}: every {_plural(rule.every, rule.unit)}"
    if rule.energy_above is not None:
        text += f" when energy > {rule.energy_above:g}"
    if rule.energy_below is not None:
        text += f" when energy < {rule.energy_below:g}"
    if rule.sections:
        text += f" in {', '.join(rule.sections)}"
    return text


def usable_segments(recipe: Recipe, clips: dict[str, Any]) -> dict[str, Any]:
    """Split every clip into usable segments: inside the pool's in/out range, between its
    own shot boundaries, outside black, blurred or badly exposed stretches and outside
    frozen ones (a held first frame, a paused or still stretch: they never fill a shot
    while other footage is usable)."""
    from editspec.assign import Segment

    def split(skip_frozen: bool) -> list[Segment]:
        segments: list[Segment] = []
        for pool in recipe.clips:
            for path in pool.paths:
                info = clips[path]
                lo = pool.in_s or 0.0
                hi = min(info.duration, pool.out_s) if pool.out_s is not None else info.duration
                spans = getattr(info, "usable", None)
                spans = [(float(a), float(b)) for a, b in spans] \
                    if spans is not None and len(spans) else [(0.0, info.duration)]
                if skip_frozen:
                    spans = _minus_frozen(spans, info)
                cuts = [float(c) for c in getattr(info, "cuts", [])]
                shot_motion = list(getattr(info, "motion", [])) or [0.5]
                bounds = [0.0, *cuts, info.duration]
                for a, b in spans:
                    for s0, s1, m in zip(bounds[:-1], bounds[1:], shot_motion, strict=False):
                        x0, x1 = max(a, s0, lo), min(b, s1, hi)
                        if x1 - x0 > 0.05:
                            segments.append(Segment(path, x0, x1, float(m), hero=pool.hero,
                                                    must=pool.must_include, weight=pool.weight))
        return segments

    segments = split(True) or split(False)  # all of it frozen: a still is better than nothing
    if not segments:
        raise MediaError("the recipe's clips have no usable footage")
    segments = _within_upscale(recipe, clips, segments)
    # motion relative to the pool: 0..1 by rank is done in the assignment
    return {"segments": segments}


def _within_upscale(recipe: Recipe, clips: dict[str, Any], segments: list[Any]) -> list[Any]:
    """``segments`` less those of clips enlarged beyond ``output.max_upscale``, when the
    other clips' footage is at least as long as the output (else all of them)."""
    from editspec.analysis.video.reframe import upscale

    out_size = (recipe.output.width, recipe.output.height)
    mode = "cover" if recipe.output.reframe != "fit" else "fit-blur"
    limit = recipe.output.max_upscale * (1 + 1e-6)

    def sharp(path: str) -> bool:
        size = _display_size(clips[path])
        return size is None or upscale(mode, size, out_size) <= limit

    keep = [s for s in segments if s.must or s.hero or sharp(s.clip)]
    if len(keep) == len(segments) or not keep:
        return segments
    need = recipe.output.duration_s or 0.0
    if sum(s.end - s.start for s in keep) < need:
        return segments
    dropped = sorted({os.path.basename(s.clip) for s in segments} -
                     {os.path.basename(s.clip) for s in keep})
    log.info("left out (enlarged beyond output.max_upscale %g): %s",
             recipe.output.max_upscale, ", ".join(dropped))
    return keep


def _minus_frozen(spans: list[tuple[float, float]], info: Any) -> list[tuple[float, float]]:
    """``spans`` less the clip's frozen runs (from its moment analysis, if any)."""
    mom = getattr(info, "moments", None)
    if mom is None or not len(mom.frozen) or not mom.frozen.any():
        return spans
    from editspec.analysis.video.tracks import runs

    fps = float(info.fps)
    out = []
    for a, b in spans:
        cur = a
        for f0, f1 in runs(np.asarray(mom.frozen, dtype=bool)):
            t0, t1 = f0 / fps, f1 / fps
            if t1 <= cur or t0 >= b:
                continue
            if t0 > cur:
                out.append((cur, t0))
            cur = max(cur, t1)
        if b > cur:
            out.append((cur, b))
    return out


def _moment_tracks(clips: dict[str, Any]) -> dict[str, Any]:
    """The clips' moment tracks as the assignment reads them."""
    from editspec.analysis.video.moments import LOOK_RATE
    from editspec.assign import MomentTrack

    out = {}
    for path, info in clips.items():
        mom = getattr(info, "moments", None)
        if mom is not None and len(mom.score):
            out[path] = MomentTrack(float(info.fps), mom.score, mom.activity, mom.look,
                                    float(LOOK_RATE))
    return out


def assign_footage(recipe: Recipe, audio: AudioAnalysis, clips: dict[str, Any], fps: Fraction,
                   start_s: float, duration_frames: int, cuts: list[dict[str, Any]],
                   segments: list[Any], rng: np.random.Generator) -> dict[str, Any]:
    """Fill every slot with a piece of a usable segment (no source frame twice unless the
    pool is too small, which is logged): the clips' best moments, the strongest on the
    most energetic music (:mod:`editspec.assign`). ``footage`` says, per slot, why."""
    from editspec.assign import Slot, assign_segments

    bounds = [0] + [c["frame"] for c in cuts] + [duration_frames]
    slots = []
    speeds = []
    em = recipe.energy
    for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        t = start_s + np.arange(a, b) / float(fps)
        energy = float(np.mean(audio.energy_at(t)))
        # speed ramps: slow motion when quiet, fast when loud (a constant speed per shot)
        speed = round(em.speed_min + (em.speed_max - em.speed_min) * energy, 3) \
            if em.speed_ramps else 1.0
        speeds.append(speed)
        slots.append(Slot(int(np.ceil((b - a) * speed)), energy,
                          chorus=_section_at(audio, float(t[len(t) // 2])) == "chorus",
                          first=k == 0))
    try:
        chosen, reused = assign_segments(slots, segments, float(fps),
                                         match_motion=1.0 if recipe.energy.motion else 0.15,
                                         rng=rng, moments=_moment_tracks(clips))
    except ValueError as exc:
        raise MediaError(f"{exc}; add longer clips or cut more often") from None
    if reused:
        log.warning("the clips are too few for %d shots without reuse: %d shots reuse footage",
                    len(slots), reused)
    whys = ["start"] + [c["event"] for c in cuts]
    audio_clips = {p for pool in recipe.clips if pool.audio for p in pool.paths}
    events = []
    for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        seg = segments[chosen[k].segment]
        src_in = chosen[k].src_in
        length = (b - a) * speeds[k] / float(fps)
        events.append(Event(clip=seg.clip, src_in=round(src_in, 6),
                            src_out=round(src_in + length, 6), rec_in=a, rec_out=b,
                            why=whys[k], speed=Speed(((0, speeds[k]),)),
                            audio=EventAudio(use=seg.clip in audio_clips)))
    footage = {a: (ev.clip, ev.src_in, _footage_why(chosen[k], slots[k]))
               for k, (a, ev) in enumerate(zip(bounds[:-1], events, strict=True))}
    return {"events": tuple(events), "slots": slots, "reused": reused, "footage": footage}


def _footage_why(a: Any, slot: Any) -> str:
    """Why a slot shows its footage: the moment's score, its rank in its clip, its
    activity against the music's energy."""
    if a.reused:
        return "reused footage (too few clips for the shots)"
    if a.score is None:
        return "no moment analysis: the clip's pieces in order"
    rank = "the clip's best moment" if a.rank == 0 else f"its #{a.rank + 1} moment"
    pace = "strong movement" if a.activity >= 0.6 else \
        "some movement" if a.activity >= 0.3 else "steady"
    return (f"moment {a.score:.2f}, {rank} of {a.of}; {pace} ({a.activity:.2f}) "
            f"on energy {slot.energy:.2f}")


def explain_footage(explain: list[dict[str, Any]],
                    footage: dict[int, tuple[str, float, str]]) -> dict[str, Any]:
    """Add to each explain row why its footage was chosen (``footage``; intro and outro
    clips play as they are and get none)."""
    rows = []
    for r in explain:
        got = footage.get(r["frame"])
        if got is not None and got[0] == r["clip"] and got[1] == r["src_in"]:
            r = {**r, "footage": got[2]}
        rows.append(r)
    return {"explain": rows}


def reframe_events(recipe: Recipe, clips: dict[str, Any],
                   events: tuple[Event, ...]) -> dict[str, Any]:
    """Fill the output's shape: give each event a crop path over its source span that keeps
    the subject (``reframe: cover``; held while the subject stays, eased when it moves),
    the whole picture on a blurred or black fill (``fit``), or the crop unless it would
    cut away most of the subject (``auto``); warn about sources enlarged beyond
    ``output.max_upscale``."""
    from editspec.analysis.video.reframe import follow_subject, upscale

    out_size = (recipe.output.width, recipe.output.height)
    mode = recipe.output.reframe
    fit = "fit-blur" if recipe.output.fill == "blur" else "letterbox"
    out = []
    soft: dict[str, float] = {}
    for ev in events:
        clip = clips.get(ev.clip)
        tracks = getattr(clip, "tracks", None)
        size = _display_size(clip)
        frame = Reframe(fit) if mode == "fit" else Reframe()
        if mode != "fit" and tracks is not None and size is not None:
            frame = follow_subject(tracks, float(getattr(clip, "fps", 30)), ev.src_in,
                                   ev.src_out, size, out_size,
                                   getattr(clip, "cut_frames", None),
                                   fit=fit if mode == "auto" else None)
        if size is not None:
            f = upscale(frame.mode, size, out_size)
            if f > recipe.output.max_upscale * (1 + 1e-6):
                soft[ev.clip] = max(soft.get(ev.clip, 0.0), f)
        out.append(dataclasses.replace(ev, reframe=frame))
    warnings = []
    for path, f in sorted(soft.items()):
        w, h = _display_size(clips[path]) or (0, 0)
        warnings.append(f"{os.path.basename(path)} ({w}x{h}) is enlarged {f:.1f}x to fill "
                        f"{out_size[0]}x{out_size[1]} (output.max_upscale "
                        f"{recipe.output.max_upscale:g}): it will look soft")
        log.warning("%s", warnings[-1])
    return {"events": tuple(out), "reframe_warnings": warnings}


def _display_size(clip: Any) -> tuple[int, int] | None:
    """The clip's displayed (width, height), or None when unknown."""
    size = getattr(clip, "size", None)
    if size and size[0] > 0 and size[1] > 0:
        return int(size[0]), int(size[1])
    w, h = getattr(clip, "width", 0), getattr(clip, "height", 0)
    if w > 0 and h > 0:
        w = max(1, round(w * getattr(clip, "sar", 1)))
        return (h, w) if getattr(clip, "rotation", 0) % 180 == 90 else (w, h)
    return None


ZOOM_ENERGY = 0.6
"""Zoom pulses fall on beats where the energy is at least this."""


def zoom_pulses(recipe: Recipe, audio: AudioAnalysis, fps: Fraction, start_s: float,
                duration_frames: int) -> dict[str, Any]:
    """Punch in on beats (or downbeats) whose energy reaches :data:`ZOOM_ENERGY`."""
    em = recipe.energy
    if em.zoom_pulse <= 0:
        return {"zoom_pulses": ()}
    grid = audio.downbeats if em.zoom_pulse_on == "downbeat" else audio.beats
    length = max(2, time_to_frame(0.3 * 60.0 / max(audio.tempo, 1.0), fps))
    pulses = []
    for t in grid:
        f = time_to_frame(t - start_s, fps)
        if 0 <= f < duration_frames - 1 and audio.energy_at(t) >= ZOOM_ENERGY:
            pulses.append(ZoomPulse(f, min(length, duration_frames - f), float(em.zoom_pulse)))
    return {"zoom_pulses": tuple(pulses)}


def place_overlays(recipe: Recipe, audio: AudioAnalysis, fps: Fraction, start_s: float,
                   duration_frames: int) -> dict[str, Any]:
    """Put the recipe's texts and images on the timeline: by time, or over every stretch
    of the named sections that the output shows; entrances and exits last their musical
    length at the song's tempo."""
    placed: list[TextOverlay | ImageOverlay] = []
    end_s = start_s + duration_frames / float(fps)
    for ov in recipe.overlays:
        spans: list[tuple[int, int]] = []
        if ov.sections:
            for name in ov.sections:
                for sec in _sections_named(audio, name, ov.span):
                    a, b = max(sec.start, start_s), min(sec.end, end_s)
                    if b > a:
                        spans.append((time_to_frame(a - start_s, fps),
                                      time_to_frame(b - start_s, fps)))
        else:
            end = ov.end_s if ov.end_s is not None else duration_frames / float(fps)
            spans.append((time_to_frame(ov.start_s, fps),
                          min(duration_frames, time_to_frame(end, fps))))
        for a, b in spans:
            if b <= a:
                continue
            if ov.kind == "image" and ov.image:
                placed.append(ImageOverlay(ov.image, a, b, ov.position, ov.scale, ov.opacity))
            elif ov.text is not None:
                st = ov.style
                size = st.size or max(16, recipe.output.height // 24)
                shadow = st.shadow or ("" if st.background else DEFAULT_SHADOW)
                count, unit = st.animation_length or (1.0, "beat")
                seconds = count if unit == "s" else \
                    count * _unit_seconds(unit, audio, recipe.cuts.phrase_bars)
                frames = max(1, round(seconds * float(fps)))
                enter, leave = st.enter or "none", st.exit or "none"
                placed.append(TextOverlay(
                    ov.text, a, b, font=st.font_file or "", size=int(size),
                    color=st.color or "#ffffff", box=st.background or "",
                    position=ov.position or st.position or "bottom", weight=st.weight or 400,
                    min_size=st.min_size or 0,
                    outline="" if st.outline in (None, "none") else st.outline,
                    shadow="" if shadow == "none" else shadow,
                    safe_area=st.safe_area or "auto", enter=enter,
                    enter_frames=frames if enter != "none" else 0, exit=leave,
                    exit_frames=frames if leave != "none" else 0))
    return {"overlays": tuple(placed)}


def place_transitions(recipe: Recipe, audio: AudioAnalysis, fps: Fraction, start_s: float,
                      events: tuple[Event, ...], cuts: list[dict[str, Any]]) -> dict[str, Any]:
    """Give cuts the recipe's transitions (later entries win), never longer than the
    shorter neighbouring shot allows."""
    if not recipe.transitions:
        return {"events": events}
    section_frames = {time_to_frame(s.start - start_s, fps) for s in audio.sections}
    down_frames = {time_to_frame(t - start_s, fps) for t in audio.downbeats}
    out = list(events)
    for k in range(1, len(out)):
        ev = out[k]
        kind_at: Transition | None = None
        for tr in recipe.transitions:
            at = ev.rec_in
            hit = (tr.when == "every-cut" or
                   (tr.when == "section-change" and min(abs(at - f) for f in section_frames) <= 1)
                   or (tr.when == "downbeat" and min(abs(at - f) for f in down_frames) <= 1)
                   or (tr.when == "interval" and _on_interval(tr, audio, at, start_s, fps)))
            if hit:
                if tr.kind == "cut":
                    kind_at = None
                    continue
                frames = time_to_frame(tr.length_s, fps)
                room = 2 * min(out[k - 1].frames, ev.frames) // 2
                frames = min(frames, room - room % 2)
                kind_at = Transition(tr.kind, frames) if frames >= 2 else None
        if kind_at is not None:
            out[k] = dataclasses.replace(ev, transition=kind_at)
    return {"events": tuple(out)}


def _on_interval(tr: Any, audio: AudioAnalysis, frame: int, start_s: float, fps: Fraction) -> bool:
    unit = tr.unit or "bar"
    grid = audio.downbeats if unit in ("bar", "phrase") else audio.beats
    step = int(tr.every or 1) * (4 if unit == "phrase" else 1)
    t = start_s + frame / float(fps)
    if not len(grid):
        return False
    i = int(np.argmin(np.abs(grid - t)))
    return abs(grid[i] - t) < 1.0 / float(fps) and i % max(step, 1) == 0


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


def end_clips(recipe: Recipe, clips: dict[str, Any], fps: Fraction, duration_frames: int,
              events: tuple[Event, ...]) -> dict[str, Any]:
    """Play the intro and outro clips as they are: the intro from frame 0 to the planned
    cut nearest its length, the outro from the planned cut nearest its length before the
    end; the music plays on under both, and both end on a musical cut."""
    evs = list(events)
    for which in ("intro", "outro"):
        clip = getattr(recipe, which)
        if clip is None:
            continue
        info = clips.get(clip.path)
        if info is None:
            raise MediaError(f"{clip.path}: the {which} clip was not analyzed")
        want = clip.duration_s or info.duration
        cuts = [e.rec_in for e in evs[1:]]
        if which == "intro":
            fits = [c for c in cuts if c / float(fps) <= info.duration + 1e-6]
            if not fits:
                raise _error(clip.span, f"the {which} clip ({info.duration:.2f}s) is shorter than "
                                        "the first shot")
            end = min(fits, key=lambda c: (abs(c / float(fps) - want), c))
            evs = [Event(clip.path, 0.0, round(end / float(fps), 6), 0, end, why="intro")] + \
                [e for e in evs if e.rec_in >= end]
        else:
            fits = [c for c in cuts if (duration_frames - c) / float(fps) <= info.duration + 1e-6]
            if not fits:
                raise _error(clip.span, f"the {which} clip ({info.duration:.2f}s) is shorter than "
                                        "the last shot")
            start = min(fits, key=lambda c: (abs((duration_frames - c) / float(fps) - want), -c))
            evs = [e for e in evs if e.rec_out <= start] + \
                [Event(clip.path, 0.0, round((duration_frames - start) / float(fps), 6), start,
                       duration_frames, why="outro")]
    return {"events": tuple(evs)}


PACE_TOLERANCE = 0.25
"""A shot honours its rule when its length is within this many octaves (log2) of the
length asked (0.6 when pace follows energy, whose asked lengths fall between units)."""


def _beat_position(audio: AudioAnalysis, t: np.ndarray) -> np.ndarray:
    """Song times → position in beats (fractional index into the beats, extrapolated)."""
    b = np.asarray(audio.beats, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    if len(b) < 2:
        return t / (60.0 / max(audio.tempo, 1.0))
    pos = np.interp(t, b, np.arange(len(b), dtype=np.float64))
    lo, hi = b[1] - b[0], b[-1] - b[-2]
    pos = np.where(t < b[0], (t - b[0]) / lo, pos)
    return np.where(t > b[-1], len(b) - 1 + (t - b[-1]) / hi, pos)


def _pace_text(beats: float, unit: str, beats_per_bar: int) -> str:
    """A shot length in beats as a pace in the rule's measure: ``every 2 beats``, ``every 1 bar``."""
    half = round(beats * 4) / 4 if beats < 0.875 else round(beats * 2) / 2
    if unit in ("half-beat", "beat") or half < beats_per_bar:
        return f"every {_plural(half, 'beat')}"
    bars = round(half / max(beats_per_bar, 1), 2)
    return f"every {_plural(bars, 'bar')}"


def explain_pace(recipe: Recipe, audio: AudioAnalysis, fps: Fraction, start_s: float,
                 duration_frames: int, events: tuple[Event, ...], cuts: list[dict[str, Any]],
                 rule_at: np.ndarray, target_at: np.ndarray,
                 style: dict[str, Any] | None) -> dict[str, Any]:
    """Say, shot by shot, which rule placed it, the pace it asked and the pace it got.

    Every shot of the final events (the first included) gets an explain row; a shot whose
    length strays from its rule's (more than :data:`PACE_TOLERANCE` octaves) names what
    bent it: ``min_shot``, ``max_shot``, a section change, the next rule, the footage
    (intro/outro clips), the learned style or the music's candidates. Each rule that did
    not get its pace gets a warning naming the rule, the pace asked and the pace given,
    and a learned style that the rules overruled gets one too.

    Returns
    -------
    dict
        ``explain`` (one dict per event) and ``warnings`` (list of str).
    """
    c = recipe.cuts
    fpsf = float(fps)
    by_frame = {cut["frame"]: cut for cut in cuts}
    tol = 0.6 if recipe.energy.density else PACE_TOLERANCE
    bpb = audio.beats_per_bar
    tempo = audio.tempo
    rows: list[dict[str, Any]] = []
    bent: dict[tuple[int, str], list[tuple[float, float, float]]] = {}
    shots_of: dict[int, int] = {}
    for n, ev in enumerate(events):
        a, b = ev.rec_in, ev.rec_out
        t0, t1 = start_s + a / fpsf, start_s + b / fpsf
        gi = int(np.clip(round(a / fpsf / 0.01), 0, len(rule_at) - 1))
        k = int(rule_at[gi])
        rule = c.rules[k]
        period = float(_beat_period(audio, np.array([t0]))[0])
        asked_beats = float(target_at[gi]) / period
        real = _beat_position(audio, np.array([t0, t1]))
        real_beats = float(real[1] - real[0])
        cut = by_frame.get(a)
        why = ""
        if ev.why in ("intro", "outro"):
            why = f"the {ev.why} clip"
        elif abs(np.log2(max(real_beats, 1e-6) / max(asked_beats, 1e-6))) > tol:
            why = _bent_by(recipe, audio, n, events, by_frame, style, k, rule_at,
                           real_beats > asked_beats, asked_beats * period, duration_frames,
                           fpsf, start_s)
        row = {"time": round(a / fpsf, 4), "frame": a,
               "event": "start" if n == 0 else (cut["event"] if cut else ev.why or "cut"),
               "energy": round(float(audio.energy_at(t0)), 3),
               "salience": None if cut is None else round(cut["salience"], 3),
               "clip": ev.clip, "src_in": ev.src_in,
               "rule": _describe_rule(rule, k) + (" · learned style" if c.style else ""),
               "asked": _pace_text(asked_beats, rule.unit, bpb) if recipe.energy.density
                        else f"every {_plural(rule.every, rule.unit)}",
               "pace": _pace_text(real_beats, rule.unit, bpb),
               "beats": round(real_beats, 2), "bent_by": why}
        rows.append(row)
        if ev.why not in ("intro", "outro"):
            shots_of[k] = shots_of.get(k, 0) + 1
        if why and why not in ("the start of the output", "the end of the output"):
            bent.setdefault((k, why), []).append((real_beats, asked_beats, asked_beats * period))
    warnings = []
    for (k, why), lengths in sorted(bent.items()):
        rule = c.rules[k]
        if why.startswith(("the intro", "the outro")):
            continue  # asked for by the recipe; the rows say so
        loud = why.startswith(("min_shot", "max_shot", "the rules' bound", "the footage"))
        if not loud and len(lengths) < max(2, 0.25 * shots_of.get(k, 1)):
            continue  # a stray shot of a rule that otherwise holds: its row says why
        got = np.array(lengths)
        given = _pace_text(float(np.median(got[:, 0])), rule.unit, bpb)
        asked = f"every {_plural(rule.every, rule.unit)}"
        want = asked
        if recipe.energy.density:  # the pace asked follows energy: say what it was here
            want = _pace_text(float(np.median(got[:, 1])), rule.unit, bpb)
            asked += f", asked {want} by the energy"
        want_s = float(np.median(got[:, 2]))
        detail = why
        if why.startswith("min_shot"):
            detail = (f"min_shot {c.min_shot_s:g}s is longer than {want.split(' ', 1)[1]} "
                      f"({want_s:.2f}s at {tempo:.0f} BPM)")
        elif why.startswith("max_shot") and c.max_shot_s is not None:
            detail = (f"max_shot {c.max_shot_s:g}s is shorter than {want.split(' ', 1)[1]} "
                      f"({want_s:.2f}s at {tempo:.0f} BPM)")
        warnings.append(f"rule {k + 1} ({asked}) cut {given} in {len(lengths)} of "
                        f"{shots_of.get(k, len(lengths))} shots: {detail}")
    if style is not None:
        warnings.extend(_style_disagreement(recipe, style, cuts, fpsf))
    for w in warnings:
        log.warning("%s", w)
    return {"explain": rows, "warnings": warnings}


def _bent_by(recipe: Recipe, audio: AudioAnalysis, n: int, events: tuple[Event, ...],
             by_frame: dict[int, dict[str, Any]], style: dict[str, Any] | None, k: int,
             rule_at: np.ndarray, longer: bool, asked_s: float, duration_frames: int,
             fps: float, start_s: float) -> str:
    """What made shot ``n`` longer or shorter than its rule asked."""
    c = recipe.cuts
    ev = events[n]
    frame_s = 1.0 / fps
    if ev.rec_out >= duration_frames:
        return "the end of the output"
    step_s = _unit_seconds(c.rules[k].unit, audio, c.phrase_bars)
    if longer and c.min_shot_s > asked_s + frame_s / 2 and \
            ev.frames * frame_s <= c.min_shot_s + step_s + frame_s:
        return f"min_shot {c.min_shot_s:g}s"  # longer than asked by min_shot, not more
    if not longer and c.max_shot_s is not None and c.max_shot_s < asked_s - frame_s / 2:
        return f"max_shot {c.max_shot_s:g}s"
    nxt = events[n + 1] if n + 1 < len(events) else None
    if nxt is not None and nxt.why in ("intro", "outro"):
        return f"the {nxt.why} clip"
    end_cut = by_frame.get(ev.rec_out)
    if end_cut is None:
        return "the footage"
    if n == 0:
        return "the start of the output"
    if style is not None:
        if any(abs(ev.rec_out - f) <= 1 for f in style["own"]):
            return "the learned style"
        # a cut the style would not make: the rules placed it
        if end_cut.get("forced"):
            return "a section change"
        limit = (f"max_shot {c.max_shot_s:g}s" if c.max_shot_s is not None else
                 f"{STYLE_MAX_RATIO:g}x the rule's interval")
        return f"the rules' bound on the style ({limit})"
    if not longer and end_cut.get("forced"):
        return "a section change"
    gi = int(np.clip(round(ev.rec_out / fps / 0.01), 0, len(rule_at) - 1))
    if not longer and int(rule_at[gi]) != k:
        return f"rule {int(rule_at[gi]) + 1} taking over"
    if longer:
        unit = c.rules[k].unit
        kind = "beat" if unit in ("half-beat", "beat") else "downbeat"
        marks = np.asarray(audio.beats if kind == "beat" else audio.downbeats)
        want = start_s + ev.rec_in / fps + asked_s
        if not len(marks) or np.min(np.abs(marks - want)) > 0.25 * asked_s:
            return f"the music (no {kind} where the rule would cut)"
    return "the music's cut candidates and salience"


def _style_disagreement(recipe: Recipe, style: dict[str, Any], cuts: list[dict[str, Any]],
                        fps: float) -> list[str]:
    """Warnings where the rules overruled the learned style: cuts it would not make, cuts
    of its own that were dropped, and why."""
    c = recipe.cuts
    planned = [int(x["frame"]) for x in cuts]
    own = list(style["own"])
    cands = set(style["candidates"])
    near = lambda f, pool: any(abs(f - p) <= 1 for p in pool)  # noqa: E731
    forced = [f for f in planned if not near(f, own)]
    dropped = [f for f in own if not near(f, planned)]
    if not forced and not dropped:
        return []
    parts = []
    if forced:
        bound = [f for f in forced if f in {x["frame"] for x in cuts if x.get("forced")}]
        why = ("section changes" if len(bound) == len(forced) else
               f"max_shot {c.max_shot_s:g}s" if c.max_shot_s else
               f"no shot may run past {STYLE_MAX_RATIO:g}x its rule's interval")
        parts.append(f"{len(forced)} cuts the style would not make ({why})")
    if dropped:
        off = [f for f in dropped if not near(f, cands)]
        why = []
        if off:
            units = ", ".join(dict.fromkeys(f"every {_plural(r.every, r.unit)}"
                                            for r in c.rules))
            why.append(f"{len(off)} not on the rules' candidates ({units})")
        if len(dropped) > len(off):
            why.append(f"{len(dropped) - len(off)} closer than min_shot {c.min_shot_s:g}s "
                       "or against the rules' interval")
        parts.append(f"{len(dropped)} of its own cuts dropped ({'; '.join(why)})")
    return [f"the learned style and the rules disagree: the style would cut {len(own)} times, "
            f"the plan cuts {len(planned)}: " + "; ".join(parts)]


PASSES: tuple[Callable[..., dict[str, Any]], ...] = (
    music_window,
    rule_targets,
    place_cuts,
    usable_segments,
    assign_footage,
    place_transitions,
    end_clips,
    reframe_events,
    zoom_pulses,
    place_overlays,
    musical_markers,
    explain_pace,
    explain_footage,
)


def plan_edit(recipe: Recipe, audio: AudioAnalysis, clips: dict[str, Any]) -> EDL:
    """Plan an edit: run :data:`PASSES` over the recipe and the analyses.

    Parameters
    ----------
    recipe : Recipe
        The compiled recipe.
    audio : AudioAnalysis
        Analysis of ``recipe.music.path``.
    clips : dict of str to VideoInfo or VideoAnalysis
        Facts of every clip in ``recipe.clip_paths`` (a VideoAnalysis adds shots, usable
        spans and motion).

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
    events = values["events"]
    edl = EDL(
        fps=values["fps"], size=(recipe.output.width, recipe.output.height),
        duration_frames=values["duration_frames"],
        music=MusicRef(recipe.music.path, values["start_s"], recipe.music.fade_in_s,
                       recipe.music.fade_out_s),
        events=events, markers=values["markers"], recipe=recipe.path, seed=recipe.seed,
        sources={p: SourceInfo(clips[p].duration, clips[p].fps,
                               *getattr(clips[p], "size", (0, 0)))
                 for p in sorted({e.clip for e in events})},
        meta={"tempo": round(audio.tempo, 3), "beats_per_bar": audio.beats_per_bar,
              "tracker": audio.tracker, "reused_shots": values["reused"], "explain": values["explain"],
              "warnings": values["warnings"],
              **({"picture_warnings": values["reframe_warnings"]}
                 if values.get("reframe_warnings") else {})},
        zoom_pulses=values["zoom_pulses"], overlays=values["overlays"],
    )
    check_edl(edl)
    return edl


def format_explain(edl: EDL) -> str:
    """Return the ``plan --explain`` table: one row per shot (the first included), the
    pace each really has, then the plan's warnings."""
    import os

    rows = edl.meta.get("explain", [])
    lines = [f"{'#':>3s} {'time':>8s} {'frame':>6s}  {'event':22s} {'energy':>6s} {'sal.':>5s}  "
             f"{'clip':24s} {'src_in':>7s}  {'pace':15s} rule"]
    for i, r in enumerate(rows):
        sal = "" if r.get("salience") is None else f"{r['salience']:5.2f}"
        pace = r.get("pace", "")
        rule = r["rule"]
        if r.get("bent_by"):
            rule += f" (asked {r.get('asked', '?')}; {r['bent_by']})"
        lines.append(f"{i:3d} {r['time']:8.3f} {r['frame']:6d}  {r['event'][:22]:22s} "
                     f"{r['energy']:6.2f} {sal:>5s}  "
                     f"{os.path.basename(r['clip'])[:24]:24s} {r['src_in']:7.2f}  "
                     f"{pace:15s} {rule}")
        if r.get("footage"):
            lines.append(f"{'':18s}footage: {r['footage']}")
    for w in [*edl.meta.get("warnings", []), *edl.meta.get("picture_warnings", [])]:
        lines.append(f"warning: {w}")
    return "\n".join(lines)
