"""Titles and logos as rendered alpha clips, for editors whose NLE cannot build them.

A motion-graphics handoff: each overlay of the EDL becomes one ProRes 4444 ``.mov``
(``yuva444p10le``, alpha kept) at the output's size and rate, as long as the overlay,
transparent except for what the render draws there, drawn as the render draws it (the
ffmpeg backend's overlay filters; titles as the text engine's image with the render's
entrance and exit, :mod:`editspec.text.raster`), so it lines up exactly when
placed full-frame over the edit at the overlay's first frame. The files go in a folder
beside the exported timeline (``cut.fcpxml`` → ``cut.titles/``), and the timeline's
titles tracks point at them (:func:`editspec.backends.otio.titles_to_clips`).
"""

from __future__ import annotations

import dataclasses
import os

from editspec.edl import EDL, ImageOverlay, TextOverlay

CODEC = ["-c:v", "prores_ks", "-profile:v", "4444", "-pix_fmt", "yuva444p10le",
         "-vendor", "apl0"]
"""ffmpeg output options of an alpha clip: ProRes 4444 with its alpha channel."""


def clips_folder(path: str) -> str:
    """Return the folder the alpha clips of the export ``path`` go in."""
    return os.path.splitext(path)[0] + ".titles"


def _title_graph(o: TextOverlay, edl: EDL, canvas: str) -> tuple[list[str], str]:
    """Inputs and graph drawing a title (starting at frame 0) on ``canvas`` as the render does:
    the text engine's image (:func:`editspec.text.raster.render_title_png`) with the
    render's own entrance and exit filters, kept RGBA."""
    from editspec.backends.ffmpeg import overlay
    from editspec.text.raster import render_title_png

    w, h = edl.size
    img = render_title_png(o, (w, h))
    chain = ",".join(overlay.title_filters(o, edl.fps, alpha_out=True))
    place = overlay.title_overlay_filter(o, img.x, img.y, round(0.5 * img.layout.size),
                                         alpha_out=True)
    return ["-i", img.path], f"[0:v]{chain}[t];{canvas}[bg];[bg][t]{place},format=rgba[v]"


def render_alpha_clip(o: TextOverlay | ImageOverlay, edl: EDL, out: str) -> None:
    """Render one overlay as a transparent ProRes 4444 clip of ``rec_out - rec_in`` frames.

    Raises
    ------
    BackendError
        For a font, colour or position the ffmpeg backend cannot draw.
    MediaError
        When ffmpeg fails (named as such).
    """
    from editspec.fsutil import atomic_path
    from editspec.media import run_ffmpeg

    w, h = edl.size
    n = o.rec_out - o.rec_in
    local = dataclasses.replace(o, rec_in=0, rec_out=n)
    rate = f"{edl.fps.numerator}/{edl.fps.denominator}"
    # the transparent canvas is made inside the graph: a lavfi input would be yuv420p
    canvas = f"color=c=black@0.0:s={w}x{h}:r={rate},format=rgba"
    if isinstance(local, TextOverlay):
        args, graph = _title_graph(local, edl, canvas)
    else:
        from editspec.backends.ffmpeg import overlay

        args = ["-loop", "1", "-i", local.path]
        chain = ",".join(overlay.image_filters(local, w))
        graph = (f"[0:v]{chain}[img];{canvas}[bg];"
                 f"[bg][img]{overlay.overlay_filter(local, w, h)},format=rgba[v]")
    with atomic_path(out) as tmp:
        run_ffmpeg(["-y", *args, "-filter_complex", graph, "-map", "[v]", "-frames:v", str(n),
                    "-r", rate, *CODEC, tmp],
                   f"rendering the alpha clip {os.path.basename(out)}")


def render_alpha_clips(edl: EDL, path: str) -> list[str]:
    """Render every overlay of ``edl`` as an alpha clip in :func:`clips_folder` of ``path``.

    Returns
    -------
    list of str
        The files written, in overlay order (``title-01.mov``, ``logo-02.mov`` ...).
    """
    folder = clips_folder(path)
    os.makedirs(folder, exist_ok=True)
    files = []
    for i, o in enumerate(edl.overlays):
        kind = "title" if isinstance(o, TextOverlay) else "logo"
        out = os.path.join(folder, f"{kind}-{i + 1:02d}.mov")
        render_alpha_clip(o, edl, out)
        files.append(out)
    return files
