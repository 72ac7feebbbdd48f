"""Title layout: where a text overlay stands and how it fits (wrap, then shrink, then warn).

Input: a :class:`editspec.edl.TextOverlay` and the output size. Output: a
:class:`TitleLayout`, the lines as runs of one font each, placed in output pixels.

Fit: the text is wrapped on spaces (between any two characters in CJK text, never
starting a line with closing punctuation), in the width of the safe area; when the
lines are still too wide or too tall, the size shrinks step by step down to the
minimum size; at the minimum size, words too long for a line break between characters,
and a title that still does not fit is reported in :attr:`TitleLayout.problem`.

Safe areas (``safe_area: auto``; ``none`` is the whole frame), as fractions of the frame:

- 9:16 and taller (TikTok, Instagram/Facebook Reels, YouTube Shorts): top 14 %, bottom
  35 %, 12 % each side (the union of the three apps' interface: Reels' top bar and
  caption/CTA block, TikTok's and Shorts' right-hand buttons, kept symmetric so centred
  titles stay centred).
- every other shape: 5 % on each side (EBU R 95 graphics-safe area).
"""

from __future__ import annotations

import functools
import math
import unicodedata
from dataclasses import dataclass

from editspec.edl import TextOverlay
from editspec.errors import BackendError
from editspec.text import fonts

NAMED_POSITIONS = ("center", "top", "bottom", "left", "right", "top-left", "top-right",
                   "bottom-left", "bottom-right")
PLATFORM_ZONE = (0.12, 0.14, 0.12, 0.35)
"""Safe zone of 9:16 outputs: left, top, right, bottom margins, fractions of the frame."""
TITLE_SAFE = (0.05, 0.05, 0.05, 0.05)
"""Title-safe margins of other shapes (EBU R 95 graphics-safe)."""
PLATFORM_ASPECT = 0.6
"""Outputs with width/height at most this (9:16 = 0.5625) get :data:`PLATFORM_ZONE`."""
SHRINK_STEP = 0.92
"""Each shrink step multiplies the size by this."""
NO_LINE_START = frozenset(
    "、。，．・：；？！」』）】〕〉》ー…‥,.:;?!)]}%")  # noqa: RUF001
"""Characters that never begin a line (kinsoku, and Latin closing punctuation)."""
NO_LINE_END = frozenset(
    "「『（【〔〈《([{")  # noqa: RUF001
"""Characters that never end a line."""


@dataclass(frozen=True, slots=True)
class Run:
    """Text drawn with one font, at a place on a line."""

    text: str
    """The characters (shaped and ordered by raqm when drawn)."""
    font: str
    """Font file (``path`` or ``path#index``)."""
    x: float
    """Left edge, pixels from the block's left."""
    width: float
    """Advance width, pixels."""


@dataclass(frozen=True, slots=True)
class TitleLayout:
    """A laid-out title."""

    size: int
    """Font size used, pixels (after shrinking)."""
    lines: tuple[tuple[Run, ...], ...]
    """Runs of each line, in visual order."""
    line_widths: tuple[float, ...]
    """Width of each line, pixels."""
    ascent: int
    """Distance from a line's top to its baseline, pixels."""
    line_pitch: int
    """Distance between baselines, pixels."""
    block: tuple[int, int, int, int]
    """The text block (left, top, right, bottom) in output pixels."""
    safe: tuple[int, int, int, int]
    """The area the title had to fit (left, top, right, bottom), output pixels."""
    align: str
    """``left``, ``center`` or ``right``: how lines align in the block."""
    pad: tuple[int, int]
    """Room around the block for the box, outline and shadow (x, y), pixels."""
    missing: str = ""
    """Characters no font of this system has (left out)."""
    emoji_missing: bool = False
    """The text has emoji and this system has no colour emoji font."""
    problem: str = ""
    """Why the title does not fit its area, or empty."""


