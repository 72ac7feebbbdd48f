"""Use a learned style: per-beat cut probabilities, scores, statistics, planner salience.

:func:`predict_beats` runs the style network over a song's beats, feeding its own cut
decisions back as the cut history (beat by beat, as an editor works through a song).
:func:`style_salience` gives the planner that probability as cut salience
(``cuts: {style: FILE}``), handed to it by the pipeline as :func:`style_cuts`; the
planner's :func:`~editspec.plan.cuts.style_dp` turns it into the gains of the cut
dynamic programme, so the style decides where to cut while the recipe's interval
(a soft target), ``min_shot`` and ``max_shot`` still hold. :func:`score_cuts` is the
precision/recall/F1 within ±1 frame of ``editspec learn --report``;
:func:`style_statistics` describes a set of edits.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from editspec.style.data import TOLERANCE_FRAMES, Example, history_features

if TYPE_CHECKING:
    from editspec.analysis.audio import AudioAnalysis
    from editspec.plan.state import StyleCuts

THRESHOLD = 0.5
"""A beat is cut on when its probability reaches this."""
STYLE_BEAT_S = 0.035
"""A planner candidate within this many seconds of a beat takes the beat's probability."""


def predict_beats(model: Any, mean: Any, std: Any, features: np.ndarray) -> np.ndarray:
    """Cut probability of every beat, the model's own cuts fed back as history.

    Runs in numpy (no torch): a torch :class:`~editspec.style.net.StyleGRU` (while
    learning) is read as its :class:`~editspec.style.model.StyleNet` first.

    Parameters
    ----------
    model : StyleNet or StyleGRU
        The style network.
    mean, std : array [shape=(n_music,)]
        Feature normalization of the style.
    features : np.ndarray [shape=(n_beats, n_music)]
        :func:`~editspec.style.data.beat_features` of the beats, in order; the first
        beat follows a cut (the start of the edit).

    Returns
    -------
    np.ndarray [shape=(n_beats,)], float in 0..1
    """
    n = len(features)
    if n == 0:
        return np.zeros(0)
    if hasattr(model, "to_net"):
        model = model.to_net()
    mean, std = (np.asarray(v.detach().numpy() if hasattr(v, "detach") else v, np.float32)
                 for v in (mean, std))
    x = (np.asarray(features, np.float32) - mean) / std
    ctx = model.encode(x)
    # the head is tiny: run it beat by beat, the history projection kept per value
    w1, b1, w2, b2 = model.head
    n_ctx = ctx.shape[1]
    pre = ctx @ w1[:, :n_ctx].T + b1
    wh = w1[:, n_ctx:]
    hist_proj = {}
    out = np.zeros(n)
    since = 1
    for i in range(n):
        key = min(since, 64)
        if key not in hist_proj:
            hist_proj[key] = wh @ history_features(key)
        h = np.maximum(pre[i] + hist_proj[key], 0.0)
        z = float(h @ w2 + b2)
        out[i] = 1.0 / (1.0 + np.exp(-z))
        since = 1 if out[i] >= THRESHOLD else since + 1
    return out


def predict_example(model: Any, mean: Any, std: Any, ex: Example) -> np.ndarray:
    """Predicted cut frames of an example (the frames of the beats cut on)."""
    p = predict_beats(model, mean, std, ex.features)
    return ex.beat_frames[p >= THRESHOLD]


def match_cuts(pred: Sequence[int], true: Sequence[int],
               tolerance: int = TOLERANCE_FRAMES) -> tuple[int, int, int]:
    """Greedy one-to-one matching within ``tolerance`` frames: (hits, false, missed)."""
    pred_s = sorted(int(p) for p in pred)
    true_s = sorted(int(t) for t in true)
    used = [False] * len(true_s)
    hits = 0
    for p in pred_s:
        k = int(np.searchsorted(true_s, p - tolerance))
        while k < len(true_s) and true_s[k] <= p + tolerance:
            if not used[k]:
                used[k] = True
                hits += 1
                break
            k += 1
    return hits, len(pred_s) - hits, len(true_s) - hits


def prf(hits: int, false: int, missed: int) -> dict[str, float]:
    """Precision, recall and F1 from counts."""
    p = hits / (hits + false) if hits + false else 0.0
    r = hits / (hits + missed) if hits + missed else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
            "hits": hits, "false": false, "missed": missed}


