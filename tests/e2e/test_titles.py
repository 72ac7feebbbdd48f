"""Titles in real renders: decoded frames show the title inside the frame and the safe
zone, emoji in colour, Arabic and Japanese as glyphs (not .notdef boxes), and any text,
however hostile, drawn as written without ever entering the filtergraph."""

from __future__ import annotations

import colorsys
import os
import subprocess
from fractions import Fraction

import numpy as np
import pytest
from text_fonts import ensure_fonts

from editspec.backends.ffmpeg import compile_filtergraph
from editspec.backends.ffmpeg.render import write
from editspec.edl import EDL, Event, TextOverlay
from editspec.media import ffmpeg_exe, run_ffmpeg
from editspec.text import fonts
from editspec.text.raster import render_title_png

GRAY = 128
BATCH_ROW = 'She said "wow": 100% real 🔥'
ADVERSARIAL = [
    "it's: 50% off, [now]; \\o/",
    "%{pts} %{eif:1+1:d} %{localtime}",
    "a'b''c\\'d\\\\e",
    "line one\nline two",
    "x,drawbox=c=red:t=fill[out];[in]null",
    "{{title}} {0} %s $(rm -rf /) `id`",
    "emoji 🎉🔥 and ñ ü",
    ":=:=\\:",
]


def _gray_clip(folder, w, h, frames=10) -> str:
    path = os.path.join(folder, f"gray{w}x{h}.mp4")
    if not os.path.isfile(path):
        run_ffmpeg(["-y", "-f", "lavfi", "-i", f"color=c=0x808080:s={w}x{h}:r=30",
                    "-frames:v", str(frames), "-c:v", "libx264", "-pix_fmt", "yuv420p", path],
                   "gray clip")
    return path


def _render(tmp_path, overlays, w=1080, h=1920, frames=10):
    clip = _gray_clip(str(tmp_path), w, h, frames)
    edl = EDL(Fraction(30), (w, h), frames, None, (Event(clip, 0.0, frames / 30, 0, frames),),
              overlays=tuple(overlays))
    out = str(tmp_path / "out.mp4")
    write(edl, out, preset="ultrafast", crf=12, progress=False)
    return edl, out


def _frame(path, n, w, h) -> np.ndarray:
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error",
                           "-i", path, "-vf", f"select=eq(n\\,{n})", "-frames:v", "1",
                           "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                          capture_output=True, check=True)
    return np.frombuffer(proc.stdout, np.uint8).reshape(h, w, 3).astype(np.int16)


def _bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _title_pixels(frame: np.ndarray) -> np.ndarray:
    return np.abs(frame - GRAY).max(axis=2) > 40


def test_batch_row_stays_in_the_frame_and_the_safe_zone_with_colour_emoji(tmp_path):
    why = ensure_fonts("emoji")
    if why:
        pytest.skip(why)
    o = TextOverlay(BATCH_ROW, 0, 10, size=80, shadow="#000000b3")
    _, out = _render(tmp_path, [o])
    frame = _frame(out, 5, 1080, 1920)
    mask = _title_pixels(frame)
    assert mask.sum() > 5000
    x0, y0, x1, y1 = _bbox(mask)
    # the 9:16 safe zone documented in docs/render.md: 12 % sides, 14 % top, 35 % bottom
    assert x0 >= 0.12 * 1080 and x1 <= 0.88 * 1080, (x0, x1)
    assert y0 >= 0.14 * 1920 and y1 <= 0.65 * 1920, (y0, y1)
    assert y1 > 0.6 * 1920  # at the bottom of the zone
    # the fire emoji: saturated orange-red pixels, at the end of the last line
    rgb = frame.astype(np.float64) / 255
    hsv = np.array([colorsys.rgb_to_hsv(*p) for p in rgb[y0:y1, x0:x1].reshape(-1, 3)])
    hot = (hsv[:, 1] > 0.6) & (hsv[:, 2] > 0.5) & ((hsv[:, 0] < 0.17) | (hsv[:, 0] > 0.95))
    assert hot.sum() > 800
    ys, xs = np.divmod(np.nonzero(hot)[0], x1 - x0)
    assert ys.mean() > (y1 - y0) / 2 and xs.mean() > (x1 - x0) / 2


