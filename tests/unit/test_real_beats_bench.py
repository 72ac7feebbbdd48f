"""bench/real_beats.py: the recorded-music bench scores as the realmusic README says.

Run on generated songs with labels in the realmusic layout (``$EDITSPEC_REALMUSIC``);
the validation songs themselves are never needed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from editspec.demo import synth_song

BENCH = os.path.join(os.path.dirname(__file__), "..", "..", "bench", "real_beats.py")


def _bench():
    spec = importlib.util.spec_from_file_location("real_beats", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _label(beats: np.ndarray, bpb: int = 4) -> dict:
    return {"id": "s", "bpm": 120.0, "beats": beats.tolist(),
            "downbeats": beats[::bpb].tolist(), "downbeats_verified": True}


def test_scores_follow_the_readme():
    rb = _bench()
    ref = np.arange(0.0, 60.0, 0.5)  # 120 BPM
    lab = _label(ref)
    exact = rb.score(lab, ref + 0.01, ref[::4] + 0.01)
    assert exact["beat F"] == pytest.approx(1.0)
    assert exact["downbeat F"] == pytest.approx(1.0)
    assert exact["tempo acc"] == 1.0
    assert exact["cuts 1 beat"] == 1.0 and exact["cuts 2 beats"] == 1.0
    # on the off-beat: the right tempo, no beat and no cut within 70 ms
    off = rb.score(lab, ref + 0.25, ref[::4] + 0.25)
    assert off["beat F"] == 0.0 and off["cuts 1 beat"] == 0.0 and off["tempo acc"] == 1.0
    assert off["AMLt"] > 0.9  # the off-beat is an allowed metrical level
    # 80 ms late: every beat outside the ±70 ms window
    late = rb.score(lab, ref + 0.08, ref[::4] + 0.08)
    assert late["beat F"] == 0.0
    # half tempo: half the cuts of every beat are on a beat, tempo accuracy fails
    half = rb.score(lab, ref[::2], ref[::8])
    assert half["tempo acc"] == 0.0 and half["cuts 1 beat"] == 1.0
    assert half["beat F"] == pytest.approx(2 / 3, abs=0.02)
    # the first 5 s are not scored
    first = rb.score(lab, np.r_[ref[ref < 5] + 0.25, ref[ref >= 5]], ref[::4])
    assert first["beat F"] == pytest.approx(1.0)
    # no downbeat F for songs whose downbeats are not verified
    assert "downbeat F" not in rb.score(dict(lab, downbeats_verified=False), ref, ref[::4])


def test_cut_windows_cover_the_song():
    rb = _bench()
    ref = np.arange(0.0, 60.0, 0.5)
    est = np.where(ref < 30, ref, ref + 0.25)  # the second half on the off-beat
    hits, cuts = rb.cut_share(ref[ref >= 5], est, 1, float(ref[-1]) + 0.07)
    assert cuts > 100  # overlapping 30 s windows every 10 s
    assert 0.3 < hits / cuts < 0.6


def test_bench_runs_on_a_folder_of_labelled_songs(tmp_path):
    root = tmp_path / "realmusic"
    (root / "songs").mkdir(parents=True)
    (root / "labels").mkdir()
    for i, tempo in enumerate((100.0, 132.0)):
        path = root / "songs" / f"song{i}.ogg"
        _, truth = synth_song(str(path.with_suffix(".wav")), tempo=tempo, bars=12, sr=22050,
                              form=(("verse", 0, 4), ("chorus", 4, 8)))
        y, sr = sf.read(str(path.with_suffix(".wav")))
        sf.write(str(path), y, sr)
        os.remove(path.with_suffix(".wav"))
        lab = dict(_label(truth.beats), id=f"song{i}", bpm=tempo,
                   audio=f"songs/song{i}.ogg", downbeats=truth.downbeats.tolist())
        (root / "labels" / f"song{i}.json").write_text(json.dumps(lab))
    out = tmp_path / "scores.json"
    env = dict(os.environ, EDITSPEC_REALMUSIC=str(root))
    proc = subprocess.run([sys.executable, BENCH, "--trackers", "dp,librosa", "--midi", "-1",
                           "--timing", "0", "--json", str(out)], capture_output=True,
                          text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "song0 (100 BPM" in proc.stdout and "song1 (132 BPM" in proc.stdout
    assert "mean over 2 songs" in proc.stdout and "x librosa.beat_track" in proc.stdout
    scores = json.loads(out.read_text())["realmusic"]["scores"]
    for s in scores["dp"]:
        assert s["beat F"] >= 0.95 and s["downbeat F"] >= 0.9 and s["cuts 1 beat"] >= 0.95
    assert all("downbeat F" not in s for s in scores["librosa"])
