"""The corpus cases that reach a publication (publish_cases.py), in one refresh of a damaged copy of the sample
after the session's clean refresh of it (conftest.sample_baseline); each case's declared outcome is asserted.

Affordable by design: two sample refreshes per session for every publish-level case, instead of one each.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from tests.corpus.publish_cases import (
    DUPLICATED_HNO_ROW, FLOWS, HNO, PUBLISH_CASES, SERIAL_DATE, XBO_3W, PublishCase,
)
from tests.corpus.published import published_tree, unsafe_cells

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def damaged(sample_baseline, tmp_path_factory) -> SimpleNamespace:
    """The baseline's data dir copied (without its Dagster history), every case applied to a copy of the sample,
    then one refresh from it."""
    from tests.test_quality import refresh

    work = tmp_path_factory.mktemp("corpus_publish")
    data = work / "data"
    shutil.copytree(sample_baseline, data, symlinks=True,  # published/current is a symlink to a version
                    ignore=shutil.ignore_patterns("dagster", "logs", "dbt", "duckdb_tmp", "*.lock"))
    snap = work / "snap"
    shutil.copytree(sample_baseline / "sample-snapshot", snap)
    for case in PUBLISH_CASES:
        case.damage(snap)
    code, out = refresh(data, "--snapshot", str(snap), full=True)
    return SimpleNamespace(code=code, out=out, data=data, baseline=sample_baseline, snap=snap)


def _cells(data: Path) -> list[tuple[str, str]]:
    out = []
    for path in sorted((data / "published").glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as f:
            out += [(path.name, cell) for row in csv.reader(f) for cell in row]
    return out


def _query(data: Path, sql: str, params=()) -> list[tuple]:
    with duckdb.connect(str(data / "published" / "clusterwatch.duckdb"), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def _tables_with_country(data: Path) -> list[str]:
    return [t for (t,) in _query(data, "select distinct table_name from information_schema.columns "
                                       "where column_name = 'country_code' and table_name <> 'quality_issues'")]


def test_the_refresh_is_partial_and_says_which_country_file_and_why(damaged):
    assert damaged.code == 3, damaged.out[-4000:]
    out = damaged.out
    assert "refresh PARTIAL" in out and "Traceback" not in out
    warning = next(line for line in out.splitlines() if line.startswith("warning:") and "XBO" in line)
    assert Path(XBO_3W).name in out and "HTML page" in out, warning


def test_the_failed_country_keeps_its_last_good_published_rows(damaged):
    tables = _tables_with_country(damaged.baseline)
    assert tables
    for table in tables:
        sql = f'select * from "{table}" where country_code = ? order by all'
        assert _query(damaged.data, sql, ["XBO"]) == _query(damaged.baseline, sql, ["XBO"]), table
    assert any(_query(damaged.baseline, f'select count(*) from "{t}" where country_code = ?', ["XBO"])[0][0]
               for t in tables)


def test_the_failed_file_is_a_quality_issue(damaged):
    rows = _query(damaged.data, "select country_code, file, issue, severity from quality_issues "
                                "where issue_code = 'source_failed'")
    assert [(c, f, s) for c, f, _, s in rows] == [("XBO", Path(XBO_3W).name, "error")]
    assert "HTML page" in rows[0][2] and "the marts use the rows loaded" in rows[0][2]


def test_status_says_the_refresh_was_partial(damaged):
    env = {**os.environ, "CLUSTERWATCH_DATA_DIR": str(damaged.data)}
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "status"], env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 1 and "PARTIAL" in done.stdout and "XBO" in done.stdout, done.stdout + done.stderr
    js = subprocess.run([sys.executable, "-m", "pipelines.cli", "status", "--json"], env=env, capture_output=True,
                        text=True, timeout=600)
    assert any(p.startswith("partial: the sources of XBO") for p in json.loads(js.stdout)["problems"])


def test_no_published_cell_starts_a_formula_or_holds_personal_data(damaged):
    assert unsafe_cells(damaged.baseline) == []
    assert unsafe_cells(damaged.data) == []


@pytest.mark.parametrize("case", [c for c in PUBLISH_CASES if c.outcome == "neutralised"], ids=lambda c: c.id)
def test_formula_names_are_published_neutralised(case: PublishCase, damaged):
    cells = [cell for _, cell in _cells(damaged.data)]
    assert any(case.value[1:] in cell for cell in cells), f"{case.value!r} is not in any published CSV"
    assert not any(cell.startswith(case.value) for cell in cells)


@pytest.mark.parametrize("case", [c for c in PUBLISH_CASES if c.outcome == "scrubbed"], ids=lambda c: c.id)
def test_personal_data_is_not_published(case: PublishCase, damaged):
    cells = [cell for _, cell in _cells(damaged.data)]
    assert not any("ali.hassan" in cell or "5123456" in cell for cell in cells)
    with open(damaged.snap / case.file, encoding="utf-8-sig", newline="") as f:
        (row,) = [n for n, r in enumerate(csv.reader(f), start=1) if case.value in r]
    issues = _query(damaged.data, "select field, value from quality_issues where issue_code = 'personal_data_removed' "
                                  "and file = ? and \"row\" = ?", [Path(case.file).name, row])
    assert issues and all("ali.hassan" not in v and "5123456" not in v for _, v in issues), issues


COUNT_CODES = {"negative", "not_finite", "ambiguous_separator", "non_numeric"}  # int_quality_issues__needs


def _hno_row(damaged, where) -> int:
    """The row number (1 = the header) of the one line of the damaged HNO file matching where(cells)."""
    with open(damaged.snap / HNO, encoding="utf-8-sig", newline="") as f:
        lines = list(csv.reader(f))
    (row,) = [n for n, r in enumerate(lines, start=1) if n > 1 and where(lines[0], r)]
    return row


@pytest.mark.parametrize("case", [c for c in PUBLISH_CASES if c.outcome == "quarantine" and c.file == HNO and c.value],
                         ids=lambda c: c.id)
def test_bad_figures_are_left_out_and_reported(case: PublishCase, damaged):
    row = _hno_row(damaged, lambda header, r: r[header.index("In Need")] == case.value)
    rows = _query(damaged.data, "select file, \"row\", field, issue_code, severity from quality_issues "
                                "where value = ?", [case.value])
    assert [(f, n, fld, s) for f, n, fld, code, s in rows if code in COUNT_CODES] == \
        [(Path(HNO).name, row, "in_need", "error")], rows


def test_an_excel_serial_date_is_reported_and_never_published_as_a_date(damaged):
    with open(damaged.snap / FLOWS, encoding="utf-8-sig", newline="") as f:
        lines = list(csv.reader(f))
    (row,) = [n for n, r in enumerate(lines, start=1) if r[lines[0].index("date")] == SERIAL_DATE]
    flow_id = int(lines[row - 1][lines[0].index("id")])
    issues = _query(damaged.data, "select file, \"row\", field, issue_code, severity from quality_issues "
                                  "where value = ?", [SERIAL_DATE])
    assert (Path(FLOWS).name, row, "date", "unreadable_date", "warning") in issues, issues
    assert _query(damaged.data, "select date from funding_flows where flow_id = ?", [flow_id]) == [(None,)]


def test_a_repeated_row_is_counted_once_and_reported(damaged):
    with open(damaged.snap / HNO, encoding="utf-8-sig", newline="") as f:
        copies = [n for n, line in enumerate(f, start=1) if line.startswith(DUPLICATED_HNO_ROW)]
    assert len(copies) == 2
    rows = _query(damaged.data, "select \"row\", issue_code, severity from quality_issues where file = ? "
                                "and issue_code like 'duplicate%'", [Path(HNO).name])
    assert (copies[1], "duplicate_row", "warning") in rows, rows
    assert not any(code == "duplicate_conflict" for _, code, _ in rows)


def _manifest(data: Path) -> dict:
    return json.loads((data / "published" / "manifest.json").read_text(encoding="utf-8"))


def test_a_blocked_table_keeps_its_published_files_byte_identical(damaged):
    before, after = _manifest(damaged.baseline), _manifest(damaged.data)
    blocked = [t for t, e in after["tables"].items() if e["status"] != "published"]
    old, new = published_tree(damaged.baseline), published_tree(damaged.data)
    for table in blocked:
        assert after["tables"][table]["version"] == before["tables"][table]["version"], table
        files = [f for f in old if f.startswith(f"{table}.") or f"/{table}/" in f]
        assert files and all(new.get(f) == old[f] for f in files), table
