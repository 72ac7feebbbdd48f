"""The sound of a render: music window, clips' own sound, ducking and loudness.

Part of :mod:`editspec.backends.ffmpeg.compile` (pure: builds filtergraph chains). The
chains adapt to what the ffmpeg binary has (:class:`~editspec.ffcaps.Capabilities`):
before 5.0 ``amix`` has no ``normalize`` (it always divides by the number of inputs:
every input is padded to the whole length and the sum multiplied back) and ``alimiter``
no ``latency`` (its look-ahead delay is cut off by hand); ``ebur128`` logs its frames at
the ``verbose`` level, a named value every version has (``quiet`` is 7.x only).
"""

from __future__ import annotations

from fractions import Fraction

from editspec.backends.ffmpeg.graph import Graph, Inputs, filter_text, num
from editspec.edl import EDL, Event
from editspec.ffcaps import NEWEST, Capabilities

LIMITER_ATTACK_MS = 5
"""Look-ahead of the true-peak limiter (ms)."""
GAIN_SLOT = "@loudness_gain@"
"""Stands for the loudness gain in a graph compiled before the gain is measured
(``loudness_gain_db=GAIN_SLOT``); :meth:`RenderCommand.with_gain` fills it in."""
ATEMPO_RANGE = (0.5, 2.0)
"""What one ``atempo`` filter takes on every supported ffmpeg (0.5..100 on newer ones)."""


def atempo_steps(rate: float) -> list[float]:
    """Factors of ``rate`` each within :data:`ATEMPO_RANGE`, for a chain of ``atempo``
    filters (slow motion below 0.5x with the clip's sound; one step when it fits, none at
    1x)."""
    lo, hi = ATEMPO_RANGE
    steps = []
    while rate < lo:
        steps.append(lo)
        rate /= lo
    while rate > hi:
        steps.append(hi)
        rate /= hi
    if abs(rate - 1) > 1e-6:
        steps.append(rate)
    return steps

def gain_text(gain_db: float | str) -> str:
    """The ``volume`` value of the loudness gain (:data:`GAIN_SLOT` kept as it is)."""
    return gain_db if isinstance(gain_db, str) else f"{gain_db:.2f}dB"


