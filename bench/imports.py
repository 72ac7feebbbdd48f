"""The import graph of editspec, and its cycles between modules and between packages.

    python bench/imports.py            # edges, then cycles
    python bench/imports.py --cycles   # cycles only

Read from the source with ``ast`` (nothing is imported). Every ``import`` counts, also one
inside a function or under ``if TYPE_CHECKING:`` (a reader follows it all the same;
``--runtime`` leaves the typing-only ones out).
``from pkg import name`` is an edge to ``pkg.name`` when that is a module, else to ``pkg``.

Modules: ``editspec.backends.ffmpeg.audio``. Packages: the first name below ``editspec``
(``editspec.backends``; a top-level module such as ``editspec.plan`` is its own unit).
A cycle is a strongly connected component of two or more nodes; each is printed with
one concrete closed path through it. ``tests/unit/test_import_cycles.py`` fails on any
cycle not in its list of known ones.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
from collections import defaultdict

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "editspec")


def _modules(root: str = ROOT) -> dict[str, str]:
    """Module name -> file path for every .py file below ``root``."""
    out: dict[str, str] = {}
    base = os.path.dirname(root)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__pycache__")))
        for f in sorted(filenames):
            if not f.endswith(".py"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, f), base)[:-3].split(os.sep)
            if rel[-1] == "__init__":
                rel = rel[:-1]
            out[".".join(rel)] = os.path.join(dirpath, f)
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, skip_type_checking: bool):
    """Import nodes anywhere in the file (``if TYPE_CHECKING:`` bodies too unless skipped)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if skip_type_checking and isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def graph(root: str = ROOT, runtime_only: bool = False) -> dict[str, set[str]]:
    """Module -> the editspec modules it imports (``runtime_only``: not the typing-only ones)."""
    mods = _modules(root)
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        is_pkg = path.endswith("__init__.py")
        pkg = mod if is_pkg else mod.rpartition(".")[0]
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read(), path)
        for node in _imports(tree, runtime_only):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                if node.level:
                    parts = pkg.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1])
                    src = f"{base}.{node.module}" if node.module else base
                else:
                    src = node.module or ""
                for a in node.names:
                    sub = f"{src}.{a.name}"
                    targets.append(sub if sub in mods else src)
            for t in targets:
                # `import editspec.a.b` names editspec.a.b; keep the longest known prefix
                while t and t not in mods:
                    t = t.rpartition(".")[0]
                if t and t != mod and t != "editspec":
                    edges[mod].add(t)
    return edges


def package_of(mod: str) -> str:
    return ".".join(mod.split(".")[:2])


def package_graph(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for a, bs in edges.items():
        pa = package_of(a)
        out.setdefault(pa, set())
        for b in bs:
            if package_of(b) != pa:
                out[pa].add(package_of(b))
    return dict(out)


def _sccs(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with two or more nodes (iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return sorted(out)


def _path(edges: dict[str, set[str]], comp: list[str]) -> list[str]:
    """A shortest closed path from the component's first node back to itself."""
    members = set(comp)
    start = comp[0]
    prev: dict[str, str] = {}
    frontier = [start]
    seen = {start}
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(edges.get(v, ())):
                if w not in members:
                    continue
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(prev[path[-1]])
                    return [*path[::-1], start]
                if w not in seen:
                    seen.add(w)
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    return comp


def cycles(edges: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """Each cycle (strongly connected component) as a sorted tuple of its nodes."""
    return [tuple(c) for c in _sccs(edges)]


def _short(name: str) -> str:
    return name.removeprefix("editspec.") or name


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cycles", action="store_true", help="print the cycles only")
    ap.add_argument("--runtime", action="store_true",
                    help="leave out imports under `if TYPE_CHECKING:`")
    args = ap.parse_args(argv)
    edges = graph(runtime_only=args.runtime)
    pkgs = package_graph(edges)
    if not args.cycles:
        print(f"# modules: {len(edges)}, import edges: {sum(map(len, edges.values()))}")
        for a in sorted(edges):
            print(f"{_short(a)} -> {', '.join(sorted(map(_short, edges[a]))) or '-'}")
        print()
        print("# packages")
        for a in sorted(pkgs):
            print(f"{_short(a)} -> {', '.join(sorted(map(_short, pkgs[a]))) or '-'}")
        print()
    mod_cycles = _sccs(edges)
    pkg_cycles = _sccs(pkgs)
    print(f"# module cycles: {len(mod_cycles)}")
    for c in mod_cycles:
        print(f"{{{', '.join(map(_short, c))}}}: {' -> '.join(map(_short, _path(edges, c)))}")
    print(f"# package cycles: {len(pkg_cycles)}")
    for c in pkg_cycles:
        print(f"{{{', '.join(map(_short, c))}}}: {' -> '.join(map(_short, _path(pkgs, c)))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
