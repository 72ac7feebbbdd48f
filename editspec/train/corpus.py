"""Training corpus: MIDI songs from Debian packages, rendered with fluidsynth, exact labels.

Split by concern: :mod:`.packages` (fetching the Debian packages, fluidsynth, soundfonts),
:mod:`.labels` (songs, their grid, cut-salience events), :mod:`.render` (one excerpt) and
:mod:`.augment`; this module builds the corpus from them and reads it back.

Input: the Debian packages named in DESIGN.md ("Data you may use"), fetched with
``apt-get download`` and unpacked with ``dpkg -x`` into ``cache_dir()/corpus`` (never
into git). Output: ``corpus/manifest.json`` and one ``.npz`` per render (int16 audio at
22.05 kHz, beat and downbeat times, cut-salience events) under ``corpus/renders``.

Labels come from each file's tempo and time-signature maps (pretty_midi), so beats and
downbeats are exact; every augmentation that moves time (tempo ±15 %, swing, slow tempo
drift) is one monotonic time map applied to the notes and to the labels alike, while
note-level humanization (timing jitter, velocity) moves notes only. Each render also
varies the soundfont, transposition, drum kit, instrument choice within its family,
which instrument groups play (full mix, no drums, drums only, some groups muted),
fluidsynth's reverb and chorus, and, after rendering, EQ, bus compression, a
convolution reverb, added noise and the level.

Cut-salience targets (Hedna et al. 2023 cut where the music articulates): downbeats,
weighted up at phrase starts (every 4 and 8 bars), at changes of instrumentation or
note density between bars, and strong onsets after a rest.

Everything is deterministic from one seed; the train / validation / test split is by
song (variants of one tune in a package are one song), never by excerpt.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from editspec.errors import CorpusError
from editspec.grid import SR
from editspec.train.augment import (
    RenderSpec,
    draw_spec,
)
from editspec.train.drumkits import KIT_LICENCES, KIT_PACKAGES, find_kits
from editspec.train.labels import Song, list_midi, load_song, song_group, tempo_factor_in_range
from editspec.train.packages import (
    DATA_LICENCES,
    MIDI_PACKAGES,
    SOUNDFONT_PACKAGES,
    Synth,
    fetch_packages,
    find_fluidsynth,
    find_soundfonts,
)
from editspec.train.render import render_one

CORPUS_VERSION = 8
"""2: bar lines follow the music where the MIDI's are shifted (:func:`bar_phase`).
3: every song and render has its beat inside the decoder's tempo range (:data:`TEMPO_RANGE_BPM`),
6/8 played in three is labelled 3/4 (:func:`six_eight_in_three`), and songs whose notes sit
on their grid no more often than chance are left out (:func:`_grid_fit`).
4: the bars of files MMA compiled start after its silent first beat (:func:`mma_beat_adjust`).
5: a silent lead-in to the beat where the music puts its bar line lowers the evidence
:func:`bar_phase` needs (:data:`BAR_PHASE_LEAD_IN_MARGIN`).
6: Freedoom's music joined as training-only songs (tried, did not help: models/MODEL_CARD.md).
7: version 5's songs and renders again (version 6 without Freedoom's songs).
8: recorded drum kits (Hydrogen's) play the drums of some renders, drum patterns with the
snare or hi-hat off the beat are written over spans of bars, amp-like saturation and a
mastering limiter (:mod:`.drumkits`, :func:`.augment.rewrite_groove`)."""


@dataclass(frozen=True, slots=True)
class CorpusConfig:
    """How the corpus is built; stored in the manifest."""

    seed: int = 0
    """Seed of the split and of every augmentation."""
    excerpt_s: float = 30.0
    """Length of each rendered excerpt, seconds."""
    renders_train: int = 10
    """Renders per training song (excerpts from all over the song, each augmented anew)."""
    renders_eval: int = 6
    """Renders per validation and per test song (the first clean, the others half-strength
    augmented): many excerpts, because a bar-phase error costs an excerpt all its downbeats."""
    frac_val: float = 0.12
    """Share of songs held out for validation."""
    frac_test: float = 0.18
    """Share of songs held out for testing."""


def corpus_dir() -> str:
    """Return ``cache_dir()/corpus``, where the corpus lives (outside git)."""
    from editspec.cache import cache_dir

    return os.path.join(cache_dir(), "corpus")


def split_groups(groups: list[str], cfg: CorpusConfig) -> dict[str, str]:
    """Assign each song group to ``train``, ``val`` or ``test`` (seeded permutation)."""
    uniq = sorted(set(groups))
    order = np.random.default_rng([cfg.seed, 7]).permutation(len(uniq))
    n_test = max(1, round(cfg.frac_test * len(uniq)))
    n_val = max(1, round(cfg.frac_val * len(uniq)))
    out = {}
    for rank, i in enumerate(order):
        out[uniq[i]] = "test" if rank < n_test else "val" if rank < n_test + n_val else "train"
    return out


def _render_draws(pm: Any, song: Song, cfg: CorpusConfig, split: str, idx: int, k: int,
                  sf_name: str, kits: tuple[str, ...] = ()
                  ) -> tuple[np.random.Generator, RenderSpec, float]:
    """Return render ``k`` of song ``idx``'s generator, its choices and augmentation strength
    (the generator continues into :func:`render_one`)."""
    rng = np.random.default_rng([cfg.seed, idx, k])
    has_drums = any(i.is_drum and i.notes for i in pm.instruments)
    n_fams = len({i.program // 8 for i in pm.instruments if not i.is_drum and i.notes})
    strength = 1.0 if split == "train" else (0.0 if k == 0 else 0.5)
    spec = draw_spec(rng, sf_name, float(song.beats[0]), song.end_s, cfg.excerpt_s, has_drums,
                     n_fams, strength, kits)
    spec = replace(spec, tempo_factor=tempo_factor_in_range(spec.tempo_factor, song.beats))
    return rng, spec, strength


def _song_job(args: tuple[Any, ...]) -> list[dict[str, Any]]:
    """Render every excerpt of one song (runs in a worker process)."""
    idx, path, split, n_renders, cfg_d, sfs, synth_d, out_dir, kits = args
    cfg = CorpusConfig(**cfg_d)
    synth = Synth(**synth_d)
    loaded = load_song(path)
    if loaded is None:
        return []
    pm, song = loaded
    entries = []
    for k in range(n_renders):
        sf_name, sf_path = sfs[(idx + k) % len(sfs)]
        rng, spec, strength = _render_draws(pm, song, cfg, split, idx, k, sf_name, kits)
        name = f"{split}-{idx:04d}-{k}"
        fname = os.path.join(out_dir, name + ".npz")
        if not os.path.isfile(fname):
            arrays = render_one(pm, song, spec, sf_path, synth, rng, cfg.excerpt_s, strength)
            if len(arrays["beats"]) < 8 or np.abs(arrays["audio"]).max() < 100:
                continue
            tmp = fname + ".tmp.npz"
            np.savez(tmp, **arrays)
            os.replace(tmp, fname)
        entries.append({"name": name, "file": os.path.relpath(fname, os.path.dirname(out_dir)),
                        "split": split, "song": path, "group": song.group, "spec": asdict(spec)})
    return entries


def _distinct(paths: list[str], seen: set[str]) -> list[str]:
    """The files whose bytes are not yet in ``seen`` (content hashes, updated), in order."""
    out = []
    for p in paths:
        with open(p, "rb") as fh:
            h = hashlib.blake2b(fh.read(), digest_size=8).hexdigest()
        if h not in seen:
            seen.add(h)
            out.append(p)
    return out


def build_corpus(cfg: CorpusConfig = CorpusConfig(), *, workers: int = 2, root: str | None = None,
                 progress: bool = True, limit_songs: int | None = None) -> str:
    """Fetch the packages, render the corpus and write its manifest; return the manifest path.

    Finished renders are kept, so an interrupted build resumes where it stopped.

    Parameters
    ----------
    cfg : CorpusConfig
        Seed, excerpt length, renders per song, split fractions.
    workers : int
        Rendering processes.
    root : str, optional
        Corpus folder (default :func:`corpus_dir`).
    progress : bool
        Show a progress bar on stderr.
    limit_songs : int, optional
        Use only the first N songs (for quick trials).

    Returns
    -------
    str
        Path of ``manifest.json``.
    """
    from concurrent.futures import ProcessPoolExecutor

    from tqdm import tqdm

    root = root or corpus_dir()
    os.makedirs(root, exist_ok=True)
    dirs = fetch_packages(MIDI_PACKAGES + SOUNDFONT_PACKAGES + KIT_PACKAGES, root)
    kits = tuple(find_kits(dirs))  # drumkit.xml paths
    synth = find_fluidsynth(root)
    sfs = find_soundfonts(dirs)
    if len(sfs) < 2:
        raise CorpusError(f"need at least two soundfonts, found {[n for n, _ in sfs]}")
    seen: set[str] = set()  # identical files (same bytes) count once
    paths = _distinct(list_midi(dirs), seen)
    paths = paths[:limit_songs] if limit_songs else paths
    splits = split_groups([song_group(p) for p in paths], cfg)
    out_dir = os.path.join(root, f"renders-v{CORPUS_VERSION}")  # a new version renders anew
    os.makedirs(out_dir, exist_ok=True)
    jobs = []
    for idx, p in enumerate(paths):
        split = splits[song_group(p)]
        n = cfg.renders_train if split == "train" else cfg.renders_eval
        jobs.append((idx, p, split, n, asdict(cfg), sfs, asdict(synth), out_dir, kits))
    entries: list[dict[str, Any]] = []
    bar = tqdm(total=len(jobs), desc="corpus", unit="song", disable=not progress)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for res in pool.map(_song_job, jobs):
            entries.extend(res)
            bar.update(1)
            bar.set_postfix(renders=len(entries))
    bar.close()
    manifest = {"version": CORPUS_VERSION, "config": asdict(cfg), "sr": SR,
                "soundfonts": [n for n, _ in sfs],
                "packages": list(MIDI_PACKAGES + SOUNDFONT_PACKAGES + KIT_PACKAGES),
                "kits": [os.path.relpath(k, root) for k in kits],
                "licences": {**DATA_LICENCES, **KIT_LICENCES},
                "renders": entries}
    path = os.path.join(root, "manifest.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(manifest, fh, indent=1)
    os.replace(tmp, path)
    return path


def load_manifest(root: str | None = None) -> dict[str, Any]:
    """Return the corpus manifest.

    Raises
    ------
    CorpusError
        When the corpus has not been built (run ``editspec train --build-corpus``).
    """
    path = os.path.join(root or corpus_dir(), "manifest.json")
    if not os.path.isfile(path):
        raise CorpusError(f"{path}: no corpus; build it with `editspec train --build-corpus` "
                          "or `make corpus`")
    with open(path) as fh:
        manifest = json.load(fh)
    if manifest.get("version") != CORPUS_VERSION:
        raise CorpusError(f"{path}: corpus version {manifest.get('version')}, this editspec "
                          f"needs {CORPUS_VERSION}; rebuild it with `make corpus`")
    return manifest


def load_render(entry: dict[str, Any], root: str | None = None) -> dict[str, np.ndarray]:
    """Return one render's arrays; ``audio`` as float32 in -1..1."""
    with np.load(os.path.join(root or corpus_dir(), entry["file"]), allow_pickle=False) as z:
        d = {k: z[k] for k in z.files}
    d["audio"] = d["audio"].astype(np.float32) / 32767.0
    return d
