"""Recorded drum kits for the training corpus: Hydrogen's sampled kits played from the
MIDI drum track, so the network hears real kick, snare and cymbal recordings with
velocity layers instead of General MIDI soundfont drums.

The kits come from Debian's ``hydrogen-drumkits`` and ``hydrogen-data`` packages (fetched
like the other corpus packages, never into git; GPL, CC-BY-SA, CC-BY and CC0 kits). Each
kit's ``drumkit.xml`` names its instruments; a General MIDI drum note is played on the
kit's instrument of the same role (kick, snare, closed or open hi-hat, tom, crash, ride),
by roles read from the instrument names. Hand-percussion kits are left out.
"""

from __future__ import annotations

import functools
import glob
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import numpy as np

from editspec.grid import SR

KIT_PACKAGES = ("hydrogen-drumkits", "hydrogen-data")
"""Debian packages holding Hydrogen's drum kits."""
KIT_LICENCES = {"hydrogen-drumkits": "GPL-2+, CC-BY-SA-3.0, CC-BY-3.0, CC0 (per kit)",
                "hydrogen-data": "GPL-2+"}
LEFT_OUT = ("Gimme A Hand", "circAfrique")
"""Kits of hand percussion only (no kick, snare or cymbals)."""

GM_ROLE = {35: "kick", 36: "kick", 37: "stick", 38: "snare", 40: "snare", 39: "clap",
           42: "hat", 44: "hat", 46: "hat_open", 41: "tom", 43: "tom", 45: "tom", 47: "tom",
           48: "tom", 50: "tom", 49: "crash", 52: "crash", 55: "crash", 57: "crash",
           51: "ride", 53: "ride", 59: "ride"}
"""General MIDI drum notes and the role of the kit instrument that plays them."""
FALLBACK = {"stick": "snare", "clap": "snare", "hat_open": "hat", "ride": "hat",
            "crash": "ride", "tom": "snare"}
"""What plays a role the kit lacks."""


def role_of(name: str) -> str | None:
    """The role of a kit instrument from its name (``None``: not used)."""
    n = name.lower()
    if any(w in n for w in ("kick", "bass drum", "bassdrum", "bd ")):
        return "kick"
    if "roll" in n or "swish" in n or "choke" in n:
        return None
    if "clap" in n:
        return "clap"
    if "stick" in n:
        return "stick"
    if "snare" in n or "rimshot" in n:
        return "snare"
    if "hat" in n or "hh" in n.split() or n.endswith("hh"):
        return "hat_open" if ("open" in n or " op" in n or "semi" in n) else (
            None if "pedal" in n else "hat")
    if "tom" in n:
        return "tom"
    if "crash" in n or "splash" in n or "cymbal" in n:
        return "crash"
    if "ride" in n:
        return "ride"
    return None


@dataclass(frozen=True)
class Kit:
    """One loaded kit: per role, its instruments' velocity layers."""

    name: str
    roles: dict[str, list[list[tuple[float, float, float, np.ndarray]]]]
    """role → instruments → layers (min velocity, max velocity, gain, mono samples at SR)."""

    def play(self, role: str, velocity: float, rng: np.random.Generator) -> np.ndarray | None:
        """The sample of ``role`` at ``velocity`` (0..1), scaled; None if nothing plays it."""
        r = role
        while r not in self.roles and r in FALLBACK:
            r = FALLBACK[r]
        insts = self.roles.get(r)
        if not insts:
            return None
        layers = insts[int(rng.integers(len(insts)))]
        pick = [lay for lay in layers if lay[0] <= velocity <= lay[1] + 1e-6] or layers
        _, _, gain, y = pick[int(rng.integers(len(pick)))]
        return y * (gain * velocity)


def find_kits(dirs: dict[str, str]) -> list[str]:
    """The drumkit.xml files of usable kits under the unpacked packages, sorted."""
    out = []
    for d in dirs.values():
        out += glob.glob(os.path.join(d, "usr/share/hydrogen/data/drumkits/*/drumkit.xml"))
    return sorted(p for p in out if not any(x in p for x in LEFT_OUT))


def _text(el: ET.Element, tag: str, default: str = "") -> str:
    for child in el:
        if child.tag.split("}")[-1] == tag:
            return child.text or default
    return default


def _children(el: ET.Element, tag: str) -> list[ET.Element]:
    return [c for c in el.iter() if c.tag.split("}")[-1] == tag]


@functools.cache
def load_kit(xml_path: str) -> Kit:
    """Read a kit: its instruments by role, each layer resampled to mono at :data:`SR`."""
    import soundfile
    from scipy.signal import resample_poly

    root = ET.parse(xml_path).getroot()
    folder = os.path.dirname(xml_path)
    roles: dict[str, list[list[tuple[float, float, float, np.ndarray]]]] = {}
    for inst in _children(root, "instrument"):
        role = role_of(_text(inst, "name"))
        if role is None or _text(inst, "isMuted") == "true":
            continue
        gain = float(_text(inst, "gain", "1") or 1) * float(_text(inst, "volume", "1") or 1)
        layers: list[tuple[float, float, float, np.ndarray]] = []
        entries = _children(inst, "layer") or [inst]  # old kits: one file per instrument
        for lay in entries:
            fname = _text(lay, "filename")
            path = os.path.join(folder, fname)
            if not fname or not os.path.isfile(path):
                continue
            try:
                y, sr = soundfile.read(path, dtype="float32", always_2d=True)
            except Exception:  # an unreadable sample is skipped
                continue
            y = y.mean(axis=1)[: int(4 * sr)]  # cymbal tails beyond 4 s add nothing
            if sr != SR:
                g = np.gcd(int(sr), SR)
                y = resample_poly(y, SR // g, int(sr) // g).astype(np.float32)
            lo = float(_text(lay, "min", "0") or 0) if lay is not inst else 0.0
            hi = float(_text(lay, "max", "1") or 1) if lay is not inst else 1.0
            lg = float(_text(lay, "gain", "1") or 1) if lay is not inst else 1.0
            layers.append((lo, hi, gain * lg, y))
        if layers:
            roles.setdefault(role, []).append(layers)
    return Kit(os.path.basename(folder), roles)


def render_drums(notes: list[Any], kit: Kit, n_samples: int, t0: float,
                 rng: np.random.Generator) -> np.ndarray:
    """Mix the kit's samples for MIDI drum ``notes`` (times in the render's seconds) into a
    mono track of ``n_samples`` starting at ``t0`` s."""
    out = np.zeros(n_samples, np.float32)
    for n in notes:
        role = GM_ROLE.get(int(n.pitch))
        if role is None:
            continue
        y = kit.play(role, n.velocity / 127.0, rng)
        if y is None:
            continue
        i = round((n.start - t0) * SR)
        if i >= n_samples or i + len(y) <= 0:
            continue
        a, b = max(0, i), min(n_samples, i + len(y))
        out[a:b] += y[a - i:b - i]
    return out
