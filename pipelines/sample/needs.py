"""Humanitarian needs: the HPC global HNO (admin 0/1/2 mixed) and a JIAF workbook (wide PiN and Severity sheets)."""
from __future__ import annotations

import datetime as dt
import itertools
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipelines.sample.draws import make_rng, split_total
from pipelines.sample.world import Country, Unit
from pipelines.sample.writer import FileInfo, blank_none, save_xlsx, write_csv

HNO_FILE = "hno/hpc_hno_2025.csv"
JIAF_FILE = "hno/jiaf_pin_2025.xlsx"
HNO_HEADER = ["Country ISO3", "Admin 1 PCode", "Admin 1 Name", "Admin 2 PCode", "Admin 2 Name", "Description",
              "Cluster", "Category", "Population", "In Need", "Targeted", "Affected", "Reached", "Info"]
# (HPC code, description, share of population in need at full severity). Two PRO rows, as in HPC.
HNO_CLUSTERS = {
    "XAR": [("CCM", "Camp Coordination And Camp Management", 0.15), ("EDU", "Education", 0.35),
            ("FSC", "Food Security", 0.8), ("HEA", "Health", 0.7), ("NUT", "Nutrition", 0.3),
            ("PRO", "General Protection", 0.45), ("PRO", "Protection (overall)", 0.55),
            ("PRO-CPN", "Child Protection", 0.3), ("PRO-GBV", "Gender-Based Violence (GBV)", 0.35),
            ("SHL", "Emergency Shelter and NFI", 0.4), ("WSH", "Water, Sanitation and Hygiene", 0.75)],
    "XBO": [("EDU", "Education", 0.3), ("ERY", "Early Recovery", 0.2), ("FSC", "Food Security", 0.85),
            ("HEA", "Health", 0.6), ("NUT", "Nutrition", 0.35), ("PRO", "Protection (overall)", 0.4),
            ("PRO-CPN", "Child Protection", 0.25), ("PRO-GBV", "Gender-Based Violence (GBV)", 0.3),
            ("SHL", "Shelter and Non-Food Items", 0.35), ("WSH", "Water, Sanitation and Hygiene", 0.7)],
}
HNO_CATEGORIES = ["Internally displaced people", "Non-displaced people", "Returnees"]
JIAF_CLUSTERS = ["CCCM", "Education", "Nutrition", "Food Security", "Health", "Protection", "Shelter", "NFI",
                 "WASH", "Early Recovery", "General Protection", "Child Protection", "GBV", "Mine Action", "HLP",
                 "Refugee"]
JIAF_HEADER = ["Admin 0", "ISO3", "Admin 1", "Admin 1 P-Code", "Admin 2", "Admin 2 P-Code", "Admin 3",
               "Admin 3 P-Code", "Population", "Population Group", *JIAF_CLUSTERS, "Final PiN"]
# The Severity sheet: two group rows above the names (row 2 blank), phases 1-5 per cluster, Final Severity last.
SEVERITY_CLUSTERS = ["CCCM", "Education", "Nutrition", "Food Security", "Health", "Protection", "Shelter", "NFI",
                     "WASH", "EARLY RECOVERY", "Child Protection", "GBV", "Mine Action", "HLP", "General Protection"]
SEVERITY_HEADER = [*JIAF_HEADER[:8], *SEVERITY_CLUSTERS, "Final Severity"]

JIAF_TO_HPC = {"CCCM": ("CCM", "Camp Coordination And Camp Management"), "Education": ("EDU", "Education"),
               "Nutrition": ("NUT", "Nutrition"), "Food Security": ("FSC", "Food Security"),
               "Health": ("HEA", "Health"), "Protection": ("PRO", "Protection (overall)"),
               "Shelter": ("SHL", "Emergency Shelter and NFI"), "WASH": ("WSH", "Water, Sanitation and Hygiene"),
               "General Protection": ("PRO", "General Protection"), "Child Protection": ("PRO-CPN", "Child Protection"),
               "GBV": ("PRO-GBV", "Gender-Based Violence (GBV)"), "Mine Action": ("PRO-MIN", "Mine Action")}


