"""The analysis cache folder: EDITSPEC_CACHE, else XDG_CACHE_HOME/editspec, else ~/.cache."""

from __future__ import annotations

import os

import numpy as np

from editspec import cache


def test_cache_folder_follows_editspec_cache_then_xdg_then_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("EDITSPEC_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert cache.cache_dir() == str(tmp_path / "home" / ".cache" / "editspec")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == str(tmp_path / "xdg" / "editspec")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/dir")  # not absolute: ignored (XDG spec)
    assert cache.cache_dir() == str(tmp_path / "home" / ".cache" / "editspec")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("EDITSPEC_CACHE", str(tmp_path / "mine"))
    assert cache.cache_dir() == str(tmp_path / "mine")


def test_entries_are_written_under_xdg_cache_home(tmp_path, monkeypatch):
    monkeypatch.delenv("EDITSPEC_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    cache.save("probe-key", {"x": np.arange(3)})
    assert os.listdir(tmp_path / "xdg" / "editspec") == ["probe-key.npz"]
    assert cache.load("probe-key")["x"].tolist() == [0, 1, 2]
