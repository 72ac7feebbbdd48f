"""A style learned from a pace rule reproduces the rule's pace (generated beat grids).

The hidden rules are the kinds the recorded-song benchmark uses (bench/learn_real.py):
pace by the bar's loudness (quiet 4 beats / middling 2 / loud 1) and a cut on the first
downbeat of each 4-bar phrase. Songs are hand-made analyses (beats, bars, energy and
sections known), so the expected shot lengths follow from the rule, not from the code.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

pytest.importorskip("torch")

FPS = 30.0
LEVELS = {"quiet": 0.25, "mid": 0.58, "loud": 0.9}
RULE_BEATS = {"quiet": 4, "mid": 2, "loud": 1}


def _song(seed: int, n_bars: int = 48):
    """A 4/4 song with bar-wise loudness (runs of 2-4 bars) and a section every 8 bars."""
    from editspec.analysis.audio import AudioAnalysis, Section

    rng = np.random.default_rng(seed)
    tempo = float(rng.uniform(100, 140))
    period = 60.0 / tempo
    beats = 0.5 + np.arange(4 * n_bars) * period
    levels: list[str] = []
    while len(levels) < n_bars:
        levels += [str(rng.choice(list(LEVELS)))] * int(rng.integers(2, 5))
    levels = levels[:n_bars]
    dur = float(beats[-1] + 2 * period)
    t = np.arange(int(dur * 25)) / 25
    bar_of = np.clip(((t - 0.5) / (4 * period)).astype(int), 0, n_bars - 1)
    energy = np.array([LEVELS[levels[b]] for b in bar_of], np.float32)
    starts = [0.0, *[float(beats[4 * b]) for b in range(8, n_bars, 8)]]
    sections = tuple(Section(a, b, "A") for a, b in zip(starts, [*starts[1:], dur], strict=True))
    audio = AudioAnalysis(f"song{seed}.ogg", dur, tempo, beats, beats[::4], 4, sections, energy,
                          25.0, salience=np.zeros(len(t), np.float32))
    return audio, levels


def _rule_cuts(rule: str, audio, levels: list[str]) -> np.ndarray:
    beats = np.asarray(audio.beats)
    cuts = []
    for b, level in enumerate(levels):
        bar = beats[4 * b: 4 * b + 4]
        if rule == "energy":
            cuts.extend(bar[:: RULE_BEATS[level]])
        elif b % 4 == 0:  # phrases: sections every 8 bars, so phrases every 4 bars from 0
            cuts.append(bar[0])
    return np.asarray(cuts)


def _examples(rule: str, seeds: range):
    from editspec.style.data import example_from_cuts

    out = []
    for seed in seeds:
        audio, levels = _song(seed)
        frames = np.floor(_rule_cuts(rule, audio, levels) * FPS + 0.5).astype(np.int64)
        for k in range(2):  # two edits per song, each half of it
            start = k * audio.duration / 2
            out.append(example_from_cuts(f"{audio.path}-{k}", audio, frames - int(start * FPS),
                                         FPS, int(audio.duration / 2 * FPS), start_s=start))
    return out


def _shots_by_level(cut_beats: np.ndarray, levels: list[str]) -> dict[str, float]:
    """Median shot length in beats by the loudness of the bar the shot starts in."""
    by: dict[str, list[int]] = {k: [] for k in LEVELS}
    for a, b in itertools.pairwise(cut_beats):
        by[levels[a // 4]].append(int(b - a))
    return {k: float(np.median(v)) for k, v in by.items() if v}


@pytest.mark.parametrize("rule", ["energy", "phrases"])
def test_a_learned_style_keeps_the_rules_pace(tmp_path, rule):
    from editspec.style.data import beat_features
    from editspec.style.infer import THRESHOLD, predict_beats
    from editspec.style.model import load_style
    from editspec.style.train import LearnConfig, learn_style

    path = str(tmp_path / "s.npz")
    learn_style(_examples(rule, range(4)), path, cfg=LearnConfig(seed=0, epochs=80),
                progress=False)
    net, mean, std, _ = load_style(path)
    for seed in (100, 101):  # songs it never saw
        audio, levels = _song(seed)
        p = predict_beats(net, mean, std, beat_features(audio))
        cut = np.flatnonzero(p >= THRESHOLD)
        want = np.flatnonzero(np.isin(np.asarray(audio.beats), _rule_cuts(rule, audio, levels)))
        if rule == "energy":
            got = _shots_by_level(cut, levels)
            assert got == pytest.approx({k: float(v) for k, v in RULE_BEATS.items()}, abs=0.5)
        else:
            assert np.all(cut % 4 == 0), "every cut on a downbeat"
            assert float(np.median(np.diff(cut))) == 16.0
        hits = len(np.intersect1d(cut, want))
        assert 2 * hits / (len(cut) + len(want)) >= 0.9


LEVEL_DB = {"quiet": -26.0, "mid": -19.0, "loud": -13.0}


def _recorded(seed: int):
    """:func:`_song` with an absolute loudness (dB, the bar's level + the song's own gain of
    ±1.5 dB) and the energy the analyzer derives from it over the whole song."""
    import dataclasses

    from editspec.analysis.features import energy_from_loudness

    audio, levels = _song(seed)
    gain = float(np.random.default_rng(1000 + seed).uniform(-1.5, 1.5))
    t = np.arange(len(audio.energy)) / audio.energy_fps
    period = 60.0 / audio.tempo
    bar_of = np.clip(((t - 0.5) / (4 * period)).astype(int), 0, len(levels) - 1)
    loud = np.array([LEVEL_DB[levels[b]] + gain for b in bar_of], np.float32)
    return dataclasses.replace(audio, loudness=loud, energy=energy_from_loudness(loud)), levels


def test_a_style_learned_from_excerpts_keeps_the_pace_on_whole_songs(tmp_path):
    # issue 26: an edited video's soundtrack is an excerpt; the analyzer scales its energy
    # to the excerpt's own range, so the quiet bars of a mostly loud excerpt read as middling
    # and the middling ones of a mostly quiet one as loud. The style's level features are
    # absolute, so what it learns from excerpts holds on whole songs at plan time.
    import dataclasses

    from editspec.analysis.features import energy_from_loudness
    from editspec.style.data import beat_features, example_from_cuts
    from editspec.style.infer import THRESHOLD, predict_beats
    from editspec.style.model import load_style
    from editspec.style.train import LearnConfig, learn_style

    examples = []
    for seed in range(4):
        audio, levels = _recorded(seed)
        frames = np.floor(_rule_cuts("energy", audio, levels) * FPS + 0.5).astype(np.int64)
        for k in range(4):  # four excerpts per song, each analyzed on its own
            start = k * audio.duration / 4
            n = int(audio.duration / 4 * audio.energy_fps)
            i0 = int(start * audio.energy_fps)
            energy = audio.energy.copy()
            energy[i0:i0 + n] = energy_from_loudness(audio.loudness[i0:i0 + n])
            excerpt = dataclasses.replace(audio, energy=energy)
            examples.append(example_from_cuts(f"{audio.path}-{k}", excerpt,
                                              frames - int(start * FPS), FPS,
                                              int(audio.duration / 4 * FPS), start_s=start))
    path = str(tmp_path / "s.npz")
    learn_style(examples, path, cfg=LearnConfig(seed=0, epochs=80), progress=False)
    net, mean, std, _ = load_style(path)
    for seed in (100, 101):  # whole songs it never saw, analyzed whole
        audio, levels = _recorded(seed)
        cut = np.flatnonzero(predict_beats(net, mean, std, beat_features(audio)) >= THRESHOLD)
        got = _shots_by_level(cut, levels)
        assert got == pytest.approx({k: float(v) for k, v in RULE_BEATS.items()}, abs=0.5)
