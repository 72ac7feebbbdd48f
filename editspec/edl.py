"""The edit-decision list: frame-exact, versioned, JSON on disk.

The planner writes it; every backend reads it and nothing else (a backend never
re-analyzes). Record positions (``rec_in``/``rec_out``) are integer frames at the
output rate; source positions (``src_in``/``src_out``) are seconds in the clip.
A cut is the ``rec_in`` of every event after the first.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from editspec.errors import EditspecError
from editspec.timecode import fps_to_json, parse_fps

EDL_VERSION = 1

# version -> function upgrading a dict of that version to version + 1
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


@dataclass(frozen=True, slots=True)
class Transition:
    """How an event begins: a transition from the previous event."""

    kind: str
    """``cut``, ``crossfade``, ``dip`` ...; backends that cannot do one fall back to a cut."""
    frames: int = 0
    """Length in output frames, centred on the cut."""


@dataclass(frozen=True, slots=True)
class Event:
    """One shot on the output timeline."""

    clip: str
    """Source clip path."""
    src_in: float
    """Source in point, seconds in the clip."""
    src_out: float
    """Source out point, seconds (exclusive)."""
    rec_in: int
    """First output frame."""
    rec_out: int
    """Output frame after the last (exclusive)."""
    transition: Transition | None = None
    """Transition into this event from the previous one (None: a cut)."""
    why: str = ""
    """What placed this event's cut, for ``--explain`` (e.g. ``beat 12 (every 2 beats)``)."""

    @property
    def frames(self) -> int:
        """Length in output frames."""
        return self.rec_out - self.rec_in


@dataclass(frozen=True, slots=True)
class Marker:
    """A musical landmark on the output timeline."""

    frame: int
    """Output frame."""
    kind: str
    """``beat``, ``downbeat`` or ``section``."""
    label: str = ""
    """Section label (``intro``, ``chorus``, ``A`` ...), empty for beats."""


@dataclass(frozen=True, slots=True)
class MusicRef:
    """The music window under the edit."""

    path: str
    """Music file."""
    start: float
    """Where in the file the output's frame 0 is, seconds."""
    fade_in: float = 0.0
    """Fade-in length, seconds."""
    fade_out: float = 0.0
    """Fade-out length at the end, seconds."""


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What backends need to know of a source clip without probing it again."""

    duration: float
    """Duration in seconds."""
    fps: Fraction
    """Frame rate."""
    width: int = 0
    """Width in pixels."""
    height: int = 0
    """Height in pixels."""


@dataclass(frozen=True, slots=True)
class EDL:
    """A whole edit, ready for any backend."""

    fps: Fraction
    """Output frame rate."""
    size: tuple[int, int]
    """Output (width, height) in pixels."""
    duration_frames: int
    """Output length in frames."""
    music: MusicRef | None
    """The song under the edit."""
    events: tuple[Event, ...]
    """Video events in order, covering 0..duration_frames without gaps."""
    markers: tuple[Marker, ...] = ()
    """Beats, downbeats and section starts in output frames."""
    recipe: str = ""
    """The recipe it was planned from."""
    seed: int = 0
    """The planner's seed."""
    version: int = EDL_VERSION
    """EDL format version."""
    sources: dict[str, SourceInfo] = field(default_factory=dict)
    """Facts of every clip the events use, by path (from the analysis stage)."""
    meta: dict[str, Any] = field(default_factory=dict, compare=False)
    """Free-form facts (tempo, generator) that no backend depends on."""

    @property
    def cuts(self) -> list[int]:
        """Output frames at which a new shot starts (``rec_in`` of events after the first)."""
        return [e.rec_in for e in self.events[1:]]


def check_edl(edl: EDL) -> None:
    """Raise :class:`EditspecError` unless events tile ``0..duration_frames`` in order."""
    pos = 0
    for i, e in enumerate(edl.events):
        if e.rec_in != pos or e.rec_out <= e.rec_in:
            raise EditspecError(f"EDL event {i}: rec_in={e.rec_in} rec_out={e.rec_out}, expected to "
                                f"start at frame {pos} and last at least one frame")
        if e.src_out <= e.src_in or e.src_in < 0:
            raise EditspecError(f"EDL event {i}: src_in={e.src_in} src_out={e.src_out} is empty")
        pos = e.rec_out
    if pos != edl.duration_frames:
        raise EditspecError(f"EDL events end at frame {pos}, duration_frames={edl.duration_frames}")


