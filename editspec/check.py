"""Beat-grid check of a render: are the cuts on their planned frames and on the beat?

Input: a rendered video and the EDL it was rendered from. The render is decoded (small
RGB frames) and its picture changes are found. The beats are the ones the plan used:
the analysis of the EDL's song (the cached analysis, with the EDL's tracker), shifted by
the music's start; without the song file, the EDL's beat markers (whole frames). The
rendered mix is not tracked again: a tracker's reading of a mix of music and clip sound
is not what the cuts were placed on. Output: per planned cut, the error of the picture
change to the planned frame, and of the cut as rendered to the nearest planned beat in
ms and frames; the plan's tempo; the drift of cuts against beats over the song.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from typing import Any

import numpy as np

from editspec.edl import EDL
from editspec.errors import MediaError

CHECK_W, CHECK_H = 48, 48


@dataclass(frozen=True, slots=True)
class CutCheck:
    """One planned cut, as found in the render."""

    planned: int
    """Planned output frame (the EDL's ``rec_in``)."""
    found: int | None
    """Frame where the render's picture changes (None: not found within 3 frames)."""
    beat_ms: float | None
    """Time of the cut as rendered (the picture change, else the planned frame) minus the
    nearest beat of the plan, ms."""
    beat_frames: float | None
    """The same in output frames."""
    transition: str
    """The event's transition kind (gradual transitions are not frame-checked)."""
    on_beat: bool = False
    """Whether the plan put this cut on a beat (its ``why``: a beat, downbeat, phrase or
    section start), so ``beat_ms`` is an error; other cuts (hits, half-beats) are off the
    beat on purpose."""

    @property
    def frame_error(self) -> int | None:
        """``found - planned`` in frames (None when not found)."""
        return None if self.found is None else self.found - self.planned


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What ``editspec check`` found."""

    cuts: tuple[CutCheck, ...]
    """Every planned cut."""
    frames: int
    """Frames decoded from the render."""
    tempo: float
    """The plan's tempo, BPM (0: unknown)."""
    drift_ms_per_min: float
    """Slope of cut-minus-beat error over time, ms per minute (cuts on the beat)."""
    beats_from: str = "analysis"
    """Where the beats came from: ``analysis`` (the song's), ``markers`` (the EDL's beat
    markers, whole frames) or ``none``."""
    beat_tolerance_ms: float = 0.0
    """How far an on-beat cut may be from its beat: half an output frame (the plan rounds
    a beat to the nearest frame) plus 1 ms; with markers, 1 ms."""

    @property
    def off_frame(self) -> list[CutCheck]:
        """Hard cuts whose picture change is not on the planned frame."""
        return [c for c in self.cuts if c.transition == "cut" and c.frame_error != 0]

    @property
    def off_beat(self) -> list[CutCheck]:
        """Hard cuts the plan put on a beat that the render shows off it (beyond
        :attr:`beat_tolerance_ms`)."""
        return [c for c in self.cuts if c.transition == "cut" and c.on_beat
                and c.beat_ms is not None and abs(c.beat_ms) > self.beat_tolerance_ms]

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {"frames": self.frames, "tempo": round(self.tempo, 3),
                "beats_from": self.beats_from,
                "beat_tolerance_ms": round(self.beat_tolerance_ms, 3),
                "drift_ms_per_min": round(self.drift_ms_per_min, 3),
                "off_frame": len(self.off_frame), "off_beat": len(self.off_beat),
                "cuts": [{"planned": c.planned, "found": c.found, "frame_error": c.frame_error,
                          "beat_ms": None if c.beat_ms is None else round(c.beat_ms, 2),
                          "beat_frames": None if c.beat_frames is None else round(c.beat_frames, 3),
                          "on_beat": c.on_beat, "transition": c.transition}
                         for c in self.cuts]}


def picture_changes(path: str) -> np.ndarray:
    """Return the mean absolute RGB difference of each decoded frame to the previous one."""
    from editspec.media import ffmpeg_exe

    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", path,
         "-map", "0:v:0",
         "-vf", f"scale={CHECK_W}:{CHECK_H}:flags=area,format=rgb24", "-f", "rawvideo", "-"],
        capture_output=True)
    size = CHECK_W * CHECK_H * 3
    n = len(proc.stdout) // size
    if n == 0:
        msg = proc.stderr.decode(errors="replace").strip().splitlines()
        raise MediaError(f"{path}: cannot decode video: {msg[-1] if msg else 'no frames'}")
    f = np.frombuffer(proc.stdout[: n * size], np.uint8).reshape(n, -1).astype(np.int16)
    return np.concatenate([[0.0], np.abs(f[1:] - f[:-1]).mean(axis=1)])


def find_cut_near(diffs: np.ndarray, frame: int, radius: int = 3) -> int | None:
    """Return the frame within ``radius`` of ``frame`` whose change stands out, else None.

    It must be the largest change in that window and at least 3 times the median change
    of the surrounding second (and above a floor of 4 grey levels).
    """
    a, b = max(1, frame - radius), min(len(diffs), frame + radius + 1)
    if a >= b:
        return None
    k = a + int(np.argmax(diffs[a:b]))
    lo, hi = max(1, k - 15), min(len(diffs), k + 16)
    around = np.concatenate([diffs[lo:k], diffs[k + 1:hi]])
    base = float(np.median(around)) if len(around) else 0.0
    return k if diffs[k] >= max(4.0, 3.0 * base) else None


