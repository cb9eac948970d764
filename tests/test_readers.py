"""pipelines.lib.readers against the real HDX files, checked with a second, independent reader.

Expected counts and values are computed here with Python's csv module or openpyxl
(data_only=True, i.e. cached formula values), never copied from the reader under test.
Synthetic files are only written to tmp_path.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest

from pipelines.lib.config import Layout
from pipelines.lib.errors import SourceFormatError
from pipelines.lib.readers import (
    SheetInfo,
    csv_bulk,
    find_column,
    head_rows,
    is_hxl_row,
    list_sheets,
    pick_sheet,
    read_table,
    sample_records,
    sniff_format,
)

NULLS = {"", "-", "<Null>", "NULL", "#N/A"}

OP_INPUT = "OCHA-DAP__hdx-scraper-operationalpresence/tests/fixtures/input"
COVID_INPUT = "OCHA-DAP__hdx-scraper-covid-viz/tests/fixtures/input"
POP_INPUT = "OCHA-DAP__hdx-scraper-cod-population/tests/fixtures/input"
ETH_AUG_2025 = f"{OP_INPUT}/3w_august_2025.csv"
CAF_ADM1 = f"{POP_INPUT}/download-caf-admpop-adm1-2015-v2.csv"
AFG_ADM0 = f"{POP_INPUT}/download-afg-popadm-adm0-2021-v2.csv"
AFG_3W = f"{COVID_INPUT}/whowhatwhere_afghanistan_who_does_what_where_july_to_september_2021.web app"
SECTORS = f"{OP_INPUT}/sector_global_coordination_groups_beta_csv.csv"
SSD_3W = f"{COVID_INPUT}/whowhatwhere_ss_20220520_3w_op_january_march_2022.xlsx"
ETH_4W_2022 = f"{COVID_INPUT}/whowhatwhere_ethiopia_who_is_doing_what_where_4w_february_2022.xlsx"
TCD_3W = f"{OP_INPUT}/3w_tcd_avr2025.xlsx"
ETH_DROUGHT = (
    "OCHA-DAP__hdx-scraper-hornafrica-viz/tests/fixtures/input/affected_targeted_reached_affected_targeted_"
    "reached_eth_ethiopia_drought_affected_targeted_reached_by_cluster.csv"
)
JIAF = "OCHA-DAP__hdx-scraper-jiaf/input/GLOBAL-JIAF-DATA 1.04.2025.xlsx"


# ---------------------------------------------------------------- independent expectations


def csv_rows(path: Path, encoding: str) -> list[list[str]]:
    with open(path, encoding=encoding, newline="") as f:
        return list(csv.reader(f))


def norm(value) -> str | None:
    """A cell as the reader should render it, computed from another reader's value."""
    if value is None:
        return None
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, float):
        value = str(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, dt.datetime):
        value = value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    elif isinstance(value, dt.date):
        value = value.isoformat()
    value = str(value).strip()
    return None if value in NULLS else value


def is_data(row) -> bool:
    return any(norm(v) is not None for v in row)


def read_sheet(path: Path, sheet: str) -> tuple:
    """The sheet as the readers read it, and its rows as openpyxl (the independent reader) sees them."""
    return read_table(path, Layout(sheet=sheet)), openpyxl_rows(path, sheet)


def openpyxl_rows(path: Path, sheet: str) -> list[tuple]:
    with warnings.catch_warnings():  # openpyxl warns about print areas and data-validation extensions
        warnings.simplefilter("ignore", UserWarning)
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            return [tuple(map(unescape_ooxml, r)) for r in wb[sheet].iter_rows(values_only=True)]
        finally:
            wb.close()


def unescape_ooxml(value):
    """openpyxl (read-only) leaves OOXML escapes such as '_x000D_' (a CR) in strings; calamine decodes them."""
    if isinstance(value, str) and "_x" in value:
        return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), value)
    return value


def by_row_number(parsed, column: str) -> dict[int, str | None]:
    t = parsed.table
    return dict(zip(t.column("_row_number").to_pylist(), t.column(column).to_pylist()))


