"""The HTML report in a real headless Chromium (Debian chromium + chromium-driver).

A small demo project is made, planned and rendered; ``editspec report`` writes the page
with the render referenced beside it; Selenium opens it and checks the console, the
timeline's DOM, hover and click-to-seek. Selenium Manager is never used: the driver and
browser paths are given explicitly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                  "--mute-audio", "--window-size=1400,1000")


def open_chromium(profile_dir: str):  # type: ignore[no-untyped-def]
    """Start headless Debian Chromium under Selenium (skips when it is not installed)."""
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        pytest.skip(f"*** {CHROMIUM} / {CHROMEDRIVER} missing: run `make system-deps` "
                    "(Debian chromium chromium-driver); browser test SKIPPED ***")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.skip("*** selenium not installed (dev extra); browser test SKIPPED ***")
    os.environ["SE_OFFLINE"] = "true"  # belt and braces: Selenium Manager fetches nothing
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile_dir}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A 6 s demo edit at 180x320 (120 BPM, a cut every 2 beats), its render and report."""
    folder = tmp_path_factory.mktemp("report")
    demo = folder / "demo"
    env = {**os.environ}
    subprocess.run([sys.executable, "-m", "editspec", "demo", "-o", str(demo), "--size",
                    "180x320", "--duration", "6", "--clip-seconds", "4", "--no-progress"],
                   check=True, capture_output=True, env=env)
    report = folder / "out" / "report.html"
    proc = subprocess.run([sys.executable, "-m", "editspec", "report",
                           str(demo / "demo.edl.json"), "-o", str(report), "--video",
                           str(demo / "demo.mp4")], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    return {"edl": str(demo / "demo.edl.json"), "report": str(report), "folder": str(folder)}


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    driver = open_chromium(str(tmp_path_factory.mktemp("chromium-profile")))
    yield driver
    driver.quit()


def _wait(driver, script: str, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while True:
        value = driver.execute_script(script)
        if value or time.monotonic() > end:
            return value
        time.sleep(0.05)


def _severe(driver) -> list[str]:  # type: ignore[no-untyped-def]
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_report_in_chromium(project, browser, tmp_path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    from editspec.edl import read_edl

    edl = read_edl(project["edl"])
    fps = float(edl.fps)
    # Ground truth of the demo: 120 BPM, a cut every 2 beats (1 s), 6 s, all in the intro.
    assert edl.cuts == [30, 60, 90, 120, 150]
    sections = [m for m in edl.markers if m.kind == "section"]
    assert [m.label for m in sections] == ["intro"]

    rel = os.path.relpath(os.path.join(os.path.dirname(project["edl"]), "demo.mp4"),
                          os.path.dirname(project["report"]))
    assert rel == "../demo/demo.mp4"
    with open(project["report"], encoding="utf-8") as fh:
        html = fh.read()
    assert 'src="../demo/demo.mp4"' in html  # referenced, not inlined

    browser.get("file://" + project["report"])
    assert _wait(browser, "return document.body.dataset.ready === '1'")
    assert _severe(browser) == []

    cuts = browser.find_elements(By.CSS_SELECTOR, "svg .cut")
    assert len(cuts) == len(edl.cuts)
    assert [int(c.get_attribute("data-frame")) for c in cuts] == edl.cuts
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg .section")) == len(sections)
    assert len(browser.find_elements(By.CSS_SELECTOR, "svg .shot image")) == len(edl.events)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#cut-rows tr")) == len(edl.cuts)
    assert "hard cuts on their frame" in browser.find_element(By.ID, "check").text
    assert _wait(browser, "return document.getElementById('player').readyState >= 1")

    # hovering a cut shows its explain row
    explain = next(r for r in edl.meta["explain"] if r["frame"] == edl.cuts[2])
    ActionChains(browser).move_to_element(cuts[2]).perform()
    tip = browser.find_element(By.ID, "tip")
    assert tip.is_displayed()
    text = tip.text
    for part in ("Cut 3", f"frame {explain['frame']}", explain["event"], explain["rule"],
                 os.path.basename(explain["clip"]), f"{explain['energy']:.2f}",
                 f"{explain['salience']:.2f}", "on its frame"):
        assert part in text, (part, text)

    # clicking a cut seeks the video to that frame's time
    for k in (3, 1):
        ActionChains(browser).move_to_element(cuts[k]).click().perform()
        want = edl.cuts[k] / fps
        got = _wait(browser, f"var v = document.getElementById('player'); "
                             f"return !v.seeking && Math.abs(v.currentTime - {want}) < 1e-3 "
                             f"&& v.currentTime")
        assert got and abs(got - want) < 1e-3, (k, got, want)
        readout = browser.find_element(By.ID, "readout").text
        assert f"frame {edl.cuts[k]} / {edl.duration_frames}" in readout

    # the video's playhead moves the timeline cursor
    browser.execute_script("document.getElementById('player').currentTime = 4.5;")
    left = _wait(browser, "var p = document.getElementById('playhead'); "
                          "var w = document.getElementById('svg').firstChild.width.baseVal"
                          ".value; return Math.abs(parseFloat(p.style.left) - 4.5 / 6 * w) < 1 "
                          "&& p.style.left")
    assert left

    browser.execute_script("document.getElementById('player').currentTime = 2.0;")
    ActionChains(browser).move_to_element(cuts[2]).perform()
    time.sleep(0.2)
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("EDITSPEC_REPORT_SCREENSHOT"):
        shutil.copy(shot, os.environ["EDITSPEC_REPORT_SCREENSHOT"])
    assert _severe(browser) == []
