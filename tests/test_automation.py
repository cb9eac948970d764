"""The daily schedule, the HDX change sensor, and why concurrent refreshes never hit a DuckDB lock error.

The sensor is tested live against the loopback HDX replay server (real recorded package_show answers; the
test changes one resource's last_modified the way a re-upload would) and in snapshot mode against a copy
of the generated sample snapshot (a touched file). Nothing here reaches the internet.

The Definitions used here hold the real source assets (built for the test config's countries) and a stub
mart instead of the dbt project, so the tests run in seconds; the schedule and sensor resolve their run
requests against them exactly as the daemon does against the full code location.
"""
from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import pytest
import yaml

from pipelines.lib.config import load_config
from pipelines.lib.paths import DEFAULT_CONFIG, REPO_ROOT
from pipelines.rebuild_sensor import rebuild_changed
from pipelines.schedules import (
    COUNTRY_SOURCE_KEYS,
    STAGE_TAG,
    TRIGGER_TAG,
    daily_refresh,
    refresh_job,
)
from pipelines.sensors import CHANGED_TAG, detect_changes, hdx_changes, read_cursor
from pipelines.settings import ENV_CONFIG, ClusterwatchSettings, config_path_from_env

PRESENCE, NEEDS = (k.to_user_string() for k in COUNTRY_SOURCE_KEYS)
STUB_MART = dg.AssetKey(["coverage"])


# ------------------------------------------------------------------------------------------ helpers


def automation_defs(settings: ClusterwatchSettings) -> dg.Definitions:
    """Source assets partitioned by the test config's countries, a stub mart downstream, the job,
    the schedule and the sensor."""
    from pipelines.settings import warehouse_resource
    from pipelines.sources.raw_asset import raw_asset

    presence = raw_asset("presence", description="test")
    needs = raw_asset("needs", description="test")
    population = raw_asset("population", description="test")

    @dg.asset(key=STUB_MART, deps=[presence, needs, population], group_name="marts")
    def coverage():
        return None

    return dg.Definitions(
        assets=[presence, needs, population, coverage],
        jobs=[refresh_job],
        schedules=[daily_refresh],
        sensors=[hdx_changes, rebuild_changed],
        resources={"settings": settings, "warehouse": warehouse_resource()},
    )


def tick(defs: dg.Definitions, instance, cursor: str | None):
    settings = defs.resources["settings"]
    context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs, resources={"settings": settings})
    return hdx_changes.evaluate_tick(context)


def summarise(result) -> list[tuple[str | None, list[str]]]:
    """(partition, sorted selected asset keys) of each run request, in request order."""
    return [
        (r.partition_key, sorted(k.to_user_string() for k in r.asset_selection)) for r in result.run_requests
    ]


GLOBAL_SOURCES = ["raw/population"]  # the unpartitioned sources of automation_defs


@pytest.fixture
def instance(tmp_path):
    # In pytest's own tmp_path, which outlives the test: Dagster may keep this instance's definitions-state
    # storage as the process's current one after the test (a full run did, and a later test's refresh read it);
    # its files must then still be there, not in a deleted temporary directory.
    with dg.instance_for_test(temp_dir=str(tmp_path)) as inst:
        yield inst


# ------------------------------------------------------------------------------------------ live (HDX replay)

LIVE_CONFIG = """
name: sensor-live
countries: [SOM, TCD, ETH]
hdx: {{url: "{url}", timeout_seconds: 5, retries: 0}}
sources:
  presence:
    - id: som_3w
      table: presence
      country: SOM
      dataset: somalia-operational-presence
      resource: 3W Operational Presence Dataset_January - April 2025.xlsx
      columns: {{admin1_code: RegionPcode, org_name: Organization_Name, sector: Cluster}}
    - id: tcd_3w
      table: presence
      country: TCD
      dataset: chad-operational-presence
      resource: 3W_TCD_Avr2025
      columns: {{admin1_code: Title, org_name: Organisation, sector: "#sector"}}
    - id: eth_4w
      table: presence
      country: ETH
      dataset: ethiopia-operational-presence
      resource: 3W August 2025.csv
      columns: {{admin3_code: WoredaPcod, org_name: Implementing Partner Name, sector: Cluster}}
  needs:
    - id: needs_multi_country   # a multi-country table: a change refreshes every configured country
      table: hno_hpc
      dataset: sudan-humanitarian-needs
      resource: sdn_hpc_needs_2024.xlsx
      country_column: Country ISO3
      year: 2024
  population:
    - id: afg_population        # a global source: a change refreshes only the unpartitioned assets
      table: population_wide
      dataset: cod-ps-afg
      resource: afg_admpop_adm1_2021_v2.csv
"""


