"""Structural rules of the source tree (issue 23), read from the files, nothing imported.

- every exception class and exit code lives in ``editspec/errors.py``;
- the audio sample rate ``SR`` is defined once (``editspec/grid.py``);
- no module is longer than 600 lines.

What broke a rule when the test was written is listed below; each list only shrinks
(an entry that no longer breaks the rule fails the test until it is removed).
"""

from __future__ import annotations

import ast
import os
import re

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "editspec")
MAX_LINES = 600

KNOWN_LONG: set[str] = set()
KNOWN_ERRORS_OUTSIDE: set[tuple[str, str]] = set()
KNOWN_SR_OUTSIDE: set[str] = set()


def _files() -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        out += [os.path.relpath(os.path.join(dirpath, f), ROOT).replace(os.sep, "/")
                for f in filenames if f.endswith(".py")]
    return sorted(out)


def _tree(rel: str) -> ast.Module:
    with open(os.path.join(ROOT, rel), encoding="utf-8") as fh:
        return ast.parse(fh.read(), rel)


def _check(found: set, known: set, what: str) -> None:
    assert not found - known, f"{what}: {sorted(found - known)}"
    assert not known - found, (f"no longer {what}, remove from the known list: "
                               f"{sorted(known - found)}")


def test_no_module_over_600_lines():
    long = set()
    for rel in _files():
        with open(os.path.join(ROOT, rel), encoding="utf-8") as fh:
            if sum(1 for _ in fh) > MAX_LINES:
                long.add(rel)
    _check(long, KNOWN_LONG, f"modules over {MAX_LINES} lines")


def _is_exception(cls: ast.ClassDef) -> bool:
    names = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in cls.bases}
    return any(re.search(r"(Error|Exception|Warning)$", n) for n in names)


def test_exception_classes_and_exit_codes_live_in_errors_py():
    outside, exits = set(), set()
    for rel in _files():
        if rel == "errors.py":
            continue
        for node in ast.walk(_tree(rel)):
            if isinstance(node, ast.ClassDef) and _is_exception(node):
                outside.add((rel, node.name))
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                exits |= {(rel, t.id) for t in targets
                          if isinstance(t, ast.Name) and t.id.startswith("EXIT_")}
    _check(outside, KNOWN_ERRORS_OUTSIDE, "exception classes outside errors.py")
    assert not exits, f"exit codes defined outside errors.py: {sorted(exits)}"


@pytest.mark.parametrize("name", ["SR", "HOP"])
def test_the_audio_grid_is_defined_once(name):
    defined = set()
    for rel in _files():
        for node in _tree(rel).body:
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == name for t in node.targets):
                defined.add(rel)
    known = KNOWN_SR_OUTSIDE if name == "SR" else set()
    _check(defined - {"grid.py"}, known, f"{name} defined outside grid.py")
    assert "grid.py" in defined


def test_the_exit_codes_the_cli_returns_come_from_errors_py():
    """No bare integer is returned by a command handler or by main."""
    bare = set()
    for rel in _files():
        if not rel.startswith("cli/"):
            continue
        for node in ast.walk(_tree(rel)):
            if (isinstance(node, ast.Return) and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, int)):
                bare.add((rel, node.lineno, node.value.value))
    assert not bare, f"bare exit codes in the CLI: {sorted(bare)}"


def test_the_planner_does_no_io_and_never_imports_style():
    """``editspec/plan/`` reads only the values it is handed (issue 23): no file opened or
    looked at, no ffmpeg, and a learned style comes from the pipeline, not from
    ``editspec.style``."""
    io_calls = {"open", "isfile", "isdir", "exists", "getmtime", "getsize", "listdir",
                "glob", "run", "Popen", "check_output", "stat", "abspath", "realpath"}
    banned_modules = ("editspec.style", "editspec.media", "editspec.recipe", "subprocess",
                      "glob", "shutil")
    found = set()
    for rel in _files():
        if not rel.startswith("plan/"):
            continue
        for node in ast.walk(_tree(rel)):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else getattr(f, "attr", "")
                if name in io_calls:
                    found.add((rel, node.lineno, name))
            if isinstance(node, ast.ImportFrom) and node.module:
                mods = [node.module]
            elif isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            else:
                continue
            found |= {(rel, node.lineno, m) for m in mods if m.startswith(banned_modules)}
    assert not found, f"I/O or a banned import in the planner: {sorted(found)}"
