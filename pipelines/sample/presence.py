"""Operational presence: the three 3W/4W files, each copying one real provider's format."""
from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterator
from pathlib import Path

from pipelines.sample.draws import make_rng, weighted
from pipelines.sample.orgs import ORG_TYPE_LABELS, org_pool
from pipelines.sample.world import Country
from pipelines.sample.writer import CHUNK_ROWS, FileInfo, csv_fragment, save_xlsx, write_lines, xml_cell

# The xlsx 3W is sorted in memory: beyond this many org x sector x district engagements (~100,000
# rows) it stops growing with scale. The CSV 4Ws stream and have no cap.
XAR_MAX_ENGAGEMENTS = 30_000

# ---------------------------------------------------------------- 3W: Arland (xlsx, like Somalia's 3W)

XAR_3W = "3w/xar/3w_operational_presence_dataset_january_april_2025.xlsx"
XAR_SHEET = "3W_Dataset_January - April 2025"
XAR_MONTHS = ["January", "February", "March", "April"]
XAR_SECTORS = [  # (label as written, weight): English names and codes, one lower-case variant
    ("Nutrition", 12), ("Child Protection", 8), ("GBV", 7), ("WASH", 7), ("Wash", 1), ("Food Security", 7),
    ("Education", 6), ("Health", 6), ("Protection", 5), ("MPCA", 2), ("CCCM", 3), ("HLP", 1),
    ("Shelter and NFIs", 3), ("Explosive Hazards", 1), ("Logistics", 1),
]


def _xar_rows(world: dict[str, Country], scale: float, seed: int) -> list[tuple]:
    """Org x sector x district engagements, one row per month each was active, sorted like the
    real file (by month, then cluster, then organisation)."""
    rng = make_rng(seed, "3w/XAR")
    c = world["XAR"]
    orgs, weights = org_pool("XAR", scale)
    draw_org, draw_sector = weighted(rng, orgs, weights), weighted(rng, *zip(*XAR_SECTORS))
    regions = {u.code: u.name for u in c.admin1}
    labels = ORG_TYPE_LABELS["XAR"]
    n = min(round(220 * scale), XAR_MAX_ENGAGEMENTS)
    rows = []
    for org, sector, district in zip(draw_org(n), draw_sector(n), rng.choices(c.admin2, k=n)):
        acronym = org.acronym.lower() if org.acronym == "WFP" and rng.random() < 0.5 else org.acronym
        name = "Save The Children International" if org.acronym == "SCI" else org.name
        district_name = "Ard na Mona" if district.name == "Ard na Móna" else district.name  # accent dropped
        targeted = rng.randint(2, 250) * 100
        months = [m for m in range(4) if rng.random() < 0.85] or [rng.randrange(4)]
        for month in months:
            reached = None if rng.random() < 0.1 else round(targeted * rng.uniform(0.2, 1.15))
            rows.append((month, sector, regions[district.parent], district.parent, district_name, district.code,
                         labels[org.kind], f"{name} ({acronym})", targeted, reached))
    rows.sort(key=lambda r: (r[0], r[1].casefold(), r[7].casefold(), r[5]))
    return rows


def _xar_rows_xml(rows: list[tuple]) -> Iterator[str]:
    """Sheet rows from row 2. RegionPcode is =LEFT(F{r},4) with its cached value, as Excel saves
    formulas; one row has no organisation type, as in the real file."""
    for r, (month, sector, region, region_code, *rest) in enumerate(rows, start=2):
        values = [XAR_MONTHS[month], sector, region, (f"LEFT(F{r},4)", region_code), *rest]
        if r == 9:
            values[6] = None
        cells = "".join(xml_cell(f"{col}{r}", v) for col, v in zip("ABCDEFGHIJ", values))
        yield f'<row r="{r}">{cells}</row>'