@pytest.fixture
def hdx(real_snapshot):
    from tests.hdx_replay import HdxReplayServer

    with HdxReplayServer(real_snapshot) as server:
        yield server


@pytest.fixture
def live_defs(hdx, tmp_path, data_dir, monkeypatch):
    cfg = tmp_path / "live.yaml"
    cfg.write_text(LIVE_CONFIG.format(url=hdx.url), encoding="utf-8")
    monkeypatch.setenv(ENV_CONFIG, str(cfg))  # the partitions of the source assets come from this config
    return automation_defs(ClusterwatchSettings(config_path=str(cfg), live=True))


@pytest.mark.real
def test_sensor_live_baseline_then_only_the_changed_country(live_defs, hdx, instance):
    # First tick: a baseline, no run.
    first = tick(live_defs, instance, None)
    assert first.run_requests == [] and "baseline" in first.skip_message
    baseline = read_cursor(first.cursor)
    assert set(baseline) == {"som_3w", "tcd_3w", "eth_4w", "needs_multi_country", "afg_population"}
    tcd = hdx.resource("3W_TCD_Avr2025")
    assert baseline["tcd_3w"] == f"{tcd['id']}|{tcd['last_modified']}|{tcd.get('size')}"

    # Nothing changed on HDX: no run.
    same = tick(live_defs, instance, first.cursor)
    assert same.run_requests == [] and "no change" in same.skip_message
    assert read_cursor(same.cursor) == baseline

    # Chad's 3W is re-uploaded: Chad's partition only (what depends on it is rebuild_changed's). Nothing for
    # SOM or ETH, nor the global sources.
    hdx.set_last_modified("3W_TCD_Avr2025", "2026-04-01T08:00:00.000000")
    changed = tick(live_defs, instance, same.cursor)
    assert summarise(changed) == [("TCD", sorted([PRESENCE, NEEDS]))]
    (country_run,) = changed.run_requests
    assert country_run.tags[TRIGGER_TAG] == "sensor" and country_run.tags[CHANGED_TAG] == "tcd_3w"
    assert country_run.tags["dagster/partition"] == "TCD"  # resolved against the job, as the daemon does
    assert country_run.tags[STAGE_TAG] == "country-sources"
    assert read_cursor(changed.cursor)["tcd_3w"].endswith("|2026-04-01T08:00:00.000000|" + str(tcd.get("size")))
    assert {k: v for k, v in read_cursor(changed.cursor).items() if k != "tcd_3w"} == {
        k: v for k, v in baseline.items() if k != "tcd_3w"
    }

    # The same tick evaluated again (a daemon retry) asks for the same run keys: Dagster starts them once.
    again = tick(live_defs, instance, same.cursor)
    assert [r.run_key for r in again.run_requests] == [r.run_key for r in changed.run_requests]

    # After the change is recorded, the next tick is quiet again.
    assert tick(live_defs, instance, changed.cursor).run_requests == []


@pytest.mark.real
def test_sensor_live_multi_country_and_global_sources(live_defs, hdx, instance):
    cursor = tick(live_defs, instance, None).cursor

    # The multi-country needs table changed: every configured country.
    hdx.set_last_modified("sdn_hpc_needs_2024.xlsx", "2026-04-02T00:00:00")
    result = tick(live_defs, instance, cursor)
    assert [p for p, _ in summarise(result)] == ["SOM", "TCD", "ETH"]

    # A global source changed: only the run of the global sources.
    hdx.set_last_modified("afg_admpop_adm1_2021_v2.csv", "2026-04-03T00:00:00")
    result = tick(live_defs, instance, result.cursor)
    assert summarise(result) == [(None, GLOBAL_SOURCES)]
    assert result.run_requests[0].tags[CHANGED_TAG] == "afg_population"
    assert result.run_requests[0].tags[STAGE_TAG] == "global-sources"


# ------------------------------------------------------------------------------------------ snapshot mode


