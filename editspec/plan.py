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
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from editspec.analysis.audio import AudioAnalysis
from editspec.edl import (
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
        raise _error(mus.start_span or mus.span,
                     f"music.start {start:g}s + duration {duration:g}s runs past the end of the "
                     f"song ({song_end:.2f}s)",
                     hint=f"start at {max(0.0, song_end - duration):.2f}s or shorten "
                          "output.duration")
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


def place_cuts(recipe: Recipe, audio: AudioAnalysis, fps: Fraction, start_s: float,
               duration_frames: int, grid_t: np.ndarray, rule_at: np.ndarray,
               target_at: np.ndarray) -> dict[str, Any]:
    """Choose the cuts by dynamic programming over the musical candidates."""
    from editspec.cutopt import CandidateGrid, candidate_grid, choose_cuts

    cuts = recipe.cuts
    salience_at = audio.salience_at
    if cuts.style is not None:  # learned style (issue 12, editspec/style): its cut probability
        from editspec.style.infer import style_salience

        salience_at = style_salience(cuts.style, audio)
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
    if cuts.style is not None:  # learned style: cut where it would, the interval a soft target
        from editspec.style.infer import style_dp

        dp_grid, dp_options = style_dp(sub)
    try:
        chosen = choose_cuts(dp_grid, duration_frames, target_at[idx[keep]], float(fps),
                             min_frames=min_frames, max_frames=max_frames, must=must,
                             **dp_options)
    except ValueError as exc:
        raise _error(cuts.span, f"cannot place cuts: {exc}",
                     hint="loosen cuts.min_shot / cuts.max_shot or choose another unit") from None
    planned = []
    for c in chosen:
        rule = cuts.rules[int(rule_of[c])]
        planned.append({"frame": int(sub.frames[c]), "time": float(sub.times[c]),
                        "event": sub.labels[c], "salience": float(sub.salience[c]),
                        "energy": float(audio.energy_at(sub.times[c] + start_s)),
                        "rule": _describe_rule(rule, int(rule_of[c]))})
    return {"cuts": planned}


def _describe_rule(rule: CutRule, k: int) -> str:
    text = f"{k + 1}: every {rule.every:g} {rule.unit}"
    if rule.energy_above is not None:
        text += f" when energy > {rule.energy_above:g}"
    if rule.energy_below is not None:
        text += f" when energy < {rule.energy_below:g}"
    if rule.sections:
        text += f" in {', '.join(rule.sections)}"
    return text


def usable_segments(recipe: Recipe, clips: dict[str, Any]) -> dict[str, Any]:
    """Split every clip into usable segments: inside the pool's in/out range, between its
    own shot boundaries, outside black, blurred or badly exposed stretches."""
    from editspec.assign import Segment

    segments: list[Segment] = []
    motions: list[float] = []
    for pool in recipe.clips:
        for path in pool.paths:
            info = clips[path]
            lo = pool.in_s or 0.0
            hi = min(info.duration, pool.out_s) if pool.out_s is not None else info.duration
            spans = getattr(info, "usable", None)
            spans = [(float(a), float(b)) for a, b in spans] if spans is not None and len(spans) \
                else [(0.0, info.duration)]
            cuts = [float(c) for c in getattr(info, "cuts", [])]
            shot_motion = list(getattr(info, "motion", [])) or [0.5]
            bounds = [0.0, *cuts, info.duration]
            for a, b in spans:
                for s0, s1, m in zip(bounds[:-1], bounds[1:], shot_motion, strict=False):
                    x0, x1 = max(a, s0, lo), min(b, s1, hi)
                    if x1 - x0 > 0.05:
                        segments.append(Segment(path, x0, x1, float(m), hero=pool.hero,
                                                must=pool.must_include, weight=pool.weight))
                        motions.append(float(m))
    if not segments:
        raise MediaError("the recipe's clips have no usable footage")
    # motion relative to the pool: 0..1 by rank is done in the assignment
    return {"segments": segments}


def assign_footage(recipe: Recipe, audio: AudioAnalysis, fps: Fraction, start_s: float,
                   duration_frames: int, cuts: list[dict[str, Any]], segments: list[Any],
                   rng: np.random.Generator) -> dict[str, Any]:
    """Fill every slot with a piece of a usable segment (no source frame twice unless the
    pool is too small, which is logged)."""
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
                                         rng=rng)
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
    return {"events": tuple(events), "slots": slots, "reused": reused}


