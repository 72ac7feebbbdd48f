"""Report data: everything the HTML timeline draws, as one JSON-ready dict.

Input: an EDL (and, when they can be had, the song's analysis, its decoded samples, a
render and its beat-grid check). Output: :func:`build_report_data`'s dict. Times on the
report's axis are output frames (integers) or output seconds; song curves are cut to the
EDL's music window (``music.start`` .. ``start + duration``) so that everything shares
one axis.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np

from editspec import __version__
from editspec.plot import COLORS, section_color

if TYPE_CHECKING:
    from editspec.analysis.audio import AudioAnalysis
    from editspec.check import CheckReport
    from editspec.edl import EDL

log = logging.getLogger(__name__)

RULE_COLORS = ("#2a9d8f", "#f4a259", "#3d5a80", "#d1495b", "#8ab17d", "#b5838d", "#6d597a",
               "#e9c46a")
"""Colour of each distinct rule, in rule order (none is a curve's colour of
:data:`editspec.plot.COLORS`, so a cut never reads as energy or salience)."""
MAX_WAVE_BINS = 20000
"""At most this many waveform peaks, whatever the song's length."""
WAVE_BINS_PER_S = 100
"""Waveform peaks per second for short songs."""


def wave_peaks(y: np.ndarray, sr: int, start_s: float, duration_s: float) -> dict[str, Any]:
    """Return the waveform of a song window as peaks in 0..255.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)], float in -1..1
        Mono samples of the whole song.
    sr : int
        Sample rate of ``y``, Hz.
    start_s : float
        Where the window starts in the song, seconds.
    duration_s : float
        Length of the window, seconds (> 0).

    Returns
    -------
    dict
        ``rate`` (peaks per second) and ``peaks`` (list of int, the absolute maximum of
        each bin, scaled so the loudest bin of the window is 255).
    """
    rate = min(float(WAVE_BINS_PER_S), MAX_WAVE_BINS / max(duration_s, 1e-9))
    n_bins = max(1, int(np.ceil(duration_s * rate)))
    a = max(0, round(start_s * sr))
    window = np.abs(np.asarray(y[a: a + round(duration_s * sr)], dtype=np.float32))
    edges = np.minimum(len(window), np.round(np.arange(n_bins + 1) * sr / rate).astype(np.int64))
    peaks = np.zeros(n_bins, np.float32)
    if len(window):
        starts = np.minimum(edges[:-1], len(window) - 1)
        peaks = np.maximum.reduceat(window, starts)
        peaks[edges[1:] <= edges[:-1]] = 0.0
    top = float(peaks.max()) if len(peaks) else 0.0
    scaled = np.round(peaks / top * 255) if top > 0 else peaks
    return {"rate": rate, "peaks": scaled.astype(int).tolist()}


def curve_window(values: np.ndarray, fps: float, start_s: float, duration_s: float) -> list[int]:
    """Return a song curve (0..1 at ``fps``) on the output's axis, as ints in 0..1000.

    Sample ``k`` is the curve at output time ``k / fps`` (song time ``start_s + k / fps``);
    past the curve's end it is 0.
    """
    n = int(np.ceil(duration_s * fps))
    idx = np.floor(start_s * fps + np.arange(n) + 0.5).astype(np.int64)
    out = np.zeros(n, np.float64)
    ok = (idx >= 0) & (idx < len(values))
    out[ok] = np.asarray(values, np.float64)[idx[ok]]
    return np.round(np.clip(out, 0.0, 1.0) * 1000).astype(int).tolist()


def _sections(edl: EDL) -> list[dict[str, Any]]:
    starts = [m for m in edl.markers if m.kind == "section"]
    out = []
    for i, m in enumerate(starts):
        end = starts[i + 1].frame if i + 1 < len(starts) else edl.duration_frames
        if end > m.frame:
            out.append({"start": m.frame, "end": end, "label": m.label or "section",
                        "color": section_color(m.label or "section")})
    return out


def _rule_order(rule: str) -> tuple[int, str]:
    """Sort key of a rule: its number (``"2: every 2 beats"``) first, then its text."""
    head = rule.split(":", 1)[0].strip()
    return (int(head) if head.isdigit() else 1 << 30, rule)


def cut_label(row: dict[str, Any], fallback: str = "") -> str:
    """The label of a cut: its rule, and the pace it really got when that is not the
    rule's (``1: every 1 beat → every 2 beats (min_shot 0.4s)``)."""
    rule = str(row.get("rule") or fallback or "(no rule recorded)")
    if row.get("bent_by"):
        rule += f" → {row.get('pace', '?')} ({row['bent_by']})"
    return rule