@pytest.fixture(scope="session")
def sample_snapshot(tmp_path_factory) -> Path:
    from pipelines.sample.generate import generate

    root = tmp_path_factory.mktemp("sample") / "snapshot"
    generate(root)
    return root


@pytest.fixture
def snapshot_defs(sample_snapshot, tmp_path, data_dir, monkeypatch):
    snap = tmp_path / "snapshot"
    shutil.copytree(sample_snapshot, snap)
    data = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    data["snapshot"] = str(snap)
    cfg = tmp_path / "sample-copy.yaml"
    cfg.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv(ENV_CONFIG, str(cfg))
    return automation_defs(ClusterwatchSettings(config_path=str(cfg))), load_config(cfg), snap


def test_sensor_snapshot_touched_file(snapshot_defs, instance):
    defs, cfg, snap = snapshot_defs
    first = tick(defs, instance, None)
    assert first.run_requests == [] and "baseline" in first.skip_message
    assert set(read_cursor(first.cursor)) == {r.id for _, r in cfg.sources.all()}
    assert tick(defs, instance, first.cursor).run_requests == []

    # A per-country 3W file is replaced in the folder (same size, newer mtime): that country only.
    res = next(r for r in cfg.resources("presence") if r.country == cfg.countries[1])
    path = snap / res.path
    later = path.stat().st_mtime + 60
    os.utime(path, (later, later))
    result = tick(defs, instance, first.cursor)
    assert summarise(result) == [(res.country, sorted([PRESENCE, NEEDS]))]
    assert result.run_requests[0].tags[CHANGED_TAG] == res.id

    # A file that disappears is reported and keeps its fingerprint; it triggers nothing.
    path.unlink()
    missing = tick(defs, instance, result.cursor)
    assert missing.run_requests == [] and res.id in missing.skip_message
    assert read_cursor(missing.cursor)[res.id] == read_cursor(result.cursor)[res.id]


def test_detect_changes_rules():
    """The rules in one place: new resources count as changed, removed ones are forgotten."""
    cfg = load_config(DEFAULT_CONFIG)
    states = {r.id: f"fp-{r.id}" for _, r in cfg.sources.all()}
    base = detect_changes(cfg, lambda r: states[r.id], None)
    assert base.baseline and base.changed == [] and base.fingerprints == states

    previous = dict(states)
    new_id = cfg.resources("presence")[0].id
    del previous[new_id]  # as if this resource was just added to the config
    previous["removed_from_config"] = "x"
    changes = detect_changes(cfg, lambda r: states[r.id], previous)
    assert changes.changed == [new_id] and changes.countries == [cfg.resources("presence")[0].country]
    assert "removed_from_config" not in changes.fingerprints

    def flaky(r):
        if r.id == new_id:
            raise ConnectionError("HDX is down")
        return states[r.id]

    changes = detect_changes(cfg, flaky, states)
    assert changes.changed == [] and "HDX is down" in changes.errors[new_id]
    assert changes.fingerprints[new_id] == states[new_id]


# ------------------------------------------------------------------------------------------ schedule


def test_daily_schedule_requests_every_country_and_the_global_sources(snapshot_defs, instance):
    defs, cfg, _ = snapshot_defs
    result = daily_refresh.evaluate_tick(schedule_context(defs, instance, 1))
    assert summarise(result) == [(c, sorted([PRESENCE, NEEDS])) for c in cfg.countries] + [(None, GLOBAL_SOURCES)]
    assert all(r.tags[TRIGGER_TAG] == "schedule" for r in result.run_requests)
    assert [r.run_key for r in result.run_requests][-1] == "daily-20260501T050000Z:global-sources"


# ------------------------------------------------------------------------------------------ rebuild_changed


def schedule_context(defs, instance, day: int):
    return dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=dt.datetime(2026, 5, day, 5, 0, tzinfo=dt.UTC),
        repository_def=defs.get_repository_def(),
        resources={"settings": defs.resources["settings"]},
    )


def rebuild_tick(defs, instance):
    context = dg.build_sensor_context(instance=instance, definitions=defs,
                                      resources={"settings": defs.resources["settings"]})
    return rebuild_changed.evaluate_tick(context)