def assert_matches_rows(parsed, rows: list, first_data_row: int) -> None:
    """Every non-empty source row is present with the same values, under its physical row number."""
    expected = {
        n: [norm(v) for v in row]
        for n, row in enumerate(rows, start=1)
        if n >= first_data_row and is_data(row)
    }
    got = parsed.table.to_pylist()
    assert [r["_row_number"] for r in got] == list(expected)
    for r in got:
        want = expected[r["_row_number"]]
        have = [r[c] for c in parsed.columns]
        assert have == (want + [None] * len(have))[: len(have)], r["_row_number"]


# ---------------------------------------------------------------- CSV on real files


@pytest.mark.real
def test_utf8_bom_and_trailing_empty_rows(real_snapshot):
    path = real_snapshot / ETH_AUG_2025
    parsed = read_table(path, Layout())
    rows = csv_rows(path, "utf-8-sig")
    data = rows[1:]
    assert len(data) == 7324
    assert sum(not is_data(r) for r in data) == 4202
    assert parsed.encoding == "utf-8-sig" and parsed.format == "csv"
    assert parsed.columns[0] == "Month" and parsed.columns == [c.strip() for c in rows[0]]
    assert parsed.table.num_rows == sum(is_data(r) for r in data) == 7324 - 4202
    assert_matches_rows(parsed, rows, first_data_row=2)
    assert parsed.table.schema.field("_row_number").type == pa.int64()
    assert all(parsed.table.schema.field(c).type == pa.string() for c in parsed.columns)


@pytest.mark.real
def test_cp1252_names_and_thousands_separators(real_snapshot):
    path = real_snapshot / CAF_ADM1
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    parsed = read_table(path, Layout())
    rows = csv_rows(path, "cp1252")
    assert parsed.encoding == "cp1252"
    assert_matches_rows(parsed, rows, first_data_row=2)
    names = parsed.table.column("Adm1_name").to_pylist()
    assert "Mambéré Kadéi" in names and "Kémo" in names
    assert parsed.table.column("T_TL").to_pylist()[0] == "448,465"


@pytest.mark.real
def test_padded_header_cells_are_stripped(real_snapshot):
    # The real AFG COD-PS file pads its header cells with spaces (' F_TL ').
    path = real_snapshot / AFG_ADM0
    rows = csv_rows(path, "utf-8-sig")
    assert " F_TL " in rows[0]
    parsed = read_table(path, Layout())
    assert "F_TL" in parsed.columns
    assert parsed.columns == [" ".join(c.split()) for c in rows[0]]
    find_column(parsed, "f_tl")


@pytest.mark.real
def test_hxl_row_with_spaces_in_tags_odd_extension(real_snapshot):
    path = real_snapshot / AFG_3W
    assert sniff_format(path) == "csv"
    rows = csv_rows(path, "utf-8-sig")
    assert "#org +acronym" in rows[1]
    parsed = read_table(path, Layout())
    assert parsed.hxl_row == 2 and parsed.header_row == 1
    assert parsed.table.num_rows == 2414 == sum(is_data(r) for r in rows[2:])
    i = find_column(parsed, "#org+acronym")
    assert parsed.columns[i] == "ORG_ACRONYM" and parsed.hxl_tags[i] == "#org+acronym"
    assert find_column(parsed, "#org +acronym") == i
    assert parsed.hxl_tags[parsed.columns.index("ORG_TYPE")] == "#org+name+type"  # sorted attributes
    assert parsed.hxl_tags[parsed.columns.index("Question")] is None
    assert_matches_rows(parsed, rows, first_data_row=3)


@pytest.mark.real
def test_sector_vocabulary_hxl_with_spaces(real_snapshot):
    path = real_snapshot / SECTORS
    rows = csv_rows(path, "utf-8")
    parsed = read_table(path, Layout())
    assert parsed.hxl_row == 2 and parsed.table.num_rows == 15
    assert parsed.hxl_tags[0] == "#sector+code+v_hrinfo_sector"
    assert parsed.columns[find_column(parsed, "#sector +code +acronym")] == "ACRONYM"
    assert parsed.columns[find_column(parsed, "#sector+name+i_fr")] == "Preferred Term (fr)"
    assert_matches_rows(parsed, rows, first_data_row=3)
    assert "SHL" in parsed.table.column("ACRONYM").to_pylist()


