"""Drive the stages for a recipe: analysis → plan. Used by the CLI, the demo and batch."""

from __future__ import annotations

from editspec.analysis.audio import AudioAnalysis
from editspec.analysis.video import VideoInfo
from editspec.edl import EDL
from editspec.ir import Recipe


def analyze_recipe(recipe: Recipe, *, use_cache: bool = True
                   ) -> tuple[AudioAnalysis, dict[str, VideoInfo]]:
    """Analyze a recipe's song and read its clips' facts.

    Returns
    -------
    audio : AudioAnalysis
    clips : dict of str to VideoInfo
    """
    from editspec.analysis.audio import analyze_audio
    from editspec.analysis.video import probe_video

    audio = analyze_audio(recipe.music.path, use_cache=use_cache)
    clips = {p: probe_video(p) for p in recipe.clip_paths}
    return audio, clips


def plan_recipe(recipe: Recipe, *, use_cache: bool = True) -> EDL:
    """Analyze and plan a recipe into an EDL."""
    from editspec.plan import plan_edit

    audio, clips = analyze_recipe(recipe, use_cache=use_cache)
    return plan_edit(recipe, audio, clips)
