"""Batch renders for real: local pool, Dask LocalCluster, resume after a kill, retries."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys

import pytest
from media import batch_media

from editspec.batch import run_batch
from editspec.media import ffmpeg_exe

RECIPE = """\
version: 1
variables:
  title: {type: string, default: "Hello"}
  price: {type: number}
output: {size: 180x320, fps: 30, duration: 2s, name: "{sku}.mp4"}
music: {file: song.ogg, start: 0s}
clips: ["clips/*.mp4"]
cuts: {every: 2 beats}
overlays:
  - {text: "{{title}}", start: 0s, end: 1s}
  - {text: "{{price}} €", position: top, size: 20}
  - {image: logo.png, position: top-right, scale: 0.2}
"""
FAST = {"preset": "ultrafast", "crf": 35}


@pytest.fixture(scope="module")
def media(tmp_path_factory, demo_song, small_clips):
    return batch_media(tmp_path_factory.mktemp("batch"), RECIPE, demo_song[0], small_clips)


def frames_of(path) -> tuple[int, tuple[int, int]]:
    """Decode every frame; return the count and the picture size."""
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), "-map",
                           "0:v:0", "-f", "null", "-"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-500:]
    n = int(re.findall(r"frame=\s*(\d+)", proc.stderr)[-1])
    w, h = re.search(r"Video: .*?(\d{2,5})x(\d{2,5})", proc.stderr).groups()
    return n, (int(w), int(h))


def manifest(outdir) -> list[dict]:
    with open(os.path.join(outdir, "manifest.jsonl"), encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def table(path, rows) -> str:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                    encoding="utf-8")
    return str(path)


def test_local_batch_bad_row_resume_and_change(media, tmp_path):
    rows = [{"sku": "a", "price": 1, "title": "One"}, {"sku": "b", "price": "x"},
            {"sku": "c", "price": 3}]
    t = table(tmp_path / "rows.jsonl", rows)
    out = tmp_path / "out"
    res = run_batch(str(media / "recipe.yaml"), t, str(out), workers=2, options=FAST,
                    progress=False)
    assert [j.status for j in res.jobs] == ["ok", "invalid", "ok"]
    assert res.jobs[1].column == "price" and res.exit_code == 2
    for name in ("a.mp4", "c.mp4"):
        assert frames_of(out / name) == (60, (180, 320))
    assert not (out / "b.mp4").exists()
    recs = {r["output"]: r for r in manifest(out)}
    assert recs["a.mp4"]["size"] == os.path.getsize(out / "a.mp4")
    assert recs["a.mp4"]["duration"] == pytest.approx(2.0, abs=0.05)
    assert recs["b.mp4"]["status"] == "invalid" and "not a number" in recs["b.mp4"]["error"]
    assert len(recs["a.mp4"]["edl_hash"]) == 32 and "song.ogg" in " ".join(recs["a.mp4"]["inputs"])
    assert "row 2" not in res.summary() and "column 'price'" in res.summary()
    # same command again: nothing rendered
    mtime = os.path.getmtime(out / "a.mp4")
    res = run_batch(str(media / "recipe.yaml"), t, str(out), workers=2, options=FAST,
                    progress=False)
    assert [j.status for j in res.jobs] == ["skipped", "invalid", "skipped"]
    assert os.path.getmtime(out / "a.mp4") == mtime
    # one row changes: only it is rendered again
    rows[2]["title"] = "Changed"
    t = table(tmp_path / "rows.jsonl", rows)
    res = run_batch(str(media / "recipe.yaml"), t, str(out), workers=1, options=FAST,
                    progress=False)
    assert [j.status for j in res.jobs] == ["skipped", "invalid", "ok"]
    assert len(manifest(out)) == 3
    assert not [f for f in os.listdir(out) if f.startswith(".editspec-") and "lock" not in f]


def test_matrix_and_adversarial_rows_render(media, tmp_path):
    from tests.unit.test_batch import ADVERSARIAL

    rows = [{"sku": f"s{i}", "price": 2, "title": v} for i, v in enumerate(ADVERSARIAL[:6])]
    rows.append({"sku": "../../etc/passwd", "price": 1, "title": "{{price}}"})
    t = table(tmp_path / "rows.jsonl", rows)
    out = tmp_path / "out"
    res = run_batch(str(media / "recipe.yaml"), t, str(out), workers=2, options=FAST,
                    progress=False, name="{sku}", matrix=["aspect=9:16,1:1"])
    assert {j.status for j in res.jobs} == {"ok"}, [j.error for j in res.jobs]
    assert len(res.jobs) == 14 and sorted(os.listdir(out))[0] == ".editspec-batch.lock"
    assert "etc_passwd-1_1.mp4" in os.listdir(out)
    assert frames_of(out / "s0-9_16.mp4") == (60, (1080, 1920))
    assert frames_of(out / "s5-1_1.mp4") == (60, (1080, 1080))


def test_dask_local_cluster_renders_a_batch(media, tmp_path):
    distributed = pytest.importorskip("distributed")
    rows = [{"sku": s, "price": i} for i, s in enumerate(("d1", "d2", "d3"))]
    t = table(tmp_path / "rows.jsonl", rows)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        res = run_batch(str(media / "recipe.yaml"), t, str(tmp_path / "out"),
                        scheduler=cluster.scheduler_address, options=FAST, progress=False)
    assert res.runner == "dask" and res.workers == 2
    assert [j.status for j in res.jobs] == ["ok"] * 3
    for name in ("d1.mp4", "d2.mp4", "d3.mp4"):
        assert frames_of(tmp_path / "out" / name) == (60, (180, 320))
    assert len({j.result["worker"] for j in res.jobs}) >= 1


# Runs a batch in a process of its own whose progress stream SIGKILLs the whole process
# group (the batch, its pool workers and their ffmpeg) at the moment the batch reports its
# first finished row: a crash at a known point of the batch's loop, not a race with it.
KILL_AT_FIRST_DONE = """
import os, signal, sys
from editspec.batch import run_batch

