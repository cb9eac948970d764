"""The donor site (published/site/), rebuilt by every publication.

- From a small hand-made published directory: columns other marts are gaining (structure, confidence,
  severity, funding_by_plan, possibly_underreported) are shown when present, missing tables and columns
  never break the build, and a blocked table is shown as blocked with its reason.
- After a REAL `clusterwatch refresh` of the sample (and of the real snapshot when ../shared is present):
  every page loads in headless Chromium (Debian's `chromium`) from file:// with no console error, no failed
  load and no request beyond local files; every chart is there with alt text and its table; a phone-width
  viewport never scrolls sideways. Headline figures and checksums are recomputed from the published CSVs.
  Screenshots go to the test's tmp dir, or $CLUSTERWATCH_SCREENSHOT_DIR when set (paths printed).
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from pathlib import Path

import duckdb
import pytest

from pipelines.site import build_site
from tests.browser import Browser, chromium_path
from tests.test_quality import refresh


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- a hand-made published directory --------------------------------------------------------------------------
def _write(con, root: Path, name: str, sql: str) -> None:
    con.execute(f"copy ({sql}) to '{root / (name + '.parquet')}' (format parquet)")
    rel = con.sql(f"select * from read_parquet('{root / (name + '.parquet')}')")
    with open(root / f"{name}.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(rel.columns)
        w.writerow([f"#meta+{c}" for c in rel.columns])
        w.writerows(rel.fetchall())


@pytest.fixture
def handmade(tmp_path) -> Path:
    root = tmp_path / "published"
    root.mkdir()
    con = duckdb.connect()
    _write(con, root, "coverage", """
        select * from (values
          ('XYZ', 1, 'X01', 'North', null, null, 'WSH', 'Water', 1000::bigint, 2::bigint, 'A; B', 500.0, 4,
           date '2025-01-01', date '2025-12-31', 'hno-xyz'),
          ('XYZ', 1, 'X01', 'North', null, null, 'Intersectoral', 'All', 1500::bigint, 2::bigint, 'A; B', 750.0, 4,
           date '2025-01-01', date '2025-12-31', 'hno-xyz'),
          ('XYZ', 1, 'X02', 'South', null, null, 'WSH', 'Water', 800::bigint, 0::bigint, null, null, 5,
           date '2025-01-01', date '2025-12-31', 'hno-xyz'),
          ('XYZ', 1, 'X02', 'South', null, null, 'Intersectoral', 'All', 900::bigint, 1::bigint, 'C', 900.0, 5,
           date '2025-01-01', date '2025-12-31', 'hno-xyz'))
        t(country_code, admin_level, admin1_code, admin1_name, admin2_code, admin2_name, sector_code, sector_name,
          people_in_need, partner_count, partners, pin_per_partner, severity, need_period_start, need_period_end,
          source_dataset_ids)""")
    _write(con, root, "gaps", """
        select 'XYZ' as country_code, 'X02' as admin1_code, 'South' as admin1_name, null::varchar as admin2_name,
          'WSH' as sector_code, 'no_presence' as gap_type, 1::bigint as rank_in_country, 800::bigint as people_in_need,
          0::bigint as partner_count, true as possibly_underreported""")
    _write(con, root, "funding_by_cluster", """
        select * from (values ('XYZ', 2025, 'HXYZ25', 'WSH', 'Water', 300.0, 120.0),
                              ('XYZ', 2025, 'HXYZ25', 'NOT_SPECIFIED', 'Not specified', null, 30.0),
                              ('XYZ', 2025, 'HXYZ25', 'HEA', 'Health', 200.0, 50.0))
        t(country_code, year, plan_code, cluster_code, cluster_name, requirements_usd, funding_usd)""")
    _write(con, root, "funding_by_plan", """
        select 'XYZ' as country_code, 2025 as year, 'HXYZ25' as plan_code, 'XYZ plan 2025' as plan_name,
          'HRP' as plan_type, 500.0 as requirements_usd, 200.0 as funding_usd""")
    _write(con, root, "cluster_activations", """
        select * from (values ('XYZ', 'WSH', date '2019-01-01', null::date, true, 'cluster', 'high',
                               date '2026-04-30'),
                              ('XYZ', 'HEA', date '2015-01-01', date '2017-12-31', false, 'sector', 'low',
                               date '2017-12-31'),
                              ('XYZ', 'REF', date '2020-01-01', null::date, true, 'refugee_response', 'medium',
                               date '2026-04-30'))
        t(country_code, cluster_code, activated_on, deactivated_on, is_active, structure, confidence,
          reference_period_end)""")
    files = {p.name: {"sha256": sha(p), "bytes": p.stat().st_size} for p in root.iterdir()}
    tables = {t: {"version": "v1", "status": "published", "reason": "published in v1", "row_count": 1}
              for t in ("coverage", "funding_by_cluster", "funding_by_plan", "cluster_activations")}
    tables["gaps"] = {"version": "v0", "status": "blocked", "row_count": 1,
                      "reason": "blocked in v1: expectation(s) failed: rank_unique; version v0 stays current"}
    tables["funding_flows"] = {"version": None, "status": "blocked", "reason": "blocked in v1: never published"}
    manifest = {"version": "v1", "config": {"countries": ["XYZ"]}, "tables": tables, "files": files}
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


def test_site_shows_new_columns_blocked_tables_and_survives_missing_ones(handmade):
    built = build_site(handmade)
    site = handmade / "site"
    assert built["countries"] == ["XYZ"] and (site / "index.html").exists() and (site / "XYZ.html").exists()
    index = (site / "index.html").read_text()
    page = (site / "XYZ.html").read_text()
    # people in need: the intersectoral rows summed over admin units, never a sum of sectors (1,500 + 900)
    assert re.search(r'data-figure="people-in-need">.*?<div class="value">2,400<', index, re.S)
    # percent funded is a ratio of sums over every cluster row of the latest year: 200 / 500
    assert re.search(r'data-figure="percent-funded">.*?<div class="value">40.0%<', index, re.S)
    assert re.search(r'data-figure="partners">.*?<div class="value">3<', index, re.S)  # A, B, C
    # an active refugee response is not a cluster (UNHCR's Refugee Coordination Model)
    assert re.search(r'data-figure="active-clusters">.*?<div class="value">1<', index, re.S)
    # the blocked table says so, and why; the never-published one too
    assert "rank_unique; version v0 stays current" in index and 'class="badge blocked"' in index
    assert "never published" in index
    # checksums of every download, from the manifest
    for name, meta in json.loads((handmade / "manifest.json").read_text())["files"].items():
        assert f'href="../{name}"' in index and meta["sha256"] in index
    # new columns shown when present: structure/confidence (timeline), severity (coverage), the plan table,
    # the possibly-under-reported flag
    for text in ("<th scope=\"col\">Structure</th>", "<th scope=\"col\">Confidence</th>",
                 "<th scope=\"col\">Severity</th>", "Funding by plan", "XYZ plan 2025", "possibly under-reported"):
        assert text in page, text
    # the dictionary names every column of every table with its type, new tables included
    for table in ("coverage", "funding_by_plan", "cluster_activations"):
        assert f'id="dict-{table}"' in index
    assert "<td><code>severity</code></td><td><code>INTEGER</code></td>" in index
    assert not re.search(r"<td><code>[a-z_]+</code></td><td><code></code></td>", index)
    # every chart drawn, and a second build redraws none of them
    assert sorted(p.name for p in (site / "charts").glob("*.svg")) == [
        "XYZ-coverage.svg", "XYZ-funding.svg", "XYZ-gaps.svg", "XYZ-timeline.svg"]
    assert build_site(handmade)["charts_drawn"] == 0


# -- in a browser, after real refreshes -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    if not chromium_path():
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run installs it)")
    b = Browser()
    yield b
    b.close()


PAGE_FACTS = """JSON.stringify({
  imgs: [...document.querySelectorAll('img.chart-img')].map(i => ({src: i.getAttribute('src'), ok: i.complete &&
        i.naturalWidth > 0, alt: i.alt, table: !!i.closest('section').querySelector('details table tbody tr')})),
  scrollWidth: document.documentElement.scrollWidth, innerWidth: innerWidth,
  figures: Object.fromEntries([...document.querySelectorAll('article.country')].map(a => [a.id.slice(8),
        Object.fromEntries([...a.querySelectorAll('[data-figure]')].map(f => [f.dataset.figure,
        f.querySelector('.value').textContent]))])),
  hashes: Object.fromEntries([...document.querySelectorAll('#downloads tbody tr')].map(r =>
        [r.querySelector('a').getAttribute('href').slice(3), r.querySelector('code').textContent])),
})"""


def check_site_in_browser(browser, published: Path, shots: Path) -> dict:
    """Every page, desktop and phone: renders cleanly offline with every chart; returns the index's facts."""
    site = published / "site"
    pages = sorted(site.glob("*.html"))
    countries = json.loads((published / "manifest.json").read_text())["config"]["countries"]
    assert {p.stem for p in pages} == {"index", *countries}
    shots = Path(os.environ.get("CLUSTERWATCH_SCREENSHOT_DIR") or shots)  # a lasting folder, for review
    shots.mkdir(parents=True, exist_ok=True)
    index_facts = None
    for page in pages:
        for label, viewport in (("desktop", {"width": 1200, "height": 900}),
                                ("phone", {"width": 390, "height": 844, "mobile": True})):
            load = browser.load(page.as_uri(), **viewport)
            assert load.console_errors == [], (page.name, label, load.console_errors)
            assert load.failed == [], (page.name, label, load.failed)
            assert load.remote_requests() == [], (page.name, label, load.remote_requests())
            facts = json.loads(browser.evaluate(PAGE_FACTS))
            assert facts["scrollWidth"] <= facts["innerWidth"], (page.name, label, "scrolls sideways")
            shot = browser.screenshot(shots / f"{page.stem}-{label}.png")
            print(f"screenshot: {shot}")
            if page.stem == "index":
                index_facts = facts
                continue
            svgs = sorted(f"charts/{p.name}" for p in (site / "charts").glob(f"{page.stem}-*.svg"))
            assert sorted(i["src"] for i in facts["imgs"]) == svgs and svgs, page.name
            for img in facts["imgs"]:
                assert img["ok"], (page.name, img["src"], "did not render")
                assert len(img["alt"]) > 40 and img["table"], (page.name, img["src"], "no alt text or table")
    return index_facts


