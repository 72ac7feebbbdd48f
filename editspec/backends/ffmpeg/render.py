"""Run a compiled render: checks, loudness pass, progress with ETA, clean interrupts.

Before the one encoding pass :func:`write` gathers what the pure compile step cannot
know into one :class:`RenderFacts`: that the clips exist, that a keyframe seek into each
clip decodes cleanly (some H.264 4:4:4 files decode green garbage from a mid-file
keyframe; those are read from their start), that the encoder exists (a hardware encoder
that fails falls back to software with a warning). The graph is then compiled once,
its loudness gain a slot; with a loudness target the mix is measured (sound only, no
picture; one measurement command run once per pass) and the gain filled in, so the
render applies one exact gain. The graph is compiled for the ffmpeg
binary that will run it (:mod:`editspec.ffcaps`): when the chosen one lacks a filter,
option or encoder this render needs, the bundled one runs it instead (or, for an
explicit ``EDITSPEC_FFMPEG``, a one-line :class:`~editspec.errors.ToolError` names
what is missing). The filtergraph is passed in a file (``-/filter_complex`` or
``-filter_complex_script``), never as one argument: a long edit's graph is larger than
the 128 KiB that Linux allows one argument. ffmpeg writes to a temporary file that is
renamed into place on success; on failure or Ctrl-C it is removed.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import functools
import logging
import os
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator

from editspec.backends.ffmpeg.audio import GAIN_SLOT
from editspec.backends.ffmpeg.compile import RenderCommand, compile_filtergraph, seek_points
from editspec.backends.ffmpeg.encode import ENCODE_OPTIONS, VIDEO_CODECS, EncodeOverrides
from editspec.backends.ffmpeg.graph import filter_text
from editspec.edl import EDL, Encode, TextOverlay
from editspec.errors import BackendError
from editspec.ffcaps import Capabilities, Need, command_needs

log = logging.getLogger(__name__)

LOUDNESS_PASSES = 3
"""Sound-only measurement passes at most before the render (each refines the gain)."""
_SUMMARY_I = re.compile(r"Integrated loudness:\s*I:\s*(-?[\d.]+|-inf) LUFS", re.S)


def _encoders() -> frozenset[str]:
    from editspec.media import ffmpeg_caps

    return ffmpeg_caps().encoders


@functools.cache
def encoder_works(name: str) -> bool:
    """True when ffmpeg has encoder ``name`` and it encodes a frame here (hardware present)."""
    from editspec.media import ffmpeg_exe

    if name not in _encoders():
        return False
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-f",
                           "lavfi", "-i", "color=s=256x256:d=0.1", "-frames:v", "1",
                           "-pix_fmt", "yuv420p", "-c:v", name, "-f", "null", "-"],
                          capture_output=True, timeout=60)
    return proc.returncode == 0


@functools.cache
def _seek_breaks(path: str, seek: float, mtime: float) -> bool:
    """True when a keyframe seek to ``seek`` decodes with errors (broken frames)."""
    from editspec.media import ffmpeg_exe

    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error",
                           "-threads", "1", "-ss", f"{seek:.6f}", "-noaccurate_seek", "-i", path,
                           "-map", "0:v:0", "-frames:v", "3", "-f", "null", "-"],
                          capture_output=True, text=True, errors="replace", timeout=120)
    return proc.returncode != 0 or bool(proc.stderr.strip())


def unsafe_seek_clips(edl: EDL) -> list[str]:
    """Return the clips whose keyframe seek decodes broken frames (read from the start).

    Each clip is checked once, at the deepest seek point the EDL needs
    (:func:`~editspec.backends.ffmpeg.compile.seek_points`, no graph compiled): three
    frames are decoded from there and any decoder error marks it.
    """
    deepest: dict[str, float] = {}
    for ev, seek in zip(edl.events, seek_points(edl), strict=True):
        if seek > 0:
            deepest[ev.clip] = max(seek, deepest.get(ev.clip, 0.0))
    bad = [c for c, s in sorted(deepest.items()) if _seek_breaks(c, s, os.path.getmtime(c))]
    for c in bad:
        log.info("%s: keyframe seek decodes broken frames; decoding it from the start", c)
    return bad


def measure_loudness(cmd: RenderCommand, caps: Capabilities) -> float | None:
    """Run a sound-only measurement command; return the mix's integrated loudness (LUFS).

    ``cmd`` is compiled with ``audio_only=True`` (``ebur128`` into the null muxer), its
    gain filled in. Returns None when the mix is silent.
    """
    with script_argv(cmd.argv, cmd.filtergraph, caps) as argv:
        proc = subprocess.run([caps.path, *argv], capture_output=True, text=True,
                              errors="replace")
    if proc.returncode != 0:
        raise BackendError(f"ffmpeg failed measuring loudness (ffmpeg {caps.version}): "
                           + _tail(proc.stderr))
    matches = _SUMMARY_I.findall(proc.stderr)
    if not matches or matches[-1] == "-inf":
        return None
    value = float(matches[-1])
    return None if value <= -69.0 else value


def loudness_gain(target: float, sound: RenderCommand, caps: Capabilities) -> float:
    """The gain (dB) that brings the mix to ``target`` LUFS after the peak limiter.

    ``sound`` is the measurement command with its gain slot; it is run with 0 dB, then
    with each corrected gain (the limiter takes some loudness back), at most
    :data:`LOUDNESS_PASSES` times, until the mix is within 0.2 LU of the target.
    """
    gain = 0.0
    for _ in range(LOUDNESS_PASSES):
        measured = measure_loudness(sound.with_gain(gain), caps)
        if measured is None or abs(target - measured) < 0.2:
            break
        gain = max(-40.0, min(40.0, gain + target - measured))
    return gain


def _pick_encoder(enc: Encode) -> str | None:
    """A working hardware encoder, ``libaom-av1`` for AV1 without SVT, else None (software)."""
    if enc.hardware:
        if encoder_works(enc.hardware):
            return enc.hardware
        log.warning("hardware encoder %s is not available here; encoding with %s",
                    enc.hardware, VIDEO_CODECS.get(enc.codec, enc.codec))
    name = VIDEO_CODECS.get(enc.codec)
    if name is None:
        raise BackendError(f"codec {enc.codec!r} is not supported, available: "
                           f"{', '.join(VIDEO_CODECS)}")
    if name not in _encoders() and enc.codec == "av1" and "libaom-av1" in _encoders():
        return "libaom-av1"
    return None  # a software encoder the binary lacks: the needs check names it


BT601_MATRICES = frozenset({"smpte170m", "bt470bg"})
"""YCbCr matrices of standard-definition video (NTSC and PAL): converted to BT.709."""


@dataclasses.dataclass(frozen=True, slots=True)
class RenderFacts:
    """What a render knows beyond the EDL: gathered first, then the graph is compiled once.

    :func:`gather_facts` fills the clip facts (every input exists, clips whose sound is
    used have a sound stream, clips whose keyframe seek is unsafe) and the encoder;
    :func:`prepare` adds the binary that runs the render and the measured loudness gain.
    """

    codec: str
    """The EDL's codec, or the caller's override."""
    encoder: str | None
    """A hardware (or substitute) encoder to use, None for the codec's software one."""
    unsafe_seek: tuple[str, ...]
    """Clips read from their start (a keyframe seek into them decodes broken frames)."""
    options: dict[str, object]
    """The caller's compile options (``preset``, ``crf``, ``decoder_threads`` ...)."""
    caps: Capabilities | None = None
    """The ffmpeg binary that runs the render (None until :func:`prepare` picks it)."""
    loudness_gain_db: float | None = None
    """The measured gain to the EDL's loudness target (None: no target)."""
    bt601: tuple[str, ...] = ()
    """Clips tagged with a BT.601 matrix: converted to the output's BT.709."""

    def compile_options(self, **overrides: object) -> dict[str, object]:
        """Keyword arguments of :func:`~editspec.backends.ffmpeg.compile.compile_filtergraph`:
        the caller's encode options gathered into one :class:`EncodeOverrides`."""
        options = dict(self.options)
        encode = EncodeOverrides(**{"codec": self.codec, "encoder": self.encoder,
                                    **{k: options.pop(k) for k in ENCODE_OPTIONS
                                       if k in options and k not in ("codec", "encoder")}})
        return {"encode": encode, "unsafe_seek": list(self.unsafe_seek),
                "bt601": list(self.bt601), **options,
                "loudness_gain_db": self.loudness_gain_db, "caps": self.caps, **overrides}


