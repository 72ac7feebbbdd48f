"""Rendering one corpus excerpt: the (augmented) score through fluidsynth with a soundfont,
then the audio augmentations, with its labels moved by the same time map."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np

from editspec.errors import CorpusError
from editspec.grid import SR
from editspec.train.augment import (
    RenderSpec,
    augment_audio,
    limit,
    make_time_map,
    mutate_score,
    rewrite_groove,
    saturate,
)
from editspec.train.labels import Song, salience_events
from editspec.train.packages import Synth


def render_one(pm: Any, song: Song, spec: RenderSpec, sf_path: str, synth: Synth,
               rng: np.random.Generator, excerpt_s: float, strength: float
               ) -> dict[str, np.ndarray]:
    """Render one augmented excerpt; return its arrays (audio int16, labels in excerpt time)."""
    import soundfile

    tmap = _time_map(song, spec, rng)
    if spec.groove:
        pm = rewrite_groove(pm, song.beats, song.downbeats, spec.groove, rng)
    score, keep = mutate_score(pm, spec, rng, tmap)
    t0 = float(tmap(np.array([spec.start_s]))[0])
    t1 = t0 + excerpt_s
    for ins in score.instruments:  # drop what cannot sound in the excerpt
        ins.notes = [n for n in ins.notes if n.end > t0 - 3.0 and n.start < t1]
    sampled: list[Any] = []
    if spec.kit:  # the kit plays the drums, fluidsynth the rest
        for ins in score.instruments:
            if ins.is_drum:
                sampled += ins.notes
                ins.notes = []
    with tempfile.TemporaryDirectory(prefix="editspec-render-") as tmp:
        mid, wav = os.path.join(tmp, "s.mid"), os.path.join(tmp, "s.wav")
        score.write(mid)
        cmd = [synth.exe, "-ni", "-q", "-g", f"{spec.gain:.3f}", "-r", str(SR), "-O", "float",
               "-T", "wav", "-F", wav,
               "-o", f"synth.reverb.active={int(spec.reverb)}",
               "-o", f"synth.chorus.active={int(spec.chorus)}",
               "-o", f"synth.reverb.room-size={rng.uniform(0.1, 0.9):.2f}",
               "-o", "synth.cpu-cores=1", sf_path, mid]
        proc = subprocess.run(cmd, env=synth.env, capture_output=True, timeout=600)
        if proc.returncode != 0 or not os.path.isfile(wav):
            raise CorpusError(f"fluidsynth failed on {song.path}: {proc.stderr[-300:]!r}")
        y, sr = soundfile.read(wav, dtype="float32", always_2d=True)
    if sr != SR:
        raise CorpusError(f"fluidsynth rendered at {sr} Hz, expected {SR}")
    chan = rng.random()
    y = y.mean(axis=1) if chan < 0.8 or y.shape[1] == 1 else y[:, int(chan > 0.9)]
    i0 = round(t0 * SR)
    seg = y[i0:i0 + int(excerpt_s * SR)]
    seg = np.pad(seg, (0, max(0, int(excerpt_s * SR) - len(seg))))
    if spec.drive > 0 and np.abs(seg).max() > 1e-4:
        seg = saturate(seg, spec.drive)
    if sampled:
        from editspec.train.drumkits import load_kit, render_drums

        drums = render_drums(sampled, load_kit(spec.kit), len(seg), t0, rng)
        music, hits = float(np.sqrt(np.mean(seg**2))), float(np.sqrt(np.mean(drums**2)))
        if music > 1e-5 and hits > 1e-9:
            drums *= music / hits * 10 ** (rng.uniform(-3.0, 4.0) / 20)
        seg = seg + drums
    if spec.master_db > 0 and np.abs(seg).max() > 1e-4:
        seg = limit(seg, spec.master_db)
    seg = augment_audio(seg, rng, strength)
    beats = tmap(song.beats) - t0
    downs = tmap(song.downbeats) - t0
    s_t, s_w = salience_events(pm, keep, song.beats, song.downbeats)
    s_t = tmap(s_t) - t0 if len(s_t) else s_t
    dur = len(seg) / SR
    # the labels end where the music ends
    end = float(tmap(np.array([song.end_s]))[0]) - t0
    lim = min(dur, end + 0.05)
    inb = (beats >= 0) & (beats < lim)
    ind = (downs >= 0) & (downs < lim)
    ins = (s_t >= 0) & (s_t < lim)
    return {"audio": np.round(np.clip(seg, -1, 1) * 32767).astype(np.int16),
            "beats": beats[inb], "downbeats": downs[ind],
            "salience_times": s_t[ins], "salience_weights": s_w[ins]}


def _time_map(song: Song, spec: RenderSpec, rng: np.random.Generator
              ) -> Callable[[np.ndarray], np.ndarray]:
    """A render's map from score time to its audio's time (:func:`make_time_map`)."""
    return make_time_map(song.beats, rng, tempo_factor=spec.tempo_factor, swing=spec.swing,
                         drift_s=spec.drift_s, drift_period_s=float(rng.uniform(12, 40)))
