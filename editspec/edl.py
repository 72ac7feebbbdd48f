"""The edit-decision list: frame-exact, versioned, JSON on disk.

The planner writes it; every backend reads it and nothing else (a backend never
re-analyzes). Record positions (``rec_in``/``rec_out``) are integer frames at the
output rate; source positions (``src_in``/``src_out``) are seconds in the clip.
A cut is the ``rec_in`` of every event after the first.

Version 2 adds what a render draws beyond cuts (all optional, defaults keep a version 1
file's meaning): per event ``reframe``, ``speed`` and ``audio``; per edit ``zoom_pulses``,
``overlays``, ``mix`` and ``encode``. Version 3 adds the text layout fields of a text
overlay (weight, minimum size, outline, shadow, safe area, entrance and exit).
``docs/edl.md`` documents every field, and how a transition is centred on its cut.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from editspec.errors import EditspecError
from editspec.timecode import fps_to_json, parse_fps

EDL_VERSION = 3

# version -> function upgrading a dict of that version to version + 1
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def _upgrade_1_to_2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 only adds optional fields whose defaults are version 1's meaning."""
    return {**data, "version": 2}


def _upgrade_2_to_3(data: dict[str, Any]) -> dict[str, Any]:
    """Version 3 adds text layout fields; a version 2 text drew no shadow, which stays so
    (version 3 files write ``shadow`` explicitly), and its font is the same DejaVu Sans."""
    overlays = [{**o, "shadow": o.get("shadow", "")} if o.get("type", "text") == "text" else o
                for o in data.get("overlays", [])]
    return {**data, "version": 3, "overlays": overlays}


UPGRADES[1] = _upgrade_1_to_2
UPGRADES[2] = _upgrade_2_to_3
ENTRANCES = ("none", "fade", "slide-up", "slide-down", "slide-left", "slide-right")
"""Entrances and exits of a text overlay."""
SAFE_AREAS = ("auto", "none")
"""Where named positions of a text overlay stand."""

DEFAULT_SHADOW = "#000000b3"
"""Shadow the planner gives a recipe's title unless it has a box or ``shadow: none``."""
REFRAME_MODES = ("cover", "fit-blur", "letterbox")
"""How a source picture fills the output frame."""


@dataclass(frozen=True, slots=True)
class Transition:
    """How an event begins: a transition from the previous event."""

    kind: str
    """``cut``, ``crossfade``, ``dip`` ...; backends that cannot do one fall back to a cut."""
    frames: int = 0
    """Length in output frames, centred on the cut."""


@dataclass(frozen=True, slots=True)
class Reframe:
    """How an event's picture fills the output frame."""

    mode: str = "cover"
    """``cover`` (scale to fill, crop around the centre), ``fit-blur`` (whole picture over a
    blurred, filled copy of itself) or ``letterbox`` (whole picture on black)."""
    center: tuple[float, float] = (0.5, 0.5)
    """Fixed subject centre (x, y), normalized 0..1 in the source picture (``cover`` only)."""
    track: tuple[tuple[float, float, float], ...] = ()
    """Subject-centre track ``(t, x, y)``: source seconds and normalized centre, t increasing;
    linear between points, held before the first and after the last. Overrides ``center``."""


@dataclass(frozen=True, slots=True)
class Speed:
    """Playback speed of an event's source: constant, or a ramp over the event."""

    points: tuple[tuple[int, float], ...] = ((0, 1.0),)
    """``(frame, speed)``: frame counted from the event's ``rec_in``, speed > 0 (2.0 plays
    twice as fast); linear between points, held outside. One point: constant."""


@dataclass(frozen=True, slots=True)
class EventAudio:
    """Whether an event plays its clip's own sound under the music."""

    use: bool = False
    """Mix the clip's sound (from ``src_in``, at the event's speed) under the music."""
    gain_db: float = 0.0
    """Gain of the clip's sound, dB."""



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
    reframe: Reframe = Reframe()
    """How the picture fills the frame (version 2; default: cover, centred)."""
    speed: Speed = Speed()
    """Playback speed (version 2; default 1)."""
    audio: EventAudio = EventAudio()
    """The clip's own sound (version 2; default: muted)."""

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
class ZoomPulse:
    """A short punch-in on the output picture, decaying to no zoom."""

    frame: int
    """First output frame of the pulse."""
    frames: int
    """Length in output frames (> 0)."""
    amount: float = 0.08
    """Zoom at the pulse's first frame minus 1 (0.08: 8 % closer), falling linearly to 0."""


