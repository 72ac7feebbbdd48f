"""The learned part of editspec at inference: a small GRU that gives frame-wise beat,
downbeat and cut-salience activations (after Hedna, Djemmal & Mershad 2023, and Böck et
al.'s recurrent beat trackers). Inference only, and no torch:

- :mod:`editspec.model.infer`: ``activations(y, sr)``, the API the audio analyzer calls;
- :mod:`editspec.model.frontend`: the network's input features and its config;
- :mod:`editspec.model.fastnet`: the forward pass in numpy + numba;
- :mod:`editspec.model.weights`: the ``.npz`` weights file.

Training (torch, the corpus) is :mod:`editspec.train` (``editspec[train]``), which
imports this package, never the other way round; neither imports :mod:`editspec.analysis`
for what they share (:mod:`editspec.dsp`, :mod:`editspec.cache`).
"""
