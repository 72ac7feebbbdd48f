"""drawtext escaping: any text reaches the filter as written and never injects filters.

The two parsing levels of ffmpeg (graph, then options) are reimplemented here from
libavutil's ``av_get_token`` so the round trip is checked on arbitrary strings without
ffmpeg; then ffmpeg itself draws adversarial strings, compared pixel for pixel with the
same text read raw from a file (``textfile=``, no escaping involved).
"""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from editspec.backends.ffmpeg.drawtext import default_font
from editspec.backends.ffmpeg.graph import filter_text
from editspec.media import ffmpeg_exe

ADVERSARIAL = [
    "it's: 50% off, [now]; \\o/",
    "%{pts} %{eif:1+1:d} %{localtime}",
    "a'b''c\\'d\\\\e",
    "line one\nline two",
    "x,drawbox=c=red:t=fill[out];[in]null",
    "emoji 🎉🔥 and ñ ü",
    "مرحبا بالعالم עברית",
    "  spaces around  ",
    ":=:=\\:",
]


def _get_token(buf: str, term: str) -> tuple[str, str]:
    """Python port of libavutil ``av_get_token``: (token, rest of buf at the terminator)."""
    i = 0
    ws = " \n\t\r"
    while i < len(buf) and buf[i] in ws:
        i += 1
    out: list[str] = []
    end = 0
    while i < len(buf) and buf[i] not in term:
        c = buf[i]
        i += 1
        if c == "\\" and i < len(buf):
            out.append(buf[i])
            i += 1
            end = len(out)
        elif c == "'":
            while i < len(buf) and buf[i] != "'":
                out.append(buf[i])
                i += 1
            if i < len(buf):
                i += 1
                end = len(out)
        else:
            out.append(c)
    while len(out) > end and out[-1] in ws:
        out.pop()
    return "".join(out), buf[i:]


def _parse_filter(text: str) -> tuple[str, dict[str, str], str]:
    """Parse one filter as libavfilter does: name, options, and what follows it."""
    name, rest = text.split("=", 1)
    args, rest = _get_token(rest, "[],;")
    options = {}
    while args:
        key, args = _get_token(args, "=")
        value, args = _get_token(args[1:], ":")
        options[key] = value
        args = args[1:]
    return name, options, rest


@pytest.mark.parametrize("text", ADVERSARIAL)
def test_adversarial_text_parses_back_exactly(text):
    name, options, rest = _parse_filter(filter_text("drawtext", text=text, x="(w-tw)/2",
                                                    expansion="none") + "[out]")
    assert name == "drawtext" and rest == "[out]"  # nothing leaked into the graph
    assert options == {"text": text, "x": "(w-tw)/2", "expansion": "none"}


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_any_text_parses_back_exactly(text):
    _, options, rest = _parse_filter(filter_text("drawtext", text=text, fontsize=20) + ";x")
    assert options["text"] == text.strip(" \n\t\r") or options["text"] == text
    assert options["fontsize"] == "20" and rest == ";x"


def _draw(text_opts: str, font: str) -> np.ndarray:
    graph = (f"color=black:s=320x96:d=0.04,format=rgb24,"
             f"{filter_text('drawtext', fontfile=font, fontsize=18, fontcolor='white', x=4, y=4)}"
             f":{text_opts}")
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error",
                           "-filter_complex", graph, "-frames:v", "1", "-f", "rawvideo",
                           "-pix_fmt", "rgb24", "-"], capture_output=True)
    assert proc.returncode == 0, proc.stderr.decode()
    return np.frombuffer(proc.stdout, np.uint8)


def test_ffmpeg_draws_escaped_text_exactly_as_the_raw_text(tmp_path):
    font = default_font()
    for i, text in enumerate(ADVERSARIAL):
        raw = tmp_path / f"t{i}.txt"
        raw.write_text(text, encoding="utf-8")
        escaped = filter_text("x", text=text, expansion="none").split("=", 1)[1]
        from_file = filter_text("x", textfile=str(raw), expansion="none").split("=", 1)[1]
        drawn, truth = _draw(escaped, font), _draw(from_file, font)
        assert drawn.max() > 0, text  # something was drawn
        assert np.array_equal(drawn, truth), text
