"""Write-audit-publish: each mart that passed its checks becomes a published version, atomically.

One publish asset per mart (`published/<table>`, group "publish"). It runs only after the mart's blocking
checks passed (its great-expectations suite and dbt's error-severity tests); it also re-verifies that
itself, so a table is never published from data that did not pass.

Layout of published_dir() (data/published/ by default):

    manifest.json                    what is current, per table: version, why, row count, checks, sources, sha256s
    <table>.parquet, <table>.csv     the current version of each table (CSV: HXL hashtags as row 2)
    clusterwatch.duckdb              every current table, for analysts; never the pipeline's warehouse
    versions/<version>/<table>/      each published version of each table (parquet, csv, checks.json)
    quality/quality_report.{json,html}  the last result of every table's checks (pipelines/quality/report.py)

A version is one refresh run (`<UTC time>-<run id>`); the tables that passed in that run are written into
`versions/<version>/<table>/`. A table that fails keeps its previous version: its files are not touched,
and the manifest says which version is current for it and why.

Atomicity, per table:
1. write `versions/<version>/<table>.tmp/` completely, then verify it (re-read the parquet and compare
   its row count and row hash with what the suite validated, count the CSV rows, hash every file);
2. rename it to `versions/<version>/<table>/`;
3. make it current: copy each top-level file to a temp name and os.replace it; rebuild clusterwatch.duckdb
   as a temp file and os.replace it (an analyst who has it open keeps reading the old file);
4. write manifest.json last, by temp file + os.replace.
A crash before 4 leaves the manifest naming the previous version, which is whole in versions/; the next
publish finds top-level files that differ from the manifest and restores them from versions/
(`clusterwatch status` reports such differences without changing anything). Every read-modify-write of the published directory holds an fcntl lock on `.publish.lock`.

Test hook: CLUSTERWATCH_PUBLISH_CRASH_AT=<point>[:<table>] makes the process exit (os._exit) at
`written` (after step 1), `renamed` (after 2), `swapping` (half-way through 3) or `before_manifest`.
"""

import csv
import datetime as dt
import fcntl
import json
import logging
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from pipelines.lib.files import sha256_file
from pipelines.lib.paths import published_dir
from pipelines.lib.sql import quote_ident as _q
from pipelines.lib.sql import quote_literal as _sql_str
from pipelines.quality.results import SuiteResult, jsonable
from pipelines.quality.tables import PUBLISHED_TABLES, PublishedTable, published_table
from pipelines.site import rebuild_after_publish

MANIFEST = "manifest.json"
ANALYST_DB = "clusterwatch.duckdb"
VERSIONS = "versions"
LOCK = ".publish.lock"
CRASH_ENV = "CLUSTERWATCH_PUBLISH_CRASH_AT"
MANIFEST_FORMAT = 1
HISTORY_LIMIT = 50


class PublishError(RuntimeError):
    """The new version could not be written or verified; the previous version stays current."""


# -- small file helpers ---------------------------------------------------------------------------------


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _tmp_name(path: Path) -> Path:
    return path.parent / f".{path.name}.tmp-{os.getpid()}"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = _tmp_name(path)
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def atomic_copy(src: Path, dst: Path) -> None:
    tmp = _tmp_name(dst)
    shutil.copyfile(src, tmp)
    _fsync_file(tmp)
    os.replace(tmp, dst)
    _fsync_dir(dst.parent)


def _crash_point(point: str, table: str) -> None:
    """Test hook (see module docstring): die here, like a killed process, without any cleanup."""
    want = os.environ.get(CRASH_ENV, "")
    if not want:
        return
    name, _, only = want.partition(":")
    if name == point and (not only or only == table):
        os._exit(75)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# -- the lock and the manifest ---------------------------------------------------------------------------
@contextmanager
def publication_lock(root: Path | None = None):
    """Exclusive lock on the published directory for a read-modify-write (blocks until free)."""
    root = Path(root or published_dir())
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK, "a+") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield root
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def empty_manifest() -> dict:
    return {
        "format": MANIFEST_FORMAT,
        "version": None,
        "built_at": None,
        "last_run": None,
        "config": None,
        "tables": {},
        "files": {},
        "sources": [],
        "versions": [],
        "history": [],
    }


