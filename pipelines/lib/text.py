"""Text rules shared by ingestion and the admin resolver."""
from __future__ import annotations

import re


def snake_case(name: str) -> str:
    """Column name as raw tables store it: countryCode -> country_code, 'Admin 1 P-Code' -> admin_1_p_code."""
    s = re.sub(r"([a-z0-9])([A-Z][a-z])", r"\1_\2", str(name).strip())  # countryCode; not PiN
    s = re.sub(r"([a-z])([A-Z]{2,})\b", r"\1_\2", s)  # amountUSD
    s = re.sub(r"[^0-9a-zA-Z]+", "_", s).strip("_").lower()  # a BOM or punctuation becomes '_', then goes
    return s or "column"


# One cell, two names: "Taizz / تعز", "Kaboul / Kabul", "Hiraan | Hiran", "Bay - Baydhabo".
_NAME_SPLIT = re.compile(r"\s+/\s+|\s*\|\s*|\s+-\s+")


def name_parts(text: str) -> list[str]:
    """The names a cell with two languages (or two spellings) holds, stripped; [] when it holds one."""
    parts = [p.strip() for p in _NAME_SPLIT.split(str(text)) if p and p.strip()]
    return parts if len(parts) > 1 else []
