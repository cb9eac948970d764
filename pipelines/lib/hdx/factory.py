"""Choose the HDX backend for a run: live HDX, or a snapshot folder (explicit, or the config's default)."""
from __future__ import annotations

from pathlib import Path

from pipelines.lib.config import SAMPLE_SNAPSHOT, Config
from pipelines.lib.hdx import Fetcher
from pipelines.lib.paths import cache_dir


def make_fetcher(cfg: Config, snapshot: Path | None, live: bool) -> Fetcher:
    if live:
        # Imported here so snapshot runs never load hdx-python-api (and can't reach the network through it).
        from pipelines.lib.hdx.live import LiveFetcher

        return LiveFetcher(cfg.hdx, cache_dir())
    from pipelines.lib.hdx.snapshot import SnapshotFetcher

    root = Path(snapshot) if snapshot is not None else cfg.snapshot_root()
    if root is None:
        where = f" ({cfg.source_path})" if cfg.source_path else ""
        raise ValueError(
            f"no data source: pass --snapshot DIR to read a folder of HDX files, or --live to download from HDX "
            f"(or set `snapshot:` in the configuration{where})"
        )
    if snapshot is None and cfg.snapshot == SAMPLE_SNAPSHOT and not (root / "README.md").exists():
        # The code location never generates it: the CLI does (refresh, ingest and ui), under the writer lock.
        raise ValueError(
            f"the sample snapshot has not been generated yet ({root}): `clusterwatch refresh` generates it on "
            f"first use, or run `clusterwatch generate-sample {root}`"
        )
    return SnapshotFetcher(root)