@dataclass(frozen=True, slots=True)
class TextOverlay:
    """Text drawn over the output, exactly as written (no expansion, no markup)."""

    text: str
    """The text; newlines break lines."""
    rec_in: int
    """First output frame it shows on."""
    rec_out: int
    """Output frame after the last (exclusive)."""
    font: str = ""
    """Font file (.ttf/.otf/.ttc, ``path#index`` for a face of a collection); empty: the
    DejaVu Sans shipped with editspec (bold from ``weight`` 600)."""
    size: int = 64
    """Text height (em size), output pixels: the largest size; the layout may shrink it."""
    color: str = "#ffffff"
    """``#rrggbb[aa]`` or a colour name (``white``)."""
    box: str = ""
    """Box colour behind the text (``#rrggbb[aa]``); empty: no box."""
    position: str = "bottom"
    """``center``, ``top``, ``bottom``, ``left``, ``right``, ``top-left`` ... or ``"x,y"``:
    the text's centre, normalized 0..1 on the output."""
    weight: int = 400
    """Weight of the shipped font (only when ``font`` is empty), 100..900 (version 3)."""
    min_size: int = 0
    """Smallest size the layout may shrink the text to so that it fits; 0: 60 % of ``size``
    (at least 12 px) (version 3)."""
    outline: str = ""
    """Outline colour around the glyphs; empty: none (version 3)."""
    shadow: str = ""
    """Drop shadow colour (``#rrggbbaa``); empty: none (version 3)."""
    safe_area: str = "auto"
    """``auto``: named positions stand inside the platform safe zone (9:16) or the
    title-safe area (other shapes), ``docs/render.md``; ``none``: the whole frame (version 3)."""
    enter: str = "none"
    """Entrance: ``none``, ``fade``, ``slide-up``, ``slide-down``, ``slide-left``,
    ``slide-right`` (slides also fade) (version 3)."""
    enter_frames: int = 0
    """Length of the entrance, output frames (version 3)."""
    exit: str = "none"
    """Exit, as ``enter`` (a slide moves on in its direction) (version 3)."""
    exit_frames: int = 0
    """Length of the exit, output frames (version 3)."""


@dataclass(frozen=True, slots=True)
class ImageOverlay:
    """An image (a logo) drawn over the output."""

    path: str
    """Image file (PNG with alpha, JPEG ...)."""
    rec_in: int
    """First output frame it shows on."""
    rec_out: int
    """Output frame after the last (exclusive)."""
    position: str = "top-right"
    """As :attr:`TextOverlay.position`."""
    scale: float = 0.2
    """Width as a fraction of the output width."""
    opacity: float = 1.0
    """0..1."""


@dataclass(frozen=True, slots=True)
class AudioMix:
    """How the sound is mixed and how loud it ends up."""

    loudness_lufs: float | None = -14.0
    """Integrated loudness target, LUFS (-14 social, -23 broadcast); None: no normalization."""
    true_peak_db: float = -1.0
    """Peak ceiling after normalization, dBFS."""
    duck_db: float = 12.0
    """How far the music ducks under clips' own sound, dB (0: no ducking)."""


@dataclass(frozen=True, slots=True)
class Encode:
    """Video encoder settings."""

    codec: str = "h264"
    """``h264``, ``h265``, ``vp9`` or ``av1``."""
    crf: int | None = 20
    """Constant quality (lower is better); ignored when ``bitrate`` is set."""
    bitrate: str = ""
    """Target bitrate (``8M``); empty: constant quality."""
    preset: str = "veryfast"
    """Encoder speed preset (x264/x265 names; mapped for vp9 and av1)."""
    hardware: str = ""
    """Hardware encoder to use when present (``h264_nvenc``, ``h264_vaapi``, ``hevc_qsv``);
    empty: software."""
    audio_bitrate: str = "192k"
    """AAC (or Opus in WebM) bitrate."""


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
    zoom_pulses: tuple[ZoomPulse, ...] = ()
    """Punch-ins on the output picture (version 2)."""
    overlays: tuple[TextOverlay | ImageOverlay, ...] = ()
    """Text and images over the output, drawn in order (version 2)."""
    mix: AudioMix = AudioMix()
    """Loudness target and ducking (version 2)."""
    encode: Encode = Encode()
    """Video encoder settings (version 2)."""

    @property
    def cuts(self) -> list[int]:
        """Output frames at which a new shot starts (``rec_in`` of events after the first)."""
        return [e.rec_in for e in self.events[1:]]


