"""Column names and HXL tags from the rows above the data: header row, group row, hashtag row."""
from __future__ import annotations

from dataclasses import dataclass

from pipelines.lib.config import Layout
from pipelines.lib.readers.hxl import hxl_tags
from pipelines.lib.readers.table import Where, clean_text, dedupe, pad


@dataclass
class Header:
    columns: list[str]
    hxl_tags: list[str | None]
    hxl_row: int | None
    data_start: int  # 1-based physical row of the first data row
    unnamed: list[bool]  # no header text, group or tag: a name we made up


def build_header(rows: list[list[str]], layout: Layout, where: Where) -> Header:
    """Column names and HXL tags from the rows above the data (`rows` starts at physical row 1)."""
    if layout.header_row > len(rows):
        raise where.fail(f"header row {layout.header_row} is beyond the end of the data ({len(rows)} rows)")
    header = rows[layout.header_row - 1]
    width = max(len(header), *(len(r) for r in rows[layout.header_row - 1:layout.header_row + 1]))
    header = pad(header, width)
    hxl_row, data_start = None, layout.header_row + 1
    tags: list[str | None] = [None] * width
    if layout.hxl == "auto":
        after = rows[layout.header_row] if len(rows) > layout.header_row else None
        if (own := hxl_tags(header)) is not None:
            # The header row itself is the tag row (SSD 3W): tagged columns are named by their tag.
            tags, hxl_row = own, layout.header_row
            header = [t or h for t, h in zip(tags, header)]
        elif after is not None and (found := hxl_tags(pad(after, width))) is not None:
            tags, hxl_row, data_start = found, layout.header_row + 1, layout.header_row + 2
    groups = _groups(rows, layout, width)
    names = [_column_name(h, g, i) for i, (h, g) in enumerate(zip(header, groups))]
    unnamed = [not (clean_text(h) or g or t) for h, g, t in zip(header, groups, tags)]
    return Header(dedupe(names), tags, hxl_row, data_start, unnamed)


def _groups(rows: list[list[str]], layout: Layout, width: int) -> list[str]:
    """Group labels forward-filled across the blank cells of a merged group row."""
    if layout.group_header_row is None:
        return [""] * width
    current, out = "", []
    for cell in pad(rows[layout.group_header_row - 1], width):
        current = clean_text(cell) or current
        out.append(current)
    return out


def _column_name(header: str, group: str, index: int) -> str:
    name = clean_text(header) or f"column_{index + 1}"
    return f"{group} {name}" if group else name
