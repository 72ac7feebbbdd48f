"""Training: the corpus of :mod:`editspec.train.corpus` → the weights file of
:mod:`editspec.model.weights`.

Run by ``editspec train`` (never imported by the CLI at start-up). Seeded: epoch ``e``
draws its crops from ``default_rng([seed, e])`` and seeds torch with ``seed * 1000 + e``,
so a run resumed from its checkpoint continues exactly as an uninterrupted one. After
every epoch the full state (model, optimizer, schedule, best model, history) is saved to
``cache_dir()/train/last.pt`` (weights-only loadable); the best epoch by validation
F-measure (beat + downbeat, peak picking, ±70 ms) is written as the weights file.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from editspec.model import weights
from editspec.train import corpus
from editspec.train.gru import BeatGRU, GRUConfig, features, run_network

log = logging.getLogger(__name__)

TOLERANCE_S = 0.07
"""Beat-matching tolerance of the validation F-measure, seconds (mir_eval's default)."""


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """Optimization settings; stored in the weights' metadata."""

    seed: int = 0
    """Seed of crops, batch order, dropout and initial weights."""
    epochs: int = 30
    """Passes over the training renders."""
    batch: int = 16
    """Excerpts per step."""
    crop_frames: int = 1292
    """Network frames per training crop: 1292 is a whole 30 s excerpt, so the bidirectional
    GRU sees as much context as in inference (24 s chunks). Crops of 768 (18 s) scored
    the same on validation and train in 21 instead of 37 minutes (model card)."""
    lr: float = 3e-3
    """Peak learning rate (AdamW, one-cycle schedule)."""
    weight_decay: float = 1e-4
    """AdamW weight decay."""
    head_weights: tuple[float, float, float] = (1.0, 1.0, 0.5)
    """Loss weight of the beat, downbeat and salience heads."""
    pos_weight: float | tuple[float, float] = 4.0
    """Weight of positive frames of beat and downbeat (they are rare); a pair gives the
    beat and the downbeat head their own weights."""
    threads: int = 2
    """torch CPU threads."""
    model: GRUConfig = field(default_factory=GRUConfig)
    """The network."""


def targets(entry_arrays: dict[str, np.ndarray], n: int, fps: float) -> np.ndarray:
    """Return frame targets ``(n, 3)``: beat, downbeat (1 at the frame, 0.5 beside) and
    salience (Gaussian bumps of the event weights, sigma 1.5 frames, max-combined)."""
    y = np.zeros((n, 3), np.float32)
    for k, key in enumerate(("beats", "downbeats")):
        f = np.round(entry_arrays[key] * fps).astype(int)
        for d, v in ((-1, 0.5), (1, 0.5), (0, 1.0)):
            g = f + d
            g = g[(g >= 0) & (g < n)]
            y[g, k] = np.maximum(y[g, k], v)
    t = np.arange(n) / fps
    for s, w in zip(entry_arrays["salience_times"], entry_arrays["salience_weights"], strict=True):
        lo, hi = max(0, int(s * fps) - 6), min(n, int(s * fps) + 7)
        bump = w * np.exp(-0.5 * ((t[lo:hi] - s) * fps / 1.5) ** 2)
        y[lo:hi, 2] = np.maximum(y[lo:hi, 2], bump)
    return y


def pick_peaks(act: np.ndarray, fps: float, threshold: float = 0.3,
               min_gap_s: float = 0.12) -> np.ndarray:
    """Return times (s) of local maxima above ``threshold`` at least ``min_gap_s`` apart."""
    w = max(1, round(min_gap_s * fps / 2))
    from scipy.ndimage import maximum_filter1d

    peak = (act == maximum_filter1d(act, 2 * w + 1)) & (act > threshold)
    return np.flatnonzero(peak) / fps


def f_measure(est: np.ndarray, ref: np.ndarray, tol: float = TOLERANCE_S) -> float:
    """F-measure of estimated against reference event times, one-to-one within ``tol``."""
    if len(ref) == 0 and len(est) == 0:
        return 1.0
    if len(ref) == 0 or len(est) == 0:
        return 0.0
    used = np.zeros(len(est), bool)
    hits = 0
    for r in ref:
        d = np.abs(est - r)
        d[used] = np.inf
        i = int(np.argmin(d))
        if d[i] <= tol:
            used[i] = True
            hits += 1
    p, rc = hits / len(est), hits / len(ref)
    return 0.0 if hits == 0 else 2 * p * rc / (p + rc)


@dataclass
class _Set:
    names: list[str]
    x: list[np.ndarray]
    y: list[np.ndarray]
    beats: list[np.ndarray]
    downbeats: list[np.ndarray]


def load_split(manifest: dict[str, Any], split: str, cfg: GRUConfig, root: str | None = None,
               progress: bool = False) -> _Set:
    """Compute features and targets of every render of one split."""
    from tqdm import tqdm

    entries = [e for e in manifest["renders"] if e["split"] == split]
    out = _Set([], [], [], [], [])
    for e in tqdm(entries, desc=f"features {split}", disable=not progress, leave=False):
        d = corpus.load_render(e, root)
        x = features(d["audio"], cfg)
        out.names.append(e["name"])
        out.x.append(x.astype(np.float16))
        out.y.append(targets(d, len(x), cfg.fps))
        out.beats.append(d["beats"])
        out.downbeats.append(d["downbeats"])
    return out


def _batches(data: _Set, tc: TrainConfig, rng: np.random.Generator):
    order = rng.permutation(len(data.x))
    for i in range(0, len(order) - tc.batch + 1, tc.batch):
        xs, ys = [], []
        for j in order[i:i + tc.batch]:
            x, y = data.x[j], data.y[j]
            n = min(tc.crop_frames, len(x))
            s = int(rng.integers(0, len(x) - n + 1))
            xp = np.zeros((tc.crop_frames, x.shape[1]), np.float32)
            yp = np.full((tc.crop_frames, y.shape[1]), -1.0, np.float32)  # -1: padding, no loss
            xp[:n], yp[:n] = x[s:s + n], y[s:s + n]
            xs.append(xp)
            ys.append(yp)
        yield torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ys))


