"""What a refresh must rebuild: the assets downstream of raw data whose Dagster data version changed.

Each raw asset records a data version (its sources' sha256 set, sources/raw_asset.py). The downstream run
(dbt, checks, publish) is tagged with the raw data versions it was built from, so the next refresh compares
the latest versions with those of the last downstream run that succeeded: nothing changed means nothing to
run and nothing new published; a failed run leaves its changes pending for the next one.
"""
from __future__ import annotations

import json

import dagster as dg
from dagster._core.definitions.data_version import extract_data_version_from_entry

STAGE_TAG = "clusterwatch/stage"
DOWNSTREAM = "downstream"
BUILT_FROM_TAG = "clusterwatch/raw_data_versions"
_SEP = "|"


def raw_data_versions(instance: dg.DagsterInstance, raw_assets, countries: list[str]) -> dict[str, str]:
    """'<asset key>|<partition>' -> the latest data version ('' when never materialised)."""
    out = {}
    for asset in raw_assets:
        for partition in (countries if asset.partitions_def is not None else [None]):
            record = instance.get_latest_data_version_record(asset.key, partition_key=partition)
            version = extract_data_version_from_entry(record.event_log_entry) if record else None
            out[f"{asset.key.to_user_string()}{_SEP}{partition or ''}"] = version.value if version else ""
    return out


def downstream_tags(current: dict[str, str]) -> dict[str, str]:
    return {STAGE_TAG: DOWNSTREAM, BUILT_FROM_TAG: json.dumps(current, sort_keys=True, separators=(",", ":"))}


def last_built_from(instance: dg.DagsterInstance) -> dict[str, str] | None:
    """The raw data versions the last successful downstream run was built from (None: there is none)."""
    runs = instance.get_runs(
        filters=dg.RunsFilter(tags={STAGE_TAG: DOWNSTREAM}, statuses=[dg.DagsterRunStatus.SUCCESS]), limit=1)
    if not runs or BUILT_FROM_TAG not in runs[0].tags:
        return None
    return json.loads(runs[0].tags[BUILT_FROM_TAG])


def changed_raw_keys(current: dict[str, str], built_from: dict[str, str] | None) -> set[dg.AssetKey]:
    """Raw assets with any partition whose data version differs from what the last good run was built from."""
    names = {entry for entry in current if built_from is None or built_from.get(entry) != current[entry]}
    return {dg.AssetKey.from_user_string(entry.split(_SEP)[0]) for entry in names}


def downstream_of(defs: dg.Definitions, changed: set[dg.AssetKey], exclude: set[dg.AssetKey], *,
                  everything: bool = False) -> list[dg.AssetKey]:
    graph = defs.resolve_asset_graph()
    keys = (graph.materializable_asset_keys if everything
            else dg.AssetSelection.assets(*changed).downstream().required_multi_asset_neighbors().resolve(graph))
    return sorted((k for k in keys if k not in exclude and k in graph.materializable_asset_keys),
                  key=lambda k: k.to_user_string())
