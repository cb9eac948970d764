"""Issue 9, "no data versus no partners", on the REAL snapshot: a cell no presence source covers shows unknown
partners (partner_count NULL, presence_reported false), never zero, and is never a no_presence gap.
Expected sets come from the config and the raw 3W files, not from the warehouse."""
from __future__ import annotations

import pytest

from pipelines.lib.config import load_config
from pipelines.lib.paths import CONFIG_DIR
from tests.test_marts_coverage import built, normalise, rows, sector_aliases, sheet_records  # noqa: F401

TCD_3W = "OCHA-DAP__hdx-scraper-operationalpresence/tests/fixtures/input/3w_tcd_avr2025.xlsx"
JIAF = "OCHA-DAP__hdx-scraper-jiaf/input/GLOBAL-JIAF-DATA 1.04.2025.xlsx"


@pytest.fixture(scope="module")
def cfg():
    return load_config(CONFIG_DIR / "hdx_snapshot.yaml")


def test_config_warns_for_countries_without_presence(cfg, capsys):
    from pipelines import cli

    without = sorted(set(cfg.countries) - {r.country for r in cfg.sources.presence})
    assert without == ["SDN"]
    expected = "SDN: needs configured but no 3W/4W presence file; coverage shows unknown partners"
    assert cfg.warnings() == [expected]
    assert cli.main(["config", "check", "--config", str(CONFIG_DIR / "hdx_snapshot.yaml")]) == 0
    assert f"warning: {expected}" in capsys.readouterr().out


def test_country_without_presence_has_unknown_partners_and_no_gaps(built, cfg):
    con = built["con"]
    without = sorted(set(cfg.countries) - {r.country for r in cfg.sources.presence})
    for country in without:
        total, zero, known, reported = rows(
            con,
            """select count(*), count(*) filter (where partner_count = 0), count(partner_count),
                      count(*) filter (where presence_reported)
               from marts.coverage where country_code = ?""",
            [country],
        )[0]
        assert total > 0, f"{country} has needs in the JIAF, so coverage rows"
        assert (zero, known, reported) == (0, 0, 0)
        assert rows(con, "select count(*) from marts.gaps where country_code = ? and gap_type = 'no_presence'",
                    [country])[0][0] == 0
        issues = rows(con, "select issue from marts.quality_issues where issue_code = 'no_presence_source' "
                           "and country_code = ?", [country])
        assert len(issues) == 1 and "needs configured but no 3W/4W presence file" in issues[0][0]


def test_sectors_a_3w_never_reports_are_unknown_not_empty(built, real_snapshot):
    """Chad's April 2025 3W files child protection and GBV under Protection: those JIAF sectors are unknown."""
    con = built["con"]
    aliases = sector_aliases()
    records = sheet_records(real_snapshot / TCD_3W, "3W Opérationnelle")[1:]  # row 2 is the partial HXL row
    reported = {aliases.get(normalise(r["Cluster"])) for r in records}
    reported.discard(None)
    assert reported, "the 3W's sector column was found"
    need_sectors = {s for (s,) in rows(con, "select distinct sector_code from marts.coverage where country_code = 'TCD' "
                                             "and people_in_need is not null and sector_code <> 'Intersectoral'")}
    unreported = need_sectors - reported
    assert {"PRO-CPN", "PRO-GBV"} <= unreported
    got = {s for (s,) in rows(con, "select distinct sector_code from marts.coverage where country_code = 'TCD' "
                                   "and not presence_reported")}
    assert got == unreported
    assert rows(con, "select count(*) from marts.coverage where country_code = 'TCD' and not presence_reported "
                     "and partner_count is not null")[0][0] == 0
    assert rows(con, "select count(*) from marts.gaps where country_code = 'TCD' and gap_type = 'no_presence' "
                     "and sector_code in (select unnest(?))", [sorted(unreported)])[0][0] == 0
    flagged = {s for (s,) in rows(con, "select sector_code from marts.quality_issues where country_code = 'TCD' "
                                       "and issue_code = 'sector_not_reported'")}
    assert flagged == unreported
