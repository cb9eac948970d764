"""The FTS marts (funding_by_plan, funding_by_cluster, funding_flows, cluster_activations) against the real HDX files.

One session builds the raw layer with `clusterwatch ingest` on ../shared/hdx-snapshot and runs dbt on the FTS
marts, in a private data dir and dbt target dir. Each test then compares the marts with figures it computes
itself from the source CSV files with the csv module, so the SQL is checked by an independent path.
"""
from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from pipelines.lib.config import load_config
from pipelines.lib.paths import DBT_PROJECT_DIR, REPO_ROOT

pytestmark = pytest.mark.real

CONFIG = REPO_ROOT / "pipelines" / "config" / "hdx_snapshot.yaml"
IASC_CLUSTERS = {
    "SHL", "CCM", "FSC", "WSH", "HEA", "NUT", "EDU", "LOG", "TEL", "ERY",
    "PRO", "PRO-CPN", "PRO-GBV", "PRO-HLP", "PRO-MIN",
}


@pytest.fixture(scope="session")
def cfg():
    return load_config(CONFIG)


@pytest.fixture(scope="session")
def warehouse(real_dbt_build) -> Path:
    """The session's real-snapshot warehouse (raw layer + full dbt build, see conftest.real_dbt_build)."""
    return real_dbt_build["warehouse"]


@pytest.fixture(scope="session")
def con(warehouse):
    c = duckdb.connect(str(warehouse), read_only=True)
    yield c
    c.close()


# ---- independent figures from the source files -------------------------------------------------------


def _source_file(cfg, snapshot: Path, table: str) -> Path:
    (res,) = [r for kind in ("funding", "flows") for r in cfg.resources(kind) if r.table == table]
    return snapshot / res.path


def _amount(s: str) -> float:
    return float(s) if s.strip() else 0.0


def _read(cfg, snapshot: Path, table: str) -> list[dict]:
    """A FTS file's rows for the configured countries, read with the csv module."""
    with _source_file(cfg, snapshot, table).open(newline="", encoding="utf-8-sig") as f:
        return [r for r in csv.DictReader(f) if r["countryCode"].strip().upper() in cfg.countries]


@pytest.fixture(scope="session")
def plan_rows(cfg, real_snapshot) -> list[dict]:
    """The FTS plan file's rows for the configured countries (one per country × plan × year)."""
    return _read(cfg, real_snapshot, "fts_plan")


@pytest.fixture(scope="session")
def cluster_rows(cfg, real_snapshot) -> list[dict]:
    """The FTS per-plan cluster file's rows for the configured countries."""
    return _read(cfg, real_snapshot, "fts_cluster")


