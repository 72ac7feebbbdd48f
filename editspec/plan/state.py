"""The planner's state: typed, frozen values the passes read and fill.

Every pass of :data:`editspec.plan.PASSES` takes a :class:`PlanState` and returns a new
one with the fields it decides filled in (``dataclasses.replace``); nothing is shared or
changed in place. The inputs are the compiled recipe, the song's analysis, a
:class:`ClipFacts` per clip and, under a learned style, the :class:`StyleCuts` the
pipeline hands in (the planner never loads a style itself, so it does not import
:mod:`editspec.style`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from editspec.analysis.audio import AudioAnalysis
from editspec.edl import Event, ImageOverlay, Marker, TextOverlay, ZoomPulse
from editspec.ir import Recipe
from editspec.plan.assign import Segment, Slot

if TYPE_CHECKING:
    from editspec.analysis.video import VideoAnalysis, VideoInfo
    from editspec.analysis.video.moments import Moments
    from editspec.analysis.video.tracks import Tracks


@dataclass(frozen=True, slots=True)
class ClipFacts:
    """What the planner reads of a clip, the same whether it was only probed
    (:class:`~editspec.analysis.video.VideoInfo`) or analyzed
    (:class:`~editspec.analysis.video.VideoAnalysis`)."""

    path: str
    duration: float
    """Seconds."""
    fps: Fraction
    display_size: tuple[int, int] | None
    """Displayed (width, height), rotation and pixel aspect applied; None when unknown."""
    source_size: tuple[int, int] = (0, 0)
    """The size an analysis recorded (what the EDL's ``sources`` names; (0, 0) for a
    probed clip)."""
    usable: tuple[tuple[float, float], ...] | None = None
    """Spans (s) not black, blurred or badly exposed; None: not analyzed (all usable)."""
    cuts: tuple[float, ...] = ()
    """Times (s) at which a new shot of the clip starts."""
    motion: tuple[float, ...] = ()
    """Mean motion of each of the clip's shots, 0..1."""
    cut_frames: np.ndarray | None = None
    """First frame of each new shot (None: not analyzed)."""
    tracks: Tracks | None = None
    """Per-frame subject tracks, for the crop."""
    moments: Moments | None = None
    """Per-frame moment scores (and frozen frames)."""

    @classmethod
    def of(cls, info: VideoInfo | VideoAnalysis | ClipFacts) -> ClipFacts:
        """The facts of a probed or analyzed clip."""
        from editspec.analysis.video import VideoAnalysis, VideoInfo

        if isinstance(info, ClipFacts):
            return info
        if isinstance(info, VideoInfo):
            size = None
            if info.width > 0 and info.height > 0:
                w, h = max(1, round(info.width * info.sar)), info.height
                size = (h, w) if info.rotation % 180 == 90 else (w, h)
            return cls(info.path, info.duration, info.fps, size)
        if not isinstance(info, VideoAnalysis):
            raise TypeError(f"clip facts of a {type(info).__name__}")
        size = tuple(int(v) for v in info.size) if info.size[0] > 0 and info.size[1] > 0 \
            else None
        usable = tuple((float(a), float(b)) for a, b in info.usable) if len(info.usable) \
            else None
        return cls(info.path, info.duration, info.fps, size, tuple(info.size), usable,
                   tuple(float(c) for c in info.cuts), tuple(float(m) for m in info.motion),
                   info.cut_frames, info.tracks, info.moments)


@dataclass(frozen=True, slots=True)
class StyleCuts:
    """A learned style on this song, handed in by the pipeline (``cuts.style``)."""

    salience_at: Callable[[Any], np.ndarray]
    """Song time(s) → the style's cut probability there (0 away from beats)."""
    beats: np.ndarray
    """The song's beat times (s)."""
    prob: np.ndarray
    """The style's cut probability at each beat, its own decisions fed back."""
    threshold: float
    """A beat is cut on when its probability reaches this."""


@dataclass(frozen=True, slots=True)
class Window:
    """Where the output sits in the song."""

    fps: Fraction
    start_s: float
    """Song time of the output's first frame."""
    duration_frames: int


@dataclass(frozen=True, slots=True)
class Targets:
    """The rule that holds and the shot length it asks, on a 10 ms grid over the output."""

    grid_t: np.ndarray
    """Song times of the grid."""
    rule_at: np.ndarray
    """Index of the rule that holds at each grid time."""
    target_at: np.ndarray
    """Shot length (s) asked at each grid time."""


@dataclass(frozen=True, slots=True)
class Cut:
    """A planned cut."""

    frame: int
    """Output frame the new shot starts on."""
    time: float
    """Output time of the musical event (s)."""
    event: str
    """What it is (``downbeat 12``, ``section chorus``)."""
    salience: float
    energy: float
    """Music energy at the cut, 0..1."""
    rule: str
    """The rule that placed it, described."""
    rule_index: int
    forced: bool
    """A cut the DP had to make (a section change to snap to)."""


@dataclass(frozen=True, slots=True)
class StyleTrace:
    """What the learned style would have done, for the explain warnings."""

    own: tuple[int, ...]
    """Frames the style would cut on by itself."""
    candidates: tuple[int, ...]
    """Frames of the rules' candidates."""
    bound_frames: Mapping[int, int]
    """Candidate frame → the longest shot (frames) the rules allow from it."""


@dataclass(frozen=True, slots=True)
class ShotFootage:
    """The footage a slot got and why."""

    clip: str
    src_in: float
    why: str


@dataclass(frozen=True, slots=True)
class PlanState:
    """Inputs and everything the passes decided so far."""

    recipe: Recipe
    audio: AudioAnalysis
    clips: Mapping[str, ClipFacts]
    style: StyleCuts | None = None
    window: Window | None = None
    targets: Targets | None = None
    cuts: tuple[Cut, ...] = ()
    style_trace: StyleTrace | None = None
    segments: tuple[Segment, ...] = ()
    slots: tuple[Slot, ...] = ()
    events: tuple[Event, ...] = ()
    reused: int = 0
    """Shots that reuse footage (the pool was too small)."""
    footage: Mapping[int, ShotFootage] = field(default_factory=dict)
    """Record frame of each assigned shot → its footage."""
    zoom_pulses: tuple[ZoomPulse, ...] = ()
    overlays: tuple[TextOverlay | ImageOverlay, ...] = ()
    markers: tuple[Marker, ...] = ()
    explain: tuple[Mapping[str, Any], ...] = ()
    """One row per shot for ``plan --explain`` (JSON values)."""
    warnings: tuple[str, ...] = ()
    picture_warnings: tuple[str, ...] = ()

    @property
    def win(self) -> Window:
        """The window (set by the first pass)."""
        assert self.window is not None, "music_window runs first"
        return self.window

    @property
    def tgt(self) -> Targets:
        """The targets (set by ``rule_targets``)."""
        assert self.targets is not None, "rule_targets runs before this pass"
        return self.targets


def replace(state: PlanState, **changes: Any) -> PlanState:
    """``dataclasses.replace`` for the passes."""
    return dataclasses.replace(state, **changes)
