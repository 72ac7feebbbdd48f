"""Batch throughput: N variants of a 10 s 1080x1920 template (text, price, logo, fixed music).

Runs the same batch on 1 and 2 local workers and on a 2-worker Dask LocalCluster and
prints renders per minute, the scaling factor against one worker, and the share of
the worker capacity (workers x wall time) not spent inside ffmpeg processes (target
under 5 %). Demo media (editspec.demo.synth_song, make_clips) is generated once into
the cache folder; the analysis is warmed before timing, as a batch re-run sees it.

    nice python bench/batch.py                 # 100 rows, 10 s each
    nice python bench/batch.py --rows 8 --duration 4
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

TEMPLATE = """\
version: 1
variables:
  product: {{type: string}}
  price: {{type: number}}
output: {{size: {size}, fps: 30, duration: {duration}s, name: "{{sku}}.mp4"}}
music: {{file: song.ogg, start: 0s, fade_out: 0.5s}}
clips: ["clips/*.mp4"]
cuts: {{every: 2 beats, min_shot: 0.5s}}
overlays:
  - {{text: "{{{{product}}}}", position: top, size: 72, color: white}}
  - {{text: "only {{{{price}}}} €", position: bottom, size: 96, color: "#fee715",
     background: "#000000a0", start: 1s}}
  - {{image: logo.png, position: top-right, scale: 0.15}}
"""


def make_media(folder: str) -> None:
    from editspec.demo import make_clips, synth_song
    from editspec.media import run_ffmpeg

    os.makedirs(folder, exist_ok=True)
    if not os.path.isfile(os.path.join(folder, "song.ogg")):
        synth_song(os.path.join(folder, "song.ogg"))
    make_clips(os.path.join(folder, "clips"), size=(640, 360), max_seconds=12)
    logo = os.path.join(folder, "logo.png")
    if not os.path.isfile(logo):
        run_ffmpeg(["-y", "-f", "lavfi", "-i", "color=c=0xff3860:s=256x128", "-frames:v", "1",
                    logo], "making the logo")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--size", default="1080x1920")
    ap.add_argument("--preset", default="veryfast")
    ap.add_argument("--no-dask", action="store_true")
    args = ap.parse_args()

    from editspec.batch import run_batch
    from editspec.batch.jobs import Template
    from editspec.cache import cache_dir
    from editspec.pipeline import analyze_recipe

    media = os.path.join(cache_dir(), "bench-batch-media")
    make_media(media)
    recipe = os.path.join(media, "template.yaml")
    with open(recipe, "w", encoding="utf-8") as fh:
        fh.write(TEMPLATE.format(size=args.size, duration=f"{args.duration:g}"))
    rows = os.path.join(media, "rows.csv")
    with open(rows, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["sku", "product", "price"])
        for i in range(args.rows):
            w.writerow([f"sku{i:04d}", f"Product {i}: \"{chr(0x41 + i % 26)}\"", 10 + i % 90])
    t0 = time.perf_counter()
    tpl = Template(recipe)
    from editspec.recipe import load_recipe

    analyze_recipe(load_recipe(recipe, variables={"product": "x", "price": 1}))
    print(f"media and analysis warmed in {time.perf_counter() - t0:.1f}s "
          f"({args.rows} rows of {args.duration:g}s {args.size}, preset {args.preset})")
    del tpl
    results = []
    configs: list[tuple[str, int, bool]] = [("local", 1, False), ("local", 2, False)]
    if not args.no_dask:
        configs.append(("dask LocalCluster", 2, True))
    for label, n, dask in configs:
        out = tempfile.mkdtemp(prefix="editspec-bench-batch-")
        try:
            if dask:
                from distributed import LocalCluster

                with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
                    res = run_batch(recipe, rows, out, scheduler=cluster.scheduler_address,
                                    options={"preset": args.preset}, progress=False)
            else:
                res = run_batch(recipe, rows, out, workers=n, options={"preset": args.preset},
                                progress=False)
        finally:
            shutil.rmtree(out, ignore_errors=True)
        ok = res.count("ok")
        if ok != args.rows:
            print(f"{label}: only {ok}/{args.rows} rendered: "
                  f"{next((j.error for j in res.jobs if j.error), '')}")
        results.append((label, n, res, ok / res.wall_s * 60))
    base = results[0][3]
    print(f"{'runner':20s} {'workers':>7s} {'wall s':>8s} {'renders/min':>11s} {'scaling':>7s} "
          f"{'prep s':>7s} {'ffmpeg s':>9s} {'outside ffmpeg':>14s}")
    for label, n, res, rpm in results:
        print(f"{label:20s} {n:7d} {res.wall_s:8.1f} {rpm:11.2f} {rpm / base:7.2f} "
              f"{res.prepare_s:7.2f} {res.ffmpeg_s:9.1f} {100 * res.outside_ffmpeg:13.1f}%")
    print(f"cores here: {len(os.sched_getaffinity(0))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