def gather_facts(edl: EDL, options: dict[str, object]) -> RenderFacts:
    """Check the inputs and pick the encoder (probes and seek checks; no graph compiled).

    Raises
    ------
    BackendError
        When a clip, the music or an overlay image is missing, a clip whose sound is
        used has none, or the codec is absent.
    """
    from editspec.edl import check_edl

    missing = [ev.clip for ev in edl.events if not os.path.isfile(ev.clip)]
    if missing:
        raise BackendError(f"clip {missing[0]} does not exist")
    if edl.music is not None and not os.path.isfile(edl.music.path):
        raise BackendError(f"music file {edl.music.path} does not exist")
    for o in edl.overlays:
        if not isinstance(o, TextOverlay) and not os.path.isfile(o.path):
            raise BackendError(f"overlay image {o.path} does not exist")
    from editspec.errors import MediaError
    from editspec.media import probe

    for ev in edl.events:
        if ev.audio.use and not probe(ev.clip).has_audio:
            raise BackendError(f"event at frame {ev.rec_in} uses the sound of {ev.clip}, "
                               f"which has no audio stream")

    def bt601_tagged(clip: str) -> bool:
        try:
            return probe(clip).colorspace in BT601_MATRICES
        except MediaError:  # unreadable: ffmpeg's own error, with its log tail, says so
            return False

    bt601 = tuple(c for c in sorted({ev.clip for ev in edl.events}) if bt601_tagged(c))
    options = dict(options)
    codec = options.pop("codec", None)
    enc = edl.encode if codec is None else dataclasses.replace(edl.encode, codec=str(codec))
    encoder = options.pop("encoder", None) or _pick_encoder(enc)
    check_edl(edl)
    return RenderFacts(enc.codec, encoder, tuple(unsafe_seek_clips(edl)), options,  # type: ignore[arg-type]
                       bt601=bt601)


