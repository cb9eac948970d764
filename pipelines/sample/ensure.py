"""Generate the embedded sample snapshot on first use, so a fresh clone runs with no setup.

The CLI calls this (refresh, ingest, ui); the Dagster code location never imports the generator."""
from __future__ import annotations

from pathlib import Path

from pipelines.lib.config import SAMPLE_SNAPSHOT, Config
from pipelines.lib.paths import sample_snapshot_dir


def _complete(root: Path) -> bool:
    return (root / "README.md").exists()  # the generator writes it last


def ensure_sample_snapshot(cfg: Config, say=None) -> None:
    if cfg.snapshot != SAMPLE_SNAPSHOT or _complete(root := sample_snapshot_dir()):
        return
    from pipelines.lib.warehouse import writer_lock
    from pipelines.sample.generate import generate

    with writer_lock(say=say):  # two commands started together: the first writes it, the second finds it
        if not _complete(root):
            if say:
                say(f"generating the fictional sample snapshot in {root}")
            generate(root)
