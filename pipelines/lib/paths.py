"""Where clusterwatch keeps its state.

One env var, CLUSTERWATCH_DATA_DIR, moves the warehouse, the download cache,
the Dagster instance and published/ together so that runs can be kept apart.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = REPO_ROOT / "pipelines"
CONFIG_DIR = PACKAGE_DIR / "config"
DEFAULT_CONFIG = CONFIG_DIR / "sample.yaml"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
REFERENCE_DIR = REPO_ROOT / "data" / "reference"


def data_dir() -> Path:
    return Path(os.environ.get("CLUSTERWATCH_DATA_DIR", REPO_ROOT / "data")).resolve()


def warehouse_path() -> Path:
    return data_dir() / "warehouse.duckdb"


def cache_dir() -> Path:
    return data_dir() / "cache"


def published_dir() -> Path:
    return data_dir() / "published"


def sample_snapshot_dir() -> Path:
    return data_dir() / "sample-snapshot"


def shared_snapshot_dir() -> Path:
    """The real HDX files beside the repo (../shared/hdx-snapshot), if present."""
    return REPO_ROOT.parent / "shared" / "hdx-snapshot"