@dataclass
class Caseload:
    """One unit's figures for one cluster: [population, in need, targeted, affected] per category.

    Totals are always computed as the sum of the categories, so they match by construction."""

    by_category: dict[str, list[int | None]]
    reached: int | None = None  # only the national ALL row carries it

    @property
    def total(self) -> list[int | None]:
        columns = zip(*self.by_category.values())
        return [None if None in col else sum(col) for col in columns]


def _caseload(figures: list[int | None], shares: list[float | None]) -> Caseload:
    split = [None if v is None else split_total(v, shares) for v in figures]
    return Caseload({cat: [s[i] if s else None for s in split] for i, cat in enumerate(HNO_CATEGORIES)})


def _sum_caseloads(items: list[Caseload]) -> Caseload:
    cats = items[0].by_category
    return Caseload({cat: [None if any(c.by_category[cat][i] is None for c in items)
                           else sum(c.by_category[cat][i] for c in items) for i in range(4)] for cat in cats})


def _unit_caseloads(rng: random.Random, pop: int, clusters) -> dict[tuple[str, str], Caseload]:
    """Sector PINs for one unit, and the intersectoral ALL: above the largest sector, below the sum."""
    severity = rng.uniform(0.25, 0.7)
    idp, returnees = rng.uniform(0.05, 0.35), rng.uniform(0.0, 0.1)
    shares = [idp, 1 - idp - returnees, None]  # IDPs, non-displaced, returnees (the remainder)
    out, pins = {}, []
    for code, desc, weight in clusters:
        pin = round(pop * min(0.95, severity * weight * rng.uniform(0.8, 1.2)))
        pins.append(pin)
        out[(code, desc)] = _caseload([None, pin, round(pin * rng.uniform(0.35, 0.85)), None], shares)
    pins.sort(reverse=True)
    overall = min(pop, pins[0] + round(0.25 * sum(pins[1:3])))
    affected = min(pop, round(overall * rng.uniform(1.1, 1.4)))
    out[("ALL", "")] = _caseload([pop, overall, round(overall * rng.uniform(0.5, 0.75)), affected], shares)
    return out


def _hno_rows(iso3: str, a1: Unit | None, a2: Unit | None, caseloads: dict[tuple[str, str], Caseload],
              all_desc: str, national: bool) -> Iterator[list]:
    """HPC rows for one unit: the national level has totals only (Category blank); sub-national
    units have a 'total' row (lower case, as HPC writes it) and one row per category."""
    geo = [a1.code if a1 else "", a1.name if a1 else "", a2.code if a2 else "", a2.name if a2 else ""]
    order = sorted(caseloads, key=lambda k: (k[0] != "", k[0] != "ALL", k[0], k[1]))
    for code, desc in order:
        cl = caseloads[(code, desc)]
        lead = [iso3, *geo, desc or all_desc, code]
        info = "No cluster for entity 9154" if code == "" else ""
        if national:
            yield [*lead, "", *map(blank_none, cl.total), blank_none(cl.reached), info]
            continue
        for category, values in sorted([*cl.by_category.items(), ("total", cl.total)]):
            yield [*lead, category, *map(blank_none, values), "", info]


