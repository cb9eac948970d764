"""Which row holds the column names, when nobody said."""
from __future__ import annotations

import re

from pipelines.lib.readers import clean_text, is_hxl_row

HEADER_SEARCH_ROWS = 10


def detect_header_row(rows: list[list[str]], search: int = HEADER_SEARCH_ROWS) -> int:
    """1-based header row: the row (of the first `search`) with the most distinct non-empty text cells,
    followed by data; a row with a hashtag row right under it first. A hashtag row directly under a text row
    is that row's HXL row, not a header."""
    best_row, best_score = 1, -1
    for i, row in enumerate(rows[:search]):
        cells = [clean_text(c) for c in row]
        texts = {c for c in cells if c and not _is_numeric(c) and not _looks_like_date(c)}
        if not texts:
            continue
        if is_hxl_row(cells) and i > 0 and any(c.strip() for c in rows[i - 1]) and not is_hxl_row(rows[i - 1]):
            continue  # the HXL row of the row above
        following = [r for r in rows[i + 1:i + 4] if any(c.strip() for c in r) and not is_hxl_row(r)]
        if not following:
            continue  # nothing under it: a title, or the last row
        data_width = max(sum(1 for c in r if c.strip()) for r in following)
        if data_width < min(2, len(texts)):
            continue
        score = len(texts)
        if i + 1 < len(rows) and is_hxl_row(rows[i + 1]):
            score += 1000  # the row right above the hashtag row is the header (MOZ: English, Portuguese, HXL)
        if score > best_score:
            best_row, best_score = i + 1, score
    return best_row


def _is_numeric(text: str) -> bool:
    try:
        float(text.replace(",", ""))
        return True
    except ValueError:
        return False


def _looks_like_date(text: str) -> bool:
    return bool(re.fullmatch(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T].*)?", text))
