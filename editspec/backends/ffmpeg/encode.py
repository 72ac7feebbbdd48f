"""Encoder arguments of a render: codecs, quality, presets, hardware encoders."""

from __future__ import annotations

from dataclasses import dataclass

from editspec.edl import EDL
from editspec.errors import BackendError

VIDEO_CODECS = {"h264": "libx264", "h265": "libx265", "vp9": "libvpx-vp9", "av1": "libsvtav1"}
"""EDL codec names → software encoders."""

COLOUR_ARGS = ["-color_range", "tv", "-color_primaries", "bt709", "-color_trc", "bt709",
               "-colorspace", "bt709"]
"""Colour properties of every render (and every segment of one): Rec. 709, limited range."""


@dataclass(frozen=True, slots=True)
class EncodeOverrides:
    """What a render changes of the EDL's encode settings (``edl.encode``); None keeps
    the EDL's."""

    codec: str | None = None
    """``h264``, ``h265``, ``vp9`` or ``av1``."""
    preset: str | None = None
    crf: int | None = None
    bitrate: str | None = None
    """Target bitrate (``8M``); empty: constant quality."""
    audio_bitrate: str | None = None
    encoder: str | None = None
    """ffmpeg encoder name to use instead of the codec's software encoder (a hardware
    encoder the render step found working)."""


ENCODE_OPTIONS = ("codec", "preset", "crf", "bitrate", "audio_bitrate", "encoder")
"""The render options that are :class:`EncodeOverrides` fields."""


def encoder_args(edl: EDL, output: str, over: EncodeOverrides) -> list[str]:
    """Return the video encoder arguments (``edl.encode`` with the overrides given)."""
    enc = edl.encode
    codec = over.codec or enc.codec
    preset = over.preset or enc.preset
    crf = enc.crf if over.crf is None else over.crf
    bitrate = enc.bitrate if over.bitrate is None else over.bitrate
    encoder = over.encoder
    if codec not in VIDEO_CODECS:
        raise BackendError(f"codec {codec!r} is not supported, available: "
                           f"{', '.join(VIDEO_CODECS)}")
    name = encoder or VIDEO_CODECS[codec]
    args = ["-c:v", name]
    quality = ["-b:v", bitrate] if bitrate else []
    if name in ("libx264", "libx265"):
        args += ["-preset", preset]
        if not bitrate:
            quality = ["-crf", str(crf if crf is not None else 20)]
        if name == "libx265":
            args += ["-x265-params", "log-level=error"]
            if output.lower().endswith((".mp4", ".mov", ".m4v")):
                args += ["-tag:v", "hvc1"]
    elif name == "libvpx-vp9":
        speed = {"ultrafast": 8, "superfast": 8, "veryfast": 7, "faster": 6, "fast": 5,
                 "medium": 4, "slow": 2, "slower": 1, "veryslow": 0}.get(preset, 6)
        args += ["-deadline", "realtime" if speed >= 7 else "good", "-cpu-used", str(speed),
                 "-row-mt", "1"]
        if not bitrate:
            quality = ["-crf", str(crf if crf is not None else 32), "-b:v", "0"]
    elif name == "libsvtav1":
        speed = {"ultrafast": 12, "superfast": 11, "veryfast": 10, "faster": 9, "fast": 8,
                 "medium": 6, "slow": 4, "slower": 3, "veryslow": 2}.get(preset, 8)
        args += ["-preset", str(speed)]
        if not bitrate:
            quality = ["-crf", str(crf if crf is not None else 32)]
    elif not bitrate:  # hardware encoders: constant quality where they take one
        q = str(crf if crf is not None else 23)
        if "nvenc" in name:
            quality = ["-rc", "vbr", "-cq", q, "-b:v", "0"]
        elif "qsv" in name:
            quality = ["-global_quality", q]
        elif "vaapi" in name:
            quality = ["-qp", q]
        else:
            quality = ["-q:v", q]
    return [*args, *quality, "-pix_fmt", "yuv420p", *COLOUR_ARGS]


def audio_codec_args(edl: EDL, output: str, audio_bitrate: str | None) -> list[str]:
    """Return the audio encoder arguments: AAC, or Opus in WebM."""
    rate = audio_bitrate or edl.encode.audio_bitrate
    codec = "libopus" if output.lower().endswith(".webm") else "aac"
    return ["-c:a", codec, "-b:a", rate, "-ar", "48000", "-ac", "2"]