def safe_area(width: int, height: int, mode: str = "auto") -> tuple[int, int, int, int]:
    """Return the area titles stand in: (left, top, right, bottom) in output pixels.

    Parameters
    ----------
    width, height : int
        Output size, pixels.
    mode : str
        ``auto`` (platform zone for 9:16, title-safe otherwise) or ``none`` (whole frame).
    """
    if mode == "none":
        return 0, 0, width, height
    if mode != "auto":
        raise BackendError(f"safe_area {mode!r} is not auto or none")
    m = PLATFORM_ZONE if width / height <= PLATFORM_ASPECT else TITLE_SAFE
    return (round(m[0] * width), round(m[1] * height), width - round(m[2] * width),
            height - round(m[3] * height))


def paddings(o: TextOverlay, size: int) -> tuple[int, int]:
    """Room (x, y) the box, outline and shadow need around the text block, pixels: the
    whole title, shadow included, stays inside its area."""
    px = py = 0
    if o.box:
        px, py = box_padding(size)
    elif o.outline:
        px = py = outline_width(size)
    if o.shadow:
        off, blur = shadow_geometry(size)
        reach = (px if not o.box else 0) + off + math.ceil(2 * blur)
        px, py = max(px, reach), max(py, reach)
    return px, py


def box_padding(size: int) -> tuple[int, int]:
    """Room (x, y) between the text and the edge of its background box, pixels."""
    return round(0.35 * size), round(0.18 * size)


def outline_width(size: int) -> int:
    """Outline width at a font size, pixels."""
    return max(1, round(size * 0.06))


def shadow_geometry(size: int) -> tuple[int, float]:
    """Shadow (offset, blur radius) at a font size, pixels."""
    return max(2, round(size * 0.05)), max(1.0, size * 0.05)


# --------------------------------------------------------------------------- fonts


@functools.lru_cache(maxsize=256)
def load_font(spec: str, size: int) -> tuple[object, float]:
    """Return (Pillow font, scale): a bitmap colour font loads at its strike size and
    is drawn scaled by ``scale``; other fonts load at ``size`` with scale 1."""
    from PIL import ImageFont

    path, index = fonts.split_spec(spec)
    try:
        return ImageFont.truetype(path, size, index=index,
                                  layout_engine=ImageFont.Layout.RAQM), 1.0
    except OSError:
        pass
    for ppem in _strikes(spec):
        try:
            return ImageFont.truetype(path, ppem, index=index,
                                      layout_engine=ImageFont.Layout.RAQM), size / ppem
        except OSError:
            continue
    raise BackendError(f"font {path} cannot be loaded at {size} px")


@functools.lru_cache(maxsize=16)
def _strikes(spec: str) -> tuple[int, ...]:
    from fontTools.ttLib import TTFont

    path, index = fonts.split_spec(spec)
    font = TTFont(path, fontNumber=index, lazy=True)
    for tag in ("CBLC", "EBLC"):
        if tag in font:
            return tuple(sorted({s.bitmapSizeTable.ppemY for s in font[tag].strikes},
                                reverse=True))
    if "sbix" in font:
        return tuple(sorted(font["sbix"].strikes, reverse=True))
    return ()


def run_width(text: str, spec: str, size: int) -> float:
    """Advance width of a run, pixels (shaped by raqm)."""
    font, scale = load_font(spec, size)
    return font.getlength(text) * scale  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- text


def _is_cjk(cluster: str) -> bool:
    cp = ord(cluster[0])
    return (0x2E80 <= cp <= 0x9FFF or 0xAC00 <= cp <= 0xD7AF or 0xF900 <= cp <= 0xFAFF
            or 0xFF00 <= cp <= 0xFFEF or 0x20000 <= cp <= 0x3FFFF)


def base_direction(text: str) -> str:
    """``rtl`` when the first strong character is right-to-left, else ``ltr``."""
    for ch in text:
        bidi = unicodedata.bidirectional(ch)
        if bidi in ("R", "AL"):
            return "rtl"
        if bidi == "L":
            return "ltr"
    return "ltr"