ON_BEAT_WHYS = ("beat", "downbeat", "phrase", "section")
"""First words of an event's ``why`` that put its cut on a beat
(:func:`editspec.plan.cutopt.candidate_grid`)."""


def plan_beats(edl: EDL, *, use_cache: bool = True) -> tuple[np.ndarray, float, str]:
    """Return the beats the plan used, in seconds of the output, its tempo, and the source.

    The analysis of the EDL's song with the EDL's tracker (a cache hit when the plan ran
    here), shifted by the music's start; when the song file is gone, the EDL's beat and
    downbeat markers; else no beats (``none``).
    """
    from editspec.analysis.audio import TRACKERS, analyze_audio

    fps = float(edl.fps)
    tempo = float(edl.meta.get("tempo") or 0.0)
    if edl.music is not None and edl.music.path and os.path.isfile(edl.music.path):
        tracker = edl.meta.get("tracker")
        audio = analyze_audio(edl.music.path, use_cache=use_cache,
                              tracker=tracker if tracker in TRACKERS else None)
        return audio.beats - edl.music.start, tempo or audio.tempo, "analysis"
    marks = sorted(m.frame for m in edl.markers if m.kind in ("beat", "downbeat"))
    if marks:
        beats = np.array(marks, dtype=np.float64) / fps
        if not tempo and len(beats) > 2:
            tempo = 60.0 / float(np.median(np.diff(beats)))
        return beats, tempo, "markers"
    return np.zeros(0), tempo, "none"


def check_render(render: str, edl: EDL, *, use_cache: bool = True) -> CheckReport:
    """Check a render against its EDL and the beats its plan used.

    Parameters
    ----------
    render : str
        The rendered video.
    edl : EDL
        The EDL it was rendered from.
    use_cache : bool
        Read the song's cached analysis (:func:`plan_beats`).

    Returns
    -------
    CheckReport

    Raises
    ------
    MediaError
        When the render cannot be decoded.
    """
    diffs = picture_changes(render)
    fps = float(edl.fps)
    beats, tempo, source = plan_beats(edl, use_cache=use_cache)
    tol = (500.0 / fps + 1.0) if source == "analysis" else 1.0
    cuts = []
    for ev in edl.events[1:]:
        kind = ev.transition.kind if ev.transition else "cut"
        found = find_cut_near(diffs, ev.rec_in) if kind == "cut" else None
        on_beat = ev.why.split(" ", 1)[0] in ON_BEAT_WHYS
        t = (ev.rec_in if found is None else found) / fps
        if len(beats):
            nearest = float(beats[np.argmin(np.abs(beats - t))])
            ms = (t - nearest) * 1000.0
            cuts.append(CutCheck(ev.rec_in, found, ms, ms / 1000.0 * fps, kind, on_beat))
        else:
            cuts.append(CutCheck(ev.rec_in, found, None, None, kind, on_beat))
    errs = [(c.planned / fps, c.beat_ms) for c in cuts if c.beat_ms is not None and c.on_beat]
    drift = 0.0
    if len(errs) >= 3:
        t, e = np.array(errs).T
        if np.ptp(t) > 0:
            drift = float(np.polyfit(t / 60.0, e, 1)[0])
    return CheckReport(tuple(cuts), len(diffs), tempo, drift, source, tol)


def format_report(report: CheckReport, fps: float) -> str:
    """Return the human-readable table of ``editspec check``."""
    lines = [f"{'cut':>4s} {'planned':>8s} {'found':>6s} {'frames':>6s} {'beat ms':>8s} "
             f"{'beat fr':>7s}  transition"]
    for i, c in enumerate(report.cuts, 1):
        found = "-" if c.found is None else str(c.found)
        err = "-" if c.frame_error is None else f"{c.frame_error:+d}"
        ms = "-" if c.beat_ms is None else f"{c.beat_ms:+.1f}"
        bf = "-" if c.beat_frames is None else f"{c.beat_frames:+.2f}"
        mark = "" if c.on_beat else " (not on a beat by plan)"
        if c in report.off_beat:
            mark = " OFF THE BEAT"
        lines.append(f"{i:4d} {c.planned:8d} {found:>6s} {err:>6s} {ms:>8s} {bf:>7s}  "
                     f"{c.transition}{mark}")
    hard_on_beat = sum(c.transition == "cut" and c.on_beat for c in report.cuts)
    lines.append(f"tempo {report.tempo:.2f} BPM (the plan's); beats from the {report.beats_from}; "
                 f"drift {report.drift_ms_per_min:+.2f} ms/min; "
                 f"{len(report.off_frame)} of {sum(c.transition == 'cut' for c in report.cuts)} "
                 f"hard cuts off their frame; {len(report.off_beat)} of {hard_on_beat} on-beat "
                 f"cuts more than {report.beat_tolerance_ms:.1f} ms off their beat")
    return "\n".join(lines)
