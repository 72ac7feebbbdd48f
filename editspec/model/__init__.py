"""The learned part of editspec: a small GRU that gives frame-wise beat, downbeat and
cut-salience activations (after Hedna, Djemmal & Mershad 2023, and Böck et al.'s
recurrent beat trackers).

- :mod:`editspec.model.gru`: the network and its config (imports torch).
- :mod:`editspec.model.infer`: ``activations(y, sr)``, the API the audio analyzer calls;
  torch is imported only when the model runs.
- :mod:`editspec.model.data`: the training corpus, rebuilt from Debian's MIDI packages.
- :mod:`editspec.model.train`: training (never imported by the CLI at start-up).

Importing this package imports nothing heavy.
"""