def _units(paragraph: str) -> list[str]:
    """Pieces a line may break between: words with their trailing spaces, CJK characters."""
    units: list[str] = []
    cur = ""
    for cl in fonts.clusters(paragraph):
        if cl in NO_LINE_START and (cur or units):
            if cur:
                cur += cl
            else:
                units[-1] += cl
            continue
        if cl.isspace():
            if cur:
                cur += cl
            elif units:
                units[-1] += cl
            continue
        if cur and cur[-1].isspace():
            units.append(cur)
            cur = ""
        if _is_cjk(cl):
            if cur and cur[-1] not in NO_LINE_END:
                units.append(cur)
                cur = ""
            units.append(cur + cl)
            cur = ""
            continue
        if units and not cur and units[-1] and units[-1][-1] in NO_LINE_END:
            cur = units.pop()
        cur += cl
    if cur:
        units.append(cur)
    return units


class _Shaper:
    """Splits lines into font runs and measures them at one size."""

    def __init__(self, primary: str, size: int) -> None:
        self.primary = primary
        self.size = size

    def runs(self, line: str) -> list[tuple[str, str]]:
        """(text, font) runs of a line in logical order; characters no font has dropped."""
        out: list[tuple[str, str]] = []
        for cl in fonts.clusters(line):
            if cl.isspace() and out:
                spec: str | None = out[-1][1]
            else:
                spec = fonts.font_for_cluster(cl, self.primary)
            if spec is None:
                continue
            if out and out[-1][1] == spec:
                out[-1] = (out[-1][0] + cl, spec)
            else:
                out.append((cl, spec))
        return out

    def width(self, line: str) -> float:
        return sum(run_width(t, f, self.size) for t, f in self.runs(line.rstrip()))


def _wrap(paragraph: str, shaper: _Shaper, max_w: float, break_words: bool) -> list[str]:
    units = _units(paragraph)
    if break_words:
        split: list[str] = []
        for u in units:
            if shaper.width(u) <= max_w:
                split.append(u)
            else:
                split.extend(fonts.clusters(u))
        units = split
    lines: list[str] = []
    cur = ""
    for u in units:
        if cur and shaper.width(cur + u) > max_w:
            lines.append(cur)
            cur = u
        else:
            cur += u
    lines.append(cur)
    return [ln.rstrip() for ln in lines]


def _metrics(primary: str, size: int) -> tuple[int, int, int]:
    """(ascent, descent, pitch) of lines at a size."""
    font, scale = load_font(primary, size)
    asc, desc = font.getmetrics()  # type: ignore[attr-defined]
    asc, desc = round(asc * scale), round(desc * scale)
    return asc, desc, asc + desc + round(0.06 * size)


def primary_font(o: TextOverlay) -> str:
    """The font a title is set in (its own, or the shipped DejaVu Sans at its weight)."""
    if not o.font:
        return fonts.builtin_font(o.weight)
    path, _ = fonts.split_spec(o.font)
    import os

    if not os.path.isfile(path):
        raise BackendError(f"font file {path} does not exist")
    return o.font