def score_cuts(pairs: Sequence[tuple[Sequence[int], Sequence[int]]]) -> dict[str, float]:
    """Pooled precision/recall/F1 of (predicted, true) cut-frame lists within ±1 frame."""
    h = f = m = 0
    for pred, true in pairs:
        a, b, c = match_cuts(pred, true)
        h, f, m = h + a, f + b, m + c
    return prf(h, f, m)


def downbeat_baseline(ex: Example) -> np.ndarray:
    """The every-downbeat baseline's cut frames for an example."""
    return ex.beat_frames[ex.downbeat]


def evaluate(model: Any, mean: Any, std: Any, examples: Sequence[Example]) -> dict[str, Any]:
    """Scores of a style and of the every-downbeat baseline on examples' true cuts."""
    style = score_cuts([(predict_example(model, mean, std, ex), ex.cut_frames)
                        for ex in examples])
    base = score_cuts([(downbeat_baseline(ex), ex.cut_frames) for ex in examples])
    return {"videos": len(examples), "style": style, "downbeat_baseline": base}


def style_statistics(examples: Sequence[Example]) -> dict[str, Any]:
    """Describe the cutting in examples: shot lengths in beats, downbeat share, pace vs energy.

    Returns
    -------
    dict
        ``median_shot_beats``, ``share_on_downbeats`` (of the cuts on beats),
        ``share_on_beats`` (of all cuts), ``pace_energy_rho`` (Spearman correlation of a
        shot's music energy with its pace, 1 / length), and the median shot length in
        beats of the quieter and the louder half of the shots.
    """
    from scipy.stats import spearmanr

    lengths, energies = [], []
    on_down = on_beat = total = 0
    for ex in examples:
        total += len(ex.cut_frames)
        cut_beats = np.flatnonzero(ex.labels > 0.5)
        on_beat += len(cut_beats)
        on_down += int(ex.downbeat[cut_beats].sum())
        bounds = [0, *cut_beats.tolist(), ex.n_beats]
        for a, b in itertools.pairwise(bounds):
            if b > a and a > 0 and b < ex.n_beats:  # whole shots between two cuts on beats
                lengths.append(b - a)
                energies.append(float(np.mean(ex.energy[a:b])))
    out: dict[str, Any] = {"cuts": total,
                           "share_on_beats": round(on_beat / total, 4) if total else 0.0,
                           "share_on_downbeats": round(on_down / on_beat, 4) if on_beat else 0.0}
    if lengths:
        la, en = np.asarray(lengths, float), np.asarray(energies)
        out["median_shot_beats"] = float(np.median(la))
        rho = spearmanr(en, 1.0 / la).statistic if len(set(la)) > 1 and len(set(en)) > 1 else 0.0
        out["pace_energy_rho"] = round(float(np.nan_to_num(rho)), 4)
        mid = float(np.median(en))
        out["median_shot_beats_quiet"] = float(np.median(la[en <= mid]))
        out["median_shot_beats_loud"] = float(np.median(la[en > mid])) if (en > mid).any() \
            else out["median_shot_beats_quiet"]
    return out


_LOADED: dict[tuple[str, float], Any] = {}


def load_cached(path: str) -> Any:
    """:func:`~editspec.style.model.load_style`, kept per path and modification time."""
    from editspec.style.model import load_style

    key = (os.path.abspath(path), os.path.getmtime(path) if os.path.exists(path) else 0.0)
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = load_style(path)
    return _LOADED[key]


def style_beats(path: str, audio: AudioAnalysis) -> tuple[np.ndarray, np.ndarray]:
    """The song's beats and the style's cut probability at each (its own decisions fed
    back as history; kept per style file and song).

    Raises
    ------
    ModelError
        When the style file cannot be loaded.
    """
    from editspec.style.data import beat_features

    key = (os.path.abspath(path), os.path.getmtime(path) if os.path.exists(path) else 0.0,
           getattr(audio, "path", ""), len(audio.beats),
           float(np.sum(audio.beats)) if len(audio.beats) else 0.0)
    if key not in _PREDICTED:
        model, mean, std, _ = load_cached(path)
        _PREDICTED.clear()
        _PREDICTED[key] = predict_beats(model, mean, std, beat_features(audio))
    return np.asarray(audio.beats, dtype=np.float64), _PREDICTED[key]


_PREDICTED: dict[tuple[Any, ...], np.ndarray] = {}


