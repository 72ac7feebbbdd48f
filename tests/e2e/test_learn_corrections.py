"""Learning from an editor's corrections (`editspec learn --from-otio T --plan EDL --base S`).

Stated truth: synthesized songs with known downbeats. A base style is learned from plans
cut by the hidden rule (every beat when loud, every 2 bars elsewhere, section starts). The
editor's taste is different and known: a cut on every downbeat, nothing else. The editor
corrects the plans of some songs in the real OpenTimelineIO API (splits a clip where a
cut is missing, joins clips where a cut is unwanted, trims a boundary by two frames), and
the style refined on those timelines must cut closer to the editor's taste on songs that
no correction touched: its F1 against every true downbeat rises.
"""

from __future__ import annotations

import copy
from fractions import Fraction

import numpy as np
import pytest

from editspec.cli import main

N_SONGS = 7
N_CORRECTED = 3


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def songs(tmp_path_factory: pytest.TempPathFactory):
    """(song path, its SongTruth, its analysis, the hidden rule's plan) for N_SONGS songs."""
    from editspec.analysis.audio import analyze_audio
    from editspec.analysis.video import VideoInfo
    from editspec.demo import synth_song
    from editspec.style.synth import rule_edit

    root = tmp_path_factory.mktemp("corrections")
    clips = {str(root / f"c{i}.mp4"): VideoInfo(str(root / f"c{i}.mp4"), 60.0, Fraction(30),
                                                160, 90, False) for i in range(4)}
    rng = np.random.default_rng(7)
    out = []
    for k in range(N_SONGS):
        form = (("intro", 0, 4), ("verse", 4, 4), ("chorus", 8, 4), ("outro", 12, 4))
        song = str(root / f"song{k}.wav")
        _, truth = synth_song(song, tempo=float(rng.uniform(100, 130)), bars=16, seed=20 + k,
                              form=form)
        audio = analyze_audio(song)
        edl = rule_edit(song, audio, clips, seed=k)
        out.append((song, truth, audio, edl))
    return root, out


def _taste(truth, edl) -> list[int]:
    """The editor's cuts: every true downbeat inside the edit (frames)."""
    fps = float(edl.fps)
    frames = np.floor(np.asarray(truth.downbeats) * fps + 0.5).astype(int)
    return sorted(int(f) for f in frames if 0 < f < edl.duration_frames)


def _correct_in_otio(plan_otio: str, want: list[int], out: str) -> dict[str, int]:
    """Edit an exported timeline as an editor would, with the OTIO API: split clips where
    a wanted cut is missing, join clips across unwanted cuts, then trim two boundaries by
    two frames. Returns what was done."""
    import opentimelineio as otio

    tl = otio.adapters.read_from_file(plan_otio)
    track = tl.video_tracks()[0]
    rate = track[0].source_range.duration.rate
    done = {"added": 0, "removed": 0, "moved": 0}

    def starts() -> list[int]:
        return [round(c.range_in_parent().start_time.rescaled_to(rate).value) for c in track]

    wanted = set(want)
    for f in sorted(wanted):  # split: a cut the editor wants and the plan lacks
        s = starts()
        if any(abs(f - x) <= 1 for x in s):
            continue
        i = max(j for j, x in enumerate(s) if x < f)
        clip = track[i]
        head = f - s[i]
        sr = clip.source_range
        tail = copy.deepcopy(clip)
        tail.source_range = otio.opentime.TimeRange(
            sr.start_time + otio.opentime.RationalTime(head, rate),
            otio.opentime.RationalTime(sr.duration.value - head, rate))
        clip.source_range = otio.opentime.TimeRange(sr.start_time,
                                                    otio.opentime.RationalTime(head, rate))
        track.insert(i + 1, tail)
        done["added"] += 1
    i = 1
    while i < len(track):  # join: a cut the editor does not want
        s = starts()
        if any(abs(s[i] - f) <= 1 for f in wanted):
            i += 1
            continue
        prev, clip = track[i - 1], track[i]
        sr = prev.source_range
        prev.source_range = otio.opentime.TimeRange(sr.start_time,
                                                    sr.duration + clip.source_range.duration)
        del track[i]
        done["removed"] += 1
    for i in (2, 4):  # trim: two cuts moved two frames later (off the beat: not learnable)
        a, b = track[i - 1], track[i]
        two = otio.opentime.RationalTime(2, rate)
        a.source_range = otio.opentime.TimeRange(a.source_range.start_time,
                                                 a.source_range.duration + two)
        b.source_range = otio.opentime.TimeRange(b.source_range.start_time + two,
                                                 b.source_range.duration - two)
        done["moved"] += 1
    otio.adapters.write_to_file(tl, out)
    return done


def _held_out_f1(style: str, held) -> float:
    from editspec.style.data import beat_features, beats_in_window
    from editspec.style.infer import predict_beats, score_cuts
    from editspec.style.model import load_style

    model, mean, std, _ = load_style(style)
    pairs = []
    for _, truth, audio, edl in held:
        p = predict_beats(model, mean, std, beat_features(audio))
        idx, frames = beats_in_window(audio, 0.0, edl.duration_frames, float(edl.fps))
        pairs.append((frames[p[idx] >= 0.5], _taste(truth, edl)))
    return score_cuts(pairs)["f1"]


def test_corrections_move_the_style_toward_the_editor(songs, tmp_path, capsys):
    import json

    from editspec.backends.otio import write
    from editspec.edl import write_edl
    from editspec.style.data import example_from_cuts
    from editspec.style.train import LearnConfig, learn_style

    _, made = songs
    base_songs, corrected, held = made[:2], made[2:2 + N_CORRECTED], made[2 + N_CORRECTED:]
    base = str(tmp_path / "base.npz")
    examples = [example_from_cuts(s, a, np.asarray(e.cuts), float(e.fps), e.duration_frames)
                for s, _, a, e in base_songs + corrected]
    learn_style(examples, base, cfg=LearnConfig(seed=0, val_share=0.0, epochs=80),
                progress=False)
    argv = ["learn", "--base", base, "-o", str(tmp_path / "refined.npz"), "--no-progress",
            "--epochs", "80", "--json"]
    totals = {"added": 0, "removed": 0, "moved": 0}
    for k, (_, truth, _, edl) in enumerate(corrected):
        plan, exported = str(tmp_path / f"plan{k}.json"), str(tmp_path / f"plan{k}.otio")
        write_edl(edl, plan)
        write(edl, exported)
        fixed = str(tmp_path / f"corrected{k}.otio")
        for key, n in _correct_in_otio(exported, _taste(truth, edl), fixed).items():
            totals[key] += n
        argv += ["--from-otio", fixed, "--plan", plan]
    assert min(totals.values()) > 0  # the editor moved, added and removed cuts
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    counts = summary["corrections"]
    assert summary["data"]["corrections"] == N_CORRECTED
    # the alignment finds what the editor did (a trimmed cut is moved, not removed + added)
    assert counts["moved"] == totals["moved"]
    assert counts["added"] >= totals["added"] - totals["moved"]
    assert counts["removed"] >= totals["removed"] - totals["moved"]
    before = _held_out_f1(base, held)
    after = _held_out_f1(str(tmp_path / "refined.npz"), held)
    assert after >= before + 0.15, (before, after)
    assert after >= 0.8, (before, after)
