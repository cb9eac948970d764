"""THE rule that turns a sector label into the key the alias join matches on.

The dbt macro `sector_key` (dbt_project/macros/sector_key.sql) is the same rule in SQL; a test runs both
on the same strings (tests/test_sector_key.py), so the suggester, `config check` and the warehouse agree.
Steps, in order:
1. the typographic apostrophe made plain, accents removed, lower case;
2. '&' becomes ' and ';
3. every character that is not a-z, 0-9, '/' or '+' becomes a space;
4. the words 'and', 'et', 'y', 'e' (Spanish before i-) become 'and';
5. spaces around '/' dropped, runs of spaces collapsed, ends trimmed; empty -> None.
"""
from __future__ import annotations

import re
import unicodedata


def sector_key(text: str | None) -> str | None:
    if text is None:
        return None
    s = unicodedata.normalize("NFKD", str(text).replace("\u2019", "'"))
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = s.replace("&", " and ")
    s = re.sub(r"[^a-z0-9/+]+", " ", s)
    s = re.sub(r" (and|et|y|e) ", " and ", " " + s.replace(" ", "  ") + " ")  # doubled spaces: no shared match
    s = re.sub(r" *(/) *", r"\1", s)
    s = re.sub(r" +", " ", s).strip()
    return s or None
