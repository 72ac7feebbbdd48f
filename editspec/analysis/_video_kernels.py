"""numba kernels for video analysis: plain loops over small frames, explicit signatures, cached.

Frames arrive as planes of ffmpeg ``yuv420p`` at the analysis size: ``y`` has shape
(n, h, w) and ``u``, ``v`` have shape (n, h/2, w/2), all uint8 and possibly strided
views into one decode buffer (the signatures take any layout). Kernels that compare a
frame with the previous one write 0 for frame 0; callers that stream a clip in chunks
prepend the last frame of the previous chunk and drop the first row.

Each kernel has a numpy reference in ``bench/video_kernels.py`` that it is timed
and checked against. Wrappers in :mod:`editspec.analysis.video` validate and shape.
"""

from __future__ import annotations

import numpy as np
from numba import float32, float64, int64, njit, types, uint8

_U8x3 = uint8[:, :, :]
_F32x2 = float32[:, :]

N_LUMA_STATS = 5
"""Columns of :func:`luma_stats`: mean, std, black fraction, clipped-white fraction, blur."""
N_MOTION = 6
"""Columns of :func:`global_motion`: dx, dy, mad, residual, centroid x, centroid y."""


@njit(float64[:](_U8x3), cache=True, nogil=True)
def frame_diffs(frames: np.ndarray) -> np.ndarray:  # pragma: no cover - numba
    """Mean absolute difference between consecutive frames, in 0..255.

    ``frames`` has shape (n, h, w*c); ``out[0] = 0`` and ``out[i]`` compares frame
    ``i`` with frame ``i - 1``.
    """
    n, h, w = frames.shape
    out = np.zeros(n, dtype=np.float64)
    for i in range(1, n):
        acc = 0
        for y in range(h):
            for x in range(w):
                a = np.int64(frames[i, y, x])
                b = np.int64(frames[i - 1, y, x])
                acc += a - b if a > b else b - a
        out[i] = acc / (h * w)
    return out


@njit(_F32x2(_U8x3, int64, int64), cache=True, nogil=True)
def luma_stats(y: np.ndarray, black_level: int,
               white_level: int) -> np.ndarray:  # pragma: no cover
    """Exposure and sharpness of each frame from its luma plane.

    Columns: mean luma (0..255), standard deviation, fraction of pixels at or below
    ``black_level``, fraction at or above ``white_level``, and the variance of the
    4-neighbour Laplacian over the interior (Pech-Pacheco et al. 2000: low = blurred).
    """
    n, h, w = y.shape
    out = np.zeros((n, N_LUMA_STATS), dtype=np.float32)
    npx = h * w
    nin = (h - 2) * (w - 2)
    for i in range(n):
        s = 0
        s2 = 0
        nb = 0
        nw = 0
        for r in range(h):
            for c in range(w):
                p = np.int64(y[i, r, c])
                s += p
                s2 += p * p
                if p <= black_level:
                    nb += 1
                if p >= white_level:
                    nw += 1
        mean = s / npx
        out[i, 0] = mean
        out[i, 1] = np.sqrt(max(s2 / npx - mean * mean, 0.0))
        out[i, 2] = nb / npx
        out[i, 3] = nw / npx
        ls = 0
        ls2 = 0
        for r in range(1, h - 1):
            for c in range(1, w - 1):
                lap = (np.int64(y[i, r - 1, c]) + np.int64(y[i, r + 1, c])
                       + np.int64(y[i, r, c - 1]) + np.int64(y[i, r, c + 1])
                       - 4 * np.int64(y[i, r, c]))
                ls += lap
                ls2 += lap * lap
        lm = ls / nin
        out[i, 4] = ls2 / nin - lm * lm
    return out


@njit(_F32x2(_U8x3, _U8x3, _U8x3, int64), cache=True, nogil=True)
def yuv_histograms(y: np.ndarray, u: np.ndarray, v: np.ndarray,
                   bins: int) -> np.ndarray:  # pragma: no cover
    """Normalized histograms of Y, U and V with ``bins`` bins each (a power of two ≤ 256).

    Returns float32 [shape=(n, 3 * bins)]; each third sums to 1.
    """
    n, h, w = y.shape
    ch, cw = u.shape[1], u.shape[2]
    shift = 0
    while (256 >> shift) > bins:
        shift += 1
    out = np.zeros((n, 3 * bins), dtype=np.float32)
    fy = 1.0 / (h * w)
    fc = 1.0 / (ch * cw)
    for i in range(n):
        for r in range(h):
            for c in range(w):
                out[i, y[i, r, c] >> shift] += fy
        for r in range(ch):
            for c in range(cw):
                out[i, bins + (u[i, r, c] >> shift)] += fc
                out[i, 2 * bins + (v[i, r, c] >> shift)] += fc
    return out


