"""Every case of the defect corpus (cases.py) against the real loader: a clear error or warning naming the file,
never a crash, the rows loaded before (from the good file) untouched by a failing case, and the published
files byte-identical.

Cheap by design: the ingest level only (no dbt), in a copy of the session's published sample (its warehouse
and published/, conftest.sample_baseline), each real resource loaded once from its good file; each case
damages its own copy. The cases that reach a publication run together in one refresh
(test_corpus_publish.py); number cases are also dbt unit tests (CASES_IN_DBT).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pydantic
import pytest

from pipelines.lib.config import ConfigError, ReadLimits, Resource, load_config
from pipelines.lib.errors import SourceError
from pipelines.lib.hdx.snapshot import SnapshotFetcher
from pipelines.lib.ingest import ingest_resource
from pipelines.lib.paths import CONFIG_DIR
from pipelines.lib.warehouse import ALL_PARTITIONS, connect, ensure_raw_schema
from tests.corpus.cases import CASES, CASES_IN_DBT, Case
from tests.corpus.published import published_tree
from tests.snapshot_copy import copy_resource

CONFIG = CONFIG_DIR / "hdx_snapshot.yaml"


def _kind_and_resource(res_id: str) -> tuple[str, Resource, str]:
    cfg = load_config(CONFIG)
    kind, res = next((k, r) for k, r in cfg.sources.all() if r.id == res_id)
    partition = res.country or (cfg.countries[0] if kind in ("presence", "needs") else ALL_PARTITIONS)
    return kind, res, partition


def _merge(base: dict, update: dict) -> dict:
    out = dict(base)
    for k, v in update.items():
        out[k] = _merge(out.get(k) or {}, v) if isinstance(v, dict) and k != "constants" else v
    return out


@pytest.fixture(scope="module")
def loaded(real_snapshot, sample_baseline, tmp_path_factory):
    """The published sample's warehouse and published/, each corpus resource loaded once from its good file."""
    work = tmp_path_factory.mktemp("corpus")
    shutil.copytree(sample_baseline / "published", work / "published", symlinks=True)
    shutil.copyfile(sample_baseline / "warehouse.duckdb", work / "warehouse.duckdb")
    warehouse = work / "warehouse.duckdb"
    done: set[str] = set()

    def ensure(res_id: str) -> Path:
        if res_id not in done:
            kind, res, partition = _kind_and_resource(res_id)
            root = work / f"good-{res_id}"
            copy_resource(real_snapshot, res, root)
            with connect(warehouse) as con:
                ensure_raw_schema(con)
                ingest_resource(con, SnapshotFetcher(root), res, kind, partition)
            done.add(res_id)
        return warehouse

    return work, ensure


def _state(warehouse: Path, res: Resource) -> tuple:
    with connect(warehouse, read_only=True) as con:
        rows = con.execute(f"select count(*), max(_loaded_at), max(_source_sha256) from raw.{res.table} "
                           "where _source_key = ?", [res.id]).fetchone()
        loads = con.execute("select * from raw._loads where source_key = ? order by all", [res.id]).fetchall()
    return rows, loads


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus_case(case: Case, request, real_snapshot):
    kind, res, partition = _kind_and_resource(case.resource)
    if case.outcome == "config_error":
        with pytest.raises((pydantic.ValidationError, ConfigError)) as err:
            Resource.model_validate(_merge(res.model_dump(), case.update))
        assert case.match in str(err.value) and "root:x" not in str(err.value)
        return
    work, ensure = request.getfixturevalue("loaded")  # the published baseline: only for cases that load
    warehouse = ensure(case.resource)
    before, published = _state(warehouse, res), published_tree(work)
    bad = Resource.model_validate(_merge(res.model_dump(), case.update))
    root = work / f"case-{case.id}" / "snap"
    target = copy_resource(real_snapshot, res, root)
    if case.damage:
        case.damage(target)
    limits = ReadLimits(**case.limits)
    with connect(warehouse) as con:
        if case.outcome == "error":
            with pytest.raises(SourceError) as err:
                ingest_resource(con, SnapshotFetcher(root), bad, kind, partition, limits=limits, force=True)
            msg = str(err.value)
            assert case.match.lower() in msg.lower(), msg
            assert res.resource_name in msg or target.name in msg, msg
            assert "Traceback" not in msg and "root:x" not in msg
        else:
            result = ingest_resource(con, SnapshotFetcher(root), bad, kind, partition, limits=limits, force=True)
            assert result.rows == 0
            assert any(case.match in w and target.name in w for w in result.warnings), result.warnings
    if case.outcome == "error":
        assert _state(warehouse, res) == before  # the last good rows stay, and so does the load log
    assert published_tree(work) == published  # every published file byte-identical


def test_the_corpus_is_at_least_forty_cases():
    from tests.corpus.publish_cases import PUBLISH_CASES

    assert len(CASES) >= 40  # ingest-level cases alone
    ids = [c.id for c in CASES] + [c.id for c in PUBLISH_CASES] + list(CASES_IN_DBT)
    assert len(ids) == len(set(ids))
    assert {c.outcome for c in CASES} <= {"error", "warning", "config_error"}
    assert {c.outcome for c in PUBLISH_CASES} <= {"partial", "quarantine", "neutralised", "scrubbed"}


def test_every_dbt_case_names_a_dbt_unit_test_that_exists():
    import yaml

    from pipelines.lib.paths import DBT_PROJECT_DIR

    tests = {(p.stem, t["name"]) for p in (DBT_PROJECT_DIR / "models").rglob("*.yml")
             for t in (yaml.safe_load(p.read_text(encoding="utf-8")) or {}).get("unit_tests") or []}
    for case, where in CASES_IN_DBT.items():
        model, name = where.split(" ")
        assert (model, name) in tests, f"{case}: no unit test {name} in {model}.yml"
