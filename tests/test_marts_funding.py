"""The FTS marts (funding_by_cluster, funding_flows, cluster_activations) against the real HDX files.

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


@pytest.fixture(scope="session")
def globalcluster_rows(cfg, real_snapshot) -> list[dict]:
    """The FTS global-cluster file's rows for the configured countries."""
    path = _source_file(cfg, real_snapshot, "fts_globalcluster")
    with path.open(newline="", encoding="utf-8-sig") as f:
        return [r for r in csv.DictReader(f) if r["countryCode"].strip().upper() in cfg.countries]


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


# ---- funding_by_cluster ----------------------------------------------------------------------------------


def test_somalia_2025_totals_match_the_fts_file(con, globalcluster_rows):
    rows = [r for r in globalcluster_rows if r["countryCode"] == "SOM" and r["year"] == "2025"]
    assert rows, "the FTS global-cluster file has no Somalia 2025 rows"
    expected_req = sum(_amount(r["requirements"]) for r in rows)
    expected_fund = sum(_amount(r["funding"]) for r in rows)
    req, fund, pct, n = con.execute(
        "select sum(requirements_usd), sum(funding_usd), sum(funding_usd) / sum(requirements_usd) * 100, count(*) "
        "from marts.funding_by_cluster where country_code = 'SOM' and year = 2025"
    ).fetchone()
    assert n == len(rows)
    assert req == pytest.approx(expected_req, abs=0.5)
    assert fund == pytest.approx(expected_fund, abs=0.5)
    assert pct == pytest.approx(expected_fund / expected_req * 100)


def test_every_country_year_total_reconciles(con, globalcluster_rows, cfg):
    expected = _sums(globalcluster_rows, lambda r: (r["countryCode"], int(r["year"])))
    got = {
        (c, y): [req, fund]
        for c, y, req, fund in con.execute(
            "select country_code, year, coalesce(sum(requirements_usd), 0), coalesce(sum(funding_usd), 0) "
            "from marts.funding_by_cluster group by all"
        ).fetchall()
    }
    assert set(got) == set(expected)
    for key, (req, fund) in expected.items():
        assert got[key][0] == pytest.approx(req, abs=0.5), key
        assert got[key][1] == pytest.approx(fund, abs=0.5), key
    countries = {c for c, _ in got}
    assert countries <= set(cfg.countries)


def test_percent_funded_is_a_ratio_of_sums(con, globalcluster_rows):
    def grain(r):
        return (r["countryCode"], int(r["year"]), r["id"] or None, r["clusterCode"] or r["cluster"])

    expected = _sums(globalcluster_rows, grain)
    got = con.execute(
        "select country_code, year, cast(plan_id as varchar), coalesce(fts_cluster_id, cluster_name), "
        "requirements_usd, funding_usd, percent_funded from marts.funding_by_cluster"
    ).fetchall()
    assert len(got) == len(expected)
    for c, y, plan, cluster, req, fund, pct in got:
        e_req, e_fund = expected[(c, y, plan, cluster)]
        if e_req > 0:
            assert pct == pytest.approx(e_fund / e_req * 100), (c, y, plan, cluster)
        else:
            assert pct is None, (c, y, plan, cluster)
    # the country-level figure recomputed from the mart is a ratio of sums too (not an average of rows)
    req, fund, avg_pct = con.execute(
        "select sum(requirements_usd), sum(funding_usd), avg(percent_funded) from marts.funding_by_cluster "
        "where country_code = 'SOM' and year = 2025"
    ).fetchone()
    assert fund / req * 100 != pytest.approx(avg_pct)


def test_not_specified_and_shared_rows_are_kept(con, globalcluster_rows):
    blank = [r for r in globalcluster_rows if not r["clusterCode"].strip()]
    expected = {
        "NOT_SPECIFIED": sum(1 for r in blank if r["cluster"] == "Not specified"),
        "SHARED": sum(1 for r in blank if r["cluster"].startswith("Multiple clusters")),
    }
    assert expected["NOT_SPECIFIED"] and expected["SHARED"]
    got = dict(
        con.execute(
            "select cluster_code, count(*) from marts.funding_by_cluster "
            "where cluster_code in ('NOT_SPECIFIED', 'SHARED') group by all"
        ).fetchall()
    )
    assert got == expected
    assert con.execute(
        "select count(*) from marts.funding_by_cluster where cluster_code is null or source_dataset_ids is null"
    ).fetchone()[0] == 0


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


def test_flow_fields(con, flows_by_id):
    rows = con.execute(
        "select cast(flow_id as varchar), donor, status, plan_code, country_code, country_codes, year "
        "from marts.funding_flows"
    ).fetchall()
    for flow_id, donor, status, plan_code, country, countries, year in rows:
        src = flows_by_id[flow_id]
        assert donor == (src["srcOrganization"] or None)
        assert status == src["status"]
        assert plan_code == (src["destPlanCode"] or None)
        dest = sorted(set(src["destLocations"].split(",")))
        assert countries == ",".join(dest)
        assert country == (dest[0] if len(dest) == 1 else None)
        assert year == int(src["budgetYear"] or src["date"][:4])


# ---- cluster_activations ---------------------------------------------------------------------------------


def _islands(years: list[int]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for y in sorted(set(years)):
        if out and y == out[-1][1] + 1:
            out[-1][1] = y
        else:
            out.append([y, y])
    return [tuple(x) for x in out]


def test_cluster_activations_follow_plan_years(con, globalcluster_rows, cfg):
    with (DBT_PROJECT_DIR / "seeds" / "fts_global_clusters.csv").open(newline="", encoding="utf-8") as f:
        code_of = {r["fts_cluster_id"]: r["sector_code"] for r in csv.DictReader(f)}
    as_of = cfg.as_of
    years: dict = defaultdict(list)
    for r in globalcluster_rows:
        code = code_of.get(r["clusterCode"].strip())
        if not r["id"].strip() or code not in IASC_CLUSTERS or int(r["year"]) > as_of.year:
            continue
        if _amount(r["requirements"]) > 0 or _amount(r["funding"]) > 0:
            years[(r["countryCode"], code)].append(int(r["year"]))
    expected = set()
    for (country, code), ys in years.items():
        for first, last in _islands(ys):
            end = None if last >= as_of.year else dt.date(last, 12, 31)
            expected.add((country, code, dt.date(first, 1, 1), end))
    got = con.execute(
        "select country_code, cluster_code, activated_on, deactivated_on, is_active, duration_days "
        "from marts.cluster_activations where evidence = 'plan_years'"
    ).fetchall()
    register = con.execute("select count(*) from marts.cluster_activations where evidence = 'register'").fetchone()[0]
    if register == 0:
        assert {g[:4] for g in got} == expected
    else:  # register periods replace the plan-year periods they overlap
        assert {g[:4] for g in got} <= expected
    for country, code, start, end, active, days in got:
        assert active == (end is None)
        assert days == ((end or as_of) - start).days + 1
    som = {(g[1], g[2], g[3]) for g in got if g[0] == "SOM"}
    assert any(code == "WSH" and end is None for code, _, end in som), "Somalia WASH appears in every plan to 2026"