def style_salience(path: str, audio: AudioAnalysis) -> Callable[[Any], np.ndarray]:
    """The style's cut probability as a salience curve for the planner.

    Parameters
    ----------
    path : str
        Style file.
    audio : AudioAnalysis
        The song.

    Returns
    -------
    callable
        Song time(s) → the cut probability of the beat within :data:`STYLE_BEAT_S` of
        each, 0 away from beats.

    Raises
    ------
    ModelError
        When the style file cannot be loaded.
    """
    return beat_salience(*style_beats(path, audio))


def beat_salience(beats: np.ndarray, p: np.ndarray) -> Callable[[Any], np.ndarray]:
    """Song time(s) → ``p`` of the beat within :data:`STYLE_BEAT_S` of each, 0 away
    from ``beats`` (the salience curve of :func:`style_salience`)."""

    def salience_at(seconds: Any) -> np.ndarray:
        t = np.atleast_1d(np.asarray(seconds, dtype=np.float64))
        out = np.zeros(len(t))
        if len(beats):
            k = np.clip(np.searchsorted(beats, t), 1, len(beats) - 1) if len(beats) > 1 \
                else np.zeros(len(t), np.int64)
            prev = np.where(len(beats) > 1, k - 1, 0)
            near = np.where(np.abs(beats[prev] - t) <= np.abs(beats[k] - t), prev, k)
            ok = np.abs(beats[near] - t) <= STYLE_BEAT_S
            out[ok] = p[near[ok]]
        return out.reshape(np.shape(seconds)) if np.ndim(seconds) else out

    return salience_at


def style_cuts(path: str, audio: AudioAnalysis) -> StyleCuts:
    """The style of ``path`` on this song, as the planner takes it (``cuts.style``):
    :func:`style_salience`, the beats and their probabilities (:func:`style_beats`) and
    :data:`THRESHOLD`.

    Raises
    ------
    ModelError
        When the style file cannot be loaded.
    """
    from editspec.plan.state import StyleCuts

    beats, p = style_beats(path, audio)
    return StyleCuts(style_salience(path, audio), beats, p, THRESHOLD)


def format_report(summary: dict[str, Any]) -> str:
    """The text of ``editspec learn --report`` from a style's summary."""
    lines = []
    data = summary.get("data", {})
    lines.append(f"style learned from {data.get('train_videos', 0)} videos "
                 f"({data.get('train_beats', 0)} beats), validated on "
                 f"{data.get('val_videos', 0)} held-out videos; "
                 f"{data.get('corrections', 0)} corrected timelines")
    for item in data.get("skipped", []):
        lines.append(f"  not used: {item.get('video')}: {item.get('reason')}")
    tr = summary.get("training", {})
    if tr:
        lines.append(f"training: best epoch {tr.get('best_epoch')} of {tr.get('epochs_run')}, "
                     f"validation loss {tr.get('val_loss', float('nan')):.4f}, "
                     f"{tr.get('seconds', 0):.1f}s")
    held = summary.get("held_out")
    if held:
        lines.append(f"held-out cuts (within ±{TOLERANCE_FRAMES} frame), "
                     f"{held.get('videos', 0)} videos:")
        lines.append(f"  {'':20s} {'precision':>9s} {'recall':>7s} {'F1':>6s}")
        for name, key in (("learned style", "style"), ("every downbeat", "downbeat_baseline")):
            s = held.get(key, {})
            lines.append(f"  {name:20s} {s.get('precision', 0):9.3f} {s.get('recall', 0):7.3f} "
                         f"{s.get('f1', 0):6.3f}")
    st = summary.get("statistics", {})
    if st:
        lines.append("style statistics (all videos):")
        lines.append(f"  median shot length: {st.get('median_shot_beats', float('nan')):g} beats "
                     f"(quiet half {st.get('median_shot_beats_quiet', float('nan')):g}, "
                     f"loud half {st.get('median_shot_beats_loud', float('nan')):g})")
        lines.append(f"  cuts on beats: {100 * st.get('share_on_beats', 0):.0f}%, of which on "
                     f"downbeats: {100 * st.get('share_on_downbeats', 0):.0f}%")
        rho = st.get("pace_energy_rho", 0.0)
        how = "faster when louder" if rho > 0.2 else "slower when louder" if rho < -0.2 \
            else "hardly follows energy"
        lines.append(f"  pace vs energy: Spearman rho {rho:+.2f} ({how})")
    corr = summary.get("corrections")
    if corr:
        lines.append(f"corrections: {corr}")
    return "\n".join(lines)