def _r(x: float) -> float:
    return round(float(x), 6)


def edl_to_dict(edl: EDL) -> dict[str, Any]:
    """Return the EDL's JSON form (DESIGN.md, version 1)."""
    def event(e: Event) -> dict[str, Any]:
        d: dict[str, Any] = {"clip": e.clip, "src_in": _r(e.src_in), "src_out": _r(e.src_out),
                             "rec_in": e.rec_in, "rec_out": e.rec_out}
        if e.transition is not None:
            d["transition"] = {"kind": e.transition.kind, "frames": e.transition.frames}
        if e.why:
            d["why"] = e.why
        return d

    return {
        "version": edl.version,
        "fps": fps_to_json(edl.fps),
        "size": list(edl.size),
        "duration_frames": edl.duration_frames,
        "music": None if edl.music is None else {
            "path": edl.music.path, "start": _r(edl.music.start),
            "fade_in": _r(edl.music.fade_in), "fade_out": _r(edl.music.fade_out)},
        "events": [event(e) for e in edl.events],
        "markers": [{"frame": m.frame, "kind": m.kind, **({"label": m.label} if m.label else {})}
                    for m in edl.markers],
        "recipe": edl.recipe,
        "seed": edl.seed,
        "sources": {p: {"duration": _r(s.duration), "fps": fps_to_json(s.fps),
                        "width": s.width, "height": s.height} for p, s in edl.sources.items()},
        "meta": edl.meta,
    }


def edl_to_json(edl: EDL) -> str:
    """Return the EDL as deterministic JSON text (sorted keys, rounded floats)."""
    return json.dumps(edl_to_dict(edl), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def edl_from_dict(data: dict[str, Any]) -> EDL:
    """Build an EDL from its JSON form, upgrading older versions first.

    Raises
    ------
    EditspecError
        When the data is not an EDL of a known version.
    """
    if not isinstance(data, dict) or "version" not in data:
        raise EditspecError("not an editspec EDL: no `version`")
    version = data["version"]
    if not isinstance(version, int) or version > EDL_VERSION or version < 1:
        raise EditspecError(f"EDL version {version!r} is not supported (this editspec reads "
                            f"1..{EDL_VERSION})")
    while version < EDL_VERSION:
        data = UPGRADES[version](data)
        version = data["version"]
    try:
        music = data.get("music")
        edl = EDL(
            fps=parse_fps(data["fps"]),
            size=(int(data["size"][0]), int(data["size"][1])),
            duration_frames=int(data["duration_frames"]),
            music=None if music is None else MusicRef(
                str(music["path"]), float(music["start"]), float(music.get("fade_in", 0.0)),
                float(music.get("fade_out", 0.0))),
            events=tuple(Event(
                clip=str(e["clip"]), src_in=float(e["src_in"]), src_out=float(e["src_out"]),
                rec_in=int(e["rec_in"]), rec_out=int(e["rec_out"]),
                transition=None if not e.get("transition") else Transition(
                    str(e["transition"]["kind"]), int(e["transition"].get("frames", 0))),
                why=str(e.get("why", ""))) for e in data["events"]),
            markers=tuple(Marker(int(m["frame"]), str(m["kind"]), str(m.get("label", "")))
                          for m in data.get("markers", [])),
            recipe=str(data.get("recipe", "")),
            seed=int(data.get("seed", 0)),
            sources={str(p): SourceInfo(float(s["duration"]), parse_fps(s["fps"]),
                                        int(s.get("width", 0)), int(s.get("height", 0)))
                     for p, s in data.get("sources", {}).items()},
            meta=dict(data.get("meta", {})),
        )
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise EditspecError(f"malformed EDL: {type(exc).__name__}: {exc}") from None
    check_edl(edl)
    return edl


def read_edl(path: str) -> EDL:
    """Read an EDL JSON file."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise EditspecError(f"{path}: cannot read EDL: {exc}") from None
    return edl_from_dict(data)


def write_edl(edl: EDL, path: str) -> None:
    """Write an EDL as JSON, atomically."""
    from editspec.fsutil import write_text_atomic

    write_text_atomic(path, edl_to_json(edl))
