"""Fonts: a family and weight (or a face name) → a font file, as the system resolves it.

The catalogue is fontconfig's (``fc-list``) where fontconfig is installed, otherwise a
scan of the standard font folders (read with fontTools); folders in
``$EDITSPEC_FONT_DIRS`` (``os.pathsep``-separated) come first, and the fonts shipped
with editspec (DejaVu Sans and DejaVu Sans Bold, ``editspec/text/fonts``, Bitstream
Vera licence) come last, so nothing depends on a system font. A name that matches no
installed face is a :class:`FontNotFoundError`, never a silent substitute.

Per character, :func:`font_for_cluster` picks the first font of the fallback chain
that has a glyph for it: the title's font, the shipped DejaVu Sans, a colour emoji font
for emoji, then whatever font fontconfig (or the catalogue) offers for that character
(CJK, Arabic ...).
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from importlib import resources

from editspec.errors import FontNotFoundError

log = logging.getLogger(__name__)

WEIGHTS = {"thin": 100, "extralight": 200, "light": 300, "regular": 400, "normal": 400,
           "book": 400, "medium": 500, "semibold": 600, "bold": 700, "extrabold": 800,
           "black": 900}
"""Weight names (CSS / OpenType ``usWeightClass``)."""
BUILTIN = {400: "DejaVuSans.ttf", 700: "DejaVuSans-Bold.ttf"}
"""Fonts shipped in ``editspec/text/fonts``, by weight."""
GENERIC = ("sans-serif", "sans", "serif", "monospace", "mono", "emoji")
"""Generic family names: fontconfig's alias, whatever it is on this system."""
EMOJI_FAMILIES = ("noto color emoji", "apple color emoji", "segoe ui emoji", "twemoji mozilla",
                  "twitter color emoji", "joypixels", "emojione color", "openmoji color")
"""Colour emoji families, in order of preference."""
EMOJI_HINT = ("install a colour emoji font (Debian/Ubuntu: apt install fonts-noto-color-emoji; "
              "or put NotoColorEmoji.ttf in ~/.local/share/fonts)")
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts",
             "/Library/Fonts", "/System/Library/Fonts", "~/Library/Fonts", "C:/Windows/Fonts",
             "~/AppData/Local/Microsoft/Windows/Fonts")
"""Standard font folders, scanned where there is no fontconfig."""
FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
# fontconfig weight scale → OpenType (FcWeightToOpenType's table)
_FC_WEIGHTS = ((0, 100), (40, 200), (50, 300), (55, 350), (75, 380), (80, 400), (100, 500),
               (180, 600), (200, 700), (205, 800), (210, 900), (215, 950))


@dataclass(frozen=True, slots=True)
class FontFace:
    """One face of a font file."""

    path: str
    """Font file."""
    index: int
    """Face index in a collection (.ttc), else 0."""
    families: tuple[str, ...]
    """Family names (fontconfig may list localized ones)."""
    styles: tuple[str, ...]
    """Style names (``Bold``, ``Regular`` ...)."""
    names: tuple[str, ...]
    """Full and PostScript names."""
    weight: int
    """OpenType weight, 100..950."""
    italic: bool
    """Slanted."""

    @property
    def spec(self) -> str:
        """The font as the EDL stores it: ``path`` or ``path#index`` for a collection face."""
        return self.path if self.index == 0 else f"{self.path}#{self.index}"


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name).lower()


def parse_weight(weight: str | int | None) -> int | None:
    """Return a weight name or number as an OpenType weight (100..950), or None.

    Raises
    ------
    FontNotFoundError
        For a name that is not one of :data:`WEIGHTS` or a number out of 1..1000.
    """
    if weight is None or weight == "":
        return None
    if isinstance(weight, int) or str(weight).isdigit():
        w = int(weight)
        if not 1 <= w <= 1000:
            raise FontNotFoundError(f"font weight {w} must be in 1..1000")
        return w
    key = _norm(str(weight))
    if key not in WEIGHTS:
        raise FontNotFoundError(f"font weight {weight!r} is not one of {', '.join(WEIGHTS)} "
                                f"or a number 100..900")
    return WEIGHTS[key]