def read_manifest(root: Path | None = None) -> dict:
    path = Path(root or published_dir()) / MANIFEST
    if not path.exists():
        return empty_manifest()
    return {**empty_manifest(), **json.loads(path.read_text(encoding="utf-8"))}


def write_manifest(root: Path, manifest: dict) -> None:
    manifest["built_at"] = _now()
    data = json.dumps(jsonable(manifest), indent=2, ensure_ascii=False).encode("utf-8")
    atomic_write_bytes(root / MANIFEST, data)
    rebuild_after_publish(root, log=logging.getLogger(__name__).info)  # the donor site (published/site/)


def previous_published(table: str, root: Path | None = None) -> tuple[int | None, str | None]:
    """Row count and version of the table's current published version (None when never published)."""
    entry = read_manifest(root).get("tables", {}).get(table) or {}
    if not entry.get("version"):
        return None, None
    return entry.get("row_count"), entry.get("version")


def run_version(instance, run_id: str) -> str:
    """The version a run publishes: its start time (UTC) and run id, so versions sort by time."""
    record = instance.get_run_record_by_id(run_id)
    created = record.create_timestamp if record else dt.datetime.now(dt.UTC)
    return f"{created.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{run_id[:8]}"


def _history(manifest: dict, event: dict) -> None:
    manifest["history"] = [event, *manifest.get("history", [])][:HISTORY_LIMIT]


# -- writing one table's version ----------------------------------------------------------------------------


