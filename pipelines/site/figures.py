"""The headline figures of each country, each with its reference period, as-of date and source.

Rules follow the marts' own: people in need is the intersectoral figure (never a sum of sectors);
percent funded is a ratio of sums; a cluster is active when the activations mart says so.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.site.load import Published


@dataclass
class Figure:
    label: str
    value: str
    note: str = ""  # how the figure was made, in one phrase
    period: str = ""  # the reference period the figure describes
    as_of: str = ""  # when the source was last modified (manifest)
    sources: list[str] = field(default_factory=list)  # HDX dataset ids
    missing: bool = False


def fmt_int(n) -> str:
    return "–" if n is None else f"{int(round(n)):,}"


def fmt_usd(n) -> str:
    if n is None:
        return "–"
    for div, unit in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(n) >= div:
            return f"${n / div:,.1f}{unit}"
    return f"${n:,.0f}"


def fmt_pct(x) -> str:
    return "–" if x is None else f"{x * 100:.1f}%"


def dataset_ids(value) -> list[str]:
    return sorted({x.strip() for x in str(value or "").replace(";", ",").split(",") if x.strip()})


def as_of(pub: Published, table: str, ids: list[str]) -> str:
    """The latest modified time of the table's sources among these datasets (a date)."""
    times = [str(s.get("resource_modified") or "")[:10] for s in pub.sources_of(table, ",".join(ids))]
    times = [t for t in times if t]
    return max(times) if times else ""


def period_text(start, end) -> str:
    if not start and not end:
        return ""
    return f"{start or '?'} to {end or '?'}"


def people_in_need(pub: Published, country: str) -> Figure:
    if not pub.has("coverage", "people_in_need", "sector_code"):
        return Figure("People in need", "–", missing=True, note="coverage is not published")
    extra = ", max(need_period_start) as ps, max(need_period_end) as pe" if pub.has(
        "coverage", "need_period_start", "need_period_end") else ", null as ps, null as pe"
    ids = ", string_agg(distinct source_dataset_ids, ',') as ids" if pub.has(
        "coverage", "source_dataset_ids") else ", null as ids"
    r = pub.rows(
        f"select sum(people_in_need) as pin, count(*) as n {extra} {ids} from coverage "
        "where country_code = ? and sector_code = 'Intersectoral'", [country])[0]
    note = "intersectoral, summed over admin units"
    if not r["n"]:  # no intersectoral figure: the largest sector is a lower bound, never a sum of sectors
        r = pub.rows(
            f"select sector_code, sum(people_in_need) as pin {extra} {ids} from coverage where country_code = ? "
            "group by sector_code order by pin desc nulls last limit 1", [country])
        if not r:
            return Figure("People in need", "–", missing=True, note="no need figures for this country")
        r = r[0]
        note = f"largest sector ({r['sector_code']}); no intersectoral figure"
    sources = dataset_ids(r["ids"])
    return Figure("People in need", fmt_int(r["pin"]), note, period_text(r["ps"], r["pe"]),
                  as_of(pub, "coverage", sources), sources, missing=r["pin"] is None)


def partners(pub: Published, country: str) -> Figure:
    if not pub.has("coverage", "partners"):
        return Figure("Partners", "–", missing=True, note="coverage has no partner list")
    rows = pub.rows(
        "select partners, presence_period_start as ps, presence_period_end as pe, presence_source_keys as keys "
        "from coverage where country_code = ? and partners is not null", [country]
    ) if pub.has("coverage", "presence_period_start", "presence_period_end", "presence_source_keys") else pub.rows(
        "select partners, null as ps, null as pe, null as keys from coverage where country_code = ? "
        "and partners is not null", [country])
    names = {p.strip() for r in rows for p in str(r["partners"]).split(";") if p.strip()}
    if not names:
        return Figure("Partners", "not reported", "no operational presence (3W/4W) source", missing=True)
    starts = [r["ps"] for r in rows if r["ps"]]
    ends = [r["pe"] for r in rows if r["pe"]]
    keys = dataset_ids(",".join(str(r["keys"] or "") for r in rows))
    ids = [s.get("dataset_id") for s in pub.sources_of("coverage") if s.get("source_key") in keys]
    ids = sorted({i for i in ids if i})
    return Figure("Partners", fmt_int(len(names)), "distinct organisations reported in any sector",
                  period_text(min(starts) if starts else None, max(ends) if ends else None),
                  as_of(pub, "coverage", ids), ids)


def percent_funded(pub: Published, country: str) -> Figure:
    if not pub.has("funding_by_cluster", "year", "requirements_usd", "funding_usd"):
        return Figure("Percent funded", "–", missing=True, note="funding is not published")
    year = pub.rows("select max(year) as y from funding_by_cluster where country_code = ? and requirements_usd > 0",
                    [country])[0]["y"]
    if year is None:
        return Figure("Percent funded", "–", "no requirements on record", missing=True)
    ids = ", string_agg(distinct source_dataset_ids, ',') as ids" if pub.has(
        "funding_by_cluster", "source_dataset_ids") else ", null as ids"
    r = pub.rows(f"select sum(requirements_usd) as req, sum(funding_usd) as fund {ids} from funding_by_cluster "
                 "where country_code = ? and year = ?", [country, year])[0]
    ratio = r["fund"] / r["req"] if r["req"] else None
    sources = dataset_ids(r["ids"])
    return Figure("Percent funded", fmt_pct(ratio),
                  f"{fmt_usd(r['fund'])} of {fmt_usd(r['req'])} required, all plans",
                  f"{year}", as_of(pub, "funding_by_cluster", sources), sources)


def active_clusters(pub: Published, country: str) -> Figure:
    if not pub.has("cluster_activations", "is_active", "cluster_code"):
        return Figure("Active clusters", "–", missing=True, note="activations are not published")
    end = "max(reference_period_end)" if pub.has("cluster_activations", "reference_period_end") else "null"
    ids = "string_agg(distinct source_dataset_ids, ',')" if pub.has(
        "cluster_activations", "source_dataset_ids") else "null"
    # refugee responses and pre-cluster appeal sectors are periods too, but not clusters
    active = "is_active and structure = 'cluster'" if pub.has("cluster_activations", "structure") else "is_active"
    r = pub.rows(f"select count(distinct cluster_code) filter (where {active}) as n, {end} as end, {ids} as ids, "
                 f"string_agg(distinct cluster_code, ', ' order by cluster_code) filter (where {active}) as codes "
                 "from cluster_activations where country_code = ?", [country])[0]
    sources = dataset_ids(r["ids"])
    return Figure("Active clusters", fmt_int(r["n"] or 0), r["codes"] or "none active",
                  f"as measured to {r['end']}" if r["end"] else "", as_of(pub, "cluster_activations", sources),
                  sources)


def worst_gaps(pub: Published, country: str, limit: int = 3) -> list[dict]:
    """The top-ranked gaps, in rank order."""
    if not pub.has("gaps", "gap_type", "rank_in_country"):
        return []
    name = "coalesce(admin2_name, admin1_name)" if pub.has("gaps", "admin2_name", "admin1_name") else "''"
    return pub.rows(
        f"select {name} as place, sector_code, gap_type, people_in_need, rank_in_country from gaps "
        f"where country_code = ? order by rank_in_country, people_in_need desc nulls last limit {int(limit)}",
        [country])


def country_figures(pub: Published, country: str) -> list[Figure]:
    return [people_in_need(pub, country), partners(pub, country), percent_funded(pub, country),
            active_clusters(pub, country)]
