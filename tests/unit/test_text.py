"""Text engine: font resolution, layout (wrap, shrink, warn, safe zone), drawing."""

from __future__ import annotations

import logging
import os
import shutil

import numpy as np
import pytest
from fontTools.ttLib import TTFont
from text_fonts import ensure_fonts

from editspec.edl import TextOverlay
from editspec.errors import BackendError
from editspec.text import fonts
from editspec.text.layout import layout_title
from editspec.text.raster import draw_title, parse_color, render_title_png

BATCH_ROW = 'She said "wow": 100% real 🔥'
# 9:16 safe zone as docs/render.md states it: 12 % each side, 14 % top, 35 % bottom
ZONE_9_16 = (0.12 * 1080, 0.14 * 1920, 0.88 * 1080, 0.65 * 1920)


def _face(spec: str) -> tuple[str, str, int]:
    """(family, subfamily, weight) that a font file's own tables state."""
    path, index = fonts.split_spec(spec)
    font = TTFont(path, fontNumber=index, lazy=True)
    name = font["name"]
    return name.getBestFamilyName(), name.getBestSubFamilyName(), font["OS/2"].usWeightClass


@pytest.mark.parametrize(("name", "weight", "family", "want"), [
    ("DejaVu Sans Bold", None, "DejaVu Sans", 700),
    ("DejaVu Sans", "bold", "DejaVu Sans", 700),
    ("dejavusans-bold", None, "DejaVu Sans", 700),
    ("DejaVu Sans", None, "DejaVu Sans", 400),
    ("DejaVu Sans", 700, "DejaVu Sans", 700),
])
def test_family_and_weight_resolve_to_the_face_that_says_so(name, weight, family, want):
    fam, sub, w = _face(fonts.resolve_font(name, weight))
    assert fam == family and w == want and ("Bold" in sub) == (want == 700)


def test_an_unknown_font_is_an_error_never_a_substitute():
    with pytest.raises(fonts.FontNotFoundError, match=r"^font 'Zzyzx Qwerty Display' is not "
                                                      r"installed$"):
        fonts.resolve_font("Zzyzx Qwerty Display")
    with pytest.raises(fonts.FontNotFoundError, match="font weight 'heavyish' is not one of"):
        fonts.resolve_font("DejaVu Sans", "heavyish")


def test_without_fontconfig_the_font_folders_are_scanned(tmp_path, monkeypatch):
    shutil.copy(fonts.builtin_font(700), tmp_path / "Brand-Heading.ttf")
    monkeypatch.setattr(fonts.shutil, "which", lambda name: None)
    monkeypatch.setenv("EDITSPEC_FONT_DIRS", str(tmp_path))
    fonts._catalog.cache_clear()
    try:
        faces = [f for f in fonts.catalog() if f.path == str(tmp_path / "Brand-Heading.ttf")]
        assert len(faces) == 1 and faces[0].families == ("DejaVu Sans",)
        assert faces[0].weight == 700 and not faces[0].italic
    finally:
        fonts._catalog.cache_clear()


def test_the_shipped_fonts_are_dejavu_and_small():
    for weight, want in ((400, 400), (700, 700)):
        path = fonts.builtin_font(weight)
        assert _face(path)[0] == "DejaVu Sans" and _face(path)[2] == want
    folder = os.path.dirname(fonts.builtin_font())
    assert sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder)) < 1_600_000
    assert os.path.isfile(os.path.join(folder, "LICENSE-DejaVu.txt"))


