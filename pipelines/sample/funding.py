"""FTS requirements and funding: the plans, and the files by plan and by plan and global cluster."""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from pipelines.sample.draws import make_rng
from pipelines.sample.world import Country
from pipelines.sample.writer import FileInfo, blank_none, write_csv

# Global clusters as FTS names them (id -> name).
FTS_GLOBAL_CLUSTERS = {
    1: "Camp Coordination / Management",
    2: "Early Recovery",
    3: "Education",
    4: "Emergency Shelter and NFI",
    5: "Emergency Telecommunications",
    6: "Food Security",
    7: "Health",
    8: "Logistics",
    9: "Nutrition",
    10: "Protection",
    11: "Water Sanitation Hygiene",
    12: "Protection - Child Protection",
    13: "Protection - Gender-Based Violence",
    14: "Protection - Housing, Land and Property",
    15: "Protection - Mine Action",
    16: "Multipurpose Cash",
    26479: "Multi-sector",
    26480: "Coordination and support services",
    26481: "Other",
    26512: "Agriculture",
}


@dataclass(frozen=True)
class Plan:
    iso3: str
    year: int
    id: int  # FTS plan id
    hpc_id: int  # HPC internalId: a different number space, as in reality
    code: str
    name: str
    type_id: int
    type_name: str
    categories: str  # as in humanitarian-response-plans.csv


PLAN_TYPES = {4: "Humanitarian response plan", 5: "Flash appeal", 2070: "Humanitarian needs and response plan",
              2071: "Strategic response plan"}
# Which global clusters each plan has, by year: activation periods come and go (XAR's shelter
# cluster is active 2016-2019, deactivated, and reactivated 2022-2025).
ALWAYS = {"XAR": [26480, 3, 6, 7, 9, 10, 11], "XBO": [26480, 3, 4, 6, 7, 9, 10, 11, 26479, 2],
          "XCA": [26480, 3, 4, 6, 7, 9, 10, 11]}
ACTIVE_YEARS = {
    "XAR": {4: [*range(2016, 2020), *range(2022, 2026)], 1: range(2017, 2026), 12: range(2019, 2026),
            13: range(2019, 2026), 8: [2017, 2018, 2022], 2: [2015, 2016], 16: range(2021, 2026)},
    "XBO": {1: range(2019, 2026), 8: range(2015, 2018), 16: [2024, 2025], 12: range(2022, 2026),
            13: range(2022, 2026)},
    "XCA": {1: range(2021, 2026), 2: range(2023, 2026), 26512: [*range(2017, 2020), *range(2021, 2026)],
            12: range(2021, 2026), 13: range(2021, 2026), 15: range(2022, 2026)},
}
FUNDING_ONLY = {"XAR": {26512: [2018, 2023]}, "XBO": {26481: [2025]}, "XCA": {}}  # funding, no requirement
PLAN_YEARS = {"XAR": range(2015, 2026), "XBO": range(2015, 2026), "XCA": [*range(2017, 2020), *range(2021, 2026)]}


def build_plans(world: dict[str, Country]) -> list[Plan]:
    plans = []
    for k, (iso3, c) in enumerate(world.items()):
        for year in PLAN_YEARS[iso3]:
            yy = year % 100
            if iso3 == "XBO":
                kind = "Besoins Humanitaires et Plan de Réponse" if year >= 2024 else "Plan de Réponse Humanitaire"
                name, lang, grouping = f"{c.name_fr} {kind} {year}", "fr", "sector"
            else:
                kind = ("Humanitarian Needs and Response Plan" if year >= 2024 else
                        "Strategic Response Plan" if year == 2015 else "Humanitarian Response Plan")
                name, lang, grouping = f"{c.name} {kind} {year}", "en", "cluster"
            type_id = 2070 if year >= 2024 else 2071 if year == 2015 else 4
            categories = (f"Humanitarian needs and response plan | {grouping} | {lang}" if type_id == 2070
                          else f"{grouping} | {lang} | {PLAN_TYPES[type_id]}")
            plans.append(Plan(iso3, year, 90000 + 1000 * k + yy, 7000 + 100 * k + yy, f"H{iso3}{yy:02d}", name,
                              type_id, PLAN_TYPES[type_id], categories))
    # A flash appeal with no cluster breakdown: in the plan list and plan-level FTS, not the cluster file.
    plans.append(Plan("XAR", 2017, 90617, 7067, "FXAR17", "Arland (fictional) Flash Appeal 2017", 5,
                      PLAN_TYPES[5], "cluster | en | Flash appeal"))
    return sorted(plans, key=lambda p: (p.iso3, -p.year, p.code))


def plan_clusters(plan: Plan) -> list[int]:
    active = [cid for cid, years in ACTIVE_YEARS[plan.iso3].items() if plan.year in years]
    funded = [cid for cid, years in FUNDING_ONLY[plan.iso3].items() if plan.year in years]
    return sorted(set(ALWAYS[plan.iso3] + active + funded), key=lambda cid: FTS_GLOBAL_CLUSTERS[cid])


def _pct(funding: int | None, requirements: int | None) -> str:
    return "" if not funding or not requirements else str(round(100 * funding / requirements))


