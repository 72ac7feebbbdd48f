"""Bad recipes, each with the exact text `editspec validate` prints (cases/NAME.expected).

Media paths in the cases exist (an empty song and clip are made beside a copy), so the
expected text shows only the recipe problems. ``$DIR`` stands for the copy's folder.
"""

import os
import shutil

import pytest

from editspec.errors import RecipeErrors
from editspec.recipe import load_recipe
from editspec.recipe.report import format_errors

CASES = os.path.join(os.path.dirname(__file__), "cases")
NAMES = sorted(f for f in os.listdir(CASES) if f.endswith((".yaml", ".edit")))


def test_there_are_cases():
    assert len(NAMES) >= 5


@pytest.mark.parametrize("name", NAMES)
def test_error_text_exact(tmp_path, name, request):
    shutil.copy(os.path.join(CASES, name), tmp_path / name)
    (tmp_path / "clips").mkdir()
    (tmp_path / "clips" / "a.mp4").write_bytes(b"x")
    (tmp_path / "song.ogg").write_bytes(b"x")
    with pytest.raises(RecipeErrors) as info:
        load_recipe(str(tmp_path / name))
    text = format_errors(info.value).replace(str(tmp_path), "$DIR") + "\n"
    expected_path = os.path.join(CASES, os.path.splitext(name)[0] + ".expected")
    if request.config.getoption("--update-golden"):
        with open(expected_path, "w", encoding="utf-8") as fh:
            fh.write(text)
        pytest.skip(f"rewrote {expected_path}: review the diff, then run without "
                    "--update-golden")
    with open(expected_path, encoding="utf-8") as fh:
        assert text == fh.read()
