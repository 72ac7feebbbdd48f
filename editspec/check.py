"""Beat-grid check of a render: are the cuts on their planned frames and on the beat?

Input: a rendered video and the EDL it was rendered from. The render is decoded (small
RGB frames) and its picture changes are found; its soundtrack is analyzed like any
song. Output: per planned cut, the error to the detected cut in frames and to the
nearest detected beat in ms and frames, the tempo decision with its half/double
alternative, and the drift of cuts against beats over the song.
"""

from __future__ import annotations

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
    """Cut time minus the nearest detected beat, ms."""
    beat_frames: float | None
    """The same in output frames."""
    transition: str
    """The event's transition kind (gradual transitions are not frame-checked)."""

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
    """Tempo of the render's soundtrack, BPM."""
    tempo_alternative: float
    """Its half- or double-tempo alternative, BPM."""
    tempo_confidence: float
    """Confidence of the tempo over the alternative, 0..1."""
    drift_ms_per_min: float
    """Slope of cut-minus-beat error over time, ms per minute."""

    @property
    def off_frame(self) -> list[CutCheck]:
        """Hard cuts whose picture change is not on the planned frame."""
        return [c for c in self.cuts if c.transition == "cut" and c.frame_error != 0]

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {"frames": self.frames, "tempo": round(self.tempo, 3),
                "tempo_alternative": round(self.tempo_alternative, 3),
                "tempo_confidence": round(self.tempo_confidence, 3),
                "drift_ms_per_min": round(self.drift_ms_per_min, 3),
                "off_frame": len(self.off_frame),
                "cuts": [{"planned": c.planned, "found": c.found, "frame_error": c.frame_error,
                          "beat_ms": None if c.beat_ms is None else round(c.beat_ms, 2),
                          "beat_frames": None if c.beat_frames is None else round(c.beat_frames, 3),
                          "transition": c.transition} for c in self.cuts]}


def picture_changes(path: str) -> np.ndarray:
    """Return the mean absolute RGB difference of each decoded frame to the previous one."""
    from editspec.media import ffmpeg_exe

    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", path, "-map", "0:v:0",
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


def check_render(render: str, edl: EDL) -> CheckReport:
    """Check a render against its EDL.

    Parameters
    ----------
    render : str
        The rendered video.
    edl : EDL
        The EDL it was rendered from.

    Returns
    -------
    CheckReport

    Raises
    ------
    MediaError
        When the render cannot be decoded.
    """
    from editspec.analysis.audio import analyze_audio

    diffs = picture_changes(render)
    fps = float(edl.fps)
    audio = analyze_audio(render)
    beats = audio.beats
    cuts = []
    for ev in edl.events[1:]:
        kind = ev.transition.kind if ev.transition else "cut"
        found = find_cut_near(diffs, ev.rec_in) if kind == "cut" else None
        t = ev.rec_in / fps
        if len(beats):
            nearest = float(beats[np.argmin(np.abs(beats - t))])
            ms = (t - nearest) * 1000.0
            cuts.append(CutCheck(ev.rec_in, found, ms, ms / 1000.0 * fps, kind))
        else:
            cuts.append(CutCheck(ev.rec_in, found, None, None, kind))
    errs = [(c.planned / fps, c.beat_ms) for c in cuts if c.beat_ms is not None]
    drift = 0.0
    if len(errs) >= 3:
        t, e = np.array(errs).T
        if np.ptp(t) > 0:
            drift = float(np.polyfit(t / 60.0, e, 1)[0])
    return CheckReport(tuple(cuts), len(diffs), audio.tempo, audio.tempo_alternative,
                       audio.tempo_confidence, drift)


def format_report(report: CheckReport, fps: float) -> str:
    """Return the human-readable table of ``editspec check``."""
    lines = [f"{'cut':>4s} {'planned':>8s} {'found':>6s} {'frames':>6s} {'beat ms':>8s} "
             f"{'beat fr':>7s}  transition"]
    for i, c in enumerate(report.cuts, 1):
        found = "-" if c.found is None else str(c.found)
        err = "-" if c.frame_error is None else f"{c.frame_error:+d}"
        ms = "-" if c.beat_ms is None else f"{c.beat_ms:+.1f}"
        bf = "-" if c.beat_frames is None else f"{c.beat_frames:+.2f}"
        lines.append(f"{i:4d} {c.planned:8d} {found:>6s} {err:>6s} {ms:>8s} {bf:>7s}  "
                     f"{c.transition}")
    lines.append(f"tempo {report.tempo:.2f} BPM (alternative {report.tempo_alternative:.2f}, "
                 f"confidence {report.tempo_confidence:.2f}); drift "
                 f"{report.drift_ms_per_min:+.2f} ms/min; {len(report.off_frame)} of "
                 f"{sum(c.transition == 'cut' for c in report.cuts)} hard cuts off their frame")
    return "\n".join(lines)
