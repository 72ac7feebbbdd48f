"""The look of every plot (PNG) and of the HTML report: colours, section colours, pyplot.

A leaf module: the plots themselves live with what they draw (``analysis/plot.py`` the
song's analysis, ``analysis/video/plot.py`` a clip's shots). matplotlib is imported
inside :func:`pyplot`, with the non-interactive Agg backend.
"""

from __future__ import annotations

COLORS = {
    "wave": "#9aa5b1", "energy": "#e4572e", "salience": "#7b2cbf", "beat": "#2e86ab",
    "downbeat": "#1b1b1e", "grid": "#e5e7eb", "text": "#1f2933",
    # video (shots --plot): cut kinds, motion and quality curves
    "cut": "#1b1b1e", "fade": "#7b2cbf", "dissolve": "#2e86ab", "motion": "#9aa5b1",
    "local": "#e4572e", "camera": "#2e86ab", "shake": "#e4572e", "sharpness": "#1b1b1e",
    "exposure": "#f4a259", "usable": "#2a9d8f", "centre_x": "#7b2cbf", "centre_y": "#2a9d8f",
}
"""The palette of every editspec figure (``analyze --plot``, ``shots --plot``, the report)."""
SECTION_COLORS = ("#fde68a", "#bfdbfe", "#c7f9cc", "#fbcfe8", "#ddd6fe", "#fed7aa")


def section_color(label: str) -> str:
    """Return the fill colour of a section label (the same label, the same colour)."""
    if label == "chorus":
        return "#fca5a5"
    if label in ("intro", "outro"):
        return "#e5e7eb"
    return SECTION_COLORS[sum(map(ord, label)) % len(SECTION_COLORS)]


def pyplot():  # type: ignore[no-untyped-def]
    from editspec.errors import require_extra

    matplotlib = require_extra("matplotlib", "plot", "--plot")

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "axes.edgecolor": COLORS["grid"],
                         "axes.labelcolor": COLORS["text"], "xtick.color": COLORS["text"],
                         "ytick.color": COLORS["text"], "axes.spines.top": False,
                         "axes.spines.right": False})
    return plt
