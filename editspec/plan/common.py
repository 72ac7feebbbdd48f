"""What the planner's passes share: recipe errors at a span, the song's sections and
units, the local beat period, rule descriptions and a clip's displayed size."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from editspec.analysis.audio import AudioAnalysis
from editspec.errors import RecipeError, RecipeErrors
from editspec.ir import CutRule, Span

log = logging.getLogger(__name__)


def error(span: Span, message: str, hint: str | None = None) -> RecipeErrors:
    return RecipeErrors([RecipeError(message, span.path, span.line, span.col, hint=hint)])


def sections_named(audio: AudioAnalysis, name: str, span: Span) -> list[Any]:
    found = [s for s in audio.sections if s.label == name]
    if not found:
        have = ", ".join(dict.fromkeys(s.label for s in audio.sections))
        raise error(span, f"the song has no section {name!r}", hint=f"its sections: {have}")
    return found


def beat_period(audio: AudioAnalysis, t: np.ndarray) -> np.ndarray:
    """Local beat period (s) at song times ``t``: the interval of the beat pair around each."""
    b = audio.beats
    if len(b) < 2:
        return np.full(len(t), 60.0 / max(audio.tempo, 1.0))
    ibi = np.diff(b)
    i = np.clip(np.searchsorted(b, t) - 1, 0, len(ibi) - 1)
    return ibi[i]


def unit_scale(unit: str, audio: AudioAnalysis, phrase_bars: int) -> float:
    """Beats per unit."""
    return {"half-beat": 0.5, "beat": 1.0, "bar": float(audio.beats_per_bar),
            "phrase": float(audio.beats_per_bar * phrase_bars),
            "section": float(audio.beats_per_bar * phrase_bars * 2)}[unit]


def unit_seconds(unit: str, audio: AudioAnalysis, phrase_bars: int) -> float:
    return unit_scale(unit, audio, phrase_bars) * 60.0 / max(audio.tempo, 1.0)


def section_at(audio: AudioAnalysis, t: float) -> str:
    for s in audio.sections:
        if s.start <= t < s.end:
            return s.label
    return audio.sections[-1].label if audio.sections else ""


def plural(value: float, unit: str) -> str:
    """``1 beat``, ``2 beats``, ``1.5 bars``."""
    return f"{value:g} {unit}" + ("" if value == 1 else "s")


def describe_rule(rule: CutRule, k: int) -> str:
    text = f"{k + 1}: every {plural(rule.every, rule.unit)}"
    if rule.energy_above is not None:
        text += f" when energy > {rule.energy_above:g}"
    if rule.energy_below is not None:
        text += f" when energy < {rule.energy_below:g}"
    if rule.sections:
        text += f" in {', '.join(rule.sections)}"
    return text
