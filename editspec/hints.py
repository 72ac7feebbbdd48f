"""Did-you-mean hints for one-line error messages (recipes, fonts, backends)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """Return the closest of ``choices`` to ``word`` (``None`` when nothing is close)."""
    if not isinstance(word, str) or len(word) > 64:
        return None
    close = difflib.get_close_matches(word, [c for c in choices if len(c) <= 64], n=1,
                                      cutoff=cutoff)
    return close[0] if close else None