def check_edl(edl: EDL) -> None:
    """Raise :class:`EditspecError` unless events tile ``0..duration_frames`` in order."""
    pos = 0
    for i, e in enumerate(edl.events):
        if e.rec_in != pos or e.rec_out <= e.rec_in:
            raise EditspecError(f"EDL event {i}: rec_in={e.rec_in} rec_out={e.rec_out}, "
                                "expected to "
                                f"start at frame {pos} and last at least one frame")
        if not (math.isfinite(e.src_in) and math.isfinite(e.src_out)):  # NaN passes < and >
            raise EditspecError(f"EDL event {i}: src_in={e.src_in} src_out={e.src_out} "
                                "is not a time")
        if e.src_out <= e.src_in or e.src_in < 0:
            raise EditspecError(f"EDL event {i}: src_in={e.src_in} src_out={e.src_out} is empty")
        pos = e.rec_out
    if pos != edl.duration_frames:
        raise EditspecError(f"EDL events end at frame {pos}, duration_frames={edl.duration_frames}")
    for i, o in enumerate(edl.overlays):
        if not 0 <= o.rec_in < o.rec_out:
            raise EditspecError(f"EDL overlay {i}: rec_in={o.rec_in} rec_out={o.rec_out} is empty")
    for i, z in enumerate(edl.zoom_pulses):
        if z.frames <= 0 or z.frame < 0:
            raise EditspecError(f"EDL zoom pulse {i}: frame={z.frame} frames={z.frames}, "
                                f"expected frame >= 0 and frames > 0")


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
        if e.reframe != Reframe():
            d["reframe"] = {"mode": e.reframe.mode, "center": [_r(v) for v in e.reframe.center],
                            "track": [[_r(v) for v in p] for p in e.reframe.track]}
        if e.speed != Speed():
            d["speed"] = [[f, _r(v)] for f, v in e.speed.points]
        if e.audio != EventAudio():
            d["audio"] = {"use": e.audio.use, "gain_db": _r(e.audio.gain_db)}
        return d

    def overlay(o: TextOverlay | ImageOverlay) -> dict[str, Any]:
        if isinstance(o, TextOverlay):
            return {"type": "text", "text": o.text, "rec_in": o.rec_in, "rec_out": o.rec_out,
                    "font": o.font, "size": o.size, "color": o.color, "box": o.box,
                    "position": o.position, "weight": o.weight, "min_size": o.min_size,
                    "outline": o.outline, "shadow": o.shadow, "safe_area": o.safe_area,
                    "enter": o.enter, "enter_frames": o.enter_frames, "exit": o.exit,
                    "exit_frames": o.exit_frames}
        return {"type": "image", "path": o.path, "rec_in": o.rec_in, "rec_out": o.rec_out,
                "position": o.position, "scale": _r(o.scale), "opacity": _r(o.opacity)}

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
        "zoom_pulses": [{"frame": z.frame, "frames": z.frames, "amount": _r(z.amount)}
                        for z in edl.zoom_pulses],
        "overlays": [overlay(o) for o in edl.overlays],
        "mix": {"loudness_lufs": None if edl.mix.loudness_lufs is None
                else _r(edl.mix.loudness_lufs), "true_peak_db": _r(edl.mix.true_peak_db),
                "duck_db": _r(edl.mix.duck_db)},
        "encode": {"codec": edl.encode.codec, "crf": edl.encode.crf,
                   "bitrate": edl.encode.bitrate, "preset": edl.encode.preset,
                   "hardware": edl.encode.hardware, "audio_bitrate": edl.encode.audio_bitrate},
    }