def _notdef_mask(text: str, size: int) -> np.ndarray:
    """Tofu: DejaVu Sans's .notdef box (drawn for a private-use character) in place of
    every character of the text."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(fonts.builtin_font(), size)
    tofu = "".join(" " if c == " " else "\ue000" for c in text)
    img = Image.new("L", (4000, 3 * size), 0)
    ImageDraw.Draw(img).text((10, size), tofu, font=font, fill=255)
    return np.asarray(img) > 128


def _crop(mask: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = _bbox(mask)
    return mask[y0:y1, x0:x1]


def _resized(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    img = Image.fromarray(mask.astype(np.uint8) * 255).resize(shape[::-1])
    return np.asarray(img) > 128


@pytest.mark.parametrize(("text", "kind"), [("مرحبا بالعالم", None), ("こんにちは世界", "cjk")])
def test_arabic_and_japanese_rows_draw_glyphs_not_boxes(tmp_path, text, kind, caplog):
    if kind:
        why = ensure_fonts(kind)
        if why:
            pytest.skip(why)
    o = TextOverlay(text, 0, 10, size=96, position="center")
    _, out = _render(tmp_path, [o], 1080, 1080)
    frame = _frame(out, 5, 1080, 1080)
    ink = frame.min(axis=2) > 220  # white glyph pixels
    assert ink.sum() > 1500
    assert not [r for r in caplog.records if "no installed font has" in r.getMessage()]
    drawn, boxes = _crop(ink), _crop(_notdef_mask(text, 96))
    boxes = _resized(boxes, drawn.shape)
    iou = (drawn & boxes).sum() / (drawn | boxes).sum()
    assert iou < 0.4, iou


def test_hostile_text_is_drawn_as_written_and_never_enters_the_graph(tmp_path):
    w, h = 320, 180
    overlays = [TextOverlay(t, i, i + 1, size=18, position="center", shadow="")
                for i, t in enumerate(ADVERSARIAL)]
    edl, out = _render(tmp_path, overlays, w, h, frames=len(ADVERSARIAL))
    cmd = compile_filtergraph(edl, "o.mp4")
    for t in ADVERSARIAL:
        for piece in t.split():
            if len(piece) > 3:
                assert piece not in cmd.filtergraph and all(piece not in a for a in cmd.argv)
    from PIL import Image

    for i, o in enumerate(overlays):
        title = render_title_png(o, (w, h))
        expected = Image.new("RGBA", (w, h), (GRAY, GRAY, GRAY, 255))
        expected.alpha_composite(Image.open(title.path), (title.x, title.y))
        want = np.asarray(expected.convert("RGB")).astype(np.int16)
        got = _frame(out, i, w, h)
        ink = _title_pixels(want)
        assert ink.sum() > 50, o.text
        # the frame shows this title (yuv 4:2:0 blurs colour edges a little) and no other
        assert np.abs(got - want)[ink].mean() < 30, o.text
        assert np.abs(got - want).mean() < 3, o.text


def test_entrance_fades_and_slides_on_the_beat_frames(tmp_path):
    o = TextOverlay("Beat", 0, 10, size=60, position="center", shadow="", enter="slide-up",
                    enter_frames=4, exit="fade", exit_frames=3)
    _, out = _render(tmp_path, [o], 320, 320)
    tops, inks = [], []
    for n in range(10):
        frame = _frame(out, n, 320, 320)
        inks.append(int((frame.min(axis=2) > 200).sum()))
        seen = np.abs(frame - GRAY).max(axis=2) > 12
        tops.append(_bbox(seen)[1] if seen.any() else None)
    # frame 0 is fully transparent, frames 4..6 fully drawn at rest, the last fades out
    assert inks[0] == 0 and inks[4] > 200
    assert abs(inks[5] - inks[4]) < 20 and abs(inks[6] - inks[4]) < 20
    assert tops[1] is not None and tops[1] > tops[4] and tops[4] == tops[6]
    assert inks[9] < inks[6]


def test_box_outline_shadow_and_colour_are_drawn_as_asked(tmp_path):
    boxed = TextOverlay("BOX", 0, 10, size=60, position="top", color="#ffff00", box="#0000ff",
                        shadow="")
    outlined = TextOverlay("LINE", 0, 10, size=60, position="bottom", color="#ffffff",
                           outline="#ff0000", shadow="")
    shadowed = TextOverlay("DARK", 0, 10, size=60, position="center", color="#ffffff",
                           shadow="#000000")
    _, out = _render(tmp_path, [boxed, outlined, shadowed], 320, 320)
    f = _frame(out, 5, 320, 320)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    top, mid, bottom = slice(0, 107), slice(107, 213), slice(213, 320)
    blue = (b > 180) & (r < 80) & (g < 80)
    yellow = (r > 180) & (g > 180) & (b < 80)
    red = (r > 180) & (g < 80) & (b < 80)
    white = f.min(axis=2) > 200
    dark = f.max(axis=2) < 60
    # the top title: yellow letters on a blue box, nothing of the others
    assert blue[top].sum() > 2000 and yellow[top].sum() > 300
    # (white only where 4:2:0 chroma averages a yellow edge with the blue)
    assert red[top].sum() == 0 and white[top].sum() < yellow[top].sum() / 4
    # the bottom one: white letters ringed in red, no box and no shadow
    assert red[bottom].sum() > 300 and white[bottom].sum() > 300
    assert blue[bottom].sum() == 0 and dark[bottom].sum() < 20
    ys = np.nonzero(white[bottom])[0]
    ry = np.nonzero(red[bottom])[0]
    assert ry.min() < ys.min() and ry.max() > ys.max()  # the ring around the letters
    # the centre one: white letters with a black shadow below and to the right of them
    assert white[mid].sum() > 300 and dark[mid].sum() > 300 and red[mid].sum() == 0
    w, d = white[mid], dark[mid]  # dark 3 px below-right of a letter pixel, not above-left
    below_right, above_left = (w[:-3, :-3] & d[3:, 3:]).sum(), (w[3:, 3:] & d[:-3, :-3]).sum()
    assert below_right > 3 * above_left + 50, (below_right, above_left)
