"""Style learning pieces with stated ground truth: labels, matching, alignment, file format."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import numpy as np
import pytest

from editspec.errors import EditspecError, ModelError


def test_label_beats_within_one_frame():
    from editspec.style.data import label_beats

    beats = np.array([15, 30, 45, 60])
    assert label_beats(beats, np.array([14, 32, 60])).tolist() == [1, 0, 0, 1]


def test_history_from_labels_counts_beats_since_the_last_cut():
    from editspec.style.data import MAX_HISTORY_BEATS, history_from_labels

    h = history_from_labels(np.array([0, 1, 0, 0], np.float32))
    assert [int(np.argmax(r[:MAX_HISTORY_BEATS])) + 1 for r in h] == [1, 2, 1, 2]


def test_match_and_score_cuts():
    from editspec.style.infer import match_cuts, score_cuts

    assert match_cuts([10, 21, 40], [11, 20, 30]) == (2, 1, 1)  # 10-11, 21-20; 40 false, 30 missed
    s = score_cuts([([10, 20], [10, 20]), ([5], [50])])
    assert (s["hits"], s["false"], s["missed"]) == (2, 1, 1)
    assert s["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["f1"] == pytest.approx(2 / 3, abs=1e-4)


def test_align_cuts_sorts_kept_moved_added_removed():
    from editspec.style.data import align_cuts

    c = align_cuts([30, 60, 90, 120], [31, 66, 150], beat_frames=15)
    assert c.kept == (30,) and c.moved == ((60, 66),) and c.added == (150,)
    assert c.removed == (90, 120)


def test_style_dp_cuts_where_the_style_would():
    from editspec.plan.cutopt import CandidateGrid, choose_cuts
    from editspec.plan.cuts import style_dp

    frames = np.arange(15, 300, 15)
    p = np.where(frames % 60 == 0, 0.95, 0.05)
    grid = CandidateGrid(frames / 30.0, frames, np.full(len(frames), 2), p,
                         tuple("beat" for _ in frames))
    dp_grid, opts = style_dp(grid)
    chosen = choose_cuts(dp_grid, 300, np.full(len(frames), 0.5), 30.0, **opts)
    assert frames[chosen].tolist() == [60, 120, 180, 240]


@pytest.fixture
def tiny_style(tmp_path):
    import torch

    from editspec.style.data import MUSIC_FEATURES
    from editspec.style.model import StyleConfig
    from editspec.style.net import StyleGRU, save_style

    torch.manual_seed(0)
    path = str(tmp_path / "s.npz")
    save_style(StyleGRU(StyleConfig()), torch.zeros(len(MUSIC_FEATURES)),
               torch.ones(len(MUSIC_FEATURES)), {"data": {"train_videos": 3}}, path)
    return path


def test_style_file_round_trip_without_pickles(tiny_style):
    import json

    from editspec.style.data import MUSIC_FEATURES
    from editspec.style.infer import predict_beats
    from editspec.style.model import StyleNet, load_style

    with np.load(tiny_style, allow_pickle=False) as z:  # nothing in it is code
        head = json.loads(str(z["__style__"]))
    assert head["format"] == "editspec-style" and head["version"] == 2
    assert head["config"]["hidden"] == 24
    model, mean, std, summary = load_style(tiny_style)
    assert isinstance(model, StyleNet) and summary == {"data": {"train_videos": 3}}
    x = np.random.default_rng(0).standard_normal((20, len(MUSIC_FEATURES))).astype(np.float32)
    p = predict_beats(model, mean, std, x)
    assert p.shape == (20,) and np.all((p >= 0) & (p <= 1))


def test_style_inference_in_numpy_equals_torchs(tmp_path):
    """The numpy network (used by plans) gives torch's probabilities (used while learning)."""
    import torch

    from editspec.style.data import MUSIC_FEATURES, history_features
    from editspec.style.infer import predict_beats
    from editspec.style.model import StyleConfig, load_style
    from editspec.style.net import StyleGRU, save_style

    rng = np.random.default_rng(1)
    for cfg in (StyleConfig(), StyleConfig(hidden=7, layers=2, head=5)):
        torch.manual_seed(2)
        model = StyleGRU(cfg).eval()
        mean = torch.from_numpy(rng.standard_normal(cfg.n_music).astype(np.float32))
        std = torch.from_numpy(rng.uniform(0.5, 2, cfg.n_music).astype(np.float32))
        path = str(tmp_path / f"s{cfg.layers}.npz")
        save_style(model, mean, std, {}, path)
        x = rng.standard_normal((60, len(MUSIC_FEATURES))).astype(np.float32) * 2
        net, m, s, _ = load_style(path)
        with torch.no_grad():
            ctx_ref = model.encode(((torch.from_numpy(x) - mean) / std)[None])[0].numpy()
        np.testing.assert_allclose(net.encode((x - m) / s), ctx_ref, atol=1e-6, rtol=0)
        got = predict_beats(net, m, s, x)
        # torch's probabilities with the same fed-back history
        since, ref = 1, []
        with torch.no_grad():
            for i in range(len(x)):
                h = torch.from_numpy(history_features(min(since, 64)).astype(np.float32))
                p = float(torch.sigmoid(model.logits(torch.from_numpy(ctx_ref[i]), h)))
                ref.append(p)
                since = 1 if got[i] >= 0.5 else since + 1
        np.testing.assert_allclose(got, ref, atol=1e-6, rtol=0)
        assert np.array_equal(predict_beats(model, mean, std, x), got)  # torch module in


