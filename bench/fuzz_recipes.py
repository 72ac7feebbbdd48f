"""Fuzz both recipe front ends: no exception but RecipeErrors escapes, no input takes 1 s.

Inputs (seeded, ``--n`` in all, split evenly over the kinds and over YAML and DSL):
random bytes, mutated examples (byte flips, insertions, deletions, splices of lines,
duplicated lines), deep nesting, huge numbers, odd unicode, and random token soups of
the recipe vocabulary. Each goes through the whole loader (parse, kits, variables,
schema, compile, with files checked in a folder holding a fake song and clips).

Usage: python bench/fuzz_recipes.py [--n 100000] [--seed 0] [--workers 2]
Prints the counts per kind and front, escapes (with the first few inputs) and slow inputs.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")
SLOW_S = 1.0
ODD = ["\u0000", "\u202e", "\ufeff", "\u00a0", "\u2028", "\U0001f3ac", "é", "ﬁ", "\t", "\r",
       "\\", '"', "'", "{{", "}}", "#", ":", "- ", "&a", "*a", "!!binary", "<<:", "%YAML",
       "\udcff"]
WORDS = ["version", "1", "music", "clips", "cuts", "every", "beat", "2 beats", "bars", "when",
         "energy", ">", "0.5", "in", "chorus", "transition", "crossfade", "text", "var", "{",
         "}", "[", "]", ",", ";", "\n", '"x"', "song.ogg", "clips/*.mp4", "output", "size",
         "9:16", "fps", "30000/1001", "duration", "song", "extends", "kit.yaml", "overlays",
         "brand", "logo", "{{t}}", "variables", "rules", "pattern", "calm", "1e999", "-0",
         "..", "../../etc/passwd", "/", "**", "~"]


def _examples() -> list[tuple[str, str]]:
    out = []
    for d, _, files in os.walk(EXAMPLES):
        for f in sorted(files):
            if f.endswith((".yaml", ".edit")):
                with open(os.path.join(d, f), encoding="utf-8") as fh:
                    out.append((f, fh.read()))
    return out


def _mutate(text: str, rng: random.Random) -> str:
    s = list(text)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(6)
        i = rng.randrange(len(s) + 1)
        if op == 0 and s:
            del s[min(i, len(s) - 1)]
        elif op == 1:
            s.insert(i, rng.choice(ODD + WORDS + [chr(rng.randrange(32, 127))]))
        elif op == 2 and s:
            s[min(i, len(s) - 1)] = chr(rng.randrange(0, 0x3000))
        elif op == 3:
            lines = "".join(s).splitlines(keepends=True)
            if lines:
                j = rng.randrange(len(lines))
                lines.insert(rng.randrange(len(lines) + 1), lines[j])
            s = list("".join(lines))
        elif op == 4:
            lines = "".join(s).splitlines(keepends=True)
            rng.shuffle(lines)
            s = list("".join(lines))
        else:
            s.insert(i, str(rng.choice([10**400, -(10**30), 1e308, 2**64, 0.1**300])))
    return "".join(s)


def _nested(syntax: str, rng: random.Random) -> str:
    depth = rng.choice([10, 63, 64, 65, 100, 1000, 20000])
    if syntax == "yaml":
        kind = rng.randrange(3)
        if kind == 0:
            return "version: 1\nclips: " + "[" * depth + "]" * depth + "\n"
        if kind == 1:
            return "version: 1\nmusic: " + "{a: " * depth + "1" + "}" * depth + "\n"
        lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
        return "\n".join(lines) + "\n"
    if rng.random() < 0.5:
        return "version 1\nclips " + "[" * depth + "]" * depth + "\n"
    return "version 1\noutput " + "{ a " * depth + "1" + " }" * depth + "\n"


def _huge(syntax: str, rng: random.Random) -> str:
    num = rng.choice(["9" * 5000, "1e999", "-1e999", "1" + "0" * 400 + ".5", ".nan",
                      "0x" + "f" * 99,
                      "99999999999999999999s", "9" * 60 + ":00", "1" * 20 + " bars"])
    key = rng.choice(["seed", "fps", "duration", "start", "min_shot", "zoom_pulse", "every",
                      "size", "gain", "weight"])
    if syntax == "yaml":
        return (f"version: 1\nseed: {num}\noutput: {{fps: {num}, duration: {num}}}\n"
                f"music: {{file: song.ogg, start: {num}}}\nclips: [clips/*.mp4]\n"
                f"cuts: {{{key}: {num}}}\n")
    return (f"version 1\nseed {num}\noutput {{ fps {num}; duration {num} }}\n"
            f"music song.ogg {{ start {num} }}\nclips clips/*.mp4\ncuts {{ every {num} beats }}\n")


def _unicode(rng: random.Random) -> str:
    n = rng.randint(1, 200)
    return "".join(rng.choice(ODD) if rng.random() < 0.3 else chr(rng.randrange(0, 0x10FFFF))
                   for _ in range(n))


def _soup(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 60)))


def make_input(i: int, seed: int, examples: list[tuple[str, str]]) -> tuple[str, str, bytes]:
    """Return (kind, syntax, content) of input number ``i``."""
    rng = random.Random(seed * 1_000_003 + i)
    syntax = "yaml" if i % 2 == 0 else "dsl"
    kind = ("bytes", "mutated", "nested", "huge", "unicode", "soup")[(i // 2) % 6]
    if kind == "bytes":
        data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
    elif kind == "mutated":
        pool = [t for n, t in examples if n.endswith(".edit") == (syntax == "dsl")] or \
            [t for _, t in examples]
        data = _mutate(rng.choice(pool), rng).encode("utf-8", "surrogatepass")
    elif kind == "nested":
        data = _nested(syntax, rng).encode()
    elif kind == "huge":
        data = _huge(syntax, rng).encode()
    elif kind == "unicode":
        data = _unicode(rng).encode("utf-8", "surrogatepass")
    else:
        data = _soup(rng).encode()
    return kind, syntax, data


def _setup(folder: str) -> None:
    os.makedirs(os.path.join(folder, "clips"), exist_ok=True)
    for name in ("song.ogg", "clips/a.mp4", "clips/b.mp4", "logo.png"):
        with open(os.path.join(folder, name), "wb") as fh:
            fh.write(b"x")
    with open(os.path.join(folder, "kit.yaml"), "w", encoding="utf-8") as fh:
        fh.write("version: 1\nbrand: {colors: {ink: '#000000'}}\n")


def run_chunk(args: tuple[int, int, int]) -> dict:
    """Run inputs ``start..stop`` and return the tallies."""
    from editspec.errors import RecipeErrors
    from editspec.recipe import load_recipe

    start, stop, seed = args
    examples = _examples()
    counts: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    escapes: list[str] = []
    slow: list[str] = []
    worst = worst_cpu = 0.0
    with tempfile.TemporaryDirectory() as folder:
        _setup(folder)
        for i in range(start, stop):
            kind, syntax, data = make_input(i, seed, examples)
            path = os.path.join(folder, "r.yaml" if syntax == "yaml" else "r.edit")
            with open(path, "wb") as fh:
                fh.write(data)
            counts[f"{kind}/{syntax}"] += 1
            t0 = time.perf_counter()
            c0 = time.process_time()
            try:
                load_recipe(path, variables={"t": "x"} if i % 7 == 0 else {})
            except RecipeErrors as exc:
                rejected[f"{kind}/{syntax}"] += 1
                for e in exc.errors:  # the text must also render
                    e.format()
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt):
                    raise
                escapes.append(f"#{i} {kind}/{syntax}: {type(exc).__name__}: {str(exc)[:200]}\n"
                               f"  input: {data[:200]!r}\n"
                               + "".join(traceback.format_exc().splitlines(True)[-4:]))
            dt = time.perf_counter() - t0
            cpu = time.process_time() - c0
            worst = max(worst, dt)
            worst_cpu = max(worst_cpu, cpu)
            if dt > SLOW_S:
                slow.append(f"#{i} {kind}/{syntax}: {dt:.2f}s wall, {cpu:.2f}s CPU, "
                            f"input: {data[:120]!r}")
    return {"counts": counts, "rejected": rejected, "escapes": escapes, "slow": slow,
            "worst": worst, "worst_cpu": worst_cpu}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=100_000, help="inputs (100000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    t0 = time.perf_counter()
    step = 2000
    chunks = [(a, min(a + step, args.n), args.seed) for a in range(0, args.n, step)]
    counts: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    escapes: list[str] = []
    slow: list[str] = []
    worst = worst_cpu = 0.0
    with ProcessPoolExecutor(args.workers) as pool:
        for res in pool.map(run_chunk, chunks):
            counts.update(res["counts"])
            rejected.update(res["rejected"])
            escapes += res["escapes"]
            slow += res["slow"]
            worst = max(worst, res["worst"])
            worst_cpu = max(worst_cpu, res["worst_cpu"])
    total = sum(counts.values())
    print(f"fuzz_recipes: {total} inputs in {time.perf_counter() - t0:.0f}s "
          f"(seed {args.seed}, {args.workers} workers)")
    print(f"{'kind/front':<18}{'inputs':>8}{'rejected':>10}{'accepted':>10}")
    for key in sorted(counts):
        print(f"{key:<18}{counts[key]:>8}{rejected[key]:>10}{counts[key] - rejected[key]:>10}")
    print(f"escapes (exceptions other than RecipeErrors): {len(escapes)}")
    for e in escapes[:10]:
        print("  " + e)
    print(f"inputs slower than {SLOW_S:g}s (wall clock): {len(slow)}; slowest input "
          f"{worst * 1000:.0f} ms wall, {worst_cpu * 1000:.0f} ms CPU")
    for s in slow[:10]:
        print("  " + s)
    return 1 if escapes or slow else 0


if __name__ == "__main__":
    sys.exit(main())
