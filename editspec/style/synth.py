"""Edited videos with a known ("hidden") cutting rule, made with editspec itself.

Tests and ``bench/learn.py`` learn a style from these and check that it reproduces the
rule on other music. The rule (:func:`hidden_rule`): every beat where the music is
loud, every two bars elsewhere, always at a section start (snapped to its downbeat).
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from editspec.analysis.audio import AudioAnalysis
    from editspec.edl import EDL
    from editspec.ir import Cuts

LOUD = 0.6
"""Energy above which the hidden rule cuts on every beat."""


def hidden_rule(loud: float = LOUD, max_shot_s: float | None = None) -> Cuts:
    """The hidden rule as a recipe's cuts: every beat above ``loud``, else every two bars,
    section starts forced (and no shot longer than ``max_shot_s``, when given)."""
    from editspec.ir import CutRule, Cuts

    return Cuts((CutRule(1, "beat", energy_above=loud), CutRule(2, "bar")),
                snap_to_downbeat=True, max_shot_s=max_shot_s)


def rule_edit(song: str, audio: AudioAnalysis, clips: dict[str, Any], *,
              size: tuple[int, int] = (160, 90), fps: int = 30, start_s: float = 0.0,
              duration_s: float | None = None, cuts: Cuts | None = None,
              seed: int = 0, repeat: int = 1) -> EDL:
    """Plan an edit of ``song`` over ``clips`` with the hidden rule (small, fast encode).

    Parameters
    ----------
    song : str
        Music file.
    audio : AudioAnalysis
        Its analysis.
    clips : dict of str to VideoAnalysis
        The footage.
    size, fps : output size and rate.
    start_s, duration_s : the window of the song (None: to its end).
    cuts : Cuts, optional
        Another rule.
    seed : int
        Seed of the footage assignment.
    repeat : int
        List every clip this many times in the pool (a small pool of footage then
        fills many long shots).
    """
    from editspec.edl import AudioMix, Encode
    from editspec.ir import ClipPool, Music, Output, Recipe
    from editspec.plan import plan_edit

    recipe = Recipe(1, "rule.yaml", Output(size[0], size[1], Fraction(fps), duration_s),
                    Music(song, float(start_s)), (ClipPool("footage", tuple(clips) * max(1, repeat)),),  # noqa: E501
                    cuts or hidden_rule(), seed=seed)
    edl = plan_edit(recipe, audio, clips)
    return dataclasses.replace(edl, encode=Encode(codec="h264", crf=32, preset="ultrafast",
                                                  audio_bitrate="96k"),
                               mix=AudioMix(loudness_lufs=None))


def render_rule_edit(edl: EDL, path: str) -> None:
    """Render a planned edit with the ffmpeg backend (no progress bar)."""
    from editspec.backends.ffmpeg import write

    write(edl, path, progress=False)
