"""FTS API `flow/custom-search?planid=…&groupby=organization` responses, read as one row per organisation.

The response holds a plan's requirements per organisation (`data.requirements.objects`) and four funding
reports (`data.report1..4.fundingTotals.objects[0].singleFundingObjects`): report1 by source organisation,
report2 by first-level recipient, report3 by recipient with pooled-fund allocations passed through to the
organisations that received them, report4 a smaller internal breakdown. Every section is kept, as text, in
long form: `section` names where the row came from; staging decides what each means. The response carries
no plan id (it is in the request): the config gives it as a constant.
"""
from __future__ import annotations

import json

import pyarrow as pa

from pipelines.lib.readers.table import ROW_NUMBER, ParsedTable, Where

COLUMNS = ("section", "direction", "organization_id", "organization_name", "object_type", "revised_requirements",
           "orig_requirements", "total_funding")
REPORTS = ("report1", "report2", "report3", "report4")


def _text(value) -> str | None:
    return None if value is None or value == "" else str(value)


def read_fts_organisations(where: Where) -> ParsedTable:
    try:
        data = json.loads(where.path.read_text(encoding="utf-8-sig"))["data"]
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise where.fail(f"not a JSON document ({e})") from None
    except (KeyError, TypeError):
        raise where.fail("not an FTS API response (no `data` object)") from None
    if not isinstance(data, dict) or "requirements" not in data:
        raise where.fail("not an FTS groupby=organization response (no `data.requirements`)")
    rows: list[tuple] = []
    for obj in (data.get("requirements") or {}).get("objects") or []:
        rows.append(("requirements", None, obj.get("id"), obj.get("name"), obj.get("objectType"),
                     obj.get("revisedRequirements"), obj.get("origRequirements"), None))
    for report in REPORTS:
        for group in ((data.get(report) or {}).get("fundingTotals") or {}).get("objects") or []:
            for obj in group.get("singleFundingObjects") or []:
                rows.append((report, obj.get("direction"), obj.get("id"), obj.get("name"), obj.get("type"),
                             None, None, obj.get("totalFunding")))
    if not rows:
        raise where.fail("the FTS response lists no organisation")
    columns = {c: pa.array([_text(r[i]) for r in rows], pa.string()) for i, c in enumerate(COLUMNS)}
    # A JSON object has no line of its own: _row_number is the record's position (1 = first record).
    columns[ROW_NUMBER] = pa.array(range(1, len(rows) + 1), pa.int64())
    return ParsedTable(columns=list(COLUMNS), hxl_tags=[None] * len(COLUMNS), table=pa.table(columns),
                       format="fts_json", sheet=None, encoding="utf-8", header_row=0, hxl_row=None,
                       source=where.path.name, dataset=where.dataset, resource=where.resource)