def write_xar_3w(out: Path, world: dict[str, Country], scale: float, seed: int) -> dict[str, FileInfo]:
    """Somalia-style 3W workbook: acronyms inside names, header cells with a line break, and a
    formula column (RegionPcode) carrying cached values, so a reader must ask for values."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    rows = _xar_rows(world, scale, seed)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(XAR_SHEET)
    header = ["Month", "Cluster", "Region", "RegionPcode", "District", "DistrictPcode", "Organization Type",
              "Organization_Name", "People\ntargeted", "People\nreached"]
    cells = []
    for name in header:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True)
        cells.append(cell)
    ws.append(cells)
    save_xlsx(wb, out / XAR_3W, created=dt.datetime(2025, 4, 6, 7, 26, 32), more_rows=_xar_rows_xml(rows))
    return {XAR_3W: FileInfo(len(rows), "xlsx", header_rows=1, sheet=XAR_SHEET, kind="presence")}


# ---------------------------------------------------------------- 3W: Borenia (French CSV, like Chad's 3W)

XBO_3W = "3w/xbo/3w_xbo_avr2025.csv"
XBO_SECTORS = [  # French names with the real spelling variants (missing accent, with/without comma)
    ("Securité alimentaire", 10), ("Sécurité alimentaire", 2), ("Santé", 9), ("Protection", 8), ("WASH", 5),
    ("Eau, Hygiène et Assainissement", 3), ("Eau Hygiène et Assainissement", 1), ("Nutrition", 7),
    ("Education", 5), ("Abris / NFI", 4), ("Coordination", 2), ("Relèvement Précoce", 2), ("CCCM", 1),
    ("Logistique", 1), ("Réponse aux réfugiés", 2),
]
# Provinces as the provider types them: accents, hyphens and apostrophes lost.
XBO_PROVINCE_SPELLING = {"Lac Émeraude": "Lac Emeraude", "Haut-Plateau": "Haut Plateau",
                         "Vallée du Sud": "Vallee du Sud", "Wadi Ferran": "Wadi-Ferran", "N'Doulou": "Ndoulou"}


def _xbo_lines(world: dict[str, Country], scale: float, seed: int) -> Iterator[str]:
    rng = make_rng(seed, "3w/XBO")
    c = world["XBO"]
    orgs, weights = org_pool("XBO", scale)
    labels = ORG_TYPE_LABELS["XBO"]
    # Short p-code (XB03) where the COD list has XBO03, like Chad's TD19 vs TCD19.
    provinces = [csv_fragment([c.short + u.code[len(c.iso3):], XBO_PROVINCE_SPELLING[u.name]], ";") for u in c.admin1]
    sectors = [csv_fragment([name], ";") for name, _ in XBO_SECTORS]
    partners = [csv_fragment([o.acronym_fr or o.acronym, o.name_fr or o.name, labels[o.kind]], ";") for o in orgs]
    draws = [weighted(rng, provinces, [5, 3, 4, 3, 2]), weighted(rng, sectors, [w for _, w in XBO_SECTORS]),
             weighted(rng, partners, weights)]
    n = round(300 * scale)
    line = None
    for start in range(0, n, CHUNK_ROWS):
        k = min(CHUNK_ROWS, n - start)
        for i, parts in enumerate(zip(*(d(k) for d in draws))):
            if line is not None and (start + i) % 149 == 60:
                yield line  # an exact duplicate row, as in the real file
                continue
            line = ";".join(parts) + "\r\n"
            yield line


def write_xbo_3w(out: Path, world: dict[str, Country], scale: float, seed: int) -> dict[str, FileInfo]:
    """Admin 1 only, cp1252, ';'-delimited, CRLF (an Excel 'CSV (point-virgule)' export), with an HXL
    row 2 in which some tags have spaces before their attributes ('#org +acronym')."""
    header = ["Pcode1", "Province", "Cluster", "Acronyme", "Nom de l'organisation", "Type d'organisation"]
    hxl = ["#adm1+code", "#adm1+name", "#sector", "#org +acronym", "#org +name", "#org+type"]
    n = write_lines(out / XBO_3W, [header, hxl], _xbo_lines(world, scale, seed), encoding="cp1252",
                    newline="\r\n", delimiter=";")
    return {XBO_3W: FileInfo(n, "csv", "cp1252", ";", 2, kind="presence")}


# ---------------------------------------------------------------- 4W: Caldera (activity-level CSV, like Ethiopia's)

XCA_4W = "3w/xca/caldera_who_is_doing_what_where_4w_may_to_july_2025.csv"
XCA_TRAILING_BLANK_ROWS = 300
XCA_ACTIVITIES = {  # cluster as written -> activities (text as free-typed by partners)
    "Protection": ["Protection monitoring and referral of persons with specific needs",
                   "Community-based protection committees established and trained"],
    "GBV": ["Case management for GBV survivors, including referral to health and PSS services",
            "Dignity kits distributed to women and girls of reproductive age"],
    "Child Protection": ["Family tracing and reunification of unaccompanied and separated children",
                         "Psychosocial support in child-friendly spaces"],
    "Health": ["Mobile health and nutrition team consultations in hard-to-reach kebeles",
               "Measles and polio vaccination campaign support"],
    "Nutrition": ["Treatment of children under five with severe acute malnutrition\u00a0 in outpatient programmes",
                  "Blanket supplementary feeding for pregnant and lactating women"],
    "WASH": ["Emergency water trucking", "Rehabilitation of non-functional boreholes", "Hygiene kits distribution"],
    "Education": ["Temporary learning spaces established", "Teachers trained on psychosocial support"],
    "Food": ["Regular / sustained in-kind food distribution", "Cash-based food assistance"],
    "Agriculture": ["Seed and tool distribution", "Livestock vaccination and treatment"],
    "CCCM": ["Site management and site improvement in IDP sites"],
    "ESNFI": ["Emergency shelter kits distributed", "Core relief items distributed"],
    "Early recovery": ["Debris removal and cash for work"],
    "Logistics": ["Common warehousing and transport services"],
    # Not global clusters: HDX HAPI reports both as 'Unknown sector'; 'Other' cannot be mapped at all.
    "Cash multi-sectoriel": ["Transferts monétaires à usages multiples"],
    "Other": ["Coordination meetings"],
}
XCA_CLUSTER_WEIGHTS = {"Protection": 14, "GBV": 5, "Child Protection": 5, "Health": 16, "Nutrition": 15,
                       "WASH": 10, "Education": 9, "Food": 6, "Agriculture": 3, "CCCM": 2, "ESNFI": 2,
                       "Early recovery": 1, "Logistics": 1, "Cash multi-sectoriel": 0.4, "Other": 0.4}
XCA_STATUS = [("On-going", 72), ("Completed", 25), ("Planned", 2), ("Suspended", 0.5), ("2 - Suspended", 0.2)]
XCA_DONORS = [("", "", "", ""), ("ECHO", "European Civil Protection and Humanitarian Aid Operations", "", ""),
              ("CHF", "Caldera Humanitarian Fund (fictional)", "", ""),
              ("BHA", "USAID Bureau for Humanitarian Assistance", "UNICEF", "United Nations Children's Fund")]
XCA_HEADER = ["Month", "Activity status", "Donor Acronym", "Donor Name", "Program partner Acronym",
              "Program Partner Name", "Implementing Partner Acronym", "Implementing Partner Name",
              "Implementing Partner Type", "Region", "Zone", "Woreda", "WoredaPcod", "Cluster", "Activity",
              "People targeted", "People reached", "Lat", "Long"]


def _xca_places(c: Country, rng: random.Random) -> tuple[list[tuple], list[float]]:
    """(region, zone, woreda, p-code, lat, long) per woreda, plus a few rows that give a name but
    no p-code (the name must be matched), with spelling variants. Coordinates lie in the open
    South Atlantic so nobody mistakes them for real places."""
    regions = {u.code: u.name for u in c.admin1}
    places, weights = [], []
    for u in c.admin2:
        region = regions[u.parent]
        zone = f"{'North' if int(u.code[-3:]) <= 3 else 'South'} {region}"
        lat, lon = f"{rng.uniform(-24, -20):.8f}", f"{rng.uniform(-12, -6):.8f}"
        places.append((region, zone, u.name, u.code, lat, lon))
        weights.append(1.0)
    for name, variant in (("Tulu Bora", "Tulu-Bora"), ("Gedla", "Gedla"), ("Lemuna", "LEMUNA "),
                          ("Chira", "Chira")):
        region, zone, _, _, lat, lon = next(p for p in places if p[2] == name)
        places.append((region, zone, variant, "", lat, lon))
        weights.append(0.15)
    return places, weights


def _people_pool(rng: random.Random, low: int, high: int, dash_share: float) -> list[str]:
    """Formatted head counts as partners type them: thousands separators, and '-' for none."""
    pool = [f"{rng.randint(low, high):,}" for _ in range(997)]
    return [("-" if rng.random() < dash_share else v) for v in pool]


def _xca_lines(world: dict[str, Country], scale: float, seed: int) -> Iterator[str]:
    rng = make_rng(seed, "3w/XCA")
    c = world["XCA"]
    orgs, weights = org_pool("XCA", scale)
    labels = ORG_TYPE_LABELS["XCA"]
    names = {"NRC": "Norwegian Refugee Council", "SCI": "Save the Children"}  # other spellings than XAR's
    partners = [csv_fragment([o.acronym, names.get(o.acronym, o.name), labels[o.kind]]) for o in orgs]
    places, place_weights = _xca_places(c, rng)
    activities = [(cluster, text, XCA_CLUSTER_WEIGHTS[cluster] / len(texts))
                  for cluster, texts in XCA_ACTIVITIES.items() for text in texts]
    # Independent columns are drawn jointly from their (pre-rendered) product: fewer draws per row.
    heads = [(csv_fragment([m, st, *d]), mw * sw * dw)
             for (m, mw), (st, sw), (d, dw) in itertools.product(
                 [("May", 34), ("June", 35), ("July", 31)], XCA_STATUS, zip(XCA_DONORS, [70, 12, 10, 8]))]
    sites = [((csv_fragment([*p[:4], cluster, text]), csv_fragment(p[4:])), pw * aw)
             for (p, pw), (cluster, text, aw) in itertools.product(zip(places, place_weights), activities)]
    draws = [
        weighted(rng, *zip(*heads)),
        weighted(rng, partners, weights),
        weighted(rng, *zip(*sites)),
        weighted(rng, [csv_fragment([v]) for v in _people_pool(rng, 50, 60_000, 0.03)]),
        weighted(rng, [csv_fragment([v]) for v in _people_pool(rng, 0, 45_000, 0.12)]),
    ]
    coded_status = csv_fragment(["May", "2 - Suspended", "", "", "", ""])
    n = round(1500 * scale)
    for start in range(0, n, CHUNK_ROWS):
        k = min(CHUNK_ROWS, n - start)
        for i, (head, partner, (site, coordinates), targeted, reached) in enumerate(zip(*(d(k) for d in draws))):
            if start == 0 and i == 10:
                head = coded_status  # the stray coded status, guaranteed at least once
            line = ",".join((head, partner, site, targeted, reached, coordinates)) + "\n"
            yield line
            if (start + i) % 701 == 350:
                yield line  # exact duplicate rows happen in activity-level 4Ws


def write_xca_4w(out: Path, world: dict[str, Country], scale: float, seed: int) -> dict[str, FileInfo]:
    """Streams the activity-level 4W: UTF-8 with BOM, LF, then a few hundred rows of bare commas
    (the real Ethiopia file ends with 4,202 of them)."""
    blank = "," * (len(XCA_HEADER) - 1) + "\n"
    n = write_lines(out / XCA_4W, [XCA_HEADER], _xca_lines(world, scale, seed), encoding="utf-8-sig",
                    trailer=blank * XCA_TRAILING_BLANK_ROWS)
    return {XCA_4W: FileInfo(n, "csv", "utf-8-sig", ",", 1, blank_rows=XCA_TRAILING_BLANK_ROWS, kind="presence")}
