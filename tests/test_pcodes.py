"""P-code normalisation (pipelines/lib/pcodes.py) on the real 3W files and on a small warehouse.

The real-data tests read the provider files directly (not through the raw loader) and skip when
../shared/hdx-snapshot is absent. Shares are printed (pytest -s) so they can be tracked.
"""
from __future__ import annotations

import socket

import duckdb
import pandas as pd
import pytest

from pipelines.lib import pcodes as pc
from pipelines.lib.pcodes import KEY_COLUMNS, METHODS, build_admin_levels, resolve_admin, write_admin_lookup

COUNTRIES = ["AFG", "COD", "ETH", "SDN", "SOM", "SSD", "TCD"]
OPS = "OCHA-DAP__hdx-scraper-operationalpresence/tests/fixtures/input"
COVID = "OCHA-DAP__hdx-scraper-covid-viz/tests/fixtures/input"


def _snake_columns(df: pd.DataFrame) -> pd.DataFrame:
    # raw.pcodes / raw.pcode_lengths carry snake_cased headers; mimic that.
    return df.rename(columns=pc._snake)


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
    con.execute("create schema raw")
    con.execute(
        "create table raw.pcodes (location varchar, admin_level varchar, p_code varchar, name varchar, "
        "parent_p_code varchar, valid_from_date varchar, _source_key varchar, _partition varchar)"
    )
    con.executemany("insert into raw.pcodes values (?, ?, ?, ?, ?, '2020-01-01', 'pcodes', 'all')", _UNITS)
    con.execute(
        "create table raw.pcode_lengths (location varchar, country_length varchar, admin_1_length varchar, "
        "admin_2_length varchar, admin_3_length varchar, admin_4_length varchar, admin_5_length varchar)"
    )
    con.executemany("insert into raw.pcode_lengths values (?, ?, ?, ?, NULL, NULL, NULL)", _LENGTHS)
    con.execute(
        "create table raw.presence (country_code varchar, admin1_code varchar, admin1_name varchar, "
        "admin2_code varchar, admin2_name varchar, org_name varchar, sector varchar, _row_number varchar, "
        "_partition varchar)"
    )
    con.executemany(
        "insert into raw.presence values (?, ?, ?, ?, ?, 'Org', 'Santé', ?, 'TCD')",
        [
            ["TCD", "TD01", "Alpha", None, None, "1"],
            ["TCD", "TD01", "Alpha", None, None, "2"],  # duplicate key: one lookup row
            ["TCD", "TD01", "Alpha", "", None, "3"],  # '' and NULL give the same key
            ["TCD", None, "Alpha", None, "Delta", "4"],  # names only
            ["TCD", "TD77", None, None, None, "5"],  # unknown
            ["MLI", "ML01", None, None, None, "6"],  # not a configured country: kept, unmatched
        ],
    )
    con.execute(
        "create table raw.hno_hpc (country_iso3 varchar, admin_1_pcode varchar, admin_1_name varchar, "
        "admin_2_pcode varchar, admin_2_name varchar, cluster varchar, in_need varchar)"
    )
    con.executemany(
        "insert into raw.hno_hpc values (?, ?, ?, ?, ?, 'ALL', '10')",
        [["TCD", None, None, None, None], ["TCD", None, None, "TCD0201", "Echo"], ["TCD", "TCD01", "Alpha", None, None]],
    )
    con.execute(
        "create table raw.drought_needs (location_admin3_pcode varchar, location_woreda varchar, "
        "location_zone varchar, location_admin2_pcode varchar, location_region varchar, "
        "location_admin1_pcode varchar, health_affected varchar, _partition varchar)"
    )
    con.execute("insert into raw.drought_needs values ('TCD010101', 'W', 'Delta', 'TCD0102', 'Alpha', 'TCD01', '5', 'TCD')")


