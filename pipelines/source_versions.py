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
from pipelines.sources.raw_asset import raw_data_version, version_entry


def unchanged_runs(instance: dg.DagsterInstance, cfg, fetcher, runs, failing_partitions: set[str]) -> set[str | None]:
    """The partitions (None: the unpartitioned run) of `runs` [(partition, assets)] whose every asset would record
    the version Dagster already holds. A partition whose last load failed always runs: the run reports it."""
    fetched: dict[str, str] = {}  # resource id -> sha256: a multi-country file is hashed once, not per country

    def sha256(res) -> str:
        if res.id not in fetched:
            fetched[res.id] = fetcher.fetch(res).sha256
        return fetched[res.id]

    def expected(kind: str, partition: str) -> str | None:
        try:
            return raw_data_version([version_entry(res, sha256(res))
                                     for res in resources_for_partition(cfg.resources(kind), partition)]).value
        except SourceError:
            return None  # the run must go ahead and report it

    def same(partition: str | None, assets) -> bool:
        part = partition or ALL_PARTITIONS
        if part in failing_partitions:
            return False
        for asset in assets:
            version = expected(asset.key.path[-1], part)
            if version is None or version != recorded_version(instance, asset.key, partition):
                return False
        return True

    return {partition for partition, assets in runs if same(partition, assets)}


def recorded_version(instance: dg.DagsterInstance, key: dg.AssetKey, partition: str | None) -> str | None:
    record = instance.get_latest_data_version_record(key, partition_key=partition)
    version = extract_data_version_from_entry(record.event_log_entry) if record else None
    return version.value if version else None
