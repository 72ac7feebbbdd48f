"""What is drawn over and between the shots: :func:`place_transitions`,
:func:`place_overlays` and :func:`musical_markers`."""

from __future__ import annotations

import dataclasses
import logging
from fractions import Fraction

import numpy as np

from editspec.analysis.audio import AudioAnalysis
from editspec.edl import (
    DEFAULT_SHADOW,
    ImageOverlay,
    Marker,
    TextOverlay,
    Transition,
)
from editspec.ir import Transition as TransitionRule
from editspec.plan.common import (
    sections_named,
    unit_seconds,
)
from editspec.plan.state import PlanState, replace
from editspec.timecode import time_to_frame

log = logging.getLogger(__name__)


def place_overlays(s: PlanState) -> PlanState:
    """Put the recipe's texts and images on the timeline: by time, or over every stretch
    of the named sections that the output shows; entrances and exits last their musical
    length at the song's tempo. Font and image files were resolved when the recipe
    compiled: nothing here looks at the file system."""
    recipe, audio = s.recipe, s.audio
    fps, start_s, duration_frames = s.win.fps, s.win.start_s, s.win.duration_frames
    placed: list[TextOverlay | ImageOverlay] = []
    end_s = start_s + duration_frames / float(fps)
    for ov in recipe.overlays:
        spans: list[tuple[int, int]] = []
        if ov.sections:
            for name in ov.sections:
                for sec in sections_named(audio, name, ov.span):
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
                    count * unit_seconds(unit, audio, recipe.cuts.phrase_bars)
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
    return replace(s, overlays=tuple(placed))


def place_transitions(s: PlanState) -> PlanState:
    """Give cuts the recipe's transitions (later entries win), never longer than the
    shorter neighbouring shot allows."""
    recipe, audio, events = s.recipe, s.audio, s.events
    fps, start_s = s.win.fps, s.win.start_s
    if not recipe.transitions:
        return s
    section_frames = {time_to_frame(sec.start - start_s, fps) for sec in audio.sections}
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
    return replace(s, events=tuple(out))


def _on_interval(tr: TransitionRule, audio: AudioAnalysis, frame: int, start_s: float,
                 fps: Fraction) -> bool:
    unit = tr.unit or "bar"
    grid = audio.downbeats if unit in ("bar", "phrase") else audio.beats
    step = int(tr.every or 1) * (4 if unit == "phrase" else 1)
    t = start_s + frame / float(fps)
    if not len(grid):
        return False
    i = int(np.argmin(np.abs(grid - t)))
    return abs(grid[i] - t) < 1.0 / float(fps) and i % max(step, 1) == 0


def musical_markers(s: PlanState) -> PlanState:
    """Mark beats, downbeats and section starts that fall inside the output."""
    audio = s.audio
    fps, start_s, duration_frames = s.win.fps, s.win.start_s, s.win.duration_frames
    markers: list[Marker] = []
    downs = {time_to_frame(t - start_s, fps) for t in audio.downbeats}
    for t in audio.beats:
        f = time_to_frame(t - start_s, fps)
        if 0 <= f < duration_frames:
            markers.append(Marker(f, "downbeat" if f in downs else "beat"))
    for sec in audio.sections:
        if sec.end > start_s and sec.start < start_s + duration_frames / fps:
            f = max(0, time_to_frame(sec.start - start_s, fps))
            markers.append(Marker(f, "section", sec.label))
    markers.sort(key=lambda m: (m.frame, m.kind, m.label))
    return replace(s, markers=tuple(markers))
