"""Generate the embedded sample snapshot on first use, so a fresh clone runs with no setup."""
from __future__ import annotations

from pipelines.lib.config import SAMPLE_SNAPSHOT, Config
from pipelines.lib.paths import sample_snapshot_dir


def ensure_sample_snapshot(cfg: Config) -> None:
    if cfg.snapshot != SAMPLE_SNAPSHOT:
        return
    root = sample_snapshot_dir()
    if (root / "README.md").exists():
        return
    from pipelines.sample.generate import generate

    generate(root)
