"""Overlays on the rendered picture: titles (drawn images) and logos.

A title is laid out and drawn once by :mod:`editspec.text` into an RGBA PNG; the graph
only reads that file as an input and composites it with ``overlay`` (timed by output
frame numbers, faded on its alpha, slid by position expressions). No text goes into the
filtergraph or the command line, so no text can become code, and no ffmpeg build
feature (drawtext, libfreetype, text_align of ffmpeg 6) is needed: every ffmpeg from 4.4
on draws the same picture.
"""

from __future__ import annotations

from fractions import Fraction

from editspec.backends.ffmpeg.graph import filter_text, num
from editspec.edl import ImageOverlay, TextOverlay
from editspec.errors import BackendError

NAMED_POSITIONS = ("center", "top", "bottom", "left", "right", "top-left", "top-right",
                   "bottom-left", "bottom-right")
MARGIN = 0.06
"""Distance of an image's edge positions from the frame's edge, a fraction of the output height."""


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


def title_filters(o: TextOverlay, fps: Fraction, *, alpha_out: bool = False) -> list[str]:
    """Return the chain that turns a title's still image into its frames on the output.

    The image is repeated by ``loop`` (one decoded frame, held in memory), stamped with
    the output frames it belongs to, faded in and out on its alpha channel over the
    entrance and exit frames, and converted to the render's limited-range YUV (kept RGBA
    with ``alpha_out``, for alpha clips).

    The stamps alone time the title: its k-th frame is stamped half a frame before
    output frame ``rec_in + k`` (``settb`` to half a frame, ``setpts=2*(N+rec_in)-1``),
    so ``overlay`` pairs it with that frame even though the picture's own timestamps,
    in microseconds after ``concat``, fall a fraction of a microsecond before the exact
    frame time; before the first and after the last frame ``overlay`` has no title
    frame and passes the picture through. One fully transparent frame follows the last
    (``tpad``): ``overlay`` takes a stream's end one tick after its last frame, which
    would otherwise come before output frame ``rec_out - 1``. No ``enable`` expression
    is used: ffmpeg 5.1 evaluates it against the frame count of whichever input was read
    last, so the title's own count switched it off on most of its first frames.
    """
    n = o.rec_out - o.rec_in
    chain = [filter_text("format", "rgba"), filter_text("loop", loop=n - 1, size=1, start=0),
             filter_text("tpad", stop=1, stop_mode="add", color="black@0"),
             filter_text("settb", expr=f"{fps.denominator}/{2 * fps.numerator}"),
             filter_text("setpts", f"max(2*(N+{o.rec_in})-1,0)")]
    enter, leave = _animation_frames(o)
    if enter:
        chain.append(filter_text("fade", t="in", s=0, n=enter, alpha=1))
    if leave:
        chain.append(filter_text("fade", t="out", s=n - leave, n=leave, alpha=1))
    # converted here to the picture's limited-range YUV: the overlay then touches no
    # pixel of the picture outside the title (ffmpeg 7 would otherwise negotiate the
    # picture's range and format with the RGBA image's)
    if not alpha_out:
        chain += [filter_text("scale", out_range="tv"), filter_text("format", "yuva420p")]
    return chain


def _animation_frames(o: TextOverlay) -> tuple[int, int]:
    """Entrance and exit frames, shortened to fit the overlay's length."""
    n = o.rec_out - o.rec_in
    enter = o.enter_frames if o.enter != "none" else 0
    leave = o.exit_frames if o.exit != "none" else 0
    if enter + leave > n:
        enter, leave = enter * n // (enter + leave), leave * n // (enter + leave)
    return max(0, enter), max(0, leave)


SLIDES = {"slide-up": (0, 1), "slide-down": (0, -1), "slide-left": (1, 0),
          "slide-right": (-1, 0)}
"""Direction a slide moves against (x, y): ``slide-up`` enters from below, leaves above."""


def title_overlay_filter(o: TextOverlay, x: int, y: int, distance: int, *,
                         alpha_out: bool = False) -> str:
    """Return the overlay filter that puts a title's frames at (x, y) on the picture.

    Slides move the title ``distance`` pixels (ease-out in, ease-in out) through
    expressions of the output frame number ``n``.
    """
    enter, leave = _animation_frames(o)
    xs, ys = [str(x)], [str(y)]
    if o.enter in SLIDES and enter:
        dx, dy = SLIDES[o.enter]
        ease = f"pow(1-clip((n-{o.rec_in})/{enter},0,1),3)"
        if dx:
            xs.append(f"{dx * distance}*{ease}")
        if dy:
            ys.append(f"{dy * distance}*{ease}")
    if o.exit in SLIDES and leave:
        dx, dy = SLIDES[o.exit]
        ease = f"pow(clip((n-{o.rec_out - leave})/{leave},0,1),3)"
        if dx:
            xs.append(f"{-dx * distance}*{ease}")
        if dy:
            ys.append(f"{-dy * distance}*{ease}")
    return filter_text("overlay", x="+".join(xs), y="+".join(ys), eof_action="pass",
                       format="auto" if alpha_out else "yuv420")


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