def prepare(edl: EDL, path: str, *, extra_audio_input: str | None = None,
            **options: object) -> RenderCommand:
    """Run the checks and the loudness passes; return the compiled render into ``path``.

    Raises
    ------
    BackendError
        When a clip, the music or an overlay image is missing, or the codec is absent.
    """
    return _prepare(edl, path, extra_audio_input, options)[0]


def _prepare(edl: EDL, path: str, extra_audio_input: str | None, options: dict[str, object]
             ) -> tuple[RenderCommand, RenderFacts]:
    """Gather the facts, compile the render once (its loudness gain a slot), pick the
    binary from what the command needs, measure the gain, fill it in.

    The graph is compiled for the chosen binary; only when that binary lacks something
    the command needs and the bundled one runs it instead is it compiled again, for
    that binary. The sound-only measurement command is compiled once and run with each
    gain of the loudness passes.
    """
    from editspec.media import ffmpeg_caps, ffmpeg_for

    facts = gather_facts(edl, options)
    target = edl.mix.loudness_lufs
    slot = GAIN_SLOT if target is not None else None

    def compiled(caps: Capabilities) -> tuple[RenderCommand, RenderCommand | None]:
        render = compile_filtergraph(edl, path, extra_audio_input=extra_audio_input,  # type: ignore[arg-type]
                                     **facts.compile_options(loudness_gain_db=slot, caps=caps))
        sound = None if target is None else compile_filtergraph(
            edl, "-", audio_only=True, unsafe_seek=facts.unsafe_seek,
            extra_audio_input=extra_audio_input, loudness_gain_db=GAIN_SLOT, caps=caps)
        return render, sound

    chosen = ffmpeg_caps()
    render, sound = compiled(chosen)
    needs = _needs(render)
    if sound is not None:
        needs |= _needs(sound)
    caps = ffmpeg_for(needs, "this render")
    if caps != chosen:  # the bundled binary runs it: the graph adapts to that binary
        render, sound = compiled(caps)
    gain = None if target is None or sound is None else loudness_gain(target, sound, caps)
    return render.with_gain(gain), dataclasses.replace(facts, caps=caps, loudness_gain_db=gain)


def _needs(cmd: RenderCommand) -> set[Need]:
    """What a command asks of the binary (its gain slot filled with 0 dB)."""
    filled = cmd.with_gain(0.0)
    return command_needs(filled.argv, filled.filtergraph)


