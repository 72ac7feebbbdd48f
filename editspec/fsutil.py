"""Atomic file output: write to a temporary file beside the target, then rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator

from editspec.errors import OutputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str, suffix: str | None = None) -> Iterator[str]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``.

    On an exception the temporary file is removed and ``path`` is left untouched,
    so a failed write never leaves a half-written output.

    Parameters
    ----------
    path : str
        The final file.
    suffix : str, optional
        Suffix of the temporary file (default: ``path``'s, so tools that pick a
        format by suffix, such as ffmpeg, still see it).

    Raises
    ------
    OutputError
        When the folder cannot be made or written, or ``path`` cannot be replaced
        (a folder, no rights): bad input, exit code 2.
    """
    folder = os.path.dirname(os.path.abspath(path))
    if suffix is None:
        suffix = os.path.splitext(path)[1]
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".editspec-", suffix=suffix)
    except OSError as exc:
        raise _output_error(path, exc) from exc
    os.close(fd)
    try:
        yield tmp
        try:
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, path)
        except OSError as exc:
            raise _output_error(path, exc) from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _output_error(path: str, exc: OSError) -> OutputError:
    """The one-line error for an output that cannot be written."""
    return OutputError(f"cannot write {path}: {exc.strerror or exc}")


def write_text_atomic(path: str, text: str) -> None:
    """Write UTF-8 text to ``path`` atomically (a failed write, disk full, is an OutputError)."""
    with atomic_path(path) as tmp:
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise _output_error(path, exc) from exc