def edl_to_json(edl: EDL) -> str:
    """Return the EDL as deterministic JSON text (sorted keys, rounded floats)."""
    return json.dumps(edl_to_dict(edl), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _reframe(d: dict[str, Any] | None) -> Reframe:
    if not d:
        return Reframe()
    mode = str(d.get("mode", "cover"))
    if mode not in REFRAME_MODES:
        raise ValueError(f"reframe mode {mode!r} is not one of {', '.join(REFRAME_MODES)}")
    cx, cy = d.get("center", (0.5, 0.5))
    return Reframe(mode, (float(cx), float(cy)),
                   tuple((float(t), float(x), float(y)) for t, x, y in d.get("track", ())))


def _speed(points: list[Any] | None) -> Speed:
    if not points:
        return Speed()
    out = tuple((int(f), float(v)) for f, v in points)
    if any(v <= 0 for _, v in out):
        raise ValueError(f"speed points {out} must all be > 0")
    return Speed(out)


def _event_audio(d: dict[str, Any] | None) -> EventAudio:
    if not d:
        return EventAudio()
    return EventAudio(bool(d.get("use", False)), float(d.get("gain_db", 0.0)))


def _overlay(d: dict[str, Any]) -> TextOverlay | ImageOverlay:
    kind = d.get("type", "text")
    if kind == "text":
        o = TextOverlay(str(d["text"]), int(d["rec_in"]), int(d["rec_out"]),
                        str(d.get("font", "")), int(d.get("size", 64)),
                        str(d.get("color", "#ffffff")), str(d.get("box", "")),
                        str(d.get("position", "bottom")), int(d.get("weight", 400)),
                        int(d.get("min_size", 0)), str(d.get("outline", "")),
                        str(d.get("shadow", "")), str(d.get("safe_area", "auto")),
                        str(d.get("enter", "none")), int(d.get("enter_frames", 0)),
                        str(d.get("exit", "none")), int(d.get("exit_frames", 0)))
        for what, value in (("enter", o.enter), ("exit", o.exit)):
            if value not in ENTRANCES:
                raise ValueError(f"text {what} {value!r} is not one of {', '.join(ENTRANCES)}")
        if o.safe_area not in SAFE_AREAS:
            raise ValueError(f"safe_area {o.safe_area!r} is not one of {', '.join(SAFE_AREAS)}")
        if o.enter_frames < 0 or o.exit_frames < 0:
            raise ValueError(f"enter_frames/exit_frames {o.enter_frames}/{o.exit_frames} "
                             f"must be >= 0")
        return o
    if kind == "image":
        return ImageOverlay(str(d["path"]), int(d["rec_in"]), int(d["rec_out"]),
                            str(d.get("position", "top-right")), float(d.get("scale", 0.2)),
                            float(d.get("opacity", 1.0)))
    raise ValueError(f"overlay type {kind!r} is not text or image")


def _mix(d: dict[str, Any] | None) -> AudioMix:
    if d is None:
        return AudioMix()
    lufs = d.get("loudness_lufs", -14.0)
    return AudioMix(None if lufs is None else float(lufs), float(d.get("true_peak_db", -1.0)),
                    float(d.get("duck_db", 12.0)))


def _encode(d: dict[str, Any] | None) -> Encode:
    if d is None:
        return Encode()
    crf = d.get("crf", 20)
    return Encode(str(d.get("codec", "h264")), None if crf is None else int(crf),
                  str(d.get("bitrate", "")), str(d.get("preset", "veryfast")),
                  str(d.get("hardware", "")), str(d.get("audio_bitrate", "192k")))


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
                why=str(e.get("why", "")), reframe=_reframe(e.get("reframe")),
                speed=_speed(e.get("speed")), audio=_event_audio(e.get("audio")))
                for e in data["events"]),
            markers=tuple(Marker(int(m["frame"]), str(m["kind"]), str(m.get("label", "")))
                          for m in data.get("markers", [])),
            recipe=str(data.get("recipe", "")),
            seed=int(data.get("seed", 0)),
            sources={str(p): SourceInfo(float(s["duration"]), parse_fps(s["fps"]),
                                        int(s.get("width", 0)), int(s.get("height", 0)))
                     for p, s in data.get("sources", {}).items()},
            meta=dict(data.get("meta", {})),
            zoom_pulses=tuple(ZoomPulse(int(z["frame"]), int(z["frames"]),
                                        float(z.get("amount", 0.08)))
                              for z in data.get("zoom_pulses", [])),
            overlays=tuple(_overlay(o) for o in data.get("overlays", [])),
            mix=_mix(data.get("mix")),
            encode=_encode(data.get("encode")),
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
