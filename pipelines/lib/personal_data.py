"""THE rule that finds and removes e-mail addresses and phone numbers in source text (personal data is never
published).

The dbt macros `scrub_personal_data` and `personal_data_kind` (dbt_project/macros/personal_data.sql) are the
same rule in SQL; staging applies them to every raw text cell, and tests/test_personal_data.py runs both on
the same strings. The patterns avoid look-arounds and \\d, \\s, \\b so that Python's re and DuckDB's RE2 read them
alike.

- EMAIL: name@domain.tld.
- PHONE: an international number (+ and 8 to 15 digits, or 00 and 11 to 15 digits) or a national one written
  with its trunk 0 (9 to 11 digits), digits grouped by spaces, dots, hyphens or brackets, standing on its own.
  What it must never take: p-codes (SO1101, ET041234), plan codes (HSOM24), years and dates (2025-01-01,
  1.04.2025), amounts (-36063952.0, 80 418, 1,234,567), ids (UUIDs, md5 hex): no leading + or 0, a letter,
  '.', ',' or '-' just before, or a letter or digit just after, each rules a number out.
After removal the leftovers are tidied (empty brackets, a dangling "Tel:" label, separators at either end);
text that held nothing else becomes None.
"""
from __future__ import annotations

import re

EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
PHONE = (
    r"(^|[^0-9A-Za-z_.,-])"
    r"(\+[0-9](?:[ .-]?\(?[0-9]\)?){7,14}"
    r"|00[1-9][0-9](?:[ .-]?\(?[0-9]\)?){7,11}"
    r"|\(?0[1-9][0-9]?\)?(?:[ .-]?[0-9]){7,9})"
    r"([^0-9A-Za-z_]|$)"
)
PHONE_KEEP = r"\1\3"  # the characters around the number stay
# Cheap test first: an '@', or where a PHONE could start (+digit, or 0 and a digit, at the start or after a
# character PHONE allows before a number). "8 digits close together" let every ISO date through to the full scan.
HINT = r"@|(^|[^0-9A-Za-z_.,-])(\+[0-9]|\(?0[0-9])"
EMPTY_BRACKETS = r"\([ ]*\)|\[[ ]*\]"
SPACES = r"[ \t\r\n]+"
LABEL_AT_END = r"(^|[^A-Za-z])([Ee]-?[Mm]ail|[Tt]el|[Pp]hone|[Mm]obile|[Mm]ob|[Cc]ontact|[Ww]hats[Aa]pp)[ .:;,/|(-]*$"
EDGES = r"^[ ,;:/|)-]+|[ ,;:/|(-]+$"

_email, _phone, _hint = re.compile(EMAIL), re.compile(PHONE), re.compile(HINT)
_brackets, _spaces, _label, _edges = re.compile(EMPTY_BRACKETS), re.compile(SPACES), re.compile(LABEL_AT_END), re.compile(EDGES)


def _removed(text: str) -> str:
    # Phones twice: a number's closing character may be the opening one of the next ("0611234567/0621234567").
    return _phone.sub(PHONE_KEEP, _phone.sub(PHONE_KEEP, _email.sub("", text)))


def personal_data_kind(text: str | None) -> str | None:
    """'email', 'phone', 'email and phone', or None when the text holds neither."""
    if text is None:
        return None
    email = _email.search(text) is not None
    phone = _phone.search(_email.sub("", text)) is not None
    return "email and phone" if email and phone else "email" if email else "phone" if phone else None


def scrub_personal_data(text: str | None) -> str | None:
    """The text without e-mail addresses and phone numbers; unchanged (not even trimmed) when it holds none."""
    if text is None or not _hint.search(text):
        return text
    removed = _removed(text)
    if removed == text:
        return text
    tidy = _edges.sub("", _label.sub(r"\1", _spaces.sub(" ", _brackets.sub("", removed))))
    return tidy or None
