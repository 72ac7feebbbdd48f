"""Where a cover crop sits: the crop window of an event's reframe at a source time.

Input: an event's :class:`~editspec.edl.Reframe` and the source and output sizes.
Output: the crop as a normalized box of the source picture (what the ffmpeg backend
cuts out), for benchmarks, tests and the planner's checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from editspec.edl import Reframe


def crop_size(src_w: float, src_h: float, out_w: float, out_h: float) -> tuple[float, float]:
    """Return the cover crop's (width, height) as fractions of the source picture."""
    sa, oa = src_w / src_h, out_w / out_h
    return (oa / sa, 1.0) if sa > oa else (1.0, sa / oa)


def centre_at(reframe: Reframe, t: float) -> tuple[float, float]:
    """Return the reframe's subject centre at source second ``t`` (track linear, held)."""
    if not reframe.track:
        return float(reframe.center[0]), float(reframe.center[1])
    tr = np.asarray(reframe.track, dtype=np.float64)
    return float(np.interp(t, tr[:, 0], tr[:, 1])), float(np.interp(t, tr[:, 0], tr[:, 2]))


def crop_box(reframe: Reframe, t: float, src_w: float, src_h: float, out_w: float,
             out_h: float) -> tuple[float, float, float, float]:
    """Return the crop (x0, y0, x1, y1), normalized, that an event shows at source second t.

    ``cover`` crops the output's aspect around the centre, clamped to the picture (as the
    ffmpeg backend does); the fit modes show the whole picture.
    """
    if reframe.mode != "cover":
        return 0.0, 0.0, 1.0, 1.0
    cw, ch = crop_size(src_w, src_h, out_w, out_h)
    cx, cy = centre_at(reframe, t)
    x0 = min(max(cx - cw / 2, 0.0), 1.0 - cw)
    y0 = min(max(cy - ch / 2, 0.0), 1.0 - ch)
    return x0, y0, x0 + cw, y0 + ch
