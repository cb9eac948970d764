"""Builds the raw asset of one source kind. Each kind's module calls this with its own description."""

import hashlib
import json

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.lib.config import PARTITIONED_KINDS
from pipelines.lib.errors import SourceError
from pipelines.lib.ingest import LoadResult, ingest_resource, resources_for_partition
from pipelines.lib.load_failures import LoadFailure, clear_failures, record_failures
from pipelines.lib.warehouse import ALL_PARTITIONS, ensure_raw_schema, transaction
from pipelines.settings import ClusterwatchSettings, current_config, open_warehouse
from pipelines.sources.hdx_datasets import hdx_key

# Written by every raw asset, read by dbt (quality issues): shown in the lineage, never run on its own.
LOAD_FAILURES = dg.AssetSpec(
    key=dg.AssetKey(["raw", "_load_failures"]), group_name="sources", kinds={"duckdb"},
    description="Source files whose last load failed (one row per resource x partition), written by the raw "
    "assets: the partition kept its last good rows. dbt reports them as quality issues (source_failed).",
)
FORCE_TAG = "clusterwatch/force"  # run tag: reload sources even when unchanged
WAREHOUSE_POOL = "duckdb_warehouse"  # DuckDB allows one writer process: every writer shares this pool


def country_partitions() -> dg.StaticPartitionsDefinition:
    return dg.StaticPartitionsDefinition(current_config().countries)


def _summary(results: list[LoadResult]) -> str:
    lines = ["| source | table | partition | rows | status | seconds | sha256 |", "|---|---|---|---|---|---|---|"]
    for r in results:
        status = "unchanged" if r.skipped else "loaded"
        lines.append(
            f"| {r.source_key} | raw.{r.table} | {r.partition} | {r.rows:,} | {status} | {r.seconds:.2f} | {r.source_sha256[:12]} |"
        )
    return "\n".join(lines)


def version_entry(res, sha256: str) -> tuple[str, str, str]:
    """One source's part of its raw asset's data version: which file, its bytes, how the config reads it."""
    return res.id, sha256, res.fingerprint()


def raw_data_version(sources: list[tuple[str, str, str]]) -> dg.DataVersion:
    """The sources' sha256 set and how the config reads them: it changes exactly when the raw rows can,
    and downstream work (dbt, checks, publish) runs only then (pipelines/changes.py)."""
    return dg.DataVersion(hashlib.sha256(json.dumps(sorted(sources)).encode()).hexdigest()[:20])


class _PartitionFailed(Exception):
    """Rolls the partition's loads back (raised inside its transaction)."""


def _failure(res, kind: str, partition: str, error: SourceError) -> LoadFailure:
    return LoadFailure(source_key=res.id, partition=partition, kind=kind, table_name=res.table,
                       dataset_id=res.dataset, source_file=(res.path or "").rsplit("/", 1)[-1] or res.resource_name,
                       reason=str(error))


def load_kind(context, settings: ClusterwatchSettings, warehouse: DuckDBResource, kind: str, partition: str
              ) -> dg.MaterializeResult:
    cfg = settings.config()
    force = context.run.tags.get(FORCE_TAG) == "1"
    resources = resources_for_partition(cfg.resources(kind), partition)
    fetcher = settings.fetcher()
    results: list[LoadResult] = []
    versions: list[tuple[str, str, str]] = []
    failures: list[LoadFailure] = []
    with open_warehouse(warehouse) as con:
        ensure_raw_schema(con)
        try:
            # All or nothing: when one file fails, every file of this partition keeps its previous rows, so
            # the marts are built from the last good load of the country, not from a mix (issue 14).
            with transaction(con):
                for res in resources:
                    try:
                        r = ingest_resource(con, fetcher, res, kind, partition, force=force, limits=cfg.limits)
                    except SourceError as e:
                        # Keep going: one run reports every bad file of the partition.
                        context.log.error(str(e))
                        failures.append(_failure(res, kind, partition, e))
                        continue
                    results.append(r)
                    versions.append(version_entry(res, r.source_sha256))
                    for warning in r.warnings:
                        context.log.warning(warning)
                    if r.dropped_columns:
                        context.log.info(f"{res.id}: columns outside the raw.{r.table} contract, not loaded: "
                                         + ", ".join(r.dropped_columns))
                    context.log.info(
                        f"{kind}: {res.id} [{partition}] -> raw.{r.table}: "
                        + (f"unchanged ({r.rows:,} rows)" if r.skipped else f"{r.rows:,} rows in {r.seconds:.2f}s")
                    )
                if failures:
                    raise _PartitionFailed()
                clear_failures(con, [res.id for res in resources], partition)
        except _PartitionFailed:
            record_failures(con, failures)
    if failures:
        country = partition != ALL_PARTITIONS
        raise dg.Failure(
            description=(f"{partition}: " if country else "") + f"{len(failures)} of {len(resources)} {kind} "
            f"file(s) failed; none was loaded and the previous rows stay"
            + (" (the marts are built from them)" if country else "") + ":\n"
            + "\n".join(f"- {f.source_file}: {f.reason}" for f in failures),
            metadata={"failed": dg.MetadataValue.json([f.__dict__ for f in failures])},
        )
    per_table: dict[str, int] = {}
    for r in results:
        per_table[r.table] = per_table.get(r.table, 0) + r.rows
    return dg.MaterializeResult(
        data_version=raw_data_version(versions),
        metadata={
            "dagster/row_count": sum(per_table.values()),
            "sources": dg.MetadataValue.md(_summary(results)),
            "unchanged_sources": sum(r.skipped for r in results),
            "warnings": dg.MetadataValue.json([w for r in results for w in r.warnings]),
            "columns_not_loaded": dg.MetadataValue.json({r.source_key: list(r.dropped_columns) for r in results
                                                         if r.dropped_columns}),
            **{f"rows/raw.{t}": n for t, n in per_table.items()},
            "datasets": dg.MetadataValue.json(
                [
                    {
                        "source": r.source_key,
                        "dataset_id": r.dataset_id,
                        "resource_id": r.resource_id,
                        "resource_modified": r.resource_modified,
                        "file": r.source_file,
                        "sha256": r.source_sha256,
                    }
                    for r in results
                ]
            ),
        }
    )


def raw_asset(kind: str, *, description: str) -> dg.AssetsDefinition:
    partitioned = kind in PARTITIONED_KINDS
    @dg.asset(
        name=kind,
        key_prefix=["raw"],
        group_name="sources",
        partitions_def=country_partitions() if partitioned else None,
        description=description,
        deps=[hdx_key(kind)],  # the external HDX asset (sources/hdx_datasets.py)
        owners=["team:information-management"],
        kinds={"python", "duckdb"},
        pool=WAREHOUSE_POOL,
    )
    def _asset(context: dg.AssetExecutionContext, settings: ClusterwatchSettings, warehouse: DuckDBResource
               ) -> dg.MaterializeResult:
        partition = context.partition_key if partitioned else ALL_PARTITIONS
        return load_kind(context, settings, warehouse, kind, partition)

    return _asset
