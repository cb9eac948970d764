"""Issue 13 on the REAL snapshot: severity, localisation, need measure, refugees kept apart, crowded and
possibly under-reported gaps, ranks per type and priority, partners_by_type. Expected figures are computed
here from the raw files (JIAF workbook, Somalia 3W) with python-calamine and the seeds, not from the models;
where a figure is defined on top of coverage (crowded, priority), it is recomputed from coverage with the
thresholds read from the config."""
from __future__ import annotations

import csv
import statistics
from collections import Counter, defaultdict

import pytest

from pipelines.lib.config import load_config
from pipelines.lib.paths import CONFIG_DIR, DBT_PROJECT_DIR
from tests.test_marts_coverage import (  # noqa: F401  (built is a fixture)
    ETH_DROUGHT, JIAF, SOM_3W, SOM_3W_SHEET, built, normalise, org_key, parse_people, round_half_up, rows,
    sector_aliases, sheet_records,
)

SEEDS = DBT_PROJECT_DIR / "seeds"


@pytest.fixture(scope="module")
def cfg():
    return load_config(CONFIG_DIR / "hdx_snapshot.yaml")


def severity_rows(snapshot, country):
    return [r for r in sheet_records(snapshot / JIAF, "Severity", header_row=3) if r.get("ISO3") == country]


def phase(value):
    """A JIAF phase as the model reads it: a number 1-5 (0 = not assessed, blank = none)."""
    try:
        v = round(float(value), 2)
    except (TypeError, ValueError):
        return None
    return v if 1 <= v <= 5 else None


def org_type_codes() -> dict[str, str]:
    with open(SEEDS / "org_types.csv", encoding="utf-8") as f:
        return {r["alias"]: r["org_type_code"] for r in csv.DictReader(f)}


def som_3w(snapshot):
    """Usable Somalia 3W rows: (district, sector, org_key, org_type_code)."""
    aliases, types = sector_aliases(), org_type_codes()
    out = []
    for r in sheet_records(snapshot / SOM_3W, SOM_3W_SHEET):
        sector = aliases.get(normalise(r.get("Cluster")))
        district = str(r.get("DistrictPcode") or "").strip().upper()
        key = org_key(r.get("Organization_Name"))
        if sector and district and key:
            out.append((district, sector, key, types.get(normalise(r.get("Organization Type")))))
    return out


def one_type_per_org(rows_3w) -> dict[str, str | None]:
    """The type an organisation's rows give most often (ties: the lower code)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for _, _, key, code in rows_3w:
        if code:
            counts[key][code] += 1
    return {k: sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] for k, c in counts.items()}


# ------------------------------------------------------------------------------------------- severity


def test_somalia_severity_is_the_jiaf_final_severity_of_the_district(built):
    sheet = severity_rows(built["snapshot"], "SOM")
    final = {r["Admin 2 P-Code"].strip(): phase(r["Final Severity"]) for r in sheet}
    wash = {r["Admin 2 P-Code"].strip(): phase(r["WASH"]) for r in sheet}
    got = rows(built["con"], "select admin2_code, sector_code, severity, sector_severity from marts.coverage "
                             "where country_code = 'SOM'")
    with_severity = [g for g in got if g[2] is not None]
    assert len(with_severity) >= 0.9 * len(got)  # issue 13: at least 90% of Somalia's rows carry a severity
    for admin2, sector, severity, sector_severity in got:
        assert severity == final.get(admin2), (admin2, sector)
        if sector == "WSH":
            assert sector_severity == wash.get(admin2), admin2
        if sector == "Intersectoral":
            assert sector_severity == severity


def test_chad_admin1_severity_is_the_highest_phase_of_its_admin2_units(built):
    worst: dict[str, float] = {}
    for r in severity_rows(built["snapshot"], "TCD"):
        p = phase(r["Final Severity"])
        if p is not None:
            a1 = r["Admin 1 P-Code"].strip()
            worst[a1] = max(worst.get(a1, 0), p)
    got = dict(rows(built["con"], "select admin1_code, severity from marts.coverage "
                                  "where country_code = 'TCD' and sector_code = 'Intersectoral'"))
    assert got and {k: v for k, v in got.items() if k in worst} == worst
    assert rows(built["con"], "select distinct severity_basis from marts.coverage where country_code = 'TCD'") == [
        ("max_of_admin2",)]


def test_no_severity_where_the_needs_source_is_another_year(built):
    """Ethiopia's needs are the 2022 drought caseload: the 2025 JIAF phases do not describe them."""
    assert rows(built["con"], "select count(severity) from marts.coverage where country_code = 'ETH'")[0][0] == 0