def write(edl: EDL, path: str, *, progress: bool = True,
          on_progress: Callable[[int], None] | None = None, memory_mb: float | None = None,
          **options: object) -> None:
    """Render an EDL to a video file: one ffmpeg pass, or segments when it is long.

    Parameters
    ----------
    edl : EDL
        The edit.
    path : str
        Output file (.mp4, .mov, .m4v, .mkv, .webm); written to a temporary file first.
    progress : bool
        Show a progress bar with ETA on stderr.
    on_progress : callable, optional
        Called with the frames written so far, after each progress report.
    memory_mb : float, optional
        Memory budget of one ffmpeg pass (default
        :data:`~editspec.backends.ffmpeg.segments.MEMORY_MB`): an edit with more events
        than one pass can hold in it is rendered as picture segments joined without
        re-encoding (:mod:`~editspec.backends.ffmpeg.segments`).
    **options
        Passed to :func:`~editspec.backends.ffmpeg.compile.compile_filtergraph`
        (``preset``, ``crf``, ``codec``, ``bitrate``, ``encoder``, ``decoder_threads``).

    Raises
    ------
    BackendError
        When an input is missing or ffmpeg fails (the tail of its log is in the message).
    KeyboardInterrupt
        After stopping ffmpeg and removing the temporary files.
    """
    from editspec.backends.ffmpeg import segments
    from editspec.fsutil import atomic_path

    ranges = segments.segment_ranges(
        edl, segments.events_per_pass(edl, memory_mb or segments.MEMORY_MB))
    with atomic_path(path) as tmp:
        if len(ranges) == 1:
            cmd = prepare(edl, tmp, **options)
            run(cmd, path, progress=progress, on_progress=on_progress)
        else:
            _write_segments(edl, path, tmp, ranges, progress, on_progress, options)


def _write_segments(edl: EDL, path: str, tmp: str, ranges: list[tuple[int, int]],
                    progress: bool, on_progress: Callable[[int], None] | None,
                    options: dict[str, object]) -> None:
    """Render the sound, then the picture segment by segment; join them into ``tmp``."""
    from editspec.backends.ffmpeg import segments

    _, facts = _prepare(edl, tmp, None, options)
    log.info("%s: %d events rendered in %d segments", path, len(edl.events), len(ranges))
    bar = _bar(edl.duration_frames) if progress else None
    try:
        with segments.segment_folder(os.path.dirname(os.path.abspath(tmp))) as td:
            passes = segments.compile_segments(edl, tmp, td, ranges, **facts.compile_options())
            run(passes.sound, path, progress=False)
            done = 0
            for part in passes.parts:
                def report(frames: int, base: int = done) -> None:
                    if bar is not None:
                        bar.update(base + frames - bar.n)
                    if on_progress is not None:
                        on_progress(base + frames)

                run(part, path, progress=False, on_progress=report)
                done += part.total_frames
            with open(passes.listing[0], "w", encoding="utf-8") as fh:
                fh.write(passes.listing[1])
            run(passes.join, path, progress=False)
    finally:
        if bar is not None:
            bar.close()


def _bar(total: int):  # type: ignore[no-untyped-def]
    from tqdm import tqdm

    return tqdm(total=total, unit="frame", desc="render", leave=False, dynamic_ncols=True,
                bar_format="{desc} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} frames "
                           "[{elapsed}<{remaining} ETA, {rate_fmt}]")


def preview(edl: EDL, path: str, *, height: int = 480, progress: bool = True,
            clicks: bool = True, flashes: bool = True) -> EDL:
    """Render a quick draft: small, fast encoder, a click on every beat, a flash on every cut.

    Parameters
    ----------
    edl : EDL
        The edit.
    path : str
        Output file.
    height : int
        Draft height in pixels (the width keeps the aspect, both even).
    progress : bool
        Show a progress bar.
    clicks, flashes : bool
        Mix a click on every beat marker (louder on downbeats); flash every cut.

    Returns
    -------
    EDL
        The scaled EDL that was rendered.
    """
    w, h = edl.size
    if height < h:
        scale = height / h
        size = (max(2, round(w * scale / 2) * 2), max(2, round(h * scale / 2) * 2))
        overlays = tuple(dataclasses.replace(o, size=max(6, round(o.size * scale)),
                                             min_size=round(o.min_size * scale))
                         if isinstance(o, TextOverlay) else o for o in edl.overlays)
        edl = dataclasses.replace(edl, size=size, overlays=overlays)
    edl = dataclasses.replace(edl, encode=Encode(codec="h264", crf=30, preset="ultrafast",
                                                 audio_bitrate="96k"))
    extra_video = []
    if flashes and edl.cuts:
        enable = "+".join(f"eq(n,{c})" for c in edl.cuts)
        extra_video.append(filter_text("drawbox", x=0, y=0, w="iw", h="ih", color="white@0.6",
                                       t="fill", enable=enable))
    from editspec.fsutil import atomic_path

    with tempfile.TemporaryDirectory(prefix="editspec-preview-") as td, atomic_path(path) as tmp:
        click = None
        if clicks:
            click = os.path.join(td, "clicks.wav")
            _write_clicks(edl, click)
        cmd = prepare(edl, tmp, extra_audio_input=click, extra_video=extra_video,
                      decoder_threads=1)
        run(cmd, path, progress=progress)
    return edl