def export_table(con, table: PublishedTable, out_dir: Path) -> dict:
    """Write <table>.parquet and <table>.csv (HXL row 2) into out_dir, from the mart, in a stable row order."""
    from pipelines.quality.hxl_tags import hxl_row

    out_dir.mkdir(parents=True, exist_ok=True)
    parquet = out_dir / f"{table.name}.parquet"
    csv_path = out_dir / f"{table.name}.csv"
    body = out_dir / f".{table.name}.csv.body"
    # 128-bit integers (DuckDB's sum of BIGINT) would become DOUBLE in parquet: people counts stay integers.
    types = con.execute(f"describe {table.relation}").fetchall()
    select = ", ".join(
        f"cast({_q(name)} as bigint) as {_q(name)}" if typ.upper() in ("HUGEINT", "UHUGEINT") else _q(name)
        for name, typ, *_ in types
    )
    con.execute(
        f"copy (select {select} from {table.relation} order by all) to {_sql_str(parquet)} "
        "(format parquet, compression zstd)"
    )
    columns = [r[0] for r in con.execute(f"describe select * from read_parquet({_sql_str(parquet)})").fetchall()]
    con.execute(
        f"copy (select * from read_parquet({_sql_str(parquet)})) to {_sql_str(body)} (format csv, header false)"
    )
    with open(csv_path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        w.writerow(hxl_row(table.name, columns))
        with open(body, encoding="utf-8", newline="") as b:
            shutil.copyfileobj(b, f)
        f.flush()
        os.fsync(f.fileno())
    body.unlink()
    _fsync_file(parquet)
    return {"columns": columns}


def verify_table_dir(con, table: PublishedTable, directory: Path, *, row_count: int) -> dict:
    """Re-read what was written: row counts, the parquet's rows against the mart's (which passed), sha256s."""
    from pipelines.quality.hxl_tags import hxl_row

    parquet = directory / f"{table.name}.parquet"
    csv_path = directory / f"{table.name}.csv"
    for p in (parquet, csv_path):
        if not p.exists():
            raise PublishError(f"{table.name}: {p.name} is missing from {directory}")
    src = f"read_parquet({_sql_str(parquet)})"
    n = con.execute(f"select count(*) from {src}").fetchall()[0][0]
    if n != row_count:
        raise PublishError(f"{table.name}: {parquet.name} has {n:,} rows, expected {row_count:,}")
    differ = con.execute(
        f"select (select count(*) from (select * from {src} except all select * from {table.relation}))"
        f" + (select count(*) from (select * from {table.relation} except all select * from {src}))"
    ).fetchall()[0][0]
    if differ:
        raise PublishError(f"{table.name}: {parquet.name} differs from the mart that passed the checks in {differ:,} rows")
    with open(csv_path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header, tags = next(reader, None), next(reader, None)
        csv_rows = sum(1 for _ in reader)
    columns = [r[0] for r in con.execute(f"describe select * from read_parquet({_sql_str(parquet)})").fetchall()]
    if header != columns or tags != hxl_row(table.name, columns):
        raise PublishError(f"{table.name}: {csv_path.name} header or HXL row does not match the table's columns")
    if csv_rows != row_count:
        raise PublishError(f"{table.name}: {csv_path.name} has {csv_rows:,} data rows, expected {row_count:,}")
    files = {}
    for p in sorted(directory.iterdir()):
        if p.is_file():
            files[p.name] = {"sha256": sha256_file(p), "bytes": p.stat().st_size}
    return {"row_count": n, "columns": columns, "files": files}


# -- the analysts' database -----------------------------------------------------------------------------------
def build_analyst_db(root: Path, manifest: dict) -> dict | None:
    """clusterwatch.duckdb with every current table, built as a temp file then swapped in with os.replace."""
    import duckdb

    current = {t: e for t, e in manifest.get("tables", {}).items() if e.get("version")}
    target = root / ANALYST_DB
    if not current:
        return None
    tmp = _tmp_name(target)
    for p in (tmp, tmp.with_name(tmp.name + ".wal")):
        p.unlink(missing_ok=True)
    # The oldest storage format current DuckDB can write, so analysts' older CLIs and drivers can open it.
    con = duckdb.connect(str(tmp), config={"storage_compatibility_version": "v1.0.0"})
    try:
        rows = []
        for name, entry in sorted(current.items()):
            parquet = root / VERSIONS / entry["version"] / name / f"{name}.parquet"
            con.execute(f"create table {_q(name)} as select * from read_parquet({_sql_str(parquet)})")
            rows.append((name, entry["version"], entry.get("published_at"), entry.get("row_count"),
                         entry.get("status"), entry.get("reason")))
        con.execute(
            "create table _published (table_name varchar, version varchar, published_at varchar, row_count bigint, "
            "status varchar, reason varchar)"
        )
        con.executemany("insert into _published values (?, ?, ?, ?, ?, ?)", rows)
        con.execute("checkpoint")
    finally:
        con.close()
    check = duckdb.connect(str(tmp), read_only=True)
    try:
        for name, entry in current.items():
            n = check.execute(f"select count(*) from {_q(name)}").fetchall()[0][0]
            if n != entry.get("row_count"):
                raise PublishError(f"{ANALYST_DB}: table {name} has {n:,} rows, expected {entry.get('row_count'):,}")
    finally:
        check.close()
    _fsync_file(tmp)
    os.chmod(tmp, 0o444)  # a hint to analysts; they open it read-only anyway
    os.replace(tmp, target)
    _fsync_dir(root)
    return {"sha256": sha256_file(target), "bytes": target.stat().st_size,
            "tables": sorted(current), "built_at": _now()}


# -- consistency: repair after a crash, prune old versions ------------------------------------------------
def _top_level_files(name: str) -> list[str]:
    return [f"{name}.parquet", f"{name}.csv"]


def repair(root: Path, manifest: dict, log=None) -> list[str]:
    """Make the top-level files match the manifest again (after a crash mid-publish); remove leftovers."""
    actions: list[str] = []
    say = log or (lambda m: None)
    versions = root / VERSIONS
    if versions.exists():
        for vdir in versions.iterdir():
            if vdir.is_dir() and vdir.name.endswith(".tmp"):
                shutil.rmtree(vdir, ignore_errors=True)
                actions.append(f"removed unfinished {vdir.relative_to(root)}")
                continue
            if vdir.is_dir():
                for tdir in vdir.iterdir():
                    if tdir.is_dir() and tdir.name.endswith(".tmp"):
                        shutil.rmtree(tdir, ignore_errors=True)
                        actions.append(f"removed unfinished {tdir.relative_to(root)}")
    for p in root.iterdir():
        if p.is_file() and p.name.startswith(".") and ".tmp-" in p.name:
            p.unlink(missing_ok=True)
            actions.append(f"removed temp file {p.name}")
    tables = manifest.get("tables", {})
    rebuild_db = False
    for t in PUBLISHED_TABLES:
        entry = tables.get(t.name) or {}
        if not entry.get("version"):
            if not (root / MANIFEST).exists():
                continue  # no manifest at all: do not guess, leave the files alone
            for fname in _top_level_files(t.name):  # a first publication that crashed before its manifest
                if (root / fname).exists():
                    (root / fname).unlink()
                    actions.append(f"removed {fname} (never made current)")
                    rebuild_db = True
            continue
        for fname in _top_level_files(t.name):
            want = (entry.get("files") or {}).get(fname, {}).get("sha256")
            top = root / fname
            if want and top.exists() and sha256_file(top) == want:
                continue
            src = root / VERSIONS / entry["version"] / t.name / fname
            if not src.exists() or sha256_file(src) != want:
                say(f"cannot restore {fname}: {src.relative_to(root)} is missing or differs from the manifest")
                continue
            atomic_copy(src, top)
            actions.append(f"restored {fname} from {src.parent.relative_to(root)}")
            rebuild_db = True
    db = manifest.get("files", {}).get(ANALYST_DB)
    db_path = root / ANALYST_DB
    if rebuild_db or (db and (not db_path.exists() or sha256_file(db_path) != db.get("sha256"))):
        info = build_analyst_db(root, manifest)
        if info:
            manifest.setdefault("files", {})[ANALYST_DB] = {"sha256": info["sha256"], "bytes": info["bytes"]}
            write_manifest(root, manifest)
            actions.append(f"rebuilt {ANALYST_DB} from the manifest's current versions")
    for a in actions:
        say(a)
    return actions


def prune_plan(root: Path, manifest: dict, keep: int) -> list[Path]:
    """The version directories to remove: all but the newest `keep`, and never one still current for a table."""
    versions = root / VERSIONS
    if not versions.exists():
        return []
    current = {e.get("version") for e in manifest.get("tables", {}).values() if e.get("version")}
    dirs = sorted((d for d in versions.iterdir() if d.is_dir() and not d.name.endswith(".tmp")), key=lambda d: d.name)
    keep_names = {d.name for d in dirs[-keep:]} | current
    return [d for d in dirs if d.name not in keep_names]


def prune_versions(root: Path, manifest: dict, keep: int) -> list[str]:
    """Remove old versions. Called after the manifest that stops referring to them is written."""
    removed = []
    for d in prune_plan(root, manifest, keep):
        shutil.rmtree(d, ignore_errors=True)
        removed.append(d.name)
    return removed


def list_versions(root: Path) -> list[dict]:
    versions = root / VERSIONS
    if not versions.exists():
        return []
    out = []
    for d in sorted(versions.iterdir(), key=lambda d: d.name, reverse=True):
        if d.is_dir() and not d.name.endswith(".tmp"):
            out.append({"version": d.name, "tables": sorted(t.name for t in d.iterdir() if t.is_dir() and not t.name.endswith(".tmp"))})
    return out


# -- sources (lineage) from the warehouse ---------------------------------------------------------------------
def load_log(con) -> list[dict]:
    """raw._loads: every loaded resource with its dataset, modified time, file and sha256."""
    try:
        rel = con.sql(
            "select source_key, partition, table_name, dataset_id, resource_id, resource_modified, source_file, "
            "source_sha256, row_count, loaded_at from raw._loads order by source_key, partition"
        )
    except Exception:  # noqa: BLE001 - no raw layer yet
        return []
    cols = rel.columns
    return [dict(zip(cols, r)) for r in rel.fetchall()]


def table_sources(con, table: PublishedTable, loads: list[dict]) -> list[dict]:
    """The loads a table was built from: those of the dataset ids the mart records, else every load."""
    from pipelines.quality.suites import relation_columns

    cols = relation_columns(con, table.relation)
    col = next((c for c in ("source_dataset_ids", "source_datasets", "dataset_ids", "dataset_id") if c in cols), None)
    if not col:
        return loads
    ids = set()
    for (v,) in con.execute(f"select distinct {_q(col)}::varchar from {table.relation}").fetchall():
        if v:
            ids.update(x.strip() for x in str(v).strip("[]").split(",") if x.strip())
    picked = [ld for ld in loads if ld.get("dataset_id") in ids]
    return picked or loads


# -- the two operations: publish a table, record a blocked table -------------------------------------------------
def _check_summary(result: SuiteResult) -> dict:
    return {
        "suite": result.suite,
        "success": result.success,
        "summary": result.summary(),
        "evaluated_at": result.evaluated_at,
        "run_id": result.run_id,
        "expectations": [{"name": e.name, "success": e.success, "observed": e.observed_text()} for e in result.expectations],
    }


def publish_table(
    con,
    table_name: str,
    result: SuiteResult,
    *,
    version: str,
    run_id: str | None,
    keep_versions: int,
    config_info: dict | None = None,
    dbt_tests: list[dict] | None = None,
    root: Path | None = None,
    log=None,
) -> dict:
    """Write, verify and make current one table's new version. Returns the table's manifest entry."""
    table = published_table(table_name)
    say = log or (lambda m: None)
    if not result.success:
        raise PublishError(f"{table_name}: refusing to publish data that failed its checks ({result.summary()})")
    with publication_lock(root) as root:
        started = time.perf_counter()
        manifest = read_manifest(root)
        repair(root, manifest, log=say)
        vroot = root / VERSIONS / version
        final, tmp = vroot / table_name, vroot / f"{table_name}.tmp"
        if tmp.exists():
            shutil.rmtree(tmp)
        if final.exists():  # the same run publishing again (a retry): replace its own earlier copy
            if (manifest["tables"].get(table_name) or {}).get("version") == version:
                say(f"{table_name}: version {version} is already current; writing it again")
            shutil.rmtree(final)
        export_table(con, table, tmp)
        (tmp / "checks.json").write_text(json.dumps(result.to_json(), indent=2, ensure_ascii=False), encoding="utf-8")
        verified = verify_table_dir(con, table, tmp, row_count=result.row_count)
        _crash_point("written", table_name)
        _fsync_dir(tmp)
        os.rename(tmp, final)
        _fsync_dir(vroot)
        _crash_point("renamed", table_name)

        files = {k: v for k, v in verified["files"].items() if k in _top_level_files(table_name)}
        for i, fname in enumerate(_top_level_files(table_name)):
            atomic_copy(final / fname, root / fname)
            if i == 0:
                _crash_point("swapping", table_name)
        for fname, meta in files.items():  # the copies are what users read: check them too
            if sha256_file(root / fname) != meta["sha256"]:
                raise PublishError(f"{table_name}: {fname} differs from {final.relative_to(root)}/{fname} after copying")

        loads = load_log(con)
        previous = manifest["tables"].get(table_name) or {}
        entry = {
            "version": version,
            "status": "published",
            "reason": f"published in {version}: {result.summary()}",
            "published_at": _now(),
            "run_id": run_id,
            "row_count": verified["row_count"],
            "previous_version": previous.get("version"),
            "previous_row_count": previous.get("row_count"),
            "columns": verified["columns"],
            "path": f"{VERSIONS}/{version}/{table_name}/",
            "files": verified["files"],
            "fingerprint": result.fingerprint,
            "checks": {**_check_summary(result), "dbt_tests": dbt_tests or []},
            "last_attempt": {"version": version, "run_id": run_id, "at": _now(), "outcome": "published"},
            "sources": table_sources(con, table, loads),
        }
        manifest["tables"][table_name] = entry
        manifest["sources"] = loads
        if config_info:
            manifest["config"] = config_info
        manifest["version"] = max(filter(None, [manifest.get("version"), version]))
        manifest["last_run"] = {"run_id": run_id, "version": version, "at": _now()}

        db = build_analyst_db(root, manifest)
        if db:
            manifest["files"][ANALYST_DB] = {"sha256": db["sha256"], "bytes": db["bytes"]}
        for fname, meta in files.items():
            manifest["files"][fname] = {**meta, "version": version}
        _crash_point("before_manifest", table_name)
        pruned = {d.name for d in prune_plan(root, manifest, keep_versions)}
        manifest["versions"] = [v for v in list_versions(root) if v["version"] not in pruned]
        _history(manifest, {"at": _now(), "table": table_name, "version": version, "run_id": run_id,
                            "outcome": "published", "rows": verified["row_count"]})
        write_manifest(root, manifest)
        removed = prune_versions(root, manifest, keep_versions)  # only once no manifest refers to them
        if removed:
            say(f"pruned old versions: {', '.join(removed)}")
        entry["seconds"] = time.perf_counter() - started
        return entry


def record_blocked(
    table_name: str,
    *,
    version: str,
    run_id: str | None,
    reason: str,
    result: SuiteResult | None = None,
    root: Path | None = None,
) -> dict:
    """A table did not pass: keep its current version (files untouched) and say why in the manifest."""
    with publication_lock(root) as root:
        manifest = read_manifest(root)
        entry = dict(manifest["tables"].get(table_name) or {})
        kept = entry.get("version")
        entry["status"] = "blocked"
        entry["reason"] = f"blocked in {version}: {reason}; " + (
            f"version {kept} stays current" if kept else "never published"
        )
        entry["last_attempt"] = {
            "version": version,
            "run_id": run_id,
            "at": _now(),
            "outcome": "blocked",
            "reason": reason,
            **({"checks": _check_summary(result)} if result else {}),
        }
        manifest["tables"][table_name] = entry
        manifest["last_run"] = {"run_id": run_id, "version": version, "at": _now()}
        _history(manifest, {"at": _now(), "table": table_name, "version": version, "run_id": run_id,
                            "outcome": "blocked", "reason": reason})
        write_manifest(root, manifest)
        return entry


# -- the Dagster assets --------------------------------------------------------------------------------------
def _failed_dbt_tests(context, check_keys) -> tuple[list[dict], list[str]]:
    """Latest results of the mart's dbt tests (dagster-dbt asset checks); the names of error-severity failures."""
    tests, failed = [], []
    for key in check_keys:
        record = context.instance.get_latest_asset_check_evaluation_record(key)
        evaluation = None
        if record and record.event and record.event.dagster_event:
            evaluation = record.event.dagster_event.event_specific_data
        passed = getattr(evaluation, "passed", None)
        severity = getattr(getattr(evaluation, "severity", None), "value", None)
        tests.append({"name": key.name, "passed": passed, "severity": severity, "run_id": record.run_id if record else None})
        if passed is False and severity == "ERROR":
            failed.append(key.name)
    return tests, failed


def publish_asset(table: PublishedTable, mart_key, dbt_tests: list | None = None):
    """The Dagster asset `published/<table>` (Dagster is imported here: the machinery above works without it)."""
    import dagster as dg

    from pipelines.settings import ClusterwatchSettings
    from pipelines.sources.raw_asset import WAREHOUSE_POOL

    @dg.asset(
        key=table.publish_key,
        deps=[mart_key],
        group_name="publish",
        description=f"Publishes the `{table.name}` mart ({table.grain}) to data/published/ as parquet, CSV with "
        f"HXL tags, and in clusterwatch.duckdb, once its quality checks passed. Write-audit-publish: the new "
        f"version is written and verified in full, then made current by rename; if the checks fail, the previous "
        f"published version stays current.",
        owners=["team:information-management"],
        kinds={"parquet", "csv", "duckdb"},
        pool=WAREHOUSE_POOL,
    )
    def _publish(context: dg.AssetExecutionContext, settings: ClusterwatchSettings) -> dg.MaterializeResult:
        from pipelines.lib.warehouse import connect
        from pipelines.quality.report import latest_result, write_quality_report
        from pipelines.quality.runner import fingerprint

        cfg = settings.config()
        version = run_version(context.instance, context.run_id)
        result = latest_result(table.name)
        dbt_results, dbt_failed = _failed_dbt_tests(context, dbt_tests or [])
        with connect(read_only=True) as con:
            _, current_fp = fingerprint(con, table.relation)
            problem = None
            if result is None:
                problem = "its quality suite has not run"
            elif not result.success:
                problem = f"its quality suite failed ({result.summary()})"
            elif result.fingerprint != current_fp:
                problem = "the mart changed after its quality suite ran; run its checks again"
            elif dbt_failed:
                problem = f"dbt test(s) failed: {', '.join(dbt_failed)}"
            if problem:
                record_blocked(table.name, version=version, run_id=context.run_id, reason=problem, result=result)
                write_quality_report()
                raise dg.Failure(description=f"table {table.name!r} was NOT published: {problem}. "
                                 "The previously published version stays current.")
            try:
                entry = publish_table(
                    con,
                    table.name,
                    result,
                    version=version,
                    run_id=context.run_id,
                    keep_versions=cfg.publish.keep_versions,
                    config_info={"name": cfg.name, "countries": cfg.countries,
                                 "path": str(cfg.source_path) if cfg.source_path else None},
                    dbt_tests=dbt_results,
                    log=context.log.info,
                )
            except PublishError as e:
                record_blocked(table.name, version=version, run_id=context.run_id,
                               reason=f"publication failed: {e}", result=result)
                write_quality_report()
                raise dg.Failure(description=f"table {table.name!r} was NOT published: {e}. "
                                 "The previously published version stays current.") from e
        write_quality_report()
        context.log.info(f"{table.name}: published version {version} ({entry['row_count']:,} rows)")
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": entry["row_count"],
                "version": version,
                "path": dg.MetadataValue.path(str(published_dir() / entry["path"])),
                "files": dg.MetadataValue.md(
                    "| file | bytes | sha256 |\n|---|---|---|\n"
                    + "\n".join(f"| {k} | {v['bytes']:,} | `{v['sha256'][:16]}` |" for k, v in entry["files"].items())
                ),
                "checks": result.summary(),
                "dbt_tests": len(dbt_results),
                "previous_version": entry.get("previous_version") or "none",
                "seconds": round(entry.get("seconds", 0.0), 2),
            }
        )

    return _publish


def build_publish_assets(mart_keys: dict, dbt_tests: dict | None = None) -> list:
    """One publish asset per published table, downstream of its mart (see quality.tables.mart_asset_keys);
    `dbt_tests` (quality.tables.mart_dbt_tests) are the mart's dbt tests whose latest result publish re-checks."""
    return [publish_asset(t, mart_keys[t.name], (dbt_tests or {}).get(t.name)) for t in PUBLISHED_TABLES]


def check_consistency(root: Path | None = None, manifest: dict | None = None) -> list[str]:
    """Read-only: the published files that differ from the manifest (after an interrupted publication)."""
    root = Path(root or published_dir())
    manifest = manifest or read_manifest(root)
    problems = []
    for name, meta in (manifest.get("files") or {}).items():
        path = root / name
        if not path.exists():
            problems.append(f"{name} is missing")
        elif sha256_file(path) != meta.get("sha256"):
            problems.append(f"{name} differs from the manifest (sha256)")
    for t, entry in (manifest.get("tables") or {}).items():
        if entry.get("version") and not (root / VERSIONS / entry["version"] / t).is_dir():
            problems.append(f"{t}: current version directory {VERSIONS}/{entry['version']}/{t}/ is missing")
    return problems