def _loss(logits: torch.Tensor, y: torch.Tensor, tc: TrainConfig) -> torch.Tensor:
    mask = (y >= 0).float()
    yt = y.clamp(min=0)
    pb, pd = (tc.pos_weight, tc.pos_weight) if np.isscalar(tc.pos_weight) else tc.pos_weight
    pw = torch.tensor([float(pb), float(pd), 1.0])
    per = nn.functional.binary_cross_entropy_with_logits(logits, yt, pos_weight=pw,
                                                         reduction="none")
    hw = torch.tensor(tc.head_weights)
    return (per * mask * hw).sum() / (mask.sum() + 1e-9)


def evaluate(model: BeatGRU, data: _Set) -> dict[str, float]:
    """Return mean beat and downbeat F-measure (peak picking, ±70 ms) and the loss-free
    salience correlation over a split."""

    fps = model.cfg.fps
    fb, fd = [], []
    model.eval()
    for x, b, d in zip(data.x, data.beats, data.downbeats, strict=True):
        out = run_network(model, x.astype(np.float32))
        fb.append(f_measure(pick_peaks(out[:, 0], fps), b))
        fd.append(f_measure(pick_peaks(out[:, 1], fps, min_gap_s=0.5), d))
    return {"beat_f": float(np.mean(fb)), "downbeat_f": float(np.mean(fd))}


def _feature_stats(data: _Set) -> tuple[np.ndarray, np.ndarray]:
    allx = np.concatenate([x.astype(np.float32) for x in data.x])
    return allx.mean(0), allx.std(0) + 1e-3


