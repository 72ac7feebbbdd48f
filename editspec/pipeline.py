"""Drive the stages for a recipe: analysis → plan. Used by the CLI, the demo and batch.

The pipeline is where a learned style (``cuts.style``) is loaded and run over the song:
the planner takes its cut probabilities as a value and never imports :mod:`editspec.style`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from editspec.analysis.audio import AudioAnalysis
from editspec.edl import EDL
from editspec.ir import Recipe

if TYPE_CHECKING:
    from editspec.plan.state import StyleCuts


def analyze_recipe(recipe: Recipe, *, use_cache: bool = True, tracker: str | None = None,
                   workers: int | None = None) -> tuple[AudioAnalysis, dict[str, Any]]:
    """Analyze a recipe's song and clips (both cached by content hash).

    The media are first checked as ``editspec validate`` checks them (headers only): a
    still image in a clip pool or a clip without sound in an ``audio: true`` pool is
    the same recipe error here.

    Returns
    -------
    audio : AudioAnalysis
    clips : dict of str to VideoAnalysis
        Shots, motion, usable spans and subject centre of every clip.
    """
    from editspec.analysis.audio import analyze_audio
    from editspec.analysis.video import analyze_clips
    from editspec.errors import RecipeErrors
    from editspec.recipe.probe import probe_recipe_media

    problems = probe_recipe_media(recipe)  # what `validate` reports (headers only)
    if problems:
        raise RecipeErrors(problems)
    audio = analyze_audio(recipe.music.path, tracker=tracker, use_cache=use_cache)
    paths = list(recipe.clip_paths)
    for end in (recipe.intro, recipe.outro):
        if end is not None and end.path not in paths:
            paths.append(end.path)
    results = analyze_clips(paths, workers=workers, use_cache=use_cache)
    clips = {a.path: a for a in results}
    missing = [p for p in paths if p not in clips]
    if missing:
        from editspec.errors import MediaError

        raise MediaError(f"{missing[0]}: could not be analyzed")
    return audio, clips


def style_for(recipe: Recipe, audio: AudioAnalysis) -> StyleCuts | None:
    """The recipe's learned style (``cuts.style``) run over the song, or None without one.

    Raises
    ------
    ModelError
        When the style file cannot be loaded.
    """
    if recipe.cuts.style is None:
        return None
    from editspec.style.infer import style_cuts

    return style_cuts(recipe.cuts.style, audio)


def plan_analyzed(recipe: Recipe, audio: AudioAnalysis, clips: dict[str, Any]) -> EDL:
    """Plan a recipe whose song and clips are analyzed (:func:`analyze_recipe`), its
    learned style, if any, handed to the planner."""
    from editspec.plan import plan_edit

    return plan_edit(recipe, audio, clips, style_for(recipe, audio))


def plan_recipe(recipe: Recipe, *, use_cache: bool = True, tracker: str | None = None) -> EDL:
    """Analyze and plan a recipe into an EDL."""
    audio, clips = analyze_recipe(recipe, use_cache=use_cache, tracker=tracker)
    return plan_analyzed(recipe, audio, clips)
