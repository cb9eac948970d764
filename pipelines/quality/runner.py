"""Runs a quality suite against one mart in the DuckDB warehouse.

Expectations run in great-expectations (ephemeral context, pandas data source) on the mart fetched from
DuckDB through Arrow. GX over SQLAlchemy/duckdb-engine is not used: with DuckDB it fails on every metric.
Checks decided without reading the mart (no previous version to compare with) are StaticChecks.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import pyarrow as pa

from pipelines.quality.results import SAMPLE_ROWS, ExpectationResult, SuiteResult, jsonable

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # no network calls from the quality gate


@dataclass(frozen=True)
class GxCheck:
    """One great-expectations expectation. `build` is called with the gx.expectations module."""

    name: str
    description: str
    build: Callable[[Any], Any]
    columns: tuple[str, ...] = ()  # shown beside the key columns in failing-row samples
    severity: str = "error"  # "warning": reported, does not block publication


@dataclass(frozen=True)
class StaticCheck:
    """An expectation decided before any data is read (e.g. there is no previous version to compare with)."""

    name: str
    description: str
    success: bool
    observed: Any = None
    severity: str = "error"


Check = GxCheck | StaticCheck


@dataclass
class Suite:
    table: str
    relation: str  # e.g. marts.coverage
    key_columns: tuple[str, ...]
    checks: list[Check] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.table}_suite"

    def frame_sql(self) -> str:
        return f"select * from {self.relation}"


def fingerprint(con, relation: str) -> tuple[int, str]:
    """Row count and an order-independent hash of every row: identifies the exact data validated."""
    n, h = con.execute(f"select count(*), coalesce(sum(hash(t)::hugeint), 0) from {relation} t").fetchall()[0]
    return int(n), f"{int(n)}:{int(h):x}"


def _to_pandas(table: pa.Table):
    """Decimals become floats (GX compares numbers, not Decimal objects); everything else as pyarrow maps it."""
    cols = []
    for f in table.schema:
        col = table.column(f.name)
        if pa.types.is_decimal(f.type):
            col = col.cast(pa.float64())
        cols.append(col)
    return pa.table(cols, names=table.column_names).to_pandas()


def _fetch(con, sql: str) -> pa.Table:
    rel = con.sql(sql)
    out = rel.arrow()
    return out.read_all() if hasattr(out, "read_all") else out  # a RecordBatchReader in newer DuckDB


def _describe_gx(config) -> str:
    kwargs = {k: v for k, v in config.kwargs.items() if k not in ("batch_id", "result_format")}
    args = ", ".join(f"{k}={_brief(v)}" for k, v in kwargs.items())
    return f"{config.type}({args})"


def _brief(v: Any) -> str:
    if isinstance(v, (list, tuple, set)) and len(v) > 6:
        v = list(v)
        return "[" + ", ".join(map(str, v[:6])) + f", … {len(v)} values]"
    return str(v)


def _sample_rows(df, index_list: list, columns: list[str]) -> list[dict]:
    rows = []
    cols = [c for c in dict.fromkeys(columns) if c in df.columns]
    for idx in index_list[:SAMPLE_ROWS]:
        if isinstance(idx, dict):  # GX gives dicts when unexpected_index_column_names is set
            rows.append(jsonable(idx))
            continue
        try:
            rec = df.loc[idx, cols] if cols else df.loc[idx]
        except KeyError:
            continue
        rows.append({k: jsonable(v) for k, v in rec.to_dict().items()})
    return rows


def _run_gx(df, suite: Suite, checks: list[GxCheck]) -> list[ExpectationResult]:
    if not checks:
        return []
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    batch_def = (
        context.data_sources.add_pandas(f"warehouse_{suite.table}")
        .add_dataframe_asset(suite.relation)
        .add_batch_definition_whole_dataframe("whole_table")
    )
    gx_suite = gx.ExpectationSuite(name=suite.name)
    by_name: dict[str, GxCheck] = {}
    for c in checks:
        exp = c.build(gx.expectations)
        exp.meta = {**(exp.meta or {}), "clusterwatch_check": c.name}
        gx_suite.add_expectation(exp)
        by_name[c.name] = c
    gx_suite = context.suites.add(gx_suite)
    validation = batch_def.get_batch(batch_parameters={"dataframe": df}).validate(
        gx_suite, result_format={"result_format": "COMPLETE"}
    )
    results: dict[str, ExpectationResult] = {}
    for r in validation.results:
        cfg = r.expectation_config
        name = (cfg.meta or {}).get("clusterwatch_check")
        check = by_name[name]
        res = r.result or {}
        exc = r.exception_info or {}
        error = None
        if exc.get("raised_exception"):
            error = (exc.get("exception_message") or "exception").splitlines()[0]
        index_list = res.get("unexpected_index_list") or []
        failing_count = res.get("unexpected_count")
        observed = res.get("observed_value")
        if observed is None and failing_count is not None:
            pct = res.get("unexpected_percent")
            observed = f"{failing_count:,} of {res.get('element_count', len(df)):,} rows" + (
                f" ({pct:.2f}%)" if pct else ""
            )
        if cfg.type == "expect_table_columns_to_match_set":  # say what is missing, not every column
            missing = sorted(set(cfg.kwargs.get("column_set") or []) - set(df.columns))
            observed = f"missing: {', '.join(missing)}" if missing else f"all {len(cfg.kwargs.get('column_set') or [])} present"
        sample_cols = [*suite.key_columns, *check.columns]
        results[name] = ExpectationResult(
            name=name,
            description=check.description,
            success=bool(r.success) and error is None,
            observed=jsonable(observed),
            failing_count=None if failing_count is None else int(failing_count),
            failing_rows_sample=_sample_rows(df, index_list, sample_cols) if not r.success else [],
            engine="great_expectations",
            expectation=_describe_gx(cfg),
            error=error,
            severity=check.severity,
        )
    return [results[c.name] for c in checks]


def run_suite(con, suite: Suite, *, run_id: str | None = None, version: str | None = None) -> SuiteResult:
    """Evaluate every check of the suite against the mart; the order of the results is the suite's."""
    if any(isinstance(c, GxCheck) for c in suite.checks):
        import great_expectations  # noqa: F401 - imported once per process (seconds), not counted as validation time
    started = time.perf_counter()
    row_count, fp = fingerprint(con, suite.relation)
    gx_checks = [c for c in suite.checks if isinstance(c, GxCheck)]
    gx_results: dict[str, ExpectationResult] = {}
    if gx_checks:
        df = _to_pandas(_fetch(con, suite.frame_sql()))
        gx_results = {r.name: r for r in _run_gx(df, suite, gx_checks)}
    out: list[ExpectationResult] = []
    for c in suite.checks:
        if isinstance(c, GxCheck):
            out.append(gx_results[c.name])
        else:
            out.append(
                ExpectationResult(
                    name=c.name, description=c.description, success=c.success, observed=c.observed,
                    engine="python", expectation="static", severity=c.severity,
                )
            )
    return SuiteResult(
        table=suite.table,
        suite=suite.name,
        success=all(e.success or e.severity == "warning" for e in out),
        evaluated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        row_count=row_count,
        fingerprint=fp,
        seconds=time.perf_counter() - started,
        expectations=out,
        run_id=run_id,
        version=version,
    )
