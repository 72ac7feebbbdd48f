"""Planner: recipe IR + analyses → EDL.

``PASSES`` is a tuple of pure functions run in order over a frozen
:class:`~editspec.plan.state.PlanState`: each takes the state and returns a new one with
the fields it decides filled in (in the manner of sqlglot's optimizer rules). The
planner never calls ffmpeg, never decodes media and never looks at the file system:
song and clip facts come from the analysis stage, font and image files were resolved
when the recipe compiled, and a learned style's cut probabilities are handed in by the
pipeline (:class:`~editspec.plan.state.StyleCuts`).

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

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from editspec.analysis.audio import AudioAnalysis
from editspec.edl import EDL, MusicRef, SourceInfo, check_edl
from editspec.ir import Recipe
from editspec.plan.cuts import STYLE_MAX_RATIO, UNIT_KIND, place_cuts
from editspec.plan.explain import PACE_TOLERANCE, explain_footage, explain_pace, format_explain
from editspec.plan.footage import assign_footage, end_clips, usable_segments
from editspec.plan.overlays import musical_markers, place_overlays, place_transitions
from editspec.plan.picture import ZOOM_ENERGY, reframe_events, zoom_pulses
from editspec.plan.state import ClipFacts, Cut, PlanState, StyleCuts
from editspec.plan.window import music_window, rule_targets

if TYPE_CHECKING:
    from editspec.analysis.video import VideoAnalysis, VideoInfo

__all__ = ["PACE_TOLERANCE", "PASSES", "STYLE_MAX_RATIO", "UNIT_KIND", "ZOOM_ENERGY",
           "ClipFacts", "Cut", "PlanState", "StyleCuts", "assign_footage", "end_clips",
           "explain_footage", "explain_pace", "format_explain", "initial_state",
           "music_window", "musical_markers", "place_cuts", "place_overlays",
           "place_transitions", "plan_edit", "reframe_events", "rule_targets",
           "usable_segments", "zoom_pulses"]


PASSES: tuple[Callable[[PlanState], PlanState], ...] = (
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


def initial_state(recipe: Recipe, audio: AudioAnalysis,
                  clips: Mapping[str, VideoInfo | VideoAnalysis | ClipFacts],
                  style: StyleCuts | None = None) -> PlanState:
    """The state the first pass starts from: the inputs, each clip read as
    :class:`ClipFacts`."""
    return PlanState(recipe, audio, {p: ClipFacts.of(c) for p, c in clips.items()}, style)


def plan_edit(recipe: Recipe, audio: AudioAnalysis,
              clips: Mapping[str, VideoInfo | VideoAnalysis | ClipFacts],
              style: StyleCuts | None = None) -> EDL:
    """Plan an edit: run :data:`PASSES` over the recipe and the analyses.

    Parameters
    ----------
    recipe : Recipe
        The compiled recipe.
    audio : AudioAnalysis
        Analysis of ``recipe.music.path``.
    clips : dict of str to VideoInfo, VideoAnalysis or ClipFacts
        Facts of every clip in ``recipe.clip_paths`` (a VideoAnalysis adds shots, usable
        spans and motion).
    style : StyleCuts, optional
        The learned style of ``cuts.style`` on this song (required with one; the
        pipeline loads it: :func:`editspec.pipeline.plan_analyzed`).

    Returns
    -------
    EDL
        Frame-exact; the same inputs always give the same EDL.
    """
    s = initial_state(recipe, audio, clips, style)
    for step in PASSES:
        s = step(s)
    return to_edl(s)


def to_edl(s: PlanState) -> EDL:
    """The EDL of a state all :data:`PASSES` ran over."""
    recipe, audio, events = s.recipe, s.audio, s.events
    edl = EDL(
        fps=s.win.fps, size=(recipe.output.width, recipe.output.height),
        duration_frames=s.win.duration_frames,
        music=MusicRef(recipe.music.path, s.win.start_s, recipe.music.fade_in_s,
                       recipe.music.fade_out_s),
        events=events, markers=s.markers, recipe=recipe.path, seed=recipe.seed,
        sources={p: SourceInfo(s.clips[p].duration, s.clips[p].fps, *s.clips[p].source_size)
                 for p in sorted({e.clip for e in events})},
        meta={"tempo": round(audio.tempo, 3), "beats_per_bar": audio.beats_per_bar,
              "tracker": audio.tracker, "reused_shots": s.reused,
              "explain": list(s.explain), "warnings": list(s.warnings),
              **({"picture_warnings": list(s.picture_warnings)} if s.picture_warnings else {})},
        zoom_pulses=s.zoom_pulses, overlays=s.overlays,
    )
    check_edl(edl)
    return edl