def builtin_font(weight: int | None = None) -> str:
    """Return the shipped DejaVu Sans (``weight`` >= 600: DejaVu Sans Bold) file."""
    name = BUILTIN[700 if (weight or 400) >= 600 else 400]
    return str(resources.files("editspec").joinpath("text", "fonts", name))


def _fc_weight(value: float) -> int:
    for (f0, o0), (f1, o1) in itertools.pairwise(_FC_WEIGHTS):
        if f0 <= value <= f1:
            return round(o0 + (o1 - o0) * (value - f0) / (f1 - f0))
    return 950 if value > 215 else 100


def _split(field: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in field.split(",") if v.strip())


def _fc_list() -> list[FontFace]:
    exe = shutil.which("fc-list")
    if exe is None:
        return []
    fmt = ("%{file}\t%{index}\t%{family}\t%{style}\t%{fullname}\t%{postscriptname}\t"
           "%{weight}\t%{slant}\n")
    try:
        out = subprocess.run([exe, "--format", fmt], capture_output=True, text=True, timeout=60,
                             check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    faces = []
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) != 8 or not parts[0].lower().endswith(FONT_SUFFIXES):
            continue
        path, index, family, style, full, ps, weight, slant = parts
        try:
            w = _fc_weight(float(weight.split()[0].strip("[]") or 80))
        except ValueError:
            w = 400
        faces.append(FontFace(path, int(index or 0), _split(family), _split(style),
                              (*_split(full), *_split(ps)), w, slant.strip() not in ("", "0")))
    return faces


def _read_faces(path: str) -> list[FontFace]:
    """Faces of one font file, read with fontTools (no fontconfig)."""
    from fontTools.ttLib import TTCollection, TTFont, TTLibError

    try:
        if path.lower().endswith((".ttc", ".otc")):
            fonts = list(TTCollection(path, lazy=True).fonts)
        else:
            fonts = [TTFont(path, lazy=True)]
    except (OSError, TTLibError, AssertionError, ValueError, KeyError):
        return []
    faces = []
    for index, font in enumerate(fonts):
        try:
            name = font["name"]
            family = name.getBestFamilyName() or ""
            sub = name.getBestSubFamilyName() or ""
            full = name.getBestFullName() or ""
            ps = name.getDebugName(6) or ""
            os2 = font.get("OS/2", None)
            weight = int(os2.usWeightClass) if os2 is not None else 400
            italic = bool(os2.fsSelection & 1) if os2 is not None else "italic" in sub.lower()
        except (KeyError, AttributeError, TypeError, ValueError):
            continue
        faces.append(FontFace(path, index, (family,), (sub,), (full, ps), weight, italic))
    return faces


def _scan(folders: list[str]) -> list[FontFace]:
    faces = []
    for folder in folders:
        folder = os.path.expanduser(folder)
        if not os.path.isdir(folder):
            continue
        for root, dirs, files in os.walk(folder):
            dirs.sort()
            for f in sorted(files):
                if f.lower().endswith(FONT_SUFFIXES):
                    faces.extend(_read_faces(os.path.join(root, f)))
    return faces


def extra_font_dirs() -> list[str]:
    """Folders named by ``$EDITSPEC_FONT_DIRS``."""
    return [d for d in os.environ.get("EDITSPEC_FONT_DIRS", "").split(os.pathsep) if d]


@functools.lru_cache(maxsize=4)
def _catalog(extra: tuple[str, ...]) -> tuple[FontFace, ...]:
    faces = _scan(list(extra))
    system = _fc_list()
    faces += system if system else _scan(list(FONT_DIRS))
    for weight, name in BUILTIN.items():
        full = "DejaVu Sans" + (" Bold" if weight == 700 else "")
        faces.append(FontFace(builtin_font(weight), 0, ("DejaVu Sans",),
                              ("Bold" if weight == 700 else "Book",),
                              (full, name.removesuffix(".ttf")), weight, False))
    return tuple(faces)


