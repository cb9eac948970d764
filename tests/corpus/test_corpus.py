"""Every case of the defect corpus (cases.py) against the real loader: a clear error or warning naming the file,
never a crash, and the rows loaded before (from the good file) untouched by a failing case.

Cheap by design: the ingest level only (no dbt, no publish), one warehouse per resource loaded once from the good
file; each case damages its own copy. What publication does with bad figures is covered by the dbt unit tests
(CASES_IN_DBT) and the publish tests.
"""
from __future__ import annotations

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
def loaded(real_snapshot, tmp_path_factory):
    """One warehouse, each corpus resource loaded once from its good file."""
    work = tmp_path_factory.mktemp("corpus")
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
def test_corpus_case(case: Case, loaded, real_snapshot):
    work, ensure = loaded
    kind, res, partition = _kind_and_resource(case.resource)
    if case.outcome == "config_error":
        with pytest.raises((pydantic.ValidationError, ConfigError)) as err:
            Resource.model_validate(_merge(res.model_dump(), case.update))
        assert case.match in str(err.value) and "root:x" not in str(err.value)
        return
    warehouse = ensure(case.resource)
    before = _state(warehouse, res)
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


def test_the_corpus_is_at_least_forty_cases():
    assert len(CASES) + len(CASES_IN_DBT) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
