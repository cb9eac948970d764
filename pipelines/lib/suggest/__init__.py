"""Propose a config entry for a new 3W/4W file: `clusterwatch config suggest-4w FILE`.

An information manager who receives a new 3W/4W workbook should not have to work out its sheet, header row
and column mapping by hand. This package inspects the file and proposes a `sources.presence` entry:

1. every sheet with its size (`readers.list_sheets`; CSV files have one, unnamed);
2. the header row (`header`): of rows 1-10, the one with the most distinct non-empty text cells that is
   followed by data (a hashtag row right below it is the HXL row; a hashtag row may also be the header);
3. the file read exactly as ingestion will read it (`readers.read_table` with that sheet and header row),
   so the proposal uses the same column names and HXL tags that the pipeline sees;
4. a column for each canonical presence field (`columns`, with the words and seeds of `vocabulary`);
5. each mapping checked with `readers.find_column` (`refs`), so the printed YAML loads the file with no edits.

`propose` ties these together; `render` prints. Everything is a pure function of the file and the seeds;
all file reading goes through pipelines.lib.readers.
"""
from pipelines.lib.readers import SheetInfo
from pipelines.lib.suggest.columns import propose_mapping
from pipelines.lib.suggest.header import detect_header_row
from pipelines.lib.suggest.propose import ColumnInfo, Suggestion, suggest
from pipelines.lib.suggest.refs import column_ref
from pipelines.lib.suggest.render import render_entry, render_report, resource_id

__all__ = [
    "ColumnInfo", "SheetInfo", "Suggestion", "column_ref", "detect_header_row", "propose_mapping", "render_entry",
    "render_report", "resource_id", "suggest",
]
