"""Backend registry: name → module, imported on first use.

A backend is a module exposing ``NAME``, ``SUFFIXES`` and ``write(edl, path, **options)``.
Third-party backends register under the entry-point group ``editspec.backends``; a
broken plugin is logged and skipped.
"""

from __future__ import annotations

import importlib
import logging
import os
from types import ModuleType

from editspec.errors import BackendError

log = logging.getLogger(__name__)

BUILTIN: dict[str, str] = {
    "ffmpeg": "editspec.backends.ffmpeg",
    "otio": "editspec.backends.otio",
    "cmx3600": "editspec.backends.cmx3600",
    "fcp7": "editspec.backends.fcp7",
    "fcpxml": "editspec.backends.fcpxml",
    "mlt": "editspec.backends.mlt",
    "report": "editspec.report",
}
ENTRY_POINT_GROUP = "editspec.backends"
NOT_EXPORTS = ("ffmpeg", "report")
"""Built-in backends that render rather than export (``editspec render``/``report``)."""
BUILTIN_EXPORTS = tuple(n for n in BUILTIN if n not in NOT_EXPORTS)
"""The export formats editspec ships, for help texts that must not read plugins."""


def available_backends() -> dict[str, str]:
    """Return name → module path of every backend, built-in and plugged in."""
    names = dict(BUILTIN)
    try:
        from importlib.metadata import entry_points

        for ep in entry_points(group=ENTRY_POINT_GROUP):
            names.setdefault(ep.name, ep.value)
    except Exception as exc:  # a broken plugin environment must not break editspec
        log.warning("could not read editspec backend plugins: %s", exc)
    return names


def export_formats() -> list[str]:
    """Return the names ``editspec export --to`` takes: built-in formats, then plugins."""
    return [n for n in available_backends() if n not in NOT_EXPORTS]


def get_export_backend(name: str) -> ModuleType:
    """Return the export backend called ``name``.

    Raises
    ------
    BackendError
        When no export backend has that name (the message lists the available ones).
    """
    names = export_formats()
    if name not in names:
        raise BackendError(f"export format not supported: {name!r}, available: "
                           f"{', '.join(names)}")
    return get_backend(name)


def get_backend(name: str) -> ModuleType:
    """Return the backend module called ``name``.

    Raises
    ------
    BackendError
        When no backend has that name (the message lists the available ones).
    """
    names = available_backends()
    if name not in names:
        raise BackendError(f"backend not supported: {name!r}, "
                           f"available: {', '.join(sorted(names))}")
    try:
        module = importlib.import_module(names[name].split(":")[0])
    except ImportError as exc:
        raise BackendError(f"backend {name!r} cannot be loaded: {exc}") from None
    for attr in ("NAME", "SUFFIXES", "write"):
        if not hasattr(module, attr):
            raise BackendError(f"backend {name!r} ({module.__name__}) has no {attr}")
    return module


def backend_for_path(path: str) -> ModuleType:
    """Return the backend that writes files with ``path``'s suffix."""
    suffix = os.path.splitext(path)[1].lower()
    for name in available_backends():
        try:
            module = get_backend(name)
        except BackendError as exc:
            log.warning("skipping backend %s: %s", name, exc)
            continue
        if suffix in module.SUFFIXES:
            return module
    raise BackendError(f"no backend writes {suffix!r} files")
