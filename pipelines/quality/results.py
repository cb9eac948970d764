"""The uniform result of a quality suite, whatever ran the expectation (great-expectations or SQL).

Per expectation: {name, description, success, observed, failing_count, failing_rows_sample (at most
10 rows)}. A suite result adds the table, when it ran, the row count and a fingerprint of the data it
saw, so that publish can prove it publishes exactly the data that passed.
"""
from __future__ import annotations

import datetime as dt
import decimal
import math
from dataclasses import asdict, dataclass, field
from typing import Any

SAMPLE_ROWS = 10


def jsonable(value: Any) -> Any:
    """Plain JSON values from what pandas, numpy, pyarrow and DuckDB return."""
    if value is None or type(value).__name__ in ("NaTType", "NAType"):  # pandas' missing values
        return None
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        try:
            return jsonable(item())
        except (TypeError, ValueError):
            pass
    tolist = getattr(value, "tolist", None)  # numpy arrays
    if callable(tolist):
        return jsonable(tolist())
    return str(value)


@dataclass
class ExpectationResult:
    name: str
    description: str
    success: bool
    observed: Any = None
    failing_count: int | None = None
    failing_rows_sample: list[dict] = field(default_factory=list)
    engine: str = "great_expectations"  # or "sql"
    expectation: str = ""  # the GX expectation type and its arguments, or "sql"
    error: str | None = None  # set when the expectation could not be evaluated (counts as a failure)
    severity: str = "error"  # "error" blocks publication; "warning" is reported only

    def to_json(self) -> dict:
        d = asdict(self)
        d["observed"] = jsonable(self.observed)
        d["failing_rows_sample"] = [jsonable(r) for r in self.failing_rows_sample[:SAMPLE_ROWS]]
        return d

    @classmethod
    def from_json(cls, d: dict) -> "ExpectationResult":
        return cls(**{k: d.get(k) for k in cls.__dataclass_fields__ if k in d})

    def observed_text(self) -> str:
        if self.error:
            return f"error: {self.error}"
        if self.failing_count is not None and self.observed is None:
            return f"{self.failing_count:,} failing rows"
        return _short(self.observed)


@dataclass
class SuiteResult:
    table: str
    suite: str
    success: bool
    evaluated_at: str
    row_count: int
    fingerprint: str
    seconds: float
    expectations: list[ExpectationResult]
    run_id: str | None = None
    version: str | None = None  # the publication this result gates

    @property
    def failed(self) -> list[ExpectationResult]:
        """Failed expectations that block publication."""
        return [e for e in self.expectations if not e.success and e.severity != "warning"]

    @property
    def warnings(self) -> list[ExpectationResult]:
        """Failed expectations of warning severity: reported, not blocking."""
        return [e for e in self.expectations if not e.success and e.severity == "warning"]

    def summary(self) -> str:
        n, bad, warn = len(self.expectations), len(self.failed), len(self.warnings)
        warned = f" ({warn} warning{'s' if warn > 1 else ''}: {', '.join(e.name for e in self.warnings)})" if warn else ""
        if not bad:
            return f"all {n - warn} blocking expectations passed" + warned if warn else f"all {n} expectations passed"
        names = ", ".join(e.name for e in self.failed[:5]) + (" ..." if bad > 5 else "")
        return f"{bad} of {n} expectations failed: {names}" + warned

    def to_json(self) -> dict:
        return {
            "table": self.table,
            "suite": self.suite,
            "success": self.success,
            "summary": self.summary(),
            "evaluated_at": self.evaluated_at,
            "row_count": self.row_count,
            "fingerprint": self.fingerprint,
            "seconds": round(self.seconds, 3),
            "run_id": self.run_id,
            "version": self.version,
            "expectations": [e.to_json() for e in self.expectations],
        }

    @classmethod
    def from_json(cls, d: dict) -> "SuiteResult":
        return cls(
            table=d["table"],
            suite=d["suite"],
            success=d["success"],
            evaluated_at=d["evaluated_at"],
            row_count=d["row_count"],
            fingerprint=d["fingerprint"],
            seconds=d.get("seconds", 0.0),
            expectations=[ExpectationResult.from_json(e) for e in d["expectations"]],
            run_id=d.get("run_id"),
            version=d.get("version"),
        )

    # -- presentation -------------------------------------------------------------------------
    def markdown_table(self) -> str:
        lines = ["| | expectation | observed | failing rows |", "|---|---|---|---|"]
        for e in self.expectations:
            mark = "✅" if e.success else ("⚠️" if e.severity == "warning" else "❌")
            failing = "" if e.failing_count is None else f"{e.failing_count:,}"
            lines.append(f"| {mark} | **{_md(e.name)}**<br>{_md(e.description)} | {_md(e.observed_text())} | {failing} |")
        return "\n".join(lines)

    def markdown_failing_rows(self, per_expectation: int = 5) -> str:
        parts = []
        for e in [*self.failed, *self.warnings]:
            label = " (warning, not blocking)" if e.severity == "warning" else ""
            parts.append(f"**{_md(e.name)}**{label} ({_md(e.observed_text())})")
            rows = e.failing_rows_sample[:per_expectation]
            if rows:
                cols = list(dict.fromkeys(c for r in rows for c in r))
                parts.append("| " + " | ".join(_md(c) for c in cols) + " |")
                parts.append("|" + "---|" * len(cols))
                for r in rows:
                    parts.append("| " + " | ".join(_md(_short(r.get(c))) for c in cols) + " |")
            parts.append("")
        return "\n".join(parts) or "no failing rows"

    def failure_message(self, rows_per_expectation: int = 3) -> str:
        """What a user reads when the gate stops publication: the table, each failed expectation, failing rows."""
        lines = [f"table {self.table!r} was NOT published: {self.summary()}."]
        for e in self.failed:
            lines.append(f"  - expectation {e.name!r}: {e.description} (observed: {e.observed_text()})")
            for r in e.failing_rows_sample[:rows_per_expectation]:
                lines.append("      failing row: " + ", ".join(f"{k}={_short(v, 40)}" for k, v in r.items()))
        lines.append("  The previously published version of this table stays current.")
        return "\n".join(lines)


def _short(value: Any, limit: int = 120) -> str:
    if value is None:
        return "null"
    text = value if isinstance(value, str) else str(jsonable(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
