"""Media tools shared by the stages: the ffmpeg binary and a header-only probe.

``EDITSPEC_FFMPEG`` names the binary, else ``ffmpeg`` on PATH, else the static build
that ships in the imageio-ffmpeg wheel. Probing parses ffmpeg's stream header
report, so it needs no ffprobe (the wheel has none) and never decodes frames.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from fractions import Fraction

from editspec.errors import MediaError


@functools.cache
def ffmpeg_exe() -> str:
    """Return the path of the ffmpeg binary editspec runs.

    Returns
    -------
    str
        ``$EDITSPEC_FFMPEG``, else ``ffmpeg`` on PATH, else imageio-ffmpeg's binary.
    """
    env = os.environ.get("EDITSPEC_FFMPEG")
    if env:
        return env
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@dataclass(frozen=True, slots=True)
class MediaInfo:
    """What a media file's header says."""

    path: str
    """The probed file."""
    duration: float
    """Duration in seconds (0 when the header does not say)."""
    has_video: bool
    """True when there is a video stream (cover art excluded)."""
    has_audio: bool
    """True when there is an audio stream."""
    width: int = 0
    """Coded width of the first video stream, in pixels."""
    height: int = 0
    """Coded height of the first video stream, in pixels."""
    fps: Fraction = Fraction(0)
    """Frame rate of the first video stream (0 when none)."""
    rotation: int = 0
    """Display rotation in degrees from the stream's side data."""
    sample_rate: int = 0
    """Sample rate of the first audio stream, Hz."""
    still: bool = False
    """True for a still image (read by an image demuxer: JPEG, PNG, WebP, ...)."""


_DURATION_RE = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_VIDEO_RE = re.compile(r"Stream #\S+.*?: Video: (.*)")
_AUDIO_RE = re.compile(r"Stream #\S+.*?: Audio: (.*)")
_SIZE_RE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_FPS_RE = re.compile(r"([\d.]+)(k?) (?:fps|tbr)")
_ROT_RE = re.compile(r"rotation of (-?[\d.]+) degrees|rotate\s*:\s*(-?\d+)")
_HZ_RE = re.compile(r"(\d+) Hz")
_IMAGE_RE = re.compile(r"^Input #0, (?:image2|\w+_pipe),", re.MULTILINE)


def probe(path: str) -> MediaInfo:
    """Read a media file's header (no frames are decoded).

    Parameters
    ----------
    path : str
        A video or audio file.

    Returns
    -------
    MediaInfo

    Raises
    ------
    MediaError
        When the file is missing or ffmpeg cannot read it as media.
    """
    if not os.path.isfile(path):
        raise MediaError(f"{path}: no such file")
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", path],
                          capture_output=True, text=True, errors="replace")
    text = proc.stderr
    if "Invalid data found" in text or ("Stream #" not in text):
        raise MediaError(f"{path}: not a media file that ffmpeg can read")
    duration = 0.0
    m = _DURATION_RE.search(text)
    if m:
        duration = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    width = height = 0
    fps = Fraction(0)
    has_video = False
    for vm in _VIDEO_RE.finditer(text):
        line = vm.group(1)
        if "attached pic" in line:
            continue
        has_video = True
        sm = _SIZE_RE.search(line.split("[SAR")[0]) or _SIZE_RE.search(line)
        if sm:
            width, height = int(sm.group(1)), int(sm.group(2))
        fm = _FPS_RE.search(line)
        if fm:
            value = float(fm.group(1)) * (1000 if fm.group(2) else 1)
            from editspec.timecode import parse_fps

            try:
                fps = parse_fps(fm.group(1)) if not fm.group(2) else parse_fps(value)
            except ValueError:
                raise MediaError(f"{path}: its header gives a frame rate of {value:g} fps, over "
                                 "the 1000 fps editspec cuts; re-encode it to a lower rate "
                                 "(ffmpeg -i IN -r 60 OUT)") from None
        break
    rotation = 0
    rm = _ROT_RE.search(text)
    if rm:
        rotation = int(round(float(rm.group(1) or rm.group(2)))) % 360
    am = _AUDIO_RE.search(text)
    sample_rate = 0
    if am:
        hm = _HZ_RE.search(am.group(1))
        sample_rate = int(hm.group(1)) if hm else 0
    return MediaInfo(path=path, duration=duration, has_video=has_video, has_audio=am is not None,
                     width=width, height=height, fps=fps, rotation=rotation,
                     sample_rate=sample_rate, still=_IMAGE_RE.search(text) is not None)


def run_ffmpeg(args: list[str], what: str) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg with ``args`` and raise a one-line :class:`MediaError` on failure.

    Parameters
    ----------
    args : list of str
        Arguments after the binary (``-hide_banner -nostdin`` are prepended).
    what : str
        What is being done, for the error message.
    """
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", *args],
                          capture_output=True)
    if proc.returncode != 0:
        last = proc.stderr.decode(errors="replace").strip().splitlines()
        raise MediaError(f"{what} failed: {last[-1] if last else 'ffmpeg exit ' + str(proc.returncode)}")
    return proc
