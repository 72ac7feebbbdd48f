from fractions import Fraction

import pytest

from editspec.edl import (
    EDL,
    Event,
    Marker,
    MusicRef,
    SourceInfo,
    edl_from_dict,
    edl_to_dict,
    edl_to_json,
    read_edl,
    write_edl,
)
from editspec.errors import EditspecError


def _edl(fps=Fraction(30000, 1001)) -> EDL:
    return EDL(
        fps=fps, size=(1080, 1920), duration_frames=90,
        music=MusicRef("/m/song.ogg", 2.5, 0.0, 1.0),
        events=(Event("/c/a.mp4", 0.0, 1.001, 0, 30, why="start"),
                Event("/c/b.mp4", 3.2, 5.2, 30, 90, why="beat 3")),
        markers=(Marker(0, "section", "intro"), Marker(30, "downbeat")),
        recipe="/r/x.yaml", seed=3,
        sources={"/c/a.mp4": SourceInfo(10.0, Fraction(24)), "/c/b.mp4": SourceInfo(8.0, fps)})


def test_json_round_trip(tmp_path):
    edl = _edl()
    path = tmp_path / "e.json"
    write_edl(edl, str(path))
    back = read_edl(str(path))
    assert back == edl
    assert back.cuts == [30]
    assert edl_to_dict(edl)["fps"] == "30000/1001"
    assert edl_to_json(back) == path.read_text()


def test_rejects_gaps_and_future_versions():
    d = edl_to_dict(_edl())
    d["events"][1]["rec_in"] = 31
    with pytest.raises(EditspecError, match="expected to start at frame 30"):
        edl_from_dict(d)
    d = edl_to_dict(_edl())
    d["version"] = 99
    with pytest.raises(EditspecError, match="EDL version 99 is not supported"):
        edl_from_dict(d)
    d = edl_to_dict(_edl())
    d["duration_frames"] = 100
    with pytest.raises(EditspecError, match="events end at frame 90"):
        edl_from_dict(d)
