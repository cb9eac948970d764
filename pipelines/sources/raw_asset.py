"""Builds the raw asset of one source kind. Each kind's module calls this with its own description."""

import hashlib
import json

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.lib.config import PARTITIONED_KINDS
from pipelines.lib.errors import SourceError
from pipelines.lib.ingest import LoadResult, ingest_resource, resources_for_partition
from pipelines.lib.warehouse import ALL_PARTITIONS, ensure_raw_schema
from pipelines.settings import ClusterwatchSettings, current_config, open_warehouse
from pipelines.sources.hdx_datasets import hdx_key

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


def raw_data_version(sources: list[tuple[str, str, str]]) -> dg.DataVersion:
    """The sources' sha256 set and how the config reads them: it changes exactly when the raw rows can,
    and downstream work (dbt, checks, publish) runs only then (pipelines/changes.py)."""
    return dg.DataVersion(hashlib.sha256(json.dumps(sorted(sources)).encode()).hexdigest()[:20])


def load_kind(context, settings: ClusterwatchSettings, warehouse: DuckDBResource, kind: str, partition: str
              ) -> dg.MaterializeResult:
    cfg = settings.config()
    force = context.run.tags.get(FORCE_TAG) == "1"
    resources = resources_for_partition(cfg.resources(kind), partition)
    fetcher = settings.fetcher()
    results: list[LoadResult] = []
    read_as: dict[str, str] = {}  # source key -> how the config reads it
    failures: list[str] = []
    with open_warehouse(warehouse) as con:
        ensure_raw_schema(con)
        for res in resources:
            try:
                r = ingest_resource(con, fetcher, res, kind, partition, force=force, limits=cfg.limits)
            except SourceError as e:
                # Keep going so one bad file does not block the others; its previous rows stay.
                context.log.error(str(e))
                failures.append(str(e))
                continue
            results.append(r)
            read_as[r.source_key] = res.fingerprint()
            for warning in r.warnings:
                context.log.warning(warning)
            context.log.info(
                f"{kind}: {res.id} [{partition}] -> raw.{r.table}: "
                + (f"unchanged ({r.rows:,} rows)" if r.skipped else f"{r.rows:,} rows in {r.seconds:.2f}s")
            )
    if failures:
        raise dg.Failure(
            description=f"{len(failures)} {kind} source(s) failed; their previously loaded rows are untouched:\n"
            + "\n".join(f"- {f}" for f in failures),
            metadata={"loaded": dg.MetadataValue.md(_summary(results))},
        )
    per_table: dict[str, int] = {}
    for r in results:
        per_table[r.table] = per_table.get(r.table, 0) + r.rows
    return dg.MaterializeResult(
        data_version=raw_data_version([(r.source_key, r.source_sha256, read_as[r.source_key]) for r in results]),
        metadata={
            "dagster/row_count": sum(per_table.values()),
            "sources": dg.MetadataValue.md(_summary(results)),
            "unchanged_sources": sum(r.skipped for r in results),
            "warnings": dg.MetadataValue.json([w for r in results for w in r.warnings]),
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
