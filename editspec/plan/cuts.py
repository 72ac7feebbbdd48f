"""Where the cuts go: :func:`place_cuts` (dynamic programming over the musical
candidates, :mod:`editspec.plan.cutopt`)."""

from __future__ import annotations

import logging
from fractions import Fraction
from typing import Any

import numpy as np

from editspec.analysis.audio import AudioAnalysis
from editspec.ir import Recipe
from editspec.plan.common import (
    describe_rule,
    error,
)
from editspec.timecode import time_to_frame

log = logging.getLogger(__name__)


UNIT_KIND = {"half-beat": 1, "beat": 2, "bar": 3, "phrase": 4, "section": 5}
"""Lowest candidate kind (see :data:`editspec.plan.cutopt.KIND_NAMES`) a rule of each unit
cuts on."""


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
    from editspec.plan.cutopt import CandidateGrid, candidate_grid, choose_cuts

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
        raise error(cuts.span, f"cannot place cuts: {exc}",
                     hint="loosen cuts.min_shot / cuts.max_shot or choose another unit") from None
    planned = []
    for c in chosen:
        k = int(rule_of[c])
        planned.append({"frame": int(sub.frames[c]), "time": float(sub.times[c]),
                        "event": sub.labels[c], "salience": float(sub.salience[c]),
                        "energy": float(audio.energy_at(sub.times[c] + start_s)),
                        "rule": describe_rule(cuts.rules[k], k), "rule_index": k,
                        "forced": bool(must[c])})
    style: dict[str, Any] | None = None
    if style_frames is not None:
        cand = {int(f): i for i, f in enumerate(sub.frames)}
        style = {"own": style_frames, "candidates": sorted(cand),
                 "bound_frames": {} if bound_at is None else
                 {int(f): int(b) for f, b in zip(sub.frames, bound_at, strict=True)}}
    return {"cuts": planned, "style": style}
