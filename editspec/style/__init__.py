"""Learned cutting styles: where an editor cuts, learned from their finished videos.

Stage: edited videos (or an editor's corrections of a plan) → per-beat examples
(:mod:`.data`) → a small GRU over beats (:mod:`.model`, trained by :mod:`.train`) → a
style file whose per-beat cut probability the planner uses as cut salience
(:mod:`.infer`). Descends from Hedna et al. (2023), "A Model for the Automatic Mixing of
Multiple Audio and Video Clips", Cyberworlds: the beats and downbeats of the music and
the scene changes of edited videos train a recurrent network that decides where to
cut. See ``docs/style.md``.

Nothing here is imported at CLI start-up; torch is imported by :mod:`.net` and :mod:`.train`
only (learning, ``editspec[train]``): using a style runs in numpy.
"""

STYLE_FORMAT = "editspec-style"
"""The ``format`` tag of a style file."""
STYLE_VERSION = 2
"""Version of the style file layout (2: NumPy .npz; 1: the same in a torch.save file)."""