def catalog() -> tuple[FontFace, ...]:
    """All faces this system offers: ``$EDITSPEC_FONT_DIRS``, the system's, the shipped ones."""
    return _catalog(tuple(extra_font_dirs()))


def _pick(faces: list[FontFace], weight: int | None, italic: bool) -> FontFace:
    target = weight or 400

    def key(f: FontFace) -> tuple[int, int, int, str, int]:
        # CSS font matching: nearest weight, heavier preferred above 500, lighter below
        d = abs(f.weight - target)
        side = 0 if (f.weight >= target) == (target > 500) or f.weight == target else 1
        return (f.italic != italic, d, side, f.path, f.index)

    return min(faces, key=key)


def _fc_match(pattern: str) -> FontFace | None:
    exe = shutil.which("fc-match")
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "--format", "%{file}\t%{index}", pattern], capture_output=True,
                             text=True, timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    path, _, index = out.partition("\t")
    if not path or not os.path.isfile(path):
        return None
    for f in catalog():
        if f.path == path and f.index == int(index or 0):
            return f
    return FontFace(path, int(index or 0), (), (), (), 400, False)


def resolve_font(name: str, weight: str | int | None = None, *, italic: bool = False) -> str:
    """Return the font file (``path`` or ``path#index``) for a family or face name.

    Parameters
    ----------
    name : str
        A family (``DejaVu Sans``), a face's full or PostScript name (``DejaVu Sans Bold``,
        ``DejaVuSans-Bold``), or a generic family (``sans-serif``, ``serif``, ``monospace``);
        case, spaces and hyphens do not matter.
    weight : str or int, optional
        ``bold``, ``light`` ... or 100..900: the nearest weight of the family (CSS rules).
    italic : bool
        Prefer an italic face.

    Raises
    ------
    FontNotFoundError
        When no installed face has that family or name.
    """
    w = parse_weight(weight)
    key = _norm(name)
    faces = catalog()
    family = [f for f in faces if key in {_norm(x) for x in f.families}]
    exact = [f for f in faces if key in {_norm(x) for x in f.names} or
             key in {_norm(fam + st) for fam in f.families for st in f.styles}]
    if exact and (w is None or not family):
        return _pick(exact, w, italic).spec
    if family:
        return _pick(family, w, italic).spec
    if key in {_norm(g) for g in GENERIC}:
        pattern = name + (f":weight={w}" if w else "")
        found = _fc_match(pattern)
        return found.spec if found else builtin_font(w)
    from editspec.hints import did_you_mean

    names = sorted({fam for f in faces for fam in f.families})
    close = did_you_mean(name, names)
    hint = f" (did you mean {close!r}?)" if close else ""
    raise FontNotFoundError(f"font {name!r} is not installed{hint}")


def looks_like_file(value: str) -> bool:
    """True when a font value names a file rather than a family."""
    return value.lower().endswith(FONT_SUFFIXES) or "/" in value or os.sep in value


def split_spec(spec: str) -> tuple[str, int]:
    """``path#index`` → (path, index)."""
    path, sep, index = spec.rpartition("#")
    if sep and index.isdigit():
        return path, int(index)
    return spec, 0


# --------------------------------------------------------------------------- coverage


@functools.lru_cache(maxsize=64)
def coverage(spec: str) -> frozenset[int]:
    """Code points a font file (``path`` or ``path#index``) has glyphs for."""
    from fontTools.ttLib import TTFont, TTLibError

    path, index = split_spec(spec)
    try:
        font = TTFont(path, fontNumber=index, lazy=True)
        cmap = font.getBestCmap() or {}
    except (OSError, TTLibError, AssertionError, ValueError, KeyError):
        return frozenset()
    return frozenset(cmap)


