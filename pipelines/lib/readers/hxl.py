"""HXL hashtag rows (https://hxlstandard.org): recognising them and matching tag patterns."""
from __future__ import annotations

import hxl.model

from pipelines.lib.errors import SourceFormatError
from pipelines.lib.readers.table import ParsedTable, clean_text

# libhxl's own threshold: a row is a hashtag row when at least this share of its
# non-empty cells parse as hashtags (real files carry stray labels like 'Column1').
HXL_SHARE = hxl.model.FUZZY_HASHTAG_PERCENTAGE


def hxl_tags(cells: list[str]) -> list[str | None] | None:
    """Normalised tags if `cells` is a hashtag row (libhxl's rule), else None."""
    tags: list[str | None] = []
    filled = valid = 0
    for cell in cells:
        text = clean_text(cell)
        column = hxl.model.Column.parse(text) if text else None
        filled += bool(text)
        valid += bool(column)
        tags.append(column.get_display_tag(sort_attributes=True) if column else None)
    return tags if filled and valid / filled >= HXL_SHARE else None


def is_hxl_row(cells: list[str]) -> bool:
    return hxl_tags(cells) is not None


def find_by_hxl(parsed: ParsedTable, ref: str) -> int | None:
    """Index of the first column whose tag the pattern `ref` ('#adm1+code-name') matches."""
    try:
        pattern = hxl.model.TagPattern.parse(clean_text(ref))
    except Exception as e:  # libhxl raises its own HXLException or ValueError
        raise SourceFormatError(f"{ref!r} is not a valid HXL tag pattern ({e})",
                                dataset=parsed.dataset, resource=parsed.resource) from None
    for i, tag in enumerate(parsed.hxl_tags):
        if tag and pattern.match(hxl.model.Column.parse(tag)):
            return i
    return None
