"""Batch inputs without rendering: tables, matrix, names, typed rows, adversarial values."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys

import pytest
from media import batch_media

from editspec.batch import make_jobs
from editspec.batch.jobs import Template, compile_job
from editspec.batch.table import (
    Row,
    expand_matrix,
    format_name,
    parse_matrix,
    read_table,
    sanitize_component,
)
from editspec.errors import EditspecError

RECIPE = """\
version: 1
variables:
  title: {type: string, default: "Hello"}
  price: {type: number}
  logo: {type: file, default: logo.png}
output: {size: 180x320, fps: 30, duration: 2s, name: "{sku}.mp4"}
music: {file: song.ogg, start: 0s}
clips: ["clips/*.mp4"]
cuts: {every: 2 beats}
overlays:
  - {text: "{{title}}", start: 0s, end: 1s}
  - {text: "{{price}} €", position: top}
  - {image: "{{logo}}", position: top-right, scale: 0.2}
"""

ADVERSARIAL = [
    "It's \"quoted\"", "a:b:c; d=e, [f]", "back\\slash \\n \\\\", "100% %{pts} %%",
    "line one\nline two", "emoji 🎉🚀", "שלום עולם مرحبا", "{{other}} {{price}}",
    "key: [yaml, {flow: 1}]\n- item", "output { size 8x8 } ; overlays [ ]", "drawtext=text=x'",
]


@pytest.fixture(scope="module")
def media(tmp_path_factory, demo_song, small_clips):
    return batch_media(tmp_path_factory.mktemp("batchunit"), RECIPE, demo_song[0], small_clips)


def _csv(path, text):
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_csv_jsonl_and_parquet_read_the_same(tmp_path):
    rows = [{"sku": "a", "price": "9"}, {"sku": "b", "price": None}]
    _csv(tmp_path / "t.csv", "sku,price\na,9\nb,\n")
    (tmp_path / "t.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    cols, got = read_table(str(tmp_path / "t.csv"))
    assert cols == ["sku", "price"] and [r.values for r in got] == rows
    cols, got = read_table(str(tmp_path / "t.jsonl"))
    assert [r.values for r in got] == rows and [r.number for r in got] == [1, 2]
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), str(tmp_path / "t.parquet"))
    cols, got = read_table(str(tmp_path / "t.parquet"))
    assert cols == ["sku", "price"] and [r.values for r in got] == rows


def test_parquet_without_pyarrow_names_the_package(tmp_path, monkeypatch):
    (tmp_path / "t.parquet").write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(EditspecError, match=r"t\.parquet: reading a Parquet table needs pyarrow, "
                                            r"which is not installed: pip install "
                                            r"'editspec\[parquet\]'$"):
        read_table(str(tmp_path / "t.parquet"))


@pytest.mark.parametrize(("text", "message"), [
    ("", "the table is empty"),
    ("a,a\n1,2\n", "column 'a' appears twice"),
    ("a\n1,2\n", "row 1 \\(line 2\\) has 2 cells, the header 1"),
])
def test_bad_csv_is_one_clear_error(tmp_path, text, message):
    with pytest.raises(EditspecError, match=message):
        read_table(_csv(tmp_path / "t.csv", text))


def test_matrix_multiplies_rows_in_order():
    mat = parse_matrix(["aspect=9:16,1:1", "duration=2s,3s"])
    rows = expand_matrix([Row(1, {}), Row(2, {})], mat)
    assert len(rows) == 8
    assert rows[0].matrix == {"aspect": "9:16", "duration": "2s"}
    assert rows[3].matrix == {"aspect": "1:1", "duration": "3s"} and rows[3].number == 1
    with pytest.raises(EditspecError, match="is not KEY=V1,V2"):
        parse_matrix(["aspect"])
    with pytest.raises(EditspecError, match="given twice"):
        parse_matrix(["a=1", "a=2"])


@pytest.mark.parametrize(("value", "expected"), [
    ("../../etc/passwd", "etc_passwd"), ("a/b\\c", "a_b_c"), ("..", "_"),
    ("Trail Shoe: \"X\"", "Trail_Shoe_X"), ("émoji 🎉", "émoji"), ("שלום", "שלום"),
    ("x\n\0y", "x_y"),
])
def test_names_are_sanitized(value, expected):
    assert sanitize_component(value) == expected
    name = format_name("{v}-{row}.mp4", Row(7, {"v": value}), 4)
    assert name == f"{expected}-0007.mp4"
    assert os.sep not in name and not name.startswith(".")


def test_long_names_fit_the_file_systems_255_bytes(tmp_path):
    # 3-byte letters: 2 x 80 characters kept per field would be 480 bytes
    row = Row(3, {"title": "漢字" * 50, "lang": "日本語" * 40})
    name = format_name("{title}-{lang}-{row}.mp4", row, 4)
    assert len(name.encode("utf-8")) <= 255 and name.endswith(".mp4")
    assert name.startswith("漢字漢字") and len(name.encode("utf-8")) >= 200
    (tmp_path / name).write_bytes(b"x")  # the file system takes it
    assert os.listdir(tmp_path) == [name]


def test_name_pattern_errors():
    with pytest.raises(EditspecError, match="must name a file, not a folder"):
        format_name("../{v}.mp4", Row(1, {"v": "x"}), 4)
    with pytest.raises(EditspecError, match=r"uses \{nope\}, which is not a column"):
        format_name("{nope}.mp4", Row(1, {"v": "x"}), 4)
    assert format_name("{v}", Row(1, {"v": "x"}), 4) == "x.mp4"


def test_duplicate_names_fail_before_anything_runs(media, tmp_path):
    table = _csv(tmp_path / "t.csv", "sku,price\nA,1\nb,2\na,3\n")
    with pytest.raises(EditspecError, match=r"row 1 and row 3 would both write a\.mp4"):
        make_jobs(Template(str(media / "recipe.yaml")), table, str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()
    # matrix keys missing from the pattern are appended, so variants never collide
    jobs = make_jobs(Template(str(media / "recipe.yaml")), table, str(tmp_path / "out"),
                     name="{row}", matrix=["aspect=9:16,1:1"])
    assert [j.name for j in jobs][:2] == ["0001-9_16.mp4", "0001-1_1.mp4"]


def test_bad_rows_name_row_and_column(media, tmp_path):
    table = _csv(tmp_path / "t.csv", "sku,price,logo\nok,9,\nnum,abc,\n"
                                     "esc,1,../../etc/passwd\nabs,1,/etc/passwd\n"
                                     "gone,1,nothere.png\n")
    tpl = Template(str(media / "recipe.yaml"))
    jobs = make_jobs(tpl, table, str(tmp_path / "out"))
    for j in jobs:
        compile_job(tpl, j)
    got = [(j.row.number, j.status, j.column) for j in jobs]
    assert got == [(1, "pending", None), (2, "invalid", "price"), (3, "invalid", "logo"),
                   (4, "invalid", "logo"), (5, "invalid", "logo")]
    assert jobs[1].error == "number expected: 'abc' is not a number"
    assert "outside the media root" in jobs[2].error and "outside the media root" in jobs[3].error
    assert "does not exist" in jobs[4].error


def test_adversarial_values_stay_data(media, tmp_path):
    """Every value reaches the EDL exactly as written; the graph's structure never changes."""
    from editspec.backends.ffmpeg import compile_filtergraph
    from editspec.batch.jobs import Hasher, plan_job
    from editspec.edl import TextOverlay, edl_from_dict

    lines = [json.dumps({"sku": f"s{i}", "price": 5, "title": v})
             for i, v in enumerate(["benign", *ADVERSARIAL])]
    table = tmp_path / "t.jsonl"
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tpl = Template(str(media / "recipe.yaml"))
    jobs = make_jobs(tpl, str(table), str(tmp_path / "out"))
    analyses: dict = {}
    for j in jobs:
        compile_job(tpl, j)
        assert j.status == "pending", j.error
        plan_job(tpl, j, analyses, Hasher(), {})
        edl = edl_from_dict(j.edl)
        texts = [o.text for o in edl.overlays if isinstance(o, TextOverlay)]
        assert texts == [j.row.values["title"], "5 €"]
        cmd = compile_filtergraph(edl, "out.mp4")
        # no text reaches ffmpeg: each title is a drawn PNG input; the graph has the same
        # structure as with a placeholder text (only the title's place differs)
        title = j.row.values["title"]
        graph = cmd.filtergraph
        if title.strip():
            assert title not in graph and all(title not in a for a in cmd.argv)
        titles = [a for a in cmd.argv if a.endswith(".png") and "titles" in a.split(os.sep)]
        assert len(titles) == 2 and "drawtext" not in graph
        plain = dataclasses.replace(edl, overlays=tuple(
            dataclasses.replace(o, text="PLACEHOLDER") if getattr(o, "text", None) == title
            else o for o in edl.overlays))
        shape = compile_filtergraph(plain, "out.mp4").filtergraph

        def placeless(g):
            return re.sub(r"overlay=x=[^:]*:y=[^:]*", "overlay=x=X:y=Y", g)

        assert placeless(graph) == placeless(shape)
    assert len(analyses) == 1


