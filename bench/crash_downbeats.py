"""Where the GRU's downbeat head fires in a bar, with and without a crash cymbal.

A diagnostic for the synthesized test songs (``editspec.demo.synth_song``), whose
downbeats the GRU puts on beat 3 in the chorus. It prints the mean downbeat activation
on each beat of the bar over the verse (kick on 1 and 3, no crash) and over the chorus
(kick on every beat, crash cymbal) of a 12-bar song at 96 and 120 BPM, for:

- ``synth``: the test songs' generator, crash on beat 1 (as in the tests), no crash, or
  the crash moved to beat 3;
- ``fluidsynth``: the same pattern written as MIDI (GM kit: kick, snare, closed hi-hat,
  crash 1) and rendered with each soundfont of the corpus, crash on 1, none, or on 3.

Needs the corpus tools (``make corpus`` fetches fluidsynth and the soundfonts).
Usage: ``python bench/crash_downbeats.py [--weights FILE]``
"""

from __future__ import annotations

import argparse
import inspect
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

SR = 22050
BARS, VERSE = 12, 4
FORM = (("verse", 0, VERSE), ("chorus", VERSE, BARS - VERSE))


def synth_variant(crash: int | None):
    """``synth_song`` with its chorus crash on beat ``crash`` (0-based) or none."""
    import editspec.demo as demo

    src = inspect.getsource(demo.synth_song)
    cond = 'if part == "chorus" and down:'
    assert cond in src, "synth_song changed: update this diagnostic"
    if crash != 0:
        src = src.replace(cond, "if False:" if crash is None
                          else f'if part == "chorus" and k == {crash}:')
    ns = dict(vars(demo))
    exec(src, ns)  # our own source, one line changed
    return ns["synth_song"]


def midi_song(tempo: float, crash: int | None):
    """The demo song's pattern as General MIDI."""
    import pretty_midi

    from editspec.demo import _CHORDS, _ROOTS  # the demo song's C Am F G

    pm = pretty_midi.PrettyMIDI(initial_tempo=tempo)
    drums = pretty_midi.Instrument(0, is_drum=True)
    keys, bass = pretty_midi.Instrument(0), pretty_midi.Instrument(33)
    b = 60.0 / tempo
    for bar in range(BARS):
        chorus = bar >= VERSE
        for k in range(4):
            t = (bar * 4 + k) * b
            for s in _CHORDS[bar % 4]:
                keys.notes.append(pretty_midi.Note(100 if k == 0 else 70, 60 + s, t, t + 0.9 * b))
            bass.notes.append(pretty_midi.Note(90, 36 + _ROOTS[bar % 4], t, t + 0.9 * b))
            if chorus or k in (0, 2):
                drums.notes.append(pretty_midi.Note(110 if k == 0 else 95, 36, t, t + 0.1))
            if k % 2 == 1:
                drums.notes.append(pretty_midi.Note(100, 38, t, t + 0.1))
            drums.notes.append(pretty_midi.Note(80, 42, t, t + 0.05))
            drums.notes.append(pretty_midi.Note(60, 42, t + b / 2, t + b / 2 + 0.05))
            if chorus and crash is not None and k == crash:
                drums.notes.append(pretty_midi.Note(110, 49, t, t + 0.5))
    pm.instruments += [drums, keys, bass]
    return pm


def per_beat(y: np.ndarray, tempo: float, net) -> tuple[np.ndarray, np.ndarray]:
    """Mean downbeat activation on beats 1-4 over the verse and over the chorus."""
    from editspec.model.infer import activations

    a = activations(y, SR, model=net)
    frames = np.round(np.arange(BARS * 4) * 60.0 / tempo * a.fps).astype(int)
    d = np.array([a.downbeat[max(0, f - 2):f + 3].max() for f in frames]).reshape(BARS, 4)
    return d[:VERSE].mean(0), d[VERSE:].mean(0)


def main() -> int:
    import soundfile

    from editspec.model.infer import load_fast
    from editspec.train import corpus, packages

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", default=None, help="weights file(s) (default: the shipped one)")
    args = ap.parse_args()
    net = load_fast(args.weights)
    rows = []
    for crash in (0, None, 2):
        song = synth_variant(crash)
        for tempo in (96.0, 120.0):
            y, _ = song(tempo=tempo, bars=BARS, sr=SR, form=FORM)
            rows.append(("synth", crash, tempo, *per_beat(y, tempo, net)))
    root = corpus.corpus_dir()
    synth = packages.find_fluidsynth(root)
    fonts = packages.find_soundfonts(packages.fetch_packages(packages.SOUNDFONT_PACKAGES, root))
    for name, sf_path in fonts:
        for crash in (0, None, 2):
            for tempo in (96.0, 120.0):
                with tempfile.TemporaryDirectory(prefix="editspec-crash-") as tmp:
                    mid, wav = os.path.join(tmp, "s.mid"), os.path.join(tmp, "s.wav")
                    midi_song(tempo, crash).write(mid)
                    subprocess.run([synth.exe, "-ni", "-q", "-r", str(SR), "-O", "float",
                                    "-T", "wav", "-F", wav, sf_path, mid], env=synth.env,
                                   check=True, capture_output=True)
                    y = soundfile.read(wav, dtype="float32", always_2d=True)[0].mean(axis=1)
                rows.append((f"fluidsynth {name}", crash, tempo, *per_beat(y, tempo, net)))
    print("mean downbeat activation on beats 1 2 3 4 (the right answer: beat 1)")
    print(f"{'audio':36s} {'crash':>6s} {'BPM':>4s}   {'verse':^23s}   {'chorus':^23s}")
    for src, crash, tempo, verse, chorus in rows:
        where = "none" if crash is None else f"beat {crash + 1}"
        print(f"{src:36s} {where:>6s} {tempo:4.0f}   " + " ".join(f"{v:5.2f}" for v in verse)
              + "   " + " ".join(f"{v:5.2f}" for v in chorus))
    return 0


if __name__ == "__main__":
    sys.exit(main())