@pytest.mark.real
def test_three_row_header_with_groups_and_hxl(real_snapshot):
    path = real_snapshot / ETH_DROUGHT
    rows = csv_rows(path, "utf-8")
    parsed = read_table(path, Layout(header_row=2, group_header_row=1))
    assert parsed.hxl_row == 3 and parsed.header_row == 2
    assert parsed.table.num_rows == 391 == sum(is_data(r) for r in rows[3:])
    i = parsed.columns.index("HEALTH Affected")
    assert parsed.hxl_tags[i] == "#inneed+health"
    assert find_column(parsed, "#inneed+health") == i
    assert parsed.columns[find_column(parsed, "#targeted+nutrition")] == "NUTRITION Target"
    assert "LOCATION admin3Pcode" in parsed.columns
    assert "80 418" in parsed.table.column("HEALTH Affected").to_pylist()
    assert "-" in [r[19] for r in rows[3:]]  # ESNFI Affected uses '-' for none
    assert "-" not in parsed.table.column("ESNFI Affected").to_pylist()
    assert_matches_rows(parsed, rows, first_data_row=4)


# ---------------------------------------------------------------- workbooks on real files


@pytest.mark.real
def test_header_row_made_of_hxl_tags(real_snapshot):
    parsed, rows = read_sheet(real_snapshot / SSD_3W, "January to March")
    assert parsed.hxl_row == 1 and parsed.header_row == 1
    i = find_column(parsed, "#adm2+code")
    assert parsed.columns[i] == "#adm2+code"
    assert "Name" in parsed.columns and parsed.hxl_tags[parsed.columns.index("Name")] is None
    assert find_column(parsed, "name") == parsed.columns.index("Name")
    assert parsed.table.num_rows == sum(is_data(r) for r in rows[1:])
    assert_matches_rows(parsed, rows, first_data_row=2)


@pytest.mark.real
def test_formula_cells_give_cached_values(real_snapshot):
    path = real_snapshot / ETH_4W_2022
    sheet = "Eth_4Ws_February_2022"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        raw = openpyxl.load_workbook(path, read_only=True, data_only=False)
        formula = raw[sheet].cell(row=3, column=13).value
        raw.close()
    assert str(formula).startswith("=")  # the p-code column really is a formula
    parsed = read_table(path, Layout(sheet=sheet))
    assert parsed.hxl_row == 2
    col = parsed.columns[find_column(parsed, "#adm3+code")]
    assert col == "HNO Woreda Pcode"
    got = by_row_number(parsed, col)
    cached = openpyxl_rows(path, sheet)[:202]
    checked = 0
    for n, row in enumerate(cached, start=1):
        if n >= 3 and is_data(row):
            assert got[n] == norm(row[12]), n
            checked += 1
    assert checked > 150 and got[3] == "ET010211"
    assert all(v is None or v.startswith("ET") for v in got.values())
    assert parsed.table.num_rows == 7900


@pytest.mark.real
def test_partial_hxl_row_in_chad_3w(real_snapshot):
    sheet = "3W Opérationnelle"
    parsed, rows = read_sheet(real_snapshot / TCD_3W, sheet)
    assert parsed.sheet == sheet and parsed.hxl_row == 2
    assert [t for t in parsed.hxl_tags if t] == ["#adm1+name", "#sector", "#org+acronym"]
    assert parsed.columns[find_column(parsed, "#org+acronym")] == "Acronyme"
    assert parsed.table.num_rows == 1556 == sum(is_data(r) for r in rows[2:])
    assert "\xa0" in rows[2][11]  # 'Élément\xa0' in the source...
    assert set(parsed.table.column("Item Type").to_pylist()) <= {"Élément", None}  # ...stripped here
    assert_matches_rows(parsed, rows, first_data_row=3)


