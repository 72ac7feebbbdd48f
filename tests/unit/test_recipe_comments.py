"""`editspec fmt` keeps every comment, both ways (README: a lossless conversion)."""

from __future__ import annotations

import pytest

from editspec.recipe import format_recipe
from editspec.recipe.comments import find_comments
from editspec.recipe.from_dsl import parse_dsl
from editspec.recipe.from_yaml import parse_yaml

YAML = """\
# heading: what this recipe is
version: 1   # always 1
output: {size: 1080x1920, fps: 30, duration: 20s}
music:
  file: "song#1.ogg"   # a '#' inside quotes is text
  start: 0s
# the clips
clips: ["clips/*.mp4"]
cuts:
  # fast in the chorus
  every: 2 beats
overlays:
  - text: |
      line one # not a comment
      line two
    start: 0s
    end: 2s
  - {text: "tag#x", start: 2s, end: 3s}   # trailing
# the end
"""
COMMENTS = ["# heading: what this recipe is", "# always 1", "# a '#' inside quotes is text",
            "# the clips", "# fast in the chorus", "# trailing", "# the end"]


def test_comments_are_found_and_text_is_not():
    assert [c.text for c in find_comments(YAML, "yaml")] == COMMENTS
    dsl = 'version 1 # one\nmusic "a#b.ogg" # the song\n# end\n'
    assert [c.text for c in find_comments(dsl, "dsl")] == ["# one", "# the song", "# end"]


@pytest.mark.parametrize("first", ["dsl", "yaml"])
def test_fmt_keeps_every_comment_both_ways(tmp_path, first):
    src = tmp_path / "r.yaml"
    src.write_text(YAML)
    (tmp_path / "clips").mkdir()
    want, _ = parse_yaml(YAML, "r.yaml")
    path = str(src)
    if first == "yaml":  # yaml -> yaml first: the same text comes back
        assert format_recipe(path, "yaml").splitlines()[0] == COMMENTS[0]
    dsl = format_recipe(path, "dsl")
    (tmp_path / "r.edit").write_text(dsl)
    assert [c.text for c in find_comments(dsl, "dsl")] == COMMENTS
    assert parse_dsl(dsl, "r.edit")[0] == want
    back = format_recipe(str(tmp_path / "r.edit"), "yaml")
    assert [c.text for c in find_comments(back, "yaml")] == COMMENTS
    assert parse_yaml(back, "b.yaml")[0] == want
    (tmp_path / "b.yaml").write_text(back)
    assert format_recipe(str(tmp_path / "b.yaml"), "yaml") == back  # a fixed point
    assert dsl.startswith("# heading: what this recipe is\n# always 1\nversion 1\n")
    assert dsl.rstrip().endswith("# the end")