@pytest.fixture(scope="session")
def flows_by_id(cfg, real_snapshot) -> dict[str, dict]:
    """One row per flow id with a destination in the configured countries (latest updatedAt wins)."""
    path = _source_file(cfg, real_snapshot, "fts_flows")
    latest: dict[str, dict] = {}
    with path.open(newline="", encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            if not set(r["destLocations"].split(",")) & set(cfg.countries):
                continue
            prev = latest.get(r["id"])
            if prev is None or r["updatedAt"] > prev["updatedAt"]:
                latest[r["id"]] = r
    return latest


def _sums(rows, key) -> dict:
    out: dict = defaultdict(lambda: [0.0, 0.0])
    for r in rows:
        k = key(r)
        out[k][0] += _amount(r["requirements"])
        out[k][1] += _amount(r["funding"])
    return dict(out)


# ---- funding_by_plan and funding_by_cluster -------------------------------------------------------------


def _plan_key(r) -> tuple:
    return (r["countryCode"], int(r["year"]), int(r["id"]) if r["id"].strip() else None)


def test_funding_by_plan_equals_the_fts_plan_file(con, plan_rows):
    """Every plan of the configured countries (regional plans and funding outside plans included) is one row
    with the plan file's requirements and funding to the dollar, 2006-2026 and every other year."""
    expected = {_plan_key(r): r for r in plan_rows}
    assert len(expected) == len(plan_rows), "the plan file has one row per country × plan × year"
    got = {
        (c, y, pid): (code, ptype, req, fund, unmet)
        for c, y, pid, code, ptype, req, fund, unmet in con.execute(
            "select country_code, year, plan_id, plan_code, plan_type, requirements_usd, funding_usd, unmet_usd "
            "from marts.funding_by_plan"
        ).fetchall()
    }
    assert set(got) == set(expected)
    years = {y for _, y, _ in expected}
    assert set(range(2006, 2027)) <= years
    for key, r in expected.items():
        code, ptype, req, fund, unmet = got[key]
        assert code == (r["code"] or None) and ptype == (r["typeName"] or None), key
        assert req == (float(r["requirements"]) if r["requirements"].strip() else None), key
        assert fund == (float(r["funding"]) if r["funding"].strip() else None), key
        if req is not None:
            assert unmet == max(req - (fund or 0), 0), key
    # regional plans and funding outside any plan are there for every configured country
    assert {c for c, _, pid in expected if pid is None} == {c for c, _, pid in got if pid is None}
    regional = {(r["countryCode"], r["code"]) for r in plan_rows if r["typeName"] == "Regional response plan"}
    got_regional = set(con.execute(
        "select country_code, plan_code from marts.funding_by_plan where is_regional").fetchall())
    assert regional and got_regional == regional


def test_funding_outside_plans_appears_per_country_year(con, plan_rows):
    expected = {(r["countryCode"], int(r["year"])): _amount(r["funding"]) for r in plan_rows if not r["id"].strip()}
    got = {
        (c, y): f for c, y, f in con.execute(
            "select country_code, year, funding_usd from marts.funding_by_plan where plan_code is null").fetchall()
    }
    assert got.keys() == expected.keys()
    for key, fund in expected.items():
        assert (got[key] or 0.0) == fund, key
    by_cluster = {
        (c, y): f for c, y, f in con.execute(
            "select country_code, year, sum(funding_usd) from marts.funding_by_cluster "
            "where cluster_code = 'OUTSIDE_PLAN' group by all").fetchall()
    }
    assert by_cluster.keys() == expected.keys()


def test_funding_by_cluster_rows_sum_to_each_plan(con, plan_rows):
    expected = _sums(plan_rows, _plan_key)
    got = {
        (c, y, pid): (req, fund)
        for c, y, pid, req, fund in con.execute(
            "select country_code, year, plan_id, coalesce(sum(requirements_usd), 0), coalesce(sum(funding_usd), 0) "
            "from marts.funding_by_cluster group by all"
        ).fetchall()
    }
    assert got.keys() == expected.keys()
    for key, (req, fund) in expected.items():
        assert got[key][0] == pytest.approx(req, abs=0.5), key
        assert got[key][1] == pytest.approx(fund, abs=0.5), key


def test_funding_by_cluster_keeps_every_plan_line(con, cluster_rows):
    """Each line of the per-plan cluster file is a row with its own code, name and amounts; lines without a
    global cluster (refugee response, enabling programmes, COVID-19, multi-purpose cash) stay visible."""
    def code(r):
        if r["clusterCode"].strip():
            return r["clusterCode"].strip()
        return "SHARED" if r["cluster"].startswith("Multiple clusters") else "NOT_SPECIFIED"

    expected = {(r["countryCode"], int(r["year"]), int(r["id"]), code(r)): r for r in cluster_rows}
    got = {
        (c, y, pid, cc): (name, req, fund, gcode)
        for c, y, pid, cc, name, req, fund, gcode in con.execute(
            "select country_code, year, plan_id, cluster_code, cluster_name, requirements_usd, funding_usd, "
            "global_cluster_code from marts.funding_by_cluster where line_type not in ('plan_remainder', 'outside_plan')"
        ).fetchall()
    }
    assert got.keys() == expected.keys()
    for key, r in expected.items():
        name, req, fund, _ = got[key]
        assert name == r["cluster"].strip(), key
        assert (req or 0.0) == _amount(r["requirements"]) and (fund or 0.0) == _amount(r["funding"]), key
    # the Somalia 2024 plan: its Refugee Response line is there, with no global cluster
    (hsom24,) = [r for r in cluster_rows if r["code"] == "HSOM24" and r["cluster"] == "Refugee Response"]
    assert got[("SOM", 2024, int(hsom24["id"]), hsom24["clusterCode"])][1:] == (
        float(hsom24["requirements"]), float(hsom24["funding"]), None)
    unmapped = {n for (n, _, _, g) in got.values() if g is None}
    assert {"Refugee Response", "Enabling Programmes", "Multi Purpose Cash"} <= unmapped
    assert any("COVID" in n for n in unmapped)


def test_percent_funded_is_a_ratio_of_sums_and_unmet_is_per_row(con):
    rows = con.execute(
        "select requirements_usd, funding_usd, percent_funded, unmet_usd from marts.funding_by_cluster"
    ).fetchall()
    for req, fund, pct, unmet in rows:
        if req and req > 0:
            assert pct == pytest.approx((fund or 0) / req * 100)
        else:
            assert pct is None
        if req is not None:
            assert unmet == max(req - (fund or 0), 0)
    # summing the per-row unmet overstates a plan's unmet amount when a line is over-funded
    plan_unmet, rows_unmet = con.execute(
        "select p.unmet_usd, (select sum(unmet_usd) from marts.funding_by_cluster c "
        "where c.plan_id = p.plan_id and c.country_code = p.country_code and c.year = p.year) "
        "from marts.funding_by_plan p where p.plan_code = 'HSOM24'"
    ).fetchone()
    assert rows_unmet > plan_unmet


# ---- funding_flows ---------------------------------------------------------------------------------------


def test_flow_count_is_the_number_of_distinct_flow_ids(con, flows_by_id):
    n, distinct = con.execute("select count(*), count(distinct flow_id) from marts.funding_flows").fetchone()
    assert n == distinct == len(flows_by_id)
    assert {str(i) for (i,) in con.execute("select flow_id from marts.funding_flows").fetchall()} == set(flows_by_id)


def test_flow_total_counts_each_flow_once(con, flows_by_id):
    expected = sum(float(r["amountUSD"]) for r in flows_by_id.values())
    total, multi = con.execute(
        "select sum(amount_usd), count(*) filter (where cluster_codes like '%,%') from marts.funding_flows"
    ).fetchone()
    assert total == pytest.approx(expected, abs=0.5)
    assert multi > 0, "the real file has flows to several clusters; each must stay one row"
    pledged = sum(float(r["amountUSD"]) for r in flows_by_id.values() if r["status"] == "pledge")
    got_pledged = con.execute("select coalesce(sum(amount_usd), 0) from marts.funding_flows where is_pledge").fetchone()[0]
    assert got_pledged == pytest.approx(pledged, abs=0.5)


@pytest.fixture(scope="session")
def plan_year_by_id(cfg, real_snapshot) -> dict[str, int]:
    """Each plan id's year in the FTS plan file (all countries: a flow can go to another country's plan)."""
    with _source_file(cfg, real_snapshot, "fts_plan").open(newline="", encoding="utf-8-sig") as f:
        years: dict[str, int] = {}
        for r in csv.DictReader(f):
            if r["id"].strip():
                years[r["id"]] = min(years.get(r["id"], 9999), int(r["year"]))
    return years


def test_flow_fields(con, flows_by_id, plan_year_by_id):
    rows = con.execute(
        "select cast(flow_id as varchar), donor, status, plan_code, country_code, country_codes, year, budget_year "
        "from marts.funding_flows"
    ).fetchall()
    for flow_id, donor, status, plan_code, country, countries, year, budget_year in rows:
        src = flows_by_id[flow_id]
        assert donor == (src["srcOrganization"] or None)
        assert status == src["status"]
        assert plan_code == (src["destPlanCode"] or None)
        dest = sorted(set(src["destLocations"].split(",")))
        assert countries == ",".join(dest)
        assert country == (dest[0] if len(dest) == 1 else None)
        own_year = int(src["destUsageYearStart"] or src["date"][:4])
        assert year == plan_year_by_id.get(src["destPlanId"], own_year), flow_id
        assert budget_year == (int(src["budgetYear"]) if src["budgetYear"] else None)


def test_flows_to_a_plan_are_dated_by_the_plan_year(con, flows_by_id, plan_year_by_id):
    """All flows to HAFG20 are dated 2020, whatever their budget year or date; the year comes from the plan file."""
    hafg20 = {i: r for i, r in flows_by_id.items() if r["destPlanCode"] == "HAFG20"}
    assert {r["budgetYear"][:4] or r["date"][:4] for r in hafg20.values()} != {"2020"}, "the file dates some elsewhere"
    (plan_id,) = {r["destPlanId"] for r in hafg20.values()}
    got = dict(con.execute("select cast(flow_id as varchar), year from marts.funding_flows where plan_code = 'HAFG20'").fetchall())
    assert got.keys() == hafg20.keys()
    assert set(got.values()) == {plan_year_by_id[plan_id]} == {2020}


def test_flows_without_cluster_are_counted_as_unassigned(con, flows_by_id):
    unassigned = {i for i, r in flows_by_id.items() if not r["destGlobalClusters"].strip()}
    assert unassigned, "the real file has flows without a cluster"
    got = {str(i) for (i,) in con.execute(
        "select flow_id from marts.funding_flows where cluster_codes = 'UNASSIGNED' and is_cluster_unassigned").fetchall()}
    assert got == unassigned
    expected_share = sum(float(flows_by_id[i]["amountUSD"]) for i in unassigned) / sum(
        float(r["amountUSD"]) for r in flows_by_id.values())
    share = con.execute("select sum(amount_usd) filter (where is_cluster_unassigned) / sum(amount_usd) "
                        "from marts.funding_flows").fetchone()[0]
    assert share == pytest.approx(expected_share)


# ---- cluster_activations ---------------------------------------------------------------------------------


def _islands(years: list[int]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for y in sorted(set(years)):
        if out and y == out[-1][1] + 1:
            out[-1][1] = y
        else:
            out.append([y, y])
    return [tuple(x) for x in out]


def _key(name: str) -> str:
    """The alias key of dbt's normalise_key macro: accents, case and spacing folded."""
    import re
    import unicodedata

    text = unicodedata.normalize("NFKD", name.replace("\u2019", "'"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", text).strip().lower()


def _seed(name: str) -> list[dict]:
    with (DBT_PROJECT_DIR / "seeds" / f"{name}.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="session")
def expected_activations(cfg, cluster_rows, plan_rows) -> set[tuple]:
    """Activation periods recomputed in Python from the raw per-plan cluster file and the seeds' rules."""
    import re

    from pipelines.lib.sector_key import sector_key  # the alias join's rule (dbt macro sector_key, tied by a test)

    aliases = {sector_key(r["alias"]): r["sector_code"] for r in _seed("sector_aliases")}
    kinds = sorted(_seed("fts_plan_cluster_kinds"), key=lambda r: int(r["priority"]))
    hosts = {r["cluster_code"]: r["host_cluster_code"] for r in _seed("cluster_folding")}
    rollout = {(r["scope"], r["country_code"]): dt.date.fromisoformat(r["rolled_out_on"]) for r in _seed("cluster_rollout")}
    as_of = cfg.as_of

    def code_of(name: str) -> str | None:
        k = _key(name)
        for kind in kinds:
            if re.search(kind["pattern"], k):
                if kind["line_type"] == "refugee_response":
                    return "REF"
                return kind["global_cluster_code"] or None
        code = aliases.get(sector_key(name))
        return code if code in IASC_CLUSTERS else None

    years: dict[tuple, set[int]] = defaultdict(set)
    for r in cluster_rows:
        code = code_of(r["cluster"]) if r["clusterCode"].strip() else None
        if code and r["id"].strip() and int(r["year"]) <= as_of.year and (
                _amount(r["requirements"]) > 0 or _amount(r["funding"]) > 0):
            years[(r["countryCode"], code)].add(int(r["year"]))
    expected = set()
    for (country, code), have in years.items():
        host = years.get((country, hosts.get(code, "")), set())
        covered = set(have)
        ys = sorted(have)
        for a, b in zip(ys, ys[1:]):  # inner gaps
            gap = set(range(a + 1, b))
            if len(gap) == 1 or (gap and gap <= host):
                covered |= gap
        if ys[-1] + 1 == as_of.year and as_of.year in host:  # the as-of year alone, folded
            covered.add(as_of.year)
        start = max(rollout.get(("country", country), rollout[("default", "")]), rollout[("global", "")])
        for first, last in _islands(sorted(covered)):
            begin, end = dt.date(first, 1, 1), dt.date(last, 12, 31)
            open_end = None if last >= as_of.year else end
            if code == "REF":
                expected.add((country, code, "refugee_response", begin, open_end))
                continue
            if begin < start:
                expected.add((country, code, "sector", begin, min(end, start - dt.timedelta(days=1))))
            if end >= start:
                expected.add((country, code, "cluster", max(begin, start), open_end))
    return expected


def test_cluster_activations_follow_the_plan_lines(con, cfg, expected_activations):
    got = con.execute(
        "select country_code, cluster_code, structure, activated_on, deactivated_on, is_active, duration_days "
        "from marts.cluster_activations where evidence = 'fts_plan_clusters'"
    ).fetchall()
    register = con.execute("select count(*) from marts.cluster_activations where evidence = 'register'").fetchone()[0]
    if register == 0:
        assert {g[:5] for g in got} == expected_activations
    else:  # register periods replace the derived periods they overlap
        assert {g[:5] for g in got} <= expected_activations
    for country, code, structure, start, end, active, days in got:
        assert active == (end is None)
        assert days == ((end or cfg.as_of) - start).days + 1


def test_no_cluster_period_starts_before_the_cluster_approach(con, cluster_rows):
    assert any(int(r["year"]) < 2006 for r in cluster_rows), "the FTS file has appeals from before 2006"
    first = con.execute("select min(activated_on) from marts.cluster_activations where structure = 'cluster'").fetchone()[0]
    assert first >= dt.date(2005, 10, 1)


def test_somalia_nutrition_is_a_cluster_period_covering_2006_to_2010(con, cluster_rows):
    nut_years = {int(r["year"]) for r in cluster_rows
                 if r["countryCode"] == "SOM" and _key(r["cluster"]) == "nutrition" and _amount(r["requirements"]) > 0}
    assert set(range(2006, 2011)) <= nut_years, "the per-plan file has a Somalia Nutrition line every year 2006-2010"
    periods = con.execute(
        "select activated_on, coalesce(deactivated_on, date '9999-12-31') from marts.cluster_activations "
        "where country_code = 'SOM' and cluster_code = 'NUT' and structure = 'cluster'"
    ).fetchall()
    assert any(a <= dt.date(2006, 1, 1) and b >= dt.date(2010, 12, 31) for a, b in periods), periods


def test_refugee_responses_are_not_clusters(con, cluster_rows):
    refugee = {(r["countryCode"]) for r in cluster_rows if "refug" in _key(r["cluster"]) and r["id"].strip()}
    got = con.execute(
        "select distinct country_code, structure from marts.cluster_activations where cluster_code = 'REF'"
    ).fetchall()
    assert refugee and {c for c, _ in got} == refugee
    assert {s for _, s in got} == {"refugee_response"}
    assert con.execute("select count(*) from marts.cluster_activations where cluster_code <> 'REF' "
                       "and structure = 'refugee_response'").fetchone()[0] == 0


def test_confidence_and_plan_types(con, plan_rows):
    types = {r["typeName"] for r in plan_rows if r["typeName"]}
    rows = con.execute("select evidence, confidence, plan_types, bridged_years, bridge_reasons "
                       "from marts.cluster_activations").fetchall()
    for evidence, confidence, plan_types, bridged, reasons in rows:
        assert confidence == "high" if evidence == "register" else confidence in ("medium", "low")
        if evidence == "fts_plan_clusters":
            assert set(plan_types.split(",")) <= types
            if confidence == "low":
                assert plan_types == "Flash appeal"
        assert (bridged is None) == (reasons is None)
        if bridged:
            assert all(y in reasons for y in bridged.split(","))


# ---- funding_by_organisation -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def organisation_responses(cfg, real_snapshot) -> dict[tuple[str, int], dict]:
    """The FTS groupby=organization responses of the config, read with json, by (country, plan id)."""
    import json

    out = {}
    for res in cfg.resources("funding"):
        if res.table == "fts_plan_organisations":
            data = json.loads((real_snapshot / res.path).read_text(encoding="utf-8"))["data"]
            out[(res.constants["country_code"], int(res.constants["plan_id"]))] = data
    return out


def _report(data: dict, report: str) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for group in data[report]["fundingTotals"]["objects"]:
        for o in group["singleFundingObjects"]:
            totals[o["name"].strip()] += o["totalFunding"]  # staging trims names
    return dict(totals)


def test_funding_by_organisation_matches_the_fts_responses(con, organisation_responses, plan_rows):
    assert {k for k in organisation_responses} == {("SOM", 1063), ("ETH", 1079)}
    rows = con.execute(
        "select country_code, plan_id, plan_code, year, fts_organisation_name, organisation_name, requirements_usd, "
        "funding_usd, first_level_funding_usd from marts.funding_by_organisation"
    ).fetchall()
    plan_of = {(r["countryCode"], int(r["id"])): (r["code"], int(r["year"])) for r in plan_rows if r["id"].strip()}
    seed = _seed("org_aliases")
    for key, data in organisation_responses.items():
        # a country-specific alias wins over a global one
        aliases = {_key(r["alias"]): r["org_name"] for r in seed if not r["country_code"]}
        aliases |= {_key(r["alias"]): r["org_name"] for r in seed if r["country_code"] == key[0]}
        got = {r[4]: r for r in rows if (r[0], r[1]) == key}
        funding, first_level = _report(data, "report3"), _report(data, "report2")
        reqs: dict[str, float] = defaultdict(float)
        for o in data["requirements"]["objects"]:
            reqs[o["name"].strip()] += o["revisedRequirements"]
        assert set(got) == set(funding) | set(first_level) | set(reqs), key
        for name, r in got.items():
            assert (r[2], r[3]) == plan_of[key]
            assert (r[6] or 0) == reqs.get(name, 0) and (r[7] or 0) == funding.get(name, 0), name
            assert (r[8] or 0) == first_level.get(name, 0), name
            assert r[5] == aliases.get(_key(name), r[5]), name  # the alias seed's canonical name when it knows it
        assert sum(r[7] or 0 for r in got.values()) == data["report3"]["fundingTotals"]["total"]
    assert con.execute("select organisation_acronym from marts.funding_by_organisation "
                       "where fts_organisation_name = 'World Food Programme' limit 1").fetchone()[0] == "WFP"


def test_funding_by_organisation_national_share(con):
    rows = con.execute(
        "select country_code, plan_id, org_type_code, funding_usd, plan_national_funding_share, plan_typed_funding_share "
        "from marts.funding_by_organisation"
    ).fetchall()
    for plan in {(c, p) for c, p, *_ in rows}:
        mine = [r for r in rows if (r[0], r[1]) == plan]
        total = sum(r[3] or 0 for r in mine)
        national = sum(r[3] or 0 for r in mine if r[2] == "441")
        typed = sum(r[3] or 0 for r in mine if r[2] is not None)
        assert all(r[4] == pytest.approx(national / total) for r in mine), plan
        assert all(r[5] == pytest.approx(typed / total) for r in mine), plan
    som_national = [r for r in rows if r[0] == "SOM" and r[2] == "441"]
    assert som_national, "Somalia's national NGOs are typed through the 3W's organisations"