@functools.lru_cache(maxsize=16)
def is_color_font(spec: str) -> bool:
    """True for a font with colour glyphs (CBDT, COLR or sbix tables)."""
    from fontTools.ttLib import TTFont, TTLibError

    path, index = split_spec(spec)
    try:
        font = TTFont(path, fontNumber=index, lazy=True)
    except (OSError, TTLibError, AssertionError, ValueError):
        return False
    return any(t in font for t in ("CBDT", "COLR", "sbix"))


@functools.lru_cache(maxsize=1)
def _emoji_font(extra: tuple[str, ...]) -> str | None:
    faces = catalog()
    for fam in EMOJI_FAMILIES:
        for f in faces:
            if fam in {x.lower() for x in f.families} and is_color_font(f.spec):
                return f.spec
    found = _fc_match("emoji:color=true")
    if found is not None and is_color_font(found.spec):
        return found.spec
    return None


def emoji_font() -> str | None:
    """The colour emoji font file, or None when this system has none."""
    return _emoji_font(tuple(extra_font_dirs()))


_EMOJI_BMP = frozenset([0x231A, 0x231B, 0x23E9, 0x23EA, 0x23EB, 0x23EC, 0x23F0, 0x23F3, 0x25FD,
                        0x25FE, 0x2614, 0x2615, *range(0x2648, 0x2654), 0x267F, 0x2693, 0x26A1,
                        0x26AA, 0x26AB, 0x26BD, 0x26BE, 0x26C4, 0x26C5, 0x26CE, 0x26D4, 0x26EA,
                        0x26F2, 0x26F3, 0x26F5, 0x26FA, 0x26FD, 0x2705, 0x270A, 0x270B, 0x2728,
                        0x274C, 0x274E, 0x2753, 0x2754, 0x2755, 0x2757, 0x2795, 0x2796, 0x2797,
                        0x27B0, 0x27BF, 0x2B1B, 0x2B1C, 0x2B50, 0x2B55])


def is_emoji(cluster: str) -> bool:
    """True for a cluster shown as a colour emoji (emoji presentation, or text + U+FE0F)."""
    cp = ord(cluster[0])
    if "\ufe0f" in cluster or "\u20e3" in cluster:
        return True
    return 0x1F000 <= cp <= 0x1FAFF or cp in _EMOJI_BMP


def _joins(prev: str, ch: str) -> bool:
    cp = ord(ch)
    if prev.endswith("\u200d") or cp == 0x200D or cp in (0xFE0E, 0xFE0F, 0x20E3):
        return True
    if 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F:  # skin tones, flag tags
        return True
    if 0x1F1E6 <= cp <= 0x1F1FF and len(prev) == 1 and 0x1F1E6 <= ord(prev) <= 0x1F1FF:
        return True  # a flag: two regional indicators
    return unicodedata.category(ch) in ("Mn", "Me", "Mc")


def clusters(text: str) -> list[str]:
    """Split text into clusters that one font must draw (a character and what joins it)."""
    out: list[str] = []
    for ch in text:
        if out and _joins(out[-1], ch):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _has(spec: str, cluster: str) -> bool:
    return ord(cluster[0]) in coverage(spec)


@functools.lru_cache(maxsize=4096)
def _system_fallback(cp: int, extra: tuple[str, ...]) -> str | None:
    found = _fc_match(f"sans-serif:charset={cp:x}")
    if found is not None and cp in coverage(found.spec):
        return found.spec
    for f in catalog():
        if not is_color_font(f.spec) and cp in coverage(f.spec):
            return f.spec
    return None


def font_for_cluster(cluster: str, primary: str) -> str | None:
    """Return the font that draws a cluster: the title's, DejaVu, emoji, or a fallback.

    None when no font of this system has a glyph for it (the caller warns and skips it).
    """
    if cluster.isspace() or unicodedata.category(cluster[0]) in ("Cc", "Cf"):
        return primary
    if is_emoji(cluster):
        emoji = emoji_font()
        if emoji is not None and ord(cluster[0]) in coverage(emoji):
            return emoji
    for spec in (primary, builtin_font(400)):
        if _has(spec, cluster):
            return spec
    return _system_fallback(ord(cluster[0]), tuple(extra_font_dirs()))
