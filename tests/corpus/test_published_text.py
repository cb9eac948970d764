"""No published CSV cell of the real snapshot starts a spreadsheet formula, or holds an email or a phone number."""
from __future__ import annotations

import csv
import re

from pipelines.publish.export import FORMULA_PREFIXES

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
PHONE = re.compile(r"(?<![\w.])\+\d{1,3}[ -]?\(?\d{1,4}\)?[ -]?\d{3}[ -]?\d{3,4}\b")


def test_phone_and_email_patterns_find_what_the_audit_typed():
    text = "ali.hassan@example.org / +252 61 5123456"
    assert EMAIL.search(text) and PHONE.search(text)
    assert not PHONE.search("-36063952.0") and not PHONE.search("ET0104") and not PHONE.search("2025-01-01")


def _is_number(cell: str) -> bool:
    """A plain number (a negative amount, say) is data, not a formula: OWASP neutralises text cells only."""
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_no_published_cell_is_a_formula_an_email_or_a_phone(real_published):
    files = sorted((real_published / "published").glob("*.csv"))
    assert files, "nothing was published"
    bad = []
    for path in files:
        with open(path, encoding="utf-8", newline="") as f:
            for n, row in enumerate(csv.reader(f), start=1):
                for cell in row:
                    if (cell.startswith(FORMULA_PREFIXES) and not _is_number(cell)) or EMAIL.search(cell) or PHONE.search(cell):
                        bad.append((path.name, n, cell[:60]))
    assert not bad, bad[:20]
