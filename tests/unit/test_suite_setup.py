"""The test suite's own setup (tests/conftest.py): options and profiles the tests rely on."""

from __future__ import annotations

import os

import pytest


def test_update_golden_is_a_registered_option(pytestconfig):
    # unregistered, getoption raises; registered, it is off unless asked for
    assert pytestconfig.getoption("--update-golden") is False


@pytest.mark.skipif(os.environ.get("HYPOTHESIS_PROFILE", "ci") != "ci",
                    reason="another Hypothesis profile was asked for")
def test_hypothesis_is_derandomized():
    from hypothesis import settings

    assert settings().derandomize is True and settings().database is None


def test_footage_lives_in_the_users_cache_not_the_private_one():
    from footage import FOOTAGE_DIR

    assert not FOOTAGE_DIR.startswith(os.environ["EDITSPEC_CACHE"])
