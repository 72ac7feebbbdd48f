"""ffmpeg backend: the whole EDL as one ffmpeg invocation with one filtergraph.

:func:`compile_filtergraph` is pure (EDL → argv and filtergraph text; tested without
ffmpeg); :func:`write` checks the inputs, measures loudness, and runs it with a
progress bar into a temporary file that is renamed into place on success;
:func:`preview` renders a quick draft with a click on every beat and a flash on every
cut. Modules: ``graph`` (filtergraph data and escaping), ``overlay`` (titles drawn by
:mod:`editspec.text`, and logos), ``compile`` (EDL → graph), ``render`` (running it).
See ``docs/render.md``.
"""

from __future__ import annotations

from editspec.backends.ffmpeg.compile import (
    PRESETS,
    TRANSITION_ALIASES,
    XFADE_KINDS,
    RenderCommand,
    compile_filtergraph,
    format_command,
)
from editspec.backends.ffmpeg.render import preview, write

NAME = "ffmpeg"
SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv", ".webm")

__all__ = ["NAME", "PRESETS", "SUFFIXES", "TRANSITION_ALIASES", "XFADE_KINDS", "RenderCommand",
           "compile_filtergraph", "format_command", "preview", "write"]
