"""Final Cut Pro 7 XML (xmeml, imported by Premiere and Resolve), by OTIO's ``fcp_xml``.

The timeline is the one :func:`editspec.backends.otio.edl_to_timeline` builds; what
this format cannot hold is dropped with a warning (see ``docs/interchange.md``).
"""

from __future__ import annotations

from typing import Any

from editspec.edl import EDL

NAME = "fcp7"
SUFFIXES = (".xml",)
ADAPTER = "fcp_xml"


def write(edl: EDL, path: str, **options: Any) -> None:
    """Write an EDL as a ``.xml`` file, atomically.

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
