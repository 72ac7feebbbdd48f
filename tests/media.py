"""Test media helpers: decode renders and find where the picture changes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from editspec.media import ffmpeg_exe


def decode_rgb(path: str, width: int = 90, height: int = 160) -> np.ndarray:
    """Decode every frame of a video as small RGB images [shape=(n, h, w, 3)], uint8."""
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", path,
         "-map", "0:v:0", "-vf", f"scale={width}:{height}:flags=area,format=rgb24",
         "-f", "rawvideo", "-"], capture_output=True, check=True)
    return np.frombuffer(proc.stdout, np.uint8).reshape(-1, height, width, 3)


def frame_changes(frames: np.ndarray) -> np.ndarray:
    """Mean absolute difference of each frame to the previous one (index 0 is 0)."""
    f = frames.astype(np.int16)
    d = np.abs(f[1:] - f[:-1]).mean(axis=(1, 2, 3))
    return np.concatenate([[0.0], d])


def stream_info(path: str) -> str:
    """Return ffmpeg's header report of a file (stderr of ``ffmpeg -i``)."""
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", path],
                          capture_output=True, text=True)
    return proc.stderr


def decoded_duration(path: str) -> tuple[int, float]:
    """Decode a file fully and return (video frames, audio seconds)."""
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", path, "-map", "0:a:0", "-f", "f32le",
         "-ac", "1", "-ar", "48000", "-"], capture_output=True, check=True)
    audio_s = len(proc.stdout) / 4 / 48000
    frames = len(decode_rgb(path, 16, 16))
    return frames, audio_s


def batch_media(root: Path, recipe: str, song: str, clips: list[str]) -> Path:
    """Fill ``root`` for a batch template: song.ogg, clips/ (3 clips), logo.png, recipe.yaml."""
    from editspec.media import run_ffmpeg

    shutil.copy(song, root / "song.ogg")
    (root / "clips").mkdir()
    for c in clips[:3]:
        shutil.copy(c, root / "clips")
    run_ffmpeg(["-y", "-f", "lavfi", "-i", "color=c=red:s=32x16", "-frames:v", "1",
                str(root / "logo.png")], "logo")
    (root / "recipe.yaml").write_text(recipe, encoding="utf-8")
    return root
