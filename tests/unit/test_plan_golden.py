"""Golden input/expected pairs for every pass of the planner (``editspec.plan.PASSES``).

A scenario, ``tests/golden/plan/NAME.scenario.json``, is written by hand: a recipe (YAML
text), a song described by its tempo, beats, sections and energy steps, the clips' facts
and, optionally, a learned style's probability per beat. The passes run over it in
order; for pass ``k`` the file ``tests/golden/plan/NAME/KK-PASS.json`` holds

- ``input``: the state fields the pass reads (found in its source: ``s.FIELD``), other
  than the scenario's own recipe, song, clips and style, as the earlier passes left them;
- ``expected``: every state field the pass changed, with its new value.

Both are compared (the input too, so a pair stays a pair). When a difference is
intended, rewrite them with ``pytest --update-golden`` and review the diff.
Values are plain JSON: floats rounded to 6 places, a fraction as ``"30000/1001"``,
dataclasses as their fields less those at their defaults, the 10 ms target grid as
runs of (first grid index, rule, shot length asked).
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import os
import textwrap
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from editspec.analysis.audio import AudioAnalysis, Section
from editspec.plan import PASSES, ClipFacts, initial_state
from editspec.plan.state import PlanState, StyleCuts, Targets
from editspec.recipe import load_recipe

GOLDEN = os.path.join(os.path.dirname(__file__), "..", "golden", "plan")
SCENARIOS = sorted(f[:-len(".scenario.json")] for f in os.listdir(GOLDEN)
                   if f.endswith(".scenario.json"))
INPUTS = {"recipe", "audio", "clips", "style"}
PROPERTIES = {"win": "window", "tgt": "targets"}


def _song(spec: dict[str, Any]) -> AudioAnalysis:
    """The song of a scenario: beats from ``first_beat`` at ``tempo``; energy (and cut
    salience) steps ``[from_s, value]`` sampled at 25 per second."""
    beats = spec["first_beat"] + np.arange(spec["beats"]) * 60.0 / spec["tempo"]
    dur = float(spec["duration"])
    t = np.arange(int(dur * 25)) / 25

    def steps(pairs: list[list[float]]) -> np.ndarray:
        out = np.zeros(len(t), np.float32)
        for at, v in pairs:
            out[t >= at] = v
        return out

    bpb = spec["beats_per_bar"]
    salience = steps(spec.get("salience", [[0, 0.0]]))
    salience[np.isin(np.round(t * 25).astype(int), np.round(beats[::bpb] * 25).astype(int))] \
        += spec.get("downbeat_salience", 0.0)
    return AudioAnalysis("song.ogg", dur, float(spec["tempo"]), beats, beats[::bpb], bpb,
                         tuple(Section(float(a), float(b), n) for a, b, n in spec["sections"]),
                         steps(spec["energy"]), 25.0, salience=salience)


def _state(name: str, tmp: str) -> PlanState:
    with open(os.path.join(GOLDEN, f"{name}.scenario.json"), encoding="utf-8") as fh:
        sc = json.load(fh)
    for f in ["song.ogg", *sc["clips"], *sc.get("files", ())]:
        open(os.path.join(tmp, f), "wb").close()  # the recipe's files exist (empty)
    path = os.path.join(tmp, "recipe.yaml")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(sc["recipe"])
    recipe = load_recipe(path)
    audio = _song(sc["song"])
    clips = {os.path.join(tmp, f): ClipFacts(
        os.path.join(tmp, f), float(c["duration"]), Fraction(c.get("fps", "30")),
        tuple(c["size"]), tuple(c["size"]),
        tuple((float(a), float(b)) for a, b in c["usable"]) if "usable" in c else None,
        tuple(map(float, c.get("cuts", ()))), tuple(map(float, c.get("motion", ()))))
        for f, c in sc["clips"].items()}
    style = None
    if "style" in sc:
        from editspec.style.infer import beat_salience

        p = np.array([sc["style"]["pattern"][i % len(sc["style"]["pattern"])]
                      for i in range(len(audio.beats))])
        style = StyleCuts(beat_salience(audio.beats, p), audio.beats, p, 0.5)
    return initial_state(recipe, audio, clips, style)


def _plain(v: Any, tmp: str) -> Any:
    if v is None or isinstance(v, (bool, str)):
        return v.replace(tmp + os.sep, "") if isinstance(v, str) else v
    if isinstance(v, (int, np.integer)) and not isinstance(v, np.bool_):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, (float, np.floating)):
        return round(float(v), 6)
    if isinstance(v, Fraction):
        return f"{v.numerator}/{v.denominator}"
    if isinstance(v, Targets):
        runs: list[list[Any]] = []
        for i, (k, target) in enumerate(zip(v.rule_at, v.target_at, strict=True)):
            run = [int(k), round(float(target), 4)]
            if not runs or runs[-1][1:] != run:
                runs.append([i, *run])
        return {"grid": [round(float(v.grid_t[0]), 6), 0.01, len(v.grid_t)],
                "runs [index, rule, asked s]": runs}
    if dataclasses.is_dataclass(v):
        out = {}
        for f in dataclasses.fields(v):
            val = getattr(v, f.name)
            default = f.default if f.default is not dataclasses.MISSING else (
                f.default_factory() if f.default_factory is not dataclasses.MISSING else None)
            if (f.default is not dataclasses.MISSING or f.default_factory is not
                    dataclasses.MISSING) and not isinstance(val, np.ndarray) and val == default:
                continue
            out[f.name] = _plain(val, tmp)
        return out
    if isinstance(v, dict):
        return {str(_plain(k, tmp)): _plain(x, tmp) for k, x in v.items()}
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_plain(x, tmp) for x in v]
    raise TypeError(f"no plain form for {type(v).__name__}")


def _reads(step) -> set[str]:
    """State fields a pass reads: ``s.FIELD`` in its source."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(step)))
    names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
             and isinstance(n.value, ast.Name) and n.value.id == "s"}
    return {PROPERTIES.get(n, n) for n in names} & {f.name for f in dataclasses.fields(PlanState)}