def train(tc: TrainConfig = TrainConfig(), *, output: str, workdir: str | None = None,
          resume: bool = True, progress: bool = True, corpus_root: str | None = None,
          stop_after: int | None = None, init: str | None = None) -> dict[str, Any]:
    """Train the network on the corpus and write the best epoch's weights to ``output``.

    Parameters
    ----------
    tc : TrainConfig
        Settings (seed, epochs, network size).
    output : str
        Weights file to write, ``.npz`` (e.g. ``models/beats-gru.npz``).
    workdir : str, optional
        Where ``last.pt`` lives (default ``cache_dir()/train``).
    resume : bool
        Continue from ``last.pt`` when it exists and was made with the same settings.
    progress : bool
        Show a progress bar with loss and validation F-measure on stderr.
    corpus_root : str, optional
        Corpus folder (default :func:`editspec.train.corpus.corpus_dir`).
    stop_after : int, optional
        Stop (as if interrupted) once this many epochs are done and write the best epoch
        so far; a later call without it resumes and finishes the run.
    init : str, optional
        Weights file to start from (fine-tuning): its network and input normalization are
        kept, ``tc.model`` is ignored.

    Returns
    -------
    dict
        The metadata written into the weights file (metrics, settings, times;
        ``stopped_after`` when ``stop_after`` ended the run early).

    Raises
    ------
    editspec.errors.CorpusError
        When the corpus has not been built.
    """
    from tqdm import tqdm

    from editspec.cache import cache_dir

    torch.set_num_threads(tc.threads)
    t_start = time.time()
    manifest = corpus.load_manifest(corpus_root)
    workdir = workdir or os.path.join(cache_dir(), "train")
    os.makedirs(workdir, exist_ok=True)
    last = os.path.join(workdir, "last.pt")
    settings = json.dumps({**_plain(asdict(tc)), **({"init": init} if init else {})},
                          sort_keys=True)

    cfg0, arrays, init_meta = weights.read(init) if init else (tc.model, {}, {})
    train_set = load_split(manifest, "train", cfg0, corpus_root, progress)
    val_set = load_split(manifest, "val", cfg0, corpus_root, progress)
    torch.manual_seed(tc.seed)
    if init:
        model = BeatGRU(cfg0)
        model.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in arrays.items()})
    else:
        model = BeatGRU(tc.model)
        mean, std = _feature_stats(train_set)
        model.feat_mean.copy_(torch.from_numpy(mean))
        model.feat_std.copy_(torch.from_numpy(std))
    opt = torch.optim.AdamW(model.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
    steps_per_epoch = len(train_set.x) // tc.batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=tc.lr, total_steps=tc.epochs *
                                                steps_per_epoch, pct_start=0.15)
    state: dict[str, Any] = {"epoch": 0, "best_score": -1.0, "best_state": None, "history": [],
                             "elapsed_s": 0.0}
    if resume and os.path.isfile(last):
        ck = torch.load(last, map_location="cpu", weights_only=True)
        if ck.get("settings") == settings:
            model.load_state_dict(ck["model"])
            opt.load_state_dict(ck["optim"])
            sched.load_state_dict(ck["sched"])
            state = {k: ck[k] for k in state}
            log.warning("resuming from %s at epoch %d", last, state["epoch"])
        else:
            log.warning("ignoring %s: made with other settings", last)
    bar = tqdm(total=tc.epochs * steps_per_epoch, initial=state["epoch"] * steps_per_epoch,
               desc="train", unit="step", disable=not progress, dynamic_ncols=True)
    for epoch in range(state["epoch"], tc.epochs):
        if stop_after is not None and epoch >= stop_after:
            break
        t0 = time.time()
        rng = np.random.default_rng([tc.seed, epoch])
        torch.manual_seed(tc.seed * 1000 + epoch)
        model.train()
        losses = []
        for xb, yb in _batches(train_set, tc, rng):
            opt.zero_grad()
            loss = _loss(model(xb), yb, tc)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            losses.append(float(loss.detach()))
            bar.update(1)
            bar.set_postfix(epoch=epoch + 1, loss=f"{np.mean(losses[-20:]):.4f}",
                            val_beat_f=f"{state['history'][-1]['beat_f']:.3f}"
                            if state["history"] else "-")
        metrics = evaluate(model, val_set)
        score = metrics["beat_f"] + metrics["downbeat_f"]
        state["history"].append({"epoch": epoch + 1, "loss": float(np.mean(losses)), **metrics})
        if score > state["best_score"]:
            state["best_score"] = score
            state["best_state"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
        state["epoch"] = epoch + 1
        state["elapsed_s"] += time.time() - t0
        bar.set_postfix(epoch=epoch + 1, loss=f"{np.mean(losses):.4f}",
                        val_beat_f=f"{metrics['beat_f']:.3f}",
                        val_down_f=f"{metrics['downbeat_f']:.3f}")
        _save_atomic({"settings": settings, "model": model.state_dict(), "optim": opt.state_dict(),
                      "sched": sched.state_dict(), **state}, last)
    bar.close()
    if state["best_state"] is not None:
        model.load_state_dict(state["best_state"])
    best = max(state["history"], key=lambda h: h["beat_f"] + h["downbeat_f"])
    meta = {"date": datetime.date.today().isoformat(), "train": _plain(asdict(tc)),
            "corpus": manifest["config"], "corpus_version": manifest["version"],
            "n_train_renders": len(train_set.x), "n_val_renders": len(val_set.x),
            "best_epoch": best["epoch"], "val_beat_f_peaks": best["beat_f"],
            "val_downbeat_f_peaks": best["downbeat_f"],
            "train_seconds": round(state["elapsed_s"] + 0.0, 1),
            "wall_seconds_this_run": round(time.time() - t_start, 1),
            "history": json.dumps(state["history"])}
    if state["epoch"] < tc.epochs:
        meta["stopped_after"] = state["epoch"]
    if init:  # what it was fine-tuned from, and that one's own lineage
        meta["fine_tuned_from"] = json.dumps(
            {"file": os.path.basename(init),
             **{k: init_meta.get(k) for k in ("date", "corpus_version", "corpus", "best_epoch",
                                              "train", "fine_tuned_from") if k in init_meta}})
    weights.write(output, model.cfg, model.state_dict(), meta)
    return meta


def _plain(d: Any) -> Any:
    """Tuples → lists, recursively (JSON and weights-only friendly)."""
    if isinstance(d, dict):
        return {k: _plain(v) for k, v in d.items()}
    if isinstance(d, (list, tuple)):
        return [_plain(v) for v in d]
    return d


def _save_atomic(obj: Any, path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{os.path.basename(path)}.tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)