# ------------------------------------------------------------------------------- need measure, refugees


def test_need_measure_says_what_people_in_need_counts(built):
    with open(built["snapshot"] / ETH_DROUGHT, encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        header = next(reader)
    assert "Total Affected" in header and not any("need" in h.lower() for h in header)  # the file has no PIN
    got = dict(rows(built["con"], "select country_code, string_agg(distinct need_measure, ',') from marts.coverage "
                                  "group by 1"))
    assert got["ETH"] == "affected"
    assert {got[c] for c in ("SOM", "TCD", "AFG", "SSD", "SDN")} == {"in_need"}


def test_chad_refugees_are_kept_as_their_own_figure(built):
    sheet = [r for r in sheet_records(built["snapshot"] / JIAF, "PiN", header_row=2) if r.get("ISO3") == "TCD"]
    refugees = sum(parse_people(r.get("Refugee")) or 0 for r in sheet)
    final_pin = sum(parse_people(r.get("Final PiN")) or 0 for r in sheet)
    assert refugees > 1_000_000
    con = built["con"]
    on_intersectoral, intersectoral, group_rows, notes = rows(
        con,
        """select sum(refugees_in_need) filter (where sector_code = 'Intersectoral'),
                  sum(people_in_need) filter (where sector_code = 'Intersectoral'),
                  sum(people_in_need) filter (where population_group = 'refugees'),
                  count(*) filter (where refugees_in_need is not null and population_group_note like 'Final PiN%')
           from marts.coverage where country_code = 'TCD'""",
    )[0]
    assert on_intersectoral == refugees == group_rows  # never dropped, never added to Final PiN
    assert intersectoral == final_pin
    assert notes == rows(con, "select count(*) from marts.coverage where country_code = 'TCD' "
                              "and refugees_in_need is not null")[0][0] > 0


# ------------------------------------------------------------------------------------------ localisation


def test_somalia_local_partner_counts_per_district_and_sector(built):
    raw = som_3w(built["snapshot"])
    org_type = one_type_per_org(raw)
    local_types = {"441", "435"}  # national NGO, government (no Red Cross society is typed 445 in this 3W)
    partners, local = defaultdict(set), defaultdict(set)
    for district, sector, key, _ in raw:
        partners[(district, sector)].add(key)
        if org_type.get(key) in local_types:
            local[(district, sector)].add(key)
    got = {(a2, s): (n, loc, share) for a2, s, n, loc, share in rows(
        built["con"],
        "select admin2_code, sector_code, partner_count, local_partner_count, local_partner_share from marts.coverage "
        "where country_code = 'SOM' and partner_count > 0 and sector_code <> 'Intersectoral'")}
    assert set(got) == set(partners)
    for k, (n, loc, share) in got.items():
        assert (n, loc) == (len(partners[k]), len(local[k])), k
        assert share == pytest.approx(round(loc / n, 4))


def test_partners_by_type_somalia_from_the_3w(built, cfg):
    raw = som_3w(built["snapshot"])
    org_type = one_type_per_org(raw)
    by_sector: dict[str, set] = defaultdict(set)
    for _, sector, key, _ in raw:
        by_sector[sector].add(key)
    by_sector["Intersectoral"] = {k for _, _, k, _ in raw}
    want = {(s, org_type.get(k) or "unknown"): 0 for s, keys in by_sector.items() for k in keys}
    for s, keys in by_sector.items():
        for k in keys:
            want[(s, org_type.get(k) or "unknown")] += 1
    got = {(s, t): n for s, t, n in rows(built["con"], "select sector_code, org_type_code, sum(partner_count) "
                                                        "from marts.partners_by_type where country_code = 'SOM' "
                                                        "group by all")}
    assert got == want
    national = rows(built["con"], "select partner_count from marts.partners_by_type where country_code = 'SOM' "
                                  "and sector_code = 'Intersectoral' and org_type_code = '441'")[0][0]
    assert national == sum(1 for k in by_sector["Intersectoral"] if org_type.get(k) == "441")
    # issue 13: rows for every configured country with a 3W
    with_3w = {r.country for r in cfg.sources.presence}
    assert {c for (c,) in rows(built["con"], "select distinct country_code from marts.partners_by_type")} == with_3w


# ---------------------------------------------------------------------------------------------- gaps


def test_crowded_gaps_recomputed_from_coverage(built, cfg):
    g = cfg.gaps
    con = built["con"]
    cov = rows(con, f"""select country_code, admin1_code, admin2_code, sector_code, people_in_need, partner_count,
                               pin_per_partner
                        from marts.coverage
                        where presence_reported and people_in_need >= {g.min_people_in_need}""")
    medians: dict[tuple, list] = defaultdict(list)
    for c, _, _, s, _, n, ppp in cov:
        if n and ppp is not None:
            medians[(c, s)].append(ppp)
    want = set()
    for c, a1, a2, s, pin, n, ppp in cov:
        if n and n >= g.crowded_min_partners and (c, s) in medians:
            if ppp * g.crowded_factor < statistics.median(medians[(c, s)]):
                want.add((c, a1, a2, s))
    got = set(rows(con, "select country_code, admin1_code, admin2_code, sector_code from marts.gaps "
                        "where gap_type = 'crowded'"))
    assert want and got == want
    assert rows(con, "select bool_and(severity > 0 and severity_unit = 'partners' and priority_score is null) "
                     "from marts.gaps where gap_type = 'crowded'")[0][0]


def test_somalia_under_reported_sectors_from_the_raw_files(built, cfg):
    """Organisations per million in need (3W orgs, coverage PIN) under factor × the country median."""
    raw = som_3w(built["snapshot"])
    orgs: dict[str, set] = defaultdict(set)
    for _, sector, key, _ in raw:
        orgs[sector].add(key)
    pin = dict(rows(built["con"], "select sector_code, sum(people_in_need) from marts.coverage "
                                  "where country_code = 'SOM' and sector_code <> 'Intersectoral' group by 1"))
    ratio = {s: len(orgs[s]) * 1e6 / pin[s] for s in pin if pin[s] and orgs.get(s)}
    median = statistics.median(ratio.values())
    want = {s for s, r in ratio.items() if round(r, 2) < cfg.gaps.underreported_factor * median}
    assert "SHL" in want
    got = {s for (s,) in rows(built["con"], "select distinct sector_code from marts.gaps "
                                            "where country_code = 'SOM' and possibly_underreported")}
    assert got == want
    # issue 13: every Somalia shelter no_presence gap is flagged
    shelter = rows(built["con"], "select count(*), count(*) filter (where possibly_underreported) from marts.gaps "
                                 "where country_code = 'SOM' and sector_code = 'SHL' and gap_type = 'no_presence'")[0]
    assert shelter[0] > 0 and shelter[0] == shelter[1]
    issues = {s for (s,) in rows(built["con"], "select sector_code from marts.quality_issues "
                                               "where issue_code = 'possibly_underreported' and country_code = 'SOM'")}
    assert issues == want


def test_ranks_per_gap_type_and_priority_weighted_by_phase(built, cfg):
    con = built["con"]
    gaps = rows(con, """select country_code, gap_type, severity, rank_in_country, severity_phase, priority_score,
                               priority_rank, admin1_code, admin2_code, sector_code
                        from marts.gaps""")
    by_type: dict[tuple, list] = defaultdict(list)
    for g in gaps:
        by_type[(g[0], g[1])].append(g)
    for key, group in by_type.items():
        assert sorted(g[3] for g in group) == list(range(1, len(group) + 1)), key
        ordered = sorted(group, key=lambda g: g[3])
        assert all(a[2] >= b[2] for a, b in zip(ordered, ordered[1:])), key
    weights = cfg.gaps.severity_weights
    for g in gaps:
        if g[1] == "crowded":
            assert g[5] is None and g[6] is None
        else:
            w = weights[round_half_up(g[4])] if g[4] is not None else 1.0  # SQL rounds halves away from 0
            assert g[5] == round_half_up(g[2] * w), g
    for country in {g[0] for g in gaps}:
        ranked = sorted((g for g in gaps if g[0] == country and g[6] is not None), key=lambda g: g[6])
        assert [g[6] for g in ranked] == list(range(1, len(ranked) + 1))
        assert all(a[5] >= b[5] for a, b in zip(ranked, ranked[1:]))


def test_gap_thresholds_are_configuration(tmp_path):
    from pipelines.lib.config import ConfigError

    base = (CONFIG_DIR / "sample.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(base + "\ngaps: {severity_weights: {1: 1, 2: 1}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="severity_weights"):
        load_config(bad)
    ok = tmp_path / "ok.yaml"
    ok.write_text(base + "\ngaps: {crowded_factor: 5, underreported_factor: 0.1}\n", encoding="utf-8")
    from pipelines.settings import ClusterwatchSettings
    from pipelines.transform.dbt_assets import dbt_vars

    v = dbt_vars(ClusterwatchSettings(config_path=str(ok)))
    assert v["gap_crowded_factor"] == 5 and v["gap_underreported_factor"] == 0.1
    assert v["gap_severity_weights"] == {"1": 0.25, "2": 0.5, "3": 1.0, "4": 2.0, "5": 4.0}