def _cluster_funding(plan: Plan, rng: random.Random) -> list[tuple[str, str, int | None, int | None]]:
    """(clusterCode, cluster, requirements, funding) rows of one plan, incl. the two unallocated rows."""
    out = []
    for cid in plan_clusters(plan):
        if plan.year in FUNDING_ONLY[plan.iso3].get(cid, ()):
            out.append((str(cid), FTS_GLOBAL_CLUSTERS[cid], None, rng.randint(100, 3000) * 1000))
            continue
        base = {6: 120, 26479: 150, 7: 40, 11: 40, 9: 35}.get(cid, 15)
        requirements = round(base * 1e6 * rng.uniform(0.5, 1.6) * (1 + 0.06 * (plan.year - 2015)))
        share = rng.betavariate(2, 3) * 1.3
        if cid == 10 and plan.year in (2019, 2023):
            share = rng.uniform(1.2, 2.9)  # over-funded: percentFunded > 100
        funding = None if rng.random() < 0.05 else round(requirements * share)
        out.append((str(cid), FTS_GLOBAL_CLUSTERS[cid], requirements, funding))
    not_specified = rng.randint(-4000, 90000) * 1000  # can be negative after corrections
    shared = 0 if rng.random() < 0.15 else rng.randint(100, 20000) * 1000
    out.append(("", "Not specified", None, not_specified))
    out.append(("", "Multiple clusters/sectors (shared)", None, shared))
    return out


# The plan's own name of a cluster line in the per-plan cluster file, where it differs from the global name.
PLAN_LINE_NAMES = {1: "Camp Coordination and Camp Management", 4: "Shelter and NFIs",
                   6: "Food Security and Livelihoods", 11: "Water, Sanitation and Hygiene",
                   12: "Protection: Child Protection", 13: "Protection: Gender-Based Violence",
                   15: "Protection: Mine Action", 16: "Multi Purpose Cash", 26479: "Refugee Response",
                   26480: "Enabling Programmes"}


def _plan_line(plan: Plan, k: int, code: str, name: str) -> tuple[str, str]:
    """(clusterCode, cluster) of a line in the per-plan cluster file: a plan-specific id and the plan's name."""
    return (f"{plan.id}{k:02d}", PLAN_LINE_NAMES.get(int(code), name)) if code else (code, name)


def write_fts(out: Path, world: dict[str, Country], plans: list[Plan], seed: int) -> dict[str, FileInfo]:
    """Global-cluster, per-plan cluster and plan-level FTS files (UTF-8, CRLF, no HXL). Plan requirements and
    funding are the sums of the plan's cluster rows, the unallocated rows included."""
    rng = make_rng(seed, "fts")
    cluster_rows, plan_rows, line_rows = [], [], []
    for iso3 in world:
        years = sorted({p.year for p in plans if p.iso3 == iso3} | {2026}, reverse=True)
        for year in years:
            for plan in (p for p in plans if p.iso3 == iso3 and p.year == year):
                lead = [iso3, plan.id, plan.name, plan.code, f"{year}-01-01", f"{year}-12-31", year]
                if plan.type_id == 5:
                    requirements, funding = rng.randint(20, 60) * 1_000_000, rng.randint(5, 40) * 1_000_000
                else:
                    rows = _cluster_funding(plan, rng)
                    cluster_rows += [[*lead, code, name, blank_none(req), blank_none(fund), _pct(fund, req)]
                                     for code, name, req, fund in rows]
                    line_rows += [[*lead, *_plan_line(plan, k, code, name), blank_none(req), blank_none(fund),
                                   _pct(fund, req)] for k, (code, name, req, fund) in enumerate(rows)]
                    requirements = sum(r[2] or 0 for r in rows)
                    funding = sum(r[3] or 0 for r in rows)
                plan_rows.append([iso3, plan.id, plan.name, plan.code, plan.type_id, plan.type_name,
                                  f"{year}-01-01", f"{year}-12-31", year, requirements, funding,
                                  _pct(funding, requirements)])
            # Funding recorded for the country outside any plan (and pledges for next year).
            plan_rows.append([iso3, "", "Not specified", "", "", "", "", "", year, "",
                              rng.randint(1, 60) * 1_000_000 + rng.randint(0, 999_999), ""])
    cluster_path = "fts/fts_requirements_funding_globalcluster_global.csv"
    plan_path = "fts/fts_requirements_funding_global.csv"
    n = write_csv(out / cluster_path, ["countryCode", "id", "name", "code", "startDate", "endDate", "year",
                                       "clusterCode", "cluster", "requirements", "funding", "percentFunded"],
                  cluster_rows, newline="\r\n")
    line_path = "fts/fts_requirements_funding_cluster_global.csv"
    lines = write_csv(out / line_path, ["countryCode", "id", "name", "code", "startDate", "endDate", "year",
                                        "clusterCode", "cluster", "requirements", "funding", "percentFunded"],
                      line_rows, newline="\r\n")
    m = write_csv(out / plan_path, ["countryCode", "id", "name", "code", "typeId", "typeName", "startDate",
                                    "endDate", "year", "requirements", "funding", "percentFunded"],
                  plan_rows, newline="\r\n")
    return {cluster_path: FileInfo(n, "csv", "utf-8", ",", 1, kind="funding"),
            line_path: FileInfo(lines, "csv", "utf-8", ",", 1, kind="funding"),
            plan_path: FileInfo(m, "csv", "utf-8", ",", 1, kind="funding")}