def test_a_version_1_style_file_reads_with_torch(tmp_path, tiny_style):
    import torch

    from editspec.style.infer import predict_beats
    from editspec.style.model import load_style, read_style_file

    blob = read_style_file(tiny_style)
    old = {**blob, "version": 1,
           "norm": {k: torch.from_numpy(v) for k, v in blob["norm"].items()},
           "state_dict": {k: torch.from_numpy(v) for k, v in blob["state_dict"].items()}}
    path = str(tmp_path / "old.pt")
    torch.save(old, path)
    a, b = load_style(path), load_style(tiny_style)
    x = np.random.default_rng(0).standard_normal((30, len(a[1]))).astype(np.float32)
    assert np.array_equal(predict_beats(*a[:3], x), predict_beats(*b[:3], x))
    assert a[3] == b[3]


def test_style_of_another_version_is_refused(tiny_style):
    import json
    import zipfile

    from editspec.style.model import load_style

    with np.load(tiny_style) as z:
        arrays = {k: z[k] for k in z.files}
    head = json.loads(str(arrays["__style__"]))
    arrays["__style__"] = np.array(json.dumps({**head, "version": 99}))
    with open(tiny_style, "wb") as fh:
        np.savez(fh, **arrays)
    assert zipfile.is_zipfile(tiny_style)
    with pytest.raises(ModelError, match=r"style file version 99 is not supported"):
        load_style(tiny_style)
    arrays["__style__"] = np.array(json.dumps(head))
    arrays["head.0.weight"] = arrays["head.0.weight"][:, 1:]
    with open(tiny_style, "wb") as fh:
        np.savez(fh, **arrays)
    with pytest.raises(ModelError, match=r"style weights do not fit its config \(head\.0\.weight"):
        load_style(tiny_style)


def test_corrupt_style_file_raises_model_error(tmp_path):
    from editspec.style.model import load_style

    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"\x00garbage")
    with pytest.raises(ModelError, match=r"not a readable style file"):
        load_style(str(bad))
    with pytest.raises(ModelError, match=r"no such style file"):
        load_style(str(tmp_path / "none.npz"))


