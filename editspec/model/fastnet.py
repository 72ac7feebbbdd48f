"""The network's forward pass in numpy and numba, for analysis: no torch, no per-step overhead.

:class:`FastNet` computes what :class:`editspec.train.gru.BeatGRU` computes in eval mode
(logits within 1e-4 of torch's; tests/unit/test_model.py): feature normalization, the
kernel-3 convolution and the ELU, and the input projections of the GRU layers as numpy
matrix products over all frames at once, then the recurrence of each layer and direction
in one numba kernel (:func:`gru_scan`), then the linear head.

Why: torch runs a GRU step as a dozen small operator calls, about 10 µs a step whatever
the batch, so a 30-second song (two 24-second chunks) took 0.05 s in the network. The
kernel does a step in about 1.5 µs, and analysis never imports torch (~1.2 s of a cold
process, and not installed by a plain ``pip install editspec``): the weights are a NumPy
``.npz`` (:mod:`editspec.model.weights`). ``bench/model_infer.py`` measures both forward
passes.

tanh and the sigmoid (as ``0.5 + 0.5 tanh(x / 2)``) use a clamped odd/even rational
approximation (max error 3e-7 against ``np.tanh``, tested) that the compiler vectorizes;
numba has no vector ``exp`` without Intel's SVML.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numba import float32, int64, njit, void

from editspec.model import weights
from editspec.model.frontend import GRUConfig


@njit(float32(float32), cache=True, inline="always", fastmath=True)
def fast_tanh(x: float) -> float:  # pragma: no cover - numba
    """tanh(x) within 3e-7: a degree-13/6 odd/even rational fit on [-7.9, 7.9], clamped
    outside (where tanh is 1 to float32 precision)."""
    c = np.float32(7.90531110763549805)
    x = min(max(x, -c), c)
    x2 = x * x
    p = x2 * np.float32(-2.76076847742355e-16) + np.float32(2.00018790482477e-13)
    p = x2 * p + np.float32(-8.60467152213735e-11)
    p = x2 * p + np.float32(5.12229709037114e-08)
    p = x2 * p + np.float32(1.48572235717979e-05)
    p = x2 * p + np.float32(6.37261928875436e-04)
    p = x2 * p + np.float32(4.89352455891786e-03)
    q = x2 * np.float32(1.19825839466702e-06) + np.float32(1.18534705686654e-04)
    q = x2 * q + np.float32(2.26843463243900e-03)
    q = x2 * q + np.float32(4.89352518554385e-03)
    return x * p / q


@njit(void(float32[::1], float32[::1]), cache=True, nogil=True, fastmath=True)
def tanh_array(x: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - numba
    """``out = fast_tanh(x)`` elementwise (for tests and benchmarks)."""
    for i in range(x.shape[0]):
        out[i] = fast_tanh(x[i])


@njit(void(float32[:, :, ::1], int64, float32[:, ::1], float32[::1], float32[:, :, ::1], int64,
           int64), cache=True, nogil=True, fastmath=True)
def gru_scan(gi: np.ndarray, gi_col: int, w_hh_t: np.ndarray, b_hh: np.ndarray,
             out: np.ndarray, out_col: int, reverse: int) -> None:  # pragma: no cover - numba
    """Run one GRU direction over every sequence of a batch, from a zero state.

    ``gi[b, t, gi_col:gi_col + 3H]`` holds the input projection ``W_ih x_t + b_ih`` (gates
    r, z, n as torch orders them); ``w_hh_t`` is ``W_hh`` transposed, (H, 3H). Writes the
    hidden states to ``out[b, t, out_col:out_col + H]``, walking time backwards when
    ``reverse``. torch's equations::

        r = sigmoid(gi_r + W_hr h + b_hr);  z = sigmoid(gi_z + W_hz h + b_hz)
        n = tanh(gi_n + r (W_hn h + b_hn));  h' = (1 - z) n + z h
    """
    n_batch, n_t = gi.shape[0], gi.shape[1]
    H = w_hh_t.shape[0]
    G = 3 * H
    h = np.zeros(H, np.float32)
    gh = np.empty(G, np.float32)
    half = np.float32(0.5)
    for b in range(n_batch):
        h[:] = 0.0
        for s in range(n_t):
            t = n_t - 1 - s if reverse else s
            gh[:] = b_hh
            for k in range(H):  # gh += h @ W_hh^T, a row of W_hh^T per unit: vectorized
                hk = h[k]
                for j in range(G):
                    gh[j] += hk * w_hh_t[k, j]
            g = gi[b, t, gi_col:gi_col + G]
            o = out[b, t, out_col:out_col + H]
            for k in range(H):
                r = half + half * fast_tanh(half * (g[k] + gh[k]))
                z = half + half * fast_tanh(half * (g[H + k] + gh[H + k]))
                n = fast_tanh(g[2 * H + k] + r * gh[2 * H + k])
                h[k] = n + z * (h[k] - n)
                o[k] = h[k]


@dataclass(frozen=True, eq=False)
class FastNet:
    """A :class:`~editspec.train.gru.BeatGRU`'s weights as float32 arrays, run without torch.

    Build it with :func:`from_state` or :func:`load`; call :meth:`forward`.
    """

    cfg: GRUConfig
    arrays: Mapping[str, np.ndarray]
    """The module's ``state_dict`` as float32 arrays (torch's names)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Map features ``(batch, frames, n_inputs)`` to logits ``(batch, frames, 3)``."""
        a, cfg = self.arrays, self.cfg
        x = np.asarray(x, np.float32)
        n_b, n_t, _ = x.shape
        x = (x - a["feat_mean"]) / a["feat_std"]
        w = a["conv.weight"]  # (C, in, 3): out[t] = b + sum_k W[:, :, k] x[t + k - 1]
        xp = np.zeros((n_b, n_t + 2, x.shape[2]), np.float32)
        xp[:, 1:-1] = x
        h = xp[:, :-2] @ w[:, :, 0].T
        h += xp[:, 1:-1] @ w[:, :, 1].T
        h += xp[:, 2:] @ w[:, :, 2].T
        h += a["conv.bias"]
        h = np.where(h > 0, h, np.expm1(np.minimum(h, 0))).astype(np.float32)  # ELU
        H = cfg.hidden
        for w_ih, b_ih, recurrent in self._layers:
            gi = np.ascontiguousarray(h @ w_ih + b_ih, dtype=np.float32)
            h = np.empty((n_b, n_t, H * len(recurrent)), np.float32)
            for d, (w_hh_t, b_hh) in enumerate(recurrent):
                gru_scan(gi, 3 * H * d, w_hh_t, b_hh, h, H * d, d)
        return (h @ a["head.weight"].T + a["head.bias"]).astype(np.float32)

    @functools.cached_property
    def _layers(self) -> list[tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]]:
        """Per GRU layer, in the layout :meth:`forward` uses (made once, not per call): both
        directions' ``W_ih`` transposed side by side (in, 3H * dirs), their ``b_ih``, and
        per direction ``W_hh`` transposed (H, 3H) with ``b_hh``."""
        a = self.arrays
        dirs = ("", "_reverse") if self.cfg.bidirectional else ("",)
        layers = []
        for layer in range(self.cfg.layers):
            names = [f"l{layer}{d}" for d in dirs]
            layers.append((
                np.ascontiguousarray(np.concatenate([a[f"gru.weight_ih_{n}"] for n in names]).T),
                np.concatenate([a[f"gru.bias_ih_{n}"] for n in names]),
                [(np.ascontiguousarray(a[f"gru.weight_hh_{n}"].T), a[f"gru.bias_hh_{n}"])
                 for n in names]))
        return layers


@dataclass(frozen=True, eq=False)
class FastEnsemble:
    """Several :class:`FastNet` of one config whose probabilities are averaged
    (:func:`editspec.model.infer.run_network` runs the members side by side)."""

    members: tuple[FastNet, ...]

    @property
    def cfg(self) -> GRUConfig:
        """The members' config."""
        return self.members[0].cfg


def from_state(cfg: GRUConfig, state: Mapping[str, object]) -> FastNet:
    """Build from a ``state_dict`` (torch tensors or arrays)."""
    arrays = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in state.items()}
    return FastNet(cfg, arrays)


def load(path: str) -> FastNet:
    """Load a weights file (:mod:`editspec.model.weights`, ``.npz``) as a :class:`FastNet`.

    Raises
    ------
    ModelError
        When the file is missing, corrupt or not a beat-GRU weights file.
    """
    cfg, arrays, _ = weights.read(path)
    return FastNet(cfg, arrays)
