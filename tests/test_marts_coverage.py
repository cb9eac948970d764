"""coverage, gaps and quality_issues built from the REAL HDX snapshot, checked against figures computed here,
independently, from the raw files (python-calamine / csv), not from the warehouse.

One session-scoped build: `clusterwatch ingest` (the raw layer) into a
private data dir, then `dbt build` (models, data tests and unit tests). Skips when ../shared/hdx-snapshot is absent.
"""
from __future__ import annotations

import csv
import decimal
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from pipelines.lib.paths import DBT_PROJECT_DIR

SEEDS = DBT_PROJECT_DIR / "seeds"

SOM_3W = "OCHA-DAP__hdx-scraper-operationalpresence/tests/fixtures/input/3w_operational_presence_dataset_january_april_2025.xlsx"
SOM_3W_SHEET = "3W_Dataset_January - April 2025"
JIAF = "OCHA-DAP__hdx-scraper-jiaf/input/GLOBAL-JIAF-DATA 1.04.2025.xlsx"
HNO = "OCHA-DAP__hdx-scraper-hno/tests/fixtures/hpc_hno_2024.csv"
ETH_DROUGHT = (
    "OCHA-DAP__hdx-scraper-hornafrica-viz/tests/fixtures/input/"
    "affected_targeted_reached_affected_targeted_reached_eth_ethiopia_drought_affected_targeted_reached_by_cluster.csv"
)
PCODES = "OCHA-DAP__hdx-scraper-operationalpresence/tests/fixtures/input/download-global-pcodes-adm-1-2.csv"
AFG_3W = (
    "OCHA-DAP__hdx-scraper-covid-viz/tests/fixtures/input/"
    "whowhatwhere_afghanistan_who_does_what_where_july_to_september_2021.web app"
)

# Organisation values that stand for "no organisation" (the same list as int_presence).
PLACEHOLDERS = {"not in the list", "other", "others", "autre", "autres", "n/a", "na", "none", "unknown", "inconnu",
                "tbc", "tbd", "-", "0"}


# --------------------------------------------------------------------------- independent helpers


def normalise(value) -> str | None:
    """Python twin of the normalise_key macro: accents, U+2019, case and spacing folded; '' -> None."""
    if value is None:
        return None
    text = str(value).replace("\u2019", "'")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = re.sub(r"\s+", " ", text).strip().lower()
    return text or None


def round_half_up(value: float) -> int:
    return int(decimal.Decimal(repr(value)).quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_UP))


def parse_people(value) -> int | None:
    """'80 418' -> 80418, '-' / '' -> None, 737051.43 -> 737051."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return round_half_up(float(value))
    text = re.sub(r"[\s,\u00a0\u202f]", "", str(value))
    if text in ("", "-"):
        return None
    try:
        return round_half_up(float(text))
    except ValueError:
        return None


def sector_aliases() -> dict[str, str]:
    with open(SEEDS / "sector_aliases.csv", encoding="utf-8") as f:
        return {normalise(r["alias"]): r["sector_code"] for r in csv.DictReader(f)}


def sheet_records(path: Path, sheet: str, header_row: int = 1) -> list[dict]:
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    header = [str(h).strip() for h in rows[header_row - 1]]
    return [dict(zip(header, r)) for r in rows[header_row:]]


def org_key(name, acronym=None) -> str | None:
    """Acronym when there is one (given, or the "(ACR)" of "Name (ACR)"), else the normalised name."""
    name = str(name).strip() if name not in (None, "") else None
    acronym = str(acronym).strip() if acronym not in (None, "") else None
    if name and not acronym:
        m = re.match(r"^(.*\S)\s*\(([^()]+)\)\s*$", name)
        if m:
            lhs, rhs = m.group(1), m.group(2)
            looks_acr = lambda s: not re.search(r"[a-z]{3,}", s)  # noqa: E731
            if looks_acr(rhs) and not looks_acr(lhs):
                acronym = rhs
            elif looks_acr(lhs) and not looks_acr(rhs):
                acronym = lhs
    if acronym and normalise(acronym) not in PLACEHOLDERS:
        return normalise(acronym).upper()
    if name and normalise(name) not in PLACEHOLDERS:
        return normalise(name)
    return None


# --------------------------------------------------------------------------- the build


@pytest.fixture(scope="session")
def built(real_dbt_build):
    """The session's real-snapshot warehouse (raw layer + full dbt build, see conftest.real_dbt_build)."""
    con = duckdb.connect(str(real_dbt_build["warehouse"]), read_only=True)
    yield {**real_dbt_build, "con": con}
    con.close()


