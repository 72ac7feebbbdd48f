"""Per-frame features of a clip, computed chunk by chunk while ffmpeg decodes.

Input: a clip and its :class:`~editspec.analysis.video.decode.FrameGeometry`.
Output: :class:`FrameFeatures`, small arrays with one row per analysis frame, from
which shots, motion, quality and the subject centre are derived
(:mod:`editspec.analysis.video.shots`, :mod:`editspec.analysis.video.tracks`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from editspec.analysis.video.decode import DecodeReport, FrameGeometry, iter_frames, planes

log = logging.getLogger(__name__)

HIST_BINS = 16
"""Histogram bins per plane."""
MINI_FACTOR = 4
"""Mini frames are the analysis frames box-downsampled by this factor."""
BLACK_LEVEL = 32
"""Luma at or below this is near-black (video black is 16)."""
WHITE_LEVEL = 235
"""Luma at or above this is clipped white."""


@dataclass(frozen=True, slots=True)
class FrameFeatures:
    """Per-frame measurements of one clip."""

    geometry: FrameGeometry
    """Analysis size and rate."""
    luma: np.ndarray
    """float32 [shape=(n, 5)]: mean, std, black fraction, white fraction, Laplacian variance."""
    hist_dist: np.ndarray
    """float32 [shape=(n,)]: YUV histogram distance to the previous frame, 0..1."""
    motion: np.ndarray
    """float32 [shape=(n, 6)]: dx, dy (px), MAD, residual (0..255), residual centroid x, y."""
    saliency: np.ndarray
    """float32 [shape=(n, 3)]: saliency centroid x, y (0..1) and strength."""
    mini: np.ndarray
    """uint8 [shape=(n, m)]: tiny Y, U, V frames for long-range comparisons."""
    subject: np.ndarray
    """float16 [shape=(n, 2, BANDS)]: column and row profiles of the subject map
    (:mod:`~editspec.analysis.video.subject`)."""
    truncated: bool
    """True when decoding stopped early (the clip is analyzed up to the break)."""

    @property
    def n_frames(self) -> int:
        """Number of analysis frames."""
        return int(self.luma.shape[0])


def extract_features(path: str, geometry: FrameGeometry, *, expected_frames: int = 0,
                     threads: int = 0, progress: bool | None = None) -> FrameFeatures:
    """Decode a clip and measure every frame.

    Parameters
    ----------
    path : str
        The clip.
    geometry : FrameGeometry
        Analysis size and rate (see :func:`~editspec.analysis.video.decode.analysis_size`).
    expected_frames : int
        Frames the header promises (for the progress bar and the truncation check).
    threads : int
        Decoder threads (0: ffmpeg's choice).
    progress : bool or None
        Show a progress bar on stderr: True, False, or None for clips longer than a
        minute when stderr is a terminal.

    Returns
    -------
    FrameFeatures

    Raises
    ------
    MediaError
        When no frame can be decoded.
    """
    from editspec.analysis import _video_kernels as K
    from editspec.analysis.video.subject import SubjectState, subject_profiles

    radius = max(2, geometry.width // 6)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("luma", "hd", "mot", "sal", "mini",
                                                            "subj")}
    subj_state = SubjectState()
    prev: np.ndarray | None = None
    prev_hist: np.ndarray | None = None
    report = DecodeReport()
    bar = _progress_bar(path, expected_frames, geometry, progress)
    try:
        for raw in iter_frames(path, geometry, threads=threads, report=report):
            y, u, v = planes(raw, geometry)
            parts["luma"].append(K.luma_stats(y, BLACK_LEVEL, WHITE_LEVEL))
            hist = K.yuv_histograms(y, u, v, HIST_BINS)
            both = hist if prev_hist is None else np.concatenate([prev_hist, hist])
            parts["hd"].append(K.histogram_distance(both)[0 if prev_hist is None else 1:])
            prev_hist = hist[-1:]
            yy = y if prev is None else np.concatenate([prev[None], y])
            mot = K.global_motion(yy, radius)[0 if prev is None else 1:]
            parts["mot"].append(mot)
            parts["subj"].append(subject_profiles(y, u, v, mot[:, :2], float(geometry.fps),
                                                  subj_state))
            prev = y[-1].copy()
            parts["sal"].append(K.saliency_centroid(y, u, v))
            parts["mini"].append(K.mini_frames(y, u, v, MINI_FACTOR))
            if bar is not None:
                bar.update(raw.shape[0])
    finally:
        if bar is not None:
            bar.close()
    n = report.frames
    truncated = False
    if report.returncode != 0 or (expected_frames and n < 0.95 * expected_frames - 2):
        if expected_frames and n < 0.95 * expected_frames - 2:
            truncated = True
            fps = float(geometry.fps)
            log.warning("%s: decoding stopped at %.2fs of %.2fs (%s); analyzed up to there",
                        path, n / fps, expected_frames / fps, report.message or "end of data")
        elif report.message:
            log.warning("%s: ffmpeg reported: %s", path, report.message)
    return FrameFeatures(
        geometry=geometry,
        luma=np.concatenate(parts["luma"]), hist_dist=np.concatenate(parts["hd"]),
        motion=np.concatenate(parts["mot"]), saliency=np.concatenate(parts["sal"]),
        mini=np.concatenate(parts["mini"]), subject=np.concatenate(parts["subj"]),
        truncated=truncated)


def _progress_bar(path: str, expected_frames: int, geometry: FrameGeometry,
                  progress: bool | None):  # type: ignore[no-untyped-def]
    import sys

    if progress is None:
        progress = sys.stderr.isatty() and expected_frames > 60 * float(geometry.fps)
    if not progress:
        return None
    import os

    from tqdm import tqdm

    return tqdm(total=expected_frames or None, unit="frame", desc=os.path.basename(path),
                leave=False, file=sys.stderr, dynamic_ncols=True)
