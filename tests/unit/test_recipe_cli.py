"""validate, schema, fmt, --set, --media-root, --errors json: in-process and as a subprocess."""

import json
import subprocess
import sys

import pytest

from editspec.cli import main

SMALLEST = """\
version: 1
output: {size: 1080x1920, fps: 30, duration: 20s}
music: {file: song.ogg, start: 0s}
clips: ["clips/*.mp4"]
cuts: {every: 2 beats}
"""


def _run(*args):
    return subprocess.run([sys.executable, "-m", "editspec", *args], capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "clips").mkdir()
    (tmp_path / "clips" / "a.mp4").write_bytes(b"x")
    (tmp_path / "song.ogg").write_bytes(b"x")
    return tmp_path


def test_error_text_has_source_line_caret_and_hint(folder):
    p = folder / "r.yaml"
    p.write_text(SMALLEST.replace("every: 2 beats", "evry: 2 beats")
                 .replace("start: 0s}", "start: 3 sec}"))
    expected = (
        f"{p}:3:32: music.start: '3 sec' is not valid\n"
        "    3 | music: {file: song.ogg, start: 3 sec}\n"
        "      |                                ^\n"
        "  hint: did you mean '3s'? times are written 20s, 1.5s, 500ms, 2m or 1:30\n"
        f"{p}:5:8: unknown key 'evry' in cuts\n"
        "    5 | cuts: {evry: 2 beats}\n"
        "      |        ^\n"
        "  hint: did you mean 'every'?\n")
    proc = _run("validate", str(p))
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", expected)
    proc = _run("validate", str(p), "--errors", "json")
    assert proc.returncode == 2 and proc.stderr == ""
    assert json.loads(proc.stdout) == {"ok": False, "errors": [
        {"file": str(p), "line": 3, "column": 32, "code": "invalid-value",
         "message": "music.start: '3 sec' is not valid",
         "hint": "did you mean '3s'? times are written 20s, 1.5s, 500ms, 2m or 1:30"},
        {"file": str(p), "line": 5, "column": 8, "code": "unknown-key",
         "message": "unknown key 'evry' in cuts", "hint": "did you mean 'every'?"}]}


def test_in_process_same_text(folder, capsys):
    p = folder / "r.yaml"
    p.write_text(SMALLEST.replace("clips/*.mp4", "none/*.mp4"))
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[0] == f"{p}:4:9: clip glob 'none/*.mp4' matches no file"
    assert "Traceback" not in err


def test_validate_probes_headers(folder, capsys):
    p = folder / "r.yaml"
    p.write_text(SMALLEST)
    assert main(["validate", str(p), "--errors", "json"]) == 2
    errs = json.loads(capsys.readouterr().out)["errors"]
    assert [(e["line"], e["code"]) for e in errs] == [(3, "bad-media"), (4, "bad-media")]
    assert errs[0]["message"] == f"{folder}/song.ogg: not a media file that ffmpeg can read"


def test_validate_decodes_no_frames_and_loads_no_analysis(folder):
    p = folder / "r.yaml"
    p.write_text(SMALLEST)
    code = ("import sys; from editspec.cli import main\n"
            f"main(['validate', {str(p)!r}])\n"
            "print([m for m in ('torch', 'numba', 'librosa', 'opentimelineio', "
            "'editspec.analysis') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_schema_command_prints_the_schema(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_fmt_converts_losslessly(folder, capsys):
    p = folder / "r.yaml"
    p.write_text(SMALLEST)
    assert main(["fmt", str(p), "--to", "dsl"]) == 0
    dsl = capsys.readouterr().out
    assert dsl == ("version 1\noutput {\n  size 1080x1920\n  fps 30\n  duration 20s\n}\n"
                   "music song.ogg {\n  start 0s\n}\nclips clips/*.mp4\n"
                   "cuts {\n  every 2 beats\n}\n")
    (folder / "r.edit").write_text(dsl)
    assert main(["fmt", str(folder / "r.edit"), "--to", "yaml", "-o", str(folder / "b.yaml")]) == 0
    from editspec.recipe import load_recipe

    a, b, c = (load_recipe(str(folder / n)) for n in ("r.yaml", "r.edit", "b.yaml"))
    assert a.output == b.output == c.output and a.cuts == b.cuts == c.cuts


def test_set_fills_variables_and_rejects_unknown(folder, capsys):
    p = folder / "t.yaml"
    p.write_text(SMALLEST + 'variables: {title: {type: string}, n: {type: integer, default: 2}}\n'
                 'overlays: [{text: "{{title}} x{{n}}", size: "{{n}}"}]\n')
    assert main(["validate", str(p), "--set", "title=Hi", "--set", "n=x"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[0] == f"{p}:6:36: variable 'n': 'x' is not an integer"
    assert main(["validate", str(p)]) == 2
    assert capsys.readouterr().err.splitlines()[0] == f"{p}:6:13: variable 'title' has no value"
    assert main(["validate", str(p), "--set", "titel=Hi"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == f"{p}:6:1: variable 'titel' is set but not declared"
    assert lines[3] == "  hint: did you mean 'title'?"


def test_paths_stay_inside_the_recipe_folder(tmp_path, capsys):
    inner = tmp_path / "project"
    inner.mkdir()
    (tmp_path / "song.ogg").write_bytes(b"x")
    (tmp_path / "a.mp4").write_bytes(b"x")
    p = inner / "r.yaml"
    p.write_text("version: 1\nmusic: {file: ../song.ogg}\nclips: [../*.mp4]\n")
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{p}:2:15: path '../song.ogg' is outside the recipe's folder"
    assert err[4] == f"{p}:3:9: path '../*.mp4' is outside the recipe's folder"
    from editspec.recipe import load_recipe

    r = load_recipe(str(p), media_roots=[str(tmp_path)])
    assert r.clip_paths == (str(tmp_path / "a.mp4"),)