def test_batch_row_wraps_inside_the_platform_safe_zone():
    o = TextOverlay(BATCH_ROW, 0, 30, size=80, shadow="#000000b3")
    lay = layout_title(o, 1080, 1920)
    assert len(lay.lines) == 2 and lay.size == 80 and not lay.problem
    left, top, right, bottom = lay.block
    assert left - lay.pad[0] >= ZONE_9_16[0] and right + lay.pad[0] <= ZONE_9_16[2]
    assert top - lay.pad[1] >= ZONE_9_16[1] and bottom + lay.pad[1] <= ZONE_9_16[3]
    # bottom means the bottom of the zone, not of the frame
    assert ZONE_9_16[3] - (bottom + lay.pad[1]) <= 2
    full = layout_title(TextOverlay(BATCH_ROW, 0, 30, size=80, safe_area="none"), 1080, 1920)
    assert full.block[3] == 1920 and full.block[2] - full.block[0] > 0.76 * 1080
    wide = layout_title(TextOverlay(BATCH_ROW, 0, 30, size=80), 1920, 1080)
    assert wide.block[3] == 1080 - round(0.05 * 1080) and len(wide.lines) == 1


def test_long_words_shrink_then_warn_naming_the_overlay(caplog):
    lay = layout_title(TextOverlay("Incomprehensibilities", 0, 30, size=90), 1080, 1920)
    assert 54 <= lay.size < 90 and len(lay.lines) == 1 and not lay.problem
    assert lay.block[2] - lay.block[0] <= 0.76 * 1080
    word = "Pneumonoultramicroscopicsilicovolcanoconiosis"
    huge = TextOverlay(" ".join([word] * 12), 0, 30, size=120, min_size=100)
    with caplog.at_level(logging.WARNING):
        img = render_title_png(huge, (1080, 1920), index=3)
    assert img.layout.size == 100 and img.layout.problem
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(m.startswith("title overlay 3 'Pneumonoultramicroscopicsilicovolcanoco…' does "
                            "not fit its area at the minimum size 100 px") for m in messages)


def test_japanese_wraps_between_characters_and_never_starts_a_line_with_a_stop():
    why = ensure_fonts("cjk")
    if why:
        pytest.skip(why)
    text = "今日は、とても良い天気です。明日も晴れるでしょう。"
    lay = layout_title(TextOverlay(text, 0, 30, size=90), 1080, 1920)
    lines = ["".join(r.text for r in line) for line in lay.lines]
    assert len(lines) >= 2 and "".join(lines) == text and not lay.missing
    assert not any(line[0] in "、。" for line in lines)


def _components(mask: np.ndarray) -> int:
    from scipy import ndimage

    return int(ndimage.label(mask > 128)[1])


def test_arabic_is_shaped_and_joined_right_to_left():
    from PIL import Image, ImageDraw, ImageFont

    text = "مرحبا بالعالم"
    o = TextOverlay(text, 0, 30, size=60, safe_area="none", position="center")
    lay = layout_title(o, 1080, 1080)
    assert not lay.missing and len(lay.lines) == 1
    img, _, _ = draw_title(o, lay)
    shaped = np.asarray(img)[..., 3]
    font = ImageFont.truetype(fonts.builtin_font(), 60, layout_engine=ImageFont.Layout.BASIC)
    basic = Image.new("L", (1000, 120), 0)
    ImageDraw.Draw(basic).text((10, 10), text, font=font, fill=255)
    # joined letters: far fewer separate shapes than the 12 isolated letters drawn unshaped
    assert _components(shaped) < _components(np.asarray(basic)) - 3


def test_colours_are_checked():
    assert parse_color("#ff000080", "text") == (255, 0, 0, 128)
    assert parse_color("white", "text") == (255, 255, 255, 255)
    with pytest.raises(BackendError, match=r"text colour 'red;drawbox' is not #rrggbb"):
        parse_color("red;drawbox", "text")


def test_an_emoji_without_an_emoji_font_is_one_warning(caplog, monkeypatch):
    monkeypatch.setattr(fonts, "emoji_font", lambda: None)
    with caplog.at_level(logging.WARNING):
        render_title_png(TextOverlay("hot 🔥 take", 0, 5, size=40), (640, 360), index=0)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["title overlay 0 'hot 🔥 take' has emoji but no colour emoji font is "
                        "installed: " + fonts.EMOJI_HINT]
