"""Media folders as users keep them: symlinked clips, images in a glob, silent clips.

- a ``clips/`` folder of symlinks into a footage library outside the recipe's folder
  works: the media-root check reads paths as written (lexically), never resolving links;
- a written path outside the folder is still refused, and the hint says "symlink" and
  what to pass; a batch table value is held to the media root the same way;
- a still image in a clip glob and a clip without sound in an ``audio: true`` pool are
  reported by ``validate`` (and ``plan`` refuses them the same way).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from editspec.cli import main
from editspec.media import ffmpeg_exe


def _run(*args):
    return subprocess.run([sys.executable, "-m", "editspec", *args], capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def library(tmp_path, demo_song, small_clips):
    """A footage library, and a project whose clips/ holds symlinks into it."""
    lib = tmp_path / "library"
    lib.mkdir()
    for c in small_clips[:3]:
        shutil.copy(c, lib)
    project = tmp_path / "project"
    (project / "clips").mkdir(parents=True)
    shutil.copy(demo_song[0], project / "song.ogg")
    for c in sorted(os.listdir(lib)):
        os.symlink(lib / c, project / "clips" / c)
    return project


def test_a_clips_folder_of_symlinks_validates_and_plans(library, capsys):
    recipe = library / "r.yaml"
    recipe.write_text("version: 1\noutput: {size: 90x160, fps: 30, duration: 3s}\n"
                      "music: {file: song.ogg, start: 0s}\nclips: ['clips/*.mp4']\n"
                      "cuts: {every: 2 beats}\n")
    assert main(["validate", str(recipe)]) == 0
    assert "ok (3 clips)" in capsys.readouterr().out
    out = library / "e.json"
    assert main(["plan", str(recipe), "-o", str(out)]) == 0
    import json

    used = {e["clip"] for e in json.loads(out.read_text())["events"]}
    assert used and all(os.path.dirname(c) == str(library / "clips") for c in used)
    assert all(os.path.islink(c) for c in used)  # the links, as the user named them


def test_a_path_written_outside_is_refused_with_a_symlink_hint(library, capsys):
    recipe = library / "r.yaml"
    recipe.write_text("version: 1\nmusic: {file: song.ogg}\nclips: ['../library/*.mp4']\n")
    assert main(["validate", str(recipe)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{recipe}:3:9: path '../library/*.mp4' is outside the recipe's folder"
    assert err[3] == ("  hint: paths stay inside the recipe's folder tree, where symlinks are "
                      "followed: symlink the files in, or pass --media-root DIR to allow files "
                      "under DIR")
    assert main(["validate", str(recipe), "--media-root", str(library.parent / "library")]) == 0


def test_a_table_value_is_held_to_the_media_root_as_written(library, tmp_path):
    from editspec.batch import make_jobs
    from editspec.batch.jobs import Template, compile_job

    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "color=red:s=16x16",
                    "-frames:v", "1", str(tmp_path / "library" / "logo.png")], check=True)
    os.symlink(tmp_path / "library" / "logo.png", library / "logo.png")
    (library / "r.yaml").write_text(
        "version: 1\nvariables: {logo: {type: file}}\n"
        "output: {size: 90x160, fps: 30, duration: 2s, name: '{sku}.mp4'}\n"
        "music: {file: song.ogg, start: 0s}\nclips: ['clips/*.mp4']\ncuts: {every: 2 beats}\n"
        "overlays:\n  - {image: '{{logo}}', position: top-right}\n")
    table = tmp_path / "t.csv"
    table.write_text("sku,logo\nlinked,logo.png\nescape,../library/logo.png\n")
    tpl = Template(str(library / "r.yaml"))
    jobs = make_jobs(tpl, str(table), str(tmp_path / "out"))
    for j in jobs:
        compile_job(tpl, j)
    assert [(j.status, j.column) for j in jobs] == [("pending", None), ("invalid", "logo")]
    assert jobs[1].error == ("path '../library/logo.png' is outside the media root (the "
                             "recipe's folder and --media-root folders, compared as written: "
                             "symlink the file in, or pass --media-root)")


@pytest.fixture
def mixed(tmp_path, demo_song, small_clips):
    """A clips folder with a real photo-like still beside a silent clip and a sound clip."""
    (tmp_path / "clips").mkdir()
    shutil.copy(demo_song[0], tmp_path / "song.ogg")
    shutil.copy(small_clips[0], tmp_path / "clips" / "a.mp4")  # no sound
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=64x48",
                    "-frames:v", "1", str(tmp_path / "clips" / "photo.jpg")], check=True)
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    "testsrc2=s=64x48:d=3", "-f", "lavfi", "-i", "sine=d=3", "-shortest",
                    "-c:v", "libx264", "-c:a", "aac", str(tmp_path / "clips" / "b.mp4")],
                   check=True)
    return tmp_path


def _recipe(folder, clips):
    path = folder / "r.yaml"
    path.write_text("version: 1\noutput: {size: 90x160, fps: 30, duration: 2s}\n"
                    f"music: {{file: song.ogg, start: 0s}}\nclips: {clips}\n")
    return str(path)


def test_an_image_in_a_clip_glob_is_reported_by_validate_and_plan(mixed, capsys):
    p = _recipe(mixed, "['clips/*']")
    photo = mixed / "clips" / "photo.jpg"
    assert main(["validate", p]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{p}:4:9: {photo}: is a still image; clips must be video"
    assert err[3] == ("  hint: narrow the glob to videos, or make a clip of it: ffmpeg -loop 1 "
                      "-i photo.jpg -t 3 -r 30 -pix_fmt yuv420p photo.mp4")
    proc = _run("plan", p, "-o", str(mixed / "e.json"))
    assert proc.returncode == 2 and proc.stderr.splitlines()[0] == err[0]
    assert not (mixed / "e.json").exists()
    assert main(["validate", _recipe(mixed, "['clips/*.mp4']")]) == 0


def test_a_silent_clip_in_an_audio_pool_is_reported_by_validate(mixed, capsys):
    p = _recipe(mixed, "[{files: 'clips/*.mp4', audio: true}]")
    assert main(["validate", p]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (f"{p}:4:9: {mixed / 'clips' / 'a.mp4'}: has no sound, and its pool mixes "
                      "the clips' sound (audio: true)")
    assert len([line for line in err if "has no sound" in line]) == 1  # b.mp4 has sound
    assert main(["validate", _recipe(mixed, "[{files: 'clips/b.mp4', audio: true}]")]) == 0
