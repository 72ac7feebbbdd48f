"""Training: what ``editspec train`` needs and analysis does not (torch, the corpus).

Installed with ``editspec[train]``; nothing in analysis, planning or rendering imports
this package (:mod:`editspec.model` is inference only).

- :mod:`.corpus`: builds and reads the training corpus, from :mod:`.packages` (Debian
  packages fetched with ``apt-get download``, fluidsynth, soundfonts), :mod:`.labels`
  (songs from MIDI files, their exact beat/downbeat grid, cut-salience events),
  :mod:`.render` (one excerpt through fluidsynth) and :mod:`.augment`.
- :mod:`.gru`: the torch network (:class:`~.gru.BeatGRU`), loaded from the ``.npz``
  weights; :mod:`.train`: the training loop.
- :mod:`.convert`: an older editspec's torch weights file (``.pt``) → ``.npz``.
"""
