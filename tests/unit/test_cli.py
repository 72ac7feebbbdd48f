"""The command line: exit codes, one-line errors, lazy imports; in-process and as a subprocess."""

import json
import subprocess
import sys

from editspec.cli import main


def _run(*args):
    return subprocess.run([sys.executable, "-m", "editspec", *args], capture_output=True,
                          text=True, timeout=300)


def test_help_imports_nothing_heavy():
    code = ("import sys; from editspec.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('torch', 'numba', 'librosa', 'opentimelineio') "
            "if m in sys.modules]\n"
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def _bad_inputs(tmp_path):
    recipe = tmp_path / "bad.yaml"
    recipe.write_text("version: 1\nmusic: {file: song.ogg}\nclips: [a.mp4]\nfoo: 1\n")
    notaudio = tmp_path / "x.txt"
    notaudio.write_text("hello\n" * 50)
    return [
        (["validate", str(recipe)], f"{recipe}:2:15: music file 'song.ogg' does not exist"),
        (["validate", str(recipe)], f"{recipe}:4:1: unknown key 'foo' in recipe"),
        (["analyze", str(notaudio)], f"{notaudio}: cannot decode audio"),
        (["validate", str(tmp_path / "none.yaml")], "no such recipe file"),
        (["render", str(tmp_path / "none.json"), "-o", str(tmp_path / "o.mp4")], "none.json"),
        (["export", str(recipe), "--to", "avid", "-o", "x"],
         "export format not supported: 'avid', available: otio"),
        (["shots", str(notaudio)], "not a media file"),
        (["train", "--threads", "0", "-o", str(tmp_path / "o.pt")], "--threads 0 must be"),
    ]


def test_bad_input_exit_2_one_line_no_traceback_subprocess(tmp_path):
    for args, text in _bad_inputs(tmp_path):
        proc = _run(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert text in proc.stderr, (args, proc.stderr)
        if args[0] != "validate":  # recipe errors are one line per problem
            assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert not (tmp_path / "o.mp4").exists()


def test_bad_input_in_process(tmp_path, capsys):
    for args, text in _bad_inputs(tmp_path):
        assert main(args) == 2
        err = capsys.readouterr().err
        assert text in err and "Traceback" not in err


def test_validate_ok_and_analyze_json(tmp_path, demo_song, small_clips, capsys):
    song, truth = demo_song
    recipe = tmp_path / "ok.yaml"
    clip_dir = small_clips[0].rsplit("/", 1)[0]
    recipe.write_text(f"version: 1\nmusic: {{file: {song}}}\nclips: ['{clip_dir}/*.mp4']\n")
    roots = ["--media-root", song.rsplit("/", 1)[0], "--media-root", clip_dir]
    assert main(["validate", str(recipe), *roots]) == 0
    assert "ok (6 clips)" in capsys.readouterr().out
    proc = _run("analyze", song, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert abs(data["tempo"] - truth.tempo) < 1.0
    assert len(data["beats"]) >= 76
