"""Learn a style: train the beat GRU on examples, split by video, with early stopping.

Input: :class:`~editspec.style.data.Example` lists (edited videos; corrected timelines).
Output: a style file (:func:`~editspec.style.net.save_style`) whose summary holds the
held-out scores against the every-downbeat baseline and the style's statistics.
Never imported by the CLI at start-up.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from editspec.errors import EditspecError
from editspec.style.data import Example, history_from_labels
from editspec.style.infer import evaluate, style_statistics
from editspec.style.model import StyleConfig
from editspec.style.net import StyleGRU, load_style_torch, save_style


@dataclass(frozen=True, slots=True)
class LearnConfig:
    """Training settings."""

    seed: int = 0
    """Seed of the split and of the weights."""
    val_share: float = 0.25
    """Share of the videos held out for validation (at least one when there are two)."""
    epochs: int = 300
    """Most epochs."""
    patience: int = 40
    """Stop after this many epochs without a better validation loss."""
    lr: float = 3e-3
    """Adam learning rate."""
    weight_decay: float = 1e-4
    """Adam weight decay."""
    history_noise: float = 0.05
    """Share of training beats whose cut label is flipped when building the history
    (so the head tolerates its own mistakes at prediction time)."""
    model: StyleConfig = field(default_factory=StyleConfig)
    """Network shape."""


def split_by_video(names: list[str], val_share: float, rng: np.random.Generator) -> set[str]:
    """Names of the held-out videos: whole videos, never beats of one video on both sides."""
    uniq = sorted(set(names))
    if len(uniq) < 2:
        return set()
    n_val = min(len(uniq) - 1, max(1, round(val_share * len(uniq))))
    order = rng.permutation(len(uniq))
    return {uniq[i] for i in order[:n_val]}


def _tensors(ex: Example, labels_for_history: np.ndarray, mean: torch.Tensor,
             std: torch.Tensor) -> tuple[torch.Tensor, ...]:
    x = (torch.from_numpy(ex.features) - mean) / std
    h = torch.from_numpy(history_from_labels(labels_for_history))
    y = torch.from_numpy(ex.labels)
    w = torch.from_numpy(ex.weights if len(ex.weights) else np.ones(ex.n_beats, np.float32))
    return x[None], h[None], y[None], w[None]


def learn_style(examples: list[Example], output: str, *, cfg: LearnConfig = LearnConfig(),
                corrections: list[Example] | None = None, base: str | None = None,
                correction_counts: dict[str, int] | None = None,
                progress: bool = True,
                skipped: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """Train a style on edited videos (and corrections) and write its file.

    Parameters
    ----------
    examples : list of Example
        One per edited video; split by video into training and held-out sets.
    output : str
        Style file to write.
    cfg : LearnConfig
        Settings.
    corrections : list of Example, optional
        Corrected timelines: always trained on, never held out.
    base : str, optional
        A style file to start from (its weights and feature norm): fine-tuning.
    correction_counts : dict, optional
        Kept/moved/added/removed counts, stored in the summary.
    progress : bool
        Show a progress bar (epochs, loss, validation loss) on stderr.
    skipped : list of (str, str), optional
        Videos that could not be used and why (stored in the summary).

    Returns
    -------
    dict
        The summary written into the style file.

    Raises
    ------
    EditspecError
        When there is nothing to learn from (no examples, or no cut on any beat).
    """
    from tqdm import tqdm

    corrections = corrections or []
    everything = examples + corrections
    if not everything:
        raise EditspecError("nothing to learn from: no edited video and no corrected timeline")
    if not any(ex.labels.sum() > 0 for ex in everything):
        raise EditspecError("no cut of the given videos falls on a beat of their music "
                            "(within ±1 frame); nothing to learn")
    t0 = time.perf_counter()
    rng = np.random.default_rng(cfg.seed)
    torch.manual_seed(cfg.seed)
    held = split_by_video([ex.name for ex in examples], cfg.val_share, rng)
    train = [ex for ex in examples if ex.name not in held] + corrections
    val = [ex for ex in examples if ex.name in held]
    if base is not None:
        model, mean, std, _ = load_style_torch(base)
        model.train()
    else:
        feats = np.concatenate([ex.features for ex in train])
        mean = torch.from_numpy(feats.mean(0))
        std = torch.from_numpy(np.maximum(feats.std(0), 1e-3))
        model = StyleGRU(cfg.model)
    # plain BCE, no class weighting: the probabilities stay calibrated, so a beat the style
    # is unsure of (which downbeat starts a phrase) is not cut; with cuts weighted up by
    # no-cuts/cuts (up to 10) a phrase style cut every bar (docs/style.md)
    lossf = nn.BCEWithLogitsLoss(reduction="none")
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr if base is None else cfg.lr / 3,
                           weight_decay=cfg.weight_decay)
    val_t = [_tensors(ex, ex.labels, mean, std) for ex in val]

    def val_loss() -> float:
        if not val_t:
            return float("nan")
        model.eval()
        with torch.no_grad():
            tot = sum(float((lossf(model(x, h), y) * w).sum()) for x, h, y, w in val_t)
        model.train()
        return tot / sum(ex.n_beats for ex in val)

    best = (float("inf"), -1)
    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    bar = tqdm(total=cfg.epochs, desc="learning style", disable=not progress, leave=False,
               unit="epoch")
    epoch = 0
    for epoch in range(1, cfg.epochs + 1):
        total = 0.0
        for i in rng.permutation(len(train)):
            ex = train[int(i)]
            noisy = ex.labels.copy()
            flip = rng.random(ex.n_beats) < cfg.history_noise
            noisy[flip] = 1.0 - noisy[flip]
            x, h, y, w = _tensors(ex, noisy, mean, std)
            loss = (lossf(model(x, h), y) * w).mean()
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            total += float(loss.detach())
        vl = val_loss()
        score = vl if val_t else total / max(len(train), 1)
        if score < best[0] - 1e-5:
            best = (score, epoch)
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        bar.set_postfix(loss=f"{total / max(len(train), 1):.4f}", val=f"{vl:.4f}")
        bar.update(1)
        if epoch - best[1] >= cfg.patience:
            break
    bar.close()
    model.load_state_dict(best_state)
    model.eval()
    summary: dict[str, Any] = {
        "data": {"train_videos": len(train) - len(corrections), "val_videos": len(val),
                 "corrections": len(corrections),
                 "train_beats": int(sum(ex.n_beats for ex in train)),
                 "train_cuts": int(sum(len(ex.cut_frames) for ex in train)),
                 "val_names": sorted(held),
                 "skipped": [{"video": v, "reason": r} for v, r in (skipped or [])]},
        "training": {"best_epoch": best[1], "epochs_run": epoch, "val_loss": float(best[0]),
                     "seconds": round(time.perf_counter() - t0, 2),
                     "config": {k: v for k, v in asdict(cfg).items() if k != "model"},
                     "base": base or ""},
        "statistics": style_statistics(examples + corrections),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    if val:
        summary["held_out"] = evaluate(model, mean, std, val)
    if correction_counts:
        summary["corrections"] = dict(correction_counts)
    save_style(model, mean, std, summary, output)
    return summary