@pytest.mark.real
def test_jiaf_floats_keep_full_precision(real_snapshot):
    path = real_snapshot / JIAF
    # 2.4 MB workbook: ~0.3 s here plus ~1.5 s for openpyxl (read-only); no timing assertion.
    parsed = read_table(path, Layout(sheet="PiN", header_row=2))
    rows = openpyxl_rows(path, "PiN")
    assert parsed.columns[0] == "Admin 0" and parsed.columns[-1] == "Final PiN"
    assert parsed.hxl_row is None
    assert parsed.table.num_rows == sum(is_data(r) for r in rows[2:])
    assert "737051.4398963449" in parsed.table.column("Education").to_pylist()
    assert_matches_rows(parsed, rows, first_data_row=3)


@pytest.mark.real
def test_unknown_sheet_lists_sheets(real_snapshot):
    with pytest.raises(SourceFormatError) as e:
        read_table(real_snapshot / TCD_3W, Layout(sheet="Feuil1"), dataset="chad-3w", resource="3w.xlsx")
    message = str(e.value)
    assert "Feuil1" in message and "3W Physique" in message and "3W Opérationnelle" in message
    assert "3w_tcd_avr2025.xlsx" in message and e.value.dataset == "chad-3w"


@pytest.mark.real
def test_truncated_xlsx(real_snapshot, tmp_path):
    data = (real_snapshot / TCD_3W).read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceFormatError, match="truncated or corrupt") as e:
        read_table(cut, Layout(), dataset="d", resource="r")
    assert "cut.xlsx" in str(e.value) and e.value.resource == "r"


@pytest.mark.real
def test_find_column_names_missing_ref_and_file(real_snapshot):
    parsed = read_table(real_snapshot / TCD_3W, Layout(sheet="3W Opérationnelle"), dataset="chad")
    with pytest.raises(SourceFormatError) as e:
        find_column(parsed, "#adm2+code")
    message = str(e.value)
    assert "#adm2+code" in message and "3w_tcd_avr2025.xlsx" in message and "3W Opérationnelle" in message
    assert "Acronyme" in message and "#org+acronym" in message and e.value.dataset == "chad"
    with pytest.raises(SourceFormatError, match="'Admin 2'"):
        find_column(parsed, "Admin 2")


# ---------------------------------------------------------------- header cleaning (synthetic)


def test_header_newlines_tabs_nbsp_xlsx(tmp_path):
    # No real file in the snapshot has a line break in a header cell, so this one is synthetic.
    path = tmp_path / "h.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["Admin 1\nP-Code", "Org\tName", "\xa0Sector\xa0 name ", None, "x"])
    ws.append(["SO11", " NRC ", "WASH", None, None])
    wb.save(path)
    parsed = read_table(path, Layout())
    assert parsed.columns == ["Admin 1 P-Code", "Org Name", "Sector name", "column_4", "x"]
    assert parsed.table.to_pylist() == [
        {"Admin 1 P-Code": "SO11", "Org Name": "NRC", "Sector name": "WASH", "column_4": None, "x": None,
         "_row_number": 2}
    ]
    assert find_column(parsed, "admin 1  p-code") == 0


def test_header_newline_in_quoted_csv_header(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text('"Admin 1\nP-Code",Org\n"SO11","multi\nline"\nSO12,B\n', encoding="utf-8")
    parsed = read_table(path, Layout())
    assert parsed.columns == ["Admin 1 P-Code", "Org"]
    # records, not lines: the data rows are records 2 and 3
    assert values(parsed, "_row_number", "Org") == ([2, 3], ["multi\nline", "B"])


def test_duplicate_and_empty_header_names(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("Region,region,Region,,_row_number\n1,2,3,4,5\n", encoding="utf-8")
    parsed = read_table(path, Layout())
    assert parsed.columns == ["Region", "region_2", "Region_3", "column_4", "_row_number_2"]
    assert parsed.table.column("_row_number").to_pylist() == [2]


# ---------------------------------------------------------------- workbook cell values (synthetic)


def write_ods(path: Path, rows: list[list]) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Presence")
    for row in rows:
        tr = TableRow()
        for v in row:
            if v is None:
                cell = TableCell()
            elif isinstance(v, dt.date):
                cell = TableCell(valuetype="date", datevalue=v.isoformat())
            elif isinstance(v, (int, float)):
                cell = TableCell(valuetype="float", value=v)
            else:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=v))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))


