"""The test suite's own setup (tests/conftest.py): options and profiles the tests rely on."""

from __future__ import annotations

import os

import pytest


def test_update_golden_is_a_registered_option(pytestconfig):
    # unregistered, getoption raises; registered, it is off unless asked for
    assert pytestconfig.getoption("--update-golden") is False


def test_update_golden_rewrites_the_goldens_and_compares_nothing(tmp_path):
    """In a copy of tests/errors: a wrong golden fails; --update-golden rewrites every
    golden and skips (nothing passes in that run); the next plain run passes."""
    import shutil
    import subprocess
    import sys

    here = os.path.dirname(os.path.dirname(__file__))
    shutil.copytree(os.path.join(here, "errors"), tmp_path / "errors")
    for name in ("conftest.py", "footage.py"):
        shutil.copy(os.path.join(here, name), tmp_path / name)
    goldens = sorted((tmp_path / "errors" / "cases").glob("*.expected"))
    right = goldens[0].read_text()
    goldens[0].write_text("not what validate prints\n")

    def run(*extra):
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                               "-p", "no:randomly", str(tmp_path / "errors"), *extra],
                              capture_output=True, text=True, cwd=tmp_path)
        return proc.returncode, proc.stdout.strip().splitlines()[-1]

    code, summary = run()
    assert code == 1 and summary.startswith("1 failed"), summary
    code, summary = run("--update-golden")
    assert code == 0 and summary.startswith(f"1 passed, {len(goldens)} skipped"), summary
    assert goldens[0].read_text() == right
    code, summary = run()
    assert code == 0 and summary.startswith(f"{len(goldens) + 1} passed"), summary


@pytest.mark.skipif(os.environ.get("HYPOTHESIS_PROFILE", "ci") != "ci",
                    reason="another Hypothesis profile was asked for")
def test_hypothesis_is_derandomized():
    from hypothesis import settings

    assert settings().derandomize is True and settings().database is None


def test_footage_lives_in_the_users_cache_not_the_private_one():
    from footage import FOOTAGE_DIR

    assert not FOOTAGE_DIR.startswith(os.environ["EDITSPEC_CACHE"])


@pytest.mark.skipif(os.environ.get("HYPOTHESIS_PROFILE", "ci") != "ci",
                    reason="another Hypothesis profile was asked for")
def test_every_property_test_runs_derandomized():
    """The settings each @given test really runs with (its own settings() included)."""
    import glob
    import importlib
    import inspect

    here = os.path.dirname(os.path.dirname(__file__))
    tests = []
    for path in glob.glob(os.path.join(here, "**", "test_*.py"), recursive=True):
        with open(path, encoding="utf-8") as fh:
            if "hypothesis" not in fh.read():
                continue
        name = os.path.relpath(path, os.path.dirname(here))[:-3].replace(os.sep, ".")
        module = importlib.import_module(name)
        tests += [f for _, f in inspect.getmembers(module, inspect.isfunction)
                  if hasattr(f, "hypothesis")]
    assert len(tests) >= 3
    for f in tests:
        used = f._hypothesis_internal_use_settings
        assert used.derandomize is True and used.database is None, f.__name__
