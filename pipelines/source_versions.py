"""Which source runs a refresh can leave out: those whose raw data version would not change.

A raw asset's Dagster data version is its sources' sha256 set and how the config reads them
(sources/raw_asset.raw_data_version). Fetching a file and hashing it is cheap; a Dagster run is not (about a
second each, six countries and the global sources make seven). So before launching a partition's run, the
refresh computes the version that run would record and compares it with the one Dagster holds: equal means the
run would load nothing and record the same version, and it is left out.
"""
from __future__ import annotations

import dagster as dg
from dagster._core.definitions.data_version import extract_data_version_from_entry

from pipelines.lib.errors import SourceError
from pipelines.lib.ingest import resources_for_partition
from pipelines.lib.warehouse import ALL_PARTITIONS
from pipelines.sources.raw_asset import raw_data_version


def expected_version(cfg, fetcher, kind: str, partition: str) -> str | None:
    """The data version loading `kind` for `partition` would record; None when a file cannot be fetched
    (the run must go ahead and report it)."""
    sources = []
    for res in resources_for_partition(cfg.resources(kind), partition):
        try:
            fetched = fetcher.fetch(res)
        except SourceError:
            return None
        sources.append((res.id, fetched.sha256, res.fingerprint()))
    return raw_data_version(sources).value


def recorded_version(instance: dg.DagsterInstance, key: dg.AssetKey, partition: str | None) -> str | None:
    record = instance.get_latest_data_version_record(key, partition_key=partition)
    version = extract_data_version_from_entry(record.event_log_entry) if record else None
    return version.value if version else None


def unchanged(instance: dg.DagsterInstance, cfg, fetcher, assets, partition: str | None,
              failing_partitions: set[str]) -> bool:
    """True when every asset of the run would record the version Dagster already holds for the partition.
    A partition whose last load failed always runs: the run is what reports the failure."""
    if (partition or ALL_PARTITIONS) in failing_partitions:
        return False
    for asset in assets:
        kind = asset.key.path[-1]
        expected = expected_version(cfg, fetcher, kind, partition or ALL_PARTITIONS)
        if expected is None or expected != recorded_version(instance, asset.key, partition):
            return False
    return True
