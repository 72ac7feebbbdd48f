"""Time the GRU's activations for a 4-minute song (target: under 1 s on 2 CPU cores).

Prints the median of several runs of each stage (features, network, upsampling) and of
the whole ``editspec.model.infer.activations`` call, after one warm-up run that loads
the weights. The network runs both ways: numpy + numba (``editspec.model.fastnet``, what
the analyzer runs) and torch (what training runs), single and as the 2-network ensemble;
``--minutes 0.5`` shows a short song, where torch's per-step overhead dominates. The
song is synthesized (``editspec.demo.synth_song``), so nothing needs downloading.
Usage: ``python bench/model_infer.py [--runs 7] [--threads 2]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from _timing import median_time


def _median_s(fn, runs: int) -> float:
    return median_time(fn, runs, warm=False)


def _median_cpu_s(fn, runs: int) -> float:
    """Median CPU time of the process (all threads): stable when other jobs load the machine."""
    return median_time(fn, runs, warm=False, clock=time.process_time)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--minutes", type=float, default=4.0)
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from editspec.demo import synth_song
    from editspec.model import infer
    from editspec.model.frontend import features
    from editspec.train import gru

    bars = round(args.minutes * 60 / 2.0)  # 120 BPM, 4/4: 2 s per bar
    y, _ = synth_song(sr=22050, bars=bars, form=(("verse", 0, bars // 2),
                                                  ("chorus", bars // 2, bars - bars // 2)))
    y = y[: int(args.minutes * 60 * 22050)]
    t0 = time.perf_counter()
    model = gru.load_model()
    fast = infer.load_fast()
    infer.activations(y)
    first = time.perf_counter() - t0
    feats = features(y, model.cfg)
    out = infer.run_network(fast, feats)
    n = 1 + len(y) // infer.HOP
    ens, fast_ens = (gru.load_model(infer.ensemble_path()),
                     infer.load_fast(infer.ensemble_path()))
    stages = {
        "features (numpy)": lambda: features(y, model.cfg),
        "network (numba, chunked batch)": lambda: infer.run_network(fast, feats),
        "network (torch, chunked batch)": lambda: gru.run_network(model, feats),
        "network (torch, one sequence)": lambda: gru.run_network(model, feats,
                                                                   chunk=len(feats) + 1),
        "ensemble of 2 (numba)": lambda: infer.run_network(fast_ens, feats),
        "ensemble of 2 (torch)": lambda: gru.run_network(ens, feats),
        "upsample": lambda: [infer.to_analysis_rate(out[:, k], model.cfg.hop, n)
                             for k in range(3)],
        "activations() total": lambda: infer.activations(y),
    }
    print(f"{len(y) / 22050:.0f} s song, {len(feats)} network frames, torch threads "
          f"{torch.get_num_threads()}, first call with weight loading {first:.3f}s")
    for name, fn in stages.items():
        runs = max(1, args.runs // 3) if "one sequence" in name else args.runs
        print(f"  {name:32s} median {_median_s(fn, runs):.3f}s wall, "
              f"{_median_cpu_s(fn, runs):.3f}s CPU over {runs} runs")
    total = _median_s(lambda: infer.activations(y), args.runs)
    cpu = _median_cpu_s(lambda: infer.activations(y), args.runs)
    print(f"activations of a {args.minutes:g}-minute song (numba network): {total:.3f}s wall "
          f"({'under' if total < 1.0 else 'OVER'} the 1 s target), {cpu:.3f}s CPU "
          f"(all threads); load average now {os.getloadavg()[0]:.1f}")
    assert np.isfinite(out).all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
