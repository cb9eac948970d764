"""The cluster activation register (data/reference/cluster_activation_register.csv): checked row by row.

dbt loads the register as a seed and tests it, but a malformed date fails `dbt seed` with a message that does
not name the row. `clusterwatch config check` runs these checks first and names the row, column and value of
every problem, so an information manager can fix the file before a refresh.
"""
from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

from pipelines.lib.paths import REFERENCE_DIR
from pipelines.lib.personal_data import personal_data_kind

REGISTER_FILE = REFERENCE_DIR / "cluster_activation_register.csv"
COLUMNS = ("country", "cluster", "structure", "activated_on", "deactivated_on", "lead_agency", "co_lead_agencies",
           "level", "source_url", "recorded_by", "recorded_on", "note")
REQUIRED = ("country", "cluster", "structure", "activated_on", "level", "source_url", "recorded_by", "recorded_on")
CLUSTERS = ("SHL", "CCM", "FSC", "WSH", "HEA", "NUT", "EDU", "LOG", "TEL", "ERY", "PRO", "PRO-CPN", "PRO-GBV",
            "PRO-HLP", "PRO-MIN", "REF")
STRUCTURES = ("cluster", "sector", "refugee_response")
LEVELS = ("national", "subnational")
FREE_TEXT = ("lead_agency", "co_lead_agencies", "recorded_by", "note")  # published: no e-mail or phone number
# The IASC cluster approach was first used in October 2005 (seed cluster_rollout, global row).
EARLIEST_CLUSTER = dt.date(2005, 10, 1)


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _row_problems(row: dict[str, str]) -> list[str]:
    v = {k: (row.get(k) or "").strip() for k in COLUMNS}
    out = [f"{c} is empty" for c in REQUIRED if not v[c]]
    if v["country"] and not re.fullmatch(r"[A-Za-z]{3}", v["country"]):
        out.append(f"country {v['country']!r} is not an ISO3 code")
    if v["cluster"] and v["cluster"].upper() not in CLUSTERS:
        out.append(f"cluster {v['cluster']!r} is not one of {', '.join(CLUSTERS)}")
    if v["structure"] and v["structure"].lower() not in STRUCTURES:
        out.append(f"structure {v['structure']!r} is not one of {', '.join(STRUCTURES)}")
    if v["level"] and v["level"].lower() not in LEVELS:
        out.append(f"level {v['level']!r} is not one of {', '.join(LEVELS)}")
    if v["source_url"] and not re.match(r"https?://\S+$", v["source_url"]):
        out.append(f"source_url {v['source_url']!r} is not a web address (http:// or https://)")
    dates = {}
    for c in ("activated_on", "deactivated_on", "recorded_on"):
        if v[c]:
            dates[c] = _date(v[c])
            if dates[c] is None:
                out.append(f"{c} {v[c]!r} is not a date (YYYY-MM-DD)")
    start, end = dates.get("activated_on"), dates.get("deactivated_on")
    if start and end and end < start:
        out.append(f"deactivated_on {end} is before activated_on {start}")
    if start and v["structure"].lower() == "cluster" and start < EARLIEST_CLUSTER:
        out.append(f"a cluster cannot be activated before the cluster approach existed ({EARLIEST_CLUSTER}); "
                   f"use structure `sector` for {start}")
    if v["cluster"].upper() == "REF" and v["structure"] and v["structure"].lower() != "refugee_response":
        out.append("cluster REF (refugee response) needs structure `refugee_response`")
    for c in FREE_TEXT:
        kind = personal_data_kind(v[c])
        if kind:
            out.append(f"{c} holds personal data ({kind}): remove it; it is never published")
    return out


def register_problems(path: Path = REGISTER_FILE) -> list[str]:
    """Every problem of the register, one message per problem naming the file, row and column; [] when fine."""
    if not path.exists():
        return [f"{path.name}: missing (an empty register is a header row only)"]
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        missing = [c for c in COLUMNS if c not in header]
        unknown = [c for c in header if c not in COLUMNS]
        problems = [f"{path.name}: missing column(s) {', '.join(missing)}"] if missing else []
        problems += [f"{path.name}: unknown column(s) {', '.join(unknown)} (expected {', '.join(COLUMNS)})"] if unknown else []
        if problems:
            return problems
        periods: dict[tuple, list[tuple[int, dt.date, dt.date]]] = {}
        for number, row in enumerate(reader, start=2):
            found = _row_problems(row)
            problems += [f"{path.name} row {number}: {p}" for p in found]
            start = _date((row["activated_on"] or "").strip())
            if found or start is None:
                continue
            end = _date((row["deactivated_on"] or "").strip()) or dt.date.max
            key = (row["country"].strip().upper(), row["cluster"].strip().upper(), row["level"].strip().lower())
            for other, o_start, o_end in periods.get(key, []):
                if start <= o_end and o_start <= end:
                    problems.append(f"{path.name} row {number}: overlaps row {other} ({' '.join(key)})")
            periods.setdefault(key, []).append((number, start, end))
    return problems
