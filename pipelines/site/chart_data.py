"""The table behind each chart of a country page, queried from the published parquet files.

Each function returns a ChartTable: the rows a reader sees under the chart, which are also exactly
what the chart draws (charts.py), so the two never disagree. Optional columns appear when present.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.site.load import Published


@dataclass
class ChartTable:
    key: str  # file-name part: <ISO3>-<key>.svg
    title: str
    columns: list[str]  # the keys of each row, in display order
    headers: list[str]
    rows: list[dict] = field(default_factory=list)
    note: str = ""  # the period and source, shown under the chart
    empty: str = ""  # why there is nothing to draw, when rows is empty


def _opt(pub: Published, table: str, col: str, expr: str | None = None, alias: str | None = None) -> str:
    """`, expr as alias` when the column exists, else `, null as alias`: for columns other helpers add."""
    return f", {expr or col} as {alias or col}" if pub.has(table, col) else f", null as {alias or col}"


def funding_by_cluster(pub: Published, country: str) -> ChartTable:
    t = ChartTable("funding", "Requirements and funding by cluster", ["cluster", "requirements_usd", "funding_usd",
                   "percent_funded"], ["Cluster", "Required (USD)", "Funded (USD)", "% funded"])
    if not pub.has("funding_by_cluster", "year", "cluster_code", "requirements_usd", "funding_usd"):
        t.empty = "funding_by_cluster is not published"
        return t
    year = pub.rows("select max(year) as y from funding_by_cluster where country_code = ? and requirements_usd > 0",
                    [country])[0]["y"]
    if year is None:
        t.empty = "no cluster requirements on record for this country"
        return t
    name = "coalesce(any_value(cluster_name), cluster_code)" if pub.has("funding_by_cluster", "cluster_name") \
        else "cluster_code"
    t.rows = pub.rows(
        f"select {name} as cluster, sum(requirements_usd) as requirements_usd, sum(funding_usd) as funding_usd, "
        "sum(funding_usd) / nullif(sum(requirements_usd), 0) as percent_funded from funding_by_cluster "
        "where country_code = ? and year = ? group by cluster_code "
        "order by requirements_usd desc nulls last, funding_usd desc nulls last", [country, year])
    plans = pub.rows("select string_agg(distinct plan_code, ', ') as p from funding_by_cluster "
                     "where country_code = ? and year = ?", [country, year])[0]["p"] if pub.has(
                         "funding_by_cluster", "plan_code") else None
    t.title += f", {year}"
    t.note = f"Year {year}, every plan ({plans or 'n/a'}); percent funded is a ratio of sums. Source: FTS."
    return t


def funding_by_plan(pub: Published, country: str) -> ChartTable | None:
    """The per-plan totals, when the funding_by_plan mart is published (a table, no chart)."""
    if not pub.has("funding_by_plan", "year", "requirements_usd", "funding_usd"):
        return None
    t = ChartTable("plans", "Funding by plan", ["year", "plan", "plan_type", "requirements_usd", "funding_usd",
                   "percent_funded"], ["Year", "Plan", "Type", "Required (USD)", "Funded (USD)", "% funded"])
    plan = "coalesce(plan_name, plan_code, 'outside any plan')" if pub.has("funding_by_plan", "plan_name", "plan_code") \
        else "'all'"
    t.rows = pub.rows(
        f"select year, {plan} as plan {_opt(pub, 'funding_by_plan', 'plan_type')}, requirements_usd, funding_usd, "
        "funding_usd / nullif(requirements_usd, 0) as percent_funded from funding_by_plan where country_code = ? "
        "order by year desc, requirements_usd desc nulls last limit 30", [country])
    t.note = "The 30 most recent plan rows. Source: FTS."
    return t


def coverage_heat(pub: Published, country: str) -> ChartTable:
    """People in need per partner by first-level admin unit and sector (partners: the union of the lists)."""
    t = ChartTable("coverage", "People in need per partner, by admin unit and sector",
                   ["admin", "sector", "people_in_need", "partner_count", "pin_per_partner", "severity"],
                   ["Admin 1", "Sector", "People in need", "Partners", "PIN per partner", "Severity"])
    if not pub.has("coverage", "admin1_name", "sector_code", "people_in_need"):
        t.empty = "coverage is not published"
        return t
    partners = "string_agg(partners, ';')" if pub.has("coverage", "partners") else "null"
    # presence_reported (when the mart has it): false where no 3W/4W covers the cell, so partners are unknown
    reported = _opt(pub, "coverage", "presence_reported", "bool_or(presence_reported)", "reported")
    rows = pub.rows(
        f"select coalesce(admin1_name, admin1_code) as admin, sector_code as sector, sum(people_in_need) as pin, "
        f"{partners} as plist {_opt(pub, 'coverage', 'severity', 'max(severity)', 'severity')} {reported} "
        "from coverage where country_code = ? and sector_code <> 'Intersectoral' group by all order by 1, 2",
        [country])
    for r in rows:
        names = {p.strip() for p in str(r.pop("plist") or "").split(";") if p.strip()}
        known = r.pop("reported") is not False
        r["people_in_need"] = r.pop("pin")
        r["partner_count"] = len(names) if known else None
        r["pin_per_partner"] = (r["people_in_need"] / len(names)) if names and r["people_in_need"] else None
    t.rows = [r for r in rows if r["people_in_need"] or r["partner_count"]]
    if not t.rows:
        t.empty = "no need or presence figures for this country"
    elif not any(r["partner_count"] for r in t.rows):  # no 3W at all: "no partner" would be a false claim
        t.rows, t.empty = [], "no operational presence (3W/4W) data for this country, so partners are unknown"
    if not pub.has("coverage", "severity"):
        t.columns, t.headers = t.columns[:-1], t.headers[:-1]
    t.note = ("Admin 1 totals of the published admin units; a cell with need and no partner is marked 'none'; "
              "a blank cell has no partner figure (no 3W/4W covers it).")
    return t


FLAG_COLUMNS = {  # gaps column -> the flag shown when it is true (possibly_underreported: planned column)
    "periods_far_apart": "need and presence periods far apart",
    "possibly_underreported": "possibly under-reported",
}


def top_gaps(pub: Published, country: str, limit: int = 15) -> ChartTable:
    t = ChartTable("gaps", f"Top {limit} gaps", ["rank", "place", "sector", "gap_type", "people_in_need",
                   "partner_count", "pin_per_partner", "flags"],
                   ["Rank", "Place", "Sector", "Gap", "People in need", "Partners", "PIN per partner", "Flags"])
    if not pub.has("gaps", "gap_type", "rank_in_country", "people_in_need"):
        t.empty = "gaps is not published"
        return t
    place = "coalesce(admin2_name, admin1_name)" if pub.has("gaps", "admin2_name", "admin1_name") else "''"
    flags = "".join(_opt(pub, "gaps", c) for c in FLAG_COLUMNS) + _opt(pub, "gaps", "pin_basis")
    rows = pub.rows(
        f"select rank_in_country as rank, {place} as place, sector_code as sector, gap_type, people_in_need "
        f"{_opt(pub, 'gaps', 'partner_count')} {_opt(pub, 'gaps', 'pin_per_partner')} {flags} "
        f"from gaps where country_code = ? order by rank_in_country, people_in_need desc nulls last "
        f"limit {int(limit)}", [country])
    for r in rows:
        shown = [label for col, label in FLAG_COLUMNS.items() if r.pop(col, None)]
        basis = r.pop("pin_basis", None)
        if basis and basis != "reported":
            shown.append(f"need {basis}")
        r["flags"] = "; ".join(shown)
    t.rows = rows
    t.empty = "" if rows else "no gaps found for this country"
    t.note = "Ranked within the country by the gaps mart; flags come from its columns."
    return t


def activation_timeline(pub: Published, country: str) -> ChartTable:
    t = ChartTable("timeline", "Cluster activation timeline",
                   ["cluster", "start", "end", "is_active", "duration_days", "evidence", "structure", "confidence"],
                   ["Cluster", "From", "To", "Active", "Days", "Evidence", "Structure", "Confidence"])
    tbl = "cluster_activations"
    if not pub.has(tbl, "cluster_code", "activated_on"):
        t.empty = "cluster_activations is not published"
        return t
    end = "coalesce(deactivated_on, reference_period_end)" if pub.has(tbl, "deactivated_on", "reference_period_end") \
        else ("deactivated_on" if pub.has(tbl, "deactivated_on") else "null")
    t.rows = pub.rows(
        f"select cluster_code as cluster, activated_on as start, {end} as \"end\" {_opt(pub, tbl, 'is_active')} "
        f"{_opt(pub, tbl, 'duration_days')} {_opt(pub, tbl, 'evidence')} {_opt(pub, tbl, 'structure')} "
        f"{_opt(pub, tbl, 'confidence')} from {tbl} where country_code = ? order by cluster_code, activated_on",
        [country])
    for extra in ("confidence", "structure"):  # planned columns: shown only once the mart has them
        if not pub.has(tbl, extra):
            i = t.columns.index(extra)
            del t.columns[i], t.headers[i]
    t.empty = "" if t.rows else "no cluster activations on record"
    t.note = "Each bar is one activation period; an open period runs to the as-of date."
    return t