def test_values_never_change_the_recipe_structure(media, tmp_path):
    tpl = Template(str(media / "recipe.yaml"))
    table = tmp_path / "t.jsonl"
    table.write_text(json.dumps({"sku": "x", "price": 1,
                                 "title": "x\"}\noutput: {size: 8x8}\n#"}) + "\n")
    [job] = make_jobs(tpl, str(table), str(tmp_path / "out"))
    compile_job(tpl, job)
    assert (job.recipe.output.width, job.recipe.output.height) == (180, 320)
    assert len(job.recipe.overlays) == 3


@pytest.mark.parametrize("argv", [
    ["batch", "nope.yaml", "--table", "t.csv", "-o", "out"],
    ["batch", "recipe.yaml", "--table", "missing.csv", "-o", "out"],
    ["batch", "recipe.yaml", "--table", "t.csv", "-o", "out", "--matrix", "color=red"],
    ["batch", "recipe.yaml", "--table", "t.csv", "-o", "out", "--matrix", "aspect=3:2"],
])
def test_cli_bad_input_is_one_line_exit_2(media, tmp_path, argv, capsys, monkeypatch):
    from editspec.cli import main

    _csv(media / "t.csv", "sku,price\na,1\n")
    monkeypatch.chdir(media)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    proc = subprocess.run([sys.executable, "-m", "editspec", *argv], cwd=media,
                          capture_output=True, text=True)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr
