"""The audio grid every stage agrees on: one sample rate and one analysis hop.

Analysis decodes songs at :data:`SR`, the beat model's inference and its training corpus
use it too, and frame ``t`` of every feature is centred on sample ``t * HOP``. A leaf
module (imports nothing) so that analysis, model and plots share it without importing
each other.
"""

SR = 22050
"""Sample rate songs are decoded to for analysis, Hz."""
HOP = 256
"""Hop between analysis frames in samples (86.13 frames per second)."""
