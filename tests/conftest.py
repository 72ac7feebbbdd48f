"""Shared fixtures: a private cache, tiny generated media, and no ERROR logs.

Also: the ``--update-golden`` option (golden files are rewritten and those tests are
skipped, never compared in the run that rewrote them), the ``realfootage`` marker of
the real-footage tier (``-m "not realfootage"`` leaves it out), and a derandomized
Hypothesis profile (the same examples on every run and machine; ``HYPOTHESIS_PROFILE=
explore`` searches afresh).
"""

from __future__ import annotations

import logging
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

import footage  # noqa: F401  (reads the user's cache folder before _private_cache)
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite golden files (tests/errors/cases/*.expected) from the "
                          "current output; those tests are then skipped, not compared")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "realfootage: the tier on real clips fetched from "
                                       "Debian and PyPI packages (tests/footage.py)")


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["EDITSPEC_CACHE"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(autouse=True)
def _no_error_logs(caplog: pytest.LogCaptureFixture):
    yield
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    assert not errors, f"ERROR logs during the test: {[r.getMessage() for r in errors]}"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture(scope="session")
def demo_song(tmp_path_factory: pytest.TempPathFactory):
    """The demo song (120 BPM, 4/4, 20 bars) and its ground truth."""
    from editspec.demo import synth_song

    path = str(tmp_path_factory.mktemp("song") / "song.ogg")
    _, truth = synth_song(path)
    return path, truth


@pytest.fixture(scope="session")
def small_clips(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The six demo clips at 160x90, 6 s each."""
    from editspec.demo import make_clips

    return make_clips(str(tmp_path_factory.mktemp("clips")), size=(160, 90), max_seconds=6)
