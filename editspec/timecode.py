"""Time and rate conversions: rational frame rates, frame numbers and time strings.

Timeline positions are integer frames and rates are :class:`fractions.Fraction`
(``30000/1001``, never 29.97). Float seconds appear only at the edges.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

_TIME_RE = re.compile(
    r"^\s*(?P<num>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>ms|s|sec|secs|seconds?|m|min|mins|minutes?|f|frames?)?\s*$"
)
_CLOCK_RE = re.compile(r"^\s*(?:(?P<h>[0-9]+):)?(?P<m>[0-9]+):(?P<s>[0-9]+(?:\.[0-9]+)?)\s*$")

TIME_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0}
_UNIT_ALIASES = {"sec": "s", "secs": "s", "second": "s", "seconds": "s", "min": "m",
                 "mins": "m", "minute": "m", "minutes": "m"}

COMMON_FPS = {"23.976": Fraction(24000, 1001), "29.97": Fraction(30000, 1001),
              "59.94": Fraction(60000, 1001), "47.952": Fraction(48000, 1001)}


def parse_fps(value: int | float | str | Fraction) -> Fraction:
    """Return a frame rate as a Fraction.

    Parameters
    ----------
    value : int, float, str or Fraction
        ``30``, ``"30000/1001"``, ``"29.97"`` (read as 30000/1001) or ``25.0``.

    Returns
    -------
    Fraction
        The exact rate, > 0.

    Raises
    ------
    ValueError
        When the value is not a positive rate.

    Examples
    --------
    >>> parse_fps("30000/1001")
    Fraction(30000, 1001)
    """
    if isinstance(value, bool):
        raise ValueError(f"fps={value!r} is not a frame rate")
    if isinstance(value, Fraction):
        fps = value
    elif isinstance(value, int):
        fps = Fraction(value)
    elif isinstance(value, float):
        key = f"{value:g}"
        fps = COMMON_FPS.get(key, Fraction(value).limit_denominator(1001))
    elif isinstance(value, str):
        text = value.strip()
        if text in COMMON_FPS:
            fps = COMMON_FPS[text]
        else:
            try:
                fps = Fraction(text)
            except (ValueError, ZeroDivisionError) as exc:
                raise ValueError(
                    f"fps={value!r} is not a frame rate like 30 or 30000/1001") from exc
            if fps.denominator not in (1, 1001) and "/" not in text:
                fps = fps.limit_denominator(1001)
    else:
        raise ValueError(f"fps={value!r} is not a frame rate")
    if fps <= 0 or fps > 1000:
        raise ValueError(f"fps={value} must be > 0 and <= 1000")
    return fps


def fps_to_json(fps: Fraction) -> int | str:
    """Return ``30`` for integer rates and ``"30000/1001"`` otherwise (the EDL's form)."""
    return int(fps) if fps.denominator == 1 else f"{fps.numerator}/{fps.denominator}"


def parse_time(value: int | float | str) -> float:
    """Return a duration or position in seconds.

    Parameters
    ----------
    value : int, float or str
        ``20``, ``"20s"``, ``"1.5s"``, ``"500ms"``, ``"2m"``, ``"1:30"``, ``"0:01:30.5"``.

    Returns
    -------
    float
        Seconds, >= 0.

    Raises
    ------
    ValueError
        When the text is not a time; the message names the accepted forms.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a time")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        text = str(value)
        m = _TIME_RE.match(text)
        c = _CLOCK_RE.match(text)
        if m:
            unit = m.group("unit") or "s"
            unit = _UNIT_ALIASES.get(unit, unit)
            if unit.startswith("f"):
                raise ValueError(f"{text!r}: frames are not a time here; use seconds like 2s")
            seconds = float(m.group("num")) * TIME_UNITS[unit]
        elif c:
            seconds = float(c.group("s")) + 60 * int(c.group("m")) + 3600 * int(c.group("h") or 0)
        else:
            raise ValueError(f"{text!r} is not a time; write 20s, 1.5s, 500ms, 2m or 1:30")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{value!r} must be a finite time >= 0")
    return seconds


def time_to_frame(seconds: float, fps: Fraction) -> int:
    """Return the frame nearest to a time (half a frame at most away).

    Parameters
    ----------
    seconds : float
        Time in seconds.
    fps : Fraction
        Frame rate.

    Returns
    -------
    int
        ``round(seconds * fps)``, ties rounding half up.
    """
    return math.floor(seconds * fps.numerator / fps.denominator + 0.5)


def frame_to_time(frame: int, fps: Fraction) -> float:
    """Return the start time in seconds of a frame."""
    return float(Fraction(frame) / fps)


def format_time(seconds: float) -> str:
    """Return a compact time string that :func:`parse_time` reads back (``12.5s``)."""
    return f"{seconds:.6g}s"
