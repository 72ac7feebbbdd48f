"""A PNG of a clip's video analysis: shots, motion, shake, quality and subject centre.

matplotlib is imported inside the function, with the non-interactive Agg backend.
"""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from editspec.analysis.video import VideoAnalysis



def plot_shots(analysis: VideoAnalysis, path: str) -> None:
    """Write a four-panel plot of ``analysis`` to ``path`` (PNG), atomically.

    Parameters
    ----------
    analysis : VideoAnalysis
        The result of :func:`~editspec.analysis.video.detect_shots` (with tracks).
    path : str
        PNG file to write.
    """
    from editspec.plot import COLORS as C
    from editspec.plot import pyplot

    plt = pyplot()
    tr = analysis.tracks
    fps = float(analysis.fps)
    n = analysis.n_frames
    t = np.arange(n) / fps
    fig, axes = plt.subplots(4, 1, figsize=(11, 7.5), sharex=True,
                             gridspec_kw={"height_ratios": [1.2, 1, 1, 1]})
    ax = axes[0]
    ax.plot(t, analysis.frame_motion, color=C["motion"], lw=0.8, label="frame difference")
    if tr is not None:
        ax.plot(t, tr.local, color=C["local"], lw=0.8, label="local motion")
    for c, kind, span in zip(analysis.cut_frames, analysis.cut_kinds, analysis.transitions,
                             strict=True):
        color = C.get(str(kind), C["cut"])
        ax.axvline(c / fps, color=color, lw=1.2)
        if span[1] > span[0]:
            for a in axes:
                a.axvspan(span[0] / fps, (span[1] + 1) / fps, color=color, alpha=0.12, lw=0)
    ax.set_ylabel("motion")
    ax.set_title(f"{os.path.basename(analysis.path)}: {len(analysis.cuts) + 1} shots "
                 "(black cut, purple fade, blue dissolve)", fontsize=9, loc="left")
    ax.legend(loc="upper right", fontsize=7, frameon=False)
    if tr is not None:
        speed = np.hypot(tr.camera[:, 0], tr.camera[:, 1])
        axes[1].plot(t, speed, color=C["camera"], lw=0.8, label="camera speed")
        axes[1].plot(t, tr.shake, color=C["shake"], lw=0.8, label="shake")
        axes[1].set_ylabel("widths/s")
        axes[1].legend(loc="upper right", fontsize=7, frameon=False)
        axes[2].plot(t, tr.sharpness, color=C["sharpness"], lw=0.8, label="sharpness")
        axes[2].plot(t, tr.exposure, color=C["exposure"], lw=0.8, label="exposure")
        axes[2].fill_between(t, 0, 1, where=tr.black, color=C["cut"], alpha=0.25, lw=0,
                             label="black")
        for a, b in analysis.usable:
            axes[2].axvspan(a, b, ymin=0.96, ymax=1.0, color=C["usable"], lw=0)
        axes[2].set_ylim(0, 1.05)
        axes[2].set_ylabel("quality")
        axes[2].legend(loc="lower right", fontsize=7, frameon=False, ncol=3)
        axes[3].plot(t, tr.centre[:, 0], color=C["centre_x"], lw=1.0, label="centre x")
        axes[3].plot(t, tr.centre[:, 1], color=C["centre_y"], lw=1.0, label="centre y")
        axes[3].set_ylim(0, 1)
        axes[3].set_ylabel("centre")
        axes[3].legend(loc="upper right", fontsize=7, frameon=False)
    axes[-1].set_xlabel("seconds")
    fig.tight_layout()
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".png.tmp")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=110, format="png")
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.remove(tmp)