def _cut_rows(edl: EDL) -> list[dict[str, Any]]:
    """One row per cut: the plan's explain row when the EDL has it, else what events say."""
    explain = edl.meta.get("explain") or []
    by_frame = {r.get("frame"): r for r in explain if isinstance(r, dict)}
    fps = float(edl.fps)
    rows = []
    for ev in edl.events[1:]:
        r = by_frame.get(ev.rec_in, {})
        rows.append({
            "frame": ev.rec_in,
            "time": float(r.get("time", ev.rec_in / fps)),
            "event": str(r.get("event", "")),
            "energy": None if r.get("energy") is None else float(r["energy"]),
            "salience": None if r.get("salience") is None else float(r["salience"]),
            "clip": os.path.basename(ev.clip),
            "src_in": round(ev.src_in, 3),
            "src_out": round(ev.src_out, 3),
            "rule": cut_label(r, ev.why),
            "pace": str(r.get("pace", "")),
            "transition": ev.transition.kind if ev.transition else "cut",
        })
    return rows


def build_report_data(edl: EDL, *, audio: AudioAnalysis | None = None,
                      samples: tuple[np.ndarray, int] | None = None,
                      thumbnails: list[str | None] | None = None,
                      check: CheckReport | None = None, video: dict[str, Any] | None = None,
                      title: str = "", notes: list[str] | None = None) -> dict[str, Any]:
    """Return the report's data: the JSON object the page's script draws.

    Parameters
    ----------
    edl : EDL
        The edit.
    audio : AudioAnalysis, optional
        Analysis of ``edl.music`` (energy and salience curves; omitted when None).
    samples : (np.ndarray, int), optional
        Decoded song and its sample rate (the waveform; omitted when None).
    thumbnails : list of (str or None), optional
        One JPEG data URI per event (None where a frame could not be taken).
    check : CheckReport, optional
        The render's beat-grid check.
    video : dict, optional
        ``{"src": URL, "embedded": bool}`` of the render the page plays.
    title : str
        Page title (default: the recipe's file name).
    notes : list of str, optional
        What the report could not show, and why.

    Returns
    -------
    dict
        JSON-ready: frames are ints, curves are ints in 0..1000, waveform peaks in 0..255.
    """
    fps = float(edl.fps)
    duration_s = edl.duration_frames / fps
    start_s = edl.music.start if edl.music else 0.0
    cuts = _cut_rows(edl)
    order = sorted(dict.fromkeys(c["rule"] for c in cuts), key=_rule_order)
    counts = Counter(c["rule"] for c in cuts)
    rules = [{"name": name, "count": counts[name], "color": RULE_COLORS[i % len(RULE_COLORS)]}
             for i, name in enumerate(order)]
    index = {name: i for i, name in enumerate(order)}
    for c in cuts:
        c["rule_index"] = index[c["rule"]]
    beats = [m.frame for m in edl.markers if m.kind in ("beat", "downbeat")]
    downbeats = [m.frame for m in edl.markers if m.kind == "downbeat"]
    thumbs = thumbnails or [None] * len(edl.events)
    events = [{"rec_in": e.rec_in, "rec_out": e.rec_out, "clip": os.path.basename(e.clip),
               "src_in": round(e.src_in, 3), "src_out": round(e.src_out, 3),
               "transition": e.transition.kind if e.transition else "cut",
               "thumb": thumbs[i] if i < len(thumbs) else None}
              for i, e in enumerate(edl.events)]
    data: dict[str, Any] = {
        "generator": f"editspec {__version__}",
        "title": title or (os.path.basename(edl.recipe) if edl.recipe else "edit"),
        "recipe": edl.recipe,
        "fps": fps,
        "fps_text": str(edl.fps),
        "size": list(edl.size),
        "duration_frames": edl.duration_frames,
        "duration": duration_s,
        "seed": edl.seed,
        "tempo": edl.meta.get("tempo", audio.tempo if audio is not None else None),
        "beats_per_bar": edl.meta.get("beats_per_bar",
                                      audio.beats_per_bar if audio is not None else None),
        "tracker": edl.meta.get("tracker", audio.tracker if audio is not None else None),
        "music": None if edl.music is None else {
            "name": os.path.basename(edl.music.path), "start": edl.music.start},
        "colors": dict(COLORS),
        "beats": beats,
        "downbeats": downbeats,
        "sections": _sections(edl),
        "events": events,
        "cuts": cuts,
        "rules": rules,
        "curves": None,
        "wave": None,
        "check": None,
        "video": video,
        "notes": list(notes or []) + [f"plan warning: {w}"
                                      for w in edl.meta.get("warnings", [])],
    }
    if audio is not None:
        data["curves"] = {
            "fps": audio.energy_fps,
            "energy": curve_window(audio.energy, audio.energy_fps, start_s, duration_s),
            "salience": (curve_window(audio.salience, audio.energy_fps, start_s, duration_s)
                         if len(audio.salience) else None)}
        if not edl.meta.get("tempo"):
            data["tempo"] = round(audio.tempo, 3)
    if samples is not None:
        data["wave"] = wave_peaks(samples[0], samples[1], start_s, duration_s)
    if check is not None:
        data["check"] = {**check.to_dict(), "hard_cuts": sum(c.transition == "cut"
                                                             for c in check.cuts)}
    return data
