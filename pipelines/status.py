"""`clusterwatch status`: the last refresh, the checks that failed, and the published versions.

It reads published/manifest.json, the suite results the checks wrote for the quality report, and (when
there is one) the Dagster instance under the data directory: its runs, their failed steps and their failed
asset checks. Its one write: when no refresh is running, CLI runs a killed refresh left in progress are
marked failed (pipelines/interrupted.py). It never waits for the warehouse, so it is safe while a refresh runs.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipelines.lib.paths import data_dir, published_dir


def _when(value) -> str:
    if value is None:
        return "?"
    if isinstance(value, (int, float)):
        value = dt.datetime.fromtimestamp(value, dt.UTC)
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _dagster_runs(limit: int = 5) -> list[dict]:
    """The latest runs of the instance under the data dir, with their failure messages (if any)."""
    home = data_dir() / "dagster"
    if not (home / "dagster.yaml").exists():
        return []
    try:
        import dagster as dg
        from dagster._core.events import DagsterEventType

        from pipelines.instance import open_instance
        from pipelines.interrupted import mark_interrupted_runs, writer_lock_if_free

        instance = open_instance(home)
        with writer_lock_if_free() as free:
            if free:  # no refresh is running: a CLI run still in progress was interrupted
                mark_interrupted_runs(instance)
        out = []
        for rec in instance.get_run_records(limit=limit):
            run = rec.dagster_run
            failures = []
            failed_checks = []
            for entry in instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
                evaluation = entry.asset_check_evaluation
                if evaluation and not evaluation.passed:
                    failed_checks.append(f"{evaluation.asset_key.to_user_string()}: {evaluation.check_name}"
                                         f" ({evaluation.severity.value.lower()})")
            if run.status.value == "FAILURE":
                failures = _step_failures(instance, run.run_id)
                if not failures:  # failed as a whole: e.g. marked failed after the process running it died
                    ended = instance.all_logs(run.run_id, of_type=DagsterEventType.RUN_FAILURE)
                    failures += [ev.message for ev in ended if ev.message][-1:]
            out.append(
                {
                    "run_id": run.run_id,
                    "status": run.status.value,
                    "started": rec.start_time or rec.create_timestamp.timestamp(),
                    "ended": rec.end_time,
                    "assets": len(run.asset_selection or ()),
                    "failures": failures,
                    "failed_checks": failed_checks,
                }
            )
        from pipelines.status_checks import failed_checks

        checks_run, checks = failed_checks(instance, [r["run_id"] for r in out])
        for r in out:
            if r["run_id"] == checks_run:
                r["failed_check_details"] = checks
        instance.dispose()
        return out
    except Exception as e:  # noqa: BLE001 - status must always print something
        return [{"error": f"could not read the Dagster instance at {home}: {e}"}]


def _step_failures(instance, run_id: str) -> list[str]:
    from dagster._core.events import DagsterEventType

    out = []
    for ev in instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE):
        err = ev.dagster_event.step_failure_data.error if ev.dagster_event else None
        msg = (err.message if err else ev.user_message or "").strip()
        msg = msg.split(": ", 1)[1] if msg.startswith("dagster.") and ": " in msg else msg
        out.append(f"{ev.step_key}: {msg}")
    return out


def failed_countries(limit: int = 200) -> dict[str, list[str]]:
    """Countries whose latest per-country sources run failed -> its failures. The refresh went on without them:
    their marts use their last good raw data, so the published state is partial."""
    home = data_dir() / "dagster"
    if not (home / "dagster.yaml").exists():
        return {}
    import dagster as dg

    from pipelines.instance import open_instance
    from pipelines.schedules import STAGE_TAG

    instance = open_instance(home)
    try:
        latest: dict[str, dg.DagsterRun] = {}
        for rec in instance.get_run_records(dg.RunsFilter(tags={STAGE_TAG: "country-sources"}), limit=limit):
            country = rec.dagster_run.tags.get("dagster/partition")
            if country and country not in latest:  # newest first
                latest[country] = rec.dagster_run
        return {c: _step_failures(instance, run.run_id) for c, run in sorted(latest.items())
                if run.status.value == "FAILURE"}
    finally:
        instance.dispose()


def status_data(root: Path | None = None) -> dict:
    """What `status --json` prints; `ok` is false when a table is blocked or the last run failed (exit 1)."""
    from pipelines.publish.manifest import MANIFEST, read_manifest
    from pipelines.quality.tables import PUBLISHED_TABLES
    from pipelines.status_checks import add_failing_rows

    root = Path(root or published_dir())
    runs = _dagster_runs()
    manifest = read_manifest(root) if (root / MANIFEST).exists() else {}
    tables = {}
    for t in PUBLISHED_TABLES:
        entry = (manifest.get("tables") or {}).get(t.name) or {}
        tables[t.name] = {"status": entry.get("status") or "never published", "version": entry.get("version"),
                          "row_count": entry.get("row_count"), "reason": entry.get("reason")}
    problems = [f"table {name} is blocked: {t['reason']}" for name, t in tables.items() if t["status"] == "blocked"]
    last = runs[0] if runs else None
    checked = next((r for r in runs if "failed_check_details" in r), None)
    failed = checked["failed_check_details"] if checked else []
    note = add_failing_rows(failed)
    problems += [f"check failed: {c['asset']}: {c['check']} ({c['severity']})"
                 + (f", defined in dbt_project/{c['file']}" if c.get("file") else "")
                 + (f", {c['failing_rows']:,} failing row(s)" if c.get("failing_rows") else "")
                 for c in failed if c["severity"] == "error"]
    if last and "error" in last:
        problems.append(last["error"])
    elif last and last["status"] == "FAILURE":
        problems.append(f"the last run ({last['run_id'][:8]}) failed: " + "; ".join(last["failures"][:4]))
    if not manifest:
        problems.append("nothing published yet")
    try:
        partial = failed_countries()
    except Exception as e:  # noqa: BLE001 - status must always print something
        partial, problems = {}, [*problems, f"could not read the per-country runs: {e}"]
    problems += [f"partial: the sources of {c} failed, its marts use its last good raw data: " + "; ".join(f[:2])
                 for c, f in partial.items()]
    return {
        "data_dir": str(data_dir()),
        "published_version": manifest.get("version"),
        "last_run": last,
        "runs": runs,
        "tables": tables,
        "failed_checks": failed,
        "failed_checks_note": note,
        "problems": problems,
        "ok": not problems,
    }


def status_text(root: Path | None = None) -> str:
    from pipelines.publish.manifest import MANIFEST, read_manifest
    from pipelines.publish.versions import check_consistency, list_versions
    from pipelines.quality.report import REPORT_HTML, latest_result, quality_dir
    from pipelines.quality.tables import PUBLISHED_TABLES
    from pipelines.status_checks import add_failing_rows, check_lines

    root = Path(root or published_dir())
    lines = [f"clusterwatch status — data directory {data_dir()}", ""]

    runs = _dagster_runs()
    lines.append("Last refresh runs (Dagster):")
    if not runs:
        lines.append("  none recorded")
    for r in runs[:3]:
        if "error" in r:
            lines.append(f"  {r['error']}")
            continue
        ended = f", ended {_when(r['ended'])}" if r.get("ended") else ""
        lines.append(f"  {r['run_id'][:8]}  {r['status']:<9} started {_when(r['started'])}{ended}")
        for f in r["failures"][:4]:
            first, *rest = f.splitlines()
            lines.append(f"      ✘ {first}")
            lines.extend(f"        {x.strip()}" for x in rest[:8])
        if r.get("failed_checks"):
            lines.append(f"      failed checks: {', '.join(r['failed_checks'][:10])}")
    try:
        partial = failed_countries()
    except Exception as e:  # noqa: BLE001 - status must always print something
        partial = {"?": [f"could not read the per-country runs: {e}"]}
    if partial:
        lines.append(f"PARTIAL: the sources of {', '.join(partial)} failed; their marts use their last good raw "
                     "data (quality_issues: source_failed):")
        for country, failures in partial.items():
            lines.extend(f"  ✘ {country}: {line.strip()}" for f in failures for line in f.splitlines()[:6])
    lines.append("")
    checked = next((r for r in runs if "failed_check_details" in r), None)
    if checked and checked["failed_check_details"]:  # every failed check, dbt tests included
        failed = checked["failed_check_details"]
        note = add_failing_rows(failed)
        lines.append(f"Failed checks of run {checked['run_id'][:8]} ({len(failed)}, dbt tests included):")
        lines.extend(check_lines(failed, note))
        lines.append("")

    if not (root / MANIFEST).exists():
        lines.append(f"Nothing published yet ({root / MANIFEST} does not exist). Run `clusterwatch refresh`.")
        return "\n".join(lines)

    manifest = read_manifest(root)
    last = manifest.get("last_run") or {}
    lines.append(
        f"Published: version {manifest.get('version') or 'none'}; manifest written {_when(manifest.get('built_at'))}"
        + (f"; last publish run {str(last.get('run_id') or '')[:8]} ({last.get('version')})" if last else "")
    )
    lines.append("")
    header = f"  {'table':<20} {'current version':<27} {'rows':>9}  {'checks':<7} status"
    lines.append(header)
    lines.append("  " + "-" * (len(header) - 2))
    failed_results = []
    for t in PUBLISHED_TABLES:
        entry = (manifest.get("tables") or {}).get(t.name) or {}
        result = latest_result(t.name, root)
        checks = "—" if result is None else ("passed" if result.success else "FAILED")
        if result is not None and not result.success:
            failed_results.append(result)
        rows = entry.get("row_count")
        lines.append(
            f"  {t.name:<20} {entry.get('version') or 'never published':<27} "
            f"{(f'{rows:,}' if rows is not None else '—'):>9}  {checks:<7} {entry.get('status') or '—'}"
        )
        if entry.get("status") == "blocked":
            lines.append(f"  {'':<20} ↳ {entry.get('reason')}")
    lines.append("")

    if failed_results:
        lines.append("Failed expectations (great-expectations suites):")
        for r in failed_results:
            lines.append(f"  {r.table} (checked {_when(r.evaluated_at)}): {r.summary()}")
            for e in r.failed:
                lines.append(f"    ✘ {e.name}: {e.description} — observed {e.observed_text()}")
                for row in e.failing_rows_sample[:3]:
                    lines.append("        " + ", ".join(f"{k}={v}" for k, v in row.items()))
        lines.append("")
    else:
        dbt_failed = checked and checked["failed_check_details"]
        lines.append("Failed expectations: none" if dbt_failed else "Failed checks: none")
        lines.append("")

    versions = list_versions(root)
    lines.append(f"Versions kept in {root / 'versions'}: {len(versions)}")
    for v in versions:
        lines.append(f"  {v['version']}  {', '.join(v['tables'])}")
    problems = check_consistency(root, manifest)
    if problems:
        lines.append("")
        lines.append("WARNING: published files differ from the manifest (an interrupted publication?); "
                     "the next refresh restores them from versions/:")
        lines.extend(f"  - {p}" for p in problems)
    report = quality_dir(root) / REPORT_HTML
    lines.append("")
    lines.append(f"Quality report: {report}" if report.exists() else "Quality report: not written yet")
    lines.append(f"Analysts' database (read-only): {root / 'clusterwatch.duckdb'}")
    return "\n".join(lines)