def csv_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return rows[1:]  # row 2 holds the HXL hashtags


def expected_figures(published: Path) -> dict:
    """Headline figures recomputed from the published CSVs, independently of the site's SQL."""
    out: dict[str, dict] = {}
    fbc = csv_rows(published / "funding_by_cluster.csv")
    for c in {r["country_code"] for r in fbc}:
        rows = [r for r in fbc if r["country_code"] == c]
        years = [int(r["year"]) for r in rows if r["requirements_usd"] and float(r["requirements_usd"]) > 0]
        if years:
            y = [r for r in rows if int(r["year"]) == max(years)]
            req = sum(float(r["requirements_usd"] or 0) for r in y)
            out.setdefault(c, {})["percent-funded"] = f"{sum(float(r['funding_usd'] or 0) for r in y) / req * 100:.1f}%"
    for r in csv_rows(published / "coverage.csv"):
        if r["sector_code"] == "Intersectoral" and r["people_in_need"]:
            e = out.setdefault(r["country_code"], {})
            e["pin"] = e.get("pin", 0) + int(r["people_in_need"])
    for e in out.values():
        if "pin" in e:
            e["people-in-need"] = f"{e.pop('pin'):,}"
    return out


def assert_index_matches_files(published: Path, facts: dict) -> None:
    expected = expected_figures(published)
    assert expected
    for country, figs in expected.items():
        for name, value in figs.items():
            assert facts["figures"][country][name] == value, (country, name)
    manifest = json.loads((published / "manifest.json").read_text())
    assert set(facts["hashes"]) == set(manifest["files"]) | {"manifest.json"}
    for name, digest in facts["hashes"].items():
        assert sha(published / name) == digest, name


@pytest.mark.slow
def test_sample_refresh_builds_a_site_that_renders_offline(tmp_path, browser):
    data = tmp_path / "data"
    code, out = refresh(data)
    assert code == 0, out
    published = data / "published"
    facts = check_site_in_browser(browser, published, tmp_path / "screenshots")
    assert_index_matches_files(published, facts)


@pytest.mark.slow
@pytest.mark.real
def test_real_snapshot_site_renders_offline(tmp_path, browser, real_published):
    published = real_published / "published"
    facts = check_site_in_browser(browser, published, tmp_path / "screenshots")
    assert_index_matches_files(published, facts)
    assert set(facts["figures"]) == {"AFG", "ETH", "SDN", "SOM", "SSD", "TCD"}