def test_ods_written_with_odfpy(tmp_path):
    path = tmp_path / "presence.data"  # extension says nothing: content decides
    write_ods(path, [
        ["Admin 1 P-Code", "Org", "People", "Share", "Date"],
        ["#adm1 +code", "#org+acronym", "#reached", None, "#date"],
        ["SO11", "NRC", 1200, 0.25, dt.date(2025, 4, 1)],
        [None, None, None, None, None],
        ["SO12", "-", 3.5, 1.0, None],
    ])
    assert sniff_format(path) == "ods"
    parsed = read_table(path, Layout())
    assert parsed.format == "ods" and parsed.sheet == "Presence" and parsed.hxl_row == 2
    assert parsed.hxl_tags == ["#adm1+code", "#org+acronym", "#reached", None, "#date"]
    assert parsed.table.to_pylist() == [
        {"Admin 1 P-Code": "SO11", "Org": "NRC", "People": "1200", "Share": "0.25", "Date": "2025-04-01",
         "_row_number": 3},
        {"Admin 1 P-Code": "SO12", "Org": None, "People": "3.5", "Share": "1", "Date": None, "_row_number": 5},
    ]


def test_xlsx_cell_types(tmp_path):
    path = tmp_path / "t.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["int", "float", "date", "datetime", "bool", "text"])
    ws.append([7, 1 / 3, dt.date(2025, 4, 1), dt.datetime(2025, 4, 1, 10, 0), True, "  a  b \xa0"])
    ws.append([2022.0, -0.0, None, None, False, "<Null>"])
    wb.save(path)
    parsed = read_table(path, Layout())
    assert parsed.table.to_pylist() == [
        {"int": "7", "float": repr(1 / 3), "date": "2025-04-01", "datetime": "2025-04-01T10:00:00",
         "bool": "true", "text": "a  b", "_row_number": 2},
        {"int": "2022", "float": "0", "date": None, "datetime": None, "bool": "false", "text": None,
         "_row_number": 3},
    ]


def test_header_row_below_blank_rows_and_custom_nulls(tmp_path):
    path = tmp_path / "t.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["B3"], ws["C3"] = "Org", "Status"
    ws["B4"], ws["C4"] = "NRC", "n/a"
    ws["B6"], ws["C6"] = "IRC", "-"
    wb.save(path)
    parsed = read_table(path, Layout(header_row=3, null_values=["n/a"]))
    assert parsed.columns == ["column_1", "Org", "Status"]
    assert parsed.table.to_pylist() == [
        {"column_1": None, "Org": "NRC", "Status": None, "_row_number": 4},
        {"column_1": None, "Org": "IRC", "Status": "-", "_row_number": 6},
    ]


def test_sheet_name_matched_loosely(tmp_path):
    path = tmp_path / "t.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Instructions "
    wb.active.append(["Step"])
    wb.create_sheet("Data")
    wb.save(path)
    assert read_table(path, Layout(sheet="instructions")).sheet == "Instructions "
    with pytest.raises(SourceFormatError, match="the sheet is empty"):
        read_table(path, Layout(sheet="Data"))


# ---------------------------------------------------------------- CSV parsing (synthetic)


def test_delimiters_and_decimal_commas(tmp_path):
    for delim in (";", "\t", "|"):
        path = tmp_path / "d.csv"
        path.write_text(delim.join(["name", "value"]) + '\n"Smith, J"' + delim + "1,5\nX" + delim + "2,5\n")
        parsed = read_table(path, Layout())
        assert parsed.columns == ["name", "value"], delim
        assert parsed.table.column("value").to_pylist() == ["1,5", "2,5"]


