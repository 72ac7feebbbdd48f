"""Training: the corpus of :mod:`editspec.model.data` → the weights file of :mod:`.infer`.

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
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import torch
from torch import nn

from editspec.model import data as corpus
from editspec.model.gru import BeatGRU, GRUConfig, checkpoint_dict, features

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
    cymbals: float = 0.0
    """Chance, drawn anew each epoch, that a training excerpt with crash cymbals in its MIDI
    gets a synthesized cymbal of random timbre on each of them (:func:`augment.add_cymbals`;
    the notes' times replayed by :func:`editspec.model.data.crash_times`); its features are
    then computed again. 0: off (the shipped ``beats-gru.pt``)."""
    distill: str = ""
    """Teacher weights files (``os.pathsep``-separated; several are averaged as an ensemble)
    whose probabilities on each training excerpt are mixed into its targets
    (:func:`add_teacher`); "" (the shipped ``beats-gru.pt``): off."""
    distill_weight: float = 0.5
    """Share of the teacher's probabilities in the targets when :attr:`distill` is set."""
    stretch: tuple[float, ...] = ()
    """Feature-level tempo augmentation: hop factors ``f`` at which each training excerpt's
    features (and targets) are also computed, with hop ``round(f * hop)``, so the network
    sees the music ``1 / f`` times as fast (:func:`add_stretched`). A draw uses one of them
    with chance :attr:`stretch_p` when the excerpt's tempo stays inside the decoder's
    55-215 BPM. () (the shipped ``beats-gru.pt``): off."""
    stretch_p: float = 0.5
    """Chance that a training excerpt is drawn stretched when :attr:`stretch` is set."""
    nodrums_repeat: int = 1
    """How many times each training excerpt rendered without drums is drawn per epoch (the
    network finds the beat of drum-less music worst, :file:`bench/beat_errors.py`); 1 (the
    shipped ``beats-gru.pt``): once, as every other excerpt."""
    extra_songs: bool = False
    """Train on the corpus's songs of :data:`editspec.model.data.EXTRA_TRAIN_PACKAGES` too
    (Freedoom's music, corpus version 6); False (the shipped ``beats-gru.pt``): the songs of
    corpus version 5 only."""
    self_training: bool = False
    """Add the pseudo-labelled windows of recordings (:mod:`editspec.model.selftrain`) to the
    training set, with loss on the beat head only. Off in the shipped run."""
    aux_weights: tuple[float, float] = (0.25, 0.05)
    """Loss weights of the auxiliary phase (sine/cosine squared error, per pair) and tempo
    (cross-entropy) outputs, when the network has them (:attr:`GRUConfig.phase_head`,
    :attr:`GRUConfig.tempo_bins`)."""
    model: GRUConfig = field(default_factory=GRUConfig)
    """The network."""


def targets(entry_arrays: dict[str, np.ndarray], n: int, fps: float,
            cfg: GRUConfig | None = None, tempo_fps: float | None = None) -> np.ndarray:
    """Return frame targets ``(n, 3 + cfg.n_aux)``: beat, downbeat (1 at the frame, 0.5
    beside) and salience (Gaussian bumps of the event weights, sigma 1.5 frames,
    max-combined), then the auxiliary targets of :func:`aux_targets` when ``cfg`` asks for
    them (``tempo_fps``: the frame rate the network's tempo is counted in, default ``fps``)."""
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
    if cfg is None or not cfg.n_aux:
        return y
    aux = aux_targets(entry_arrays["beats"], entry_arrays["downbeats"], n, fps, cfg,
                      tempo_fps or fps)
    return np.concatenate([y, aux], axis=1)


def _interval(events: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index ``j`` of the events ``events[j] <= t < events[j + 1]`` around each time, and
    whether there is such an interval (False before the first and after the last event)."""
    i = np.searchsorted(events, t, side="right") - 1
    return i, (i >= 0) & (i < len(events) - 1)


def _phase(events: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Phase in 0..1 of each time between consecutive events; NaN outside them."""
    ph = np.full(len(t), np.nan)
    i, ok = _interval(events, t)
    j = i[ok]
    ph[ok] = (t[ok] - events[j]) / (events[j + 1] - events[j])
    return ph


def tempo_class(bpm: np.ndarray, bins: int) -> np.ndarray:
    """Class of each tempo among ``bins`` log-spaced classes over the decoder's range
    (:data:`editspec.model.data.TEMPO_RANGE_BPM`), clipped to the ends."""
    lo, hi = corpus.TEMPO_RANGE_BPM
    pos = (np.log2(bpm) - np.log2(lo)) / (np.log2(hi) - np.log2(lo))
    return np.clip(np.round(pos * (bins - 1)), 0, bins - 1)


def aux_targets(beats: np.ndarray, downbeats: np.ndarray, n: int, fps: float, cfg: GRUConfig,
                tempo_fps: float) -> np.ndarray:
    """Return the auxiliary targets ``(n, cfg.n_aux)``, NaN where there is no label.

    With :attr:`GRUConfig.phase_head`: sine and cosine of the phase within the beat, then
    within the bar (between consecutive beats, downbeats). With
    :attr:`GRUConfig.tempo_bins`: the class (:func:`tempo_class`) of the local tempo between
    consecutive beats, as the network hears it (beats ``tempo_fps / fps`` times as fast).
    """
    t = np.arange(n) / fps
    cols = []
    if cfg.phase_head:
        for ev in (beats, downbeats):
            ph = 2 * np.pi * _phase(np.asarray(ev, float), t)
            cols += [np.sin(ph), np.cos(ph)]
    if cfg.tempo_bins:
        beats = np.asarray(beats, float)
        cls = np.full(n, np.nan)
        i, ok = _interval(beats, t)
        ibi = np.diff(beats)[i[ok]]
        cls[ok] = tempo_class(60.0 / ibi * fps / tempo_fps, cfg.tempo_bins)
        cols.append(cls)
    return np.stack(cols, axis=1).astype(np.float32)


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
    crashes: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    """Excerpt index → (int16 audio, crash times) of the excerpts that get cymbals."""
    stretched: dict[int, list[tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)
    """Excerpt index → its (features, targets) at other hops (:func:`add_stretched`)."""


def load_split(manifest: dict[str, Any], split: str, cfg: GRUConfig, root: str | None = None,
               progress: bool = False, extra: bool = True) -> _Set:
    """Compute features and targets of every render of one split (without the songs of
    :data:`editspec.model.data.EXTRA_TRAIN_PACKAGES` when ``extra`` is False)."""
    from tqdm import tqdm

    entries = [e for e in manifest["renders"] if e["split"] == split
               and (extra or not corpus.is_extra(e))]
    out = _Set([], [], [], [], [])
    for e in tqdm(entries, desc=f"features {split}", disable=not progress, leave=False):
        d = corpus.load_render(e, root)
        x = features(d["audio"], cfg)
        out.names.append(e["name"])
        out.x.append(x.astype(np.float16))
        out.y.append(targets(d, len(x), cfg.fps, cfg))
        out.beats.append(d["beats"])
        out.downbeats.append(d["downbeats"])
    return out


def add_pseudo(data: _Set, windows: list[dict[str, Any]], cfg: GRUConfig) -> int:
    """Append pseudo-labelled recordings (:func:`editspec.model.selftrain.load_pseudo`) to a
    training set: beat targets as the corpus's, no loss on the downbeat and salience heads
    (-1). Return how many."""
    none = np.zeros(0)
    for w in windows:
        x = features(w["audio"], cfg)
        y = targets({"beats": w["beats"], "downbeats": none, "salience_times": none,
                     "salience_weights": none}, len(x), cfg.fps, cfg)
        y[:, 1:3] = -1.0  # (no downbeats: the bar phase, if any, is NaN already)
        data.names.append(w["name"])
        data.x.append(x.astype(np.float16))
        data.y.append(y)
        data.beats.append(w["beats"])
        data.downbeats.append(none)
    return len(windows)


def load_teacher(tc: TrainConfig) -> Any:
    """Load the teacher of :attr:`TrainConfig.distill` (numpy + numba forward pass).

    Raises
    ------
    ModelError
        When a weights file is missing or corrupt, or the teacher's features (front end)
        differ from the student's.
    """
    from dataclasses import replace

    from editspec.errors import ModelError
    from editspec.model.infer import load_fast

    teacher = load_fast(tc.distill)
    net_fields = {"conv_channels", "hidden", "layers", "bidirectional", "dropout"}
    front = {f: getattr(tc.model, f) for f in asdict(tc.model) if f not in net_fields}
    if replace(teacher.cfg, **front) != teacher.cfg:
        raise ModelError(f"{tc.distill}: the teacher's features differ from the student's")
    return teacher


def add_teacher(data: _Set, teacher: Any, weight: float) -> int:
    """Mix a teacher's probabilities into the targets: ``y = w p + (1 - w) y`` on every
    labelled frame (``w`` = ``weight``, :attr:`TrainConfig.distill_weight`). The teacher
    (:func:`load_teacher`) runs once on the stored features, before training. Return how
    many excerpts."""
    from editspec.model.infer import run_network

    w = np.float32(weight)
    for j, x in enumerate(data.x):
        p = run_network(teacher, x.astype(np.float32))
        y = data.y[j].copy()
        y[:, :3] = np.where(y[:, :3] >= 0, w * p + (1 - w) * y[:, :3], y[:, :3])
        data.y[j] = y.astype(np.float32)
    return len(data.x)


def add_stretched(data: _Set, manifest: dict[str, Any], factors: tuple[float, ...],
                  cfg: GRUConfig, root: str | None = None, progress: bool = False) -> int:
    """Compute the features and targets of every training excerpt at hops
    ``round(f * cfg.hop)`` for each factor ``f`` whose apparent tempo (the excerpt's median
    tempo over ``f``) stays inside the decoder's range (:data:`corpus.TEMPO_RANGE_BPM`).
    Return how many (excerpt, factor) pairs were added."""
    from tqdm import tqdm

    lo, hi = corpus.TEMPO_RANGE_BPM
    entries = {e["name"]: e for e in manifest["renders"]}
    added = 0
    for j, name in enumerate(tqdm(data.names, desc="stretched features", disable=not progress,
                                  leave=False)):
        beats = data.beats[j]
        if name not in entries or len(beats) < 3:
            continue
        bpm = 60.0 / float(np.median(np.diff(beats)))
        ok = [f for f in factors if lo <= bpm / f <= hi]
        if not ok:
            continue
        d = corpus.load_render(entries[name], root)
        out = []
        for f in ok:
            c = replace(cfg, hop=round(f * cfg.hop))
            x = features(d["audio"], c)
            out.append((x.astype(np.float16), targets(d, len(x), c.fps, c, cfg.fps)))
        data.stretched[j] = out
        added += len(out)
    return added


def repeat_mode(data: _Set, manifest: dict[str, Any], mode: str, times: int) -> int:
    """Append ``times - 1`` more references to each excerpt of ``data`` rendered in
    ``mode`` (its spec's ``mode``: "nodrums", "drumsonly"...), stretched variants included,
    so that an epoch draws it ``times`` times. Return how many were appended."""
    modes = {e["name"]: e.get("spec", {}).get("mode") for e in manifest["renders"]}
    picked = [j for j, name in enumerate(data.names) if modes.get(name) == mode]
    for _ in range(times - 1):
        for j in picked:
            k = len(data.x)
            data.names.append(data.names[j])
            data.x.append(data.x[j])
            data.y.append(data.y[j])
            data.beats.append(data.beats[j])
            data.downbeats.append(data.downbeats[j])
            if j in data.stretched:
                data.stretched[k] = data.stretched[j]
            if j in data.crashes:
                data.crashes[k] = data.crashes[j]
    return len(picked) * (times - 1)


def add_crashes(data: _Set, manifest: dict[str, Any], root: str | None = None) -> int:
    """Keep the audio and crash times of the training excerpts that have crash cymbals
    (for :attr:`TrainConfig.cymbals`); return how many."""
    times = corpus.crash_times(manifest, "train", root)
    by_name = {e["name"]: e for e in manifest["renders"]}
    for j, name in enumerate(data.names):
        t = times.get(name)
        if t is not None and len(t):
            with np.load(os.path.join(root or corpus.corpus_dir(), by_name[name]["file"]),
                         allow_pickle=False) as z:
                data.crashes[j] = (z["audio"], t)
    return len(data.crashes)


def _batches(data: _Set, tc: TrainConfig, rng: np.random.Generator,
             aug: np.random.Generator | None = None, warp: np.random.Generator | None = None):
    from editspec.model.augment import add_cymbals

    order = rng.permutation(len(data.x))
    for i in range(0, len(order) - tc.batch + 1, tc.batch):
        xs, ys = [], []
        for j in order[i:i + tc.batch]:
            x, y = data.x[j], data.y[j]
            stretched = False
            if warp is not None and j in data.stretched:
                draw, k = warp.random(), int(warp.integers(0, len(data.stretched[j])))
                if draw < tc.stretch_p:
                    x, y = data.stretched[j][k]
                    stretched = True
            # cymbals are added at the network's own hop: not to a stretched draw
            if (aug is not None and j in data.crashes and aug.random() < tc.cymbals
                    and not stretched):
                audio, times = data.crashes[j]
                x = features(add_cymbals(audio.astype(np.float32) / 32767.0, times, aug),
                             tc.model)[: len(y)]
            n = min(tc.crop_frames, len(x))
            s = int(rng.integers(0, len(x) - n + 1))
            xp = np.zeros((tc.crop_frames, x.shape[1]), np.float32)
            yp = np.full((tc.crop_frames, y.shape[1]), -1.0, np.float32)  # -1: padding, no loss
            yp[:, 3:] = np.nan  # auxiliary targets: NaN, no loss
            xp[:n], yp[:n] = x[s:s + n], y[s:s + n]
            xs.append(xp)
            ys.append(yp)
        yield torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ys))


def _loss(logits: torch.Tensor, y: torch.Tensor, tc: TrainConfig,
          aux: torch.Tensor | None = None) -> torch.Tensor:
    main = y[..., :3]
    mask = (main >= 0).float()
    yt = main.clamp(min=0)
    pb, pd = (tc.pos_weight, tc.pos_weight) if np.isscalar(tc.pos_weight) else tc.pos_weight
    pw = torch.tensor([float(pb), float(pd), 1.0])
    per = nn.functional.binary_cross_entropy_with_logits(logits, yt, pos_weight=pw,
                                                         reduction="none")
    hw = torch.tensor(tc.head_weights)
    loss = (per * mask * hw).sum() / (mask.sum() + 1e-9)
    if aux is None:
        return loss
    return loss + _aux_loss(aux, y[..., 3:], tc)


def _aux_loss(aux: torch.Tensor, ya: torch.Tensor, tc: TrainConfig) -> torch.Tensor:
    """Squared error of the phases' sine and cosine and cross-entropy of the tempo class,
    over the frames that have them, weighted by :attr:`TrainConfig.aux_weights`."""
    cfg, total = tc.model, aux.new_zeros(())
    w_phase, w_tempo = tc.aux_weights
    if cfg.phase_head:
        m = ~torch.isnan(ya[..., :4])
        d = (aux[..., :4] - torch.nan_to_num(ya[..., :4])) ** 2
        total = total + w_phase * (d * m).sum() / (m.sum() + 1e-9) * 2  # per (sin, cos) pair
    if cfg.tempo_bins:
        cls = ya[..., -1]
        m = ~torch.isnan(cls)
        if bool(m.any()):
            logits = aux[..., -cfg.tempo_bins:][m]
            total = total + w_tempo * nn.functional.cross_entropy(logits, cls[m].long(),
                                                                  label_smoothing=0.1)
    return total


def evaluate(model: BeatGRU, data: _Set) -> dict[str, float]:
    """Return mean beat and downbeat F-measure (peak picking, ±70 ms) and the loss-free
    salience correlation over a split."""
    from editspec.model.infer import run_network

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
          stop_after: int | None = None) -> dict[str, Any]:
    """Train the network on the corpus and write the best epoch's weights to ``output``.

    Parameters
    ----------
    tc : TrainConfig
        Settings (seed, epochs, network size).
    output : str
        Weights file to write (e.g. ``models/beats-gru.pt``).
    workdir : str, optional
        Where ``last.pt`` lives (default ``cache_dir()/train``).
    resume : bool
        Continue from ``last.pt`` when it exists and was made with the same settings.
    progress : bool
        Show a progress bar with loss and validation F-measure on stderr.
    corpus_root : str, optional
        Corpus folder (default :func:`editspec.model.data.corpus_dir`).
    stop_after : int, optional
        Stop (as if interrupted) once this many epochs are done and write the best epoch
        so far; a later call without it resumes and finishes the run.

    Returns
    -------
    dict
        The metadata written into the weights file (metrics, settings, times;
        ``stopped_after`` when ``stop_after`` ended the run early).

    Raises
    ------
    editspec.model.data.CorpusError
        When the corpus has not been built.
    """
    from tqdm import tqdm

    from editspec.analysis.cache import cache_dir

    torch.set_num_threads(tc.threads)
    t_start = time.time()
    manifest = corpus.load_manifest(corpus_root)
    workdir = workdir or os.path.join(cache_dir(), "train")
    os.makedirs(workdir, exist_ok=True)
    last = os.path.join(workdir, "last.pt")
    settings = json.dumps(_plain(asdict(tc)), sort_keys=True)

    teacher = load_teacher(tc) if tc.distill else None  # fails before the features
    pseudo = []
    if tc.self_training:  # before the long feature pass: a missing set fails at once
        from editspec.model.selftrain import load_pseudo

        pseudo = load_pseudo(corpus_root, seed=tc.seed)
    train_set = load_split(manifest, "train", tc.model, corpus_root, progress, tc.extra_songs)
    val_set = load_split(manifest, "val", tc.model, corpus_root, progress)
    torch.manual_seed(tc.seed)
    model = BeatGRU(tc.model)
    mean, std = _feature_stats(train_set)  # of the corpus alone, with or without pseudo-labels
    if teacher is not None:  # before the pseudo-labels, which keep their own targets
        log.warning("distill: %d training excerpts get targets mixed with %s",
                    add_teacher(train_set, teacher, tc.distill_weight), tc.distill)
    n_pseudo = add_pseudo(train_set, pseudo, tc.model)
    if tc.cymbals > 0:
        log.warning("cymbals: %d training excerpts have crash cymbals",
                    add_crashes(train_set, manifest, corpus_root))
    if tc.stretch:
        log.warning("stretch: %d stretched training excerpts",
                    add_stretched(train_set, manifest, tc.stretch, tc.model, corpus_root,
                                  progress))
    n_repeat = 0
    if tc.nodrums_repeat > 1:
        n_repeat = repeat_mode(train_set, manifest, "nodrums", tc.nodrums_repeat)
        log.warning("nodrums: %d more draws of drum-less excerpts per epoch", n_repeat)
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
        # a stream of its own, so that cymbals=0 draws exactly what the shipped run drew
        aug = np.random.default_rng([tc.seed, epoch, 1]) if tc.cymbals > 0 else None
        warp = np.random.default_rng([tc.seed, epoch, 2]) if tc.stretch else None
        for xb, yb in _batches(train_set, tc, rng, aug, warp):
            opt.zero_grad()
            logits, aux_out = model.forward_all(xb)  # aux_out: None without the outputs
            loss = _loss(logits, yb, tc, aux_out)
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
            "n_train_renders": len(train_set.x) - n_pseudo - n_repeat, "n_pseudo_windows": n_pseudo,
            "n_val_renders": len(val_set.x),
            "best_epoch": best["epoch"], "val_beat_f_peaks": best["beat_f"],
            "val_downbeat_f_peaks": best["downbeat_f"],
            "train_seconds": round(state["elapsed_s"] + 0.0, 1),
            "wall_seconds_this_run": round(time.time() - t_start, 1),
            "history": json.dumps(state["history"])}
    if state["epoch"] < tc.epochs:
        meta["stopped_after"] = state["epoch"]
    _save_atomic(checkpoint_dict(model, meta), output)
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
