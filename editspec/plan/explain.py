"""Why each shot is as it is: :func:`explain_pace` (pace asked and got, what bent it,
the warnings), :func:`explain_footage` and :func:`format_explain` (``plan --explain``)."""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np

from editspec.analysis.audio import AudioAnalysis
from editspec.edl import (
    EDL,
    Event,
)
from editspec.ir import Recipe
from editspec.plan.common import (
    beat_period,
    describe_rule,
    plural,
    unit_seconds,
)
from editspec.plan.cuts import STYLE_MAX_RATIO
from editspec.plan.state import Cut, PlanState, StyleTrace, replace

log = logging.getLogger(__name__)


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
    """A shot length in beats as a pace in the rule's measure: ``every 2 beats``,
    ``every 1 bar``."""
    half = round(beats * 4) / 4 if beats < 0.875 else round(beats * 2) / 2
    if unit in ("half-beat", "beat") or half < beats_per_bar:
        return f"every {plural(half, 'beat')}"
    bars = round(half / max(beats_per_bar, 1), 2)
    return f"every {plural(bars, 'bar')}"


def explain_pace(s: PlanState) -> PlanState:
    """Say, shot by shot, which rule placed it, the pace it asked and the pace it got.

    Every shot of the final events (the first included) gets an explain row; a shot whose
    length strays from its rule's (more than :data:`PACE_TOLERANCE` octaves) names what
    bent it: ``min_shot``, ``max_shot``, a section change, the next rule, the footage
    (intro/outro clips), the learned style or the music's candidates. Each rule that did
    not get its pace gets a warning naming the rule, the pace asked and the pace given,
    and a learned style that the rules overruled gets one too.

    Fills ``explain`` (one row per event) and ``warnings``.
    """
    recipe, audio, events, cuts, style = s.recipe, s.audio, s.events, s.cuts, s.style_trace
    fps, start_s, duration_frames = s.win.fps, s.win.start_s, s.win.duration_frames
    rule_at, target_at = s.tgt.rule_at, s.tgt.target_at
    c = recipe.cuts
    fpsf = float(fps)
    by_frame = {cut.frame: cut for cut in cuts}
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
        period = float(beat_period(audio, np.array([t0]))[0])
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
               "event": "start" if n == 0 else (cut.event if cut else ev.why or "cut"),
               "energy": round(float(audio.energy_at(t0)), 3),
               "salience": None if cut is None else round(cut.salience, 3),
               "clip": ev.clip, "src_in": ev.src_in,
               "rule": describe_rule(rule, k) + (" · learned style" if c.style else ""),
               "asked": _pace_text(asked_beats, rule.unit, bpb) if recipe.energy.density
                        else f"every {plural(rule.every, rule.unit)}",
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
        asked = f"every {plural(rule.every, rule.unit)}"
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
    return replace(s, explain=tuple(rows), warnings=tuple(warnings))


def _bent_by(recipe: Recipe, audio: AudioAnalysis, n: int, events: tuple[Event, ...],
             by_frame: dict[int, Cut], style: StyleTrace | None, k: int,
             rule_at: np.ndarray, longer: bool, asked_s: float, duration_frames: int,
             fps: float, start_s: float) -> str:
    """What made shot ``n`` longer or shorter than its rule asked."""
    c = recipe.cuts
    ev = events[n]
    frame_s = 1.0 / fps
    if ev.rec_out >= duration_frames:
        return "the end of the output"
    step_s = unit_seconds(c.rules[k].unit, audio, c.phrase_bars)
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
        if any(abs(ev.rec_out - f) <= 1 for f in style.own):
            return "the learned style"
        # a cut the style would not make: the rules placed it
        if end_cut.forced:
            return "a section change"
        limit = (f"max_shot {c.max_shot_s:g}s" if c.max_shot_s is not None else
                 f"{STYLE_MAX_RATIO:g}x the rule's interval")
        return f"the rules' bound on the style ({limit})"
    if not longer and end_cut.forced:
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


def _style_disagreement(recipe: Recipe, style: StyleTrace, cuts: tuple[Cut, ...],
                        fps: float) -> list[str]:
    """Warnings where the rules overruled the learned style: cuts it would not make, cuts
    of its own that were dropped, and why."""
    c = recipe.cuts
    planned = [int(x.frame) for x in cuts]
    own = list(style.own)
    cands = set(style.candidates)
    near = lambda f, pool: any(abs(f - p) <= 1 for p in pool)  # noqa: E731
    forced = [f for f in planned if not near(f, own)]
    dropped = [f for f in own if not near(f, planned)]
    if not forced and not dropped:
        return []
    parts = []
    if forced:
        bound = [f for f in forced if f in {x.frame for x in cuts if x.forced}]
        why = ("section changes" if len(bound) == len(forced) else
               f"max_shot {c.max_shot_s:g}s" if c.max_shot_s else
               f"no shot may run past {STYLE_MAX_RATIO:g}x its rule's interval")
        parts.append(f"{len(forced)} cuts the style would not make ({why})")
    if dropped:
        off = [f for f in dropped if not near(f, cands)]
        why = []
        if off:
            units = ", ".join(dict.fromkeys(f"every {plural(r.every, r.unit)}"
                                            for r in c.rules))
            why.append(f"{len(off)} not on the rules' candidates ({units})")
        if len(dropped) > len(off):
            why.append(f"{len(dropped) - len(off)} closer than min_shot {c.min_shot_s:g}s "
                       "or against the rules' interval")
        parts.append(f"{len(dropped)} of its own cuts dropped ({'; '.join(why)})")
    return [f"the learned style and the rules disagree: the style would cut {len(own)} times, "
            f"the plan cuts {len(planned)}: " + "; ".join(parts)]


def explain_footage(s: PlanState) -> PlanState:
    """Add to each explain row why its footage was chosen (``footage``; intro and outro
    clips play as they are and get none)."""
    rows = []
    for r in s.explain:
        got = s.footage.get(r["frame"])
        if got is not None and got.clip == r["clip"] and got.src_in == r["src_in"]:
            r = {**r, "footage": got.why}
        rows.append(r)
    return replace(s, explain=tuple(rows))


def format_explain(edl: EDL) -> str:
    """Return the ``plan --explain`` table: one row per shot (the first included), the
    pace each really has, then the plan's warnings."""

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
