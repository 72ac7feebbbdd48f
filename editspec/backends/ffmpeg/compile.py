"""EDL → one ffmpeg invocation (argv + filtergraph). Pure: no process is run here.

Each event is read from its own input with input seeking that never drops a frame
(``-ss S -noaccurate_seek``: decoding starts at the keyframe before ``S`` and the
frames before ``S`` keep negative timestamps). Its chain then maps source time to the
event's output time (``setpts``: offset, speed, ramps), picks for every output frame
the source frame *on screen* at that time (``fps ... round=up``: a held first frame of
a VFR phone clip is repeated, never skipped), pads a short source by repeating its
last frame, trims to exactly the frames it needs, reframes (cover around a subject
centre or a track of it, fit over a blurred copy, letterbox; square pixels, limited
range), zooms and fades. Transitions are cut out of the two neighbouring chains and
joined by ``xfade``; everything is concatenated in timeline order, overlays are
drawn on top, and the sound is mixed, ducked and normalized. ``docs/render.md``
describes the graph.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from editspec.backends.ffmpeg import overlay
from editspec.backends.ffmpeg.audio import GAIN_SLOT, audio_chains, gain_text
from editspec.backends.ffmpeg.encode import EncodeOverrides, audio_codec_args, encoder_args
from editspec.backends.ffmpeg.graph import Graph, Inputs, filter_text, num
from editspec.edl import EDL, Event, ImageOverlay, Reframe, Speed, TextOverlay
from editspec.errors import BackendError
from editspec.ffcaps import NEWEST, Capabilities

EPSILON_S = 1e-4
"""A source frame within this many seconds after an output frame's time counts as on
screen at that time (EDL times carry 6 decimals)."""

XFADE_KINDS = ("fade", "fadeblack", "fadewhite", "fadegrays", "distance", "wipeleft",
               "wiperight", "wipeup", "wipedown", "slideleft", "slideright", "slideup",
               "slidedown", "smoothleft", "smoothright", "smoothup", "smoothdown",
               "circlecrop", "rectcrop", "circleclose", "circleopen", "horzclose", "horzopen",
               "vertclose", "vertopen", "diagbl", "diagbr", "diagtl", "diagtr", "hlslice",
               "hrslice", "vuslice", "vdslice", "dissolve", "pixelize", "radial", "hblur",
               "zoomin", "squeezev", "squeezeh", "hlwind", "hrwind", "vuwind", "vdwind",
               "coverleft", "coverright", "coverup", "coverdown", "revealleft", "revealright",
               "revealup", "revealdown")
"""ffmpeg ``xfade`` transitions, usable by name as a transition kind."""
TRANSITION_ALIASES = {"crossfade": "fade", "dip": "fadeblack", "dip-to-black": "fadeblack",
                      "dip-black": "fadeblack", "dip-to-white": "fadewhite",
                      "dip-white": "fadewhite"}
"""EDL/recipe transition kinds → xfade names."""
FADE_TRANSITIONS = {"flash": "white"}
"""Transitions drawn as a fade to a colour and back, with no overlap of the shots."""

PRESETS: dict[str, tuple[int, int]] = {
    "9:16": (1080, 1920), "1:1": (1080, 1080), "4:5": (1080, 1350), "16:9": (1920, 1080),
    "16:9-4k": (3840, 2160), "4k": (3840, 2160)}
"""Output size presets (width, height)."""

DECODER_THREADS_UP_TO = 16
"""Edits with at most this many events give each decoder 2 threads, longer ones 1
(every input decodes ahead: memory grows with inputs x threads)."""

@dataclass(frozen=True, slots=True)
class RenderCommand:
    """A compiled render: run ``argv`` (with the output path last)."""

    argv: list[str]
    """Arguments after the ffmpeg binary."""
    filtergraph: str
    """The ``-filter_complex`` text, one chain per line."""
    total_frames: int
    """Frames the render writes (for progress)."""
    ffmpeg: str | None = None
    """The ffmpeg binary it was compiled for (None: the chosen one, ``media.ffmpeg_exe``)."""

    @property
    def needs_gain(self) -> bool:
        """True when compiled with ``loudness_gain_db=GAIN_SLOT`` and not yet filled in."""
        return GAIN_SLOT in self.filtergraph

    def with_gain(self, gain_db: float | None) -> RenderCommand:
        """The command with its loudness gain filled in (a command without a slot as it is).

        ``None`` (a silent mix: nothing to measure) fills in a gain of 0 dB.
        """
        if not self.needs_gain:
            return self
        text = gain_text(0.0 if gain_db is None else gain_db)
        return dataclasses.replace(
            self, argv=[a.replace(GAIN_SLOT, text) for a in self.argv],
            filtergraph=self.filtergraph.replace(GAIN_SLOT, text))


def seek_points(edl: EDL, unsafe_seek: Sequence[str] = ()) -> list[float]:
    """The input seek point (s) of each event: the earliest source time its chain shows.

    An event with a transition handle starts before its ``src_in``; a clip in
    ``unsafe_seek`` (its keyframe seek decodes broken frames) is read from 0.
    """
    return _seek_points(edl, _handles(edl), unsafe_seek)


def _seek_points(edl: EDL, handles: list[tuple[int, int]], unsafe_seek: Sequence[str]
                 ) -> list[float]:
    out = []
    for ev, (pre, _) in zip(edl.events, handles, strict=True):
        src_start = min(source_time(ev, -pre, edl.fps), ev.src_in)
        out.append(0.0 if ev.clip in unsafe_seek else max(0.0, src_start))
    return out


# --------------------------------------------------------------------------- time


def speed_at(speed: Speed, k: float) -> float:
    """Return the speed at frame offset ``k`` of an event (linear between points)."""
    pts = sorted(speed.points)
    if k <= pts[0][0]:
        return pts[0][1]
    for (f0, v0), (f1, v1) in itertools.pairwise(pts):
        if k <= f1:
            return v0 + (v1 - v0) * (k - f0) / (f1 - f0) if f1 > f0 else v1
    return pts[-1][1]


def source_time(ev: Event, k: int, fps: Fraction) -> float:
    """Return the source time (s) shown at output frame ``rec_in + k`` of an event.

    ``k`` may be negative or past the event's end (transition handles). With speed
    points the source time is the integral of the speed, exact at whole frames.
    """
    points = ev.speed.points
    if len(points) == 1:
        return ev.src_in + k * points[0][1] / float(fps)
    total = 0.0
    step = 1 if k >= 0 else -1
    for j in range(0, k, step):
        a, b = (j, j + 1) if step > 0 else (j - 1, j)
        total += step * (speed_at(ev.speed, a) + speed_at(ev.speed, b)) / 2
    return ev.src_in + total / float(fps)


def _piecewise(var: str, xs: Sequence[float], ys: Sequence[float]) -> str:
    """Expression of the piecewise-linear function through (xs, ys), extended at both ends."""
    if len(xs) == 1:
        return num(ys[0])
    terms = []
    n = len(xs) - 1
    for j in range(n):
        slope = (ys[j + 1] - ys[j]) / (xs[j + 1] - xs[j]) if xs[j + 1] != xs[j] else 0.0
        seg = f"({num(ys[j])}+({var}-{num(xs[j])})*{slope:.9g})"
        gates = []
        if j > 0:
            gates.append(f"gte({var},{num(xs[j])})")
        if j < n - 1:
            gates.append(f"lt({var},{num(xs[j + 1])})")
        terms.append("*".join([*gates, seg]))
    return "+".join(terms)


def _subsample(ks: list[int], limit: int) -> list[int]:
    if len(ks) <= limit:
        return ks
    step = (len(ks) - 1) / (limit - 1)
    return sorted({ks[round(i * step)] for i in range(limit)})


# --------------------------------------------------------------------------- video


def _reframe_filters(ev: Event, w: int, h: int, chain_time: list[tuple[float, float]]) -> list[str]:
    """Scale and crop/pad to the output, square pixels, limited range."""
    ratio = num(Fraction(w, h))
    mode = ev.reframe.mode
    if mode == "cover":
        track = ev.reframe.track
        if track:
            ts = [chain_t for chain_t, _ in _track_times(track, chain_time)]
            cx = _piecewise("t", ts, [p[1] for p in track])
            cy = _piecewise("t", ts, [p[2] for p in track])
        else:
            cx, cy = num(ev.reframe.center[0]), num(ev.reframe.center[1])
        # crop the output's aspect out of the source first, then scale only that
        return [_cover_crop(ratio, f"max(0,min(iw-ow,({cx})*iw-ow/2))",
                            f"max(0,min(ih-oh,({cy})*ih-oh/2))"),
                filter_text("scale", w, h, out_range="tv"), filter_text("setsar", 1)]
    fit = filter_text("scale", w=f"if(gt(dar,{ratio}),{w},floor({h}*dar/2)*2)",
                      h=f"if(gt(dar,{ratio}),floor({w}/dar/2)*2,{h})", out_range="tv")
    if mode == "letterbox":
        return [fit, filter_text("setsar", 1),
                filter_text("pad", w, h, "(ow-iw)/2", "(oh-ih)/2", "black")]
    if mode == "fit-blur":
        return []  # built by _event_chain with a split
    raise BackendError(f"reframe mode {mode!r} is not cover, fit-blur or letterbox")


def _cover_crop(ratio: str, x: str, y: str) -> str:
    """Crop the largest region of display aspect ``ratio`` (w/h) from a source (SAR-aware)."""
    wide = f"gt(iw*sar/ih,{ratio})"
    return filter_text("crop", w=f"if({wide},floor(ih*{ratio}/sar/2)*2,iw)",
                       h=f"if({wide},ih,floor(iw*sar/{ratio}/2)*2)", x=x, y=y)


def _track_times(track: Sequence[tuple[float, float, float]],
                 chain_time: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Map the track's source times to chain times through the (source, chain) knots."""
    xs = [s for s, _ in chain_time]
    ys = [c for _, c in chain_time]
    out = []
    for t, _, _ in track:
        if len(xs) == 1 or t <= xs[0]:
            j = 0
        else:
            j = max(i for i in range(len(xs) - 1) if xs[i] <= t) if t < xs[-1] else len(xs) - 2
        slope = (ys[j + 1] - ys[j]) / (xs[j + 1] - xs[j]) if len(xs) > 1 and xs[j + 1] != xs[j] \
            else 0.0
        out.append((ys[j] + (t - xs[j]) * slope, t))
    return out


