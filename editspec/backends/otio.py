"""OpenTimelineIO backend: EDL → ``otio.schema.Timeline``, written by OTIO's adapters.

v0 writes a video track (one clip per event, external references with their available
ranges), an audio track with the music window, and markers for downbeats and section
starts. Reading back (:func:`read_cut_frames`) gives the record frames of every cut.
"""

from __future__ import annotations

import os
import pathlib
from typing import TYPE_CHECKING, Any

from editspec.edl import EDL

if TYPE_CHECKING:
    import opentimelineio as otio

NAME = "otio"
SUFFIXES = (".otio",)


def edl_to_timeline(edl: EDL, *, beat_markers: bool = False) -> otio.schema.Timeline:
    """Build an OTIO timeline from an EDL.

    Parameters
    ----------
    edl : EDL
        The edit.
    beat_markers : bool
        Also mark every beat (downbeats and sections are always marked).

    Returns
    -------
    otio.schema.Timeline
    """
    import opentimelineio as otio

    from editspec import __version__

    rate = float(edl.fps)
    name = os.path.splitext(os.path.basename(edl.recipe))[0] if edl.recipe else "editspec"
    tl = otio.schema.Timeline(name=name)
    tl.global_start_time = otio.opentime.RationalTime(0, rate)
    tl.metadata["editspec"] = {"version": __version__, "recipe": edl.recipe, "seed": edl.seed,
                               "fps": str(edl.fps), "size": list(edl.size)}
    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    for ev in edl.events:
        src = edl.sources.get(ev.clip)
        ref = otio.schema.ExternalReference(target_url=pathlib.Path(ev.clip).absolute().as_uri())
        if src is not None:
            ref.available_range = otio.opentime.TimeRange(
                otio.opentime.RationalTime(0, float(src.fps)),
                otio.opentime.RationalTime(round(src.duration * float(src.fps)), float(src.fps)))
        clip = otio.schema.Clip(
            name=os.path.basename(ev.clip), media_reference=ref,
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(ev.src_in * rate, rate),
                otio.opentime.RationalTime(ev.frames, rate)))
        if ev.why:
            clip.metadata["editspec"] = {"why": ev.why}
        video.append(clip)
    for m in edl.markers:
        if m.kind == "beat" and not beat_markers:
            continue
        color = {"section": otio.schema.MarkerColor.GREEN,
                 "downbeat": otio.schema.MarkerColor.RED}.get(m.kind, otio.schema.MarkerColor.BLUE)
        video.markers.append(otio.schema.Marker(
            name=m.label or m.kind, color=color,
            marked_range=otio.opentime.TimeRange(otio.opentime.RationalTime(m.frame, rate),
                                                 otio.opentime.RationalTime(0, rate)),
            metadata={"editspec": {"kind": m.kind}}))
    tl.tracks.append(video)
    if edl.music is not None:
        audio = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
        audio.append(otio.schema.Clip(
            name=os.path.basename(edl.music.path),
            media_reference=otio.schema.ExternalReference(
                target_url=pathlib.Path(edl.music.path).absolute().as_uri()),
            source_range=otio.opentime.TimeRange(
                otio.opentime.RationalTime(edl.music.start * rate, rate),
                otio.opentime.RationalTime(edl.duration_frames, rate))))
        tl.tracks.append(audio)
    return tl


def write(edl: EDL, path: str, **options: Any) -> None:
    """Write an EDL as an ``.otio`` file, atomically."""
    import opentimelineio as otio

    from editspec.fsutil import atomic_path

    tl = edl_to_timeline(edl, **options)
    with atomic_path(path) as tmp:
        otio.adapters.write_to_file(tl, tmp, adapter_name="otio_json")


def read_cut_frames(path: str) -> list[int]:
    """Return the record frames at which the first video track's clips start (after the first)."""
    import opentimelineio as otio

    tl = otio.adapters.read_from_file(path)
    track = tl.video_tracks()[0]
    frames = []
    for clip in track.find_clips():
        rng = clip.range_in_parent()
        frames.append(rng.start_time.to_frames())
    return frames[1:]
