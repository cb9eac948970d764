"""Write-audit-publish: each mart whose blocking checks passed becomes a published version, atomically.

Modules (import the one you need; this package imports none of them, so `quality` can use the
manifest without loading the Dagster assets):

- `files.py`: atomic file operations, the publication lock, the crash-point test hook.
- `manifest.py`: manifest.json (what is current, per table) and recording a blocked table.
- `export.py`: one table to parquet and CSV (HXL hashtags as row 2), and the check of what was written.
- `analyst_db.py`: clusterwatch.duckdb, every current table for analysts.
- `versions.py`: repair after a crash, prune old versions, consistency report.
- `table.py`: publish one table's new version (uses all of the above).
- `assets.py`: the Dagster assets `published/<table>`.

Layout of published_dir() (data/published/ by default):

    manifest.json                    what is current, per table: version, why, row count, checks, sources, sha256s
    <table>.parquet, <table>.csv     the current version of each table (CSV: HXL hashtags as row 2)
    clusterwatch.duckdb              every current table, for analysts; never the pipeline's warehouse
    versions/<version>/<table>/      each published version of each table (parquet, csv, checks.json)
    quality/quality_report.{json,html}  the last result of every table's checks (pipelines/quality/report.py)

The gate is Dagster's: a publish asset runs only when its mart's blocking asset checks (the
great-expectations suite and dbt's error-severity tests) passed in the same run; otherwise Dagster
skips it and the table keeps its previous version. A version is one refresh run (`<UTC time>-<run id>`).

Atomicity, per table:
1. write `versions/<version>/<table>.tmp/` completely, then verify it (re-read the parquet and compare
   its rows with the mart's, count the CSV rows, hash every file);
2. rename it to `versions/<version>/<table>/`;
3. make it current: copy each top-level file to a temp name and os.replace it; rebuild clusterwatch.duckdb
   as a temp file and os.replace it (an analyst who has it open keeps reading the old file);
4. write manifest.json last, by temp file + os.replace.
A crash before 4 leaves the manifest naming the previous version, which is whole in versions/; the next
publish finds top-level files that differ from the manifest and restores them from versions/
(`clusterwatch status` reports such differences without changing anything). Every read-modify-write of
the published directory holds an fcntl lock on `.publish.lock`.

Test hook: CLUSTERWATCH_PUBLISH_CRASH_AT=<point>[:<table>] makes the process exit (os._exit) at
`written` (after step 1), `renamed` (after 2), `swapping` (half-way through 3) or `before_manifest`.
"""
