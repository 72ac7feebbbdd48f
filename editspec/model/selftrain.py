"""Self-training on recorded music without labels: confident pseudo-labels.

The MIDI corpus (:mod:`editspec.model.data`) is synthesized, but editspec is used on
recordings. Debian's game-music packages (:data:`RECORDING_PACKAGES`) hold recorded
tracks without labels. This module cuts each into 30 s windows and keeps a window as a
training example when two trackers that share no model agree on it: the GRU tracker's
beats match the DP tracker's (onset envelope only) at the same density, F-measure
≥ :data:`MIN_AGREEMENT` (±70 ms), and both have a steady tempo (≥ :data:`MIN_STABILITY`
of the beat intervals within 5 % of their median). The GRU's beats are then its beat
targets; the downbeat and salience heads get no loss there (no second opinion on bars
is trustworthy enough). The tracks that ``bench/model_real.py`` reports on
(:func:`held_out`) are never used, so that benchmark stays held out.

Run by ``editspec train --build-pseudo`` (or ``make pseudo``); used in training with
``TrainConfig(self_training=True)``. The windows go to ``corpus_dir()/pseudo-v<N>``
with a manifest; rebuilding with the same weights gives the same files.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

RECORDING_PACKAGES = ("hyperrogue-music", "wesnoth-1.16-music")
"""Debian packages of recorded music (Ogg Vorbis), no labels."""
PSEUDO_VERSION = 1
"""Bumped when the selection rule changes."""
WINDOW_S = 30.0
"""Length of a window, seconds (a corpus excerpt's)."""
MIN_AGREEMENT = 0.9
"""Least F-measure of the GRU beats against the DP beats in a window."""
MIN_STABILITY = 0.8
"""Least share of beat intervals within 5 % of the window's median, for both trackers."""
COPIES = 3
"""Versions of each window in training: as recorded, and with the corpus's sound
augmentation at half and full strength (:func:`editspec.model.augment.augment_audio`)."""
HELD_OUT_TRACKS = 8
"""Tracks kept for ``bench/model_real.py`` (its default ``--songs 8 --seed 0`` choice)."""


def list_recordings(root: str | None = None) -> list[str]:
    """Fetch the packages (once) and return their music files, sorted: audio files over
    500 kB (the rest are sound effects)."""
    from editspec.model import data

    dirs = data.fetch_packages(RECORDING_PACKAGES, root or data.corpus_dir())
    return sorted(os.path.join(b, f) for d in dirs.values() for b, _, fs in os.walk(d)
                  for f in fs if f.lower().endswith((".ogg", ".mp3", ".flac", ".wav"))
                  and os.path.getsize(os.path.join(b, f)) > 500_000)


def held_out(files: list[str], n: int = HELD_OUT_TRACKS, seed: int = 0) -> list[str]:
    """Return the tracks a seeded choice of ``n`` picks (``bench/model_real.py``'s)."""
    rng = np.random.default_rng(seed)
    pick = sorted(rng.choice(len(files), size=min(n, len(files)), replace=False))
    return [files[i] for i in pick]


def stability(beats: np.ndarray) -> float:
    """Share of beat intervals within 5 % of their median (0 with fewer than 4)."""
    ibi = np.diff(beats)
    if len(ibi) < 4:
        return 0.0
    return float(np.mean(np.abs(ibi / np.median(ibi) - 1.0) < 0.05))


def confident_windows(gru_beats: np.ndarray, dp_beats: np.ndarray, duration_s: float,
                      window_s: float = WINDOW_S) -> list[tuple[float, np.ndarray, float]]:
    """Return ``(start, beats relative to start, agreement)`` of the windows where both
    trackers agree and keep a steady tempo (see the module's rule)."""
    from editspec.model.train import f_measure

    out = []
    for k in range(int(duration_s // window_s)):
        t0, t1 = k * window_s, (k + 1) * window_s
        g = gru_beats[(gru_beats >= t0) & (gru_beats < t1)]
        d = dp_beats[(dp_beats >= t0) & (dp_beats < t1)]
        if len(g) < 8 or len(d) < 8:
            continue
        agree = f_measure(g, d)
        if agree >= MIN_AGREEMENT and min(stability(g), stability(d)) >= MIN_STABILITY:
            out.append((t0, g - t0, agree))
    return out


def pseudo_dir(root: str | None = None) -> str:
    """Folder of the pseudo-labelled windows."""
    from editspec.model import data

    return os.path.join(root or data.corpus_dir(), f"pseudo-v{PSEUDO_VERSION}")


def build_pseudo(root: str | None = None, *, progress: bool = True) -> str:
    """Pseudo-label the recordings with the current weights; return the manifest path.

    Each kept window is written as ``<track>-<k>.npz`` (audio at the analyzer's rate,
    beats); the manifest lists every track with its windows tried and kept.
    """
    from tqdm import tqdm

    from editspec.analysis.audio import SR, analyze_audio, decode_audio
    from editspec.model import infer

    files = list_recordings(root)
    keep_out = set(held_out(files))
    out_dir = pseudo_dir(root)
    os.makedirs(out_dir, exist_ok=True)
    tracks, entries = [], []
    for path in tqdm(files, desc="pseudo-labels", disable=not progress):
        name = os.path.splitext(os.path.basename(path))[0]
        if path in keep_out:
            tracks.append({"track": name, "held_out": True})
            continue
        y = decode_audio(path)
        g = analyze_audio(path, y=y, tracker="gru", use_cache=False)
        d = analyze_audio(path, y=y, tracker="dp", use_cache=False)
        wins = confident_windows(g.beats, d.beats, len(y) / SR)
        for t0, beats, agree in wins:
            k = round(t0 / WINDOW_S)
            fname = f"{name}-{k}.npz"
            a = y[round(t0 * SR): round((t0 + WINDOW_S) * SR)]
            tmp = os.path.join(out_dir, f".{fname}.tmp.npz")
            np.savez(tmp, audio=a.astype(np.float32), beats=beats)
            os.replace(tmp, os.path.join(out_dir, fname))
            entries.append({"name": f"{name}-{k}", "file": fname, "track": name,
                            "start_s": t0, "n_beats": len(beats), "agreement": round(agree, 4)})
        tracks.append({"track": name, "held_out": False, "windows": int(len(y) / SR // WINDOW_S),
                       "kept": len(wins)})
    manifest = {"version": PSEUDO_VERSION, "weights": infer.weights_path(),
                "rule": {"window_s": WINDOW_S, "min_agreement": MIN_AGREEMENT,
                         "min_stability": MIN_STABILITY},
                "tracks": tracks, "windows": entries}
    path = os.path.join(out_dir, "manifest.json")
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=1)
    os.replace(tmp, path)
    return path


def load_pseudo(root: str | None = None, *, seed: int = 0) -> list[dict[str, Any]]:
    """Return the pseudo-labelled windows, :data:`COPIES` versions of each: name, audio,
    beats (the augmented copies drawn from ``default_rng([seed, window, copy])``).

    Raises
    ------
    editspec.model.data.CorpusError
        When they have not been built (``editspec train --build-pseudo``).
    """
    from editspec.model.augment import augment_audio
    from editspec.model.data import CorpusError

    folder = pseudo_dir(root)
    path = os.path.join(folder, "manifest.json")
    if not os.path.isfile(path):
        raise CorpusError(f"{path}: no pseudo-labelled recordings; build them with "
                          f"`editspec train --build-pseudo`")
    with open(path, encoding="utf-8") as fh:
        manifest = json.load(fh)
    out = []
    for i, e in enumerate(manifest["windows"]):
        with np.load(os.path.join(folder, e["file"])) as z:
            audio, beats = z["audio"], z["beats"]
        for c in range(COPIES):
            a = audio if c == 0 else augment_audio(audio, np.random.default_rng([seed, i, c]),
                                                   strength=c / (COPIES - 1))
            out.append({"name": f"{e['name']}/{c}", "audio": np.asarray(a, np.float32),
                        "beats": beats})
    return out