def _write_clicks(edl: EDL, path: str, rate: int = 48000) -> None:
    """Write a stereo WAV with a short click at every beat (downbeats higher and louder)."""
    import wave

    import numpy as np

    n = round(edl.duration_frames * rate * edl.fps.denominator / edl.fps.numerator)
    out = np.zeros(n, np.float32)
    t = np.arange(int(0.03 * rate)) / rate
    env = np.exp(-t * 120)
    for m in edl.markers:
        if m.kind not in ("beat", "downbeat"):
            continue
        at = round(m.frame * rate * edl.fps.denominator / edl.fps.numerator)
        freq, amp = (2000.0, 0.5) if m.kind == "downbeat" else (1200.0, 0.35)
        seg = (amp * env * np.sin(2 * np.pi * freq * t)).astype(np.float32)
        end = min(n, at + len(seg))
        if at < n:
            out[at:end] = np.maximum(out[at:end], seg[: end - at])
    pcm = (np.clip(out, -1, 1) * 32767).astype("<i2")
    with wave.open(path, "wb") as fh:
        fh.setnchannels(2)
        fh.setsampwidth(2)
        fh.setframerate(rate)
        fh.writeframes(np.repeat(pcm, 2).tobytes())


def _tail(stderr: str) -> str:
    """What ffmpeg said went wrong, one line: the cause first, never cut off."""
    from editspec.media import ffmpeg_error_line

    return ffmpeg_error_line(stderr)


@contextlib.contextmanager
def script_argv(argv: list[str], graph: str, caps: Capabilities) -> Iterator[list[str]]:
    """Yield ``argv`` with its ``-filter_complex GRAPH`` read from a file instead.

    Linux refuses one argument over 128 KiB ("Argument list too long"), which a long
    edit's graph exceeds. 7.0+ reads ``-/filter_complex FILE``, older binaries
    ``-filter_complex_script FILE``; the file is removed afterwards.
    """
    if "-filter_complex" not in argv or caps.script_option is None:
        yield list(argv)
        return
    i = argv.index("-filter_complex")
    fd, path = tempfile.mkstemp(prefix="editspec-graph-", suffix=".txt")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(argv[i + 1])
        yield [*argv[:i], caps.script_option, path, *argv[i + 2:]]
    finally:
        os.unlink(path)


def run(cmd: RenderCommand, path: str, *, progress: bool = True,
        on_progress: Callable[[int], None] | None = None) -> None:
    """Run a compiled render with a progress bar; stop ffmpeg cleanly on Ctrl-C.

    Raises
    ------
    BackendError
        When ffmpeg exits non-zero (its log tail is in the one-line message).
    """
    from editspec.ffcaps import probe_binary
    from editspec.media import ffmpeg_caps

    caps = probe_binary(cmd.ffmpeg) if cmd.ffmpeg else ffmpeg_caps()
    with script_argv(cmd.argv, cmd.filtergraph, caps) as argv:
        _run(caps, [*argv[:-1], "-progress", "pipe:1", "-nostats", argv[-1]], cmd, path,
             progress, on_progress)


def _run(caps: Capabilities, argv: list[str], cmd: RenderCommand, path: str, progress: bool,
         on_progress: Callable[[int], None] | None) -> None:
    bar = _bar(cmd.total_frames) if progress else None
    log_lines: collections.deque[str] = collections.deque(maxlen=200)
    proc = subprocess.Popen([caps.path, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, errors="replace")
    reader = threading.Thread(target=lambda: log_lines.extend(proc.stderr or ()), daemon=True)
    reader.start()
    t0 = time.perf_counter()
    try:
        done = 0
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("frame="):
                frame = int(line.split("=", 1)[1].strip() or 0)
                if bar is not None:
                    bar.update(frame - done)
                done = frame
                if on_progress is not None:
                    on_progress(done)
        code = proc.wait()
    except BaseException:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise
    finally:
        if bar is not None:
            bar.close()
        reader.join(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
    log.debug("ffmpeg finished in %.2fs", time.perf_counter() - t0)
    if code != 0:
        raise BackendError(f"ffmpeg failed rendering {path} (ffmpeg {caps.version}, exit {code}): "
                           f"{_tail(''.join(log_lines))}")
