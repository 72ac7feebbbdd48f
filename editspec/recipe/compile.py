"""Recipe data → validated, resolved :class:`editspec.ir.Recipe`.

Both front ends end here: the document (kits merged, variables filled) is validated
against the JSON Schema (every problem, at the node's position, with a hint), then
times, rates, sizes and musical intervals are parsed, named cut patterns are expanded
to rules (once, before planning), brand styles and colours are looked up, and paths
are resolved relative to the file that names them and kept inside the allowed roots.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Sequence
from typing import Any

from editspec.errors import RecipeError, RecipeErrors
from editspec.ir import (
    Brand,
    ClipPool,
    CutRule,
    Cuts,
    EndClip,
    EnergyMap,
    Music,
    Output,
    Overlay,
    Recipe,
    Span,
    TextStyle,
    Transition,
    Variable,
)
from editspec.recipe.from_yaml import Marks
from editspec.recipe.report import did_you_mean
from editspec.recipe.template import inside_roots
from editspec.recipe.validate import validate_schema
from editspec.text import fonts as textfonts
from editspec.timecode import parse_fps, parse_time

DEFAULT_SIZE = (1080, 1920)
DEFAULT_FPS = 30
DEFAULT_DURATION_S = 30.0
DEFAULT_EVERY = "2 beats"
MAX_TIME_S = 360_000.0
ASPECT_SIZES = {"9:16": (1080, 1920), "1:1": (1080, 1080), "4:5": (1080, 1350),
                "16:9": (1920, 1080)}
BASIC_COLORS = ("white", "black", "red", "green", "blue", "yellow", "cyan", "magenta", "gray",
                "grey", "orange", "purple", "pink", "transparent")
TRANSITION_LENGTH_S = {"cut": 0.0, "flash": 0.1}
_MEASURE_RE = re.compile(r"^\s*(?:([0-9]+(?:\.[0-9]+)?)\s*)?([a-z-]+?)s?\s*$")
_GAIN_RE = re.compile(r"^\s*([-+]?[0-9]+(?:\.[0-9]+)?)\s*dB\s*$")

# Named cut patterns → (rules as (every, energy_above), defaults for the cuts block).
PATTERNS: dict[str, tuple[tuple[tuple[str, float | None], ...], dict[str, Any]]] = {
    "every-beat": ((("1 beat", None),), {}),
    "every-bar": ((("1 bar", None),), {}),
    "energy-map": ((("1 beat", 0.75), ("2 beats", 0.4), ("1 bar", None)), {}),
    "build-up-and-drop": ((("1 half-beat", 0.85), ("1 beat", 0.65), ("2 beats", 0.4),
                           ("1 bar", None)), {"snap_to_downbeat": True}),
    "phrase": ((("1 phrase", None),), {}),
    "calm": ((("1 bar", 0.7), ("2 bars", None)), {"min_shot": "2s"}),
}


def parse_measure(text: str) -> tuple[float, str]:
    """Return ``(count, unit)`` of a musical interval such as ``2 beats`` or ``half-beat``.

    Raises
    ------
    ValueError
        When the text is not an interval or the count is not > 0.
    """
    m = _MEASURE_RE.match(text)
    if not m or m.group(2) not in ("beat", "half-beat", "bar", "phrase", "section"):
        raise ValueError(f"{text!r} is not a musical interval like 2 beats or 1 bar")
    count = float(m.group(1)) if m.group(1) else 1.0
    if count <= 0:
        raise ValueError(f"{text!r}: the count must be > 0")
    return count, m.group(2)


class _Compiler:
    """One compilation: the document, its marks, and the problems found so far."""

    def __init__(self, data: dict[str, Any], marks: Marks, path: str, base: str,
                 check_files: bool, roots: Sequence[str]) -> None:
        self.data = data
        self.marks = marks
        self.path = path
        self.base = base
        self.check_files = check_files
        self.fonts: dict[tuple[Any, ...], str | None] = {}
        self.roots = tuple(roots)
        self.errors: list[RecipeError] = []

    # -- helpers ------------------------------------------------------------------------

    def span(self, p: tuple[Any, ...]) -> Span:
        return Span(*self.marks.pos(p))

    def error(self, p: tuple[Any, ...], message: str, hint: str | None = None,
              code: str = "invalid-value") -> None:
        self.errors.append(self.marks.error(p, message, hint=hint, code=code))

    def time(self, p: tuple[Any, ...], value: Any, default: float | None) -> float | None:
        if value is None:
            return default
        try:
            seconds = parse_time(value)
        except ValueError as exc:
            self.error(p, str(exc))
            return default
        if seconds > MAX_TIME_S:
            self.error(p, f"{value!r} is longer than {MAX_TIME_S / 3600:g} hours",
                       code="out-of-range")
            return default
        return seconds

    def base_of(self, p: tuple[Any, ...]) -> str:
        """Folder that a path written at ``p`` is relative to (a kit's for kit values)."""
        file = self.marks.pos(p)[0]
        if file != self.marks.path and os.path.isfile(file):
            return os.path.dirname(os.path.abspath(file))
        return self.base

    def resolve(self, p: tuple[Any, ...], rel: str) -> str | None:
        """Absolute path of ``rel``; None (and an error) when it leaves the roots."""
        base = self.base_of(p)
        full = os.path.normpath(os.path.join(base, rel))
        prefix = full
        while glob.has_magic(prefix):
            prefix = os.path.dirname(prefix)
        if self.roots and not inside_roots(prefix, self.roots):
            self.error(p, f"path {rel[:80]!r} is outside the recipe's folder",
                       hint="paths stay inside the recipe's folder tree, where symlinks are "
                            "followed: symlink the files in, or pass --media-root DIR to allow "
                            "files under DIR", code="outside-root")
            return None
        return full

    def file(self, p: tuple[Any, ...], rel: str, what: str) -> str:
        full = self.resolve(p, rel)
        if full is None:
            return os.path.normpath(os.path.join(self.base_of(p), rel))
        if self.check_files and not os.path.isfile(full):
            self.error(p, f"{what} {rel[:80]!r} does not exist",
                       hint=f"paths are relative to {self.base_of(p)}", code="missing-file")
        return full

    def glob(self, p: tuple[Any, ...], pattern: str) -> tuple[str, ...]:
        full = self.resolve(p, pattern)
        if full is None:
            return ()
        found = tuple(sorted(
            os.path.abspath(f) for f in glob.iglob(full, recursive=True)
            if os.path.isfile(f) and (not self.roots or inside_roots(f, self.roots))))
        if self.check_files and not found:
            kind = "glob" if glob.has_magic(pattern) else "file"
            self.error(p, f"clip {kind} {pattern[:80]!r} matches no file",
                       hint=f"paths are relative to {self.base_of(p)}", code="no-match")
        return found

    def sections(self, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        return (value,) if isinstance(value, str) else tuple(value)

    # -- blocks -------------------------------------------------------------------------

    def output(self) -> Output:
        out = self.data.get("output", {})
        width, height = DEFAULT_SIZE
        aspect = None
        size = out.get("size")
        if size in ASPECT_SIZES:
            aspect = size
            width, height = ASPECT_SIZES[size]
        elif size is not None:
            width, height = (int(v) for v in size.split("x"))
            if width % 2 or height % 2 or width < 16 or height < 16 or \
                    width > 8192 or height > 8192:
                self.error(("output", "size"),
                           f"size {size} must have even width and height from 16 to 8192",
                           hint="H.264 needs even sizes, e.g. 1080x1920")
        fps = parse_fps(DEFAULT_FPS)
        if "fps" in out:
            try:
                fps = parse_fps(out["fps"])
            except (ValueError, ZeroDivisionError) as exc:
                self.error(("output", "fps"), str(exc))
            if fps > 240:
                self.error(("output", "fps"), f"fps={out['fps']} must be <= 240",
                           code="out-of-range")
                fps = parse_fps(DEFAULT_FPS)
        duration: float | None = DEFAULT_DURATION_S
        section = None
        d = out.get("duration")
        if d == "song":
            duration = None
        elif isinstance(d, str) and re.match(r"^[A-Za-z]", d):
            duration, section = None, d
        elif d is not None:
            duration = self.time(("output", "duration"), d, DEFAULT_DURATION_S)
            if duration is not None and duration <= 0:
                self.error(("output", "duration"), "duration must be > 0", code="out-of-range")
        return Output(width, height, fps, duration, self.span(("output",)), aspect=aspect,
                      duration_section=section, duration_span=self.span(("output", "duration")),
                      reframe=out.get("reframe", "cover"), fill=out.get("fill", "blur"),
                      max_upscale=float(out.get("max_upscale", 2.0)))

    def music(self) -> Music:
        mus = self.data["music"]
        p = ("music",)
        start = mus.get("start")
        start_s, auto, section = 0.0, False, None
        if start == "auto":
            auto = True
        elif isinstance(start, str) and re.match(r"^[A-Za-z]", start):
            section = start
        else:
            start_s = self.time((*p, "start"), start, 0.0) or 0.0
        end_s = self.time((*p, "end"), mus.get("end"), None)
        if end_s is not None and not auto and section is None and end_s <= start_s:
            self.error((*p, "end"), f"music.end {end_s:g}s must be after music.start "
                                    f"{start_s:g}s", code="out-of-range")
        gain = mus.get("gain", 0.0)
        if isinstance(gain, str):
            m = _GAIN_RE.match(gain)
            gain = float(m.group(1)) if m else 0.0
        return Music(
            path=self.file((*p, "file"), mus["file"], "music file"),
            start_s=start_s,
            fade_in_s=self.time((*p, "fade_in"), mus.get("fade_in"), 0.0) or 0.0,
            fade_out_s=self.time((*p, "fade_out"), mus.get("fade_out"), 1.0) or 0.0,
            span=self.span(p), start_auto=auto, start_section=section,
            start_span=self.span((*p, "start")), end_s=end_s, gain_db=float(gain))

    def clips(self) -> tuple[ClipPool, ...]:
        pools = []
        for i, item in enumerate(self.data["clips"]):
            p: tuple[Any, ...] = ("clips", i)
            if isinstance(item, str):
                pools.append(ClipPool(item, self.glob(p, item), self.span(p), patterns=(item,)))
                continue
            files = item["files"]
            patterns = (files,) if isinstance(files, str) else tuple(files)
            found: dict[str, None] = {}
            for j, pat in enumerate(patterns):
                fp = (*p, "files") if isinstance(files, str) else (*p, "files", j)
                for f in self.glob(fp, pat):
                    found.setdefault(f, None)
            in_s = self.time((*p, "in"), item.get("in"), None)
            out_s = self.time((*p, "out"), item.get("out"), None)
            if in_s is not None and out_s is not None and out_s <= in_s:
                self.error((*p, "out"), f"clips[{i}].out {out_s:g}s must be after in {in_s:g}s",
                           code="out-of-range")
            pools.append(ClipPool(
                patterns[0], tuple(found), self.span(p), patterns=patterns,
                tags=tuple(item.get("tags", ())), in_s=in_s, out_s=out_s,
                weight=float(item.get("weight", 1.0)), must_include=item.get("must_include", False),
                hero=item.get("hero", False), audio=item.get("audio", False)))
        return tuple(pools)

    def rule(self, p: tuple[Any, ...], spec: dict[str, Any], min_shot_s: float) -> CutRule:
        try:
            every, unit = parse_measure(spec["every"])
        except ValueError as exc:
            self.error((*p, "every"), str(exc))
            every, unit = 2.0, "beat"
        above, below = spec.get("energy_above"), spec.get("energy_below")
        if above is not None and below is not None and above >= below:
            self.error(p, f"energy_above {above:g} and energy_below {below:g} never both hold",
                       hint="energy_above must be smaller than energy_below",
                       code="out-of-range")
        return CutRule(every, unit, min_shot_s, self.span(p),
                       energy_above=None if above is None else float(above),
                       energy_below=None if below is None else float(below),
                       sections=self.sections(spec.get("section")))

    def cuts(self) -> Cuts:
        c = dict(self.data.get("cuts", {}))
        p = ("cuts",)
        given = [k for k in ("every", "rules", "pattern") if k in c]
        if len(given) > 1:
            self.error((*p, given[1]), f"cuts has both {given[0]!r} and {given[1]!r}",
                       hint="use one of every, rules or pattern", code="conflict")
        pattern = c.get("pattern")
        specs: list[tuple[tuple[Any, ...], dict[str, Any]]]
        if "rules" in c:
            specs = [((*p, "rules", i), r) for i, r in enumerate(c["rules"])]
        elif pattern is not None:
            rules, defaults = PATTERNS[pattern]
            for k, v in defaults.items():
                c.setdefault(k, v)
            specs = [((*p, "pattern"), {"every": e} | ({} if a is None else {"energy_above": a}))
                     for e, a in rules]
        else:
            specs = [((*p, "every") if "every" in c else p, {"every": c.get("every",
                                                                            DEFAULT_EVERY)})]
        min_shot = self.time((*p, "min_shot"), c.get("min_shot"), 0.0) or 0.0
        max_shot = self.time((*p, "max_shot"), c.get("max_shot"), None)
        if max_shot is not None and max_shot < min_shot:
            self.error((*p, "max_shot"), f"max_shot {max_shot:g}s is shorter than min_shot "
                                         f"{min_shot:g}s", code="out-of-range")
        rules_ir = tuple(self.rule(rp, spec, min_shot) for rp, spec in specs)
        style = c.get("style")
        style_path = None if style is None else self.file((*p, "style"), style, "style file")
        return Cuts(rules_ir, min_shot_s=min_shot, max_shot_s=max_shot,
                    snap_to_downbeat=bool(c.get("snap_to_downbeat", False)),
                    phrase_bars=int(c.get("phrase_bars", 4)), pattern=pattern, span=self.span(p),
                    style=style_path)

    def energy(self) -> EnergyMap:
        e = self.data.get("energy", {})
        lo, hi = float(e.get("speed_min", 0.5)), float(e.get("speed_max", 2.0))
        return EnergyMap(density=e.get("density", False), motion=e.get("motion", False),
                         zoom_pulse=float(e.get("zoom_pulse", 0.0)),
                         zoom_pulse_on=e.get("zoom_pulse_on", "beat"),
                         speed_ramps=e.get("speed_ramps", False), speed_min=lo, speed_max=hi,
                         span=self.span(("energy",)))

    def transitions(self) -> tuple[Transition, ...]:
        out = []
        for i, t in enumerate(self.data.get("transitions", ())):
            p = ("transitions", i)
            kind = t["type"]
            length = self.time((*p, "length"), t.get("length"),
                               TRANSITION_LENGTH_S.get(kind, 0.5)) or 0.0
            when = t.get("when", "every-cut")
            every = unit = None
            if when not in ("section-change", "every-cut", "downbeat"):
                try:
                    every, unit = parse_measure(when)
                except ValueError as exc:
                    self.error((*p, "when"), str(exc))
                when = "interval"
            out.append(Transition(kind, length, when, every, unit, self.span(p)))
        return tuple(out)

    def color(self, p: tuple[Any, ...], value: Any, colors: dict[str, str]) -> str | None:
        if value is None or value.startswith("#"):
            return value
        if value in colors:
            return colors[value]
        if value.lower() in BASIC_COLORS:
            return value.lower()
        close = did_you_mean(value, [*colors, *BASIC_COLORS])
        self.error(p, f"unknown colour {value!r}",
                   hint=f"did you mean {close!r}?" if close else
                   "use #rrggbb, a brand colour or a basic colour name", code="unknown-name")
        return None

    def style(self, p: tuple[Any, ...], spec: dict[str, Any], brand_fonts: dict[str, str],
              colors: dict[str, str], base: TextStyle | None = None) -> TextStyle:
        b = base or TextStyle()
        font = spec.get("font")
        font_at = (*p, "font")
        if font is not None and font in brand_fonts:
            font_at = ("brand", "fonts", font)
            font = brand_fonts[font]
        elif font is None:
            font = b.font
        weight = b.weight
        if "weight" in spec:
            try:
                weight = textfonts.parse_weight(spec["weight"])
            except textfonts.FontNotFoundError as exc:
                self.error((*p, "weight"), str(exc))
        font_file = b.font_file
        if "font" in spec or ("weight" in spec and b.font is not None):
            font_file = self.font(font_at if "font" in spec else (*p, "weight"), font, weight)
        length = b.animation_length
        if "animation_length" in spec:
            length = self.length((*p, "animation_length"), spec["animation_length"])
        return TextStyle(
            font=font, size=spec.get("size", b.size),
            color=self.color((*p, "color"), spec.get("color"), colors) or b.color,
            background=self.color((*p, "background"), spec.get("background"), colors)
            or b.background,
            position=spec.get("position", b.position), font_file=font_file, weight=weight,
            min_size=spec.get("min_size", b.min_size),
            outline=self.color_or_none((*p, "outline"), spec.get("outline"), colors)
            or b.outline,
            shadow=self.color_or_none((*p, "shadow"), spec.get("shadow"), colors) or b.shadow,
            safe_area=spec.get("safe_area", b.safe_area), enter=spec.get("enter", b.enter),
            exit=spec.get("exit", b.exit), animation_length=length)

    def color_or_none(self, p: tuple[Any, ...], value: Any, colors: dict[str, str]) -> str | None:
        if isinstance(value, str) and value.lower() == "none":
            return "none"
        return self.color(p, value, colors)

    def font(self, p: tuple[Any, ...], font: str | None, weight: int | None) -> str | None:
        """The font file of a family, face name or file (None: the shipped font)."""
        if font is None:
            return None
        key = (self.marks.pos(p), font, weight)
        if key not in self.fonts:
            self.fonts[key] = self._font(p, font, weight)
        return self.fonts[key]

    def _font(self, p: tuple[Any, ...], font: str, weight: int | None) -> str | None:
        if textfonts.looks_like_file(font):
            return self.file(p, font, "font file")
        try:
            return textfonts.resolve_font(font, weight)
        except textfonts.FontNotFoundError as exc:
            if self.check_files:
                self.error(p, str(exc),
                           hint="name an installed family or face (`fc-list : family` lists "
                                "them) or a font file relative to the recipe",
                           code="unknown-font")
            return None

    def length(self, p: tuple[Any, ...], value: Any) -> tuple[float, str] | None:
        """A time (``0.4s``) or a musical interval (``1 beat``) as (count, unit)."""
        if isinstance(value, str):
            try:
                return parse_measure(value)
            except ValueError:
                pass
        seconds = self.time(p, value, None)
        return None if seconds is None else (seconds, "s")

    def brand(self) -> Brand:
        br = self.data.get("brand", {})
        p = ("brand",)
        fonts = dict(br.get("fonts", {}))
        colors = dict(br.get("colors", {}))
        styles = tuple((name, self.style((*p, "text_styles", name), spec, fonts, colors))
                       for name, spec in br.get("text_styles", {}).items())
        return Brand(name=br.get("name"), fonts=tuple(fonts.items()), colors=tuple(colors.items()),
                     text_styles=styles, span=self.span(p))

    def overlays(self, brand: Brand) -> tuple[Overlay, ...]:
        out = []
        fonts, colors, styles = dict(brand.fonts), dict(brand.colors), dict(brand.text_styles)
        logo = self.data.get("brand", {}).get("logo")
        if logo is not None:
            p = ("brand", "logo")
            out.append(Overlay("image", image=self.file((*p, "file"), logo["file"], "logo"),
                               position=logo.get("position", "top-right"),
                               scale=float(logo.get("scale", 0.15)),
                               opacity=float(logo.get("opacity", 1.0)), span=self.span(p)))
        for i, o in enumerate(self.data.get("overlays", ())):
            p = ("overlays", i)
            start = self.time((*p, "start"), o.get("start"), 0.0) or 0.0
            end = self.time((*p, "end"), o.get("end"), None)
            if end is not None and end <= start:
                self.error((*p, "end"), f"overlay end {end:g}s must be after start {start:g}s",
                           code="out-of-range")
            common = {"opacity": float(o.get("opacity", 1.0)), "start_s": start, "end_s": end,
                      "sections": self.sections(o.get("section")), "span": self.span(p)}
            if "image" in o:
                out.append(Overlay("image", image=self.file((*p, "image"), o["image"], "image"),
                                   position=o.get("position", "top-right"),
                                   scale=float(o.get("scale", 0.2)), **common))
                continue
            base = None
            if "style" in o:
                base = styles.get(o["style"])
                if base is None:
                    close = did_you_mean(o["style"], styles)
                    self.error((*p, "style"), f"unknown text style {o['style']!r}",
                               hint=f"did you mean {close!r}?" if close else
                               f"brand.text_styles has: {', '.join(styles) or 'none'}",
                               code="unknown-name")
            style = self.style(p, o, fonts, colors, base)
            out.append(Overlay("text", text=o["text"], style=style,
                               position=o.get("position", style.position or "bottom"), **common))
        return tuple(out)

    def end_clip(self, name: str) -> EndClip | None:
        e = self.data.get(name)
        if e is None:
            return None
        p = (name,)
        return EndClip(self.file((*p, "file"), e["file"], f"{name} clip"),
                       self.time((*p, "duration"), e.get("duration"), None), self.span(p))


def compile_recipe(data: Any, marks: Marks, path: str, *, base_dir: str | None = None,
                   check_files: bool = True, roots: Sequence[str] | None = None,
                   values: dict[str, Any] | None = None, kits: Sequence[str] = (),
                   errors: Sequence[RecipeError] = ()) -> Recipe:
    """Validate recipe data and build the IR.

    Parameters
    ----------
    data : Any
        The parsed document, kits merged and variables filled.
    marks : Marks
        Node positions, for error messages.
    path : str
        The recipe file or a name.
    base_dir : str, optional
        Folder that relative paths resolve against (default: the recipe's folder).
    check_files : bool
        Check that files exist and globs match.
    roots : sequence of str, optional
        Folders that paths may reach (default: ``base_dir``); empty allows any.
    values : dict, optional
        Values of the declared variables.
    kits : sequence of str
        Brand kits merged in.
    errors : sequence of RecipeError
        Problems already found (reported with the rest).

    Returns
    -------
    Recipe

    Raises
    ------
    RecipeErrors
        Every problem found.
    """
    base = base_dir if base_dir is not None else os.path.dirname(os.path.abspath(path))
    roots = (base,) if roots is None else roots
    found = validate_schema(data, marks)
    if found:
        found = list(errors) + found
        # Keep going on the parts whose shape allows it, so every problem shows at once.
        if isinstance(data, dict):
            c = _Compiler(data, marks, path, base, check_files, roots)
            _check_files(c)
            found += c.errors
        raise RecipeErrors(found)
    c = _Compiler(data, marks, path, base, check_files, roots)
    output = c.output()
    music = c.music()
    clips = c.clips()
    cuts = c.cuts()
    energy = c.energy()
    transitions = c.transitions()
    brand = c.brand()
    overlays = c.overlays(brand)
    intro, outro = c.end_clip("intro"), c.end_clip("outro")
    declared = data.get("variables", {})
    variables = tuple(Variable(n, declared[n].get("type", "string"), v,
                               Span(*marks.pos(("variables", n), key=True)))
                      for n, v in (values or {}).items() if n in declared)
    if c.errors or errors:
        raise RecipeErrors([*errors, *c.errors])
    return Recipe(version=data["version"], path=path, output=output, music=music, clips=clips,
                  cuts=cuts, seed=int(data.get("seed", 0)), energy=energy,
                  transitions=transitions, overlays=overlays, intro=intro, outro=outro,
                  brand=brand, variables=variables, extends=tuple(kits))


def _check_files(c: _Compiler) -> None:
    """Add missing-file problems of a document that failed the schema (where its shape allows)."""
    music = c.data.get("music")
    if isinstance(music, dict) and isinstance(music.get("file"), str) and music["file"]:
        c.file(("music", "file"), music["file"], "music file")
    clips = c.data.get("clips")
    if isinstance(clips, list):
        for i, pattern in enumerate(clips):
            if isinstance(pattern, str) and pattern:
                c.glob(("clips", i), pattern)