def test_learn_cli_bad_input_exits_2(tmp_path, capsys):
    from editspec.cli import main

    assert main(["learn", "--report", str(tmp_path / "none.pt")]) == 2
    assert capsys.readouterr().err.strip() == f"{tmp_path / 'none.pt'}: no such style file"
    assert main(["learn", str(tmp_path)]) == 2
    assert "learn needs -o STYLE.npz" in capsys.readouterr().err
    assert main(["learn", str(tmp_path), "-o", str(tmp_path / "s.pt")]) == 2
    assert capsys.readouterr().err.strip() == f"{tmp_path}: holds no edited video " \
        "(.mp4, .mov, .m4v, .mkv, .webm, .avi)"
    assert main(["learn", "--songs", str(tmp_path), "--from-otio", "x.otio", "--plan", "p.json",
                 "-o", str(tmp_path / "s.npz")]) == 2
    assert "--songs needs a folder of edited videos" in capsys.readouterr().err
    proc = subprocess.run([sys.executable, "-m", "editspec", "learn", "--from-otio", "x.otio",
                           "-o", str(tmp_path / "s.pt")], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_recipe_style_resolves_relative_to_the_recipe(tmp_path):
    from editspec.recipe import load_recipe

    (tmp_path / "mine.pt").write_bytes(b"x")
    for name, text in (("r.yaml", "version: 1\noutput: {size: 160x90, fps: 30, duration: 5s}\n"
                                  "music: {file: s.wav}\nclips: [c.mp4]\n"
                                  "cuts: {every: 2 beats, style: mine.pt}\n"),
                       ("r.edit", "version 1\noutput { size 160x90; fps 30; duration 5s }\n"
                                  "music s.wav\nclips c.mp4\n"
                                  "cuts { every 2 beats; style mine.pt }\n")):
        (tmp_path / name).write_text(text)
        r = load_recipe(str(tmp_path / name), check_files=False)
        assert r.cuts.style == str(tmp_path / "mine.pt")
    r = load_recipe(str(tmp_path / "r.yaml"), check_files=False)
    assert r.cuts.rules[0].every == 2


def test_missing_style_file_is_a_recipe_error(tmp_path):
    from editspec.errors import RecipeErrors
    from editspec.recipe import load_recipe

    (tmp_path / "s.wav").write_bytes(b"")
    (tmp_path / "r.yaml").write_text("version: 1\noutput: {size: 160x90, fps: 30, duration: 5s}\n"
                                     "music: {file: s.wav}\nclips: [s.wav]\n"
                                     "cuts: {style: none.pt}\n")
    with pytest.raises(RecipeErrors, match=r"style file 'none.pt' does not exist"):
        load_recipe(str(tmp_path / "r.yaml"))


def _constant_style(tmp_path, bias: float) -> str:
    """A style whose cut probability is sigmoid(bias) on every beat."""
    import torch

    from editspec.style.data import MUSIC_FEATURES
    from editspec.style.model import StyleConfig
    from editspec.style.net import StyleGRU, save_style

    model = StyleGRU(StyleConfig())
    with torch.no_grad():
        model.head[2].weight.zero_()
        model.head[2].bias.fill_(bias)
    path = str(tmp_path / f"const{bias:+g}.npz")
    save_style(model, torch.zeros(len(MUSIC_FEATURES)), torch.ones(len(MUSIC_FEATURES)), {},
               path)
    return path


@pytest.mark.parametrize("bias", [-12.0, 0.0, 12.0])
@pytest.mark.parametrize("rule,min_shot,max_shot", [("1 bar", 0.0, None), ("1 beat", 0.3, None),
                                                    ("2 beats", 0.0, 3.0)])
def test_a_style_never_yields_an_impossible_plan(tmp_path, bias, rule, min_shot, max_shot):
    # a style that never cuts once made a 40 s shot and the plan failed ("no usable footage
    # is long enough for shot 1"); the rules must bound any style
    import dataclasses

    from editspec.ir import CutRule
    from editspec.pipeline import plan_analyzed
    from editspec.plan import STYLE_MAX_RATIO
    from tests.unit.test_plan import _audio, _clips, _recipe

    every, unit = rule.split()
    every = float(every)
    unit = unit.rstrip("s")
    audio = _audio(n=100)  # 120 BPM: a beat 0.5 s, a bar 2 s
    recipe = _recipe(rules=(CutRule(every, unit),), min_shot=min_shot, max_shot=max_shot,
                     duration=40.0)
    recipe = dataclasses.replace(recipe, cuts=dataclasses.replace(
        recipe.cuts, style=_constant_style(tmp_path, bias)))
    edl = plan_analyzed(recipe, audio, _clips(duration=30.0))
    shots = np.diff([0, *edl.cuts, edl.duration_frames])
    interval = every * (2.0 if unit == "bar" else 0.5)
    longest = max_shot if max_shot is not None else STYLE_MAX_RATIO * interval
    assert shots.max() <= round(longest * 30) and shots.min() >= round(min_shot * 30)
    rows = edl.meta["explain"]
    assert len(rows) == len(edl.events) and all("learned style" in r["rule"] for r in rows)
    if bias < 0:  # the style would not cut at all: the rules forced every cut
        assert any(w.startswith("the learned style and the rules disagree: the style would "
                                "cut 0 times") for w in edl.meta["warnings"]), edl.meta["warnings"]
        if max_shot is None:
            assert any(r["bent_by"] == "the rules' bound on the style (4x the rule's interval)"
                       for r in rows)


def test_a_style_overruled_by_the_rules_unit_says_so(tmp_path):
    import dataclasses

    from editspec.ir import CutRule
    from editspec.pipeline import plan_analyzed
    from editspec.plan import format_explain
    from tests.unit.test_plan import _audio, _clips, _recipe

    recipe = _recipe(rules=(CutRule(2, "bar"),), duration=20.0)
    recipe = dataclasses.replace(recipe, cuts=dataclasses.replace(
        recipe.cuts, style=_constant_style(tmp_path, 12.0)))
    edl = plan_analyzed(recipe, _audio(), _clips())
    # the style cuts on every beat; a bar rule only offers downbeats
    downs = {int(np.floor(t * 30 + 0.5)) for t in _audio().downbeats}
    assert set(edl.cuts) <= downs
    (w,) = [w for w in edl.meta["warnings"] if w.startswith("the learned style")]
    assert "of its own cuts dropped" in w and "not on the rules' candidates (every 2 bars)" in w
    assert "warning: the learned style and the rules disagree" in format_explain(edl)


def test_snap_labels_tolerate_jitter_and_ignore_free_cuts():
    from editspec.style.data import snap_labels

    beats = np.array([15, 30, 45, 60, 75])  # a beat every 0.5 s at 30 fps
    # 2 frames late (jitter: labels beat 30), 3 frames early (labels 60), on the beat
    # (75), and a free cut between beats 30 and 45 (7 frames off each: labels nothing)
    labels = snap_labels(beats, np.array([32, 57, 75, 38]), 30.0, 0.5)
    assert labels.tolist() == [0, 1, 0, 1, 1]
    # never farther than SNAP_S (0.1 s = 3 frames), nor than 0.3 of a beat at a fast tempo
    assert snap_labels(beats, np.array([34]), 30.0, 0.5).tolist() == [0] * 5
    assert snap_labels(np.array([10, 20]), np.array([12]), 30.0, 0.2).tolist() == [0, 0]


def _hits_song(rng, sr, seconds, tone):
    """A song of irregular hits (one lag fits): a decaying tone per hit."""
    music = np.zeros(int(seconds * sr))
    onsets = np.cumsum(rng.uniform(0.15, 0.6, int(seconds * 3)))
    for o in onsets[onsets < seconds - 0.1]:
        i = int(o * sr)
        music[i:i + 400] += np.exp(-np.arange(400) / 80.0) * np.sin(np.arange(400) * tone)
    return music


@pytest.mark.parametrize("sr", [8000, 11025])  # 11025 Hz: 110-sample hops are not 10 ms
def test_find_music_offset_under_voice(sr):
    from editspec.style.data import find_music_offset, matches

    rng = np.random.default_rng(1)
    music = _hits_song(rng, sr, 60, 0.9)
    t = np.arange(len(music)) / sr
    start = 33.37  # late in the song: a rate error grows with the lag
    clip = music[int(start * sr):int((start + 15) * sr)].copy()
    voice = 0.3 * np.sin(2 * np.pi * 180 * t[:len(clip)]) * \
        (np.sin(2 * np.pi * 3 * t[:len(clip)]) > 0)
    off, *z = find_music_offset(clip + voice + 0.02 * rng.standard_normal(len(clip)), music, sr)
    assert abs(off - start) <= 0.011 and matches(*z)
    # a soundtrack without this music (noise) matches nowhere
    _, *low = find_music_offset(rng.standard_normal(len(clip)) * 0.1, music, sr)
    assert not matches(*low)


def test_find_music_offset_accepts_another_mix_and_refuses_another_song():
    """The acceptance is how far the best lag stands out, not an absolute correlation: the
    right song quieter, low-passed and under a loud voice is found; another song of hits
    at the same density is not, though it correlates at many lags."""
    from scipy.signal import lfilter

    from editspec.style.data import find_music_offset, matches

    sr = 11025
    rng = np.random.default_rng(7)
    music = _hits_song(rng, sr, 90, 0.9)
    other = _hits_song(np.random.default_rng(8), sr, 90, 0.9)
    start = 41.2
    clip = music[int(start * sr):int((start + 30) * sr)]
    mix = 0.5 * lfilter([0.5], [1.0, -0.5], clip)  # another mix: quieter, darker
    t = np.arange(len(clip)) / sr
    voice = 0.6 * np.sin(2 * np.pi * 210 * t) * (np.sin(2 * np.pi * 2.3 * t) > -0.3)
    soundtrack = mix + voice + 0.05 * rng.standard_normal(len(clip))
    off, *z = find_music_offset(soundtrack, music, sr)
    assert abs(off - start) <= 0.011 and matches(*z)
    _, *z_other = find_music_offset(soundtrack, other, sr)
    assert not matches(*z_other)


def test_unusable_videos_are_listed_with_the_reason(tmp_path):
    from editspec.errors import EditspecError
    from editspec.media import run_ffmpeg
    from editspec.style.data import examples_from_folder

    run_ffmpeg(["-y", "-f", "lavfi", "-i", "testsrc2=s=64x36:r=30:d=2", "-an",
                str(tmp_path / "silent.mp4")], "test video")
    # a soundtrack of a tone, beside it a "music file" of noise it does not contain
    run_ffmpeg(["-y", "-f", "lavfi", "-i", "testsrc2=s=64x36:r=30:d=6", "-f", "lavfi", "-i",
                "sine=f=440:d=6", "-shortest", str(tmp_path / "tone.mp4")], "test video")
    run_ffmpeg(["-y", "-f", "lavfi", "-i", "anoisesrc=d=20:c=pink:seed=3",
                str(tmp_path / "tone.wav")], "test music")
    skipped: list[tuple[str, str]] = []
    with pytest.raises(EditspecError, match=r"none of its 2 videos gave training examples"):
        examples_from_folder(str(tmp_path), skipped=skipped)
    reasons = dict((os.path.basename(v), r) for v, r in skipped)
    assert reasons["silent.mp4"].startswith("has no soundtrack and no music file")
    assert reasons["tone.mp4"].startswith("its soundtrack does not match the music file "
                                          "beside it (tone.wav; the best lag stands out by")


@pytest.mark.parametrize("density", [False, True])
@pytest.mark.parametrize("min_shot,max_shot", [(0.0, None), (0.6, None), (0.6, 2.5)])
def test_a_style_that_never_cuts_falls_back_on_the_recipe_limits(tmp_path, density, min_shot,
                                                                 max_shot):
    # the failure of issue 26: a learned style that makes no cut in 40 s; the planner must
    # bound it by the recipe's limits (min_shot, max_shot, the rule's interval and its
    # density) and say so, in the warnings and in --explain
    import dataclasses

    from editspec.ir import CutRule, EnergyMap
    from editspec.pipeline import plan_analyzed
    from editspec.plan import format_explain
    from tests.unit.test_plan import _audio, _clips, _recipe

    audio = _audio(n=100)  # 120 BPM: a beat 0.5 s; energy 0.2 before 10 s, 0.9 after
    recipe = _recipe(rules=(CutRule(2, "beat"),), min_shot=min_shot, max_shot=max_shot,
                     duration=40.0, energy=EnergyMap(density=density))
    recipe = dataclasses.replace(recipe, cuts=dataclasses.replace(
        recipe.cuts, style=_constant_style(tmp_path, -12.0)))
    edl = plan_analyzed(recipe, audio, _clips(duration=30.0))
    bounds = [0, *edl.cuts, edl.duration_frames]
    assert len(edl.cuts) >= 8  # 40 s: no 40-s shot, no failure
    for a, b in itertools.pairwise(bounds):
        assert b - a >= round(min_shot * 30) or b == edl.duration_frames
        # the longest shot the limits allow where it starts: max_shot, else 4 x the rule's
        # 1 s, which density stretches by 2^(1 - 2 x energy) in quiet music (0.2 -> 1.52x)
        # and shrinks in loud (0.9 -> 0.57x)
        stretch = (2.0 ** 0.6 if a / 30 < 10.0 else 2.0 ** -0.8) if density else 1.0
        longest = max_shot if max_shot is not None else 4.0 * 1.0 * stretch
        if a / 30 > 9.5 and a / 30 < 10.5 and density:
            longest = max(longest, 4.0 * 2.0 ** 0.6)  # the energy steps here
        assert b - a <= round(longest * 30) + 1, (a, b, longest)
    (w,) = [w for w in edl.meta["warnings"] if w.startswith("the learned style")]
    why = f"max_shot {max_shot:g}s" if max_shot else "no shot may run past 4x its rule's interval"
    assert w.startswith("the learned style and the rules disagree: the style would cut 0 "
                        f"times, the plan cuts {len(edl.cuts)}: {len(edl.cuts)} cuts the style "
                        f"would not make ({why})"), w
    text = format_explain(edl)
    assert f"warning: {w}" in text
    rows = edl.meta["explain"]
    assert len(rows) == len(edl.events) == len(edl.cuts) + 1
    limit = f"max_shot {max_shot:g}s" if max_shot else "4x the rule's interval"
    bound_rows = [r for r in rows if r["bent_by"] == f"the rules' bound on the style ({limit})"]
    # every shot but the first and the last (the output's edges) ends on a cut the style
    # would not make; those longer or shorter than the rule asks say which bound made them
    bent = [r for r in rows[1:-1] if r["bent_by"]]
    assert bent and bound_rows == bent, [r["bent_by"] for r in rows]
    assert f"the rules' bound on the style ({limit})" in text


def test_a_video_is_found_in_a_folder_of_songs(tmp_path):
    # `editspec learn --songs`: a video with only its soundtrack (an excerpt, voice over
    # it) is looked up among the songs, and the whole song it uses is its music
    import soundfile as sf

    from editspec.analysis.audio import analyze_audio
    from editspec.media import run_ffmpeg
    from editspec.style.data import example_from_video, examples_from_folder, find_songs

    sr = 22050
    songs = tmp_path / "songs"
    songs.mkdir()
    for name, seed in (("a.wav", 3), ("b.wav", 4)):
        sf.write(str(songs / name), 0.5 * _hits_song(np.random.default_rng(seed), sr, 60, 0.9),
                 sr)
    start = 20.0
    video = str(tmp_path / "edits" / "v.mp4")
    os.makedirs(os.path.dirname(video))
    run_ffmpeg(["-y", "-f", "lavfi", "-i", "testsrc2=s=64x36:r=30:d=10", "-ss", str(start),
                "-t", "10", "-i", str(songs / "a.wav"), "-f", "lavfi", "-i",
                "sine=f=220:d=10", "-filter_complex", "[1:a][2:a]amix=inputs=2[a]",
                "-map", "0:v", "-map", "[a]", "-shortest", video], "test video")
    found = find_songs(str(songs))
    ex = example_from_video(video, songs=found)
    assert ex.music == str(songs / "a.wav")
    beats = np.asarray(analyze_audio(str(songs / "a.wav")).beats)
    want = np.floor((beats - start) * 30 + 0.5).astype(np.int64)
    want = want[(want > 0) & (want < ex.duration_frames)]
    assert len(want) > 5 and np.abs(ex.beat_frames - want).max() <= 1
    # found in no song: its soundtrack is its music, as without --songs
    assert example_from_video(video, songs=[str(songs / "b.wav")]).music == video
    assert example_from_video(video).music == video
    with pytest.raises(EditspecError, match="holds no music file"):
        examples_from_folder(os.path.dirname(video), songs=os.path.dirname(video))