@njit(float32[:](_F32x2), cache=True, nogil=True)
def histogram_distance(hist: np.ndarray) -> np.ndarray:  # pragma: no cover - numba
    """Half the L1 distance between consecutive rows of ``hist``, averaged over the 3 planes.

    0 for identical histograms, 1 for disjoint ones; ``out[0] = 0``.
    """
    n, m = hist.shape
    out = np.zeros(n, dtype=np.float32)
    for i in range(1, n):
        acc = 0.0
        for j in range(m):
            d = hist[i, j] - hist[i - 1, j]
            acc += d if d > 0 else -d
        out[i] = acc / 6.0
    return out


@njit(types.UniTuple(float64, 2)(float64[:], float64[:], int64), cache=True, nogil=True)
def _best_shift(a: np.ndarray, b: np.ndarray, radius: int):  # pragma: no cover - numba
    """Shift ``s`` (|s| ≤ radius, sub-sample) minimizing mean |a[x] - b[x - s]|, and that cost."""
    n = a.shape[0]
    best = 1e30
    arg = 0
    costs = np.empty(2 * radius + 1, dtype=np.float64)
    for k in range(2 * radius + 1):
        s = k - radius
        lo = max(0, s)
        hi = min(n, n + s)
        acc = 0.0
        for x in range(lo, hi):
            d = a[x] - b[x - s]
            acc += d if d > 0 else -d
        cost = acc / (hi - lo)
        costs[k] = cost
        if cost < best:
            best = cost
            arg = k
    sub = 0.0
    if 0 < arg < 2 * radius:
        c0, c1, c2 = costs[arg - 1], costs[arg], costs[arg + 1]
        den = c0 - 2.0 * c1 + c2
        if den > 1e-12:
            sub = 0.5 * (c0 - c2) / den
    return (arg - radius) + sub, best


