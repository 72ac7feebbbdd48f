"""Inference: a song → beat, downbeat and cut-salience activations on the analyzer's grid.

Staged (as beat_this's ``Spect2Frames`` → ``Audio2Frames``): :func:`frontend.features`
(numpy) → :func:`run_network` (in overlapping chunks run as a batch: numpy + numba,
:mod:`editspec.model.fastnet`, for analysis; torch for training; chunks or an
ensemble's members on threads of their own) →
:func:`to_analysis_rate` (linear upsampling from the network's 43 fps to
``SR / HOP`` = 86.13 fps). Decoding beats from the activations is the analyzer's job
(:mod:`editspec.analysis.beats`).

Importing this module is cheap. Analysis never imports torch: the weights are a NumPy
``.npz`` (:mod:`editspec.model.weights`) run by :mod:`editspec.model.fastnet`; torch is
imported only to train (:func:`load_model`). A missing or corrupt file raises
:class:`~editspec.errors.ModelError`.
"""

from __future__ import annotations

import functools
import itertools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from editspec.errors import ModelError
from editspec.grid import HOP, SR  # activations come at ``SR / HOP`` frames per second

if TYPE_CHECKING:
    from editspec.model.fastnet import FastEnsemble, FastNet
    from editspec.model.gru import BeatGRU, Ensemble

WEIGHTS_NAME = "beats-gru.npz"
ENSEMBLE_NAMES = (WEIGHTS_NAME, "beats-gru-seed1.npz")
"""The shipped networks of the ``gru-ensemble`` tracker: the recipe of ``beats-gru.pt``
trained with seeds 0 and 1 (models/MODEL_CARD.md)."""
CHUNK_FRAMES = 1024
"""Network frames per chunk (about 24 s)."""
CONTEXT_FRAMES = 128
"""Frames of context on each side of a chunk's core, discarded after the network (3 s)."""
INFER_THREADS = 1
"""torch intra-op threads while the network runs (the caller's setting is restored)."""


@dataclass(frozen=True, slots=True)
class Activations:
    """Frame-wise probabilities from the GRU, on the analyzer's frame grid."""

    beat: np.ndarray
    """P(beat) per frame, 0..1 [shape=(n_frames,)], float32 (downbeats included)."""
    downbeat: np.ndarray
    """P(downbeat) per frame, 0..1 [shape=(n_frames,)], float32."""
    salience: np.ndarray
    """Cut salience per frame, 0..1 [shape=(n_frames,)], float32."""
    fps: float
    """Frames per second, ``SR / HOP``; frame ``t`` is centred on sample ``t * HOP``."""


def weights_path() -> str:
    """Return the weights file: ``$EDITSPEC_MODEL`` if set, else the one shipped in the package.

    ``$EDITSPEC_MODEL`` may name several files separated by ``os.pathsep`` (``:`` on Linux):
    the networks then run as an ensemble (:func:`load_model`).
    """
    env = os.environ.get("EDITSPEC_MODEL")
    if env:
        return env
    return os.path.join(_models_dir(), WEIGHTS_NAME)


def ensemble_path() -> str:
    """Return the shipped ensemble's weights files (:data:`ENSEMBLE_NAMES`), joined by
    ``os.pathsep`` as :func:`load_model` takes them. ``$EDITSPEC_MODEL`` does not change it."""
    return os.pathsep.join(os.path.join(_models_dir(), n) for n in ENSEMBLE_NAMES)


def _models_dir() -> str:
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models")


def weights_files(path: str | None = None) -> list[str]:
    """Return the weights files that ``path`` (default :func:`weights_path`) names."""
    return [p for p in (path or weights_path()).split(os.pathsep) if p]


def weights_shipped(path: str | None = None) -> bool:
    """Return True when the weights files exist (they are not loaded); ``path`` as in
    :func:`weights_files`."""
    files = weights_files(path)
    return bool(files) and all(os.path.isfile(p) for p in files)


def load_model(path: str | None = None) -> BeatGRU | Ensemble:
    """Load the network from a weights file (cached per path and modification time).

    Parameters
    ----------
    path : str, optional
        Weights file (default :func:`weights_path`); several files separated by
        ``os.pathsep`` load as an :class:`~editspec.model.gru.Ensemble` that averages
        their probabilities.

    Returns
    -------
    BeatGRU or Ensemble
        In eval mode.

    Raises
    ------
    ModelError
        When a file is missing, unreadable, not a checkpoint, or does not fit the network,
        or when the networks of an ensemble differ in config.
    """
    files = _existing_files(path)
    nets = [_load_cached(p, os.path.getmtime(p), os.path.getsize(p)) for p in files]
    if len(nets) == 1:
        return nets[0]
    from editspec.model.gru import Ensemble

    try:
        return Ensemble(nets).eval()
    except ValueError as exc:
        raise ModelError(f"{os.pathsep.join(files)}: {exc}") from None


