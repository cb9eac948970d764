"""One country's bad file fails that country's partition only (issue 14), on copies of the real snapshot files.

Ethiopia has three 3W/4W files. One of them broken: none of Ethiopia's presence files is loaded (the partition
loads all or nothing), its rows and load log stay as they were, raw._load_failures names the file and why;
Somalia's partition loads. Fixed again: Ethiopia loads and the failure row goes.
"""
from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest
from dagster_duckdb import DuckDBResource

from pipelines.lib.config import load_config
from pipelines.lib.ingest import resources_for_partition
from pipelines.lib.load_failures import current_failures
from pipelines.lib.paths import CONFIG_DIR
from pipelines.lib.warehouse import connect
from pipelines.settings import ClusterwatchSettings
from pipelines.sources.raw_asset import load_kind
from tests.snapshot_copy import copy_resource

CONFIG = CONFIG_DIR / "hdx_snapshot.yaml"
BROKEN = "eth_4w_2025_may_jul"


def _context() -> SimpleNamespace:
    return SimpleNamespace(run=SimpleNamespace(tags={}), log=logging.getLogger("test_partition_isolation"))


def _load(root: Path, warehouse: Path, country: str):
    settings = ClusterwatchSettings(config_path=str(CONFIG), snapshot=str(root))
    return load_kind(_context(), settings, DuckDBResource(database=str(warehouse)), "presence", country)


def _partition_state(warehouse: Path, country: str) -> tuple:
    with connect(warehouse, read_only=True) as con:
        rows = con.execute("select _source_key, count(*), max(_loaded_at), max(_source_sha256) from raw.presence "
                           "where _partition = ? group by all order by all", [country]).fetchall()
        loads = con.execute("select * from raw._loads where partition = ? order by all", [country]).fetchall()
    return rows, loads


@pytest.mark.real
def test_a_bad_file_fails_its_country_only_and_keeps_the_last_good_rows(real_snapshot, tmp_path):
    cfg = load_config(CONFIG)
    eth = resources_for_partition(cfg.resources("presence"), "ETH")
    som = resources_for_partition(cfg.resources("presence"), "SOM")
    assert BROKEN in {r.id for r in eth} and len(eth) >= 2
    root, warehouse = tmp_path / "snap", tmp_path / "warehouse.duckdb"
    files = {r.id: copy_resource(real_snapshot, r, root) for r in eth + som}

    _load(root, warehouse, "ETH")
    good = _partition_state(warehouse, "ETH")
    assert {key for key, *_ in good[0]} == {r.id for r in eth}  # every Ethiopian file loaded

    # Every Ethiopian csv changes (so each would reload), and one of them is broken.
    for r in eth:
        if r.id != BROKEN and files[r.id].suffix == ".csv":
            files[r.id].write_bytes(files[r.id].read_bytes() + b"\n")
    files[BROKEN].write_text("<!DOCTYPE html><html><body>502 Bad Gateway</body></html>")
    with pytest.raises(dg.Failure) as err:
        _load(root, warehouse, "ETH")
    message = err.value.description
    assert message.startswith("ETH: 1 of ") and files[BROKEN].name in message and "HTML page" in message
    assert _partition_state(warehouse, "ETH") == good  # no Ethiopian file half-loaded: all rows as before
    with connect(warehouse, read_only=True) as con:
        failures = current_failures(con)
        last_good = con.execute("select last_good_loaded_at from raw._load_failures").fetchone()[0]
        loaded = con.execute("select loaded_at from raw._loads where source_key = ?", [BROKEN]).fetchone()[0]
    assert [(k, p, f) for k, p, f, _ in failures] == [(BROKEN, "ETH", files[BROKEN].name)]
    assert "HTML page" in failures[0][3] and last_good == loaded

    # Another country loads regardless.
    _load(root, warehouse, "SOM")
    assert {key for key, *_ in _partition_state(warehouse, "SOM")[0]} == {r.id for r in som}

    # Fixed: Ethiopia loads, every file reloaded, and the failure is cleared.
    copy_resource(real_snapshot, next(r for r in eth if r.id == BROKEN), root)
    _load(root, warehouse, "ETH")
    after = _partition_state(warehouse, "ETH")
    assert {key for key, *_ in after[0]} == {r.id for r in eth}
    changed = {r.id for r in eth if files[r.id].suffix == ".csv"}  # BROKEN is a csv (copied again: same sha)
    before_at, after_at = ({key: at for key, _, at, _ in state[0]} for state in (good, after))
    assert changed and all(after_at[k] > before_at[k] for k in changed - {BROKEN})
    with connect(warehouse, read_only=True) as con:
        assert current_failures(con) == []
