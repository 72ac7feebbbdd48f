"""No new import cycle in editspec, between modules or between packages.

The graph comes from ``bench/imports.py`` (imports inside functions and under
``TYPE_CHECKING`` count). The cycles that existed when the test was written are listed
below; each must only shrink. When one is broken, the test fails until its entry is
removed here, so the list records exactly what is left to untangle.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "bench_imports", os.path.join(os.path.dirname(__file__), "..", "..", "bench", "imports.py"))
imports = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(imports)

# Known cycles (strongly connected components), names below ``editspec.``.
KNOWN_MODULE_CYCLES: list[set[str]] = []
KNOWN_PACKAGE_CYCLES: list[set[str]] = []


def _short(comp) -> set[str]:
    return {n.removeprefix("editspec.") for n in comp}


@pytest.fixture(scope="module")
def edges():
    return imports.graph()


def _check(found: list[set[str]], known: list[set[str]], kind: str) -> None:
    new = [c for c in found if not any(c <= k for k in known)]
    assert not new, (f"new {kind} import cycle(s): {new} (python bench/imports.py --cycles "
                     "shows a path through each)")
    stale = [k for k in known if not any(c <= k and c for c in found)]
    assert not stale, f"known {kind} cycle(s) gone: remove {stale} from the list in this test"


def test_no_new_module_cycle(edges):
    _check([_short(c) for c in imports.cycles(edges)], KNOWN_MODULE_CYCLES, "module")


def test_no_new_package_cycle(edges):
    _check([_short(c) for c in imports.cycles(imports.package_graph(edges))],
           KNOWN_PACKAGE_CYCLES, "package")


def test_the_graph_sees_imports_inside_functions_and_a_planted_cycle(tmp_path):
    pkg = tmp_path / "editspec"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from editspec.sub import b\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text("from typing import TYPE_CHECKING\n"
                                      "if TYPE_CHECKING:\n    from .. import a\n")
    (pkg / "c.py").write_text("import editspec.sub.b\n")
    g = imports.graph(str(pkg))
    assert g["editspec.a"] == {"editspec.sub.b"}
    assert g["editspec.sub.b"] == {"editspec.a"}
    assert g["editspec.c"] == {"editspec.sub.b"}
    assert imports.cycles(g) == [("editspec.a", "editspec.sub.b")]
    assert imports.cycles(imports.package_graph(g)) == [("editspec.a", "editspec.sub")]
    assert imports.graph(str(pkg), runtime_only=True)["editspec.sub.b"] == set()
