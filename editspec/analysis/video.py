"""Video analysis: clip facts from the header, shot boundaries and motion from small frames.

Input: a video file. Output: :class:`VideoInfo` (header only, never decodes frames)
and :class:`VideoAnalysis` (shots and per-shot motion from 64-pixel-wide grey frames
decoded by ffmpeg, differenced by a numba kernel).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from editspec.errors import MediaError

ANALYZER_VERSION = "video-0.1"
THUMB_W, THUMB_H = 64, 36


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """A clip's header facts."""

    path: str
    """The clip."""
    duration: float
    """Duration in seconds."""
    fps: Fraction
    """Frame rate."""
    width: int
    """Width in pixels."""
    height: int
    """Height in pixels."""
    has_audio: bool
    """Whether it has sound."""


def probe_video(path: str) -> VideoInfo:
    """Read a clip's header; no frames are decoded.

    Raises
    ------
    MediaError
        When the file is missing, not media, or has no video stream.
    """
    from editspec.media import probe

    info = probe(path)
    if not info.has_video:
        raise MediaError(f"{path}: has no video stream")
    if info.duration <= 0:
        raise MediaError(f"{path}: the header gives no duration")
    fps = info.fps if info.fps > 0 else Fraction(30)
    return VideoInfo(path, info.duration, fps, info.width, info.height, info.has_audio)


@dataclass(frozen=True, slots=True)
class VideoAnalysis:
    """Shots and motion of a clip."""

    path: str
    """The clip."""
    duration: float
    """Duration in seconds."""
    fps: Fraction
    """Frame rate."""
    cuts: np.ndarray
    """Times in seconds at which a new shot starts [shape=(n_cuts,)]."""
    motion: np.ndarray
    """Mean frame difference per shot, 0..1 [shape=(n_cuts + 1,)]."""
    frame_motion: np.ndarray
    """Mean absolute difference to the previous frame, 0..1, per frame."""

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of ``editspec shots --json``."""
        from editspec.timecode import fps_to_json

        return {"version": 1, "analyzer": ANALYZER_VERSION, "path": self.path,
                "duration": round(self.duration, 6), "fps": fps_to_json(self.fps),
                "cuts": [round(float(c), 4) for c in self.cuts],
                "motion": [round(float(m), 5) for m in self.motion]}


def decode_thumbs(path: str, width: int = THUMB_W, height: int = THUMB_H) -> np.ndarray:
    """Decode every frame of a clip as small grey images.

    Returns
    -------
    np.ndarray [shape=(n_frames, height, width)], uint8
    """
    from editspec.media import ffmpeg_exe

    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", path, "-map", "0:v:0",
         "-vf", f"scale={width}:{height}:flags=area,format=gray", "-f", "rawvideo", "-"],
        capture_output=True)
    frame_bytes = width * height
    n = len(proc.stdout) // frame_bytes
    if proc.returncode != 0 and n == 0:
        msg = proc.stderr.decode(errors="replace").strip().splitlines()
        raise MediaError(f"{path}: cannot decode video: {msg[-1] if msg else 'ffmpeg failed'}")
    return np.frombuffer(proc.stdout[: n * frame_bytes], dtype=np.uint8).reshape(n, height, width)


def detect_shots(path: str, *, threshold: float = 6.0, min_diff: float = 0.08) -> VideoAnalysis:
    """Find hard cuts: frames whose difference to the previous frame stands far above its neighbours.

    Parameters
    ----------
    path : str
        Video file.
    threshold : float
        A cut's difference must exceed ``threshold`` times the median difference of
        the surrounding second.
    min_diff : float
        ... and be at least this large (0..1 of full scale).

    Returns
    -------
    VideoAnalysis
    """
    from editspec.analysis._kernels import frame_diffs

    info = probe_video(path)
    thumbs = decode_thumbs(path)
    if len(thumbs) == 0:
        raise MediaError(f"{path}: no frames decoded")
    diffs = frame_diffs(np.ascontiguousarray(thumbs)) / 255.0
    win = max(3, int(round(float(info.fps))))
    cut_frames = []
    for i in range(1, len(diffs)):
        lo, hi = max(1, i - win), min(len(diffs), i + win + 1)
        around = np.concatenate([diffs[lo:i], diffs[i + 1:hi]])
        base = float(np.median(around)) if len(around) else 0.0
        if diffs[i] >= min_diff and diffs[i] > threshold * base:
            cut_frames.append(i)
    bounds = [0, *cut_frames, len(diffs)]
    motion = np.array([diffs[a + 1:b].mean() if b - a > 1 else 0.0
                       for a, b in zip(bounds[:-1], bounds[1:], strict=True)])
    cuts = np.array(cut_frames, dtype=np.float64) / float(info.fps)
    return VideoAnalysis(path, info.duration, info.fps, cuts, motion, diffs.astype(np.float32))
