"""HTML report benchmark: a 10-minute song with 300 cuts opens fast and stays small.

Makes a 602 s synthesized song (120 BPM) and six small lavfi clips, plans a recipe that
cuts every 4 beats (300 cuts, 301 shots, each with its thumbnail), writes the report,
then opens it in headless Debian Chromium (Selenium, explicit driver and browser paths)
several times and reads the navigation timing: ``loadEventEnd`` (the page drawn: the
script runs before the load event) and the script's own ``report-ready`` mark.

Targets: opens in under 2 s, under 10 MB. Exits 1 when a target is missed.

Run: ``.venv/bin/python bench/report.py [--runs 5] [--video RENDER] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

OPEN_LIMIT_MS = 2000.0
SIZE_LIMIT_BYTES = 10 * 1024 * 1024

RECIPE = """version: 1
seed: 3
output: {size: 1080x1920, fps: 30, duration: 602s}
music: {file: song.flac, start: 0s}
clips: ["clips/*.mp4"]
cuts: {every: 4 beats}
"""


def make_project(folder: str) -> str:
    """Write the song, clips and recipe; return the recipe path."""
    from editspec.demo import make_clips, synth_song

    # FLAC: libsndfile crashes writing Ogg Vorbis this long
    synth_song(os.path.join(folder, "song.flac"), bars=302)  # 604 s + 1 s tail at 120 BPM
    make_clips(os.path.join(folder, "clips"), size=(320, 180), max_seconds=20)
    path = os.path.join(folder, "bench.yaml")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(RECIPE)
    return path


def open_times(report: str, runs: int) -> list[tuple[float, float, int]]:
    """Open ``report`` ``runs`` times; return (loadEventEnd ms, ready ms, severe logs)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1400,1000"):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='editspec-chromium-')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    out = []
    try:
        for _ in range(runs):
            driver.get("about:blank")
            driver.get("file://" + os.path.abspath(report))
            end = time.monotonic() + 30
            while time.monotonic() < end:
                nav = driver.execute_script(
                    "var n = performance.getEntriesByType('navigation')[0];"
                    "var m = performance.getEntriesByName('report-ready')[0];"
                    "return n && n.loadEventEnd > 0 && m ? [n.loadEventEnd, m.startTime] : null")
                if nav:
                    break
                time.sleep(0.05)
            else:
                raise RuntimeError("the report did not finish loading in 30 s")
            severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
            out.append((float(nav[0]), float(nav[1]), len(severe)))
    finally:
        driver.quit()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="page loads (5)")
    ap.add_argument("--video", default=None, help="a render to reference from the report")
    ap.add_argument("--keep", default=None, help="build in this folder and keep it")
    args = ap.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="editspec-bench-report-")
    os.makedirs(folder, exist_ok=True)
    os.environ.setdefault("EDITSPEC_CACHE", os.path.join(folder, "cache"))

    from editspec import report
    from editspec.pipeline import plan_recipe
    from editspec.recipe import load_recipe

    t0 = time.perf_counter()
    recipe = load_recipe(make_project(folder))
    t1 = time.perf_counter()
    edl = plan_recipe(recipe)
    t2 = time.perf_counter()
    path = os.path.join(folder, "report.html")
    report.write(edl, path, video=args.video)
    t3 = time.perf_counter()
    size = os.path.getsize(path)
    minutes = edl.duration_frames / float(edl.fps) / 60
    print(f"song {minutes:.2f} min, {len(edl.cuts)} cuts, {len(edl.events)} shots; media "
          f"{t1 - t0:.1f}s, analysis+plan {t2 - t1:.1f}s, report written in {t3 - t2:.1f}s")
    times = open_times(path, args.runs)
    loads = [t[0] for t in times]
    ready = [t[1] for t in times]
    print(f"report size: {size / 2**20:.2f} MB ({size} bytes; limit "
          f"{SIZE_LIMIT_BYTES / 2**20:.0f} MB)")
    print(f"open in Chromium (navigation timing, {len(times)} loads): loadEventEnd median "
          f"{statistics.median(loads):.0f} ms, max {max(loads):.0f} ms; report-ready median "
          f"{statistics.median(ready):.0f} ms (limit {OPEN_LIMIT_MS:.0f} ms)")
    errors = sum(t[2] for t in times)
    print(f"console errors: {errors}")
    if not args.keep:
        print(f"(built in {folder}; --keep DIR to choose where)")
    ok = size < SIZE_LIMIT_BYTES and max(loads) < OPEN_LIMIT_MS and errors == 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
