"""The typed recipe IR: what both recipe front ends compile to and the planner reads.

Every node keeps the :class:`Span` of the recipe text it came from, so a problem found
by a later stage (a section the song does not have) is reported at the recipe's
position. Spans never take part in equality: the same recipe in YAML and in the DSL
compiles to equal IRs. Named cut patterns are already expanded to rules here.
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
    """Output duration in seconds; None means the whole song from ``music.start`` (or the
    section named by ``duration_section``)."""
    span: Span = field(default=NO_SPAN, compare=False)
    """Recipe position of the ``output`` block."""
    aspect: str | None = None
    """The aspect preset the size came from (``9:16``), or None for an explicit size."""
    duration_section: str | None = None
    """A section name: the output lasts as long as that section of the song."""
    duration_span: Span = field(default=NO_SPAN, compare=False)
    """Recipe position of ``output.duration``."""
    reframe: str = "cover"
    """How a source of another shape fills the output: ``cover``, ``fit`` or ``auto``."""
    fill: str = "blur"
    """Around a fitted picture: ``blur`` or ``black``."""
    max_upscale: float = 2.0
    """Largest enlargement of a source before it is avoided and warned about."""


@dataclass(frozen=True, slots=True)
class Music:
    """The song and which part of it plays."""

    path: str
    """Absolute path of the music file."""
    start_s: float
    """Where in the song the output starts, seconds (0 when ``start_auto`` or a section)."""
    fade_in_s: float = 0.0
    """Fade-in length at the start of the output, seconds."""
    fade_out_s: float = 1.0
    """Fade-out length at the end of the output, seconds."""
    span: Span = field(default=NO_SPAN, compare=False)
    """Recipe position of the ``music`` block."""
    start_auto: bool = False
    """Start at the best window of the output's length (``start: auto``)."""
    start_section: str | None = None
    """Start at the first downbeat of this section (``start: chorus``)."""
    start_span: Span = field(default=NO_SPAN, compare=False)
    """Recipe position of ``music.start``."""
    end_s: float | None = None
    """Where in the song the music stops, seconds (None: not limited)."""
    gain_db: float = 0.0
    """Level change of the music, dB."""


@dataclass(frozen=True, slots=True)
class ClipPool:
    """One entry of ``clips``: globs or files resolved to files, with options."""

    pattern: str
    """The first glob or path as written (relative to the recipe's folder)."""
    paths: tuple[str, ...]
    """Absolute paths it matched, sorted, each once."""
    span: Span = field(default=NO_SPAN, compare=False)
    """Recipe position of the entry."""
    patterns: tuple[str, ...] = ()
    """Every glob or path of the pool as written."""
    tags: tuple[str, ...] = ()
    """Labels that rules and the planner use to pick from the pool."""
    in_s: float | None = None
    """Use the clips from this time on, seconds."""
    out_s: float | None = None
    """Use the clips up to this time, seconds."""
    weight: float = 1.0
    """How often the pool is picked relative to others."""
    must_include: bool = False
    """Every clip of the pool appears at least once."""
    hero: bool = False
    """Hero clips: first shot and loudest moments."""
    audio: bool = False
    """Mix the clips' own sound under the music."""


CUT_UNITS = ("beat", "half-beat", "bar", "phrase", "section")


@dataclass(frozen=True, slots=True)
class CutRule:
    """How often to cut, and where that applies."""

    every: float
    """Cut every this many units."""
    unit: str
    """``beat``, ``half-beat``, ``bar``, ``phrase`` or ``section``."""
    min_shot_s: float = 0.0
    """Shortest shot allowed, seconds (the whole ``cuts`` block's value)."""
    span: Span = field(default=NO_SPAN, compare=False)
    """Recipe position of the rule."""
    energy_above: float | None = None
    """Applies where the energy (0..1) is above this."""
    energy_below: float | None = None
    """Applies where the energy (0..1) is below this."""
    sections: tuple[str, ...] = ()
    """Applies only in these sections (empty: everywhere)."""

    @property
    def unconditional(self) -> bool:
        """True when the rule applies everywhere."""
        return self.energy_above is None and self.energy_below is None and not self.sections


