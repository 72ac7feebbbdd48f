"""Analysis stage: audio (beats, downbeats, tempo, sections, energy) and video (shots, motion).

Results are plain frozen dataclasses, cached by content hash, analyzer version and
parameters (see :mod:`editspec.cache`).
"""
