"""CMX 3600 EDL, by OTIO's ``cmx_3600`` adapter: one video track, dissolves, LOC markers.

CMX 3600 holds cuts and dissolves; everything else the edit draws (titles, logos, zoom
pulses, reframing, speed changes: otio-cmx3600-adapter 1.0 writes an ``M2`` event's
source out point as its length divided by the speed, not multiplied) and the music
track are dropped with one warning that counts them for this timeline (see
``docs/interchange.md``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from editspec.backends.interchange import (
    common_drops,
    count_extras,
    markers_to_clips,
    remove_effects,
    remove_title_tracks,
    require_timecode_rate,
)
from editspec.backends.otio import write_timeline
from editspec.edl import EDL

if TYPE_CHECKING:
    import opentimelineio as otio

NAME = "cmx3600"
SUFFIXES = (".edl",)
ADAPTER = "cmx_3600"
LABEL = "CMX 3600"


def prepare(tl: otio.schema.Timeline, edl: EDL) -> list[str]:
    """Reduce ``tl`` to what CMX 3600 holds; return what was dropped.

    Raises
    ------
    BackendError
        When the edit's rate has no SMPTE timecode (CMX 3600 times are timecode).
    """
    require_timecode_rate(edl, LABEL)
    extras = count_extras(edl)
    what = extras.describe("titles", "logos", "zoom_pulses", "reframed", "speed", "ramps",
                           "clip_audio")
    dropped = [f"{what}: CMX 3600 holds no titles or effects"] if what else []
    remove_title_tracks(tl)
    # no M2 lines: otio-cmx3600-adapter 1.0 divides the source length by the speed
    remove_effects(tl)
    dropped += common_drops(tl, edl)
    dropped.append("timeline metadata (recipe, editspec version, seed, output size)")
    if tl.audio_tracks():
        dropped.append("the music track (CMX 3600 here holds one video track)")
        for t in list(tl.audio_tracks()):
            tl.tracks.remove(t)
    n_markers = len(tl.tracks.markers)
    if n_markers:
        lost = markers_to_clips(tl)
        dropped.append(f"marker colours other than CMX's and lower-case names of "
                       f"{n_markers} markers (written as LOC comments)")
        if lost:
            dropped.append(f"{lost} markers outside every clip")
    return dropped


def write(edl: EDL, path: str, **options: Any) -> None:
    """Write an EDL as a ``.edl`` file, atomically.

    Parameters
    ----------
    edl : EDL
        The edit.
    path : str
        Output file.
    **options
        ``beat_markers`` (bool): also mark every beat; ``titles_as_clips`` is ignored
        (CMX 3600 here holds one video track).
    """
    options.pop("titles_as_clips", None)
    write_timeline(edl, path, ADAPTER, prepare=prepare, label=LABEL,
                   adapter_options={"rate": float(edl.fps)}, **options)
