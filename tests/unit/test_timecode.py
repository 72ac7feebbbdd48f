from fractions import Fraction

import pytest

from editspec.timecode import fps_to_json, frame_to_time, parse_fps, parse_time, time_to_frame


@pytest.mark.parametrize(("text", "fps"), [
    (30, Fraction(30)), ("30", Fraction(30)), ("30000/1001", Fraction(30000, 1001)),
    ("29.97", Fraction(30000, 1001)), (29.97, Fraction(30000, 1001)), (25.0, Fraction(25)),
    ("23.976", Fraction(24000, 1001)),
])
def test_parse_fps(text, fps):
    assert parse_fps(text) == fps


@pytest.mark.parametrize("bad", ["0", "-5", "abc", "1/0", True, None])
def test_parse_fps_rejects(bad):
    with pytest.raises(ValueError):
        parse_fps(bad)


@pytest.mark.parametrize(("text", "seconds"), [
    ("20s", 20.0), ("1.5s", 1.5), ("500ms", 0.5), ("2m", 120.0), ("1:30", 90.0),
    ("0:01:30.5", 90.5), (12, 12.0), ("3 sec", 3.0), ("7", 7.0),
])
def test_parse_time(text, seconds):
    assert parse_time(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["", "x", "3 parsecs", "-1s", "1:xx", "12f"])
def test_parse_time_rejects(bad):
    with pytest.raises(ValueError):
        parse_time(bad)


def test_frames_are_nearest_and_rational():
    ntsc = Fraction(30000, 1001)
    # 1 s at 29.97 fps is frame 29.97 -> 30; half a frame either side rounds to it
    assert time_to_frame(1.0, ntsc) == 30
    assert time_to_frame(frame_to_time(1000, ntsc), ntsc) == 1000
    for f in range(0, 5000, 37):
        t = frame_to_time(f, ntsc)
        assert time_to_frame(t + 0.49 / 29.97, ntsc) == f
        assert time_to_frame(t - 0.49 / 29.97, ntsc) == f
    assert fps_to_json(ntsc) == "30000/1001"
    assert fps_to_json(Fraction(30)) == 30