class KillAtFirstDone:
    def isatty(self):
        return False
    def write(self, text):
        sys.stderr.write(text)
        if text.startswith("batch: 1/"):
            os.killpg(0, signal.SIGKILL)
    def flush(self):
        pass

recipe, table, out = sys.argv[1:4]
run_batch(recipe, table, out, workers=1, options={"preset": "ultrafast", "crf": 35},
          stream=KillAtFirstDone())
"""


def test_killed_batch_resumes(media, tmp_path):
    """SIGKILL the whole batch (parent, workers, ffmpeg) mid-run, then run it again."""
    rows = [{"sku": f"k{i}", "price": i} for i in range(5)]
    t = table(tmp_path / "rows.jsonl", rows)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-c", KILL_AT_FIRST_DONE, str(media / "recipe.yaml"),
                           t, str(out)], capture_output=True, text=True, start_new_session=True,
                          timeout=600)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "batch: 1/5 done" in proc.stderr
    done = [r for r in manifest(out) if r["status"] == "ok"]
    assert len(done) == 1  # recorded before the progress line that killed the batch
    for f in os.listdir(out):  # no half file under a final name
        if f.endswith(".mp4") and not f.startswith("."):
            assert frames_of(out / f)[0] == 60
    argv = [sys.executable, "-m", "editspec", "batch", str(media / "recipe.yaml"), "--table",
            t, "-o", str(out), "--workers", "1", "--preset", "ultrafast", "--crf", "35"]
    rerun = subprocess.run([*argv, "--no-progress", "--json"], capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    status = {json.loads(line)["output"]: json.loads(line)["status"]
              for line in rerun.stdout.splitlines()}
    assert status[done[0]["output"]] == "skipped"
    assert set(status.values()) <= {"ok", "skipped"} and len(status) == 5
    for i in range(5):
        assert frames_of(out / f"k{i}.mp4") == (60, (180, 320))
    assert not [f for f in os.listdir(out) if f.startswith(".editspec-") and "lock" not in f]


def test_a_killed_worker_row_is_retried(media, tmp_path, monkeypatch):
    """The first ffmpeg a pool worker runs SIGKILLs that worker (the render is in flight);
    every later call is the real ffmpeg. The row is tried again and renders."""
    marker = tmp_path / "killed-once"
    crash = tmp_path / "ffmpeg-crash-once"
    # only a pool worker (spawn_main in its command line) is killed, never this process
    crash.write_text(f"#!/bin/sh\nif [ ! -e '{marker}' ] && "
                     "grep -qa spawn_main /proc/$PPID/cmdline; then\n"
                     f"  : > '{marker}'\n"
                     f"  kill -9 $PPID\n  exit 1\nfi\nexec '{ffmpeg_exe()}' \"$@\"\n")
    crash.chmod(0o755)
    monkeypatch.setenv("EDITSPEC_FFMPEG", str(crash))  # read by the spawned workers only
    rows = [{"sku": f"w{i}", "price": i} for i in range(3)]
    t = table(tmp_path / "rows.jsonl", rows)
    res = run_batch(str(media / "recipe.yaml"), t, str(tmp_path / "out"), workers=1,
                    options=FAST, progress=False, retries=1)
    assert marker.exists()
    assert [j.status for j in res.jobs] == ["ok"] * 3
    assert max(j.attempts for j in res.jobs) == 2
    for i in range(3):
        assert frames_of(tmp_path / "out" / f"w{i}.mp4")[0] == 60


def test_the_example_batch_runs_on_demo_media(media, tmp_path):
    """examples/batch/: the recipe and rows.csv, beside the demo media, small and short."""
    from editspec.cli import main

    ex = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "batch")
    for f in ("song.ogg", "clips"):
        src = media / f
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / f)
    for f in ("promo.yml", "rows.csv"):
        shutil.copy(os.path.join(ex, f), tmp_path / f)
    code = main(["batch", str(tmp_path / "promo.yml"), "--table", str(tmp_path / "rows.csv"),
                 "-o", str(tmp_path / "out"), "--matrix", "size=180x320",
                 "--matrix", "duration=2s", "--preset", "ultrafast", "--no-progress"])
    assert code == 0
    names = sorted(f for f in os.listdir(tmp_path / "out") if f.endswith(".mp4"))
    assert names == ["RJ-02-en-180x320-2s.mp4", "RJ-02-fr-180x320-2s.mp4",
                     "TS-01-de-180x320-2s.mp4", "TS-01-en-180x320-2s.mp4"]
    assert frames_of(tmp_path / "out" / names[0]) == (60, (180, 320))
