"""Fetching the corpus' Debian packages (``apt-get download`` + ``dpkg -x`` into the cache,
never into git) and finding fluidsynth and the soundfonts in them."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from dataclasses import dataclass

from editspec.errors import CorpusError

log = logging.getLogger(__name__)

MIDI_PACKAGES = ("openttd-openmsx", "simutrans-data", "mma", "freedink-data", "pianobooster")
"""Debian packages whose MIDI files are the songs."""
SOUNDFONT_PACKAGES = ("fluid-soundfont-gm", "musescore-general-soundfont-small",
                      "timgm6mb-soundfont")
"""Debian packages holding General MIDI soundfonts."""
FLUIDSYNTH_PACKAGES = ("fluidsynth", "libfluidsynth3", "libinstpatch-1.0-2")
"""fluidsynth and the libraries a stock Debian system may lack, run from the unpacked tree."""
DATA_LICENCES = {
    "openttd-openmsx": "GPL-2.0",
    "simutrans-data": "Artistic-1.0",
    "mma": "GPL-2+",
    "freedink-data": "zlib-style (original Dink Smallwood data); GPL and CC-BY-3.0 (replacements)",
    "pianobooster": "GPL-3+ (parts CC-BY, MIT)",
    "fluid-soundfont-gm": "MIT",
    "musescore-general-soundfont-small": "MIT",
    "timgm6mb-soundfont": "GPL-2",
}


def fetch_packages(names: tuple[str, ...], root: str) -> dict[str, str]:
    """Download Debian packages and unpack them under ``root/pkgs/NAME``.

    Parameters
    ----------
    names : tuple of str
        Package names.
    root : str
        The corpus folder.

    Returns
    -------
    dict
        Package name → folder it was unpacked into.

    Raises
    ------
    CorpusError
        When ``apt-get`` or ``dpkg`` is missing or a download fails.
    """
    for tool in ("apt-get", "dpkg"):
        if shutil.which(tool) is None:
            raise CorpusError(f"building the corpus needs {tool!r} (a Debian-based system)")
    debs = os.path.join(root, "debs")
    os.makedirs(debs, exist_ok=True)
    out: dict[str, str] = {}
    missing = [n for n in names if not _deb_for(debs, n)]
    if missing:
        proc = subprocess.run(["apt-get", "download", *missing], cwd=debs, capture_output=True,
                              text=True)
        if proc.returncode != 0 and os.geteuid() == 0:  # stale package lists: refresh once
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True)
            proc = subprocess.run(["apt-get", "download", *missing], cwd=debs,
                                  capture_output=True, text=True)
        if proc.returncode != 0:
            raise CorpusError(f"apt-get download {' '.join(missing)} failed: "
                              f"{proc.stderr.strip().splitlines()[-1:]}")
    for name in names:
        deb = _deb_for(debs, name)
        if deb is None:
            raise CorpusError(f"package {name} was not downloaded")
        dest = os.path.join(root, "pkgs", name)
        stamp = os.path.join(dest, ".unpacked")
        if not os.path.isfile(stamp):
            os.makedirs(dest, exist_ok=True)
            subprocess.run(["dpkg", "-x", deb, dest], check=True)
            with open(stamp, "w") as fh:
                fh.write(os.path.basename(deb))
        out[name] = dest
    return out


def _deb_for(folder: str, name: str) -> str | None:
    for f in sorted(os.listdir(folder)):
        if f.startswith(name + "_") and f.endswith(".deb"):
            return os.path.join(folder, f)
    return None


@dataclass(frozen=True, slots=True)
class Synth:
    """A runnable fluidsynth."""

    exe: str
    """The binary."""
    env: dict[str, str]
    """Environment to run it with (``LD_LIBRARY_PATH`` for an unpacked tree)."""


def find_fluidsynth(root: str) -> Synth:
    """Return a runnable fluidsynth: on PATH, else unpacked from Debian's packages.

    The unpacked binary runs with ``LD_LIBRARY_PATH`` pointing into its tree. When it
    still lacks a system library and we are root, ``apt-get install fluidsynth`` is the
    last resort.

    Raises
    ------
    CorpusError
        When no fluidsynth can be run.
    """
    exe = shutil.which("fluidsynth")
    if exe and _runs(exe, dict(os.environ)):
        return Synth(exe, dict(os.environ))
    dirs = fetch_packages(FLUIDSYNTH_PACKAGES, root)
    libdirs = []
    for d in dirs.values():
        for sub in ("usr/lib/x86_64-linux-gnu", "usr/lib/aarch64-linux-gnu", "usr/lib"):
            if os.path.isdir(os.path.join(d, sub)):
                libdirs.append(os.path.join(d, sub))
    exe = os.path.join(dirs["fluidsynth"], "usr", "bin", "fluidsynth")
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = os.pathsep.join([*libdirs, env.get("LD_LIBRARY_PATH", "")])
    if _runs(exe, env):
        return Synth(exe, env)
    if os.geteuid() == 0:
        log.warning("unpacked fluidsynth lacks system libraries; installing it with apt-get")
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "fluidsynth"],
                       capture_output=True)
        exe2 = shutil.which("fluidsynth")
        if exe2 and _runs(exe2, dict(os.environ)):
            return Synth(exe2, dict(os.environ))
    raise CorpusError("cannot run fluidsynth (unpacked from Debian's package; "
                      "install it with `apt-get install fluidsynth`)")


def _runs(exe: str, env: dict[str, str]) -> bool:
    try:
        proc = subprocess.run([exe, "--version"], env=env, capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def find_soundfonts(dirs: dict[str, str]) -> list[tuple[str, str]]:
    """Return ``(name, path)`` of every ``.sf2``/``.sf3`` in the unpacked soundfont packages."""
    out = []
    for pkg in SOUNDFONT_PACKAGES:
        for base, _, files in sorted(os.walk(dirs.get(pkg, "/nonexistent"))):
            for f in sorted(files):
                if f.lower().endswith((".sf2", ".sf3")):
                    out.append((os.path.splitext(f)[0], os.path.join(base, f)))
    return out
