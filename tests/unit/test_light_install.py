"""A plain ``pip install editspec`` (no extras): the runtime path works without torch, and a
missing extra is one line naming it.

Each test runs editspec in a subprocess whose ``sys.meta_path`` refuses the optional
packages (torch, matplotlib, Dask, pyarrow, pretty_midi), as a light install has them:
absent. The subprocess starts from ``sitecustomize``-free ``python -c`` code that installs
the blocker before anything of editspec is imported. (Style inference without torch:
tests/unit/test_style.py.)
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import soundfile as sf

BLOCKED = ("torch", "matplotlib", "distributed", "dask", "pyarrow", "pretty_midi")

BLOCKER = f"""
import sys
class _Absent:
    blocked = {BLOCKED!r}
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.blocked:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked by the test)")
        return None
sys.meta_path.insert(0, _Absent())
"""


def _run(code: str, tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "EDITSPEC_CACHE": str(tmp_path / "cache")}
    env.pop("EDITSPEC_MODEL", None)
    return subprocess.run([sys.executable, "-c", BLOCKER + code, *args], capture_output=True,
                          text=True, env=env, cwd=str(tmp_path), timeout=600)


def _cli(tmp_path, *args: str) -> subprocess.CompletedProcess:
    return _run("import sys\nfrom editspec.cli import main\nsys.exit(main(sys.argv[1:]))",
                tmp_path, *args)


def test_the_blocker_blocks(tmp_path):
    out = _run("import torch", tmp_path)
    assert out.returncode == 1 and "blocked by the test" in out.stderr


@pytest.fixture(scope="module")
def song_file(tmp_path_factory):
    from editspec.demo import synth_song

    y, truth = synth_song(sr=22050, bars=12, form=(("verse", 0, 4), ("chorus", 4, 8)))
    path = str(tmp_path_factory.mktemp("song") / "song.wav")
    sf.write(path, y, 22050)
    return path, truth


def test_analysis_with_the_shipped_networks_runs_without_torch(tmp_path, song_file):
    import mir_eval
    import numpy as np

    path, truth = song_file
    code = ("import json, sys\nfrom editspec.analysis.audio import analyze_audio\n"
            "out = {}\n"
            "for tracker in ('hybrid', 'gru', 'gru-ensemble'):\n"
            "    a = analyze_audio(sys.argv[1], tracker=tracker, use_cache=False)\n"
            "    out[tracker] = [float(b) for b in a.beats]\n"
            "assert not any(m in sys.modules for m in ('torch', 'matplotlib', 'distributed'))\n"
            "print(json.dumps(out))")
    proc = _run(code, tmp_path, path)
    assert proc.returncode == 0, proc.stderr
    import json

    beats = json.loads(proc.stdout)
    for tracker, est in beats.items():
        assert mir_eval.beat.f_measure(truth.beats, np.asarray(est)) >= 0.9, tracker


def test_cli_analyze_and_help_run_without_torch(tmp_path, song_file):
    path, _ = song_file
    proc = _cli(tmp_path, "analyze", path, "--tracker", "gru-ensemble", "--no-cache")
    assert proc.returncode == 0, proc.stderr
    assert "gru-ensemble tracker" in proc.stdout
    assert _cli(tmp_path, "--help").returncode == 0


@pytest.mark.parametrize(("args", "extra", "needs"), [
    (["train", "--corpus-only"], "train", "pretty_midi"),
    (["analyze", "SONG", "--plot", "p.png"], "plot", "matplotlib"),
    (["learn", "videos", "-o", "s.npz"], "train", "torch"),
])
def test_a_missing_extra_is_one_line_naming_it(tmp_path, song_file, args, extra, needs):
    (tmp_path / "videos").mkdir()
    args = [song_file[0] if a == "SONG" else a for a in args]
    proc = _cli(tmp_path, *args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].endswith(f"needs {needs}, which is not installed: "
                             f"pip install 'editspec[{extra}]'"), lines[0]
    assert not (tmp_path / "p.png").exists()


def test_batch_on_a_dask_scheduler_without_dask_names_the_extra(tmp_path):
    proc = _cli(tmp_path, "batch", "r.yaml", "--table", "t.csv", "-o", "out", "--scheduler",
                "tcp://127.0.0.1:9")
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("editspec batch --scheduler needs distributed, which is not "
                                   "installed: pip install 'editspec[dask]'")
    assert not (tmp_path / "out").exists()  # said before any output


def test_train_without_torch_names_the_extra(tmp_path):
    # pretty_midi present, torch absent: the corpus could be built, training cannot
    code = BLOCKER.replace(f"blocked = {BLOCKED!r}", "blocked = ('torch',)")
    env = {**os.environ, "EDITSPEC_CACHE": str(tmp_path / "cache")}
    pytest.importorskip("pretty_midi")
    proc = subprocess.run([sys.executable, "-c", code + "import sys\nfrom editspec.cli import "
                           "main\nsys.exit(main(sys.argv[1:]))", "train", "-o",
                           str(tmp_path / "w.npz")], capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("editspec train needs torch, which is not "
                                   "installed: pip install 'editspec[train]'")


def test_style_inference_runs_without_torch(tmp_path, song_file):
    path, _ = song_file
    code = """
import sys
import numpy as np
from editspec.analysis.audio import analyze_audio
from editspec.style.infer import THRESHOLD, style_beats, style_salience
from editspec.style.model import StyleConfig, state_names, write_style

cfg = StyleConfig()
rng = np.random.default_rng(0)
shapes = {"head.0.weight": (cfg.head, 2 * cfg.hidden + cfg.n_music + cfg.n_history),
          "head.0.bias": (cfg.head,), "head.2.weight": (1, cfg.head), "head.2.bias": (1,)}
state = {}
for name in state_names(cfg):
    if name in shapes:
        state[name] = rng.standard_normal(shapes[name]) * 0.3
    else:
        rows = 3 * cfg.hidden
        cols = cfg.n_music if "weight_ih" in name else cfg.hidden
        state[name] = rng.standard_normal((rows, cols) if "weight" in name else rows) * 0.3
write_style("s.npz", cfg, state, np.zeros(cfg.n_music), np.ones(cfg.n_music), {"x": 1})
audio = analyze_audio(sys.argv[1])
beats, p = style_beats("s.npz", audio)
sal = style_salience("s.npz", audio)(beats)
assert len(p) == len(beats) > 20 and np.array_equal(sal, p)
assert 0 < (p >= THRESHOLD).sum() < len(p), p
assert "torch" not in sys.modules
print(len(beats))
"""
    proc = _run(code, tmp_path, path)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) > 20
