"""Plots of the analysis against the labels of the recorded songs (issue 22, item 5).

For each song of ``$EDITSPEC_REALMUSIC`` (and ``--heldout``), one PNG with three rows:

1. the whole song: the analysis's sections (coloured spans, labels), the energy curve,
   the `start: auto` windows of 15, 30 and 60 s (``sections.best_window``, as the plan
   calls it), the labelled downbeats (ticks above) and the analysis's (ticks below);
2. each estimated beat's signed distance to the nearest labelled beat, in beats (0: on
   the beat, ±0.5: on the off-beat), with the ±70 ms band: where the tracker leaves the
   beat, and for how long;
3. a 12 s excerpt around the song's worst 12 s: the onset envelope, labelled beats and
   downbeats against the estimated ones.

Run: ``python bench/plot_real.py [--out DIR] [--heldout] [--tracker T]``; prints, per
song and window length, where `start: auto` starts and whether that is a labelled bar
line, a labelled beat or neither.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

WINDOWS = (15.0, 30.0, 60.0)
TOL = 0.07


def where(t: float, beats: np.ndarray, downbeats: np.ndarray) -> str:
    if len(downbeats) and np.min(np.abs(downbeats - t)) <= TOL:
        return "bar line"
    if len(beats) and np.min(np.abs(beats - t)) <= TOL:
        return "beat"
    return "neither"


def plot_song(lab: dict, tracker: str | None, out: str) -> list[tuple[float, float, str]]:
    from editspec.analysis import features as ft
    from editspec.analysis.audio import SR, analyze_audio, decode_audio
    from editspec.analysis.sections import best_window
    from editspec.plot import COLORS, pyplot, section_color

    y = decode_audio(lab["path"])
    a = analyze_audio(lab["path"], y=y, tracker=tracker, use_cache=False)
    ref, refd = np.asarray(lab["beats"], float), np.asarray(lab["downbeats"], float)
    starts = []
    for w in WINDOWS:
        s = best_window(a.downbeats, a.sections, a.energy, a.energy_fps, w, a.duration)
        starts.append((w, s, where(s, ref, refd)))
    # signed distance of each estimated beat to the nearest labelled beat, in beats
    i = np.clip(np.searchsorted(ref, a.beats), 1, len(ref) - 1)
    near = np.where(np.abs(ref[i - 1] - a.beats) < np.abs(ref[i] - a.beats), i - 1, i)
    ibi = np.median(np.diff(ref))
    dist = (a.beats - ref[near]) / ibi
    hit = np.abs(a.beats - ref[near]) <= TOL
    plt = pyplot()
    fig, axes = plt.subplots(3, 1, figsize=(15, 8.5), dpi=100,
                             gridspec_kw={"height_ratios": [1.3, 1, 1.2]})
    ax = axes[0]
    for s in a.sections:
        ax.axvspan(s.start, s.end, color=section_color(s.label), alpha=0.55, lw=0)
        ax.text(s.start + 0.5, 1.02, s.label, fontsize=7, color=COLORS["text"])
    te = np.arange(len(a.energy)) / a.energy_fps
    ax.plot(te, a.energy, color=COLORS["energy"], lw=1.2, label="energy")
    ax.vlines(refd, 0.85, 1.0, color="#2a9d8f", lw=0.7, label="labelled downbeats")
    ax.vlines(a.downbeats, 0.0, 0.15, color=COLORS["downbeat"], lw=0.7,
              label="estimated downbeats")
    for k, (w, s, kind) in enumerate(starts):
        yk = 0.25 + 0.15 * k
        ax.plot([s, s + w], [yk, yk], color="#7b2cbf", lw=3, solid_capstyle="butt")
        ax.text(s + w + 0.5, yk, f"start: auto {w:g}s at {s:.2f}s ({kind})", fontsize=7,
                va="center", color="#7b2cbf")
    ax.set_xlim(0, a.duration)
    ax.set_ylim(0, 1.12)
    ax.set_title(f"{lab['id']}: {a.tracker}, {a.tempo:.1f} BPM (labels {lab['bpm']:g}), "
                 f"{a.beats_per_bar}/4, {len(a.sections)} sections", loc="left", fontsize=10)
    ax.legend(loc="upper right", fontsize=7, ncols=3, frameon=False, bbox_to_anchor=(1, 1.2))
    ax = axes[1]
    ax.axhspan(-TOL / ibi, TOL / ibi, color="#c7f9cc", lw=0)
    ax.scatter(a.beats, dist, s=3, c=np.where(hit, "#2a9d8f", "#e4572e"))
    ax.set_ylim(-0.55, 0.55)
    ax.set_xlim(0, a.duration)
    ax.set_yticks([-0.5, -0.25, 0, 0.25, 0.5])
    ax.set_ylabel("beat - label (beats)")
    ax.set_title(f"estimated beats against the labels: {np.mean(hit):.0%} within 70 ms "
                 "(green band); ±0.5 = on the off-beat", loc="left", fontsize=9)
    # worst 12 s (fewest hits per beat)
    span = 12.0
    t0s = np.arange(5.0, max(5.0, a.duration - span), 2.0)
    bad = [np.mean(~hit[(a.beats >= t) & (a.beats < t + span)])
           if np.any((a.beats >= t) & (a.beats < t + span)) else 0 for t in t0s]
    t0 = float(t0s[int(np.argmax(bad))]) if len(t0s) else 0.0
    ax = axes[2]
    P = ft.power_spectrogram(y[int(t0 * SR): int((t0 + span) * SR)], n_fft=ft.ONSET_N_FFT)
    onset = ft.onset_strength(ft.log_mel(P, n_mels=ft.ONSET_N_MELS))
    to = t0 + np.arange(len(onset)) * ft.HOP / SR
    ax.plot(to, onset / (onset.max() + 1e-9), color=COLORS["wave"], lw=0.8, label="onsets")
    inn = lambda x: x[(x >= t0) & (x <= t0 + span)]  # noqa: E731
    ax.vlines(inn(ref), 0.5, 1.05, color="#2a9d8f", lw=1.0, label="labelled beats")
    ax.vlines(inn(refd), 0.5, 1.05, color="#2a9d8f", lw=3.0, label="labelled downbeats")
    ax.vlines(inn(a.beats), -0.05, 0.5, color=COLORS["beat"], lw=1.0, label="estimated beats")
    ax.vlines(inn(a.downbeats), -0.05, 0.5, color=COLORS["downbeat"], lw=3.0,
              label="estimated downbeats")
    ax.set_xlim(t0, t0 + span)
    ax.set_title(f"the worst {span:g} s ({t0:.0f} to {t0 + span:.0f} s)", loc="left", fontsize=9)
    ax.legend(loc="upper right", fontsize=7, ncols=5, frameon=False, bbox_to_anchor=(1, 1.2))
    ax.set_xlabel("time (s)")
    fig.tight_layout()
    fig.savefig(os.path.join(out, f"{lab['id']}.png"))
    plt.close(fig)
    return starts


def main() -> int:
    from real_beats import load_songs

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=".", help="folder for the PNGs")
    ap.add_argument("--heldout", action="store_true", help="also the held-out songs")
    ap.add_argument("--tracker", help="tracker (default: the analyzer's default)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    songs = load_songs()
    if args.heldout:
        from _heldout import heldout_songs

        songs += heldout_songs()
    counts: dict[str, int] = {}
    for lab in songs:
        starts = plot_song(lab, args.tracker, args.out)
        print(f"{lab['id']:32s} " + "  ".join(f"{w:g}s: {s:7.2f} {kind:8s}"
                                                for w, s, kind in starts))
        for *_, kind in starts:
            counts[kind] = counts.get(kind, 0) + 1
    print("start: auto lands on: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
