"""Generated video clips with stated ground truth: cuts, dissolves, fades, flashes, pans.

Every clip is built with ffmpeg lavfi sources; each function returns the path and the
truth it was built from (frame indices at the clip's rate), never anything measured.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field

FPS = 25
W, H = 160, 90

# Distinct, moving sources; each reads a rate, a size and a seed (the random ones use it,
# so a clip is the same on every run; gradients also needs its colours set, its random
# colours ignore the seed).
SOURCES = (
    "testsrc2=s={s}:r={r}",
    "mandelbrot=s={s}:r={r}",
    "life=s={s}:r={r}:mold=10:ratio=0.1:death_color=#C83232:life_color=#00ff00:seed={seed}",
    "smptebars=s={s}:r={r}",
    "cellauto=s={s}:r={r}:rule=110:seed={seed}",
    "rgbtestsrc=s={s}:r={r}",
    "gradients=s={s}:r={r}:speed=0.05:seed={seed}:c0=#3050c0:c1=#e0a030",
    "testsrc=s={s}:r={r}",
)


@dataclass
class Truth:
    """What a generated clip contains, in frames at ``fps``."""

    fps: int
    frames: int
    hard: list[int] = field(default_factory=list)
    """First frames of new shots after hard cuts."""
    gradual: list[int] = field(default_factory=list)
    """Middle frames of dissolves and fades."""
    not_cuts: list[int] = field(default_factory=list)
    """Frames of flashes or fast pans where no cut may be found."""


def bundled_ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _run(args: list[str]) -> None:
    """Made with the bundled ffmpeg whatever is on PATH (Debian's 5.1 has no
    ``-display_rotation``): the test media must not depend on the machine."""
    subprocess.run([bundled_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                    *args], check=True, capture_output=True)


def _src(k: int, frames: int, fps: int = FPS, size: tuple[int, int] = (W, H),
         fmt: str = "yuv420p", seed: int = 7) -> str:
    s = f"{size[0]}x{size[1]}"
    return (SOURCES[k % len(SOURCES)].format(s=s, r=fps, seed=seed)
            + f",trim=end_frame={frames},setpts=PTS-STARTPTS,format={fmt}")


ENC = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-g", "50", "-pix_fmt", "yuv420p"]


def hard_cuts(path: str, lengths: tuple[int, ...] = (30, 23, 40, 17, 35), *,
              enc: list[str] | None = None, fps: int = FPS, size: tuple[int, int] = (W, H),
              extra: list[str] | None = None, fmt: str = "yuv420p") -> Truth:
    """Concatenate segments of different sources: a hard cut at each join."""
    n = len(lengths)
    graph = ";".join(f"{_src(k, m, fps, size, fmt)}[s{k}]" for k, m in enumerate(lengths))
    graph += ";" + "".join(f"[s{k}]" for k in range(n)) + f"concat=n={n}:v=1:a=0[v]"
    _run(["-f", "lavfi", "-i", "nullsrc=s=16x16:d=0.04", "-filter_complex", graph, "-map", "[v]",
          *(enc if enc is not None else ENC), *(extra or []), path])
    cuts = [sum(lengths[:k]) for k in range(1, n)]
    return Truth(fps, sum(lengths), hard=cuts)


def transitions(path: str, kind: str = "fade", seconds: tuple[float, ...] = (2.0, 2.0, 2.0),
                duration: float = 0.5, sources: tuple[int, ...] = (0, 1, 3, 6, 5),
                seed: int = 7) -> Truth:
    """Join segments with ``xfade`` (``fade`` is a dissolve, ``fadeblack`` a fade through black).

    Segment k lasts ``seconds[k]`` and shows ``SOURCES[sources[k]]`` (the default ones
    change little frame to frame); each transition of ``duration`` ends one segment early,
    so the middle of transition k is at ``sum(seconds[:k+1]) - (k+1)*duration + duration/2``.
    """
    n = len(seconds)
    graph = ";".join(f"{_src(sources[k % len(sources)], round(sec * FPS), seed=seed + k)}[s{k}]"
                     for k, sec in enumerate(seconds))
    prev = "s0"
    mids = []
    t = 0.0
    for k in range(1, n):
        offset = t + seconds[k - 1] - duration
        mids.append(offset + duration / 2)
        out = f"x{k}"
        graph += (f";[{prev}][s{k}]xfade=transition={kind}:duration={duration}:"
                  f"offset={offset:.4f}[{out}]")
        prev = out
        t = offset
    _run(["-f", "lavfi", "-i", "nullsrc=s=16x16:d=0.04", "-filter_complex", graph,
          "-map", f"[{prev}]", *ENC, path])
    total = round((sum(seconds) - (n - 1) * duration) * FPS)
    return Truth(FPS, total, gradual=[round(m * FPS) for m in mids])


def flashes(path: str, frames: int = 100, at: tuple[int, ...] = (30, 70), length: int = 2) -> Truth:
    """One shot with camera flashes: ``length`` white (then bright) frames at each of ``at``."""
    boxes = ",".join(
        "drawbox=x=0:y=0:w=iw:h=ih:color=white@0.95:t=fill:"
        f"enable='between(n,{a},{a + length - 1})'"
        for a in at)
    _run(["-f", "lavfi", "-i", _src(0, frames) + "," + boxes, *ENC, path])
    return Truth(FPS, frames, not_cuts=[a + d for a in at for d in range(length + 1)])


def fast_pan(path: str, frames: int = 75, speed_px: int = 12) -> Truth:
    """One shot panning over a wide picture at ``speed_px`` pixels per frame (of 160)."""
    wide = W + speed_px * frames + 8
    src = (f"testsrc2=s={wide}x{H}:r={FPS},trim=end_frame={frames},"
           f"crop={W}:{H}:x='n*{speed_px}':y=0,format=yuv420p")
    _run(["-f", "lavfi", "-i", src, *ENC, path])
    return Truth(FPS, frames, not_cuts=list(range(1, frames)))


def moving_box(path: str, frames: int = 50, box: int = 16, x0: int = 20,
               speed_px: int = 2) -> Truth:
    """A white box moving right on dark grey; the box centre is the subject."""
    src = (f"color=c=0x202020:s={W}x{H}:r={FPS}:d={frames / FPS}[bg];"
           f"color=c=white:s={box}x{box}:r={FPS}:d={frames / FPS}[fg];"
           f"[bg][fg]overlay=x='{x0}+n*{speed_px}':y={(H - box) // 2},format=yuv420p[v]")
    _run(["-f", "lavfi", "-i", "nullsrc=s=16x16:d=0.04", "-filter_complex", src, "-map", "[v]",
          *ENC, path])
    return Truth(FPS, frames)


def vfr_clip(path: str) -> tuple[Truth, float]:
    """Two shots at different frame rates in one variable-frame-rate MP4; the cut time in s."""
    graph = (f"{_src(0, 50, 25)}[a];{_src(1, 20, 10)}[b];[a][b]concat=n=2:v=1:a=0[v]")
    _run(["-f", "lavfi", "-i", "nullsrc=s=16x16:d=0.04", "-filter_complex", graph, "-map", "[v]",
          *ENC, "-fps_mode", "vfr", path])
    return Truth(25, 0), 2.0


def still_and_blur(path: str) -> Truth:
    """A sharp shot, then the same source heavily blurred, then black: quality ground truth.

    Frames 0-39 sharp, 40-79 blurred (``gblur`` sigma 8), 80-99 black.
    """
    graph = (f"{_src(7, 40)}[a];{_src(7, 40)},gblur=sigma=8[b];"
             f"color=c=black:s={W}x{H}:r={FPS}:d=0.8,format=yuv420p[c];"
             "[a][b][c]concat=n=3:v=1:a=0[v]")
    _run(["-f", "lavfi", "-i", "nullsrc=s=16x16:d=0.04", "-filter_complex", graph, "-map", "[v]",
          *ENC, path])
    return Truth(FPS, 100, hard=[40, 80])


def shaky(path: str, amplitude: int = 6, pan_px: int = 0, frames: int = 60) -> Truth:
    """A camera over a wide picture: shaking by ``amplitude`` px, panning ``pan_px`` px a frame."""
    wide = W + 2 * amplitude + pan_px * frames + 8
    src = (f"testsrc2=s={wide}x{H + 2 * amplitude + 2}:r={FPS},trim=end_frame={frames},"
           f"crop={W}:{H}:x='{amplitude}+{pan_px}*n+{amplitude}*sin(n*2.5)':"
           f"y='{amplitude}+{amplitude}*cos(n*1.9)',format=yuv420p")
    _run(["-f", "lavfi", "-i", src, *ENC, path])
    return Truth(FPS, frames)


def remux(src: str, dst: str, *args: str) -> None:
    """Copy the streams of ``src`` into ``dst`` (input options such as rotation first)."""
    _run([*args, "-i", src, "-c", "copy", dst])


def reencode(src: str, dst: str, *args: str) -> None:
    """Re-encode ``src`` into ``dst`` with output options ``args``."""
    _run(["-i", src, *args, dst])


def sine_audio(path: str, seconds: float = 1.0) -> None:
    """An audio-only file."""
    _run(["-f", "lavfi", "-i", f"sine=f=440:d={seconds}", path])


def jump_back(path: str, k: int = 0, first: int = 60, back: int = 6, then: int = 40) -> Truth:
    """One moving shot that plays frames 0..first-1, then jumps back ``back`` frames and plays on.

    The picture after the jump was seen ``back`` frames earlier and comes back as the
    shot plays on: an edit (a cut), not a flash.
    """
    start = first - back
    graph = (f"{_src(k, first)}[a];{SOURCES[k % len(SOURCES)].format(s=f'{W}x{H}', r=FPS, seed=7)},"
             f"trim=start_frame={start}:end_frame={start + then},setpts=PTS-STARTPTS,"
             f"format=yuv420p[b];[a][b]concat=n=2:v=1:a=0[v]")
    _run(["-f", "lavfi", "-i", "nullsrc=s=16x16:d=0.04", "-filter_complex", graph, "-map", "[v]",
          *ENC, path])
    return Truth(FPS, first + then, hard=[first])


def fading_flash(path: str, frames: int = 100, at: int = 40) -> Truth:
    """One shot with a camera flash that fades out: white, then 70 %, 45 %, 25 %, 10 % white."""
    levels = (0.95, 0.95, 0.7, 0.45, 0.25, 0.1)
    boxes = ",".join(
        f"drawbox=x=0:y=0:w=iw:h=ih:color=white@{a}:t=fill:enable='eq(n,{at + d})'"
        for d, a in enumerate(levels))
    _run(["-f", "lavfi", "-i", _src(0, frames) + "," + boxes, *ENC, path])
    return Truth(FPS, frames, not_cuts=list(range(at, at + len(levels) + 1)))



def dull_and_highlight(path: str) -> Truth:
    """A held textured frame, black, a box moving fast over the texture, the held frame again.

    Seconds at 25 fps: 0-2 the first frame of ``testsrc2`` held (frozen, dull), 2-3 black,
    3-5 a white box crossing the same still texture (the highlight), 5-7 held again.
    """
    still = f"testsrc2=s={W}x{H}:r={FPS},trim=end_frame=1,tpad=stop_mode=clone:stop=49"
    graph = (f"{still},format=yuv420p[a];"
             f"color=c=black:s={W}x{H}:r={FPS}:d=1,format=yuv420p[b];"
             f"{still},format=yuv420p[bg];"
             f"color=c=white:s=24x24:r={FPS}:d=2[fg];"
             f"[bg][fg]overlay=x='n*3':y='20+20*sin(n/4)',format=yuv420p[c];"
             f"{still},format=yuv420p[d];"
             "[a][b][c][d]concat=n=4:v=1:a=0[v]")
    _run(["-f", "lavfi", "-i", "nullsrc=s=16x16:d=0.04", "-filter_complex", graph, "-map", "[v]",
          *ENC, path])
    return Truth(FPS, 175, hard=[50, 75, 125])


TEXTURE = "geq=lum='128+50*sin(X/2.3)*cos(Y/3.1)':cb=128:cr=128"
"""A static, busy grey texture (no colour, no motion): a background, never a subject."""


def shape_over_texture(path: str, frames: int = 100, size: tuple[int, int] = (320, 180),
                       box: int = 24, x_from: int = 40, x_to: int = 240,
                       move: tuple[int, int] = (25, 60)) -> Truth:
    """An orange box over a textured background: still at ``x_from`` until frame
    ``move[0]``, moving linearly to ``x_to`` by frame ``move[1]``, then still. The box's
    left edge at frame n is :func:`shape_x`; it sits at mid height."""
    w, h = size
    a, b = move
    x = (f"if(lt(n,{a}),{x_from},if(lt(n,{b}),{x_from}+(n-{a})*{(x_to - x_from) / (b - a)!r},"
         f"{x_to}))")
    src = (f"color=c=gray:s={w}x{h}:r={FPS}:d={frames / FPS},format=yuv444p,{TEXTURE}[bg];"
           f"color=c=0xff8000:s={box}x{box}:r={FPS}:d={frames / FPS}[fg];"
           f"[bg][fg]overlay=x='{x}':y={(h - box) // 2},format=yuv420p[v]")
    _run(["-f", "lavfi", "-i", "nullsrc=s=16x16:d=0.04", "-filter_complex", src, "-map", "[v]",
          *ENC, path])
    return Truth(FPS, frames)


def shape_x(n: int, box: int = 24, x_from: int = 40, x_to: int = 240,
            move: tuple[int, int] = (25, 60)) -> float:
    """Left edge (pixels) of :func:`shape_over_texture`'s box at frame ``n``."""
    a, b = move
    if n < a:
        return x_from
    if n < b:
        return x_from + (n - a) * (x_to - x_from) / (b - a)
    return x_to


