"""Read messy HDX tabular files (CSV, XLSX, XLS, ODS) into string-typed Arrow tables.

Every value comes out as a string (or null) so nothing is lost before the staging
models decide types. Each row keeps its physical row number in the source, so a
bad value can be traced back to a cell a person can open and fix.

One job per module:
- read:       the entry points (read_table, find_column) and the file overview the suggester uses
- sniff:      format, encoding, delimiter and first records, decided from the bytes
- csv_reader: a CSV file's sample, header and transcoding; csv_bulk: every record (DuckDB, or the
              csv module as the exact fallback for files DuckDB would misread)
- workbook:   xlsx/xls/ods through python-calamine, and the one rule for a cell as text
- header:     column names from the header, group and HXL rows; hxl: hashtag rows and patterns
- table:      ParsedTable and the cleaning every format shares
"""
from pipelines.lib.readers.hxl import HXL_SHARE, hxl_tags, is_hxl_row
from pipelines.lib.readers.read import find_column, head_rows, list_sheets, pick_sheet, read_table
from pipelines.lib.readers.sniff import (
    DELIMITERS,
    CsvSample,
    detect_delimiter,
    detect_encoding,
    sample_records,
    sniff_format,
)
from pipelines.lib.readers.table import ROW_NUMBER, ParsedTable, SheetInfo, clean_text
from pipelines.lib.readers.workbook import cell_text

__all__ = [
    "DELIMITERS", "HXL_SHARE", "ROW_NUMBER", "CsvSample", "ParsedTable", "SheetInfo", "cell_text", "clean_text",
    "detect_delimiter", "detect_encoding", "find_column", "head_rows", "hxl_tags", "is_hxl_row", "list_sheets",
    "pick_sheet", "read_table", "sample_records", "sniff_format",
]
