"""Where the output sits in the song and what pace the rules ask: :func:`music_window`
and :func:`rule_targets`."""

from __future__ import annotations

import logging

import numpy as np

from editspec.ir import CutRule
from editspec.plan.common import (
    beat_period,
    error,
    section_at,
    sections_named,
    unit_scale,
    unit_seconds,
)
from editspec.plan.state import PlanState, Targets, Window, replace
from editspec.timecode import time_to_frame

log = logging.getLogger(__name__)


def music_window(s: PlanState) -> PlanState:
    """Fix where the output starts in the song and how many frames it lasts (``window``)."""
    recipe, audio = s.recipe, s.audio
    from editspec.analysis.sections import best_window

    fps = recipe.output.fps
    mus, out = recipe.music, recipe.output
    song_end = min(audio.duration, mus.end_s) if mus.end_s is not None else audio.duration
    duration = out.duration_s
    snap_end = False
    if out.duration_section is not None:
        sec = sections_named(audio, out.duration_section, out.duration_span or out.span)[0]
        duration = sec.end - sec.start
        snap_end = True
    if mus.start_section is not None:
        sec = sections_named(audio, mus.start_section, mus.start_span or mus.span)[0]
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
        raise error(mus.start_span or mus.span,
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
        raise error(mus.start_span or mus.span,
                     f"music.start {start:g}s + duration {duration:g}s runs past the end of "
                     f"the song ({song_end:.2f}s)", hint=hint)
    return replace(s, window=Window(fps, float(start), time_to_frame(duration, fps)))


def _rule_holds(rule: CutRule, energy: np.ndarray, section: list[str]) -> np.ndarray:
    ok = np.ones(len(energy), dtype=bool)
    if rule.energy_above is not None:
        ok &= energy > rule.energy_above
    if rule.energy_below is not None:
        ok &= energy < rule.energy_below
    if rule.sections:
        ok &= np.isin(section, list(rule.sections))
    return ok


def rule_targets(s: PlanState) -> PlanState:
    """Fill ``targets``: on a 10 ms grid over the output, the index of the rule that holds
    and the shot length (s) it asks for."""
    recipe, audio = s.recipe, s.audio
    fps, start_s, duration_frames = s.win.fps, s.win.start_s, s.win.duration_frames
    cuts = recipe.cuts
    for rule in cuts.rules:
        unit_s = unit_seconds(rule.unit, audio, cuts.phrase_bars)
        if rule.unit != "section" and cuts.min_shot_s > rule.every * unit_s * 1.5:
            raise error(rule.span,
                         f"min_shot {cuts.min_shot_s:g}s is longer than this rule's interval "
                         f"({rule.every:g} {rule.unit} = {rule.every * unit_s:.2f}s at "
                         f"{audio.tempo:.0f} BPM)", hint="lower cuts.min_shot or cut less often")
    known = {s.label for s in audio.sections}
    for rule in cuts.rules:
        for name in rule.sections:
            if name not in known:
                raise error(rule.span, f"the song has no section {name!r}",
                             hint=f"its sections: {', '.join(sorted(known))}")
    grid_t = start_s + np.arange(0.0, duration_frames / fps + 0.01, 0.01)
    energy = audio.energy_at(grid_t)
    section = [section_at(audio, t) for t in grid_t]
    which = np.full(len(grid_t), -1, dtype=np.int64)
    for k, rule in enumerate(cuts.rules):
        free = which < 0
        which[free & _rule_holds(rule, energy, section)] = k
    default = cuts.rules.index(cuts.default_rule)
    which[which < 0] = default
    period = beat_period(audio, grid_t)
    target = np.empty(len(grid_t))
    for k, rule in enumerate(cuts.rules):
        sel = which == k
        target[sel] = rule.every * unit_scale(rule.unit, audio, cuts.phrase_bars) * period[sel]
    if recipe.energy.density:
        # pace follows energy: twice as fast at full energy, twice as slow at none
        target *= 2.0 ** (1.0 - 2.0 * energy)
    return replace(s, targets=Targets(grid_t, which, target))