def _hno_xar(world, rng) -> Iterator[list]:
    c = world["XAR"]
    per_a2 = {u.code: _unit_caseloads(rng, c.population[u.code], HNO_CLUSTERS["XAR"]) for u in c.admin2}
    keys = list(per_a2[c.admin2[0].code])
    per_a1 = {a1.code: {k: _sum_caseloads([per_a2[u.code][k] for u in c.children(a1.code)]) for k in keys}
              for a1 in c.admin1}
    national = {k: _sum_caseloads([per_a1[a.code][k] for a in c.admin1]) for k in keys}
    national[("ALL", "")].reached = round(national[("ALL", "")].total[2] * 0.42)
    yield from _hno_rows("XAR", None, None, national, "Final HNRP Caseload", True)
    for a1 in c.admin1:
        yield from _hno_rows("XAR", a1, None, per_a1[a1.code], "Final HNRP Caseload", False)
    # HPC leaves Admin 1 blank on admin 2 rows: the level is implied by which p-code is filled.
    for u in c.admin2:
        yield from _hno_rows("XAR", None, u, per_a2[u.code], "Final HNRP Caseload", False)


def _hno_xbo(world, rng) -> Iterator[list]:
    c = world["XBO"]
    per_a1 = {}
    for a1 in c.admin1:
        pop = sum(c.population[u.code] for u in c.children(a1.code))
        loads = _unit_caseloads(rng, pop, HNO_CLUSTERS["XBO"])
        refugees = rng.randint(2, 40) * 1000
        # A caseload HPC could not map to a cluster: blank Cluster and an Info note.
        loads[("", "Refugee Response")] = Caseload({"Refugees": [None, refugees, refugees, None]})
        per_a1[a1.code] = loads
    keys = list(per_a1[c.admin1[0].code])
    national = {k: _sum_caseloads([per_a1[a.code][k] for a in c.admin1]) for k in keys}
    national[("ALL", "")].reached = round(national[("ALL", "")].total[2] * 0.37)
    yield from _hno_rows("XBO", None, None, national, "Final HRP caseload", True)
    for a1 in c.admin1:
        yield from _hno_rows("XBO", a1, None, per_a1[a1.code], "Final HRP caseload", False)


def _hno_xca(jiaf_rows: list[list]) -> Iterator[list]:
    """Caldera's HNO is national only here; its sub-national PiN is in the JIAF workbook."""
    col = {name: i for i, name in enumerate(JIAF_HEADER)}

    def total(name):
        values = [r[col[name]] for r in jiaf_rows if isinstance(r[col[name]], float)]
        return round(sum(values)) if values else None

    pop, final = total("Population"), total("Final PiN")
    yield ["XCA", "", "", "", "", "Final HNRP Caseload", "ALL", "", pop, final, round(final * 0.61), "",
           round(final * 0.33), ""]
    for name, (code, desc) in sorted(JIAF_TO_HPC.items(), key=lambda kv: kv[1]):
        if (pin := total(name)) is not None:
            yield ["XCA", "", "", "", "", desc, code, "", "", pin, round(pin * 0.55), "", "", ""]


def _jiaf_rows(world, rng) -> list[list]:
    """Wide PiN per admin 2 with unrounded floats; Final PiN is the largest cluster PiN (JIAF rule).
    Some clusters are empty for the whole country, a few are filled in a few rows only."""
    c = world["XCA"]
    names = {u.code: u.name for u in c.admin1}
    sparse = {"CCCM": 0.25, "Mine Action": 0.2, "Refugee": 0.1}
    empty = {"NFI", "Early Recovery", "HLP"}
    weights = {"Education": 0.3, "Nutrition": 0.25, "Food Security": 0.7, "Health": 0.6, "Protection": 0.45,
               "Shelter": 0.3, "WASH": 0.65, "General Protection": 0.4, "Child Protection": 0.25, "GBV": 0.3,
               "CCCM": 0.1, "Mine Action": 0.05, "Refugee": 0.08}
    rows = []
    for u in c.admin2:
        pop = c.population[u.code] * rng.uniform(0.97, 1.06)
        severity = rng.uniform(0.2, 0.75)
        values = {}
        for cluster in JIAF_CLUSTERS:
            if cluster in empty or (cluster in sparse and rng.random() > sparse[cluster]):
                values[cluster] = None
            elif cluster == "WASH" and rng.random() < 0.08:
                values[cluster] = 0  # real JIAF has literal zeros next to blanks
            else:
                values[cluster] = pop * severity * weights[cluster] * rng.uniform(0.7, 1.3)
        final = max(v for v in values.values() if v is not None)
        rows.append(["Caldera (fictional)", "XCA", names[u.parent], u.parent, u.name, u.code, None, None, pop, None,
                     *values.values(), final])
    rows[11][-1] = ""  # a blank-string Final PiN, as in the real workbook
    return rows


