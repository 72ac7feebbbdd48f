"""Built-in demo media: a synthesized song with known beats and six lavfi clips.

``editspec demo`` writes them to a folder, writes the recipe it uses beside them,
plans, renders and exports the edit. Tests use the same generators at small sizes:
the song's beats and downbeats are known exactly from its tempo.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

DEMO_TEMPO = 120.0
DEMO_BARS = 20
DEMO_SR = 44100

# (section label, first bar, bars): quiet intro, verse, loud chorus, ending.
DEMO_FORM = (("intro", 0, 4), ("verse", 4, 4), ("chorus", 8, 8), ("outro", 16, 4))
_CHORDS = ((0, 4, 7), (9, 12, 16), (5, 9, 12), (7, 11, 14))  # C, Am, F, G (semitones from C)
_ROOTS = (0, 9, 5, 7)


@dataclass(frozen=True, slots=True)
class SongTruth:
    """Ground truth of a synthesized song."""

    tempo: float
    """Tempo in BPM."""
    beats: np.ndarray
    """Beat times in seconds."""
    downbeats: np.ndarray
    """Downbeat times in seconds."""
    duration: float
    """Length in seconds."""


def _env(n: int, sr: int, decay_s: float) -> np.ndarray:
    return np.exp(-np.arange(n) / (decay_s * sr))


def _note(freq: float, dur_s: float, sr: int, decay_s: float, harmonics: int = 3) -> np.ndarray:
    t = np.arange(int(dur_s * sr)) / sr
    wave = sum(np.sin(2 * np.pi * freq * h * t) / h**1.5 for h in range(1, harmonics + 1))
    attack = np.minimum(1.0, t / 0.005)
    return wave * attack * _env(len(t), sr, decay_s)


def synth_song(path: str | None = None, *, tempo: float = DEMO_TEMPO, bars: int = DEMO_BARS,
               beats_per_bar: int = 4, sr: int = DEMO_SR, seed: int = 0,
               form: tuple[tuple[str, int, int], ...] = DEMO_FORM,
               tempo_changes: dict[int, float] | None = None) -> tuple[np.ndarray, SongTruth]:
    """Synthesize a song with drums, bass and chords at a known tempo.

    Parameters
    ----------
    path : str, optional
        Where to write it (format from the suffix: .wav, .ogg, .flac).
    tempo : float
        Tempo in BPM; beat ``k`` is at ``k * 60 / tempo`` seconds.
    bars : int
        Length in bars.
    beats_per_bar : int
        Metre (4 for 4/4, 3 for 3/4).
    sr : int
        Sample rate, Hz.
    seed : int
        Seed of the noise in drums.
    form : tuple
        ``(label, first_bar, n_bars)`` parts; ``intro`` is quiet, ``chorus`` is loud.
    tempo_changes : dict of int to float, optional
        ``{bar: bpm}``: the tempo from that bar on.

    Returns
    -------
    y : np.ndarray [shape=(n,)], float32
        The song, peak 0.9.
    truth : SongTruth
        Its beats and downbeats.
    """
    rng = np.random.default_rng(seed)
    n_beats = bars * beats_per_bar
    bar_tempo = [tempo] * bars
    for bar, bpm in sorted((tempo_changes or {}).items()):
        for b in range(bar, bars):
            bar_tempo[b] = bpm
    beat_len = np.repeat(60.0 / np.array(bar_tempo), beats_per_bar)
    beat_times = np.concatenate([[0.0], np.cumsum(beat_len)])
    duration = float(beat_times[-1]) + 1.0
    y = np.zeros(int(duration * sr) + sr, dtype=np.float64)
    part_of = {}
    for label, first, count in form:
        for b in range(first, first + count):
            part_of[b] = label

    def add(sig: np.ndarray, t: float, gain: float) -> None:
        i = round(t * sr)
        j = min(len(y), i + len(sig))
        y[i:j] += gain * sig[: j - i]

    n = int(0.25 * sr)
    kick = np.sin(2 * np.pi * np.cumsum(50 + 110 * _env(n, sr, 0.03)) / sr) * _env(n, sr, 0.12)
    snare = (rng.standard_normal(n) * 0.7 + 0.5 * np.sin(2 * np.pi * 190 * np.arange(n) / sr)) \
        * _env(n, sr, 0.07)
    noise = rng.standard_normal(n)
    hat = np.diff(noise, prepend=0.0) * _env(n, sr, 0.02) * 0.5
    crash_n = int(1.2 * sr)
    crash = np.diff(rng.standard_normal(crash_n), prepend=0.0) * _env(crash_n, sr, 0.5) * 0.4

    for bar in range(bars):
        beat_s = 60.0 / bar_tempo[bar]
        part = part_of.get(bar, "verse")
        chord = _CHORDS[bar % 4]
        root = 130.81 * 2 ** (_ROOTS[bar % 4] / 12) / 2  # C3 an octave down
        loud = {"intro": 0.25, "verse": 0.6, "chorus": 1.0, "outro": 0.5}.get(part, 0.6)
        for k in range(beats_per_bar):
            t = float(beat_times[bar * beats_per_bar + k])
            down = k == 0
            # chords: a stab on every beat, accented on the downbeat
            stab = sum(_note(261.63 * 2 ** (s / 12), beat_s, sr, 0.25 if down else 0.12)
                       for s in chord)
            add(stab, t, 0.10 * loud * (1.6 if down else 1.0))
            if part == "intro":
                add(hat, t, 0.25)
                if down:
                    add(kick, t, 0.35)
                continue
            add(_note(root, beat_s, sr, 0.2, harmonics=4), t, 0.35 * loud)
            if part == "chorus" or down or (part == "verse" and k == 2):
                add(kick, t, 0.9 * loud * (1.3 if down else 1.0))
            if k % 2 == 1 and part != "outro":
                add(snare, t, 0.45 * loud)
            if part != "outro":
                add(hat, t, 0.5 * loud)
                add(hat, t + beat_s / 2, 0.3 * loud)
            if part == "chorus" and down:
                add(crash, t, 0.6)
    y = y[: int(duration * sr)]
    y = (0.9 * y / np.max(np.abs(y))).astype(np.float32)
    beats = beat_times[:n_beats]
    truth = SongTruth(tempo, beats, beats[::beats_per_bar], duration)
    if path is not None:
        import soundfile as sf

        from editspec.fsutil import atomic_path

        with atomic_path(path) as tmp:
            sf.write(tmp, y, sr)
    return y, truth


# name, lavfi graph (before the final scale), seconds. Each looks different from the
# others so that every cut between them is visible, and they move by different amounts.
# The random sources (life, cellauto, gradients) are seeded: the demo's media, and so its
# plan, are the same on every run and in every folder.
DEMO_CLIPS = (
    ("bars-zoom", "smptehdbars=s=1280x720:r=1:d=1,zoompan=z='min(zoom+0.0015,1.8)':d={frames}"
                  ":x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':s={w}x{h}:fps={fps}", 20),
    ("testsrc", "testsrc2=s={w}x{h}:r={fps}", 12),
    ("mandelbrot", "mandelbrot=s={w}x{h}:r={fps}:maxiter=256", 10),
    ("life", "life=s=160x90:r={fps}:seed=7:mold=10:ratio=0.2:life_color=#30ff90:"
             "death_color=#102040,scale={w}:{h}:flags=neighbor", 14),
    ("cellauto", "cellauto=s={w}x{h}:r={fps}:rule=30:seed=7,"
                 "lutrgb=r='val*0.9':g='val*0.3':b='val*0.2'", 16),
    ("gradients", "gradients=s={w}x{h}:r={fps}:seed=7:speed=0.03:"
                  "c0=#ff0040:c1=#2040ff:c2=#ffe000", 18),
)


def make_clips(folder: str, *, size: tuple[int, int] = (640, 360), fps: int = 30,
               max_seconds: float | None = None) -> list[str]:
    """Render the six demo clips with ffmpeg's lavfi sources.

    Parameters
    ----------
    folder : str
        Output folder (created).
    size : (int, int)
        Clip width and height.
    fps : int
        Clip frame rate.
    max_seconds : float, optional
        Cap every clip's length (tests use short clips).

    Returns
    -------
    list of str
        The clip files, in :data:`DEMO_CLIPS` order.
    """
    from editspec.fsutil import atomic_path
    from editspec.media import run_ffmpeg

    os.makedirs(folder, exist_ok=True)
    w, h = size
    out = []
    for i, (name, graph, seconds) in enumerate(DEMO_CLIPS):
        if max_seconds is not None:
            seconds = min(seconds, max_seconds)
        dest = os.path.join(folder, f"{i + 1:02d}-{name}.mp4")
        out.append(dest)
        if os.path.isfile(dest):
            continue
        src = graph.format(w=w, h=h, fps=fps, frames=int(seconds * fps))
        with atomic_path(dest) as tmp:
            run_ffmpeg(["-y", "-f", "lavfi", "-i", src, "-t", str(seconds), "-r", str(fps),
                        "-vf", f"scale={w}:{h},setsar=1,format=yuv420p", "-c:v", "libx264",
                        "-preset", "ultrafast", "-crf", "18", "-g", str(fps), "-an", tmp],
                       f"making demo clip {name}")
    return out


DEMO_RECIPE = """\
# editspec demo recipe: written by `editspec demo` next to the media it made.
version: 1
seed: 7
output: {{size: {size}, fps: 30, duration: {duration}s}}
music: {{file: song.ogg, start: 0s, fade_out: 1.5s}}
clips: ["clips/*.mp4"]
cuts: {{every: 2 beats, min_shot: 0.5s}}
"""


def make_demo_media(folder: str, *, size: str = "1080x1920", duration_s: float = 30.0,
                    clip_size: tuple[int, int] = (640, 360),
                    clip_seconds: float | None = None) -> str:
    """Write the demo song, clips and recipe into ``folder``; return the recipe path."""
    os.makedirs(folder, exist_ok=True)
    song = os.path.join(folder, "song.ogg")
    if not os.path.isfile(song):
        synth_song(song)
    make_clips(os.path.join(folder, "clips"), size=clip_size, max_seconds=clip_seconds)
    make_logo(os.path.join(folder, "logo.png"))
    recipe = os.path.join(folder, "demo.yaml")
    from editspec.fsutil import write_text_atomic

    write_text_atomic(recipe, DEMO_RECIPE.format(size=size, duration=f"{duration_s:g}"))
    return recipe


def make_logo(path: str) -> str:
    """Write the demo logo (a 240x80 PNG: a coloured badge) unless it exists; return ``path``."""
    from editspec.fsutil import atomic_path
    from editspec.media import run_ffmpeg

    if not os.path.isfile(path):
        with atomic_path(path) as tmp:
            run_ffmpeg(["-y", "-f", "lavfi", "-i", "color=c=0xfee715:s=240x80", "-vf",
                        "drawbox=x=8:y=8:w=224:h=64:color=0x101820:t=fill", "-frames:v", "1",
                        tmp], "making the demo logo")
    return path


EXAMPLE_MEDIA = ("song.ogg", "clips", "logo.png")
"""What the recipes in ``examples/`` name beside them (the brand kit names ``logo.png``)."""
EXAMPLE_FOLDERS = (".", "brand", "batch")
"""The folders of ``examples/`` whose recipes (or kit) name that media."""


def link_examples(media: str, examples: str) -> list[str]:
    """Link the demo media into ``examples`` so that every example runs as written.

    ``song.ogg``, ``clips/`` and ``logo.png`` of ``media`` (a demo output folder) are
    symlinked, by relative paths, into ``examples/``, ``examples/brand/`` and
    ``examples/batch/``. A file of the user's own (not a link) is left alone.

    Parameters
    ----------
    media : str
        The folder :func:`make_demo_media` filled.
    examples : str
        The repository's ``examples/`` folder.

    Returns
    -------
    list of str
        The links made or renewed.
    """
    made = []
    for sub in EXAMPLE_FOLDERS:
        folder = os.path.normpath(os.path.join(examples, sub))
        if not os.path.isdir(folder):
            continue
        for name in EXAMPLE_MEDIA:
            link, target = os.path.join(folder, name), os.path.join(media, name)
            if os.path.lexists(link) and not os.path.islink(link):
                continue
            rel = os.path.relpath(os.path.abspath(target), os.path.abspath(folder))
            tmp = os.path.join(folder, f".editspec-link-{name}")
            if os.path.lexists(tmp):
                os.unlink(tmp)
            os.symlink(rel, tmp)
            os.replace(tmp, link)
            made.append(link)
    return made