def run_requested(defs, instance, request) -> None:
    """A run request executed as the daemon would: its selection, partition and tags."""
    result = defs.resolve_job_def(refresh_job.name).execute_in_process(
        instance=instance, asset_selection=list(request.asset_selection), partition_key=request.partition_key,
        tags=request.tags, raise_on_error=False)
    assert result.success


def selected(request) -> list[str]:
    return sorted(k.to_user_string() for k in request.asset_selection)


def test_rebuild_sensor_builds_only_after_a_change(snapshot_defs, instance):
    """The schedule loads sources; rebuild_changed then builds what depends on changed data, and nothing on a
    day when no file changed (no dbt, no checks, no new published version)."""
    from dagster._core.storage.dagster_run import DagsterRun

    from pipelines.changes import BUILT_FROM_TAG

    defs, cfg, snap = snapshot_defs
    nothing_loaded = rebuild_tick(defs, instance)
    assert nothing_loaded.run_requests == [] and "no source has been loaded" in nothing_loaded.skip_message

    for request in daily_refresh.evaluate_tick(schedule_context(defs, instance, 1)).run_requests:
        run_requested(defs, instance, request)
    first = rebuild_tick(defs, instance)
    (build,) = first.run_requests  # nothing was ever built: everything downstream of the sources
    assert selected(build) == ["coverage"] and build.tags[STAGE_TAG] == "downstream"
    built_from = yaml.safe_load(build.tags[BUILT_FROM_TAG])
    assert all(built_from[f"{PRESENCE}|{c}"] for c in cfg.countries)  # the data versions it is built from

    # While a refresh run is in progress the data versions are not final: the sensor waits.
    running = DagsterRun(job_name=refresh_job.name, run_id="0" * 8 + "-0000-0000-0000-000000000000",
                         status=dg.DagsterRunStatus.STARTED)
    instance.add_run(running)
    waiting = rebuild_tick(defs, instance)
    assert waiting.run_requests == [] and "not finished" in waiting.skip_message
    instance.delete_run(running.run_id)

    run_requested(defs, instance, build)
    # The next day no file changed: the source runs reload nothing and nothing is rebuilt.
    for request in daily_refresh.evaluate_tick(schedule_context(defs, instance, 2)).run_requests:
        run_requested(defs, instance, request)
    quiet = rebuild_tick(defs, instance)
    assert quiet.run_requests == [] and "nothing changed" in quiet.skip_message

    # One country's 3W file loses a row: its run, then a rebuild of what depends on its presence only.
    res = next(r for r in cfg.resources("presence") if r.path.endswith(".csv"))
    path = snap / res.path
    path.write_bytes(b"".join(path.read_bytes().splitlines(keepends=True)[:-1]))  # any encoding
    for request in daily_refresh.evaluate_tick(schedule_context(defs, instance, 3)).run_requests:
        run_requested(defs, instance, request)
    changed = rebuild_tick(defs, instance)
    (rebuild,) = changed.run_requests
    assert selected(rebuild) == ["coverage"]
    now = yaml.safe_load(rebuild.tags[BUILT_FROM_TAG])
    assert sorted(k for k in now if now[k] != built_from[k]) == [f"{PRESENCE}|{res.country}"]
    assert rebuild.run_key != build.run_key


def test_schedule_and_sensor_timing_come_from_the_config():
    schedule = load_config(config_path_from_env()).schedule
    assert daily_refresh.cron_schedule == schedule.cron
    assert daily_refresh.execution_timezone == schedule.timezone
    # Settings compared with the config, not durations: each sensor polls as often as the config says.
    configured = {"hdx_changes": schedule.sensor_interval_seconds, "rebuild_changed": schedule.rebuild_interval_seconds}
    polling = {s.name: s.minimum_interval_seconds for s in (hdx_changes, rebuild_changed)}
    assert polling == configured
    assert daily_refresh.job_name == hdx_changes.job_name == rebuild_changed.job_name == refresh_job.name


# ------------------------------------------------------------------------------------------ no DuckDB lock errors


def test_dagster_runs_share_one_warehouse_slot(data_dir):
    """Runs started by the daemon: every warehouse asset is in the pool, and the pool admits one run."""
    from pipelines.cli import instance as cli_instance
    from pipelines.sources import RAW_ASSETS
    from pipelines.sources.raw_asset import WAREHOUSE_POOL

    config = cli_instance().get_concurrency_config()
    assert config.pool_config.default_pool_limit == 1
    assert config.pool_config.pool_granularity.value == "run"
    assert config.run_queue_config.should_block_op_concurrency_limited_runs
    assert {a.op.pool for a in RAW_ASSETS} == {WAREHOUSE_POOL}


