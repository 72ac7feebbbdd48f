"""Training: what ``editspec train`` needs and analysis does not (torch, the corpus).

Installed with ``editspec[train]``; nothing here is imported by analysis, planning or
rendering. :mod:`.convert` turns an older editspec's torch weights file into ``.npz``.
"""
