"""clusterwatch.duckdb: every current table for analysts, never the pipeline's warehouse."""
from __future__ import annotations

import os
from pathlib import Path

import duckdb

from pipelines.lib.files import sha256_file
from pipelines.lib.sql import quote_ident, quote_literal
from pipelines.publish.files import PublishError, fsync_dir, fsync_file, now, tmp_name
from pipelines.publish.manifest import ANALYST_DB, VERSIONS


def build_analyst_db(root: Path, manifest: dict, target: Path) -> dict | None:
    """clusterwatch.duckdb with every current table of `manifest` (read from root/versions/), built as a temp
    file then renamed to `target` (in the release being built: release.py)."""
    current = {t: e for t, e in manifest.get("tables", {}).items() if e.get("version")}
    if not current:
        return None
    tmp = tmp_name(target)
    for p in (tmp, tmp.with_name(tmp.name + ".wal")):
        p.unlink(missing_ok=True)
    # The oldest storage format current DuckDB can write, so analysts' older CLIs and drivers can open it.
    con = duckdb.connect(str(tmp), config={"storage_compatibility_version": "v1.0.0"})
    try:
        rows = []
        for name, entry in sorted(current.items()):
            parquet = root / VERSIONS / entry["version"] / name / f"{name}.parquet"
            con.execute(f"create table {quote_ident(name)} as select * from read_parquet({quote_literal(parquet)})")
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
            n = check.execute(f"select count(*) from {quote_ident(name)}").fetchall()[0][0]
            if n != entry.get("row_count"):
                raise PublishError(f"{ANALYST_DB}: table {name} has {n:,} rows, expected {entry.get('row_count'):,}")
    finally:
        check.close()
    fsync_file(tmp)
    os.chmod(tmp, 0o444)  # a hint to analysts; they open it read-only anyway
    os.replace(tmp, target)
    fsync_dir(target.parent)
    return {"sha256": sha256_file(target), "bytes": target.stat().st_size, "tables": sorted(current), "built_at": now()}