def _severity_rows(jiaf_rows: list[list], rng) -> list[list]:
    """One row per PiN unit: a phase per cluster that has PiN (0 now and then: not assessed, as in the real
    sheet), some averaged to decimals; Final Severity is the highest cluster phase."""
    col = {name: i for i, name in enumerate(JIAF_HEADER)}
    rows = []
    for r in jiaf_rows:
        ratio = (r[col["Final PiN"]] or 0) / r[col["Population"]] if r[col["Final PiN"]] != "" else 0
        base = 1 + min(3.0, ratio * 5)
        phases = []
        for name in SEVERITY_CLUSTERS:
            pin = r[col[name.title() if name == "EARLY RECOVERY" else name]]
            if pin in (None, ""):
                phases.append(None)
            elif rng.random() < 0.05:
                phases.append(0.0)
            else:
                p = min(5.0, max(1.0, base + rng.uniform(-1, 1.2)))
                phases.append(round(p, 2) if rng.random() < 0.1 else float(round(p)))
        final = max((p for p in phases if p), default=None)
        rows.append([*r[:8], *phases, float(round(final)) if final else None])
    return rows


def write_needs(out: Path, world: dict[str, Country], seed: int) -> dict[str, FileInfo]:
    jiaf = _jiaf_rows(world, make_rng(seed, "jiaf/XCA"))
    severity = _severity_rows(jiaf, make_rng(seed, "jiaf-severity/XCA"))
    rows = itertools.chain(_hno_xar(world, make_rng(seed, "hno/XAR")),
                           _hno_xbo(world, make_rng(seed, "hno/XBO")), _hno_xca(jiaf))
    n = write_csv(out / HNO_FILE, HNO_HEADER, rows)
    write_jiaf(out / JIAF_FILE, jiaf, severity)
    return {HNO_FILE: FileInfo(n, "csv", "utf-8", ",", 1, kind="needs"),
            JIAF_FILE: FileInfo(len(jiaf), "xlsx", header_rows=2, sheet="PiN", kind="needs")}


def write_jiaf(path: Path, rows: list[list], severity: list[list]) -> None:
    """Sheet PiN: row 1 merged group labels ('Populaton' [sic]), row 2 names, panes frozen at E3.
    Sheet Severity: row 1 group labels, row 2 blank, row 3 names."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "PiN"
    groups = {"A1:H1": None, "I1:J1": "Populaton", "K1:T1": "Cluster PiN", "U1:Y1": "Protection AoR"}
    for ref, label in groups.items():
        ws[ref.split(":")[0]] = label
        ws.merge_cells(ref)
    ws.append(JIAF_HEADER)
    for row in rows:
        ws.append(row)
    ws.freeze_panes = "E3"
    sev = wb.create_sheet("Severity")
    sev["A1"] = "Location"
    sev.append([])
    sev.append(SEVERITY_HEADER)
    for row in severity:
        sev.append(row)
    # openpyxl writes '' as an empty inline-string cell; give it an explicit empty text, as Excel does.
    blank = re.compile(rb'<c r="([A-Z]+\d+)" t="inlineStr" ?/>')

    def empty_strings(name: str, data: bytes) -> bytes:
        if not name.startswith("xl/worksheets/"):
            return data
        return blank.sub(rb'<c r="\1" t="inlineStr"><is><t></t></is></c>', data)

    save_xlsx(wb, path, created=dt.datetime(2024, 11, 14, 8, 57, 33), patch=empty_strings)
