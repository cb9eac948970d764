"""FTS incoming funding flows of 2025, streamed (they grow with the scale)."""
from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path

from pipelines.sample.draws import make_rng
from pipelines.sample.funding import FTS_GLOBAL_CLUSTERS, Plan, plan_clusters
from pipelines.sample.orgs import INTERNATIONAL_ORGS, NATIONAL_ORGS
from pipelines.sample.world import Country
from pipelines.sample.writer import FileInfo, csv_field, write_lines

FLOWS_FILE = "fts/fts_incoming_funding_global.csv"
FLOW_HEADER = ["date", "budgetYear", "description", "amountUSD", "srcOrganization", "srcOrganizationTypes",
               "srcLocations", "srcUsageYearStart", "srcUsageYearEnd", "destPlan", "destPlanCode", "destPlanId",
               "destOrganization", "destOrganizationTypes", "destGlobalClusters", "destLocations", "destProject",
               "destProjectCode", "destEmergency", "destUsageYearStart", "destUsageYearEnd", "contributionType",
               "flowType", "method", "boundary", "onBoundary", "status", "firstReportedDate", "decisionDate",
               "keywords", "originalAmount", "originalCurrency", "exchangeRate", "id", "refCode", "createdAt",
               "updatedAt"]
DONORS = [  # (srcOrganization, type, currency, USD per unit or None)
    ("Germany, Government of", "Government", "EUR", 1.087), ("United States of America, Government of",
                                                              "Government", "", None),
    ("United Kingdom, Government of", "Government", "GBP", 1.27), ("Switzerland, Government of", "Government",
                                                                  "CHF", 1.12),
    ("Japan, Government of", "Government", "JPY", 0.0067), ("Norway, Government of", "Government", "NOK", 0.094),
    ("European Commission's Civil Protection and Humanitarian Aid Operations Department", "Inter-governmental",
     "EUR", 1.087),
    ("Central Emergency Response Fund", "UN agency", "", None),
    ("Private (individuals & organizations)", "Private organization/foundation", "", None),
]
DEST_TYPES = {"UN": "UN agency", "INGO": "NGO", "NNGO": "NGO", "GOV": "Government", "RC": "Red Cross/Red Crescent",
              "OTHER": "Other"}


def _flow_lines(world: dict[str, Country], plans: list[Plan], scale: float, seed: int) -> Iterator[str]:
    """Incoming flows of 2025 to the three countries: most inside the 2025 plan, some outside it;
    clusters single, multi-valued (comma-joined) or blank; a few flows repeated verbatim."""
    rng = make_rng(seed, "fts/flows")
    u = rng.random  # index arithmetic on random() is ~5x faster than choice()/randint() at scale

    def pick(seq):
        return seq[int(u() * len(seq))]

    current = {p.iso3: p for p in plans if p.year == 2025 and p.type_id != 5}
    clusters = {iso3: [FTS_GLOBAL_CLUSTERS[c] for c in plan_clusters(p)] for iso3, p in current.items()}
    pairs = {iso3: [",".join(sorted(pair)) for pair in itertools.combinations(names, 2)]
             for iso3, names in clusters.items()}
    recipients = {iso3: [(o.acronym, o.name, DEST_TYPES[o.kind])
                         for o in INTERNATIONAL_ORGS[:10] + NATIONAL_ORGS[iso3][:3]] for iso3 in world}
    pooled = {iso3: f"{c.name.replace(' (fictional)', '')} Humanitarian Fund (fictional)"
              for iso3, c in world.items()}
    emergency = {iso3: f"{c.name} - Complex Emergency (from 2015)" for iso3, c in world.items()}
    days = [(dt.date(2025, 1, 1) + dt.timedelta(days=d)) for d in range(366)]
    isos = list(world)
    for i in range(round(300 * scale)):
        iso3 = isos[i % 3]
        plan = current[iso3] if u() < 0.75 else None
        acronym, dest_org, dest_type = pick(recipients[iso3])
        if u() < 0.06:
            dest_org, dest_type = pooled[iso3], "Pooled fund"
        roll = u()
        dest_clusters = "" if roll < 0.15 else pick(pairs[iso3]) if roll < 0.27 else pick(clusters[iso3])
        locations = iso3 if u() < 0.97 else ",".join(sorted({iso3, pick(isos)}))
        donor, donor_type, currency, rate = pick(DONORS)
        amount = 5000 + int(u() * 5_000_000)
        original, exchange = ("", "") if not currency else (round(amount / rate), f"{1 / rate:.3f}")
        d = int(u() * 300)
        day, created = days[d].isoformat(), days[d + int(u() * 20)]
        updated = (created + dt.timedelta(days=int(u() * 60))).isoformat()
        roll = u()
        status = "paid" if roll < 0.62 else "commitment" if roll < 0.98 else "pledge"
        roll = u()
        flow_type = ("Standard" if roll < 0.85 else "Parked" if roll < 0.94 else
                     "Pass through" if roll < 0.97 else "Carryover")
        flow_id = 300000 + i
        fields = [day, "" if u() < 0.7 else "2025",
               f"Contribution to {acronym} humanitarian response in {world[iso3].name}",
               amount, donor, donor_type, "", 2025, 2025,
               plan.name if plan else "", plan.code if plan else "", plan.id if plan else "",
               dest_org, dest_type, dest_clusters, locations, "", "",
               "" if u() < 0.6 else emergency[iso3], 2025, 2025 if u() < 0.9 else 2026,
               "financial" if u() < 0.97 else "in kind", flow_type,
               "Traditional aid" if u() < 0.95 else "Cash transfer programming (CTP)",
               "incoming", "single" if u() < 0.85 else "shared", status,
               day, "" if u() < 0.25 else day, "" if u() < 0.8 else "Multiyear", original, currency, exchange,
               flow_id, "" if u() < 0.2 else f"SM25{flow_id % 10000:04d}", created.isoformat(), updated]
        line = ",".join(map(csv_field, fields)) + "\n"  # csv.writer costs ~25 us on 37 fields
        yield line
        if i % 97 == 13:
            yield line  # the same flow returned twice across API pages


def write_flows(out: Path, world, plans, scale: float, seed: int) -> dict[str, FileInfo]:
    n = write_lines(out / FLOWS_FILE, [FLOW_HEADER], _flow_lines(world, plans, scale, seed))
    return {FLOWS_FILE: FileInfo(n, "csv", "utf-8", ",", 1, kind="flows")}
