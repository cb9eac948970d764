"""What a refresh must rebuild: the assets downstream of raw data whose Dagster data version changed.

Each raw asset records a data version (its sources' sha256 set, sources/raw_asset.py). The downstream run
(dbt, checks, publish) is tagged with the raw data versions it was built from, so the next refresh compares
the latest versions with those of the last downstream run that succeeded: nothing changed means nothing to
run and nothing new published; a failed run leaves its changes pending for the next one.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster._core.definitions.data_version import extract_data_version_from_entry

from pipelines.lib.paths import DBT_PROJECT_DIR, REFERENCE_DIR, REPO_ROOT
from pipelines.schedules import STAGE_TAG

DOWNSTREAM = "downstream"
BUILT_FROM_TAG = "clusterwatch/raw_data_versions"
CODE = "code"  # the entry for what builds the marts (not data): when it differs, everything is rebuilt
LOAD_FAILURES = "raw/_load_failures|"  # the sources that failed to load (dbt source): their issues must publish
# The day the marts are computed for (the config's as_of, else today): an open activation period counts its days
# up to it, so a new day rebuilds what reads var('as_of') even when no file changed.
AS_OF = "as_of|"
_SEP = "|"
_READS_AS_OF = re.compile(r"""var\(\s*['"]as_of['"]""")


def code_version(config_file: Path, also: tuple[Path, ...] = ()) -> str:
    """A hash of what turns raw rows into published tables: the pipeline code, the dbt project (models,
    seeds, macros, tests), the reference data, the config in force and `also` (the files it names, such as its
    admin-name rules). Editing any of them rebuilds all."""
    h = hashlib.sha256()
    folders = [REPO_ROOT / "pipelines", REFERENCE_DIR] + [DBT_PROJECT_DIR / s for s in ("models", "macros", "seeds",
                                                                                         "tests")]
    files = [p for f in folders for p in f.rglob("*") if p.is_file() and p.suffix != ".pyc"]
    for p in sorted([*files, DBT_PROJECT_DIR / "dbt_project.yml", Path(config_file), *map(Path, also)]):
        h.update(str(p.relative_to(REPO_ROOT) if p.is_relative_to(REPO_ROOT) else p.name).encode())
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()[:20]


def raw_data_versions(instance: dg.DagsterInstance, raw_assets, countries: list[str]) -> dict[str, str]:
    """'<asset key>|<partition>' -> the latest data version ('' when never materialised)."""
    out = {}
    for asset in raw_assets:
        for partition in (countries if asset.partitions_def is not None else [None]):
            record = instance.get_latest_data_version_record(asset.key, partition_key=partition)
            version = extract_data_version_from_entry(record.event_log_entry) if record else None
            out[f"{asset.key.to_user_string()}{_SEP}{partition or ''}"] = version.value if version else ""
    return out


def load_failures_version() -> str:
    """A hash of which sources fail and why: a new, changed or cleared failure rebuilds what reports it, even when
    no raw data changed (the failing partition kept its last good rows)."""
    from pipelines.lib.load_failures import current_failures
    from pipelines.lib.paths import warehouse_path
    from pipelines.lib.warehouse import connect

    if not warehouse_path().exists():
        return ""
    with connect() as con:
        failures = current_failures(con)
    return hashlib.sha256(json.dumps(failures, default=str).encode()).hexdigest()[:20] if failures else ""


def downstream_tags(current: dict[str, str]) -> dict[str, str]:
    return {STAGE_TAG: DOWNSTREAM, BUILT_FROM_TAG: json.dumps(current, sort_keys=True, separators=(",", ":"))}


def built_from_since_last_success(instance: dg.DagsterInstance) -> list[dict[str, str]] | None:
    """What the last successful downstream run was built from, then what each downstream run that failed since
    was built from: a failed run may have rebuilt part of the warehouse, so its changes stay pending (even
    when the file goes back to what the last good run saw). None: no successful run to compare with."""
    runs = instance.get_runs(filters=dg.RunsFilter(tags={STAGE_TAG: DOWNSTREAM}), limit=100)
    failed: list[dict[str, str]] = []
    for run in runs:  # newest first
        if run.status == dg.DagsterRunStatus.SUCCESS:
            if BUILT_FROM_TAG not in run.tags:  # a schedule or sensor run: compare with nothing, rebuild all
                return None
            return [json.loads(run.tags[BUILT_FROM_TAG]), *failed]
        if run.status in (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED):
            if BUILT_FROM_TAG not in run.tags:
                return None
            failed.append(json.loads(run.tags[BUILT_FROM_TAG]))
    return None


def code_changed(current: dict[str, str], built_from: list[dict[str, str]] | None) -> bool:
    return built_from is None or any(b.get(CODE) != current.get(CODE) for b in built_from)


def changed_raw_keys(current: dict[str, str], built_from: list[dict[str, str]]) -> set[dg.AssetKey]:
    """Raw assets with any partition whose data version differs from what those runs were built from."""
    names = {entry for entry in current
             if entry not in (CODE, AS_OF) and any(b.get(entry) != current[entry] for b in built_from)}
    return {dg.AssetKey.from_user_string(entry.split(_SEP)[0]) for entry in names}


def as_of_changed(current: dict[str, str], built_from: list[dict[str, str]]) -> bool:
    return any(b.get(AS_OF) != current.get(AS_OF) for b in built_from)


def as_of_readers(manifest: dict, key_of) -> set[dg.AssetKey]:
    """The dbt models whose SQL reads var('as_of'), or whose tests do (their results can change with the day)."""
    uids = set()
    for uid, node in manifest["nodes"].items():
        if not _READS_AS_OF.search(node.get("raw_code", "") + json.dumps(node.get("test_metadata") or {})):
            continue
        if node["resource_type"] == "model":
            uids.add(uid)
        elif node["resource_type"] == "test":
            uids.update(d for d in node.get("depends_on", {}).get("nodes", []) if d.startswith("model."))
    return {key_of(uid) for uid in uids}


def downstream_of(graph, changed: set[dg.AssetKey], exclude: set[dg.AssetKey], *,
                  everything: bool = False) -> list[dg.AssetKey]:
    changed = {k for k in changed if graph.has(k)}
    keys = set(graph.materializable_asset_keys if everything
               else dg.AssetSelection.assets(*changed).downstream().required_multi_asset_neighbors().resolve(graph))
    from pipelines.publish.assets import RELEASE_KEY  # no upstream on purpose: added, one release per run

    if RELEASE_KEY in graph.materializable_asset_keys and any(k.path[0] == "published" for k in keys):
        keys.add(RELEASE_KEY)
    return sorted((k for k in keys if k not in exclude and k in graph.materializable_asset_keys),
                  key=lambda k: k.to_user_string())


@dataclass
class RebuildPlan:
    """What the raw data, the code and the day are now, and what differs from what the marts were built from."""

    current: dict[str, str]  # the downstream run records it (downstream_tags)
    everything: bool  # --force, no earlier build to compare with, or changed code or config
    changed: set[dg.AssetKey]  # raw assets whose data version changed
    new_day: bool  # as_of moved on: what reads var('as_of') is rebuilt

    @property
    def nothing_loaded(self) -> bool:
        """No raw asset has a data version yet: no source was ever loaded."""
        return not any(v for k, v in self.current.items() if k not in (CODE, LOAD_FAILURES, AS_OF))

    @property
    def nothing_to_do(self) -> bool:
        return not self.changed and not self.new_day

    def describe(self) -> str:
        what = sorted(k.to_user_string() for k in self.changed)
        return ", ".join(what + ([f"as_of {self.current[AS_OF]}"] if self.new_day else []))

    def assets(self, graph, raw_keys: set[dg.AssetKey]) -> list[dg.AssetKey]:
        """The assets to rebuild in `graph` (the full code location: this imports dbt's manifest)."""
        roots = set(self.changed)
        if self.new_day:
            from pipelines.transform.dbt_assets import dbt_manifest_and_keys

            roots |= as_of_readers(*dbt_manifest_and_keys())
        return downstream_of(graph, roots, exclude=raw_keys, everything=self.everything)


def plan_rebuild(instance: dg.DagsterInstance, cfg, config_file: Path, raw_assets, *,
                 force: bool = False) -> RebuildPlan:
    """The one rule the CLI and the rebuild_changed sensor share: Dagster's data versions of the raw assets, the
    code and the day, compared with what the last good downstream run (and any failed since) was built from."""
    from pipelines.transform.dbt_vars import config_dbt_vars

    rules = cfg.admin_names_file()
    current = {**raw_data_versions(instance, raw_assets, cfg.countries),
               CODE: code_version(config_file, (rules,) if rules else ()),
               LOAD_FAILURES: load_failures_version(), AS_OF: config_dbt_vars(cfg)["as_of"]}
    built_from = built_from_since_last_success(instance)
    # A first build and changed code or config rebuild everything (also what no raw data feeds: seeds).
    everything = force or code_changed(current, built_from)
    raw_keys = {a.key for a in raw_assets}
    changed = raw_keys if everything else changed_raw_keys(current, built_from)
    new_day = not everything and as_of_changed(current, built_from)
    return RebuildPlan(current=current, everything=everything, changed=changed, new_day=new_day)
