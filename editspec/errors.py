"""The editspec error tree: the one place that defines exit codes.

Stages raise these; only :mod:`editspec.cli` prints them and exits. An
:class:`EditspecError` is bad input (a recipe, a media file, an argument) and exits
with code 2 and a one-line message; anything else is an internal error (exit 1).
"""

from __future__ import annotations

from types import ModuleType

EXIT_OK = 0
"""Success."""
EXIT_INTERNAL = 1
"""An internal error (a bug, or a tool that failed unexpectedly); ``--debug`` shows it."""
EXIT_BAD_INPUT = 2
"""Bad input the user can fix: every :class:`EditspecError`."""
EXIT_CHECK_FAILED = 3
"""``editspec check --strict``: a hard cut off its planned frame or off the beat."""
EXIT_INTERRUPTED = 130
"""Interrupted (Ctrl-C), as a shell reports SIGINT."""


class EditspecError(Exception):
    """Bad input that the user can fix. Printed as one line; exit code 2."""

    exit_code = EXIT_BAD_INPUT

    def one_line(self) -> str:
        """Return the message as a single line for stderr."""
        return " ".join(str(self).split("\n")[0:1]) or type(self).__name__


class RecipeError(EditspecError):
    """A recipe problem at a position in its file, printed as ``FILE:LINE:COL: message``.

    Parameters
    ----------
    message : str
        What is wrong, with the value, the constraint and the choices.
    path : str
        The recipe file.
    line, col : int
        1-based position of the offending node (0 when unknown).
    hint : str, optional
        A suggestion that helps fix it (did-you-mean, allowed values).
    code : str
        A stable kebab-case name of the kind of problem (``unknown-key``, ``missing-file``),
        for tools that read ``--errors json``.
    """

    def __init__(self, message: str, path: str = "<recipe>", line: int = 0, col: int = 0,
                 hint: str | None = None, code: str = "invalid-recipe") -> None:
        self.message = message
        self.path = path
        self.line = line
        self.col = col
        self.hint = hint
        self.code = code
        super().__init__(self.format())

    def format(self) -> str:
        """Return ``FILE:LINE:COL: message`` (with the hint in parentheses)."""
        text = f"{self.path}:{self.line}:{self.col}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class RecipeErrors(EditspecError):
    """Several recipe problems, reported at once in file order."""

    MAX_SHOWN = 10

    def __init__(self, errors: list[RecipeError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.path, e.line, e.col, e.message))
        super().__init__(self.format())

    def format(self) -> str:
        """Return one problem per line, capped with "... and N more"."""
        lines = [e.format() for e in self.errors[: self.MAX_SHOWN]]
        extra = len(self.errors) - self.MAX_SHOWN
        if extra > 0:
            lines.append(f"... and {extra} more")
        return "\n".join(lines)

    def one_line(self) -> str:
        """Return every problem; recipe errors are one line per problem."""
        return self.format()


class MediaError(EditspecError):
    """A media file that is missing, unreadable, empty or of the wrong kind."""


class ModelError(EditspecError):
    """Missing or corrupt model weights."""


class CorpusError(EditspecError):
    """The training corpus cannot be built or read (a package, fluidsynth or a file is
    missing, or it is of another version)."""


class BackendError(EditspecError):
    """A backend that cannot write the requested output (unknown name, failed render)."""


class OutputError(EditspecError):
    """An output that cannot be written (folder missing rights, path is a folder, disk full)."""


class FontNotFoundError(EditspecError):
    """A font named by family, face or file that this system does not have."""


class ToolError(EditspecError):
    """An environment fault: a tool editspec runs (ffmpeg) is missing or lacks a feature.

    The message names the tool, its path and version, and what it lacks; exit code 2.
    """


class MissingExtraError(EditspecError):
    """An optional part of editspec that is not installed (torch, matplotlib, Dask,
    pyarrow): the one-line message names the extra that brings it; exit code 2."""


def require_extra(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module`` of the optional ``editspec[extra]``, or say which extra to install.

    Parameters
    ----------
    module : str
        The module to import (``torch``, ``matplotlib``, ``distributed``, ``pyarrow.parquet``).
    extra : str
        The extra of editspec's package that installs it.
    purpose : str
        What needs it, for the message (``"editspec train"``).

    Raises
    ------
    MissingExtraError
        ``<purpose> needs <package>, which is not installed: pip install 'editspec[<extra>]'``.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(f"{purpose} needs {module.split('.')[0]}, which is not "
                                f"installed: pip install 'editspec[{extra}]'") from None
