"""Video decoding for analysis: any clip ffmpeg reads → small yuv420p frames, streamed in chunks.

One ffmpeg process per clip decodes with threads (and the H.264/HEVC loop filter
skipped: invisible at the analysis size, about a fifth of the decode time),
applies the stream's display rotation (ffmpeg's autorotate), scales with ``area``
averaging straight to ``yuv420p`` at a small size whose long side is
:data:`LONG_SIDE` pixels, and resamples to a constant rate so that frame ``i`` is at
``i / fps`` seconds (variable-frame-rate phone video included). Interlaced sources
need no deinterlacer: the vertical area averaging merges the fields. 10-bit sources
are converted by the scaler.

The caller reads chunks of raw frames while ffmpeg decodes the next ones, so the
analysis runs beside the decoder.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from editspec.errors import MediaError

log = logging.getLogger(__name__)

LONG_SIDE = 128
"""Long side of the analysis frames, pixels."""
CHUNK_FRAMES = 256
"""Frames read per chunk."""


@dataclass(frozen=True, slots=True)
class FrameGeometry:
    """Size and rate of the analysis frames of one clip."""

    width: int
    """Analysis width, pixels (a multiple of 8, display orientation)."""
    height: int
    """Analysis height, pixels (a multiple of 8)."""
    fps: Fraction
    """Constant analysis rate: frame ``i`` is at ``i / fps`` s."""

    @property
    def frame_bytes(self) -> int:
        """Bytes of one yuv420p frame."""
        return self.width * self.height * 3 // 2


def analysis_size(width: int, height: int, rotation: int = 0,
                  long_side: int = LONG_SIDE) -> tuple[int, int]:
    """Return the analysis (width, height) of a clip in display orientation.

    Parameters
    ----------
    width, height : int
        Coded size, pixels (0 when unknown: 16:9 is assumed).
    rotation : int
        Display rotation, degrees; 90 and 270 swap the sides.
    long_side : int
        Long side of the result, pixels.

    Returns
    -------
    (int, int)
        Both multiples of 8, at least 16.
    """
    if width <= 0 or height <= 0:
        width, height = 16, 9
    if rotation % 180 == 90:
        width, height = height, width
    scale = long_side / max(width, height)

    def side(x: float) -> int:
        return max(16, round(x * scale / 8.0) * 8)

    return side(width), side(height)


def decode_argv(path: str, geometry: FrameGeometry, threads: int = 0) -> list[str]:
    """Return the ffmpeg arguments that write the analysis frames of ``path`` to stdout.

    Parameters
    ----------
    path : str
        The clip.
    geometry : FrameGeometry
        Size and rate of the frames.
    threads : int
        Decoder threads (0: ffmpeg's choice).
    """
    from editspec.media import ffmpeg_exe, fps_mode_args

    g = geometry
    return [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error",
            "-threads", str(threads), "-skip_loop_filter", "all", "-i", path,
            "-map", "0:v:0", "-an", "-sn", "-dn",
            "-vf", f"scale={g.width}:{g.height}:flags=area,format=yuv420p",
            *fps_mode_args("cfr"), "-r", str(g.fps), "-f", "rawvideo", "-pix_fmt", "yuv420p",
            "pipe:1"]


@dataclass(slots=True)
class DecodeReport:
    """What happened while decoding; filled in when the frame iterator ends."""

    frames: int = 0
    """Frames decoded."""
    returncode: int = 0
    """ffmpeg's exit status."""
    message: str = ""
    """ffmpeg's last error line, if any."""


def iter_frames(path: str, geometry: FrameGeometry, *, threads: int = 0,
                chunk: int = CHUNK_FRAMES, report: DecodeReport | None = None
                ) -> Iterator[np.ndarray]:
    """Decode a clip and yield its frames in chunks.

    Parameters
    ----------
    path : str
        The clip.
    geometry : FrameGeometry
        Analysis size and rate.
    threads : int
        Decoder threads (0: ffmpeg's choice).
    chunk : int
        Frames per chunk.
    report : DecodeReport, optional
        Filled with the frame count and ffmpeg's status when the iterator ends.

    Yields
    ------
    np.ndarray [shape=(n, frame_bytes)], uint8
        Raw yuv420p frames, one per row; a fresh array per chunk.

    Raises
    ------
    MediaError
        When no frame at all can be decoded.
    """
    report = report if report is not None else DecodeReport()
    fb = geometry.frame_bytes
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(decode_argv(path, geometry, threads), stdout=subprocess.PIPE,
                                stderr=err, bufsize=0)
        assert proc.stdout is not None
        try:
            while True:
                buf = bytearray(chunk * fb)
                view = memoryview(buf)
                got = 0
                while got < len(buf):
                    k = proc.stdout.readinto(view[got:])
                    if not k:
                        break
                    got += k
                n = got // fb
                if n:
                    report.frames += n
                    yield np.frombuffer(buf, dtype=np.uint8, count=n * fb).reshape(n, fb)
                if got < len(buf):
                    break
        finally:
            proc.stdout.close()
            if proc.poll() is None:
                proc.kill()
            report.returncode = proc.wait()
            err.seek(0)
            lines = err.read().decode(errors="replace").strip().splitlines()
            report.message = _last_error(lines)
    if report.frames == 0:
        raise MediaError(f"{path}: cannot decode video: {report.message or 'no frames decoded'}")


def _last_error(lines: list[str]) -> str:
    lines = [ln.strip() for ln in lines if ln.strip()]
    return lines[-1] if lines else ""


def planes(raw: np.ndarray, geometry: FrameGeometry) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split raw yuv420p rows into Y (n, h, w) and U, V (n, h/2, w/2) views (no copy)."""
    w, h = geometry.width, geometry.height
    n = raw.shape[0]
    wh = w * h
    q = wh // 4
    y = raw[:, :wh].reshape(n, h, w)
    u = raw[:, wh:wh + q].reshape(n, h // 2, w // 2)
    v = raw[:, wh + q:wh + 2 * q].reshape(n, h // 2, w // 2)
    return y, u, v


_MOOV_RE = re.compile(r"moov atom not found|Invalid data found|could not find codec parameters|"
                      r"End of file", re.IGNORECASE)


def explain_unreadable(path: str) -> str | None:
    """Return why ffmpeg cannot open ``path`` as media (a short reason), or None when it can."""
    from editspec.media import ffmpeg_exe

    if not os.path.isfile(path):
        return "no such file"
    if os.path.getsize(path) == 0:
        return "empty file"
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", path],
                          capture_output=True, text=True, errors="replace")
    text = proc.stderr
    with open(path, "rb") as fh:
        head = fh.read(12)
    if "moov atom not found" in text and head[4:8] in (b"ftyp", b"mdat", b"wide", b"free"):
        return "truncated or damaged: its index (moov atom) is missing"
    m = _MOOV_RE.search(text)
    if m and "Stream #" not in text:
        return "not a media file that ffmpeg can read"
    return None


_RATES_RE = re.compile(r"Video: .*?(?:([\d.]+)(k?) fps, )?([\d.]+)(k?) tbr")


def analysis_rate(path: str, header_fps: Fraction) -> Fraction:
    """Return the constant rate to analyze ``path`` at.

    The header's average rate, except for variable-frame-rate files whose base rate
    (ffmpeg's ``tbr``) is higher: then the base rate, so that no frame is dropped and
    a cut lands on its own frame.
    """
    from editspec.media import ffmpeg_exe
    from editspec.timecode import parse_fps

    text = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", path],
                          capture_output=True, text=True, errors="replace").stderr
    for line in text.splitlines():
        if "Video:" not in line or "attached pic" in line:
            continue
        m = _RATES_RE.search(line)
        if not m:
            break
        tbr = float(m.group(3)) * (1000 if m.group(4) else 1)
        if float(header_fps) * 1.01 < tbr <= 120:
            return Fraction(parse_fps(m.group(3) if not m.group(4) else tbr))
        break
    return header_fps

