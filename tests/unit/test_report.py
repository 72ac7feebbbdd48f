"""The report backend without a browser: data, page, registry, CLI errors."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from editspec.edl import EDL, Event, Marker, MusicRef, Transition, write_edl
from editspec.report import EMBED_LIMIT_BYTES, collect_report_data, video_source, write
from editspec.report.data import curve_window, wave_peaks
from editspec.report.page import render_page


def _edl(clip: str = "clips/a.mp4", music: MusicRef | None = None, explain: bool = True) -> EDL:
    # 3 s at 30 fps, cuts at frames 30 and 60; beats every 15 frames; two sections.
    events = (Event(clip, 0.0, 1.0, 0, 30), Event(clip, 1.0, 2.0, 30, 60, why="beat 2"),
              Event(clip, 2.0, 3.0, 60, 90, transition=Transition("crossfade", 4),
                    why="downbeat 1"))
    markers = [Marker(0, "section", "intro"), Marker(45, "section", "chorus")]
    markers += [Marker(f, "downbeat" if f % 60 == 0 else "beat") for f in range(0, 90, 15)]
    meta = {"tempo": 120.0, "beats_per_bar": 4, "tracker": "dp"}
    if explain:
        meta["explain"] = [
            {"time": 1.0, "frame": 30, "event": "beat 2", "energy": 0.25, "salience": 0.5,
             "clip": clip, "src_in": 1.0, "rule": "1: every 2 beats"},
            {"time": 2.0, "frame": 60, "event": "downbeat (bar 1)", "energy": 0.75,
             "salience": 0.9, "clip": clip, "src_in": 2.0, "rule": "2: on downbeats"}]
    return EDL(fps=Fraction(30), size=(180, 320), duration_frames=90, music=music,
               events=events, markers=tuple(sorted(markers, key=lambda m: m.frame)),
               recipe="", meta=meta)


def test_wave_peaks_find_a_click_at_its_output_time() -> None:
    sr = 1000
    y = np.zeros(5 * sr, np.float32)
    y[2500] = 0.5  # song 2.5 s = output 1.5 s with the window starting at 1.0 s
    y[200] = 1.0  # before the window: must not set the scale
    w = wave_peaks(y, sr, start_s=1.0, duration_s=3.0)
    assert w["rate"] == 100
    assert len(w["peaks"]) == 300
    assert w["peaks"][150] == 255
    assert sum(w["peaks"]) == 255


def test_curve_window_is_on_the_output_axis() -> None:
    values = np.linspace(0.0, 1.0, 101)  # 0..1 over 4 s at 25 fps
    out = curve_window(values, 25.0, start_s=1.0, duration_s=2.0)
    assert len(out) == 50
    assert out[0] == 250 and out[25] == 500 and out[49] == 740
    past = curve_window(values, 25.0, start_s=3.5, duration_s=1.0)
    assert past[:13] == [round(v * 1000) for v in values[88:101]] and past[13:] == [0] * 12


def test_data_holds_the_edls_cuts_sections_and_rules() -> None:
    d = collect_report_data(_edl(), "r.html", analysis=False, thumbnails=False)
    assert [c["frame"] for c in d["cuts"]] == [30, 60]
    assert [(s["start"], s["end"], s["label"]) for s in d["sections"]] == [
        (0, 45, "intro"), (45, 90, "chorus")]
    assert d["beats"] == [0, 15, 30, 45, 60, 75] and d["downbeats"] == [0, 60]
    assert [(r["name"], r["count"]) for r in d["rules"]] == [
        ("1: every 2 beats", 1), ("2: on downbeats", 1)]
    assert d["cuts"][1]["transition"] == "crossfade"
    assert d["cuts"][1]["src_out"] == 3.0 and d["cuts"][1]["energy"] == 0.75
    assert d["curves"] is None and d["wave"] is None and d["check"] is None
    assert d["notes"] == ["the EDL has no music: no waveform, energy or salience"]


def test_cuts_are_labelled_with_the_pace_they_really_have() -> None:
    edl = _edl()
    rows = [{"time": 0.0, "frame": 0, "event": "start", "energy": 0.2, "salience": None,
             "clip": "clips/a.mp4", "src_in": 0.0, "rule": "1: every 1 beat",
             "pace": "every 2 beats", "asked": "every 1 beat", "bent_by": "min_shot 0.4s"},
            {"time": 1.0, "frame": 30, "event": "beat 2", "energy": 0.25, "salience": 0.5,
             "clip": "clips/a.mp4", "src_in": 1.0, "rule": "1: every 1 beat",
             "pace": "every 2 beats", "asked": "every 1 beat", "bent_by": "min_shot 0.4s"},
            {"time": 2.0, "frame": 60, "event": "downbeat (bar 1)", "energy": 0.75,
             "salience": 0.9, "clip": "clips/a.mp4", "src_in": 2.0, "rule": "1: every 1 beat",
             "pace": "every 1 beat", "asked": "every 1 beat", "bent_by": ""}]
    warning = "rule 1 (every 1 beat) cut every 2 beats in 2 of 3 shots: min_shot 0.4s is long"
    edl = dataclasses.replace(edl, meta={**edl.meta, "explain": rows, "warnings": [warning]})
    d = collect_report_data(edl, "r.html", analysis=False, thumbnails=False)
    # the first shot's row is not a cut: rows are matched to cuts by frame
    assert [c["rule"] for c in d["cuts"]] == [
        "1: every 1 beat → every 2 beats (min_shot 0.4s)", "1: every 1 beat"]
    assert [c["pace"] for c in d["cuts"]] == ["every 2 beats", "every 1 beat"]
    assert f"plan warning: {warning}" in d["notes"]


def test_cut_rows_fall_back_to_the_events_why() -> None:
    d = collect_report_data(_edl(explain=False), "r.html", analysis=False, thumbnails=False)
    assert [c["rule"] for c in d["cuts"]] == ["beat 2", "downbeat 1"]
    assert d["cuts"][0]["energy"] is None


def test_missing_media_is_noted_not_fatal(tmp_path, caplog) -> None:
    edl = _edl(clip=str(tmp_path / "gone.mp4"), music=MusicRef(str(tmp_path / "gone.ogg"), 0.0))
    out = tmp_path / "r.html"
    write(edl, str(out))
    data = _page_data(out.read_text(encoding="utf-8"))
    assert all(e["thumb"] is None for e in data["events"])
    assert data["notes"] == [f"{tmp_path / 'gone.ogg'}: music file not found: no waveform, "
                             "energy or salience",
                             f"{tmp_path / 'gone.mp4'}: no such clip, shot thumbnails left blank"]


def _page_data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    assert m is not None
    return json.loads(m.group(1))


def test_page_is_self_contained_and_script_safe() -> None:
    import dataclasses

    bad = "x/</script><script>alert(1)</script>.yaml"
    edl = dataclasses.replace(_edl(clip="clips/<!--<script>.mp4"), recipe=bad)
    html = render_page(collect_report_data(edl, "r.html", analysis=False, thumbnails=False))
    assert html.count("</script>") == 2  # the data's and the code's: no name can end one
    assert "<script>alert" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link rel=\"stylesheet\"" not in html and "@import" not in html
    assert "<script src" not in html
    data = _page_data(html)
    assert data["recipe"] == bad and data["events"][0]["clip"] == "<!--<script>.mp4"
    for color in ("#e4572e", "#7b2cbf", "#2e86ab"):  # editspec.plot.COLORS
        assert color in html


def test_video_is_referenced_relative_to_the_report(tmp_path) -> None:
    (tmp_path / "renders").mkdir()
    video = tmp_path / "renders" / "my cut.mp4"
    video.write_bytes(b"\0" * 64)
    ref = video_source(str(video), str(tmp_path / "reports" / "r.html"))
    assert ref == {"src": "../renders/my%20cut.mp4", "embedded": False,
                   "path": "../renders/my cut.mp4"}
    small = video_source(str(video), str(tmp_path / "r.html"), embed=True)
    assert small["embedded"] and small["src"].startswith("data:video/mp4;base64,AAAA")


def test_embedding_a_large_render_is_refused(tmp_path) -> None:
    from editspec.errors import BackendError

    video = tmp_path / "big.mp4"
    with open(video, "wb") as fh:
        fh.truncate(EMBED_LIMIT_BYTES + 1)
    with pytest.raises(BackendError, match=r"big.mp4: 8.0 MB is too large to embed \(limit 8 MB\); "
                                           r"reference it instead"):
        video_source(str(video), str(tmp_path / "r.html"), embed=True)


def test_report_is_a_registered_backend() -> None:
    from editspec.backends import backend_for_path, get_backend

    module = get_backend("report")
    assert module.NAME == "report" and module.SUFFIXES == (".html",)
    assert backend_for_path("edit.html") is module


def test_cli_writes_a_report_of_an_edl(tmp_path) -> None:
    from editspec.cli import main

    edl_path = tmp_path / "e.json"
    write_edl(_edl(), str(edl_path))
    out = tmp_path / "r.html"
    assert main(["report", str(edl_path), "-o", str(out), "--no-thumbnails"]) == 0
    data = _page_data(out.read_text(encoding="utf-8"))
    assert len(data["cuts"]) == 2 and len(data["sections"]) == 2


@pytest.mark.parametrize(("args", "message"), [
    (["report", "nope.json", "-o", "r.html"], "nope.json: no such recipe or EDL file"),
    (["report", "{edl}", "-o", "r.html", "--embed-video"], "--embed-video needs --video RENDER"),
    (["report", "{edl}", "-o", "r.html", "--video", "nope.mp4"], "nope.mp4: no such render"),
])
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch, args,
                                               message) -> None:
    from editspec.cli import main

    edl_path = tmp_path / "e.json"
    write_edl(_edl(), str(edl_path))
    argv = [a.replace("{edl}", str(edl_path)) for a in args]
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.strip() == message
    proc = subprocess.run([sys.executable, "-m", "editspec", *argv], capture_output=True,
                          text=True, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == message and "Traceback" not in proc.stderr


def test_the_report_reads_the_analysis_cache_and_never_analyzes(tmp_path, monkeypatch) -> None:
    import os

    from editspec.analysis.audio import analyze_audio
    from editspec.demo import synth_song

    monkeypatch.setenv("EDITSPEC_CACHE", str(tmp_path / "cache"))
    song = str(tmp_path / "song.ogg")
    synth_song(song, bars=4)
    edl = _edl(clip=str(tmp_path / "gone.mp4"), music=MusicRef(song, 0.0))

    def report():
        write(edl, str(tmp_path / "r.html"), thumbnails=False, check=False)
        return _page_data((tmp_path / "r.html").read_text(encoding="utf-8"))

    def cached():
        folder = tmp_path / "cache"
        return sorted(f for f in os.listdir(folder) if f.startswith("audio-")) \
            if folder.is_dir() else []

    data = report()  # never analyzed: the page says so, and nothing was analyzed
    assert data["curves"] is None and data["wave"] is not None
    assert any("analysis is not in the cache" in n and "never analyzes" in n
               for n in data["notes"]), data["notes"]
    assert cached() == []
    analyze_audio(song, tracker="dp")  # as planning does (the EDL's tracker)
    (entry,) = cached()
    data = report()  # now read from the cache, which stays as it was
    assert cached() == [entry]
    assert not any("not in the cache" in n for n in data["notes"])
    energy = data["curves"]["energy"]
    assert len(energy) > 10 and max(energy) > min(energy)