@njit(_F32x2(_U8x3, int64), cache=True, nogil=True)
def global_motion(y: np.ndarray, radius: int) -> np.ndarray:  # pragma: no cover - numba
    """Camera motion by integral projections, and what moves apart from the camera.

    The column and row means of each luma plane are matched against the previous
    frame's over shifts up to ``radius`` pixels (projection-based global motion
    estimation, as in digital stabilizers); the previous frame is then shifted by the
    integer part of that vector and the absolute residual gives the local motion and
    its centroid.

    Columns: dx, dy (pixels, content moved right/down), mean absolute difference to
    the previous frame (0..255), motion-compensated residual (0..255), and the
    residual's centroid x, y (0..1; 0.5 when there is none). Row 0 is zeros with the
    centroid at 0.5.
    """
    n, h, w = y.shape
    out = np.zeros((n, N_MOTION), dtype=np.float32)
    out[0, 4] = 0.5
    out[0, 5] = 0.5
    colp = np.zeros(w, dtype=np.float64)
    rowp = np.zeros(h, dtype=np.float64)
    pcol = np.zeros(w, dtype=np.float64)
    prow = np.zeros(h, dtype=np.float64)
    rx = min(radius, w // 3)
    ry = min(radius, h // 3)
    for i in range(n):
        for c in range(w):
            colp[c] = 0.0
        for r in range(h):
            acc = 0.0
            for c in range(w):
                p = float(y[i, r, c])
                acc += p
                colp[c] += p
            rowp[r] = acc / w
        for c in range(w):
            colp[c] /= h
        if i > 0:
            dx, _ = _best_shift(colp, pcol, rx)
            dy, _ = _best_shift(rowp, prow, ry)
            sx = int(np.round(dx))
            sy = int(np.round(dy))
            mad = 0
            res = 0
            cnt = 0
            wx = 0.0
            wy = 0.0
            for r in range(h):
                r0 = r - sy
                for c in range(w):
                    a = np.int64(y[i, r, c])
                    d = a - np.int64(y[i - 1, r, c])
                    mad += d if d > 0 else -d
                    c0 = c - sx
                    if 0 <= r0 < h and 0 <= c0 < w:
                        e = a - np.int64(y[i - 1, r0, c0])
                        e = e if e > 0 else -e
                        if e > 12:  # above coding noise
                            res += e
                            wx += e * c
                            wy += e * r
                        cnt += 1
            out[i, 0] = dx
            out[i, 1] = dy
            out[i, 2] = mad / (h * w)
            out[i, 3] = res / max(cnt, 1)
            if res > 0:
                out[i, 4] = (wx / res + 0.5) / w
                out[i, 5] = (wy / res + 0.5) / h
            else:
                out[i, 4] = 0.5
                out[i, 5] = 0.5
        for c in range(w):
            pcol[c] = colp[c]
        for r in range(h):
            prow[r] = rowp[r]
    return out


@njit(_F32x2(_U8x3, _U8x3, _U8x3), cache=True, nogil=True)
def saliency_centroid(y: np.ndarray, u: np.ndarray,
                      v: np.ndarray) -> np.ndarray:  # pragma: no cover
    """Centroid of frequency-tuned saliency (Achanta et al. 2009) at chroma resolution.

    A pixel's saliency is the squared YUV distance of its 2x2-averaged colour from the
    frame's mean colour. Columns: centroid x, y (0..1) and mean saliency (0..1 scale
    of full-range distance squared).
    """
    n, ch, cw = u.shape
    out = np.zeros((n, 3), dtype=np.float32)
    yy = np.empty((ch, cw), dtype=np.float64)
    for i in range(n):
        my = 0.0
        mu = 0.0
        mv = 0.0
        for r in range(ch):
            for c in range(cw):
                p = (float(y[i, 2 * r, 2 * c]) + float(y[i, 2 * r + 1, 2 * c])
                     + float(y[i, 2 * r, 2 * c + 1]) + float(y[i, 2 * r + 1, 2 * c + 1])) * 0.25
                yy[r, c] = p
                my += p
                mu += float(u[i, r, c])
                mv += float(v[i, r, c])
        npx = ch * cw
        my /= npx
        mu /= npx
        mv /= npx
        tot = 0.0
        sx = 0.0
        sy = 0.0
        for r in range(ch):
            for c in range(cw):
                dy = yy[r, c] - my
                du = float(u[i, r, c]) - mu
                dv = float(v[i, r, c]) - mv
                s = dy * dy + du * du + dv * dv
                tot += s
                sx += s * c
                sy += s * r
        if tot > 0:
            out[i, 0] = (sx / tot + 0.5) / cw
            out[i, 1] = (sy / tot + 0.5) / ch
        else:
            out[i, 0] = 0.5
            out[i, 1] = 0.5
        out[i, 2] = tot / npx / (255.0 * 255.0)
    return out


@njit(uint8[:, :](_U8x3, _U8x3, _U8x3, int64), cache=True, nogil=True)
def mini_frames(y: np.ndarray, u: np.ndarray, v: np.ndarray,
                f: int) -> np.ndarray:  # pragma: no cover
    """Box-downsample Y by ``f`` and U, V by ``f / 2`` into one row per frame.

    Returns uint8 [shape=(n, 3 * (h // f) * (w // f))]: Y, then U, then V.
    """
    n, h, w = y.shape
    mh, mw = h // f, w // f
    m = mh * mw
    g = f // 2
    out = np.empty((n, 3 * m), dtype=np.uint8)
    for i in range(n):
        for r in range(mh):
            for c in range(mw):
                acc = 0
                for a in range(f):
                    for b in range(f):
                        acc += np.int64(y[i, r * f + a, c * f + b])
                out[i, r * mw + c] = (acc + f * f // 2) // (f * f)
                au = 0
                av = 0
                for a in range(g):
                    for b in range(g):
                        au += np.int64(u[i, r * g + a, c * g + b])
                        av += np.int64(v[i, r * g + a, c * g + b])
                out[i, m + r * mw + c] = (au + g * g // 2) // (g * g)
                out[i, 2 * m + r * mw + c] = (av + g * g // 2) // (g * g)
    return out


@njit(_F32x2(uint8[:, :], int64), cache=True, nogil=True)
def blend_fit(mini: np.ndarray, k: int) -> np.ndarray:  # pragma: no cover - numba
    """How well each frame is a blend of the frames ``k`` before and ``k`` after it.

    For frame t with a = t - k and b = t + k (clamped), fits ``f_t ≈ alpha f_a + (1 - alpha) f_b``
    by least squares (alpha clipped to 0..1). A dissolve or fade makes every frame such a
    blend; camera or subject motion does not.

    Columns: D = mean |f_a - f_b| (0..255), residual mean |f_t - blend| (0..255), alpha,
    and the nearer end's distance min(mean |f_t - f_a|, mean |f_t - f_b|) (0..255): in a
    dissolve the blend fits far better than either end alone; under motion it does not.
    """
    n, m = mini.shape
    out = np.zeros((n, 4), dtype=np.float32)
    for t in range(n):
        a = max(t - k, 0)
        b = min(t + k, n - 1)
        dd = 0.0
        rd = 0.0
        dabs = 0.0
        ea = 0.0
        eb = 0.0
        for j in range(m):
            d = float(mini[a, j]) - float(mini[b, j])
            r = float(mini[t, j]) - float(mini[b, j])
            q = float(mini[t, j]) - float(mini[a, j])
            dd += d * d
            rd += r * d
            dabs += d if d > 0 else -d
            ea += q if q > 0 else -q
            eb += r if r > 0 else -r
        alpha = rd / dd if dd > 0 else 0.5
        alpha = min(max(alpha, 0.0), 1.0)
        res = 0.0
        for j in range(m):
            e = float(mini[t, j]) - (alpha * float(mini[a, j]) + (1.0 - alpha) * float(mini[b, j]))
            res += e if e > 0 else -e
        out[t, 0] = dabs / m
        out[t, 1] = res / m
        out[t, 2] = alpha
        out[t, 3] = min(ea, eb) / m
    return out


@njit(float32(uint8[:], uint8[:]), cache=True, nogil=True)
def mini_distance(a: np.ndarray, b: np.ndarray) -> float:  # pragma: no cover - numba
    """Mean absolute difference of two mini frames (0..255)."""
    acc = 0.0
    for j in range(a.shape[0]):
        d = float(a[j]) - float(b[j])
        acc += d if d > 0 else -d
    return acc / a.shape[0]


@njit(float32[:, :, :](_U8x3, uint8[:, :], int64, float32[:, :], int64), cache=True, nogil=True)
def camera_residual(y: np.ndarray, prev: np.ndarray, has_prev: int, shifts: np.ndarray,
                    noise: int) -> np.ndarray:  # pragma: no cover - numba
    """What moves apart from the camera: per pixel the absolute difference between each
    luma plane and the previous one shifted by the camera motion to the sub-pixel
    (bilinear), kept where it is above ``noise`` (0 elsewhere), 0..255.

    ``shifts[i]`` is frame ``i``'s camera motion dx, dy in pixels (content moved
    right/down), so pixel (r, c) compares with the previous frame at (r - dy, c - dx).
    Frame 0 compares with ``prev`` when ``has_prev`` (the last frame of the previous
    chunk), else it is all 0; pixels the shifted frame does not cover are 0.
    """
    n, h, w = y.shape
    out = np.zeros((n, h, w), dtype=np.float32)
    for i in range(n):
        if i == 0 and has_prev == 0:
            continue
        sx = min(max(float(shifts[i, 0]), -w + 2.0), w - 2.0)
        sy = min(max(float(shifts[i, 1]), -h + 2.0), h - 2.0)
        ix = int(np.floor(sx))
        iy = int(np.floor(sy))
        fx = sx - ix
        fy = sy - iy
        w00 = (1.0 - fy) * (1.0 - fx)
        w01 = (1.0 - fy) * fx
        w10 = fy * (1.0 - fx)
        w11 = fy * fx
        r0, r1 = max(0, iy + 1), min(h, h + iy)
        c0, c1 = max(0, ix + 1), min(w, w + ix)
        for r in range(r0, r1):
            ra = r - iy
            rb = ra - 1
            for c in range(c0, c1):
                ca = c - ix
                cb = ca - 1
                if i == 0:
                    ref = (w00 * float(prev[ra, ca]) + w01 * float(prev[ra, cb])
                           + w10 * float(prev[rb, ca]) + w11 * float(prev[rb, cb]))
                else:
                    ref = (w00 * float(y[i - 1, ra, ca]) + w01 * float(y[i - 1, ra, cb])
                           + w10 * float(y[i - 1, rb, ca]) + w11 * float(y[i - 1, rb, cb]))
                d = float(y[i, r, c]) - ref
                d = d if d > 0 else -d
                if d > noise:
                    out[i, r, c] = d
    return out