def test_blank_lines_keep_physical_row_numbers(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("\na,b\n1,2\n\n3,4\n\n\n", encoding="utf-8")
    parsed = read_table(path, Layout(header_row=2))
    assert parsed.table.to_pylist() == [{"a": "1", "b": "2", "_row_number": 3}, {"a": "3", "b": "4", "_row_number": 5}]


def test_blank_line_inside_quoted_cell_keeps_fast_path(tmp_path, monkeypatch):
    path = tmp_path / "q.csv"
    path.write_bytes(b'a,b\r\n1,"para one\r\n\r\npara two"\r\n2,"x\n\nok"\r\n3,4\r\n')
    with monkeypatch.context() as m:
        m.setattr(csv_bulk, "_read_python", no_fallback)
        parsed = read_table(path, Layout())
    assert values(parsed, "_row_number", "b") == ([2, 3, 4], ["para one\r\n\r\npara two", "x\n\nok", "4"])
    # With quotes in the data the parity proof does not hold: the exact parser takes over.
    path.write_bytes(b'a,b\n1,"say ""hi""\n\nok"\n3,4\n')
    parsed = read_table(path, Layout())
    assert values(parsed, "_row_number", "b") == ([2, 3], ['say "hi"\n\nok', "4"])


def test_stray_quote_does_not_fool_blank_line_check(tmp_path):
    # The stray quote makes the blank line look like it sits inside a quoted cell.
    path = tmp_path / "q.csv"
    path.write_text('a,b\n5" pipe,x\n\n2,3\n"z",9\n7,8"\n', encoding="utf-8")
    parsed = read_table(path, Layout())
    expected = [n for n, r in enumerate(csv_rows(path, "utf-8"), start=1) if n > 1 and r]
    assert parsed.table.column("_row_number").to_pylist() == expected == [2, 4, 5, 6]
    assert parsed.table.column("a").to_pylist() == ['5" pipe', "2", "z", "7"]


def test_short_and_long_rows(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("a,b,c\n1,2\n3,4,5\n6,7,8,9\n", encoding="utf-8")
    parsed = read_table(path, Layout())
    assert parsed.columns == ["a", "b", "c", "column_4"]
    assert parsed.table.column("c").to_pylist() == [None, "5", "8"]
    assert parsed.table.column("column_4").to_pylist() == [None, None, "9"]


def test_trailing_unnamed_empty_columns_dropped(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,,\n1,2,,\n3,4,, \n", encoding="utf-8")
    assert read_table(path, Layout()).columns == ["a", "b"]
    path.write_text("a,,c,\n1,,3,\n", encoding="utf-8")
    assert read_table(path, Layout()).columns == ["a", "column_2", "c"]  # inner ones stay: positions matter
    xlsx = tmp_path / "t.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["a", "b", None, " "])
    wb.active.append([1, 2, None, None])
    wb.save(xlsx)
    assert read_table(xlsx, Layout()).columns == ["a", "b"]


def test_exact_path_without_final_newline(tmp_path):
    path = tmp_path / "n.csv"
    path.write_text("a,b\n1,2\n\n3,4", encoding="utf-8")  # the blank line sends it to the csv module
    parsed = read_table(path, Layout())
    assert parsed.table.to_pylist() == [{"a": "1", "b": "2", "_row_number": 2}, {"a": "3", "b": "4", "_row_number": 4}]


def test_truncated_csv_inside_quotes(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('a,b\n1,2\n3,"never closed\n4,5\n', encoding="utf-8")
    with pytest.raises(SourceFormatError, match="truncated"):
        read_table(path, Layout(), dataset="d")


def test_non_utf8_byte_after_the_sample(tmp_path):
    path = tmp_path / "late.csv"
    path.write_bytes(b"a,b\n" + b"x,y\n" * 300_000 + b"Mamb\xe9r\xe9,z\n")
    parsed = read_table(path, Layout())
    assert parsed.encoding == "cp1252"
    last = parsed.table.slice(parsed.table.num_rows - 1).to_pylist()
    assert last == [{"a": "Mambéré", "b": "z", "_row_number": 300_002}]


def test_configured_encoding_wins(tmp_path):
    path = tmp_path / "l.csv"
    path.write_bytes("a\nçà\n".encode("latin-1"))
    assert read_table(path, Layout(encoding="latin-1")).table.column("a").to_pylist() == ["çà"]
    with pytest.raises(SourceFormatError, match="not valid utf-8"):
        read_table(path, Layout(encoding="utf-8"))


def test_hxl_none_keeps_tag_row_as_data(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("Org,Sector\n#org,#sector\nNRC,WASH\n", encoding="utf-8")
    assert read_table(path, Layout()).table.num_rows == 1
    parsed = read_table(path, Layout(hxl="none"))
    assert parsed.hxl_row is None and parsed.hxl_tags == [None, None]
    assert parsed.table.column("Org").to_pylist() == ["#org", "NRC"]


def values(parsed, *names) -> tuple[list, ...]:
    """The named columns' values, one list per name."""
    return tuple(parsed.table.column(n).to_pylist() for n in names)


def no_fallback(*args):
    raise AssertionError("the csv-module fallback was used")


def test_fast_and_exact_csv_paths_agree(tmp_path, monkeypatch):
    """DuckDB's bulk path and the csv-module fallback give identical tables and row numbers."""
    path = tmp_path / "many.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Org", "Activity", "Admin 2", "People"])
        w.writerow(["#org", "#activity", "#adm2+code", "#reached"])
        for i in range(30_000):
            activity = f"para one\n\npara two, {i}" if i % 7 == 0 else f"act {i}"
            w.writerow([f"org {i % 50}", activity, f"SO{i % 100:04d}", "" if i % 11 == 0 else str(i)])
        w.writerows([["", "", "", ""]] * 5)
    with monkeypatch.context() as m:
        m.setattr(csv_bulk, "_read_python", no_fallback)
        fast = read_table(path, Layout())
    calls = []
    monkeypatch.setattr(csv_bulk, "_read_duckdb", lambda *a, **k: calls.append(a))  # returns None: not usable
    exact = read_table(path, Layout())
    assert calls, "the fallback was not exercised"
    assert fast.table.equals(exact.table)
    rows = csv_rows(path, "utf-8")
    assert fast.table.num_rows == 30_000
    assert_matches_rows(fast, rows, first_data_row=3)


@pytest.mark.real
def test_fast_and_exact_paths_agree_on_every_real_csv(real_snapshot, monkeypatch):
    paths = sorted(p for p in real_snapshot.rglob("*") if p.is_file() and p.suffix in (".csv", ".web app"))
    assert len(paths) > 100
    fast = {p: read_table(p, Layout()) for p in paths}
    monkeypatch.setattr(csv_bulk, "_read_duckdb", lambda *a, **k: None)
    for p in paths:
        exact = read_table(p, Layout())
        assert exact.columns == fast[p].columns and exact.table.equals(fast[p].table), p


# ---------------------------------------------------------------- bad inputs and sniffing


def test_html_instead_of_data(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("\n  <!DOCTYPE html>\n<html><head><title>Sign in</title></head></html>\n")
    with pytest.raises(SourceFormatError, match="HTML") as e:
        read_table(path, Layout(), dataset="ds", resource="data.csv")
    assert "data.csv" in str(e.value) and e.value.dataset == "ds"
    with pytest.raises(SourceFormatError, match="HTML"):
        sniff_format(path)


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf\r\n \n"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(SourceFormatError, match="empty") as e:
        read_table(path, Layout(), resource="empty.csv")
    assert "empty.csv" in str(e.value)


def test_header_row_beyond_end(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(SourceFormatError, match="header row 5 is beyond the end"):
        read_table(path, Layout(header_row=5))


def test_configured_format_contradicted(tmp_path):
    path = tmp_path / "really.xlsx"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(SourceFormatError, match="configured as xlsx but the content is csv"):
        read_table(path, Layout(format="xlsx"))


def test_sniff_by_content(tmp_path):
    xlsx = tmp_path / "a.csv"
    wb = openpyxl.Workbook()
    wb.active.append(["a"])
    wb.save(xlsx)
    assert sniff_format(xlsx) == "xlsx"
    ole = tmp_path / "old.xlsx"
    ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    assert sniff_format(ole) == "xls"
    with pytest.raises(SourceFormatError, match="cannot read the xls workbook"):
        read_table(ole, Layout())
    other_zip = tmp_path / "z.xlsx"
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(SourceFormatError, match="not a spreadsheet"):
        sniff_format(other_zip)
    text = tmp_path / "t.bin"
    text.write_bytes("a;b\n1;2\n".encode())
    assert sniff_format(text) == "csv"


def test_invalid_hxl_pattern(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("a\n#org\nx\n")
    with pytest.raises(SourceFormatError, match="not a valid HXL tag pattern"):
        find_column(read_table(path, Layout()), "#org+")


def test_parsed_table_columns_are_strings(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\n1,2\n")
    parsed = read_table(path, Layout())
    assert parsed.table.schema.names == ["a", "b", "_row_number"]
    assert [f.type for f in parsed.table.schema] == [pa.string(), pa.string(), pa.int64()]


# ---------------------------------------------------------------- the file overview the config suggester uses


def test_csv_overview_sees_what_read_table_sees(tmp_path):
    """sample_records / head_rows / list_sheets decode and split a CSV as read_table does."""
    path = tmp_path / "w.csv"
    body = 'Région;Partenaire\n#adm1+name;#org\n"Lac\nNord";ACF\nKanem;CICR\n'
    path.write_bytes(body.encode("cp1252"))
    expected = list(csv.reader(io.StringIO(body, newline=""), delimiter=";"))  # the independent parse
    sample = sample_records(path, 10)
    assert (sample.encoding, sample.delimiter) == ("cp1252", ";")
    assert sample.records == expected == head_rows(path, None, 10)
    assert head_rows(path, None, 2) == expected[:2]
    assert is_hxl_row(expected[1]) and not is_hxl_row(expected[0])
    parsed = read_table(path, Layout())
    assert (parsed.encoding, parsed.hxl_row, parsed.columns) == ("cp1252", 2, ["Région", "Partenaire"])
    assert list_sheets(path) == ("csv", [SheetInfo(None, 5, 2)])  # physical lines: one record spans two


def test_workbook_overview(tmp_path):
    path = tmp_path / "w.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Data"
    for row in (["Org", "People"], ["NRC", 12.0], [None, dt.datetime(2025, 1, 2)]):
        wb.active.append(row)
    lists = wb.create_sheet("Lists")
    lists.append(["x"])
    lists.sheet_state = "hidden"
    wb.save(path)
    fmt, sheets = list_sheets(path)
    assert fmt == "xlsx"
    assert [(s.name, s.rows, s.columns, s.visible) for s in sheets] == [("Data", 3, 2, True), ("Lists", 1, 1, False)]
    assert head_rows(path, "Data", 5) == [["Org", "People"], ["NRC", "12"], ["", "2025-01-02"]]
    assert pick_sheet(path, ["Data", "Lists"], " data ") == "Data"  # as read_table forgives it
    with pytest.raises(SourceFormatError, match="no sheet named 'x'"):
        pick_sheet(path, ["Data", "Lists"], "x")


def test_workbook_is_read_in_batches_with_rows_and_columns_in_place(tmp_path, monkeypatch):
    """A sheet that starts at C3 and spans several read batches keeps every row, its row number and column."""
    from pipelines.lib.readers import workbook

    monkeypatch.setattr(workbook, "_BATCH_ROWS", 7)  # many batches from a small sheet
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["C3"], ws["D3"], ws["E3"] = "org", "sector", "people"
    expected = []
    for i in range(40):
        org, sector, people = f"org {i}", ("WASH" if i % 3 else None), (i * 10 if i % 5 else None)
        ws.cell(4 + i, 3, org), ws.cell(4 + i, 4, sector), ws.cell(4 + i, 5, people)
        expected.append((org, sector, None if people is None else str(people), 4 + i))
    ws.cell(4 + 40, 6, "stray note")  # a wider last row: a made-up column name
    path = tmp_path / "batched.xlsx"
    wb.save(path)
    parsed = read_table(path, Layout(header_row=3))
    got = parsed.table.to_pylist()
    assert parsed.columns[2:5] == ["org", "sector", "people"]
    rows = [(r["org"], r["sector"], r["people"], r["_row_number"]) for r in got if r["org"]]
    assert rows == expected
    assert got[-1]["_row_number"] == 44 and got[-1][parsed.columns[5]] == "stray note"
