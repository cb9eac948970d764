"""What `clusterwatch refresh` prints about one Dagster run: a short stage summary, or one line per step (-v).

dbt's per-model and per-test log does not reach the terminal (it goes to logs/refresh.log under the data
dir, see refresh.py); the Dagster UI keeps every event of the run.
"""
from __future__ import annotations

from typing import Callable

import dagster as dg

MAX_LISTED = 8  # failed or warned checks named per run; the rest are counted (`clusterwatch status` lists them)


def describe_step_failures(result: dg.ExecuteInProcessResult) -> str:
    lines = []
    for ev in result.all_events:
        if ev.is_step_failure:
            err = ev.step_failure_data.error
            msg = (err.message or "").strip() if err else ""
            msg = msg.split(": ", 1)[1] if msg.startswith("dagster.") and ": " in msg else msg
            lines.append(f"{ev.step_key}: {msg}")
            if err and err.cause:
                lines.append(f"  caused by: {err.cause.message.strip()}")
    return "\n".join(lines) or "see the Dagster run log"


def _materialized(result: dg.ExecuteInProcessResult) -> dict[str, list]:
    mats: dict[str, list] = {}
    for ev in result.get_asset_materialization_events():
        mats.setdefault(ev.step_key, []).append(ev.event_specific_data.materialization)
    return mats


def print_steps(result: dg.ExecuteInProcessResult, say: Callable[[str], None]) -> None:
    """-v: one line per step with its time and row counts."""
    mats = _materialized(result)
    for ev in result.all_events:
        if not (ev.is_step_success or ev.is_step_failure):
            continue
        seconds = ev.event_specific_data.duration_ms / 1000 if ev.is_step_success else None
        done = mats.get(ev.step_key, [])
        counted = [m for m in done if "dagster/row_count" in m.metadata]
        if counted:
            detail = ", ".join(
                f"{m.asset_key.to_user_string()}{f' [{m.partition}]' if m.partition else ''} "
                f"{m.metadata['dagster/row_count'].value:,} rows"
                for m in counted
            )
        else:
            detail = f"{len(done)} assets" if done else ""
        state = f"{seconds:.1f}s" if seconds is not None else "FAILED"
        say(f"    {ev.step_key:32s} {state:>7s}  {detail}")


def print_summary(result: dg.ExecuteInProcessResult, say: Callable[[str], None], label: str, seconds: float) -> None:
    """One line for the run (steps, assets, rows of the raw tables), then the checks that did not pass."""
    steps = [ev for ev in result.all_events if ev.is_step_success or ev.is_step_failure]
    failed_steps = sum(1 for ev in steps if ev.is_step_failure)
    mats = [m for ms in _materialized(result).values() for m in ms]
    raw_rows = sum(m.metadata["dagster/row_count"].value for m in mats
                   if m.asset_key.path[0] == "raw" and "dagster/row_count" in m.metadata)
    detail = f"{len(steps)} steps" + (f" ({failed_steps} FAILED)" if failed_steps else "")
    detail += f", {len(mats)} assets"
    if raw_rows:
        detail += f", {raw_rows:,} raw rows"
    say(f"  {label}: {detail}, {seconds:.1f}s")
    print_checks(result, say)


def print_checks(result: dg.ExecuteInProcessResult, say: Callable[[str], None]) -> None:
    checks = result.get_asset_check_evaluations()
    if not checks:
        return
    failed = [c for c in checks if not c.passed]
    warned = [c for c in failed if c.severity == dg.AssetCheckSeverity.WARN]  # reported, not blocking
    say(f"    checks: {len(checks) - len(failed)} passed, {len(failed) - len(warned)} failed"
        + (f", {len(warned)} warned" if warned else ""))
    # Failed blocking checks are named once, in the step failure that reports them; warnings only here.
    for c in warned[:MAX_LISTED]:
        say(f"      WARNING {c.asset_key.to_user_string()}: {c.check_name}")
    if len(warned) > MAX_LISTED:
        say(f"      ... and {len(warned) - MAX_LISTED} more warnings (clusterwatch status)")
