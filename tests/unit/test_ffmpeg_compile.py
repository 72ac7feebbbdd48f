"""The ffmpeg backend's pure compile step, checked without running ffmpeg."""

import re

import pytest
from fractions import Fraction

from editspec.backends.ffmpeg import compile_filtergraph
from editspec.edl import EDL, Event, MusicRef, SourceInfo


def _edl():
    return EDL(fps=Fraction(30000, 1001), size=(1080, 1920), duration_frames=75,
               music=MusicRef("/m/song.ogg", 12.5, 0.0, 1.0),
               events=(Event("/c/a.mp4", 0.0, 1.0, 0, 30), Event("/c/b.mp4", 2.0, 2.5, 30, 45),
                       Event("/c/a.mp4", 1.0, 2.0, 45, 75)),
               sources={"/c/a.mp4": SourceInfo(10.0, Fraction(25)),
                        "/c/b.mp4": SourceInfo(5.0, Fraction(30))})


def test_one_input_per_event_plus_music_and_exact_trims():
    cmd = compile_filtergraph(_edl(), "out.mp4")
    inputs = [cmd.argv[i + 1] for i, a in enumerate(cmd.argv) if a == "-i"]
    assert inputs == ["/c/a.mp4", "/c/b.mp4", "/c/a.mp4", "/m/song.ogg"]
    trims = [int(n) for n in re.findall(r"trim=end_frame=(\d+)", cmd.filtergraph)]
    assert trims == [30, 15, 30]
    assert sum(trims) == cmd.total_frames == 75
    assert "concat=n=3:v=1:a=0[vout]" in cmd.filtergraph
    assert cmd.filtergraph.count("fps=30000/1001") == 3
    assert "crop=1080:1920" in cmd.filtergraph
    assert cmd.argv[-1] == "out.mp4"
    assert cmd.argv[cmd.argv.index("-frames:v") + 1] == "75"


def test_seeks_keep_the_first_source_frame_and_music_window():
    argv = compile_filtergraph(_edl(), "o.mp4").argv
    seeks = [float(argv[i + 1]) for i, a in enumerate(argv) if a == "-ss"]
    # a quarter source frame before each src_in (0 stays 0), then the music start
    assert seeks == pytest.approx([0.0, 2.0 - 0.25 / 30, 1.0 - 0.25 / 25, 12.5], abs=1e-6)
    graph = compile_filtergraph(_edl(), "o.mp4").filtergraph
    duration = 75 * 1001 / 30000
    assert f"afade=t=out:st={duration - 1:.6f}".rstrip("0") in graph
    assert f"atrim=end={duration:.6f}".rstrip("0") in graph
