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
   (:mod:`editspec.plan.cutopt`), on the frame nearest each musical event.
4. :func:`usable_segments` and :func:`assign_footage`: the clips' usable segments,
   matched to the slots by an exact assignment (:mod:`editspec.plan.assign`).
5. :func:`place_transitions`, :func:`reframe_events` (subject-centre track for the crop),
   :func:`zoom_pulses`, :func:`place_overlays`, :func:`musical_markers`: everything the
   backends draw is decided here, none of it in a backend.

Descends from Hedna et al. (2023), "A Model for the Automatic Mixing of Multiple Audio
and Video Clips", Cyberworlds: cuts on beats and downbeats scored by a recurrent model.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from editspec.analysis.audio import AudioAnalysis
from editspec.edl import EDL, MusicRef, SourceInfo, check_edl
from editspec.ir import Recipe
from editspec.plan.cuts import STYLE_MAX_RATIO, UNIT_KIND, place_cuts
from editspec.plan.explain import PACE_TOLERANCE, explain_footage, explain_pace, format_explain
from editspec.plan.footage import assign_footage, end_clips, usable_segments
from editspec.plan.overlays import musical_markers, place_overlays, place_transitions
from editspec.plan.picture import ZOOM_ENERGY, reframe_events, zoom_pulses
from editspec.plan.window import music_window, rule_targets

__all__ = ["PACE_TOLERANCE", "PASSES", "STYLE_MAX_RATIO", "UNIT_KIND", "ZOOM_ENERGY",
           "assign_footage", "end_clips", "explain_footage", "explain_pace", "format_explain",
           "music_window", "musical_markers", "place_cuts", "place_overlays",
           "place_transitions", "plan_edit", "reframe_events", "rule_targets", "usable_segments",
           "zoom_pulses"]


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
              "tracker": audio.tracker, "reused_shots": values["reused"],
              "explain": values["explain"],
              "warnings": values["warnings"],
              **({"picture_warnings": values["reframe_warnings"]}
                 if values.get("reframe_warnings") else {})},
        zoom_pulses=values["zoom_pulses"], overlays=values["overlays"],
    )
    check_edl(edl)
    return edl
