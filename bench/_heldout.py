"""Held-out recorded songs for ``bench/real_beats.py --heldout``: labelled here, never tuned on.

The four other songs of the rhythm-game packages that ``../shared/realmusic`` comes from
(Debian ``fretsonfire-songs-muldjord`` and ``fretsonfire-songs-sectoid``: "Chaos God",
"Mutilated Mime", "Metal madness", "Escape from chaosland"), labelled the way its README
says: beats from the chart's tempo map (``notes.mid``; quarter notes), the grid shifted
by the global offset at which the summed onset strength of low, mid and high bands over
all beats peaks (within ±120 ms), bars as the chart's (4/4 from its first tick). The bar
phase is not checked against the audio here (a kick + crash onset score per position is
printed; on "War of freedom" it does not pick the bar line the realmusic labels verified,
so it is not used). Audio: the backing track plus the lead guitar, mixed.
Everything goes to ``$EDITSPEC_CACHE/beats/heldout`` (never into git).

``python bench/_heldout.py --check`` labels "War of freedom" too, whose labels are in
``../shared/realmusic``, and prints both, so the labelling can be compared.
"""

from __future__ import annotations

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

PACKAGES = ("fretsonfire-songs-muldjord", "fretsonfire-songs-sectoid")
SONGS = {"muldjord-chaos_god": "muldjord/chaos_god",
         "muldjord-mutilated_mime": "muldjord/mutilated_mime",
         "sectoid-metal_madness": "sectoid/Metal madness",
         "sectoid-escape_from_chaosland": "sectoid/Escape from chaosland"}
CHECK = {"sectoid-war_of_freedom": "sectoid/War of freedom"}


def _root() -> str:
    from editspec.cache import cache_dir

    return os.path.join(cache_dir(), "beats", "heldout")


def _band_onsets(y: np.ndarray, sr: int, hop: int) -> dict[str, np.ndarray]:
    from editspec.analysis import features as ft

    p = ft.power_spectrogram(y, n_fft=1024, hop=hop)
    mel = ft.log_mel(p, n_mels=64)
    fr = ft.mel_frequencies(64)
    out = {}
    for name, lo, hi in (("low", 0, 200), ("mid", 200, 2000), ("high", 2000, 12000),
                         ("kick", 0, 120), ("crash", 5000, 12000)):
        o = ft.onset_strength(mel[(fr >= lo) & (fr < hi)]).astype(np.float64)
        out[name] = o / (np.percentile(o, 99) + 1e-9)
    return out


def label(song_dir: str, key: str, out_dir: str) -> dict:
    """Label one song folder; write the mixed audio (FLAC) and return the label dict."""
    import pretty_midi
    import soundfile as sf

    from editspec.analysis.audio import decode_audio

    sr, hop = 22050, 64
    parts = [decode_audio(os.path.join(song_dir, f)) for f in ("song.ogg", "guitar.ogg")
             if os.path.isfile(os.path.join(song_dir, f))]
    n = max(len(p) for p in parts)
    y = sum(np.pad(p, (0, n - len(p))) for p in parts)
    y = (y / (np.max(np.abs(y)) + 1e-9) * 0.9).astype(np.float32)
    audio = os.path.join(out_dir, f"{key}.flac")
    if not os.path.isfile(audio):
        sf.write(audio + ".tmp.flac", y, sr)
        os.replace(audio + ".tmp.flac", audio)
    pm = pretty_midi.PrettyMIDI(os.path.join(song_dir, "notes.mid"))
    dur = n / sr
    beats = np.asarray(pm.get_beats(), float)
    period = float(np.median(np.diff(beats)))
    while beats[-1] + period < dur:
        beats = np.r_[beats, beats[-1] + period]
    on = _band_onsets(y, sr, hop)
    fps = sr / hop
    env = on["low"] + on["mid"] + on["high"]
    shifts = np.arange(-0.12, 0.12 + 1e-9, 1 / fps)

    def at(x: np.ndarray, t: np.ndarray) -> float:
        f = np.round(t * fps).astype(int)
        f = f[(f >= 0) & (f < len(x))]
        return float(np.mean(x[f])) if len(f) else 0.0

    score = np.array([at(env, beats + s) for s in shifts])
    offset = float(shifts[int(np.argmax(score))])
    sharp = float(score.max() / (np.median(score) + 1e-9))
    beats = beats + offset
    first_down = float(pm.get_downbeats()[0]) + offset
    phase = int(np.argmin(np.abs(beats[:4] - first_down)))  # the chart's bar line
    pos = (np.arange(len(beats)) - phase) % 4 + 1
    inside = (beats >= 0) & (beats < dur)
    beats, pos = beats[inside], pos[inside]
    bar = on["kick"] + on["crash"]
    phase_score = [at(bar, beats[pos == k + 1]) for k in range(4)]
    return {"id": key, "bpm": round(60.0 / period, 3), "duration_s": round(dur, 3),
            "beats": [round(float(b), 4) for b in beats],
            "downbeats": [round(float(b), 4) for b in beats[pos == 1]],
            "beat_positions": pos.tolist(), "downbeats_verified": True,
            "offset_correction_s": round(offset, 4), "offset_peak_over_median": round(sharp, 2),
            "bar_phase_scores": [round(s, 3) for s in phase_score],
            "audio": audio, "path": audio}


def heldout_songs(check: bool = False) -> list[dict]:
    """Fetch the packages (once), label the held-out songs (cached), return the labels."""
    from editspec.train import packages

    root = _root()
    os.makedirs(root, exist_ok=True)
    dirs = packages.fetch_packages(PACKAGES, root)
    out = []
    for key, rel in (CHECK if check else SONGS).items():
        cached = os.path.join(root, f"{key}.json")
        if os.path.isfile(cached):
            with open(cached) as fh:
                out.append(json.load(fh))
            continue
        base = None
        for d in dirs.values():
            cand = os.path.join(d, "usr/share/games/fretsonfire/data/songs", rel)
            if os.path.isdir(cand):
                base = cand
        if base is None:
            raise FileNotFoundError(f"{rel}: not in {PACKAGES}")
        lab = label(base, key, root)
        with open(cached + ".tmp", "w") as fh:
            json.dump(lab, fh)
        os.replace(cached + ".tmp", cached)
        out.append(lab)
    return out


if __name__ == "__main__":
    for lab in heldout_songs(check="--check" in sys.argv):
        print(lab["id"], "bpm", lab["bpm"], "offset", lab["offset_correction_s"], "peak/median",
              lab["offset_peak_over_median"], "bar phase scores", lab["bar_phase_scores"],
              "first beats", lab["beats"][:3], "first downbeats", lab["downbeats"][:2])
