"""Published CSV cells never start a spreadsheet formula; parquet keeps every value as it is (OWASP)."""
from __future__ import annotations

import csv

import duckdb

from pipelines.publish.export import FORMULA_PREFIXES, csv_safe_select

EVIL = ["=cmd|' /C calc'!A0", "@SUM(A1:A9)", "+33 1 40 00", "-2+3", "\tTAB", "\rCR", "Plain NGO", "a=b", None]


def test_formula_prefixes_are_neutralised_in_csv_only(tmp_path):
    con = duckdb.connect()
    parquet = tmp_path / "t.parquet"
    con.execute("create table t as select unnest($v::varchar[]) as partner, -5 as n", {"v": EVIL})
    con.execute(f"copy t to '{parquet}' (format parquet)")
    out = tmp_path / "t.csv"
    con.execute(f"copy (select {csv_safe_select(con, parquet)} from read_parquet('{parquet}')) to '{out}' (format csv)")
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    cells = [r["partner"] for r in rows]
    for value, cell in zip(EVIL, cells):
        if value and value.startswith(FORMULA_PREFIXES):
            assert cell == "'" + value
        else:
            assert cell == (value or "")
    assert all(r["n"] == "-5" for r in rows)  # numbers are data, not text: left alone
    kept = [r[0] for r in con.execute(f"select partner from read_parquet('{parquet}')").fetchall()]
    assert kept == EVIL