def face_over_texture(path: str, frames: int = 50, size: tuple[int, int] = (320, 180),
                      centre: tuple[int, int] = (64, 80)) -> Truth:
    """A still face-like pattern (a skin-coloured oval with two dark eyes and a mouth)
    centred at ``centre`` pixels, over the textured background."""
    w, h = size
    cx, cy = centre
    # ellipse 30x40 px; eyes at (+-8, -8), mouth a bar at +12
    inside = f"lte(pow((X-{cx})/15,2)+pow((Y-{cy})/20,2),1)"
    eye = "lte(pow(X-{x},2)+pow(Y-{y},2),9)"
    eyes = (f"({eye.format(x=cx - 7, y=cy - 6)}+{eye.format(x=cx + 7, y=cy - 6)})")
    mouth = f"(between(X,{cx - 7},{cx + 7})*between(Y,{cy + 9},{cy + 11}))"
    dark = f"gt({eyes}+{mouth},0)"
    lum = f"if({inside},if({dark},40,170),128+50*sin(X/2.3)*cos(Y/3.1))"
    cb = f"if({inside},if({dark},128,105),128)"
    cr = f"if({inside},if({dark},128,160),128)"
    src = (f"color=c=gray:s={w}x{h}:r={FPS}:d={frames / FPS},format=yuv444p,"
           f"geq=lum='{lum}':cb='{cb}':cr='{cr}',format=yuv420p[v]")
    _run(["-f", "lavfi", "-i", "nullsrc=s=16x16:d=0.04", "-filter_complex", src, "-map", "[v]",
          *ENC, path])
    return Truth(FPS, frames)
