"""Where the cuts go: :func:`place_cuts` (dynamic programming over the musical
candidates, :mod:`editspec.plan.cutopt`)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np

from editspec.plan.common import (
    describe_rule,
    error,
)
from editspec.plan.state import Cut, PlanState, StyleTrace, replace
from editspec.timecode import time_to_frame

if TYPE_CHECKING:
    from editspec.plan.cutopt import CandidateGrid

log = logging.getLogger(__name__)


UNIT_KIND = {"half-beat": 1, "beat": 2, "bar": 3, "phrase": 4, "section": 5}
"""Lowest candidate kind (see :data:`editspec.plan.cutopt.KIND_NAMES`) a rule of each unit
cuts on."""


STYLE_LENGTH_WEIGHT = 0.3
"""Length penalty of the cut DP under a style: the recipe's interval as a soft target."""
STYLE_MAX_RATIO = 4.0
"""Under a learned style, a shot is at most this many times its rule's interval (unless
``max_shot`` says otherwise): the rules bound the style, so a style that would not cut
for a long stretch still gives a plan."""


def place_cuts(s: PlanState) -> PlanState:
    """Choose the cuts by dynamic programming over the musical candidates.

    Under a learned style (``cuts.style``) the style's per-beat cut probability is the
    gain, and the rules bound it: their units choose the candidates, ``min_shot`` holds,
    and no shot is longer than ``max_shot`` or, without one, :data:`STYLE_MAX_RATIO`
    times its rule's interval. ``style_trace`` holds the style's own cuts (for the
    warnings of :func:`~editspec.plan.explain.explain_pace`).
    """
    recipe, audio, style = s.recipe, s.audio, s.style
    fps, start_s, duration_frames = s.win.fps, s.win.start_s, s.win.duration_frames
    grid_t, rule_at, target_at = s.tgt.grid_t, s.tgt.rule_at, s.tgt.target_at
    from editspec.plan.cutopt import CandidateGrid, candidate_grid, choose_cuts

    cuts = recipe.cuts
    salience_at = audio.salience_at
    style_frames: list[int] | None = None
    if cuts.style is not None:  # learned style (issue 12, editspec/style): its cut probability
        if style is None:
            raise ValueError("a recipe with cuts.style is planned with the style's StyleCuts "
                             "(editspec.pipeline.plan_analyzed loads it)")
        salience_at = style.salience_at
        own = np.floor((style.beats[style.prob >= style.threshold] - start_s) * float(fps)
                       + 0.5)
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
        raise error(cuts.span, f"cannot place cuts: {exc}",
                     hint="loosen cuts.min_shot / cuts.max_shot or choose another unit") from None
    planned = []
    for c in chosen:
        k = int(rule_of[c])
        planned.append(Cut(int(sub.frames[c]), float(sub.times[c]), sub.labels[c],
                           float(sub.salience[c]),
                           float(audio.energy_at(sub.times[c] + start_s)),
                           describe_rule(cuts.rules[k], k), k, bool(must[c])))
    trace = None
    if style_frames is not None:
        cand = {int(f): i for i, f in enumerate(sub.frames)}
        trace = StyleTrace(tuple(style_frames), tuple(sorted(cand)),
                           {} if bound_at is None else
                           {int(f): int(b) for f, b in zip(sub.frames, bound_at, strict=True)})
    return replace(s, cuts=tuple(planned), style_trace=trace)


def style_dp(grid: CandidateGrid) -> tuple[CandidateGrid, dict[str, float]]:
    """Gains of the cut DP under a style: log-odds of the style's probability.

    A candidate the style would cut on gains, one it would not loses, so the DP cuts
    where the style does; the recipe's interval stays as a light length penalty
    (:data:`STYLE_LENGTH_WEIGHT`) and ``min_shot``/``max_shot``/forced cuts as hard rules.

    Returns
    -------
    grid : CandidateGrid
        The same candidates, salience replaced by the gain (kind bonus removed).
    options : dict
        Keyword arguments for :func:`~editspec.plan.cutopt.choose_cuts`.
    """
    from editspec.plan.cutopt import KIND_BONUS, CandidateGrid

    p = np.clip(grid.salience, 0.02, 0.98)
    gain = np.log(p / (1 - p)) - KIND_BONUS[grid.kinds]
    return (CandidateGrid(grid.times, grid.frames, grid.kinds, gain, grid.labels),
            {"length_weight": STYLE_LENGTH_WEIGHT})
