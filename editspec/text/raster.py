"""Title rasterization: a laid-out title → an RGBA image (box, shadow, outline, text, emoji).

Glyphs are drawn by Pillow with the raqm layout engine (HarfBuzz shaping, FriBiDi
bidi), colour emoji with ``embedded_color`` (bitmap emoji fonts are drawn at their
strike size and scaled). The image is written as a PNG named by the hash of its bytes
under ``$EDITSPEC_CACHE/titles`` (atomically), so renders and exports share it and a
title is drawn the same way everywhere.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import os
from dataclasses import dataclass

from editspec.edl import TextOverlay
from editspec.errors import BackendError
from editspec.text import fonts
from editspec.text.layout import (
    TitleLayout,
    box_padding,
    layout_title,
    load_font,
    outline_width,
    shadow_geometry,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TitleImage:
    """A title drawn as an RGBA PNG, and where it stands on the output."""

    path: str
    """The PNG (RGBA, straight alpha)."""
    x: int
    """Left edge on the output, pixels (may be negative for a full-frame image: 0)."""
    y: int
    """Top edge on the output, pixels."""
    width: int
    """Image width, pixels."""
    height: int
    """Image height, pixels."""
    layout: TitleLayout
    """The layout it was drawn from (size used, lines, safe area, problems)."""


def parse_color(value: str, what: str) -> tuple[int, int, int, int]:
    """Return ``#rrggbb[aa]`` or a colour name as RGBA.

    Raises
    ------
    BackendError
        When it is not a colour.
    """
    from PIL import ImageColor

    if not isinstance(value, str) or not value or any(c in value for c in ";:,'[]= \\"):
        raise BackendError(f"{what} colour {value!r} is not #rrggbb, #rrggbbaa or a colour name")
    try:
        rgba = ImageColor.getcolor(value, "RGBA")
    except ValueError:
        raise BackendError(f"{what} colour {value!r} is not #rrggbb, #rrggbbaa or a colour "
                           f"name") from None
    return rgba  # type: ignore[return-value]


def _margin(o: TextOverlay, lay: TitleLayout) -> int:
    """Room around the block for box, outline and shadow, pixels."""
    m = max(lay.pad) + 2
    if o.shadow:
        off, blur = shadow_geometry(lay.size)
        m += off + int(3 * blur) + 1
    return m


def draw_title(o: TextOverlay, lay: TitleLayout) -> tuple[object, int, int]:
    """Draw a laid-out title; return (RGBA image, left, top) on the output."""
    from PIL import Image, ImageChops, ImageDraw, ImageFilter

    fill = parse_color(o.color, "text")
    m = _margin(o, lay)
    left, top, right, bottom = lay.block
    w, h = right - left + 2 * m, bottom - top + 2 * m
    mask = Image.new("L", (w, h), 0)
    color = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(mask)
    for i, line in enumerate(lay.lines):
        baseline = m + lay.ascent + i * lay.line_pitch
        for run in line:
            font, scale = load_font(run.font, lay.size)
            x = m + run.x
            if fonts.is_color_font(run.font):
                _draw_color_run(color, run.text, font, scale, x, baseline)
            else:
                draw.text((x, baseline), run.text, font=font, fill=255, anchor="ls")
    glyphs = ImageChops.lighter(mask, color.getchannel("A"))
    out = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    if o.box:
        px, py = box_padding(lay.size)
        box = Image.new("RGBA", (w, h), (0, 0, 0, 0))
        ImageDraw.Draw(box).rounded_rectangle(
            (m - px, m - py, w - m + px - 1, h - m + py - 1), radius=round(0.2 * lay.size),
            fill=parse_color(o.box, "box"))
        out = Image.alpha_composite(out, box)
    solid = glyphs
    if o.outline:
        k = 2 * outline_width(lay.size) + 1
        solid = glyphs.filter(ImageFilter.MaxFilter(k))
    if o.shadow:
        off, blur = shadow_geometry(lay.size)
        rgba = parse_color(o.shadow, "shadow")
        alpha = Image.new("L", (w, h), 0)
        alpha.paste(solid, (off, off))
        alpha = alpha.filter(ImageFilter.GaussianBlur(blur))
        out = Image.alpha_composite(out, _tinted(alpha, rgba))
    if o.outline:
        out = Image.alpha_composite(out, _tinted(solid, parse_color(o.outline, "outline")))
    out = Image.alpha_composite(out, _tinted(mask, fill))
    out = Image.alpha_composite(out, color)
    return out, left - m, top - m


def _tinted(alpha: object, rgba: tuple[int, int, int, int]) -> object:
    from PIL import Image

    layer = Image.new("RGBA", alpha.size, (*rgba[:3], 0))  # type: ignore[attr-defined]
    a = alpha if rgba[3] == 255 else alpha.point(lambda v: v * rgba[3] // 255)  # type: ignore[attr-defined]
    layer.putalpha(a)
    return layer


def _draw_color_run(color: object, text: str, font: object, scale: float, x: float,
                    baseline: int) -> None:
    from PIL import Image, ImageDraw

    asc, desc = font.getmetrics()  # type: ignore[attr-defined]
    wn = max(1, round(font.getlength(text)))  # type: ignore[attr-defined]
    tile = Image.new("RGBA", (wn + 2, asc + desc + 2), (0, 0, 0, 0))
    ImageDraw.Draw(tile).text((1, asc + 1), text, font=font, anchor="ls", embedded_color=True)
    if scale != 1.0:
        tile = tile.resize((max(1, round(tile.width * scale)), max(1, round(tile.height * scale))),
                           Image.Resampling.LANCZOS)
    color.alpha_composite(tile, (round(x), round(baseline - (asc + 1) * scale)))  # type: ignore[attr-defined]


def titles_dir() -> str:
    """Folder of drawn titles: ``$EDITSPEC_CACHE/titles``."""
    from editspec.cache import cache_dir

    return os.path.join(cache_dir(), "titles")


def _warn_once(message: str) -> None:
    _warned(message)


@functools.lru_cache(maxsize=1024)
def _warned(message: str) -> None:
    log.warning(message)


def title_warnings(lay: TitleLayout, name: str) -> list[str]:
    """One-line warnings about a laid-out title (fit, missing glyphs, no emoji font)."""
    out = []
    if lay.problem:
        out.append(f"{name} {lay.problem}; shorten it, lower its size or min_size, or "
                   f"add line breaks")
    if lay.emoji_missing:
        out.append(f"{name} has emoji but no colour emoji font is installed: "
                   f"{fonts.EMOJI_HINT}")
    missing = "".join(c for c in lay.missing if not (lay.emoji_missing and fonts.is_emoji(c)))
    if missing:
        out.append(f"{name}: no installed font has {missing!r}, left out "
                   f"(install a font that covers it, e.g. Noto)")
    return out


def overlay_name(o: TextOverlay, index: int | None = None) -> str:
    """How warnings name a title: its overlay index and the start of its text."""
    text = o.text if len(o.text) <= 40 else o.text[:39] + "…"
    where = f"overlay {index} " if index is not None else ""
    return f"title {where}{text!r}"


def render_title_png(o: TextOverlay, size: tuple[int, int], *,
                     full_frame: bool = False, index: int | None = None) -> TitleImage:
    """Lay out and draw a text overlay once; return its PNG and its place on the output.

    Parameters
    ----------
    o : TextOverlay
        The overlay (EDL form: font file, size, colours, position, safe area ...).
    size : (int, int)
        Output width and height, pixels.
    full_frame : bool
        Return an output-sized image with the title in place (x = y = 0), e.g. for an
        alpha clip of the title; default: an image cropped to the title.
    index : int, optional
        The overlay's index in the EDL, for warnings.

    Returns
    -------
    TitleImage
        Warnings about fit, missing glyphs or a missing emoji font are logged once.

    Raises
    ------
    BackendError
        For a colour, position, size or font it cannot use.
    """
    from PIL import Image

    width, height = size
    lay = layout_title(o, width, height)
    for message in title_warnings(lay, overlay_name(o, index)):
        _warn_once(message)
    img, x, y = draw_title(o, lay)
    if x % 2 or y % 2:  # 4:2:0 compositing places images on even pixels only
        even = Image.new("RGBA", (img.width + x % 2, img.height + y % 2), (0, 0, 0, 0))
        even.alpha_composite(img, (x % 2, y % 2))  # type: ignore[arg-type]
        img, x, y = even, x - x % 2, y - y % 2
    if full_frame:
        frame = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        frame.alpha_composite(img, (max(0, x), max(0, y)),  # type: ignore[arg-type]
                              (max(0, -x), max(0, -y)))
        img, x, y = frame, 0, 0
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=False, compress_level=6)  # type: ignore[attr-defined]
    data = buf.getvalue()
    folder = titles_dir()
    path = os.path.join(folder, hashlib.sha256(data).hexdigest()[:32] + ".png")
    if not os.path.isfile(path):
        try:
            os.makedirs(folder, exist_ok=True)
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except OSError as exc:
            raise BackendError(f"cannot write the title image {path}: {exc} "
                               f"(disk full or read-only cache? set EDITSPEC_CACHE)") from None
    return TitleImage(path, x, y, img.width, img.height, lay)  # type: ignore[attr-defined]
