"""P-code normalisation (pipelines/lib/pcode_levels.py, pcodes.py, pcode_lookup.py) on the real 3W files and on a
small warehouse where dbt lists the keys (int_admin_keys) and resolves them (the Python model int_admin_lookup).

The real-data tests read the provider files directly (not through the raw loader) and skip when
../shared/hdx-snapshot is absent. Shares are printed (pytest -s) so they can be tracked.
"""
from __future__ import annotations

import socket
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.lib import pcodes as pc
from pipelines.lib.pcode_levels import build_admin_levels
from pipelines.lib.pcode_lookup import in_scope, resolve_lookup, units_table
from pipelines.lib.pcodes import KEY_COLUMNS, METHODS, resolve_admin
from pipelines.lib.text import snake_case

COUNTRIES = ["AFG", "COD", "ETH", "SDN", "SOM", "SSD", "TCD"]
OPS = "OCHA-DAP__hdx-scraper-operationalpresence/tests/fixtures/input"
COVID = "OCHA-DAP__hdx-scraper-covid-viz/tests/fixtures/input"


def _snake_columns(df: pd.DataFrame) -> pd.DataFrame:
    # raw.pcodes / raw.pcode_lengths carry snake_cased headers; mimic that.
    return df.rename(columns=snake_case)


def _read_csv(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _sheet(path, sheet: str, header_row: int = 1, skip_rows_after_header: int = 0) -> pd.DataFrame:
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    header = [str(c) for c in rows[header_row - 1]]
    body = rows[header_row + skip_rows_after_header :]
    return pd.DataFrame(body, columns=header)


def _keys(country: str, a1c=None, a1n=None, a2c=None, a2n=None, n: int | None = None) -> pd.DataFrame:
    cols = {"country_code": country, "admin1_code": a1c, "admin1_name": a1n, "admin2_code": a2c, "admin2_name": a2n}
    if n is None:
        n = max(len(v) for v in cols.values() if isinstance(v, pd.Series))
    return pd.DataFrame({k: (v.to_numpy() if isinstance(v, pd.Series) else [v] * n) for k, v in cols.items()})


def _shares(series: pd.Series) -> dict[str, float]:
    return {k: round(v, 4) for k, v in series.value_counts(normalize=True).items()}


@pytest.fixture(scope="module")
def no_network():
    """Fail any socket connection: p-code handling must never download anything."""
    original = socket.socket.connect

    def refuse(self, *args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    socket.socket.connect = refuse
    try:
        yield
    finally:
        socket.socket.connect = original


@pytest.fixture(scope="module")
def pcode_tables(real_snapshot):
    base = real_snapshot / OPS
    pcodes = _snake_columns(_read_csv(base / "download-global-pcodes-adm-1-2.csv"))
    lengths = _snake_columns(_read_csv(base / "download-global-pcode-lengths.csv"))
    return pcodes, lengths


@pytest.fixture(scope="module")
def levels(pcode_tables, no_network):
    from hdx.location.country import Country

    Country._countriesdata = None  # prove the country list is read offline too
    pcodes, lengths = pcode_tables
    return build_admin_levels(pcodes, lengths, COUNTRIES)


def _check_contract(out: pd.DataFrame, inp: pd.DataFrame, levels) -> None:
    assert len(out) == len(inp)
    assert set(out["admin1_method"]) <= set(METHODS)
    assert set(out["admin2_method"]) <= set(METHODS)
    known1, known2 = levels[1].pcode_to_iso3, levels[2].pcode_to_iso3
    # A p-code in the output is always a real COD p-code of that country, whatever the input was.
    for col, known in (("admin1_pcode", known1), ("admin2_pcode", known2)):
        got = out.dropna(subset=[col])
        assert all(known.get(p) == c for p, c in zip(got[col], got["country_code"])), col
    # ... and its admin2 lies within its admin1.
    both = out.dropna(subset=["admin1_pcode", "admin2_pcode"])
    assert all(levels[2].pcode_to_parent[a2] == a1 for a1, a2 in zip(both["admin1_pcode"], both["admin2_pcode"]))
    # Nothing unmatched is silent.
    bad = out[(out["admin1_method"] == "unmatched") | (out["admin2_method"] == "unmatched")]
    assert bad["issue"].notna().all()
    assert out.loc[out["admin1_method"] == "unmatched", "admin1_pcode"].isna().all()
    assert out.loc[out["admin2_method"] == "unmatched", "admin2_pcode"].isna().all()


# --------------------------------------------------------------------------- real files


def test_chad_3w_2025_codes_are_length_converted(real_snapshot, levels):
    d = _sheet(real_snapshot / OPS / "3w_tcd_avr2025.xlsx", "3W Opérationnelle", skip_rows_after_header=1)
    assert d.iloc[0]["Title"].startswith("TD")  # the HXL row is gone, data starts
    inp = _keys("TCD", a1c=d["Title"], a1n=d["Province"], a2n=d["Departement"])
    out = resolve_admin(levels, inp)
    _check_contract(out, inp, levels)
    shares = _shares(out["admin1_method"])
    print("\nTCD 3W 2025 admin1:", shares, "admin2:", _shares(out["admin2_method"]))
    assert shares.get("length_converted", 0) >= 0.95
    converted = out[out["admin1_method"] == "length_converted"]
    assert converted["admin1_pcode"].str.fullmatch(r"TCD\d{2}").all()
    assert (converted["admin1_pcode"] == "TCD" + converted["admin1_code"].str[2:]).all()
    assert "PCode length TD19->TCD19" in set(out["issue"])
    assert (out["admin2_method"] == "not_provided").all()  # Departement is empty: admin1-only file


def test_chad_3w_2021_codes_are_length_converted(real_snapshot, levels):
    d = _sheet(real_snapshot / COVID / "whowhatwhere_3w_tcd_oct2021.xlsx", "Feuil1", skip_rows_after_header=1)
    out = resolve_admin(levels, _keys("TCD", a1c=d["Pcode1"], a1n=d["Province"]))
    shares = _shares(out["admin1_method"])
    print("\nTCD 3W 2021 admin1:", shares)
    assert shares.get("length_converted", 0) >= 0.95


def test_somalia_3w_2025_codes_match_exactly(real_snapshot, levels):
    d = _sheet(real_snapshot / OPS / "3w_operational_presence_dataset_january_april_2025.xlsx", "3W_Dataset_January - April 2025")
    inp = _keys("SOM", a1c=d["RegionPcode"], a1n=d["Region"], a2c=d["DistrictPcode"], a2n=d["District"])
    out = resolve_admin(levels, inp)
    _check_contract(out, inp, levels)
    s1, s2 = _shares(out["admin1_method"]), _shares(out["admin2_method"])
    print("\nSOM 3W 2025 admin1:", s1, "admin2:", s2)
    assert s2.get("exact", 0) == 1.0
    assert s1.get("exact", 0) >= 0.99
    # Region code disagreeing with the district's region: the district wins, as in HAPI.
    moved = out[out["admin1_method"] == "from_admin2"]
    assert len(moved) > 0 and moved["issue"].str.contains(r"PCode mismatch SO\d\d->SO\d\d \(parent\)").all()
    # The provider swapped Hodan (SO2209) and Heliwa (SO2208): codes are kept, the swap is reported.
    hodan = out[(out["admin2_code"] == "SO2208") & (out["admin2_name"] == "Hodan")]
    assert len(hodan) > 0
    assert (hodan["admin2_pcode"] == "SO2208").all()
    assert hodan["issue"].str.contains("PCode mismatch SO2208 != Hodan").all()


def test_afghanistan_3w_2021_codes_match(real_snapshot, levels):
    path = real_snapshot / COVID / "whowhatwhere_afghanistan_who_does_what_where_july_to_september_2021.web app"
    d = _read_csv(path).iloc[1:]  # row 2 is the HXL row
    assert d.iloc[0]["PROV_CODE"].startswith("AF")
    inp = _keys("AFG", a1c=d["PROV_CODE"], a1n=d["PROVINCE"], a2c=d["DIST_CODE"], a2n=d["DISTRICT"])
    out = resolve_admin(levels, inp)
    _check_contract(out, inp, levels)
    s1, s2 = _shares(out["admin1_method"]), _shares(out["admin2_method"])
    print("\nAFG 3W 2021 admin1:", s1, "admin2:", s2)
    assert s1.get("exact", 0) >= 0.99
    assert s2.get("exact", 0) >= 0.99


def test_names_only_match_within_the_parent(real_snapshot, levels):
    d = _sheet(real_snapshot / OPS / "3w_operational_presence_dataset_january_april_2025.xlsx", "3W_Dataset_January - April 2025")
    by_code = resolve_admin(levels, _keys("SOM", a1c=d["RegionPcode"], a1n=d["Region"], a2c=d["DistrictPcode"], a2n=d["District"]))
    inp = _keys("SOM", a1c=d["RegionPcode"], a1n=d["Region"], a2c=None, a2n=d["District"])  # district code blanked
    out = resolve_admin(levels, inp)
    _check_contract(out, inp, levels)
    s2 = _shares(out["admin2_method"])
    print("\nSOM 3W 2025, district codes blanked, admin2:", s2)
    assert s2.get("name_matched", 0) >= 0.99
    within = out[out["issue"].str.contains("within", na=False) & (out["admin1_method"] == "exact")]
    assert (within["admin2_pcode"].map(levels[2].pcode_to_parent) == within["admin1_pcode"]).all()
    assert "Name 'Kahda' matched SO2210 within SO22" in set(out["admin2_issue"])
    # Where the provider's code and name agreed, matching by name finds the same district.
    agreed = by_code["issue"].isna()
    assert agreed.sum() > 3000
    assert (out.loc[agreed, "admin2_pcode"] == by_code.loc[agreed, "admin2_pcode"]).all()


def test_ethiopia_4w_names_and_fuzzy_guard(real_snapshot, levels):
    d = _read_csv(real_snapshot / OPS / "3w_august_2025.csv")
    d = d[d["Region"] != ""]
    out = resolve_admin(levels, _keys("ETH", a1n=d["Region"], a2n=d["Zone"]))
    s1, s2 = _shares(out["admin1_method"]), _shares(out["admin2_method"])
    print("\nETH 4W Aug 2025 (names only) admin1:", s1, "admin2:", s2)
    assert s1.get("name_matched", 0) >= 0.85
    benishangul = out[out["admin1_name"] == "Benishangul-Gumuz"]
    assert (benishangul["admin1_pcode"] == "ET06").all()
    assert benishangul["admin1_issue"].str.contains("fuzzy").all()
    # A region created after the COD's vintage must not be fuzzy-matched to a look-alike.
    south = out[out["admin1_name"] == "South Ethiopia"]
    assert len(south) and not (south["admin1_pcode"] == "ET11").any()


def test_garbage_and_edge_cases(levels):
    rows = pd.DataFrame(
        [
            ["SOM", "SO22", "Banadir", "SO9999", None],  # garbage admin2 code
            ["SOM", "XX-42", None, None, None],  # garbage admin1 code
            ["SOM", "SO22", "Banadir", "SO9999", "Kahda"],  # garbage code, good name
            ["SOM", " so22 ", None, "so2210\u00a0", None],  # case and whitespace
            ["SOM", "TD19", None, None, None],  # a Chad code in a Somali row
            ["SOM", None, None, "Unspecified", None],  # placeholder row of the p-code list
            ["TCD", "TD99", None, None, None],  # well-formed, unknown after conversion
            ["KEN", "KE01", "Nairobi", None, None],  # country not configured
            [None, None, None, None, None],
            ["ETH", "ET0101", None, None, None],  # admin2 code in the admin1 column (JIAF ETH)
            ["SOM", None, None, None, None],
        ],
        columns=KEY_COLUMNS,
    )
    out = resolve_admin(levels, rows)
    _check_contract(out, rows, levels)
    r = out.to_dict("records")
    assert (r[0]["admin2_method"], r[0]["admin2_pcode"]) == ("unmatched", None)
    assert r[0]["issue"] == "Unknown pcode SO9999"
    assert (r[1]["admin1_method"], r[1]["admin1_pcode"]) == ("unmatched", None)
    assert "Unknown pcode XX-42" in r[1]["issue"]
    assert (r[2]["admin2_method"], r[2]["admin2_pcode"]) == ("name_matched", "SO2210")
    assert "Unknown pcode SO9999" in r[2]["issue"] and "Name 'Kahda' matched SO2210 within SO22" in r[2]["issue"]
    assert (r[3]["admin1_method"], r[3]["admin1_pcode"], r[3]["admin2_method"], r[3]["admin2_pcode"]) == (
        "normalised", "SO22", "normalised", "SO2210"
    )
    assert r[4]["admin1_pcode"] is None and r[4]["admin1_method"] == "unmatched"
    assert r[5]["admin2_pcode"] is None and r[5]["admin2_method"] == "unmatched"
    assert r[6]["admin1_pcode"] is None and r[6]["issue"] == "Unknown pcode TD99"
    assert r[7]["admin1_method"] == "unmatched" and "KEN" in r[7]["issue"]
    assert (r[8]["admin1_method"], r[8]["admin2_method"], r[8]["issue"]) == ("not_provided", "not_provided", None)
    assert (r[9]["admin1_pcode"], r[9]["admin2_pcode"], r[9]["admin1_method"]) == ("ET01", "ET0101", "from_admin2")
    assert "is an admin2 p-code" in r[9]["issue"]
    assert (r[10]["admin1_method"], r[10]["admin2_method"]) == ("not_provided", "not_provided")


def test_region_name_in_the_district_column_resolves_as_the_region(levels):
    rows = pd.DataFrame(
        [
            ["SOM", "SO22", "Banadir", None, "Banadir"],  # the region's own name as its district
            ["SOM", None, None, None, "Banadir"],  # district column only
            ["SOM", None, None, "SO2299", "Banadir"],  # a bad district code, then the region's name
            ["SOM", "SO11", "Awdal", None, "Banadir"],  # another region's name: a contradiction, not resolved
            ["SOM", "SO22", "Banadir", None, "Hodan"],  # a real district is unchanged
        ],
        columns=KEY_COLUMNS,
    )
    out = resolve_admin(levels, rows)
    _check_contract(out, rows, levels)
    r = out.to_dict("records")
    for i in (0, 1, 2):
        assert (r[i]["admin1_pcode"], r[i]["admin2_pcode"], r[i]["admin2_method"]) == ("SO22", None, "region_name")
        assert "Admin2 name 'Banadir' is the name of admin1 SO22: resolved as that region" in r[i]["admin2_issue"]
    assert r[2]["admin2_issue"].startswith("Unknown pcode SO2299")
    assert (r[3]["admin1_pcode"], r[3]["admin2_pcode"], r[3]["admin2_method"]) == ("SO11", None, "unmatched")
    assert (r[4]["admin2_pcode"], r[4]["admin2_method"]) == ("SO2209", "name_matched")


def test_two_language_names_match_by_either_part(levels):
    rows = pd.DataFrame(
        [
            ["AFG", None, "Kaboul / Kabul", None, None],
            ["AFG", None, "Kabul", None, "Paghman | پغمان"],  # Latin and Dari
            ["SOM", None, "Banadir / Awdal", None, None],  # two different regions: no guess
        ],
        columns=KEY_COLUMNS,
    )
    out = resolve_admin(levels, rows)
    _check_contract(out, rows, levels)
    r = out.to_dict("records")
    assert (r[0]["admin1_pcode"], r[0]["admin1_method"]) == ("AF01", "name_matched")
    assert "by its part 'Kabul'" in r[0]["admin1_issue"]
    assert (r[1]["admin2_pcode"], r[1]["admin2_method"]) == ("AF0102", "name_matched")
    assert r[2]["admin1_pcode"] is None and r[2]["admin1_method"] == "unmatched"


def test_input_order_and_duplicates_are_kept(levels):
    rows = pd.DataFrame(
        [["TCD", "TD19", None, None, None], ["SOM", "SO22", None, None, None], ["TCD", "TD19", None, None, None]],
        columns=KEY_COLUMNS,
        index=[10, 20, 30],
    )
    out = resolve_admin(levels, rows)
    assert list(out["admin1_pcode"]) == ["TCD19", "SO22", "TCD19"]


# --------------------------------------------------------------------------- warehouse (synthetic, always runs)

# Invented admin units in the TCD code format (ISO3-prefixed, 3+2+2): not copied from any file.
_UNITS = [
    ("TCD", "1", "TCD01", "Alpha", "TCD"),
    ("TCD", "1", "TCD02", "Bravo Nord", "TCD"),
    ("TCD", "2", "TCD0101", "Alpha Centre", "TCD01"),
    ("TCD", "2", "TCD0102", "Delta", "TCD01"),
    ("TCD", "2", "TCD0201", "Echo", "TCD02"),
    ("MLI", "1", "ML01", "Kilo", "MLI"),
]
_LENGTHS = [("TCD", "3", "2", "2"), ("MLI", "2", "2", "2")]


def _make_raw(con: duckdb.DuckDBPyConnection) -> None:
    """The raw contract tables (as ingest creates them) with a few invented rows."""
    from pipelines.lib.warehouse import ensure_raw_schema

    ensure_raw_schema(con)
    con.executemany(
        "insert into raw.pcodes (location, admin_level, p_code, name, parent_p_code, valid_from_date, _source_key, "
        "_partition) values (?, ?, ?, ?, ?, '2020-01-01', 'pcodes', 'all')",
        _UNITS,
    )
    con.executemany(
        "insert into raw.pcode_lengths (location, country_length, admin_1_length, admin_2_length) values (?, ?, ?, ?)",
        _LENGTHS,
    )
    con.executemany(
        "insert into raw.presence (country_code, admin1_code, admin1_name, admin2_code, admin2_name, org_name, sector, "
        "_row_number, _partition) values (?, ?, ?, ?, ?, 'Org', 'Santé', ?, 'TCD')",
        [
            ["TCD", "TD01", "Alpha", None, None, "1"],
            ["TCD", "TD01", "Alpha", None, None, "2"],  # duplicate key: one lookup row
            ["TCD", "TD01", "Alpha", "", None, "3"],  # '' and NULL give the same key
            ["TCD", None, "Alpha", None, "Delta", "4"],  # names only
            ["TCD", "TD77", None, None, None, "5"],  # unknown
            ["MLI", "ML01", None, None, None, "6"],  # not a configured country: kept, unmatched
        ],
    )
    con.executemany(
        "insert into raw.hno_hpc (country_iso3, admin_1_pcode, admin_1_name, admin_2_pcode, admin_2_name, cluster, "
        "in_need, _row_number) values (?, ?, ?, ?, ?, 'ALL', '10', ?)",
        [["TCD", None, None, None, None, "1"], ["TCD", None, None, "TCD0201", "Echo", "2"],
         ["TCD", "TCD01", "Alpha", None, None, "3"]],
    )
    # No country column: the partition is the country.
    con.execute(
        "insert into raw.drought_needs (location_admin3_pcode, location_woreda, location_zone, location_admin2_pcode, "
        "location_region, location_admin1_pcode, _row_number, _partition) "
        "values ('TCD010101', 'W', 'Delta', 'TCD0102', 'Alpha', 'TCD01', '1', 'TCD')"
    )
    for table in ("presence", "hno_hpc", "drought_needs"):  # the lineage staging requires
        con.execute(f"update raw.{table} set _dataset_id = 'test', _source_file = 'test.csv', _source_key = '{table}'")


# The config's admin-name exceptions reach the Python model as a dbt var: this mapping resolves row 7.
_ADMIN_NAMES = {"admin1": {"admin_name_mappings": {"TCD|Ouaddai Est": "TCD02"}}}


@pytest.fixture(scope="module")
def keyed_warehouse(tmp_path_factory) -> Path:
    """The synthetic raw layer with the admin lookup built by dbt (int_admin_keys, then the Python models
    int_admin_lookup and int_admin_units), with TCD as the config's only country, as a refresh passes it."""
    import json
    import os
    import subprocess
    import sys

    from pipelines.lib.paths import DBT_PROJECT_DIR

    work = tmp_path_factory.mktemp("keyed_warehouse")
    path = work / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        _make_raw(con)
        con.execute("insert into raw.presence (country_code, admin1_name, org_name, sector, _row_number, _partition, "
                    "_dataset_id, _source_file, _source_key) "
                    "values ('TCD', 'Ouaddai Est', 'Org', 'Santé', '7', 'TCD', 'test', 'test.csv', 'presence')")
    env = {**os.environ, "CLUSTERWATCH_WAREHOUSE": str(path), "DBT_TARGET_PATH": str(work / "target"),
           "DBT_LOG_PATH": str(work / "logs"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = Path(sys.executable).parent / "dbt"
    proc = subprocess.run(
        [str(dbt), "build", "--select", "+int_admin_lookup +int_admin_units", "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--vars", json.dumps({"countries": ["TCD"], "admin_names": _ADMIN_NAMES})],
        env=env, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return path


@pytest.fixture
def warehouse(keyed_warehouse) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(keyed_warehouse), read_only=True)
    yield con
    con.close()


def test_every_staging_key_gets_exactly_one_lookup_row(warehouse):
    """The tie between the key's one definition (dbt macro admin_key_columns) and the resolver."""
    con = warehouse
    per_source = dict(con.execute("select source_table, count(*) from intermediate.int_admin_lookup group by all").fetchall())
    assert per_source == {"drought_needs": 1, "hno_hpc": 3, "presence": 5}
    # every key of int_admin_keys has its row, and nothing else is in the lookup
    assert con.execute(
        "select count(*) from intermediate.int_admin_keys k full join intermediate.int_admin_lookup l "
        "using (source_table, lookup_key) where k.lookup_key is null or l.lookup_key is null"
    ).fetchone() == (0,)
    # every staging row, whatever its source, finds exactly one lookup row on its admin_lookup_key
    for table, model, n_rows in (("presence", "stg_hdx__presence", 7), ("hno_hpc", "stg_hno__needs", 3),
                                 ("drought_needs", "stg_drought__needs", 1)):
        matches = con.execute(
            f"select count(l.lookup_key) from staging.{model} s left join intermediate.int_admin_lookup l "
            f"on l.source_table = '{table}' and l.lookup_key = s.admin_lookup_key group by s._row_number"
        ).fetchall()
        assert sorted(matches) == [(1,)] * n_rows, (table, matches)


def test_admin_lookup_model(warehouse):
    con = warehouse
    cols = con.execute("select column_name, data_type from information_schema.columns "
                       "where table_name = 'int_admin_lookup' order by ordinal_position").fetchall()
    assert cols == [(c, "VARCHAR") for c in ["source_table", "lookup_key", *KEY_COLUMNS, *pc.RESULT_COLUMNS]]
    joined = con.execute(
        """
        select p._row_number, l.admin1_pcode, l.admin2_pcode, l.admin1_method, l.admin2_method, l.issue
        from staging.stg_hdx__presence p
        left join intermediate.int_admin_lookup l on l.source_table = 'presence' and l.lookup_key = p.admin_lookup_key
        where p.country_code = 'TCD'
        order by p._row_number
        """
    ).fetchall()
    assert [r[0] for r in joined] == [1, 2, 3, 4, 5, 7]
    assert joined[0][1:5] == ("TCD01", None, "length_converted", "not_provided")
    assert joined[2][1:5] == ("TCD01", None, "length_converted", "not_provided")
    assert joined[3][1:5] == ("TCD01", "TCD0102", "name_matched", "name_matched")
    assert joined[4][1] is None and joined[4][3] == "unmatched" and joined[4][5] == "Unknown pcode TD77"
    # the admin-name mapping of the var, not of the packaged admin_names.yaml
    assert joined[5][1:4] == ("TCD02", None, "name_matched") and "admin_name_mappings" in joined[5][5]
    mli = con.execute(
        "select admin1_pcode, admin1_method, issue from intermediate.int_admin_lookup where country_code = 'MLI'"
    ).fetchall()
    assert mli == [(None, "unmatched", "No COD p-codes loaded for country MLI")]

    hno = con.execute(
        "select admin1_code, admin2_code, admin1_pcode, admin2_pcode, admin1_method, admin2_method "
        "from intermediate.int_admin_lookup where source_table = 'hno_hpc'"
    ).fetchall()
    assert set(hno) == {
        (None, None, None, None, "not_provided", "not_provided"),  # the national row
        (None, "TCD0201", "TCD02", "TCD0201", "from_admin2", "exact"),  # admin1 from the admin2's parent
        ("TCD01", None, "TCD01", None, "exact", "not_provided"),
    }
    drought = con.execute(
        "select lookup_key, admin1_pcode, admin2_pcode, admin2_method from intermediate.int_admin_lookup "
        "where source_table = 'drought_needs'"
    ).fetchall()
    # No country column: the partition is the country, and the key uses it.
    assert drought == [("TCD|TCD01|Alpha|TCD0102|Delta", "TCD01", "TCD0102", "exact")]

    units = con.execute("select * from intermediate.int_admin_units order by admin_level, pcode").fetchall()
    assert units[0] == ("TCD", 1, "TCD01", "Alpha", None)
    assert ("TCD", 2, "TCD0102", "Delta", "TCD01") in units
    assert all(u[0] == "TCD" for u in units)  # the config's countries only: MLI's unit is not there


def test_countries_in_scope_are_iso3_codes():
    from pipelines.lib.pcode_lookup import in_scope

    rel = duckdb.sql("select 'TCD' as location union all select ' tcd ' union all select 'MLI'")
    assert sorted(in_scope(rel, ["tcd"]).fetchall()) == [(" tcd ",), ("TCD",)]
    assert len(in_scope(rel, []).fetchall()) == 3  # no countries: all
    with pytest.raises(ValueError, match="ISO3"):
        in_scope(rel, ["TCD') or (1=1"])


def _synthetic_levels(names):
    pcodes = pd.DataFrame(_UNITS, columns=["location", "admin_level", "p_code", "name", "parent_p_code"])
    lengths = pd.DataFrame(_LENGTHS, columns=["location", "country_length", "admin_1_length", "admin_2_length"])
    return build_admin_levels(pcodes, lengths, ["TCD"], names)


def test_configured_admin_names_reach_adminlevel(tmp_path):
    """Mappings, do-not-fuzzy names and keep words come from YAML; AdminLevel gets them as its own parameters."""
    from pipelines.lib.config import load_admin_names

    rules = tmp_path / "admin_names.yaml"
    rules.write_text(
        "admin1:\n  admin_name_mappings: {'TCD|Ouaddai Est': TCD02}\n"
        "admin2:\n  admin_fuzzy_dont: ['TCD01|deltaa']\n"
        "fuzzy_keep_words: [nord, sud]\n",
        encoding="utf-8",
    )
    names = load_admin_names(rules)
    rows = pd.DataFrame(
        [["TCD", None, "Ouaddai Est", None, None], ["TCD", "TCD01", None, None, "Deltaa"],
         ["TCD", None, "Bravo", None, None]],
        columns=KEY_COLUMNS,
    )
    plain = resolve_admin(_synthetic_levels(None), rows, names=type(names)())
    configured = resolve_admin(_synthetic_levels(names), rows, names=names)

    # a mapping turns an unknown name into its p-code
    assert plain.loc[0, "admin1_pcode"] is None
    assert configured.loc[0, ["admin1_pcode", "admin1_method"]].tolist() == ["TCD02", "name_matched"]
    assert "admin_name_mappings" in configured.loc[0, "admin1_issue"]
    # admin_fuzzy_dont (AdminLevel's own list) stops a fuzzy match that would otherwise be made
    assert plain.loc[1, "admin2_pcode"] == "TCD0102"
    assert configured.loc[1, "admin2_pcode"] is None
    assert configured.loc[1, "admin2_issue"] == "Unknown admin2 name 'Deltaa' within TCD01 (not fuzzy-matched: admin_fuzzy_dont)"
    # a keep word may not be dropped by a fuzzy match: "Bravo" is not "Bravo Nord"
    assert plain.loc[2, "admin1_pcode"] == "TCD02"
    assert configured.loc[2, "admin1_pcode"] is None
    assert "closest COD name 'Bravo Nord' rejected" in configured.loc[2, "admin1_issue"]


def test_admin_names_errors_name_the_entry(tmp_path):
    from pipelines.lib.config import ConfigError, load_admin_names

    bad = tmp_path / "admin_names.yaml"
    bad.write_text("admin1:\n  admin_fuzy_dont: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"admin1\.admin_fuzy_dont"):
        load_admin_names(bad)
    bad.write_text("admin2:\n  admin_name_mappings: {Nowhere: TCD99}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"admin2\.admin_name_mappings\['Nowhere'\]: 'TCD99' is not an admin2 p-code"):
        _synthetic_levels(load_admin_names(bad))


def test_a_config_naming_a_broken_admin_names_file_does_not_load(tmp_path):
    import yaml

    from pipelines.lib.config import ConfigError, load_config
    from pipelines.lib.paths import CONFIG_DIR

    cfg = yaml.safe_load((CONFIG_DIR / "sample.yaml").read_text(encoding="utf-8"))
    cfg.pop("snapshot", None)
    (tmp_path / "names.yaml").write_text("fuzzy_keep_words: north\n", encoding="utf-8")
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump({**cfg, "admin_names": "names.yaml"}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"names\.yaml: invalid configuration\n  - fuzzy_keep_words"):
        load_config(tmp_path / "cfg.yaml")
    (tmp_path / "names.yaml").write_text("fuzzy_keep_words: [north]\n", encoding="utf-8")
    assert load_config(tmp_path / "cfg.yaml").admin_name_rules().fuzzy_keep_words == ["north"]


def test_packaged_admin_names_load():
    from pipelines.lib.config import default_admin_names

    names = default_admin_names()
    assert {"south", "east", "nord"} <= set(names.fuzzy_keep_words)


def test_resolve_lookup_on_real_files(real_snapshot, pcode_tables, no_network):
    """raw.pcodes built from the real list; keys from the real Chad and Somalia 3W."""
    pcodes, lengths = pcode_tables
    tcd = _sheet(real_snapshot / OPS / "3w_tcd_avr2025.xlsx", "3W Opérationnelle", skip_rows_after_header=1)
    som = _sheet(real_snapshot / OPS / "3w_operational_presence_dataset_january_april_2025.xlsx", "3W_Dataset_January - April 2025")
    presence = pd.concat(
        [
            _keys("TCD", a1c=tcd["Title"], a1n=tcd["Province"]),
            _keys("SOM", a1c=som["RegionPcode"], a1n=som["Region"], a2c=som["DistrictPcode"], a2n=som["District"]),
        ]
    ).astype(object)
    presence = presence.where(presence.notna() & (presence != ""), None).drop_duplicates()
    # int_admin_keys as dbt would list them (the key's text does not matter to the resolver)
    presence.insert(0, "source_table", "presence")
    presence.insert(1, "lookup_key", ["|".join(v or "" for v in r) for r in presence[KEY_COLUMNS].itertuples(index=False)])
    con = duckdb.connect()
    con.register("p", pcodes)
    con.register("l", lengths)
    lookup, result = resolve_lookup(presence, in_scope(con.table("p"), ["TCD", "SOM"]).df(),
                                    in_scope(con.table("l"), ["TCD", "SOM"]).df(), ["TCD", "SOM"], None)
    con.register("lookup", lookup)
    con.register("units", units_table(in_scope(con.table("p"), ["TCD", "SOM"]).df()))
    print("\nreal admin_lookup:", result["admin1"], result["admin2"])
    assert result["sources"]["presence"] == 23 + 100
    unmatched = con.execute(
        "select count(*) from lookup where admin1_pcode is null"
    ).fetchone()[0]
    assert unmatched == 0
    n_units = con.execute("select count(*) from units").fetchone()[0]
    assert n_units == 23 + 70 + 18 + 90  # TCD adm1+adm2, SOM adm1+adm2 (without the 'Unspecified' row)