@dataclass(frozen=True, slots=True)
class Cuts:
    """Where to cut: ordered rules (the first that holds wins) and shot limits.

    ``every``/``unit``/``min_shot_s`` give the default rule in the units the v0
    planner knows (``beat`` or ``bar``).
    """

    rules: tuple[CutRule, ...]
    """Ordered rules, patterns already expanded."""
    min_shot_s: float = 0.0
    """Shortest shot allowed, seconds; closer cuts are dropped."""
    max_shot_s: float | None = None
    """Longest shot allowed, seconds."""
    snap_to_downbeat: bool = False
    """Move cuts at section changes to the section's first downbeat."""
    phrase_bars: int = 4
    """Bars in a phrase."""
    pattern: str | None = None
    """The named pattern the rules came from, if any."""
    span: Span = field(default=NO_SPAN, compare=False)
    """Recipe position of the ``cuts`` block."""
    style: str | None = None
    """A learned cutting style (``editspec learn``): path of its ``.npz`` file, resolved
    relative to the recipe; its per-beat cut probability replaces the cut salience."""

    @property
    def default_rule(self) -> CutRule:
        """The first rule that applies everywhere, else the first rule."""
        return next((r for r in self.rules if r.unconditional), self.rules[0])

    @property
    def every(self) -> float:
        """Interval of the default rule in :attr:`unit` (half-beats and phrases converted)."""
        r = self.default_rule
        if r.unit == "half-beat":
            return r.every / 2
        if r.unit == "phrase":
            return r.every * self.phrase_bars
        if r.unit == "section":
            return r.every * 2 * self.phrase_bars
        return r.every

    @property
    def unit(self) -> str:
        """``beat`` or ``bar``: the unit of :attr:`every`."""
        return "beat" if self.default_rule.unit in ("beat", "half-beat") else "bar"


@dataclass(frozen=True, slots=True)
class EnergyMap:
    """How the music's energy shapes the edit."""

    density: bool = False
    """Cut density follows energy."""
    motion: bool = False
    """Clip motion matched to energy."""
    zoom_pulse: float = 0.0
    """Zoom by this fraction on each pulsing beat (0: off)."""
    zoom_pulse_on: str = "beat"
    """``beat`` or ``downbeat``."""
    speed_ramps: bool = False
    """Playback speed follows energy."""
    speed_min: float = 0.5
    """Slowest speed of a ramp."""
    speed_max: float = 2.0
    """Fastest speed of a ramp."""
    span: Span = field(default=NO_SPAN, compare=False)
    """Recipe position of the ``energy`` block."""


@dataclass(frozen=True, slots=True)
class Transition:
    """A transition between shots."""

    kind: str
    """``cut``, ``crossfade``, ``dip-to-black``, ``dip-to-white`` or ``flash``."""
    length_s: float
    """Length, seconds."""
    when: str = "every-cut"
    """``section-change``, ``every-cut``, ``downbeat`` or ``interval``."""
    every: float | None = None
    """For ``when == "interval"``: every this many ``unit``."""
    unit: str | None = None
    """For ``when == "interval"``: the unit of ``every``."""
    span: Span = field(default=NO_SPAN, compare=False)
    """Recipe position of the entry."""


