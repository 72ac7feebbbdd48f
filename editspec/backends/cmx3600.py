"""CMX 3600 EDL, by OTIO's ``cmx_3600`` adapter: one video track, dissolves, LOC markers.

The timeline is the one :func:`editspec.backends.otio.edl_to_timeline` builds; what
this format cannot hold is dropped with a warning (see ``docs/interchange.md``).
"""

from __future__ import annotations

from typing import Any

from editspec.edl import EDL

NAME = "cmx3600"
SUFFIXES = (".edl",)
ADAPTER = "cmx_3600"


def write(edl: EDL, path: str, **options: Any) -> None:
    """Write an EDL as a ``.edl`` file, atomically.

    Parameters
    ----------
    edl : EDL
        The edit.
    path : str
        Output file.
    **options
        ``beat_markers`` (bool): also mark every beat.
    """
    from editspec.backends.otio import write_with_adapter

    write_with_adapter(edl, path, ADAPTER, **options)