def audio_chains(g: Graph, edl: EDL, inputs: Inputs,
                 audio_events: list[tuple[Event, int, float]], duration: Fraction,
                 gain_db: float | str | None, extra: str | None, measure: bool,
                 caps: Capabilities = NEWEST) -> str:
    """Music window, clips' own sound (ducking the music), loudness; return the label."""
    dur = num(duration)
    sum_mix = caps.has_option("amix", "normalize")

    def mix(labels: list[str], duration_mode: str, **extra_opts: object) -> str:
        """Sum ``labels`` at unity gain (``amix normalize=0``, or its equal before 5.0)."""
        if sum_mix:
            return g.add(labels, [filter_text("amix", inputs=len(labels), normalize=0,
                                              duration=duration_mode, **extra_opts)])
        # old amix scales each input by 1/(inputs still playing): make them all play
        # to the end, then undo the constant 1/n
        padded = [g.add([lb], [filter_text("apad", whole_dur=dur)]) for lb in labels]
        return g.add(padded, [filter_text("amix", inputs=len(labels), duration="first",
                                          dropout_transition=0),
                              filter_text("volume", len(labels))])

    fmt = filter_text("aformat", sample_fmts="fltp", sample_rates=48000,
                      channel_layouts="stereo")
    if edl.music is not None:
        idx = inputs.add("-ss", num(edl.music.start), "-t", dur, "-i", edl.music.path)
        af = [filter_text("asetpts", "PTS-STARTPTS"), fmt]
        if edl.music.fade_in > 0:
            af.append(filter_text("afade", t="in", st=0, d=num(edl.music.fade_in)))
        if edl.music.fade_out > 0:
            fo = min(edl.music.fade_out, float(duration))
            af.append(filter_text("afade", t="out", st=num(float(duration) - fo), d=num(fo)))
        af += [filter_text("apad", whole_dur=dur), filter_text("atrim", end=dur)]
        music = g.add([f"{idx}:a:0"], af, [g.label("music")])
    else:
        idx = inputs.add("-f", "lavfi", "-t", dur, "-i", "anullsrc=r=48000:cl=stereo")
        music = g.add([f"{idx}:a:0"], [filter_text("atrim", end=dur)], [g.label("music")])
    fps = edl.fps
    mixed = music
    if audio_events:
        parts = []
        spans = []
        for ev, idx, seek in audio_events:
            start = ev.src_in - seek
            r = sum(v for _, v in ev.speed.points) / len(ev.speed.points)
            length = float(Fraction(ev.frames) / fps)
            af = [filter_text("atrim", start=num(max(0.0, start)), duration=num(length * r)),
                  filter_text("asetpts", "PTS-STARTPTS"), fmt]
            af += [filter_text("atempo", num(step)) for step in atempo_steps(r)]
            if ev.audio.gain_db:
                af.append(filter_text("volume", f"{num(ev.audio.gain_db)}dB"))
            at = round(ev.rec_in * 48000 * fps.denominator / fps.numerator)
            af += [filter_text("atrim", end=num(length)), filter_text("adelay", f"{at}S", all=1),
                   filter_text("asetpts", "N/SR/TB")]
            parts.append(g.add([f"{idx}:a:0"], af))
            spans.append((float(Fraction(ev.rec_in) / fps), float(Fraction(ev.rec_out) / fps)))
        src = parts[0] if len(parts) == 1 else mix(parts, "longest", dropout_transition=0)
        src = g.add([src], [filter_text("apad", whole_dur=dur), filter_text("atrim", end=dur)])
        duck = edl.mix.duck_db
        if duck > 0:
            music = g.add([music], [filter_text("volume", duck_expr(spans, duck), eval="frame")])
        mixed = mix([music, src], "first")
    if extra:
        idx = inputs.add("-i", extra)
        click = g.add([f"{idx}:a:0"], [fmt, filter_text("apad", whole_dur=dur)])
        mixed = mix([mixed, click], "first")
    target = edl.mix.loudness_lufs
    tail: list[str] = []
    if target is not None and gain_db is not None:
        limit = 10 ** (edl.mix.true_peak_db / 20)
        tail = [filter_text("volume", gain_text(gain_db))]
        if caps.has_option("alimiter", "latency"):
            tail.append(filter_text("alimiter", limit=f"{limit:.4f}", level=0, latency=1,
                                    attack=LIMITER_ATTACK_MS, release=50))
        else:  # before 5.0: the look-ahead delays the sound by attack x rate - 1 samples
            delay = LIMITER_ATTACK_MS * 48 - 1
            tail += [filter_text("apad", pad_len=delay),
                     filter_text("alimiter", limit=f"{limit:.4f}", level=0,
                                 attack=LIMITER_ATTACK_MS, release=50),
                     filter_text("atrim", start_sample=delay),
                     filter_text("asetpts", "PTS-STARTPTS")]
    elif target is not None and not measure:
        tail = [filter_text("loudnorm", I=num(target), TP=num(edl.mix.true_peak_db), LRA=20),
                filter_text("aresample", 48000)]
    if measure:
        tail.append(filter_text("ebur128", framelog="verbose"))
    else:
        tail += [filter_text("apad", whole_dur=dur), filter_text("atrim", end=dur)]
    return g.add([mixed], tail or ["anull"], ["aout"])


def duck_expr(spans: list[tuple[float, float]], duck_db: float, ramp_s: float = 0.15) -> str:
    """Music gain over time: ``-duck_db`` inside the spans, linear ramps of ``ramp_s``."""
    merged: list[list[float]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1] + 2 * ramp_s:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    depth = 1 - 10 ** (-duck_db / 20)
    ons = "+".join(f"clip(min((t-{num(a - ramp_s)})/{num(ramp_s)},({num(b + ramp_s)}-t)/"
                   f"{num(ramp_s)}),0,1)" for a, b in merged)
    return f"if(isnan(t),1,1-{depth:.6f}*({ons}))"
