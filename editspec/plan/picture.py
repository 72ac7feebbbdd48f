"""The picture of each shot: :func:`reframe_events` (the crop path over the subject)
and :func:`zoom_pulses`."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping

from editspec.edl import (
    Event,
    Reframe,
    ZoomPulse,
)
from editspec.ir import Recipe
from editspec.plan.state import ClipFacts, PlanState, replace
from editspec.timecode import time_to_frame

log = logging.getLogger(__name__)


def reframe_events(s: PlanState) -> PlanState:
    """Fill the output's shape: give each event a crop path over its source span that keeps
    the subject (``reframe: cover``; held while the subject stays, eased when it moves),
    the whole picture on a blurred or black fill (``fit``), or the crop unless it would
    cut away most of the subject (``auto``); warn about sources enlarged beyond
    ``output.max_upscale`` (``picture_warnings``)."""
    events, warnings = reframe(s.recipe, s.clips, s.events)
    return replace(s, events=events, picture_warnings=warnings)


def reframe(recipe: Recipe, clips: Mapping[str, ClipFacts],
            events: tuple[Event, ...]) -> tuple[tuple[Event, ...], tuple[str, ...]]:
    """The events with their reframe, and the warnings of :func:`reframe_events`."""
    from editspec.analysis.video.reframe import follow_subject, upscale

    out_size = (recipe.output.width, recipe.output.height)
    mode = recipe.output.reframe
    fit = "fit-blur" if recipe.output.fill == "blur" else "letterbox"
    out = []
    soft: dict[str, float] = {}
    for ev in events:
        clip = clips.get(ev.clip)
        tracks = clip.tracks if clip is not None else None
        size = clip.display_size if clip is not None else None
        frame = Reframe(fit) if mode == "fit" else Reframe()
        if clip is not None and mode != "fit" and tracks is not None and size is not None:
            frame = follow_subject(tracks, float(clip.fps), ev.src_in, ev.src_out, size,
                                   out_size, clip.cut_frames,
                                   fit=fit if mode == "auto" else None)
        if size is not None:
            f = upscale(frame.mode, size, out_size)
            if f > recipe.output.max_upscale * (1 + 1e-6):
                soft[ev.clip] = max(soft.get(ev.clip, 0.0), f)
        out.append(dataclasses.replace(ev, reframe=frame))
    warnings = []
    for path, f in sorted(soft.items()):
        w, h = clips[path].display_size or (0, 0)
        warnings.append(f"{os.path.basename(path)} ({w}x{h}) is enlarged {f:.1f}x to fill "
                        f"{out_size[0]}x{out_size[1]} (output.max_upscale "
                        f"{recipe.output.max_upscale:g}): it will look soft")
        log.warning("%s", warnings[-1])
    return tuple(out), tuple(warnings)


ZOOM_ENERGY = 0.6
"""Zoom pulses fall on beats where the energy is at least this."""


def zoom_pulses(s: PlanState) -> PlanState:
    """Punch in on beats (or downbeats) whose energy reaches :data:`ZOOM_ENERGY`."""
    recipe, audio = s.recipe, s.audio
    fps, start_s, duration_frames = s.win.fps, s.win.start_s, s.win.duration_frames
    em = recipe.energy
    if em.zoom_pulse <= 0:
        return replace(s, zoom_pulses=())
    grid = audio.downbeats if em.zoom_pulse_on == "downbeat" else audio.beats
    length = max(2, time_to_frame(0.3 * 60.0 / max(audio.tempo, 1.0), fps))
    pulses = []
    for t in grid:
        f = time_to_frame(t - start_s, fps)
        if 0 <= f < duration_frames - 1 and audio.energy_at(t) >= ZOOM_ENERGY:
            pulses.append(ZoomPulse(f, min(length, duration_frames - f), float(em.zoom_pulse)))
    return replace(s, zoom_pulses=tuple(pulses))