def rows(con, sql: str, params=None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


# --------------------------------------------------------------------------- tests


def test_dbt_build_ran_unit_tests_and_data_tests(built):
    log = built["dbt_log"]
    # warn-severity tests (e.g. FTS corrections that make funding negative) do not fail the build
    assert re.search(r"Done\. PASS=\d+ WARN=\d+ ERROR=0 SKIP=0", log), log[-2000:]
    for unit_test in (
        "test_hno_totals_only",
        "test_hno_all_is_intersectoral_never_a_sum",
        "test_jiaf_unpivot_and_rounding",
        "test_coverage_choice_admin_level_and_periods",
        "test_coverage_admin1_country_sums_admin2_once",
        "test_coverage_reference_periods_far_apart_on_every_row",
        "test_presence_org_name_acronym_split",
        "test_presence_unknown_sector_excluded_not_dropped",
        "test_quality_unknown_sector_is_an_issue",
        "test_gaps_types_and_severity",
        "test_partners_by_type_one_type_per_partner_and_local_split",
    ):
        assert unit_test in log, f"unit test {unit_test} did not run"


def test_marts_have_rows_for_every_configured_country(built):
    con = built["con"]
    countries = {r[0] for r in rows(con, "select distinct country_code from marts.coverage")}
    assert countries == {"AFG", "ETH", "SDN", "SOM", "SSD", "TCD"}
    assert rows(con, "select count(*) from marts.gaps")[0][0] > 0
    assert rows(con, "select count(*) from marts.quality_issues")[0][0] > 0


def test_somalia_partner_counts_per_district_and_sector(built):
    """Distinct organisations per DistrictPcode × Cluster of the SOM 3W 2025, sectors via the same alias seed."""
    aliases = sector_aliases()
    expected: dict[tuple[str, str], set] = defaultdict(set)
    for r in sheet_records(built["snapshot"] / SOM_3W, SOM_3W_SHEET):
        sector = aliases.get(normalise(r.get("Cluster")))
        district = str(r.get("DistrictPcode") or "").strip().upper()
        key = org_key(r.get("Organization_Name"))
        if sector and district and key:
            expected[(district, sector)].add(key)
    assert len(expected) > 300

    got = {
        (a2, s): n
        for a2, s, n in rows(
            built["con"],
            "select admin2_code, sector_code, partner_count from marts.coverage "
            "where country_code = 'SOM' and partner_count > 0 and sector_code <> 'Intersectoral'",
        )
    }
    want = {k: len(v) for k, v in expected.items()}
    assert set(got) == set(want)
    diff = {k: (got[k], want[k], sorted(expected[k])) for k in want if got[k] != want[k]}
    # If this fails after an org_aliases change, the seed merged two spellings this simple key keeps apart:
    # check the listed organisations.
    assert not diff, f"{len(diff)}/{len(want)} district × sector partner counts differ (mart, here, orgs): {list(diff.items())[:5]}"


def test_somalia_wash_pin_equals_jiaf_sum_of_rounded_values(built):
    total = 0
    for r in sheet_records(built["snapshot"] / JIAF, "PiN", header_row=2):
        if r.get("ISO3") == "SOM":
            v = parse_people(r.get("WASH"))
            total += v or 0
    got = rows(
        built["con"],
        "select sum(people_in_need) from marts.coverage where country_code = 'SOM' and sector_code = 'WSH'",
    )[0][0]
    assert got == total
    assert total > 5_000_000


def test_somalia_intersectoral_is_final_pin_not_a_sum_of_sectors(built):
    final_pin = sum(
        parse_people(r.get("Final PiN")) or 0
        for r in sheet_records(built["snapshot"] / JIAF, "PiN", header_row=2)
        if r.get("ISO3") == "SOM"
    )
    con = built["con"]
    intersectoral, sectors = rows(
        con,
        "select sum(people_in_need) filter (where sector_code = 'Intersectoral'), "
        "sum(people_in_need) filter (where sector_code <> 'Intersectoral') "
        "from marts.coverage where country_code = 'SOM'",
    )[0]
    assert intersectoral == final_pin
    assert sectors > intersectoral  # the sectors overlap; adding them up would overstate the need


def test_chad_is_covered_at_admin1(built):
    con = built["con"]
    levels = rows(con, "select distinct admin_level from marts.coverage where country_code = 'TCD'")
    assert levels == [(1,)]
    assert rows(con, "select count(*) from marts.coverage where country_code = 'TCD' and admin2_code is not null")[0][0] == 0
    # PIN summed from the JIAF admin2 rows to admin1, once: equals the JIAF total for Chad.
    jiaf_wash = sum(
        parse_people(r.get("WASH")) or 0
        for r in sheet_records(built["snapshot"] / JIAF, "PiN", header_row=2)
        if r.get("ISO3") == "TCD"
    )
    got = rows(con, "select sum(people_in_need) from marts.coverage where country_code = 'TCD' and sector_code = 'WSH'")[0][0]
    assert got == jiaf_wash
    # The Chad 3W's TD19-style codes were converted, so partners land on COD admin1 units.
    assert rows(con, "select sum(partner_count) from marts.coverage where country_code = 'TCD'")[0][0] > 0
    assert rows(con, "select count(*) from marts.coverage where country_code = 'TCD' and admin1_code not like 'TCD%'")[0][0] == 0


def test_somalia_ethiopia_afghanistan_south_sudan_at_admin2(built):
    got = dict(rows(built["con"], "select country_code, min(admin_level) from marts.coverage group by 1"))
    assert got["SOM"] == got["ETH"] == got["AFG"] == got["SSD"] == 2


def test_afghanistan_reference_periods_far_apart(built):
    con = built["con"]
    flags = rows(con, "select distinct periods_far_apart, need_year, presence_period_end from marts.coverage where country_code = 'AFG'")
    assert len(flags) == 1
    far, need_year, presence_end = flags[0]
    assert far is True and need_year == 2025 and str(presence_end) == "2021-09-30"
    assert rows(con, "select bool_or(periods_far_apart) from marts.coverage where country_code in ('SOM', 'TCD', 'ETH')")[0][0] is False
    # reported once per country × sector
    n_sectors = rows(con, "select count(distinct sector_code) from marts.coverage where country_code = 'AFG'")[0][0]
    n_issues = rows(
        con,
        "select count(*) from marts.quality_issues where issue_code = 'periods_far_apart' and country_code = 'AFG'",
    )[0][0]
    assert n_issues == n_sectors


def test_ethiopia_drought_woredas_summed_to_zones(built):
    """ETH health PIN in coverage = sum of the parsed `80 418`-style Affected of every woreda of the file."""
    with open(built["snapshot"] / ETH_DROUGHT, encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)  # group header row
        header = next(reader)
        next(reader)  # HXL row
        health_col = header.index("Affected")  # first Affected after the overall figures is HEALTH
        total = sum(parse_people(r[health_col]) or 0 for r in reader if r and r[0].strip())
    got = rows(built["con"], "select sum(people_in_need) from marts.coverage where country_code = 'ETH' and sector_code = 'HEA'")[0][0]
    assert got == total
    assert rows(built["con"], "select distinct need_source from marts.coverage where country_code = 'ETH' and people_in_need is not null") == [("drought",)]


def test_hno_totals_only_on_real_file(built):
    """AFG Kabul (AF01) intersectoral = the `total` row (3,393,245), not the sum of its category rows."""
    with open(built["snapshot"] / HNO, encoding="utf-8-sig") as f:
        recs = [r for r in csv.DictReader(f) if r["Country ISO3"] == "AFG" and r["Admin 1 PCode"] == "AF01" and r["Cluster"] == "ALL"]
    total = [int(r["In Need"]) for r in recs if r["Category"].lower() == "total"]
    breakdown = sum(int(r["In Need"]) for r in recs if r["Category"].lower() != "total" and r["In Need"])
    assert total == [3393245] and breakdown != total[0]
    got = rows(
        built["con"],
        "select people_in_need from intermediate.int_needs where source_key = 'hno_hpc_2024' and country_code = 'AFG' "
        "and admin_level = 1 and admin1_pcode = 'AF01' and sector_code = 'Intersectoral'",
    )
    assert got == [(3393245,)]


def test_share_of_3w_rows_with_matched_admin_code(built):
    con = built["con"]
    # Independent: Somalia's and Afghanistan's district codes are COD p-codes as given.
    with open(built["snapshot"] / PCODES, encoding="utf-8-sig") as f:
        cod = {r["P-Code"].strip().upper() for r in csv.DictReader(f) if r.get("P-Code")}
    som = sheet_records(built["snapshot"] / SOM_3W, SOM_3W_SHEET)
    som_exact = sum(str(r.get("DistrictPcode") or "").strip() in cod for r in som)
    with open(built["snapshot"] / AFG_3W, encoding="utf-8-sig") as f:
        afg = [r for r in csv.DictReader(f) if not str(r.get("DIST_CODE", "")).startswith("#")]
    afg_exact = sum(r["DIST_CODE"].strip() in cod for r in afg)

    by_source = dict(
        rows(
            con,
            "select source_key, count(*) filter (where admin2_method = 'exact') from intermediate.int_presence group by 1",
        )
    )
    assert by_source["som_3w_2025_jan_apr"] == som_exact == len(som)
    assert by_source["afg_3w_2021_jul_sep"] == afg_exact == len(afg)

    total, matched, by_name = rows(
        con,
        "select count(*), count(admin1_pcode), "
        "count(*) filter (where admin1_method = 'name_matched' or admin2_method = 'name_matched') "
        "from intermediate.int_presence",
    )[0]
    assert matched / total >= 0.95, f"only {matched}/{total} 3W rows have an admin code"
    assert by_name > 0
    # every unmatched row is reported as an error, none is dropped silently
    unmatched = rows(con, "select count(*) from intermediate.int_presence where admin1_pcode is null")[0][0]
    reported = rows(
        con,
        "select sum(row_count) from marts.quality_issues where source = 'presence' and field like 'admin1%' "
        "and issue_code = 'pcode_unmatched'",
    )[0][0]
    assert reported == unmatched


def test_unknown_sectors_are_quality_issues_and_counted(built):
    con = built["con"]
    excluded = rows(con, "select count(*) from intermediate.int_presence where exclusion_reason = 'unknown_sector'")[0][0]
    issues = rows(
        con,
        "select sum(row_count) from marts.quality_issues where source = 'presence' and issue_code = 'unknown_sector'",
    )[0][0]
    assert issues == excluded
    # TCD 2021 `Réduction des Risques de Catastrophes` is deliberately not a sector
    assert rows(
        con,
        "select count(*) from marts.quality_issues where issue_code = 'unknown_sector' and value like 'R%duction des Risques%'",
    )[0][0] >= 1


def test_gaps_follow_coverage(built):
    con = built["con"]
    # every gap row is a coverage row (or the Intersectoral row of a unit without any partner)
    orphans = rows(
        con,
        """
        select count(*) from marts.gaps g
        where g.pin_basis = 'reported' and not exists (
            select 1 from marts.coverage c
            where c.country_code = g.country_code and c.admin1_code = g.admin1_code
              and c.admin2_code is not distinct from g.admin2_code and c.sector_code = g.sector_code)
        """,
    )[0][0]
    assert orphans == 0
    # Sudan has needs and no 3W at all: partners are unknown, so it has no gap (test_marts_presence_reported)
    assert rows(con, "select count(*) from marts.gaps where country_code = 'SDN'")[0][0] == 0
    assert rows(con, "select min(people_in_need) from marts.gaps")[0][0] >= 1000


def test_quality_issues_count_the_rows_that_share_one_problem(built):
    """The published mart is int_quality_issues (one row per source row × field) grouped by problem of a file:
    nothing lost (the counts add up to every row), no problem listed twice, the first row kept."""
    con = built["con"]
    key = "source, source_key, dataset_id, file, country_code, sector_code, field, value, issue_code, issue, severity"
    detail = rows(con, f"select {key}, count(*), min(\"row\") from intermediate.int_quality_issues group by all "
                       "order by all")
    published = rows(con, f"select {key}, row_count, \"row\" from marts.quality_issues order by all")
    assert published == detail
    total, fixed = rows(con, "select count(*), count(*) filter (where issue_code = 'pcode_fixed') "
                             "from intermediate.int_quality_issues")[0]
    assert rows(con, "select sum(row_count) from marts.quality_issues")[0][0] == total
    # the repeated fixes are what shrinks: many rows, far fewer distinct fixes
    assert rows(con, "select count(*) from marts.quality_issues where issue_code = 'pcode_fixed'")[0][0] < fixed
