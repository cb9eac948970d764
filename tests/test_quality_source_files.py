"""The quality report's section per source file (pipelines/quality/source_files.py), on a small warehouse
whose rows are written here, so every count below is known: rows read, loaded, excluded by reason; issues by
severity with their values; failing rows naming file and dataset; warnings styled apart from errors."""
from __future__ import annotations

import duckdb

from pipelines.quality import source_files
from pipelines.quality.report import render_html


def _warehouse(path):
    con = duckdb.connect(str(path))
    con.execute("create schema intermediate; create schema marts")
    con.execute("""create table intermediate.int_presence as select * from (values
        ('bdi', 'ds-bdi', 'bdi.xlsx', 'BDI', null),
        ('bdi', 'ds-bdi', 'bdi.xlsx', 'BDI', null),
        ('bdi', 'ds-bdi', 'bdi.xlsx', 'BDI', 'unknown_sector'),
        ('bdi', 'ds-bdi', 'bdi.xlsx', 'BDI', 'unknown_sector'),
        ('bdi', 'ds-bdi', 'bdi.xlsx', 'BDI', 'duplicate_row'),
        ('som', 'ds-som', 'som.csv', 'SOM', null),
        ('som', 'ds-som', 'som.csv', 'SOM', null)
        ) as t(source_key, dataset_id, source_file, country_code, exclusion_reason)""")
    con.execute("""create table intermediate.int_coverage__presence as select * from (values
        ('som', true), ('som', false)) as t(source_key, at_coverage_level)""")
    con.execute("""create table intermediate.int_quality_issues as select * from (values
        ('presence', 'bdi', 'ds-bdi', 'bdi.xlsx', 4, 'sector', 'Abris', 'unknown_sector', 'Unknown sector', 'error'),
        ('presence', 'bdi', 'ds-bdi', 'bdi.xlsx', 5, 'sector', 'Abris', 'unknown_sector', 'Unknown sector', 'error'),
        ('presence', 'bdi', 'ds-bdi', 'bdi.xlsx', 2, 'row', '1 duplicate row(s)', 'duplicate_rows', 'dup', 'warning'),
        ('presence', 'som', 'ds-som', 'som.csv', 3, 'admin2_name', 'Banadir', 'excluded_no_admin2', 'no adm2', 'error'),
        ('presence', 'som', 'ds-som', 'som.csv', 2, 'admin2_name', 'Banadir', 'pcode_fixed', 'region', 'warning'),
        ('hno_hpc', 'hno', 'ds-hno', 'hno.csv', 9, 'in_need', 'x', 'non_numeric', 'not a number', 'warning')
        ) as t(source, source_key, dataset_id, file, "row", field, value, issue_code, issue, severity)""")
    return con


def test_each_file_gets_its_rows_reasons_issues_and_failing_rows(tmp_path):
    con = _warehouse(tmp_path / "w.duckdb")
    files = {f["file"]: f for f in source_files.summarise(con)}
    bdi, som, hno = files["bdi.xlsx"], files["som.csv"], files["hno.csv"]
    assert (bdi["rows_read"], bdi["rows_loaded"]) == (5, 2)
    assert bdi["excluded"] == {"unknown_sector": 2, "duplicate_row": 1}
    # A usable row coverage cannot place at admin2 is excluded from coverage too; BDI is not a coverage source.
    assert (som["rows_read"], som["rows_loaded"], som["excluded"]) == (2, 1, {"not_at_coverage_level": 1})
    assert som["in_coverage"] and not bdi["in_coverage"]
    sector = next(i for i in bdi["issues"] if i["issue_code"] == "unknown_sector")
    assert (sector["severity"], sector["n"], sector["top_values"]) == ("error", 2, [{"value": "Abris", "n": 2}])
    assert [(r["file"], r["dataset_id"], r["row"]) for r in bdi["failing_rows"]] == [("bdi.xlsx", "ds-bdi", 4),
                                                                                  ("bdi.xlsx", "ds-bdi", 5)]
    # A file of another source: its issues, no row accounting.
    assert hno["rows_read"] is None and [i["issue_code"] for i in hno["issues"]] == ["non_numeric"]

    source_files.save(con, tmp_path / "quality")
    report = {"generated_at": "now", "published_version": None, "tables": [],
              "source_files": source_files.load(tmp_path / "quality")}
    page = render_html(report)
    assert "<h2 id='source-files'>Source files</h2>" in page
    assert "<tr class='warning'><td><span class='sev warning'>warning</span>" in page
    assert "<tr class='error'><td><span class='sev error'>error</span>" in page
    assert "<td>bdi.xlsx</td><td>ds-bdi</td><td>4</td><td>sector</td><td>Abris</td>" in page
    assert "sector not known (add an alias)" in page and "<b>2 loaded</b> (40.0%). This file is not one" in page


def test_no_warehouse_tables_no_section(tmp_path):
    con = duckdb.connect(str(tmp_path / "empty.duckdb"))
    assert source_files.summarise(con) == []
    assert source_files.render_html(None) == "" and source_files.render_html({"files": []}) == ""
