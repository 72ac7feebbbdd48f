"""Header checks of a recipe's media for ``editspec validate``: no frame is decoded.

Each file is opened by ffmpeg without an output (:func:`editspec.media.probe`), which
reads the container and stream headers only. A file that is not media, a song with
no sound, a clip with no picture, a still image in a clip pool and a clip without
sound in an ``audio: true`` pool are reported at the recipe entry that named it.
"""

from __future__ import annotations

import os

from editspec.errors import MediaError, RecipeError
from editspec.ir import Recipe, Span


def _err(span: Span, message: str, hint: str | None = None) -> RecipeError:
    return RecipeError(message, span.path, span.line, span.col, hint=hint, code="bad-media")


def probe_recipe_media(recipe: Recipe) -> list[RecipeError]:
    """Probe the headers of the recipe's song and clips.

    Parameters
    ----------
    recipe : Recipe
        A compiled recipe whose files exist.

    Returns
    -------
    list of RecipeError
        One per unreadable file, at the recipe position that named it; empty when all
        files are media of the right kind.
    """
    from editspec.media import probe

    errors: list[RecipeError] = []
    seen: set[str] = set()

    def check(path: str, span: Span, want: str) -> None:
        if path in seen:
            return
        seen.add(path)
        try:
            info = probe(path)
        except MediaError as exc:
            errors.append(_err(span, str(exc)))
            return
        if want == "audio" and not info.has_audio:
            errors.append(_err(span, f"{path}: has no sound to cut to",
                               hint="music.file must be audio, or a video with a sound track"))
        if want == "audio" and info.has_audio and info.duration > 0:
            _check_song_length(recipe, info.duration, errors)
        if want.startswith("video") and not info.has_video:
            errors.append(_err(span, f"{path}: has no picture",
                               hint="clips must be video files"))
        elif want.startswith("video") and info.still:
            name = os.path.basename(path)
            errors.append(_err(
                span, f"{path}: is a still image; clips must be video",
                hint=f"narrow the glob to videos, or make a clip of it: ffmpeg -loop 1 -i "
                     f"{name} -t 3 -r 30 -pix_fmt yuv420p {os.path.splitext(name)[0]}.mp4"))
        elif want == "video+audio" and not info.has_audio:
            errors.append(_err(span, f"{path}: has no sound, and its pool mixes the clips' "
                                     "sound (audio: true)",
                               hint="move it to a pool without `audio: true`"))

    check(recipe.music.path, recipe.music.span, "audio")
    for pool in recipe.clips:
        for p in pool.paths:
            check(p, pool.span, "video+audio" if pool.audio else "video")
    for extra in _extra_media(recipe):
        check(*extra)
    return errors


def _check_song_length(recipe: Recipe, song_s: float, errors: list[RecipeError]) -> None:
    """An output longer than the song (from its start, when given in seconds) cannot fit.

    The header's duration is enough to tell; a ``start: auto`` or section start is known
    only after analysis (``plan`` checks it then).
    """
    out, mus = recipe.output, recipe.music
    if out.duration_s is None:
        return
    span = out.duration_span if out.duration_span.line else out.span
    end = min(song_s, mus.end_s) if mus.end_s is not None else song_s
    if out.duration_s > end + 0.05:
        errors.append(_err(span, f"output.duration {out.duration_s:g}s is longer than the song "
                                 f"({end:.2f}s)",
                           hint=f"set output.duration to at most {end:.2f}s, or "
                                "`duration: song`"))
    elif not (mus.start_auto or mus.start_section) and mus.start_s + out.duration_s > end + 0.05:
        errors.append(_err(mus.start_span if mus.start_span.line else mus.span,
                           f"music.start {mus.start_s:g}s + duration {out.duration_s:g}s runs "
                           f"past the end of the song ({end:.2f}s)",
                           hint=f"start at {end - out.duration_s:.2f}s or earlier, or set "
                                f"output.duration to at most {end - mus.start_s:.2f}s"))


def _extra_media(recipe: Recipe) -> list[tuple[str, Span, str]]:
    """Intro/outro clips of the richer IR (absent in older IRs)."""
    out = []
    for name in ("intro", "outro"):
        end = getattr(recipe, name, None)
        if end is not None:
            out.append((end.path, end.span, "video"))
    return out