def test_write_admin_lookup(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    _make_raw(con)
    result = write_admin_lookup(con, ["TCD"])

    assert result["sources"] == {"presence": 4, "hno_hpc": 3, "drought_needs": 1}
    assert result["keys"] == 8
    assert result["admin1"]["length_converted"] == 1
    assert set(result["key_sql"]) == {"presence", "hno_hpc", "drought_needs"}
    cols = [r[0] for r in con.execute("describe normalised.admin_lookup").fetchall()]
    assert cols == ["source_table", "lookup_key", *KEY_COLUMNS, *pc.RESULT_COLUMNS]
    # one row per (source_table, lookup_key)
    assert con.execute(
        "select count(*) from (select source_table, lookup_key from normalised.admin_lookup group by all having count(*) > 1)"
    ).fetchone() == (0,)

    # The documented dbt join: every raw row finds exactly one lookup row.
    assert pc.lookup_key_sql({f: f for f in KEY_COLUMNS}) == result["key_sql"]["presence"].replace('"', "")
    key = pc.lookup_key_sql({f: f"p.{f}" for f in KEY_COLUMNS})  # qualified: admin_lookup has the same names
    joined = con.execute(
        f"""
        select p._row_number, l.admin1_pcode, l.admin2_pcode, l.admin1_method, l.admin2_method, l.issue
        from raw.presence p
        left join normalised.admin_lookup l on l.source_table = 'presence' and l.lookup_key = {key}
        where p.country_code = 'TCD'
        order by p._row_number
        """
    ).fetchall()
    assert [r[0] for r in joined] == ["1", "2", "3", "4", "5"]
    assert joined[0][1:5] == ("TCD01", None, "length_converted", "not_provided")
    assert joined[2][1:5] == ("TCD01", None, "length_converted", "not_provided")
    assert joined[3][1:5] == ("TCD01", "TCD0102", "name_matched", "name_matched")
    assert joined[4][1] is None and joined[4][3] == "unmatched" and joined[4][5] == "Unknown pcode TD77"
    mli = con.execute(
        "select admin1_pcode, admin1_method, issue from normalised.admin_lookup where country_code = 'MLI'"
    ).fetchall()
    assert mli == [(None, "unmatched", "No COD p-codes loaded for country MLI")]

    hno = con.execute(
        "select admin1_code, admin2_code, admin1_pcode, admin2_pcode, admin1_method, admin2_method "
        "from normalised.admin_lookup where source_table = 'hno_hpc'"
    ).fetchall()
    assert set(hno) == {
        (None, None, None, None, "not_provided", "not_provided"),  # the national row
        (None, "TCD0201", "TCD02", "TCD0201", "from_admin2", "exact"),  # admin1 from the admin2's parent
        ("TCD01", None, "TCD01", None, "exact", "not_provided"),
    }
    drought = con.execute(
        "select lookup_key, admin1_pcode, admin2_pcode, admin2_method from normalised.admin_lookup "
        "where source_table = 'drought_needs'"
    ).fetchall()
    # No country column: the partition is the country, and the key uses it.
    assert drought == [("TCD|TCD01|Alpha|TCD0102|Delta", "TCD01", "TCD0102", "exact")]

    units = con.execute("select * from normalised.admin_units order by admin_level, pcode").fetchall()
    assert units[0] == ("TCD", 1, "TCD01", "Alpha", None)
    assert ("TCD", 2, "TCD0102", "Delta", "TCD01") in units
    assert all(u[0] == "TCD" for u in units)


def test_write_admin_lookup_is_atomic(tmp_path, monkeypatch):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    _make_raw(con)
    write_admin_lookup(con, ["TCD"])
    before = con.execute("select count(*) from normalised.admin_lookup").fetchone()

    def broken(_pcodes):
        raise RuntimeError("boom")

    con.execute("insert into raw.presence values ('TCD', 'TCD02', NULL, NULL, NULL, 'Org', 'x', '9', 'TCD')")
    monkeypatch.setattr(pc, "_admin_units", broken)
    with pytest.raises(RuntimeError):
        write_admin_lookup(con, ["TCD"])
    assert con.execute("select count(*) from normalised.admin_lookup").fetchone() == before

    # A failure inside the transaction rolls back the first table too.
    monkeypatch.undo()

    class Flaky:
        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def execute(self, sql, *args):
            if "normalised.admin_units" in sql:
                raise RuntimeError("disk full")
            return self.inner.execute(sql, *args)

    with pytest.raises(RuntimeError, match="disk full"):
        write_admin_lookup(Flaky(con), ["TCD"])
    assert con.execute("select count(*) from normalised.admin_lookup").fetchone() == before


def test_write_admin_lookup_on_real_files(real_snapshot, pcode_tables, tmp_path, no_network):
    """raw.pcodes built from the real list; keys from the real Chad and Somalia 3W."""
    pcodes, lengths = pcode_tables
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema raw")
    con.register("p", pcodes)
    con.register("l", lengths)
    con.execute("create table raw.pcodes as select * from p")
    con.execute("create table raw.pcode_lengths as select * from l")
    tcd = _sheet(real_snapshot / OPS / "3w_tcd_avr2025.xlsx", "3W Opérationnelle", skip_rows_after_header=1)
    som = _sheet(real_snapshot / OPS / "3w_operational_presence_dataset_january_april_2025.xlsx", "3W_Dataset_January - April 2025")
    presence = pd.concat(
        [
            _keys("TCD", a1c=tcd["Title"], a1n=tcd["Province"]),
            _keys("SOM", a1c=som["RegionPcode"], a1n=som["Region"], a2c=som["DistrictPcode"], a2n=som["District"]),
        ]
    ).astype(object)
    presence = presence.where(presence.notna() & (presence != ""), None)
    con.register("k", presence)
    con.execute("create table raw.presence as select * from k")
    result = write_admin_lookup(con, ["TCD", "SOM"])
    print("\nreal admin_lookup:", result["admin1"], result["admin2"])
    assert result["sources"]["presence"] == 23 + 100
    unmatched = con.execute(
        "select count(*) from normalised.admin_lookup where admin1_pcode is null"
    ).fetchone()[0]
    assert unmatched == 0
    n_units = con.execute("select count(*) from normalised.admin_units").fetchone()[0]
    assert n_units == 23 + 70 + 18 + 90  # TCD adm1+adm2, SOM adm1+adm2 (without the 'Unspecified' row)
