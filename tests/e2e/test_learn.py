"""`editspec learn` end to end: tiny edited videos cut by a known rule, made with editspec
itself (synthesized songs, lavfi clips at 160x90, planned with the hidden rule and rendered
by the ffmpeg backend); the learned style must beat the every-downbeat baseline on the
held-out videos, plan a recipe that names it, and learn from an editor's correction."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from editspec.cli import main

N_VIDEOS = 6


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def edits(tmp_path_factory: pytest.TempPathFactory):
    """N_VIDEOS edited videos with the hidden rule; returns (folder, {video: planned EDL})."""
    from editspec.analysis.audio import analyze_audio
    from editspec.analysis.video import analyze_clips
    from editspec.demo import make_clips, synth_song
    from editspec.style.synth import render_rule_edit, rule_edit

    root = tmp_path_factory.mktemp("learn")
    clips = make_clips(str(root / "clips"), size=(160, 90), max_seconds=12)
    footage = {a.path: a for a in analyze_clips(clips)}
    rng = np.random.default_rng(3)
    parts = ("intro", "verse", "chorus", "outro")
    videos = root / "videos"
    videos.mkdir()
    truth = {}
    for k in range(N_VIDEOS):
        form, bar = [], 0
        while bar < 12:
            n = int(rng.choice([2, 4]))
            form.append((str(rng.choice(parts)), bar, min(n, 12 - bar)))
            bar += n
        song = str(root / f"song{k}.wav")
        synth_song(song, tempo=float(rng.uniform(105, 140)), bars=12, seed=k, form=tuple(form))
        edl = rule_edit(song, analyze_audio(song), footage, seed=k)
        out = str(videos / f"edit{k}.mp4")
        render_rule_edit(edl, out)
        truth[out] = edl
    return root, truth


@pytest.fixture(scope="module")
def style(edits):
    root, _ = edits
    path = str(root / "mystyle.npz")
    rc = main(["learn", str(root / "videos"), "-o", path, "--no-progress", "--epochs", "80",
               "--val-share", "0.34", "--seed", "1"])
    assert rc == 0
    return path


def test_detected_cuts_are_the_planned_ones(edits):
    from editspec.style.data import example_from_video
    from editspec.style.infer import score_cuts

    _, truth = edits
    pairs = [(example_from_video(v).cut_frames, edl.cuts) for v, edl in truth.items()]
    assert score_cuts(pairs)["f1"] >= 0.95


def test_learned_style_beats_every_downbeat_on_held_out_videos(style, capsys):
    from editspec.style.model import read_style_file

    summary = read_style_file(style)["summary"]
    held = summary["held_out"]
    assert held["videos"] == 2
    assert held["style"]["f1"] >= held["downbeat_baseline"]["f1"] + 0.2
    assert held["style"]["f1"] >= 0.8
    assert os.path.getsize(style) < 200_000
    assert main(["learn", "--report", style]) == 0
    out = capsys.readouterr().out
    assert "every downbeat" in out and "median shot length" in out and "pace vs energy" in out


def test_style_file_is_an_npz_without_pickles(style):
    import json

    with np.load(style, allow_pickle=False) as z:
        blob = json.loads(str(z["__style__"]))
    assert blob["format"] == "editspec-style" and blob["version"] == 2
    assert blob["summary"]["data"]["train_videos"] == N_VIDEOS - 2


def test_recipe_with_style_plans_the_style_cuts(edits, style, tmp_path):
    from editspec.pipeline import plan_recipe
    from editspec.recipe import load_recipe
    from editspec.style.infer import score_cuts
    from editspec.style.model import read_style_file

    root, truth = edits
    held = set(read_style_file(style)["summary"]["data"]["val_names"])
    edl = next(e for v, e in truth.items() if v not in held)
    recipe = tmp_path / "r.yaml"
    os.symlink(style, tmp_path / "mine.npz")
    recipe.write_text(
        "version: 1\n"
        f"output: {{size: 160x90, fps: 30, duration: {(edl.duration_frames - 2) / 30:.3f}s}}\n"
        f"music: {{file: {edl.music.path}, start: 0s}}\n"
        f"clips: [\"{root}/clips/*.mp4\"]\n"
        "cuts: {every: 1 beat, style: mine.npz, min_shot: 0.3s, max_shot: 4s}\n")
    r = load_recipe(str(recipe), media_roots=[str(root)])
    assert r.cuts.style == str(tmp_path / "mine.npz")
    planned = plan_recipe(r)
    assert all(b - a >= 9 for a, b in zip([0, *planned.cuts], planned.cuts, strict=False))
    assert all(b - a <= 120 for a, b in zip([0, *planned.cuts], [*planned.cuts,
                                                                    planned.duration_frames],
                                             strict=True))
    # the style reproduces the rule on a song it learned from
    assert score_cuts([(planned.cuts, edl.cuts)])["f1"] >= 0.8


def test_learn_from_a_corrected_timeline(edits, style, tmp_path, capsys):
    from editspec.backends.otio import write
    from editspec.edl import write_edl

    _, truth = edits
    edl = next(iter(truth.values()))
    plan = str(tmp_path / "plan.json")
    write_edl(edl, plan)
    # the editor removes the third cut: event 2 runs on over event 3
    ev = list(edl.events)
    merged = dataclasses.replace(ev[2], rec_out=ev[3].rec_out,
                                 src_out=ev[2].src_out + (ev[3].src_out - ev[3].src_in))
    corrected = dataclasses.replace(edl, events=(*ev[:2], merged, *ev[4:]))
    timeline = str(tmp_path / "corrected.otio")
    write(corrected, timeline)
    out = str(tmp_path / "refined.npz")
    assert main(["learn", "--from-otio", timeline, "--plan", plan, "--base", style, "-o", out,
                 "--no-progress", "--epochs", "5", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["corrections"]["removed"] == 1
    assert summary["corrections"]["added"] == 0
    assert summary["data"]["corrections"] == 1


def test_corrupt_style_file_is_bad_input(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a style")
    proc = subprocess.run([sys.executable, "-m", "editspec", "learn", "--report", str(bad)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"{bad}: not a readable style file (not an .npz); "
                                   "make one with `editspec learn`")
