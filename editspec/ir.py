"""The typed recipe IR: what both recipe front ends compile to and the planner reads.

Every node keeps the :class:`Span` of the recipe text it came from, so a problem found
by a later stage (a section the song does not have) is reported at the recipe's position.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class Span:
    """Where a node stands in its recipe file."""

    path: str
    """Recipe file."""
    line: int = 0
    """1-based line (0 when unknown)."""
    col: int = 0
    """1-based column (0 when unknown)."""


NO_SPAN = Span("<recipe>")


@dataclass(frozen=True, slots=True)
class Output:
    """The output picture and length."""

    width: int
    """Output width in pixels (even)."""
    height: int
    """Output height in pixels (even)."""
    fps: Fraction
    """Output frame rate."""
    duration_s: float | None
    """Output duration in seconds; None means the whole song from ``music.start``."""
    span: Span = field(default=NO_SPAN, compare=False)
    """Recipe position of the ``output`` block."""


@dataclass(frozen=True, slots=True)
class Music:
    """The song and which part of it plays."""

    path: str
    """Absolute path of the music file."""
    start_s: float
    """Where in the song the output starts, seconds."""
    fade_in_s: float = 0.0
    """Fade-in length at the start of the output, seconds."""
    fade_out_s: float = 1.0
    """Fade-out length at the end of the output, seconds."""
    span: Span = field(default=NO_SPAN, compare=False)
    """Recipe position of the ``music`` block."""


@dataclass(frozen=True, slots=True)
class ClipPool:
    """One entry of ``clips``: a glob or a file, resolved to files."""

    pattern: str
    """The glob or path as written (relative to the recipe's folder)."""
    paths: tuple[str, ...]
    """Absolute paths it matched, sorted."""
    span: Span = field(default=NO_SPAN, compare=False)
    """Recipe position of the entry."""


@dataclass(frozen=True, slots=True)
class CutRule:
    """How often to cut."""

    every: float
    """Cut every this many units."""
    unit: str
    """``beat`` or ``bar``."""
    min_shot_s: float = 0.0
    """Shortest shot allowed, seconds; closer cuts are dropped."""
    span: Span = field(default=NO_SPAN, compare=False)
    """Recipe position of the ``cuts`` block."""


@dataclass(frozen=True, slots=True)
class Recipe:
    """A whole recipe, validated and resolved."""

    version: int
    """Recipe format version."""
    path: str
    """The recipe file (absolute), or ``<recipe>`` for text."""
    output: Output
    """Output picture and length."""
    music: Music
    """The song."""
    clips: tuple[ClipPool, ...]
    """Clip pools in recipe order."""
    cuts: CutRule
    """Cut rule."""
    seed: int = 0
    """Seed of every random choice the planner makes."""

    @property
    def clip_paths(self) -> tuple[str, ...]:
        """All clip files, in pool order, each once."""
        seen: dict[str, None] = {}
        for pool in self.clips:
            for p in pool.paths:
                seen.setdefault(p, None)
        return tuple(seen)
