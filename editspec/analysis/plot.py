"""A static plot (PNG) of a song's analysis: waveform, energy, salience, beats, sections."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from editspec.grid import SR
from editspec.plot import COLORS, pyplot, section_color

if TYPE_CHECKING:
    from editspec.analysis.audio import AudioAnalysis


def plot_audio(analysis: AudioAnalysis, path: str, y: np.ndarray | None = None,
               sr: int = SR) -> None:
    """Write a PNG of a song: waveform, energy, salience, beats, downbeats and sections.

    Parameters
    ----------
    analysis : AudioAnalysis
        The song's analysis.
    path : str
        PNG file to write (atomically).
    y : np.ndarray, optional
        Decoded audio for the waveform (omitted when None).
    sr : int
        Sample rate of ``y``.
    """
    from editspec.fsutil import atomic_path

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(14, 3.6), dpi=120)
    for s in analysis.sections:
        ax.axvspan(s.start, s.end, color=section_color(s.label), alpha=0.55, lw=0)
        ax.text(s.start + 0.2, 1.03, s.label, fontsize=8, color=COLORS["text"], va="bottom")
    if y is not None and len(y):
        step = max(1, len(y) // 20000)
        env = np.abs(y[: len(y) // step * step]).reshape(-1, step).max(axis=1)
        t = np.arange(len(env)) * step / sr
        peak = env.max() or 1.0
        ax.fill_between(t, 0.5 - 0.45 * env / peak, 0.5 + 0.45 * env / peak,
                        color=COLORS["wave"], lw=0, alpha=0.8, label="waveform")
    te = np.arange(len(analysis.energy)) / analysis.energy_fps
    ax.plot(te, analysis.energy, color=COLORS["energy"], lw=1.6, label="energy")
    if len(analysis.salience):
        ax.plot(te[: len(analysis.salience)], analysis.salience, color=COLORS["salience"], lw=0.8,
                alpha=0.8, label="cut salience")
    ax.vlines(analysis.beats, 0, 0.08, color=COLORS["beat"], lw=0.8, label="beats")
    ax.vlines(analysis.downbeats, 0, 1.0, color=COLORS["downbeat"], lw=0.6, alpha=0.5,
              label="downbeats")
    ax.set_xlim(0, analysis.duration)
    ax.set_ylim(0, 1.12)
    ax.set_xlabel("time (s)")
    ax.set_title(f"{analysis.tempo:.1f} BPM, {analysis.beats_per_bar}/4, "
                 f"{len(analysis.beats)} beats ({analysis.tracker} tracker)", fontsize=10,
                 loc="left", color=COLORS["text"])
    ax.legend(loc="upper right", fontsize=7, ncols=5, frameon=False, bbox_to_anchor=(1, 1.16))
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