def layout_title(o: TextOverlay, width: int, height: int) -> TitleLayout:
    """Lay out a text overlay on a ``width`` x ``height`` output.

    Returns
    -------
    TitleLayout
        Its ``problem`` says when the title does not fit even at the minimum size.

    Raises
    ------
    BackendError
        For a size, position or safe area it cannot use, or a font file that is missing.
    """
    if o.size <= 0:
        raise BackendError(f"text size {o.size} must be > 0 pixels")
    primary = primary_font(o)
    safe = safe_area(width, height, o.safe_area)
    align = "left" if "left" in o.position else "right" if "right" in o.position else "center"
    if "," in o.position:
        try:
            _fx, _fy = (float(v) for v in o.position.split(","))
        except ValueError:
            raise BackendError(f"overlay position {o.position!r} is not 'x,y' in 0..1") from None
        align = "center"
    elif o.position not in NAMED_POSITIONS:
        raise BackendError(f"overlay position {o.position!r} is not one of "
                           f"{', '.join(NAMED_POSITIONS)} or 'x,y'")
    min_size = o.min_size or max(12, round(0.6 * o.size))
    min_size = min(min_size, o.size)
    missing = {cl for cl in fonts.clusters(o.text)
               if cl != "\n" and fonts.font_for_cluster(cl, primary) is None}
    text = "".join(cl for cl in fonts.clusters(o.text) if cl not in missing)
    paragraphs = text.split("\n")
    size = o.size
    problem = ""
    while True:
        pad = paddings(o, size)
        max_w = safe[2] - safe[0] - 2 * pad[0]
        max_h = safe[3] - safe[1] - 2 * pad[1]
        shaper = _Shaper(primary, size)
        last = size <= min_size
        lines = [ln for p in paragraphs for ln in _wrap(p, shaper, max_w, break_words=False)]
        asc, desc, pitch = _metrics(primary, size)
        widths = [shaper.width(ln) for ln in lines]
        block_h = pitch * (len(lines) - 1) + asc + desc
        if max(widths, default=0) <= max_w and block_h <= max_h:
            break
        if last:
            lines = [ln for p in paragraphs for ln in _wrap(p, shaper, max_w, break_words=True)]
            widths = [shaper.width(ln) for ln in lines]
            block_h = pitch * (len(lines) - 1) + asc + desc
            over = []
            if max(widths, default=0) > max_w:
                over.append(f"{max(widths):.0f} px wide in {max_w} px")
            if block_h > max_h:
                over.append(f"{block_h} px tall in {max_h} px")
            problem = (f"does not fit its area at the minimum size {size} px even broken "
                       f"inside words ({', '.join(over)})" if over else
                       f"fits only broken inside words at the minimum size {size} px")
            break
        size = max(min_size, int(size * SHRINK_STEP))
    block_w = round(max(widths, default=0))
    placed: list[tuple[Run, ...]] = []
    for ln, lw in zip(lines, widths, strict=True):
        runs = shaper.runs(ln)
        if base_direction(ln) == "rtl":
            runs = runs[::-1]
        x0 = {"left": 0.0, "center": (block_w - lw) / 2, "right": block_w - lw}[align]
        out = []
        for text, spec in runs:
            w = run_width(text, spec, size)
            out.append(Run(text, spec, x0, w))
            x0 += w
        placed.append(tuple(out))
    left, top = _place(o.position, width, height, safe, pad, block_w, block_h)
    return TitleLayout(size, tuple(placed), tuple(widths), asc, pitch,
                       (left, top, left + block_w, top + block_h), safe, align, pad,
                       "".join(sorted(missing)),
                       any(fonts.is_emoji(cl) for cl in fonts.clusters(o.text))
                       and fonts.emoji_font() is None, problem)


def _place(position: str, width: int, height: int, safe: tuple[int, int, int, int],
           pad: tuple[int, int], w: int, h: int) -> tuple[int, int]:
    """Top-left of the text block of size ``w`` x ``h`` at a position."""
    sl, st, sr, sb = safe
    if "," in position:
        fx, fy = (float(v) for v in position.split(","))
        x, y = round(fx * width - w / 2), round(fy * height - h / 2)
        return (min(max(x, pad[0]), max(pad[0], width - pad[0] - w)),
                min(max(y, pad[1]), max(pad[1], height - pad[1] - h)))
    # centred: on the frame's centre, moved into the safe area when it pokes out of it
    x = min(max(round((width - w) / 2), sl + pad[0]), max(sl + pad[0], sr - pad[0] - w))
    y = min(max(round((height - h) / 2), st + pad[1]), max(st + pad[1], sb - pad[1] - h))
    if "left" in position:
        x = sl + pad[0]
    if "right" in position:
        x = sr - pad[0] - w
    if position.startswith("top"):
        y = st + pad[1]
    if position.startswith("bottom"):
        y = sb - pad[1] - h
    return x, y
