"""Files are read within limits: sizes, workbook spans and unpacked sizes, mixed encodings, empty 3W/4W files."""
from __future__ import annotations

import re
import subprocess
import sys
import zipfile

import openpyxl
import pytest

from pipelines.lib.config import Layout, ReadLimits
from pipelines.lib.errors import SourceFormatError
from pipelines.lib.readers import list_sheets, read_table
from pipelines.lib.readers.limits import column_letters, column_number


def _workbook(path, cells: dict[str, str]):
    wb = openpyxl.Workbook()
    for ref, value in cells.items():
        wb.active[ref] = value
    wb.save(path)
    return path


def test_far_cell_is_refused_by_name_before_calamine_allocates(tmp_path):
    bomb = _workbook(tmp_path / "who_what_where.xlsx", {"A1": "org", "A2": "x", "XFD1048576": "boom"})
    assert bomb.stat().st_size < 10_000
    # In a child process: without the guard calamine aborts (SIGABRT) instead of raising.
    code = ("from pipelines.lib.readers import read_table; from pipelines.lib.config import Layout\n"
            f"read_table({str(bomb)!r}, Layout())")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr[-2000:]
    assert "SourceFormatError" in run.stderr and "'who_what_where.xlsx'" in run.stderr
    assert "XFD1048576" in run.stderr and "limits.max_sheet_cells" in run.stderr


def test_the_suggester_is_guarded_too(tmp_path):
    bomb = _workbook(tmp_path / "w.xlsx", {"A1": "org", "XFD1048576": "boom"})
    with pytest.raises(SourceFormatError, match="limits.max_sheet_cells"):
        list_sheets(bomb)


@pytest.mark.parametrize("tag", [b'<c r="XFD1048576" t="inlineStr">', b'<x:c\n  s="1"\tr="XFD1048576">',
                                 b'<c t="inlineStr"\r\nr="XFD1048576">'])
def test_a_far_cell_is_found_however_its_tag_is_written(tmp_path, tag):
    """Writers differ: a namespace prefix, other attributes first, tabs and line breaks between them."""
    good = _workbook(tmp_path / "g.xlsx", {"A1": "org", "A2": "x", "B3": "y"})
    far = tmp_path / "far.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(far, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<c r="B3"[^>]*>', tag, data)
                assert tag in data
            dst.writestr(info, data)
    with pytest.raises(SourceFormatError, match=r"last cell is at XFD1048576"):
        list_sheets(far)


def test_declared_dimension_alone_is_refused(tmp_path):
    """A <dimension> that claims the whole grid is what calamine reserves for, even with few cells."""
    good = _workbook(tmp_path / "g.xlsx", {"A1": "org", "A2": "x"})
    lying = tmp_path / "lying.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(lying, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="A1:A2"\s*/>', b'<dimension ref="A1:XFD1048576"/>', data)
                assert b"XFD1048576" in data
            dst.writestr(info, data)
    with pytest.raises(SourceFormatError, match=r"declared <dimension> is at XFD1048576"):
        read_table(lying, Layout())


def test_workbook_that_unpacks_too_large_is_refused_from_its_directory(tmp_path):
    rows = {f"A{i}": "x" * 200 for i in range(1, 8000)}  # ~2 MB of sheet XML, a few KB zipped
    path = _workbook(tmp_path / "bloated.xlsx", rows)
    with pytest.raises(SourceFormatError, match=r"'bloated.xlsx': the workbook unpacks to .*limits.max_uncompressed_mb"):
        read_table(path, Layout(), limits=ReadLimits(max_uncompressed_mb=1))
    assert read_table(path, Layout()).num_rows == 7998  # within the default limits it reads


def test_file_over_the_size_cap_is_refused(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("a,b\n" + "1,2\n" * 300_000)
    with pytest.raises(SourceFormatError, match=r"'big.csv': the file is 1.1 MB, over the limit of 1 MB"):
        read_table(path, Layout(), limits=ReadLimits(max_file_mb=1))


def test_column_letters_round_trip():
    for n in (1, 26, 27, 702, 703, 16384):
        assert column_number(column_letters(n)) == n
    assert column_letters(16384) == "XFD"


def _mixed(path, accented: bool):
    name = "Vétérinaires Sans Frontières" if accented else "Veterinaires Sans Frontieres"
    body = "".join(f"{i},{name},Health\n" for i in range((1 << 20) // 30 + 100))
    with open(path, "wb") as f:
        f.write(b"id,org_name,sector\n" + body.encode("utf-8"))
        f.write("99999,Coopération Française,Santé\n".encode("cp1252"))
    return path


def test_utf8_file_with_a_cp1252_row_after_the_first_mib_is_refused_never_garbled(tmp_path):
    path = _mixed(tmp_path / "mixed.csv", accented=True)
    with pytest.raises(SourceFormatError) as err:
        read_table(path, Layout())
    lines = path.read_bytes().count(b"\n")
    assert "'mixed.csv': mixed encodings" in str(err.value) and f"until line {lines}" in str(err.value)
    assert "Coop" not in str(err.value)  # the message names the line, never echoes it


def test_ascii_then_cp1252_is_plain_windows_1252(tmp_path):
    path = _mixed(tmp_path / "cp.csv", accented=False)
    parsed = read_table(path, Layout())
    assert parsed.encoding == "cp1252"
    assert parsed.table.column("org_name")[-1].as_py() == "Coopération Française"


def test_declared_encoding_still_decides(tmp_path):
    path = _mixed(tmp_path / "mixed.csv", accented=True)
    with pytest.raises(SourceFormatError, match="not valid utf-8"):
        read_table(path, Layout(encoding="utf-8"))
