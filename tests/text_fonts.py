"""Fonts the title tests need: colour emoji and CJK, from the system or Debian packages.

`make system-deps` installs fonts-noto-color-emoji and fonts-droid-fallback where it
can. Without them, the packages are fetched with ``apt-get download`` into
``~/.cache/editspec/test-fonts`` (outside the tests' private cache, so once per
machine) and named by ``$EDITSPEC_FONT_DIRS``. Where neither works, the tests that
need them are skipped and say why.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess

PACKAGES = {"emoji": "fonts-noto-color-emoji", "cjk": "fonts-droid-fallback"}
FOLDER = os.path.expanduser("~/.cache/editspec/test-fonts")


def _clear() -> None:
    from editspec.text import fonts

    fonts._catalog.cache_clear()
    fonts._emoji_font.cache_clear()
    fonts._system_fallback.cache_clear()


def _have(kind: str) -> bool:
    from editspec.text import fonts

    if kind == "emoji":
        return fonts.emoji_font() is not None
    return fonts.font_for_cluster("今", fonts.builtin_font()) is not None


def _fetch(package: str) -> str | None:
    root = os.path.join(FOLDER, package)
    if glob.glob(os.path.join(root, "**", "*.tt[fc]"), recursive=True):
        return root
    if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        return None
    os.makedirs(root, exist_ok=True)
    try:
        subprocess.run(["apt-get", "download", package], cwd=root, capture_output=True,
                       timeout=300, check=True)
        for deb in glob.glob(os.path.join(root, "*.deb")):
            subprocess.run(["dpkg", "-x", deb, root], capture_output=True, timeout=300,
                           check=True)
            os.remove(deb)
    except (OSError, subprocess.SubprocessError):
        return None
    return root if glob.glob(os.path.join(root, "**", "*.tt[fc]"), recursive=True) else None


def ensure_fonts(kind: str) -> str | None:
    """Make a font of ``kind`` (``emoji``, ``cjk``) findable; return why not, or None."""
    if _have(kind):
        return None
    root = _fetch(PACKAGES[kind])
    if root is None:
        return (f"no {kind} font: install {PACKAGES[kind]} (make system-deps) or allow "
                f"apt-get download")
    dirs = [d for d in os.environ.get("EDITSPEC_FONT_DIRS", "").split(os.pathsep) if d]
    if root not in dirs:
        os.environ["EDITSPEC_FONT_DIRS"] = os.pathsep.join([*dirs, root])
    _clear()
    return None if _have(kind) else f"no {kind} font found in {root}"