def _pair(before: PlanState, after: PlanState, step, tmp: str) -> dict[str, Any]:
    fields = [f.name for f in dataclasses.fields(PlanState)]
    read = sorted(_reads(step) - INPUTS)
    assert all(getattr(before, n) is getattr(after, n) for n in INPUTS), step.__name__
    changed = [n for n in fields if n not in INPUTS
               and _plain(getattr(before, n), tmp) != _plain(getattr(after, n), tmp)]
    return {"pass": step.__name__,
            "input": {n: _plain(getattr(before, n), tmp) for n in read},
            "expected": {n: _plain(getattr(after, n), tmp) for n in changed}}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Per scenario: the pair of every pass."""
    out = {}
    for name in SCENARIOS:
        tmp = str(tmp_path_factory.mktemp(name))
        s = _state(name, tmp)
        pairs = []
        for step in PASSES:
            nxt = step(s)
            pairs.append(_pair(s, nxt, step, tmp))
            s = nxt
        out[name] = pairs
    return out


def test_there_are_scenarios_and_each_pass_reads_the_state():
    assert len(SCENARIOS) >= 3
    for step in PASSES:
        assert _reads(step), step.__name__


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.parametrize("k", range(len(PASSES)), ids=[p.__name__ for p in PASSES])
def test_pass_is_golden(runs, name, k, request):
    pair = runs[name][k]
    path = os.path.join(GOLDEN, name, f"{k + 1:02d}-{PASSES[k].__name__}.json")
    text = json.dumps(pair, indent=1, ensure_ascii=False) + "\n"
    if request.config.getoption("--update-golden"):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        pytest.skip(f"rewrote {path}: review the diff, then run without --update-golden")
    assert os.path.isfile(path), f"no golden file {path}: run pytest --update-golden"
    with open(path, encoding="utf-8") as fh:
        want = json.load(fh)
    assert pair["input"] == want["input"], f"{path}: the pass's input differs"
    assert pair["expected"] == want["expected"], f"{path}: the pass's result differs"