def _existing_files(path: str | None) -> list[str]:
    files = weights_files(path)
    if not files:
        raise ModelError("no model weights named (EDITSPEC_MODEL is empty)")
    for p in files:
        if not os.path.isfile(p):
            raise ModelError(f"{p}: model weights not found (reinstall editspec, or train them "
                             "with `editspec train`)")
    return files


def load_fast(path: str | None = None) -> FastNet | FastEnsemble:
    """Load the network(s) for the numpy + numba forward pass (:mod:`editspec.model.fastnet`),
    without torch.

    Raises
    ------
    ModelError
        As :func:`load_model`.
    """
    from editspec.model import fastnet

    files = _existing_files(path)
    nets = [_load_fast_cached(p, os.path.getmtime(p), os.path.getsize(p)) for p in files]
    if len(nets) == 1:
        return nets[0]
    if any(n.cfg != nets[0].cfg for n in nets[1:]):
        raise ModelError(f"{os.pathsep.join(files)}: the networks of an ensemble must have "
                         "the same config")
    return fastnet.FastEnsemble(tuple(nets))


@functools.lru_cache(maxsize=4)
def _load_fast_cached(path: str, mtime: float, size: int) -> FastNet:
    from editspec.model import fastnet

    return fastnet.load(path)


@functools.lru_cache(maxsize=4)
def _load_cached(path: str, mtime: float, size: int) -> BeatGRU:
    from editspec.errors import require_extra

    require_extra("torch", "train", "the torch network (training)")
    from editspec.model import weights
    from editspec.model.gru import BeatGRU

    cfg, arrays, _ = weights.read(path)
    import torch

    model = BeatGRU(cfg)
    try:
        model.load_state_dict({k: torch.from_numpy(v) for k, v in arrays.items()})
    except RuntimeError as exc:
        raise ModelError(f"{path}: unusable model weights: {exc}".splitlines()[0]) from None
    return model.eval()


