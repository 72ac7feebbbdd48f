"""Values that still go into a filtergraph (file names of ``movie`` sources) reach real
ffmpeg exactly as written. Titles put no text in the graph at all (tests/e2e/test_titles.py).
"""

from __future__ import annotations

import subprocess

import pytest

from editspec.backends.ffmpeg.graph import filter_text
from editspec.media import ffmpeg_exe, run_ffmpeg

HOSTILE_NAMES = ["it's: 50% off, [now]; o", "a'b''c\\'d\\\\e", "x,drawbox=c=red[out];[in]null",
                 ":=:=\\:", "emoji 🎉 and ñ", "  spaces  "]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_movie_file_names_reach_ffmpeg_as_written(tmp_path, name):
    path = tmp_path / f"{name}.mp4"
    run_ffmpeg(["-y", "-f", "lavfi", "-i", "color=c=red:s=48x32:r=10", "-frames:v", "3",
                "-pix_fmt", "yuv420p", str(path)], "clip")
    graph = filter_text("movie", filename=str(path)) + "," + filter_text("format", "rgb24")
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error",
                           "-filter_complex", graph, "-frames:v", "1", "-f", "rawvideo", "-"],
                          capture_output=True)
    assert proc.returncode == 0, proc.stderr.decode()
    # one 48x32 rgb24 frame of the red clip: the file itself was opened, nothing else drawn
    assert len(proc.stdout) == 48 * 32 * 3 and proc.stdout[0] > 200 and proc.stdout[1] < 60
