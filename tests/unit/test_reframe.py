"""Reframing: the crop window of a cover reframe, and the subject path."""

from __future__ import annotations

import pytest

from editspec.analysis.video.reframe import crop_box, crop_size
from editspec.edl import Reframe


def test_crop_size_of_9_16_from_16_9() -> None:
    assert crop_size(1920, 1080, 1080, 1920) == pytest.approx(((9 / 16) ** 2, 1.0))
    assert crop_size(1080, 1920, 1920, 1080) == pytest.approx((1.0, (9 / 16) ** 2))


def test_crop_box_clamps_to_the_picture_and_follows_the_track() -> None:
    w = (9 / 16) ** 2
    assert crop_box(Reframe("cover", (0.0, 0.5)), 0, 1920, 1080, 1080, 1920) == \
        pytest.approx((0.0, 0.0, w, 1.0))
    tr = Reframe("cover", (0.2, 0.5), ((0.0, 0.2, 0.5), (2.0, 0.8, 0.5)))
    x0, _, x1, _ = crop_box(tr, 1.0, 1920, 1080, 1080, 1920)
    assert (x0 + x1) / 2 == pytest.approx(0.5)
    x0, _, x1, _ = crop_box(tr, 5.0, 1920, 1080, 1080, 1920)  # held after the last point
    assert x1 == pytest.approx(min(1.0, 0.8 + w / 2))
    assert crop_box(Reframe("fit-blur"), 0, 1920, 1080, 1080, 1920) == (0, 0, 1, 1)