@dataclass(frozen=True, slots=True)
class TextStyle:
    """Resolved look of a text: fonts and colours looked up in the brand."""

    font: str | None = None
    """Font family or file, as written (a brand font's name looked up)."""
    size: int | None = None
    """Text height, output pixels."""
    color: str | None = None
    """``#rrggbb[aa]`` or a basic colour name."""
    background: str | None = None
    """Box colour behind the text."""
    position: str | None = None
    """Default position."""
    font_file: str | None = None
    """The font file ``font`` and ``weight`` resolved to (``path`` or ``path#index``); None:
    the shipped DejaVu Sans."""
    weight: int | None = None
    """Weight, 100..900 (``bold`` = 700)."""
    min_size: int | None = None
    """Smallest size the text may shrink to so that it fits, pixels."""
    outline: str | None = None
    """Outline colour (``none``: no outline)."""
    shadow: str | None = None
    """Shadow colour (``none``: no shadow; None: the default shadow unless there is a box)."""
    safe_area: str | None = None
    """``auto`` or ``none``."""
    enter: str | None = None
    """Entrance: ``none``, ``fade``, ``slide-up`` ..."""
    exit: str | None = None
    """Exit, as ``enter``."""
    animation_length: tuple[float, str] | None = None
    """Length of the entrance and the exit: (count, unit), unit ``s`` or a musical unit
    (``beat``, ``half-beat``, ``bar``); None: 1 beat."""


@dataclass(frozen=True, slots=True)
class Overlay:
    """Text or an image drawn over the picture."""

    kind: str
    """``text`` or ``image``."""
    text: str | None = None
    """The text, variables filled."""
    image: str | None = None
    """Absolute path of the image."""
    style: TextStyle = field(default_factory=TextStyle)
    """Look of a text (style, brand and overlay settings merged)."""
    position: str = "bottom"
    """Where it stands."""
    scale: float = 0.2
    """Image width as a fraction of the output width."""
    opacity: float = 1.0
    """0..1."""
    start_s: float = 0.0
    """Appears at, seconds from the output start."""
    end_s: float | None = None
    """Disappears at, seconds (None: output end)."""
    sections: tuple[str, ...] = ()
    """Shown during these sections instead of a time range."""
    span: Span = field(default=NO_SPAN, compare=False)
    """Recipe position of the entry."""


@dataclass(frozen=True, slots=True)
class EndClip:
    """An intro or outro clip played as it is."""

    path: str
    """Absolute path."""
    duration_s: float | None = None
    """Play only this much (None: all)."""
    span: Span = field(default=NO_SPAN, compare=False)
    """Recipe position."""


@dataclass(frozen=True, slots=True)
class Brand:
    """Brand elements (from a brand kit and the recipe)."""

    name: str | None = None
    """The brand's name."""
    fonts: tuple[tuple[str, str], ...] = ()
    """Named fonts."""
    colors: tuple[tuple[str, str], ...] = ()
    """Named colours."""
    text_styles: tuple[tuple[str, TextStyle], ...] = ()
    """Named text styles, resolved."""
    span: Span = field(default=NO_SPAN, compare=False)
    """Recipe position of the ``brand`` block."""


@dataclass(frozen=True, slots=True)
class Variable:
    """A template variable and the value it took."""

    name: str
    """Its name."""
    type: str
    """Declared type."""
    value: str | int | float | bool
    """The value used (from ``--set``, a table row, or the default)."""
    span: Span = field(default=NO_SPAN, compare=False)
    """Recipe position of the declaration."""


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
    cuts: Cuts
    """Cut rules (``cuts.every``/``cuts.unit``/``cuts.min_shot_s``: the default rule)."""
    seed: int = 0
    """Seed of every random choice the planner makes."""
    energy: EnergyMap = field(default_factory=EnergyMap)
    """How energy shapes the edit."""
    transitions: tuple[Transition, ...] = ()
    """Transitions, in recipe order (later wins)."""
    overlays: tuple[Overlay, ...] = ()
    """Overlays, the brand logo first."""
    intro: EndClip | None = None
    """Clip before the edit."""
    outro: EndClip | None = None
    """Clip after the edit."""
    brand: Brand = field(default_factory=Brand)
    """Brand elements."""
    variables: tuple[Variable, ...] = ()
    """Variables and their values."""
    extends: tuple[str, ...] = field(default=(), compare=False)
    """Brand kits merged in, outermost first (absolute paths)."""

    @property
    def clip_paths(self) -> tuple[str, ...]:
        """All clip files, in pool order, each once."""
        seen: dict[str, None] = {}
        for pool in self.clips:
            for p in pool.paths:
                seen.setdefault(p, None)
        return tuple(seen)
