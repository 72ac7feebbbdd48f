"""Text and image overlays: fonts, colours, positions, and drawtext's options.

Text is passed to ``drawtext`` with ``expansion=none`` (no ``%{...}`` functions) and
escaped for both filtergraph levels by :func:`editspec.backends.ffmpeg.graph.filter_text`,
so quotes, colons, backslashes, percent signs, newlines, emoji and right-to-left
scripts are drawn as written (shaping and bidi by the libharfbuzz/libfribidi that the
imageio-ffmpeg build links). The default font is DejaVu Sans from matplotlib's
``mpl-data``: a dependency, so no system font is assumed.
"""

from __future__ import annotations

import importlib.util
import os
import re

from editspec.backends.ffmpeg.graph import filter_text, num
from editspec.edl import ImageOverlay, TextOverlay
from editspec.errors import BackendError

_COLOR = re.compile(r"^(#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?|[A-Za-z]{3,24})(@[01](\.\d+)?)?$")
NAMED_POSITIONS = ("center", "top", "bottom", "left", "right", "top-left", "top-right",
                   "bottom-left", "bottom-right")
MARGIN = 0.06
"""Distance of edge positions from the frame's edge, as a fraction of the output height."""


def default_font() -> str:
    """Return the path of DejaVu Sans shipped in matplotlib's ``mpl-data``.

    Raises
    ------
    BackendError
        When matplotlib (a dependency) is not installed or lacks the font.
    """
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise BackendError("matplotlib is not installed: it provides the default font "
                           "DejaVuSans.ttf; install editspec's dependencies or set a font")
    for root in spec.submodule_search_locations:
        path = os.path.join(root, "mpl-data", "fonts", "ttf", "DejaVuSans.ttf")
        if os.path.isfile(path):
            return path
    raise BackendError("DejaVuSans.ttf not found in matplotlib's mpl-data")


def check_color(color: str, what: str) -> str:
    """Return ``color`` when ffmpeg reads it as a colour, else raise :class:`BackendError`."""
    if not _COLOR.match(color):
        raise BackendError(f"{what} colour {color!r} is not #rrggbb, #rrggbbaa or a colour name")
    return color


def place(position: str, width: int, height: int, w: str, h: str) -> tuple[str, str]:
    """Return x and y expressions putting an item of size ``w`` x ``h`` at ``position``.

    Parameters
    ----------
    position : str
        A name of :data:`NAMED_POSITIONS` or ``"x,y"``: the item's centre, normalized.
    width, height : int
        Output size, pixels.
    w, h : str
        The expression names of the item's size in the filter (``tw``/``th`` for
        drawtext, ``w``/``h`` for overlay).
    """
    margin = round(MARGIN * height)
    if "," in position:
        try:
            fx, fy = (float(v) for v in position.split(","))
        except ValueError:
            raise BackendError(f"overlay position {position!r} is not 'x,y' in 0..1") from None
        return f"{num(fx * width)}-{w}/2", f"{num(fy * height)}-{h}/2"
    if position not in NAMED_POSITIONS:
        raise BackendError(f"overlay position {position!r} is not one of "
                           f"{', '.join(NAMED_POSITIONS)} or 'x,y'")
    x = f"({width}-{w})/2"
    y = f"({height}-{h})/2"
    if "left" in position:
        x = str(margin)
    if "right" in position:
        x = f"{width - margin}-{w}"
    if position.startswith("top"):
        y = str(margin)
    if position.startswith("bottom"):
        y = f"{height - margin}-{h}"
    return x, y


def enable_frames(first: int, end: int) -> str:
    """Return a timeline ``enable`` expression for output frames ``first..end-1``."""
    return f"between(n,{first},{end - 1})"


def drawtext_filter(o: TextOverlay, width: int, height: int) -> str:
    """Return the drawtext filter of a text overlay (escaped for the filtergraph)."""
    font = o.font or default_font()
    if not os.path.isfile(font):
        raise BackendError(f"font file {font} does not exist")
    if o.size <= 0:
        raise BackendError(f"text size {o.size} must be > 0 pixels")
    x, y = place(o.position, width, height, "tw", "th")
    return filter_text(
        "drawtext", fontfile=font, text=o.text, expansion="none",
        fontsize=o.size, fontcolor=check_color(o.color, "text"), text_align="C",
        box=bool(o.box), boxcolor=check_color(o.box, "box") if o.box else None,
        boxborderw=max(1, o.size // 4) if o.box else None,
        x=x, y=y, enable=enable_frames(o.rec_in, o.rec_out))


def image_filters(o: ImageOverlay, width: int) -> list[str]:
    """Return the chain that scales and fades an image input before its overlay."""
    if not 0 < o.scale <= 4:
        raise BackendError(f"image scale {o.scale} must be in (0, 4] of the output width")
    w = max(2, round(o.scale * width / 2) * 2)
    chain = [filter_text("scale", w=w, h=-2), filter_text("format", "rgba")]
    if o.opacity < 1:
        chain.append(filter_text("colorchannelmixer", aa=max(0.0, o.opacity)))
    return chain


def overlay_filter(o: ImageOverlay, width: int, height: int) -> str:
    """Return the overlay filter putting a (scaled) image over the picture."""
    x, y = place(o.position, width, height, "w", "h")
    return filter_text("overlay", x=x, y=y, eof_action="repeat", format="auto",
                       enable=enable_frames(o.rec_in, o.rec_out))
