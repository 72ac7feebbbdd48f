"""Media tools shared by the stages: the ffmpeg binary and a header-only probe.

``EDITSPEC_FFMPEG`` names the binary (or ``bundled``), else ``ffmpeg`` on PATH when it
can do what a render needs, else the static build that ships in the imageio-ffmpeg
wheel. What each binary can do is learnt once and cached (:mod:`editspec.ffcaps`);
every process that runs ffmpeg (the CLI, pool and Dask batch workers) chooses the same
way. Probing a media file parses ffmpeg's stream header report, so it needs no ffprobe
(the wheel has none) and never decodes frames.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from editspec.errors import MediaError

if TYPE_CHECKING:
    from editspec.ffcaps import Capabilities, Need

log = logging.getLogger(__name__)


BUNDLED = "bundled"
"""``EDITSPEC_FFMPEG=bundled`` picks the imageio-ffmpeg binary whatever is on PATH."""


@dataclass(frozen=True, slots=True)
class FfmpegChoice:
    """The ffmpeg binary editspec runs, and why."""

    path: str
    """The binary."""
    caps: Capabilities
    """What it can do."""
    why: str
    """Why it was chosen, in words."""
    explicit: bool
    """True when ``EDITSPEC_FFMPEG`` named it (no fallback then)."""
    passed_over: tuple[str, ...] = ()
    """What the ffmpeg on PATH lacks when it was passed over (as words)."""


def _bundled() -> str | None:
    try:
        import imageio_ffmpeg

        path = imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return None
    return path if path and os.path.isfile(path) else None


_said: set[str] = set()


def _say_once(message: str) -> None:
    if message not in _said:
        _said.add(message)
        log.warning("%s", message)


@functools.cache
def ffmpeg_choice() -> FfmpegChoice:
    """Choose the ffmpeg binary (once per process; what each can do is cached on disk).

    ``$EDITSPEC_FFMPEG`` when set (a path, a name on PATH, or ``bundled``); else
    ``ffmpeg`` on PATH when it has everything a render needs
    (:func:`editspec.ffcaps.base_needs`, after the adaptations the compile step makes);
    else the static build in the imageio-ffmpeg wheel, saying once on stderr why the
    one on PATH was passed over.

    Returns
    -------
    FfmpegChoice

    Raises
    ------
    ToolError
        When ``EDITSPEC_FFMPEG`` names no runnable ffmpeg, or there is no ffmpeg at all.
    """
    from editspec.errors import ToolError
    from editspec.ffcaps import base_needs, probe_binary

    env = os.environ.get("EDITSPEC_FFMPEG", "").strip()
    if env and env != BUNDLED:
        path = shutil.which(env) or env
        if not os.path.isfile(path):
            raise ToolError(f"EDITSPEC_FFMPEG={env}: no such program (set it to an ffmpeg "
                            f"binary, or to '{BUNDLED}', or unset it)")
        try:
            caps = probe_binary(os.path.abspath(path))
        except (OSError, subprocess.SubprocessError, MediaError) as exc:
            raise ToolError(f"EDITSPEC_FFMPEG={env} does not run as ffmpeg: {exc}") from None
        return FfmpegChoice(caps.path, caps, "named by EDITSPEC_FFMPEG", True)
    bundled = _bundled()
    if env == BUNDLED:
        if bundled is None:
            raise ToolError("EDITSPEC_FFMPEG=bundled but the imageio-ffmpeg package has no "
                            "ffmpeg binary here (pip install imageio-ffmpeg)")
        return FfmpegChoice(bundled, probe_binary(bundled),
                            "the bundled imageio-ffmpeg build (EDITSPEC_FFMPEG=bundled)", True)
    found = shutil.which("ffmpeg")
    if found:
        found = os.path.abspath(found)
        try:
            caps = probe_binary(found)
            lacks = tuple(n.describe() for n in caps.missing(base_needs()))
        except (OSError, subprocess.SubprocessError, MediaError) as exc:
            caps, lacks = None, (f"it does not run ({exc})",)
        if caps is not None and not lacks:
            return FfmpegChoice(found, caps, "ffmpeg on PATH", False)
        if bundled is not None:
            bcaps = probe_binary(bundled)
            version = f" {caps.version}" if caps is not None else ""
            _say_once(f"ffmpeg on PATH ({found}{version}) lacks {_words(lacks)}; using the "
                      f"bundled ffmpeg {bcaps.version} ({bundled})")
            return FfmpegChoice(bundled, bcaps, f"the ffmpeg on PATH ({found}) lacks "
                                f"{_words(lacks)}", False, lacks)
        if caps is not None:
            return FfmpegChoice(found, caps, f"ffmpeg on PATH (lacks {_words(lacks)}; "
                                f"no bundled ffmpeg to use instead)", False, lacks)
    if bundled is None:
        raise ToolError("no ffmpeg found: install imageio-ffmpeg (pip install imageio-ffmpeg) "
                        "or put ffmpeg on PATH or set EDITSPEC_FFMPEG")
    return FfmpegChoice(bundled, probe_binary(bundled),
                        "no ffmpeg on PATH: the bundled imageio-ffmpeg build", False)


def _words(items: tuple[str, ...] | list[str], shown: int = 3) -> str:
    text = ", ".join(items[:shown])
    return text + (f" and {len(items) - shown} more" if len(items) > shown else "")


def ffmpeg_exe() -> str:
    """Return the path of the ffmpeg binary editspec runs (see :func:`ffmpeg_choice`).

    Returns
    -------
    str
        ``$EDITSPEC_FFMPEG``, else ``ffmpeg`` on PATH when it can do what a render
        needs, else imageio-ffmpeg's binary.
    """
    return ffmpeg_choice().path


def ffmpeg_caps() -> Capabilities:
    """Return what the chosen ffmpeg binary can do."""
    return ffmpeg_choice().caps


def ffmpeg_for(needs: Iterable[Need], what: str) -> Capabilities:
    """Return the capabilities of a binary that has ``needs``: the chosen one, or the bundled.

    When the chosen binary lacks something ``what`` needs and it came from PATH, the
    bundled binary is used for this job (said once on stderr).

    Raises
    ------
    ToolError
        When no binary at hand has it (an explicit ``EDITSPEC_FFMPEG`` is never replaced).
    """
    from editspec.errors import ToolError
    from editspec.ffcaps import probe_binary

    needs = list(needs)
    choice = ffmpeg_choice()
    lacks = choice.caps.missing(needs)
    if not lacks:
        return choice.caps
    words = tuple(n.describe() for n in lacks)
    bundled = _bundled()
    if not choice.explicit and bundled is not None and bundled != choice.path:
        bcaps = probe_binary(bundled)
        if not bcaps.missing(needs):
            _say_once(f"ffmpeg {choice.caps.version} ({choice.path}) lacks {_words(words)}, "
                      f"which {what} needs; using the bundled ffmpeg {bcaps.version} ({bundled})")
            return bcaps
    source = "EDITSPEC_FFMPEG" if choice.explicit else "the ffmpeg"
    raise ToolError(f"{what} needs {_words(words)}, which {source} ({choice.path}, "
                    f"ffmpeg {choice.caps.version}) lacks; use an ffmpeg that has it"
                    + ("" if bundled is None or choice.path == bundled
                       else f" or EDITSPEC_FFMPEG={BUNDLED}"))


def fps_mode_args(mode: str) -> list[str]:
    """``-fps_mode MODE`` for the chosen ffmpeg (``-vsync MODE`` before 5.1)."""
    return ffmpeg_caps().fps_mode_args(mode)


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
    sar: Fraction = Fraction(1)
    """Sample (pixel) aspect ratio of the first video stream (16:15 for anamorphic PAL)."""
    colorspace: str = ""
    """YCbCr matrix the first video stream is tagged with (``bt709``, ``smpte170m``,
    ``bt470bg`` ...; empty when untagged)."""


_DURATION_RE = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_VIDEO_RE = re.compile(r"Stream #\S+.*?: Video: (.*)")
_AUDIO_RE = re.compile(r"Stream #\S+.*?: Audio: (.*)")
_SIZE_RE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_SAR_RE = re.compile(r"\[SAR (\d+):(\d+)")
_FPS_RE = re.compile(r"([\d.]+)(k?) (?:fps|tbr)")
_ROT_RE = re.compile(r"rotation of (-?[\d.]+) degrees|rotate\s*:\s*(-?\d+)")
_HZ_RE = re.compile(r"(\d+) Hz")
_MATRICES = frozenset({"bt709", "smpte170m", "bt470bg", "bt2020nc", "bt2020c", "smpte240m",
                       "fcc", "ycgco", "gbr", "chroma-derived-nc", "chroma-derived-c", "ictcp"})
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
    sar = Fraction(1)
    colorspace = ""
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
        pm = re.match(r"[\w ()]*?\w+\(([^)]*)\)", line.split(",", 1)[1] if "," in line else "")
        for token in (pm.group(1).split(", ") if pm else ()):
            if token.split("/")[0] in _MATRICES:
                colorspace = token.split("/")[0]
                break
        am_ = _SAR_RE.search(line)
        if am_ and int(am_.group(1)) > 0 and int(am_.group(2)) > 0:
            sar = Fraction(int(am_.group(1)), int(am_.group(2)))
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
        rotation = round(float(rm.group(1) or rm.group(2))) % 360
    am = _AUDIO_RE.search(text)
    sample_rate = 0
    if am:
        hm = _HZ_RE.search(am.group(1))
        sample_rate = int(hm.group(1)) if hm else 0
    return MediaInfo(path=path, duration=duration, has_video=has_video, has_audio=am is not None,
                     width=width, height=height, fps=fps, rotation=rotation,
                     sample_rate=sample_rate, still=_IMAGE_RE.search(text) is not None, sar=sar,
                     colorspace=colorspace)


_ERROR_LINE = re.compile(r"error|unable|invalid|cannot|can't|could not|couldn't|not found|"
                         r"no such|unrecognized|unknown|failed|not supported|does not|"
                         r"option .* not|incompatible|too (?:long|large|many)|denied|no space",
                         re.I)
_NOISE_LINE = re.compile(r"Task finished with error code|Terminating thread|Could not open "
                         r"encoder before EOF|Nothing was written into output|Conversion "
                         r"failed|Error while filtering|Exiting normally|^frame=|^size=|"
                         r"^Press \[q\]|^\s*$")


def ffmpeg_error_line(stderr: str, line_chars: int = 1000, lines: int = 3) -> str:
    """Return what ffmpeg said went wrong, as one line, the cause never cut off.

    The first line that reads like an error is the cause (``Unable to parse option
    value "quiet"``); the last one or two are ffmpeg's summary. Each is kept whole
    up to ``line_chars`` (longer ones are shortened in the middle), and the
    ``[Parsed_ebur128_12 @ 0x5605...]`` prefixes become ``ebur128:``.
    """
    rows = []
    for raw in stderr.splitlines():
        row = raw.strip()
        if not row or _NOISE_LINE.search(row):
            continue
        row = re.sub(r"^\[Parsed_(\w+?)_\d+ @ 0x[0-9a-f]+\]\s*", r"\1: ", row)
        row = re.sub(r"^\[([\w/#:.-]+) @ 0x[0-9a-f]+\]\s*", r"\1: ", row)
        if len(row) > line_chars:
            half = (line_chars - 5) // 2
            row = row[:half] + " ... " + row[-half:]
        if row not in rows:
            rows.append(row)
    if not rows:
        return "no message"
    errors = [r for r in rows if _ERROR_LINE.search(r)]
    if not errors:
        return " | ".join(rows[-lines:])
    picked = [errors[0]]
    for r in errors[-(lines - 1):]:
        if r not in picked:
            picked.append(r)
    return " | ".join(picked)


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
        text = proc.stderr.decode(errors="replace")
        detail = ffmpeg_error_line(text) if text.strip() else f"ffmpeg exit {proc.returncode}"
        raise MediaError(f"{what} failed: {detail}")
    return proc


def ffmpeg_report() -> dict[str, object]:
    """What ``editspec doctor`` shows: the chosen ffmpeg, why, and what each candidate lacks.

    Returns
    -------
    dict
        ``chosen`` (path, version, why, script option, frame-rate option, features
        present and missing among :data:`editspec.ffcaps.OPTIONAL`, base needs
        missing), and ``path`` / ``bundled``: the same for the ffmpeg on PATH and the
        bundled one (None when absent).
    """
    from editspec.ffcaps import OPTIONAL, base_needs, probe_binary

    def describe(caps: Capabilities) -> dict[str, object]:
        return {"path": caps.path, "version": caps.version,
                "libavfilter": ".".join(map(str, caps.libavfilter)),
                "graph_from_file": caps.script_option,
                "frame_rate_option": caps.fps_mode_args("cfr")[0],
                "lacks_for_every_render": [n.describe() for n in caps.missing(base_needs())],
                "lacks": [n.describe() for n in caps.missing(OPTIONAL)]}

    def candidate(path: str | None) -> dict[str, object] | None:
        if path is None:
            return None
        try:
            return describe(probe_binary(os.path.abspath(path)))
        except (OSError, subprocess.SubprocessError, MediaError) as exc:
            return {"path": path, "error": str(exc)}

    choice = ffmpeg_choice()
    return {"chosen": {**describe(choice.caps), "why": choice.why,
                       "explicit": choice.explicit},
            "path": candidate(shutil.which("ffmpeg")), "bundled": candidate(_bundled())}
