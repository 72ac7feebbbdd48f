"""ffmpeg backend: the whole EDL as one ffmpeg invocation with one filtergraph.

:func:`compile_filtergraph` is pure (EDL → argv and filtergraph text; testable without
ffmpeg); :func:`write` runs it with a progress bar, into a temporary file that is
renamed into place on success.

Each event is its own input, opened with input seeking (``-ss`` before ``-i``, which is
frame-accurate when transcoding) and read for its length only; its chain conforms the
rate (``fps``), pads a short source by cloning its last frame, trims to exactly the
event's frame count, then scales to cover the output and crops. The chains are
concatenated; the music window is trimmed, faded and padded to the exact length.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass
from fractions import Fraction

from editspec.edl import EDL
from editspec.errors import BackendError

NAME = "ffmpeg"
SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv")


@dataclass(frozen=True, slots=True)
class RenderCommand:
    """A compiled render: run ``argv`` (with the output path last)."""

    argv: list[str]
    """Arguments after the ffmpeg binary."""
    filtergraph: str
    """The ``-filter_complex`` text, one chain per line."""
    total_frames: int
    """Frames the render writes (for progress)."""


def _num(x: float | Fraction) -> str:
    return f"{float(x):.6f}".rstrip("0").rstrip(".") or "0"


def compile_filtergraph(edl: EDL, output: str, *, preset: str = "veryfast", crf: int = 20,
                        audio_bitrate: str = "192k") -> RenderCommand:
    """Compile an EDL to ffmpeg arguments and a filtergraph.

    Parameters
    ----------
    edl : EDL
        The edit.
    output : str
        Output file.
    preset : str
        libx264 preset.
    crf : int
        libx264 constant rate factor (lower is better quality).
    audio_bitrate : str
        AAC bitrate.

    Returns
    -------
    RenderCommand
    """
    w, h = edl.size
    fps = edl.fps
    rate = f"{fps.numerator}/{fps.denominator}"
    total = edl.duration_frames
    duration = Fraction(total) / fps
    args: list[str] = ["-y", "-hide_banner", "-nostdin", "-loglevel", "error"]
    chains: list[str] = []
    labels: list[str] = []
    for i, ev in enumerate(edl.events):
        src = edl.sources.get(ev.clip)
        src_fps = float(src.fps) if src else 30.0
        # Seek a quarter of a source frame early so the frame at src_in is kept.
        seek = max(0.0, ev.src_in - 0.25 / src_fps)
        length = ev.frames / fps
        args += ["-ss", _num(seek), "-t", _num(float(length) + 1.0), "-i", ev.clip]
        n = ev.frames
        chains.append(
            f"[{i}:v:0]fps={rate},tpad=stop_mode=clone:stop={n},trim=end_frame={n},"
            f"setpts=PTS-STARTPTS,scale={w}:{h}:force_original_aspect_ratio=increase,"
            f"crop={w}:{h},setsar=1,format=yuv420p[v{i}]")
        labels.append(f"[v{i}]")
    chains.append(f"{''.join(labels)}concat=n={len(labels)}:v=1:a=0[vout]")
    audio_in = len(edl.events)
    if edl.music is not None:
        args += ["-ss", _num(edl.music.start), "-t", _num(duration), "-i", edl.music.path]
        afilters = ["asetpts=PTS-STARTPTS"]
        if edl.music.fade_in > 0:
            afilters.append(f"afade=t=in:st=0:d={_num(edl.music.fade_in)}")
        if edl.music.fade_out > 0:
            fo = min(edl.music.fade_out, float(duration))
            afilters.append(f"afade=t=out:st={_num(float(duration) - fo)}:d={_num(fo)}")
        afilters += [f"apad=whole_dur={_num(duration)}", f"atrim=end={_num(duration)}"]
        chains.append(f"[{audio_in}:a:0]" + ",".join(afilters) + "[aout]")
    else:
        args += ["-f", "lavfi", "-t", _num(duration), "-i", "anullsrc=r=48000:cl=stereo"]
        chains.append(f"[{audio_in}:a:0]atrim=end={_num(duration)}[aout]")
    graph = ";\n".join(chains)
    args += ["-filter_complex", graph, "-map", "[vout]", "-map", "[aout]",
             "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
             "-r", rate, "-frames:v", str(total),
             "-c:a", "aac", "-b:a", audio_bitrate, "-ar", "48000", "-ac", "2",
             "-movflags", "+faststart", output]
    return RenderCommand(args, graph, total)


def format_command(cmd: RenderCommand) -> str:
    """Return a shell command line that reruns the render."""
    from editspec.media import ffmpeg_exe

    return shlex.join([ffmpeg_exe(), *cmd.argv])


def write(edl: EDL, path: str, *, progress: bool = True, **options: object) -> None:
    """Render an EDL to a video file.

    Parameters
    ----------
    edl : EDL
        The edit.
    path : str
        Output file (.mp4, .mov, .m4v, .mkv); written to a temporary file first.
    progress : bool
        Show a progress bar on stderr.
    **options
        Passed to :func:`compile_filtergraph`.

    Raises
    ------
    BackendError
        When ffmpeg fails (its last error line is in the message).
    """
    for ev in edl.events:
        if not os.path.isfile(ev.clip):
            raise BackendError(f"clip {ev.clip} does not exist")
    if edl.music is not None and not os.path.isfile(edl.music.path):
        raise BackendError(f"music file {edl.music.path} does not exist")
    from editspec.fsutil import atomic_path

    with atomic_path(path) as tmp:
        _run(compile_filtergraph(edl, tmp, **options), path, progress)  # type: ignore[arg-type]


def _run(cmd: RenderCommand, path: str, progress: bool) -> None:
    from editspec.media import ffmpeg_exe

    argv = [ffmpeg_exe(), *cmd.argv[:-1], "-progress", "pipe:1", "-nostats", cmd.argv[-1]]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=cmd.total_frames, unit="frame", desc="render", leave=False,
                   dynamic_ncols=True)
    try:
        with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, errors="replace") as proc:
            assert proc.stdout is not None
            done = 0
            for line in proc.stdout:
                if line.startswith("frame=") and bar is not None:
                    frame = int(line.split("=", 1)[1].strip() or 0)
                    bar.update(frame - done)
                    done = frame
            stderr = proc.stderr.read() if proc.stderr else ""
            code = proc.wait()
    finally:
        if bar is not None:
            bar.close()
    if code != 0:
        lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
        raise BackendError(f"ffmpeg failed rendering {path}: "
                           f"{lines[-1] if lines else 'exit code ' + str(code)}")