def run_network(model: Any, feats: np.ndarray, chunk: int = CHUNK_FRAMES,
                context: int = CONTEXT_FRAMES) -> np.ndarray:
    """Run the network over features in overlapping chunks, batched; return sigmoid outputs.

    Parameters
    ----------
    model : FastNet, FastEnsemble, BeatGRU or Ensemble
        The network: numpy + numba (:func:`load_fast`, the analyzer's) or torch
        (:func:`load_model`, training's); they give the same numbers within 1e-4.
    feats : np.ndarray [shape=(m, n_inputs)]
        Features from :func:`editspec.model.frontend.features`.
    chunk, context : int
        Chunk length and the context on each side that is discarded, in network frames.

    Returns
    -------
    np.ndarray [shape=(m, 3)], float32, in 0..1
    """
    from editspec.model.fastnet import FastNet

    m = len(feats)
    core = chunk - 2 * context
    if m <= chunk:
        starts = [0]
        core, context = m, 0
    else:
        starts = list(range(0, m, core))
    batch = np.zeros((len(starts), min(m, chunk) if len(starts) == 1 else chunk, feats.shape[1]),
                     np.float32)
    spans = []
    for b, s in enumerate(starts):
        lo, hi = max(0, s - context), min(m, s + core + context)
        batch[b, : hi - lo] = feats[lo:hi]
        spans.append((s - lo, min(core, m - s)))
    members = list(getattr(model, "members", [model]))
    fast = isinstance(members[0], FastNet)
    # Work units: each member on a share of the chunks, one thread each (numba, numpy's
    # BLAS and torch release the GIL): an ensemble's members run side by side, a single
    # network's chunks in two halves on 2 cores. torch (training's validation) keeps the
    # whole batch in one call, as the shipped weights were chosen with.
    cores = os.cpu_count() or 1
    parts = max(1, min(len(batch), cores // len(members))) if fast else 1
    bounds = [len(batch) * k // parts for k in range(parts + 1)]
    units = [(net, a, b) for net in members for a, b in itertools.pairwise(bounds)]

    if fast:
        def probs(unit: tuple[Any, int, int]) -> np.ndarray:
            net, a, b = unit
            return (1.0 / (1.0 + np.exp(-net.forward(batch[a:b])))).astype(np.float32)
    else:
        import torch

        x = torch.from_numpy(batch)
        # One intra-op thread per unit: the recurrent steps are too small to share, and idle
        # OpenMP workers spin after each parallel region, slowing the numba work that
        # follows (whole gru analysis of a 4-min song 0.45 s with 2 threads, 0.40 s with 1).

        def probs(unit: tuple[Any, int, int]) -> np.ndarray:
            net, a, b = unit
            with torch.inference_mode():  # thread-local: entered in each worker
                return torch.sigmoid(net(x[a:b])).numpy()

        threads = torch.get_num_threads()
        torch.set_num_threads(INFER_THREADS)
    try:
        if len(units) > 1 and cores > 1:
            from concurrent.futures import ThreadPoolExecutor

            from threadpoolctl import threadpool_limits

            # one BLAS thread per unit: more would only fight over the cores
            with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(
                    min(len(units), cores), thread_name_prefix="editspec-net") as pool:
                outs = list(pool.map(probs, units))
        else:
            outs = [probs(u) for u in units]
    finally:
        if not fast:
            torch.set_num_threads(threads)
    per_member = [np.concatenate(outs[k * parts:(k + 1) * parts]) for k in range(len(members))]
    out = per_member[0] if len(members) == 1 else np.mean(per_member, axis=0, dtype=np.float32)
    res = np.zeros((m, out.shape[2]), np.float32)
    for b, (s, (off, n)) in enumerate(zip(starts, spans, strict=True)):
        res[s:s + n] = out[b, off:off + n]
    return res


def to_analysis_rate(act: np.ndarray, net_hop: int, n_frames: int, hop: int = HOP) -> np.ndarray:
    """Resample frame activations from hop ``net_hop`` to hop ``hop`` (linear).

    Frame ``j`` at the network's rate is centred on sample ``j * net_hop``; output frame
    ``t`` on sample ``t * hop``.
    """
    t_in = np.arange(len(act)) * float(net_hop)
    t_out = np.arange(n_frames) * float(hop)
    return np.interp(t_out, t_in, act).astype(np.float32)


def activations(y: np.ndarray, sr: int = SR, *, model: Any = None,
                power: np.ndarray | None = None, power_hop: int = 0) -> Activations:
    """Return the GRU's beat, downbeat and cut-salience activations of a song.

    Parameters
    ----------
    y : np.ndarray [shape=(n,)]
        Mono audio.
    sr : int
        Its sample rate, Hz (resampled to 22050 if different).
    model : FastNet, FastEnsemble, BeatGRU or Ensemble, optional
        A loaded network (default: the weights of :func:`weights_path`, :func:`load_fast`).
    power, power_hop : np.ndarray, int, optional
        The song's power spectrogram with the network's FFT size at a hop dividing the
        network's (the analyzer's onset spectrogram, hop 256): its frames at the
        network's hop are used, not computed again (:func:`~editspec.model.gru.features`).

    Returns
    -------
    Activations
        ``1 + n // 256`` frames at 22050 / 256 fps (for ``sr`` = 22050).

    Raises
    ------
    ModelError
        When the weights are missing or corrupt.
    ValueError
        When ``y`` is not a 1-D array.

    Examples
    --------
    >>> from editspec.demo import synth_song
    >>> y, truth = synth_song()
    >>> act = activations(y)
    >>> round(act.fps, 2)
    86.13
    """
    from editspec.model.frontend import features

    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ValueError(f"y must be mono audio of shape (n,), got shape {y.shape}")
    if sr != SR:
        import librosa

        y = librosa.resample(y, orig_sr=sr, target_sr=SR).astype(np.float32)
    net = model if model is not None else load_fast()
    cfg = net.cfg
    n_frames = 1 + len(y) // HOP
    if len(y) == 0:
        z = np.zeros(n_frames, np.float32)
        return Activations(z, z.copy(), z.copy(), SR / HOP)
    if sr != SR:
        power = None
    out = run_network(net, features(y, cfg, power=power, power_hop=power_hop))
    up = [to_analysis_rate(out[:, k], cfg.hop, n_frames) for k in range(out.shape[1])]
    return Activations(beat=up[0], downbeat=up[1], salience=up[2], fps=SR / HOP)