def reframe_events(recipe: Recipe, clips: dict[str, Any],
                   events: tuple[Event, ...]) -> dict[str, Any]:
    """Follow the subject: give each event the subject-centre track of its source span
    (from the video analysis), so a cover crop keeps the subject in the picture."""
    out = []
    for ev in events:
        tracks = getattr(clips.get(ev.clip), "tracks", None)
        fps_src = float(getattr(clips.get(ev.clip), "fps", 30))
        frame = Reframe()
        if tracks is not None and len(tracks.centre):
            n = len(tracks.centre)
            times = np.linspace(ev.src_in, ev.src_out, max(2, int((ev.src_out - ev.src_in) * 4) + 1))
            idx = np.clip(np.round(times * fps_src).astype(np.int64), 0, n - 1)
            pts = tuple((round(float(t), 4), round(float(tracks.centre[i, 0]), 4),
                         round(float(tracks.centre[i, 1]), 4)) for t, i in zip(times, idx,
                                                                              strict=True))
            frame = Reframe("cover", (pts[0][1], pts[0][2]), pts)
        out.append(dataclasses.replace(ev, reframe=frame))
    return {"events": tuple(out)}


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
    of the named sections that the output shows."""
    import os

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
                font = st.font if st.font and os.path.isfile(st.font) else ""
                size = st.size or max(16, recipe.output.height // 24)
                placed.append(TextOverlay(ov.text, a, b, font=font, size=int(size),
                                          color=st.color or "#ffffff", box=st.background or "",
                                          position=ov.position or st.position or "bottom"))
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
    by_frame = {c["frame"]: c for c in values["cuts"]}
    explain = []
    for ev in events[1:]:
        c = by_frame.get(ev.rec_in)
        if c is None:  # an outro's cut that no rule placed cannot happen: it starts on a cut
            continue
        explain.append({"time": round(c["time"], 4), "frame": c["frame"], "event": c["event"],
                        "energy": round(c["energy"], 3), "salience": round(c["salience"], 3),
                        "clip": ev.clip, "src_in": ev.src_in, "rule": c["rule"]})
    edl = EDL(
        fps=values["fps"], size=(recipe.output.width, recipe.output.height),
        duration_frames=values["duration_frames"],
        music=MusicRef(recipe.music.path, values["start_s"], recipe.music.fade_in_s,
                       recipe.music.fade_out_s),
        events=events, markers=values["markers"], recipe=recipe.path, seed=recipe.seed,
        sources={p: SourceInfo(clips[p].duration, clips[p].fps, getattr(clips[p], "width", 0),
                               getattr(clips[p], "height", 0))
                 for p in sorted({e.clip for e in events})},
        meta={"tempo": round(audio.tempo, 3), "beats_per_bar": audio.beats_per_bar,
              "tracker": audio.tracker, "reused_shots": values["reused"], "explain": explain},
        zoom_pulses=values["zoom_pulses"], overlays=values["overlays"],
    )
    check_edl(edl)
    return edl


def format_explain(edl: EDL) -> str:
    """Return the ``plan --explain`` table: one row per cut."""
    rows = edl.meta.get("explain", [])
    lines = [f"{'#':>3s} {'time':>8s} {'frame':>6s}  {'event':22s} {'energy':>6s} {'sal.':>5s}  "
             f"{'clip':24s} {'src_in':>7s}  rule"]
    import os

    for i, r in enumerate(rows, 1):
        lines.append(f"{i:3d} {r['time']:8.3f} {r['frame']:6d}  {r['event'][:22]:22s} "
                     f"{r['energy']:6.2f} {r['salience']:5.2f}  "
                     f"{os.path.basename(r['clip'])[:24]:24s} {r['src_in']:7.2f}  {r['rule']}")
    return "\n".join(lines)