def _cli(data_dir: Path, log: Path, *args: str) -> subprocess.Popen:
    env = dict(os.environ, CLUSTERWATCH_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    for key in (ENV_CONFIG, "CLUSTERWATCH_SNAPSHOT", "CLUSTERWATCH_LIVE"):
        env.pop(key, None)  # only what the command line says
    # Appended to, not truncated: several commands may share one log, their lines in the order written.
    with open(log, "a") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", *args], cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def test_duckdb_refuses_a_second_writer_process(tmp_path):
    """Why the lock exists: without it, the second process fails outright."""
    import duckdb

    db = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    try:
        code = f"import duckdb; duckdb.connect({str(db)!r})"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    finally:
        con.close()
    assert out.returncode != 0 and "lock" in out.stderr.lower()


def small_snapshot_config(tmp_path: Path) -> Path:
    """Two countries' 3W files (2,000 rows each) in a folder, and a config for them: a few seconds to load."""
    snap = tmp_path / "snapshot"
    snap.mkdir()
    entries = []
    for iso3 in ("XAA", "XBB"):
        lines = ["Region,RegionPcode,Organisation,Cluster"]
        lines += [f"Region {i % 7},{iso3[:2]}{i % 7:02d},Org {i % 40},{('WASH', 'Health', 'Education')[i % 3]}"
                  for i in range(2000)]
        (snap / f"3w_{iso3.lower()}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        entries.append(textwrap.indent(textwrap.dedent(f"""\
            - id: {iso3.lower()}_3w
              table: presence
              country: {iso3}
              dataset: {iso3.lower()}-operational-presence
              path: 3w_{iso3.lower()}.csv
              columns: {{admin1_name: Region, admin1_code: RegionPcode, org_name: Organisation, sector: Cluster}}
        """), "    "))
    cfg = tmp_path / "small.yaml"
    cfg.write_text(
        f"name: small\ncountries: [XAA, XBB]\nsnapshot: {snap}\nsources:\n  presence:\n" + "".join(entries),
        encoding="utf-8",
    )
    assert load_config(cfg).resources("presence")
    return cfg


@pytest.mark.slow
def test_two_cli_refreshes_at_once_serialise(data_dir, tmp_path):
    """Two `clusterwatch ingest --force` on the same data dir at once: one waits for the other, both succeed."""
    from pipelines.lib.warehouse import writer_lock

    cfg = small_snapshot_config(tmp_path)
    log = tmp_path / "both.log"  # one log for both: O_APPEND keeps their lines in the order they were written
    lock_file = data_dir / "warehouse.lock"
    with writer_lock():  # hold the warehouse until both commands are certainly running and blocked
        procs = [_cli(data_dir, log, "ingest", "--force", "--config", str(cfg)) for _ in range(2)]
        deadline = time.monotonic() + 120
        while log.read_text().count("waiting for pid") < 2:
            assert all(p.poll() is None for p in procs), log.read_text()
            if time.monotonic() > deadline:  # a hang guard, not a timing assertion
                pytest.fail("the commands never reached the warehouse lock")
            time.sleep(0.2)
        assert f"pid {os.getpid()}" in lock_file.read_text()
    for p in procs:
        p.wait(timeout=300)
    out = log.read_text()
    assert [p.returncode for p in procs] == [0, 0], out
    assert "lock on file" not in out.lower() and "traceback" not in out.lower()
    # Both loaded all rows.
    assert [line.strip() for line in out.splitlines() if line.strip().startswith("raw.presence:")] == [
        "raw.presence: 4,000", "raw.presence: 4,000"], out
    # One after the other: the second got the warehouse only after the first had loaded its files (each line is
    # written under the lock). Overlapping work would put both "got" lines before any of them.
    events = sorted(
        [(m.start(), "got") for m in re.finditer("got the warehouse after waiting", out)]
        + [(m.start(), "done") for m in re.finditer(r"(?m)^\s+presence\s", out)]
    )
    assert [what for what, _ in itertools.groupby(what for _, what in events)] == ["got", "done", "got", "done"], out
    assert lock_file.read_text() == ""  # released
