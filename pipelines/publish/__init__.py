"""Write-audit-publish: each mart whose blocking checks passed becomes a published version, and every table of a
run becomes current in one step.

Modules (import the one you need; this package imports none of them, so `quality` can use the
manifest without loading the Dagster assets):

- `files.py`: atomic file operations, the publication lock, disk-full messages, the crash-point test hook.
- `manifest.py`: manifest.json, and what a run staged (a table's new entry, or why it is blocked).
- `export.py`: one table to parquet and CSV (HXL hashtags as row 2), and the check of what was written.
- `analyst_db.py`: clusterwatch.duckdb, every current table for analysts.
- `table.py`: stage one table's new version (write it, verify it, stage its manifest entry).
- `release.py`: the release, the commit point: every staged table made current at once.
- `versions.py`: repair after a crash, prune old versions and releases, consistency report.
- `assets.py`: the Dagster assets `published/<table>` (stage) and `published_release` (commit).

Layout of published_dir() (data/published/ by default):

    manifest.json, <table>.parquet, <table>.csv, clusterwatch.duckdb
                                     symlinks to current/<same name>
    current                          symlink to releases/<release>: swapped in one rename per publish
    releases/<release>/              one publication: a hard link to each current table file (a blocked table's
                                     is its kept version's), clusterwatch.duckdb, and manifest.json (written last)
    versions/<version>/<table>/      each published version of each table (parquet, csv, checks.json)
    versions/<version>/.staged/      what the run's table steps did, until the release step merges it
    quality/quality_report.{json,html}  the last result of every table's checks (pipelines/quality/report.py)
    site/                            the donor site, rebuilt once per release

The gate is Dagster's: a publish asset runs only when its mart's blocking asset checks (the
great-expectations suite and dbt's error-severity tests) passed in the same run; otherwise Dagster
skips it and the table keeps its previous version. A version is one refresh run (`<UTC time>-<run id>`).

One publish, in steps:
1. each table step writes `versions/<version>/<table>.tmp/` completely, verifies it (re-reads the parquet and
   compares its rows with the mart's, counts the CSV rows, hashes every file), renames it to
   `versions/<version>/<table>/` and stages its manifest entry; a blocked table stages why;
2. the release step (last in the run, also when tables are blocked) builds `releases/<release>.tmp/`: hard
   links to every current table file, clusterwatch.duckdb built once, manifest.json last; renames it;
3. it swaps the symlink `current` to the new release: the commit point. The top-level symlinks then already
   show the new release (a directory published before releases existed gets them here, data files first);
4. it prunes old versions and releases, and rebuilds the donor site once.
A crash before 3 leaves the previous release current and whole; the next publish removes the leftovers.
A reader sees one release or the next, never a mix; an open clusterwatch.duckdb keeps its release.
Every read-modify-write of the published directory holds an fcntl lock on `.publish.lock`.

Test hook: CLUSTERWATCH_PUBLISH_CRASH_AT=<point>[:<table>] makes the process exit (os._exit) at `written` (a
table's version written, before its rename), `renamed` (after it), `linking` (in the release, after a table's
file is linked), `before_manifest`, `before_swap` or `swapped` (the release's own points take `release`).
"""