def _pulse_filter(edl: EDL, first: int, n: int) -> str | None:
    """zoompan for the zoom pulses over output frames ``first..first+n-1``, or None."""
    w, h = edl.size
    terms = []
    for z in edl.zoom_pulses:
        a, b = z.frame - first, z.frame + z.frames - first
        if b <= 0 or a >= n:
            continue
        terms.append(f"between(in,{a},{b - 1})*{num(z.amount)}*(1-(in-{a})/{z.frames})")
    if not terms:
        return None
    rate = f"{edl.fps.numerator}/{edl.fps.denominator}"
    return filter_text("zoompan", z="1+" + "+".join(terms), x="iw/2-iw/zoom/2",
                       y="ih/2-ih/zoom/2", d=1, s=f"{w}x{h}", fps=rate)


def _event_chain(g: Graph, edl: EDL, ev: Event, source: tuple[list[str], list[str]], t0: float,
                 pre: int, post: int, fades: list[str]) -> str:
    """Add the chain of one event (with ``pre``/``post`` handle frames); return its label.

    ``source`` is (input pads, source filters) of the picture; its frame timestamps are
    ``T = source time - t0`` seconds.
    """
    w, h = edl.size
    fps = edl.fps
    rate = f"{fps.numerator}/{fps.denominator}"
    n = pre + ev.frames + post
    # (source time, chain time) knots: chain frame m shows output frame rec_in - pre + m
    ks = list(range(-pre, ev.frames + post + 1))
    if len(ev.speed.points) == 1:
        ks = [ks[0], ks[-1]]
    ks = _subsample(ks, 120)
    knots = [(source_time(ev, k, fps), float(Fraction(k + pre) / fps)) for k in ks]
    if len(ev.speed.points) == 1:
        r = ev.speed.points[0][1]
        off = ev.src_in + EPSILON_S - t0 - pre * r / float(fps)
        setpts = f"(T-{num(off)})/{num(r)}/TB" if off >= 0 else f"(T+{num(-off)})/{num(r)}/TB"
    else:
        expr = _piecewise("ld(0)", [s for s, _ in knots], [c for _, c in knots])
        setpts = f"st(0,T+{num(t0 - EPSILON_S)});({expr})/TB"
    filters = [*source[1], filter_text("settb", "AVTB"), filter_text("setpts", setpts),
               # one clone of the last frame lets fps show it in its slot at EOF
               filter_text("tpad", stop_mode="clone", stop=1),
               filter_text("fps", rate, start_time=0, round="up", eof_action="pass"),
               filter_text("tpad", stop_mode="clone", stop=n), filter_text("trim", end_frame=n)]
    src = source[0]
    if ev.reframe.mode == "fit-blur":
        timed = g.add(src, filters)
        bg_in, fg_in = g.label("bg"), g.label("fg")
        g.add([timed], [filter_text("split", 2)], [bg_in, fg_in])
        sw, sh = max(2, w // 8 // 2 * 2), max(2, h // 8 // 2 * 2)
        ratio = num(Fraction(w, h))
        bg = g.add([bg_in], [
            _cover_crop(ratio, "(iw-ow)/2", "(ih-oh)/2"),
            filter_text("scale", sw, sh, out_range="tv"), filter_text("boxblur", 4),
            filter_text("scale", w, h), filter_text("setsar", 1)])
        fit = Event(ev.clip, ev.src_in, ev.src_out, 0, 1, reframe=Reframe("letterbox"))
        fg = g.add([fg_in], _reframe_filters(fit, w, h, knots)[:2])
        src = [g.add([bg, fg], [filter_text("overlay", "(W-w)/2", "(H-h)/2")])]
        filters = []
    else:
        filters += _reframe_filters(ev, w, h, knots)
    pulse = _pulse_filter(edl, ev.rec_in - pre, n)
    if pulse:
        filters.append(pulse)
    filters += fades
    filters.append(filter_text("format", "yuv420p"))
    return g.add(src, filters, [g.label("v")])


def _transition_kind(kind: str) -> tuple[str, str]:
    """Return ("xfade", name), ("fade", colour) or ("cut", "")."""
    if kind == "cut":
        return "cut", ""
    if kind in FADE_TRANSITIONS:
        return "fade", FADE_TRANSITIONS[kind]
    name = TRANSITION_ALIASES.get(kind, kind)
    if name in XFADE_KINDS:
        return "xfade", name
    raise BackendError(f"transition {kind!r} is not supported, available: cut, flash, "
                       f"{', '.join(sorted(TRANSITION_ALIASES))}, {', '.join(XFADE_KINDS)}")


def _split_transition(frames: int) -> tuple[int, int]:
    """Frames of a transition before and after its cut (``docs/edl.md``)."""
    return frames // 2, frames - frames // 2


def _transitions(events: Sequence[Event]) -> list[tuple[str, str, int, int]]:
    """(mode, name, frames before, frames after the cut) of the transition into each event."""
    trans: list[tuple[str, str, int, int]] = []
    for k, ev in enumerate(events):
        t = ev.transition
        if k == 0 or t is None or t.frames <= 0:
            trans.append(("cut", "", 0, 0))
            continue
        mode, name = _transition_kind(t.kind)
        before, after = _split_transition(t.frames)
        if before > events[k - 1].frames - trans[k - 1][3] or after > ev.frames:
            raise BackendError(f"transition into event {k} ({t.frames} frames) is longer than "
                               f"its neighbouring shots allow")
        trans.append((mode, name, before, after))
    return trans


def _handles(edl: EDL, trans: list[tuple[str, str, int, int]] | None = None
             ) -> list[tuple[int, int]]:
    """Handle frames (before, after) of each event: its share of a dissolve's overlap."""
    trans = _transitions(edl.events) if trans is None else trans
    out = []
    for k in range(len(edl.events)):
        mode_in, _, a_in, _ = trans[k]
        mode_out, _, _, b_out = trans[k + 1] if k + 1 < len(trans) else ("cut", "", 0, 0)
        out.append((a_in if mode_in == "xfade" else 0, b_out if mode_out == "xfade" else 0))
    return out


# --------------------------------------------------------------------------- compile


def compile_filtergraph(edl: EDL, output: str, *,
                        encode: EncodeOverrides = EncodeOverrides(),  # noqa: B008 - frozen
                        loudness_gain_db: float | str | None = None,
                        unsafe_seek: Sequence[str] = (), bt601: Sequence[str] = (),
                        decoder_threads: int | None = None,
                        extra_video: Sequence[str] = (), extra_audio_input: str | None = None,
                        audio_only: bool = False, streams: str = "av",
                        caps: Capabilities | None = None) -> RenderCommand:
    """Compile an EDL to ffmpeg arguments and one filtergraph.

    Parameters
    ----------
    edl : EDL
        The edit; its ``encode`` and ``mix`` settings apply unless overridden here.
    output : str
        Output file (``-`` with ``audio_only``).
    encode : EncodeOverrides, optional
        What changes of ``edl.encode`` (codec, preset, crf, bitrate, audio bitrate) and
        the encoder to use instead of the codec's software one (a hardware encoder the
        render step found working).
    loudness_gain_db : float or GAIN_SLOT, optional
        Gain that brings the mix to ``edl.mix.loudness_lufs`` (measured by the render
        step); None with a loudness target: single-pass ``loudnorm``;
        :data:`~editspec.backends.ffmpeg.audio.GAIN_SLOT`: a slot that
        :meth:`RenderCommand.with_gain` fills in once the gain is measured.
    unsafe_seek : sequence of str
        Clips whose keyframe seek decodes broken frames: read from their start.
    bt601 : sequence of str
        Clips tagged with a BT.601 matrix (standard definition): their YCbCr is converted
        to the BT.709 the output is tagged with (else players shift their colours).
    decoder_threads : int, optional
        Threads of each event's decoder; default 2, or 1 above 16 events (every input
        decodes ahead, so memory grows with events x threads). Each event is one ffmpeg
        input (``-ss S -noaccurate_seek -i``), decoding ahead in its own threads.
    extra_video : sequence of str
        Filters appended to the picture (the preview's cut flashes).
    extra_audio_input : str, optional
        An audio file mixed in at full level (the preview's click track).
    audio_only : bool
        Compile only the sound, measured by ``ebur128`` into the null muxer (the render
        step's loudness pass).
    streams : str
        What ``output`` gets: ``av`` (default) picture and sound, ``v`` the picture only
        (a segment of a segmented render), ``a`` the sound only, encoded for the final
        container that ``output``'s suffix names (its sound pass).
    caps : Capabilities, optional
        What the ffmpeg binary that will run the command can do: the graph and the
        arguments adapt to it (``-vsync`` before 5.1, ``amix`` and ``alimiter`` before
        5.0). Default: a binary that has everything (:data:`editspec.ffcaps.NEWEST`).

    Returns
    -------
    RenderCommand

    Raises
    ------
    BackendError
        For a transition, reframe mode, colour, position or codec it cannot draw.
    """
    from editspec.edl import check_edl

    check_edl(edl)
    if streams not in ("av", "v", "a"):
        raise BackendError(f"streams {streams!r} is not av, v or a")
    if streams == "a":
        audio_only = True
    caps = caps or NEWEST
    if decoder_threads is None:
        decoder_threads = 2 if len(edl.events) <= DECODER_THREADS_UP_TO else 1
    w, h = edl.size
    if w % 2 or h % 2:
        raise BackendError(f"output size {w}x{h} must be even for yuv420p")
    fps = edl.fps
    rate = f"{fps.numerator}/{fps.denominator}"
    total = edl.duration_frames
    duration = Fraction(total) / fps
    dur = num(duration)
    inputs = Inputs()
    g = Graph()
    events = edl.events
    trans = _transitions(events)  # (mode, name, before, after) into each event
    handles = _handles(edl, trans)
    seek_at = _seek_points(edl, handles, unsafe_seek)

    audio_events: list[tuple[Event, int, float]] = []
    pieces: list[str] = []
    tail_prev: str | None = None
    for k, ev in enumerate(events):
        mode_in, name_in, _, b_in = trans[k]
        mode_out, _, a_out, _ = trans[k + 1] if k + 1 < len(events) else ("cut", "", 0, 0)
        pre, post = handles[k]
        src_end = max(source_time(ev, ev.frames + post, fps), ev.src_out)
        seek = seek_at[k]
        # -t with -noaccurate_seek counts from the keyframe decoding starts at, which
        # may be long before the seek point: bound by the source end from time 0
        span = num(src_end + 1.0)
        use_audio = ev.audio.use
        if audio_only and not use_audio:
            continue
        in_args = ["-threads", str(decoder_threads)]
        if seek > 0:
            in_args += ["-ss", num(seek), "-noaccurate_seek"]
        idx = inputs.add(*in_args, "-t", span, "-i", ev.clip)
        if use_audio:
            audio_events.append((ev, idx, seek))
        if audio_only:
            continue
        matrix = ([filter_text("scale", in_color_matrix="bt601", out_color_matrix="bt709")]
                  if ev.clip in bt601 else [])
        label = _event_chain(g, edl, ev, ([f"{idx}:v:0"], matrix), seek, pre, post,
                             _fades(edl, k, trans, pre))
        head = pre + b_in if mode_in == "xfade" else 0
        tail = a_out + post if mode_out == "xfade" else 0
        parts = _split_parts(g, label, pre + ev.frames + post, head, tail, caps, rate)
        if "head" in parts:
            if tail_prev is None:
                raise BackendError(f"transition into event {k} has no outgoing shot")
            pieces.append(g.add([tail_prev, parts["head"]], [filter_text(
                "xfade", transition=name_in, duration=num(Fraction(head) / fps), offset=0)]))
        if "body" in parts:
            pieces.append(parts["body"])
        tail_prev = parts.get("tail")

    if not audio_only:
        _picture_out(g, edl, inputs, pieces, extra_video, caps)
    aout = "" if streams == "v" else audio_chains(
        g, edl, inputs, audio_events, duration, loudness_gain_db, extra_audio_input,
        measure=audio_only and streams != "a", caps=caps)
    graph = g.text()
    binary = None if caps is NEWEST else caps.path
    head_args = [*inputs.args, "-filter_complex", graph]
    if streams == "a":
        return RenderCommand(["-y", "-hide_banner", "-nostdin", "-loglevel", "error", *head_args,
                              "-map", f"[{aout}]", "-vn",
                              *audio_codec_args(edl, output, encode.audio_bitrate),
                              "-t", dur, output],
                             graph, 0, binary)
    if audio_only:
        return RenderCommand(["-hide_banner", "-nostdin", "-nostats", "-loglevel", "info",
                              *head_args, "-map", f"[{aout}]", "-f", "null", "-"],
                             graph, 0, binary)
    args = ["-y", "-hide_banner", "-nostdin", "-loglevel", "error", *head_args,
            "-map", "[vout]", *(["-map", f"[{aout}]"] if aout else []),
            *encoder_args(edl, output, encode),
            "-r", rate, *caps.fps_mode_args("cfr"),
            *([] if caps.frame_limit_cuts_sound else ["-frames:v", str(total)]),
            *(audio_codec_args(edl, output, encode.audio_bitrate) if aout else ["-an"]),
            "-t", dur]
    if output.lower().endswith((".mp4", ".mov", ".m4v")):
        args += ["-movflags", "+faststart"]
    return RenderCommand([*args, output], graph, total, binary)


def _fades(edl: EDL, k: int, trans: list[tuple[str, str, int, int]], pre: int) -> list[str]:
    """Fades of event ``k`` into and out of a colour (a ``flash`` on either side)."""
    ev = edl.events[k]
    mode_in, _, _, b_in = trans[k]
    mode_out, _, a_out, _ = trans[k + 1] if k + 1 < len(trans) else ("cut", "", 0, 0)
    fades = []
    if mode_in == "fade" and b_in:
        colour = FADE_TRANSITIONS[ev.transition.kind]  # type: ignore[union-attr]
        fades.append(filter_text("fade", t="in", s=0, n=b_in, color=colour))
    if mode_out == "fade" and a_out:
        colour = FADE_TRANSITIONS[edl.events[k + 1].transition.kind]  # type: ignore[union-attr]
        fades.append(filter_text("fade", t="out", s=pre + ev.frames - a_out, n=a_out,
                                 color=colour))
    return fades


def _split_parts(g: Graph, label: str, n: int, head: int, tail: int, caps: Capabilities,
                 rate: str) -> dict[str, str]:
    """Split an event's ``n`` frames into the dissolve in (``head``), its ``body`` and the
    dissolve out (``tail``); return the label of each part that has frames."""
    outs = []
    if head:
        outs.append(("head", 0, head))
    if n - head - tail > 0:
        outs.append(("body", head, n - tail))
    if tail:
        outs.append(("tail", n - tail, n))
    if len(outs) == 1 and outs[0][0] == "body":
        return {"body": label}
    names = [g.label("p") for _ in outs]
    g.add([label], [filter_text("split", len(outs))], names)
    parts = {}
    for (kind, s, e), nm in zip(outs, names, strict=True):
        parts[kind] = g.add([nm], [filter_text("trim", start_frame=s, end_frame=e),
                                   filter_text("setpts", "PTS-STARTPTS"),
                                   *([filter_text("fps", rate)]
                                     if caps.setpts_forgets_rate else [])])
    return parts


def _picture_out(g: Graph, edl: EDL, inputs: Inputs, pieces: list[str],
                 extra_video: Sequence[str], caps: Capabilities) -> None:
    """Concatenate the pieces, composite the overlays, end in the ``vout`` pad."""
    vout = pieces[0] if len(pieces) == 1 else g.add(pieces, [filter_text(
        "concat", n=len(pieces), v=1, a=0)])
    vout = _overlays(g, edl, inputs, vout)
    # every frame (and every segment of a segmented render) carries the same colour
    # properties: Rec. 709, limited range
    final = [*extra_video, filter_text("format", "yuv420p"),
             filter_text("setparams", range="tv", color_primaries="bt709",
                         color_trc="bt709", colorspace="bt709")]
    if caps.frame_limit_cuts_sound:  # the graph ends the picture instead of -frames:v
        final.append(filter_text("trim", end_frame=edl.duration_frames))
    g.add([vout], final, ["vout"])


def _overlays(g: Graph, edl: EDL, inputs: Inputs, label: str) -> str:
    """Composite titles (drawn once to PNG by :mod:`editspec.text`) and images, in order."""
    from editspec.text.raster import render_title_png

    w, h = edl.size
    for i, o in enumerate(edl.overlays):
        if isinstance(o, TextOverlay):
            title = render_title_png(o, (w, h), index=i)
            idx = inputs.add("-i", title.path)
            img = g.add([f"{idx}:v:0"], overlay.title_filters(o, edl.fps))
            distance = round(0.5 * title.layout.size)
            label = g.add([label, img], [overlay.title_overlay_filter(o, title.x, title.y,
                                                                        distance)])
        elif isinstance(o, ImageOverlay):
            idx = inputs.add("-i", o.path)
            img = g.add([f"{idx}:v:0"], overlay.image_filters(o, w))
            label = g.add([label, img], [overlay.overlay_filter(o, w, h)])
    return label


def format_command(cmd: RenderCommand) -> str:
    """Return a shell command line that reruns the render."""
    from editspec.media import ffmpeg_exe

    return shlex.join([cmd.ffmpeg or ffmpeg_exe(), *cmd.argv])


def output_suffix_ok(path: str, suffixes: Sequence[str]) -> bool:
    """True when ``path`` ends in one of ``suffixes`` (case-insensitive)."""
    return os.path.splitext(path)[1].lower() in suffixes
