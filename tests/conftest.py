"""Shared fixtures: a private cache, tiny generated media, and no ERROR logs."""

from __future__ import annotations

import logging
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))


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
