"""Inference: a song → beat, downbeat and cut-salience activations on the analyzer's grid.

Staged (as beat_this's ``Spect2Frames`` → ``Audio2Frames``): :func:`frontend.features`
(numpy) → :func:`run_network` (in overlapping chunks run as a batch: numpy + numba,
:mod:`editspec.model.fastnet`; chunks or an ensemble's members on threads of their
own) →
:func:`to_analysis_rate` (linear upsampling from the network's 43 fps to
``SR / HOP`` = 86.13 fps). Decoding beats from the activations is the analyzer's job
(:mod:`editspec.analysis.beats`).

Importing this module is cheap, and nothing in :mod:`editspec.model` imports torch: the
weights are a NumPy ``.npz`` (:mod:`editspec.model.weights`) run by
:mod:`editspec.model.fastnet`. Training's torch module and its loader are in
:mod:`editspec.train.gru`. A missing or corrupt file raises
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

WEIGHTS_NAME = "beats-gru.npz"
ENSEMBLE_NAMES = (WEIGHTS_NAME, "beats-gru-seed1.npz")
"""The shipped networks of the ``gru-ensemble`` tracker: the recipe of ``beats-gru.npz``
trained with seeds 0 and 1 (models/MODEL_CARD.md)."""
CHUNK_FRAMES = 1024
"""Network frames per chunk (about 24 s)."""
CONTEXT_FRAMES = 128
"""Frames of context on each side of a chunk's core, discarded after the network (3 s)."""


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


def chunk_batch(feats: np.ndarray, chunk: int = CHUNK_FRAMES, context: int = CONTEXT_FRAMES
                ) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """Cut features into overlapping chunks, as one batch.

    Returns
    -------
    batch : np.ndarray [shape=(n_chunks, frames, n_inputs)], float32
        Chunks of ``chunk`` frames (one shorter chunk for a short song), each with
        ``context`` frames on both sides of its core.
    spans : list of (start, offset, n)
        Per chunk: the core's first frame in the song, its offset in the chunk and length.
    """
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
        spans.append((s, s - lo, min(core, m - s)))
    return batch, spans


def join_chunks(out: np.ndarray, spans: list[tuple[int, int, int]], m: int) -> np.ndarray:
    """The chunks' cores of :func:`chunk_batch`'s batch put back in song order: ``(m, k)``."""
    res = np.zeros((m, out.shape[2]), np.float32)
    for b, (s, off, n) in enumerate(spans):
        res[s:s + n] = out[b, off:off + n]
    return res


def run_network(model: FastNet | FastEnsemble, feats: np.ndarray, chunk: int = CHUNK_FRAMES,
                context: int = CONTEXT_FRAMES) -> np.ndarray:
    """Run the network over features in overlapping chunks, batched; return sigmoid outputs.

    Parameters
    ----------
    model : FastNet or FastEnsemble
        The network (:func:`load_fast`). Training runs torch's module the same way
        (:func:`editspec.train.gru.run_network`); they give the same numbers within 1e-4.
    feats : np.ndarray [shape=(m, n_inputs)]
        Features from :func:`editspec.model.frontend.features`.
    chunk, context : int
        Chunk length and the context on each side that is discarded, in network frames.

    Returns
    -------
    np.ndarray [shape=(m, 3)], float32, in 0..1
    """
    batch, spans = chunk_batch(feats, chunk, context)
    members = list(getattr(model, "members", [model]))
    # Work units: each member on a share of the chunks, one thread each (numba and numpy's
    # BLAS release the GIL): an ensemble's members run side by side, a single network's
    # chunks in two halves on 2 cores.
    cores = os.cpu_count() or 1
    parts = max(1, min(len(batch), cores // len(members)))
    bounds = [len(batch) * k // parts for k in range(parts + 1)]
    units = [(net, a, b) for net in members for a, b in itertools.pairwise(bounds)]

    def probs(unit: tuple[Any, int, int]) -> np.ndarray:
        net, a, b = unit
        return (1.0 / (1.0 + np.exp(-net.forward(batch[a:b])))).astype(np.float32)

    if len(units) > 1 and cores > 1:
        from concurrent.futures import ThreadPoolExecutor

        from threadpoolctl import threadpool_limits

        # one BLAS thread per unit: more would only fight over the cores
        with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(
                min(len(units), cores), thread_name_prefix="editspec-net") as pool:
            outs = list(pool.map(probs, units))
    else:
        outs = [probs(u) for u in units]
    per_member = [np.concatenate(outs[k * parts:(k + 1) * parts]) for k in range(len(members))]
    out = per_member[0] if len(members) == 1 else np.mean(per_member, axis=0, dtype=np.float32)
    return join_chunks(out, spans, len(feats))


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
    model : FastNet or FastEnsemble, optional
        A loaded network (default: the weights of :func:`weights_path`, :func:`load_fast`).
    power, power_hop : np.ndarray, int, optional
        The song's power spectrogram with the network's FFT size at a hop dividing the
        network's (the analyzer's onset spectrogram, hop 256): its frames at the
        network's hop are used, not computed again (:func:`~editspec.model.frontend.features`).

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
