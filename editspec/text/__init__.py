"""Text: font resolution, title layout and rasterization, shared by the backends.

A title is laid out and drawn once, by Pillow (FreeType, with HarfBuzz shaping and
FriBiDi bidi through libraqm), into an RGBA image; a backend composites that image
(the ffmpeg render with its ``overlay`` filter, the exports as an alpha clip). No text
ever goes into a filtergraph or a command line, so no text can become code.

Modules: ``fonts`` (family/weight → file, the way fontconfig resolves it; fallback
fonts per character, colour emoji), ``layout`` (safe areas, wrapping, shrinking),
``raster`` (runs of glyphs → RGBA image with outline, shadow and box; the PNG cache).
This package imports nothing heavy at import time.
"""

from __future__ import annotations

__all__ = ["render_title_png"]


def __getattr__(name: str):  # pragma: no cover - thin lazy re-export
    if name == "render_title_png":
        from editspec.text.raster import render_title_png

        return render_title_png
    raise AttributeError(name)
