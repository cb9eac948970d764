"""Shared fixtures. Tests that need the real HDX files skip cleanly when ../shared is absent."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.lib.paths import shared_snapshot_dir


@pytest.fixture(scope="session")
def real_snapshot() -> Path:
    root = shared_snapshot_dir()
    if not (root / "INDEX.md").exists():
        pytest.skip(f"real HDX snapshot not found at {root} (clone the repo with ../shared beside it to run this)")
    return root


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """A private CLUSTERWATCH_DATA_DIR so tests never touch the user's warehouse."""
    d = tmp_path / "data"
    d.mkdir()
    monkeypatch.setenv("CLUSTERWATCH_DATA_DIR", str(d))
    return d
