"""The capability probe's parsers and needs, and `editspec doctor` (with the real binary)."""

from __future__ import annotations

import json
import subprocess
import sys

from editspec.backends.ffmpeg.graph import Graph, filter_text
from editspec.ffcaps import (
    NEWEST,
    Capabilities,
    Need,
    command_needs,
    parse_filtergraph,
    parse_option_sections,
)

HELP = """\
ebur128 AVOptions:
   video             <boolean>    ..FV....... set video output (default false)
   framelog          <int>        ..FVA...... force frame logging level (default -1)
     info            32           ..FVA...... information logging level
     verbose         40           ..FVA...... verbose logging level
   metadata          <boolean>    ..FVA...... inject metadata in the filtergraph

(a)split AVOptions:
   outputs           <int>        ..FVA...... set number of outputs (from 1 to INT_MAX)

aformat AVOptions:
   sample_fmts       [<sample_fmt>]..F.A...... A '|'-separated list of sample formats.
Exiting with exit code 0
"""


def test_option_sections_with_named_values_shared_and_list_types():
    s = parse_option_sections(HELP)
    assert s["ebur128"]["framelog"] == ("int", ("info", "verbose"))
    assert s["ebur128"]["metadata"] == ("boolean", ())
    assert s["split"] == s["asplit"] and "outputs" in s["split"]
    assert "sample_fmts" in s["aformat"]


def test_filtergraph_parse_undoes_both_escaping_levels():
    g = Graph()
    title = "a:b, c'd [e]; \\f"
    g.add(["0:v"], [filter_text("drawtext", text=title, x="(w-tw)/2", enable="eq(n,3)"),
                    filter_text("fps", "30000/1001", round="up")], ["v"])
    g.add(["v"], [filter_text("xfade", transition="coverleft", duration=0.5)], ["o"])
    got = parse_filtergraph(g.text())
    assert got == [("drawtext", {"text": title, "x": "(w-tw)/2", "enable": "eq(n,3)"}),
                   ("fps", {"round": "up"}), ("xfade", {"transition": "coverleft",
                                                        "duration": "0.5"})]


def _caps(**kw) -> Capabilities:
    base = dict(path="/x/ffmpeg", version="5.1.2", libavfilter=(8, 44, 100),
                filters=frozenset({"xfade", "fps", "drawtext"}),
                options={"xfade": {"transition": ("int", ("fade", "wipeleft")),
                                   "duration": ("duration", ())},
                         "fps": {"round": ("int", ("near", "up"))},
                         "drawtext": {"text": ("string", ())}},
                encoders=frozenset({"libx264", "aac"}), cli=frozenset({"-vsync"}),
                script_option="-filter_complex_script")
    base.update(kw)
    return Capabilities(**base)


def test_needs_name_what_a_binary_lacks():
    g = Graph()
    g.add(["0:v"], [filter_text("xfade", transition="coverleft", duration=0.5),
                    filter_text("drawtext", text="Hi", text_align="C", enable="gte(t,1)"),
                    filter_text("zoompan", z=1.1)], ["o"])
    argv = ["-filter_complex", g.text(), "-c:v", "libx265", "-c:a", "aac", "-c", "copy",
            "-fps_mode", "cfr", "out.mp4"]
    lacks = [n.describe() for n in _caps().missing(command_needs(argv, g.text()))]
    assert lacks == ["option -fps_mode", "encoder libx265", "filter zoompan",
                     "drawtext option text_align", "xfade transition=coverleft"]
    assert NEWEST.missing(command_needs([], g.text())) == []  # filters, options: all there


def test_frame_rate_option_follows_the_binary():
    assert _caps().fps_mode_args("cfr") == ["-vsync", "cfr"]
    assert _caps(cli=frozenset({"-fps_mode", "-vsync"})).fps_mode_args("cfr") == [
        "-fps_mode", "cfr"]
    assert _caps(version="N-59765-gb236ef0a59").release is None
    assert _caps(version="n9.0.2-17").release == (9, 0)
    assert Need("value", "xfade", "transition", "x").describe() == "xfade transition=x"


def test_doctor_names_the_binary_version_and_why(capsys):
    from editspec.cli import main
    from editspec.media import ffmpeg_choice

    assert main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    choice = ffmpeg_choice()
    assert report["chosen"]["path"] == choice.path
    assert report["chosen"]["version"] == choice.caps.version and report["chosen"]["why"]
    proc = subprocess.run([sys.executable, "-m", "editspec", "doctor"], capture_output=True,
                          text=True)
    assert proc.returncode == 0
    assert f"ffmpeg: {choice.path} (ffmpeg {choice.caps.version}" in proc.stdout
    assert "why: " in proc.stdout


def test_missing_explicit_ffmpeg_is_one_line_exit_2(tmp_path):
    env = {"EDITSPEC_FFMPEG": str(tmp_path / "nope"), "PATH": "/usr/bin:/bin"}
    import os

    proc = subprocess.run([sys.executable, "-m", "editspec", "doctor"], capture_output=True,
                          text=True, env={**os.environ, **env})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (f"EDITSPEC_FFMPEG={tmp_path / 'nope'}: no such program "
                                   "(set it to an ffmpeg binary, or to 'bundled', or unset it)")


def test_caps_cache_folder_is_the_analysis_cache_folder(monkeypatch, tmp_path):
    from editspec.cache import cache_dir
    from editspec.ffcaps import cache_root

    for env in ({"EDITSPEC_CACHE": str(tmp_path)}, {"XDG_CACHE_HOME": str(tmp_path / "x")},
                {"XDG_CACHE_HOME": "relative"}, {}):
        monkeypatch.delenv("EDITSPEC_CACHE", raising=False)
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        assert cache_root() == cache_dir()
