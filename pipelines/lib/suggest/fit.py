"""Do a column's values fit the role its name or tag suggests? The check that keeps suggestions honest.

Each role has a test on the values (the first rows of the column, empty cells included where emptiness
matters): admin names must be COD names of the country at that level, admin codes its p-codes; an
organisation column holds many distinct name-like values (not yes/no, dates or numbers); a sector column's
values resolve to a sector; figures are numbers. A fit gives a share (0-1) and the evidence line printed
beside the choice; a share under the role's floor rejects the column for that role.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.lib.suggest.cod import CodIndex
from pipelines.lib.suggest.vocabulary import fold, sector_share

YES_NO = {"oui", "non", "yes", "no", "si", "y", "n", "true", "false", "vrai", "faux", "0", "1", "x", "sim", "nao"}
_DATE = re.compile(r"^\d{1,4}[-/.]\d{1,2}([-/.]\d{1,4})?([ T].*)?$")
_NUMBER = re.compile(r"^-?[\d\s.,]+$")
FLOORS = {"admin": 0.5, "org": 0.5, "sector": 0.5, "figure": 0.8}


@dataclass
class Fit:
    share: float
    evidence: str
    floor: float

    @property
    def ok(self) -> bool:
        return self.share >= self.floor


def _kind(field: str) -> str:
    if field.startswith("admin"):
        return "admin"
    if field in ("org_name", "org_acronym"):
        return "org"
    if field == "sector":
        return "sector"
    if field.startswith("people_"):
        return "figure"
    return "other"


def fit(field: str, values: list[str | None], country: str | None, cod: CodIndex | None) -> Fit | None:
    """How well `values` (None = empty cell) fit `field`; None when the role has no value test."""
    filled = [v.strip() for v in values if v is not None and v.strip()]
    kind = _kind(field)
    if kind == "other" or not filled:
        return None
    if kind == "admin":
        return _admin_fit(field, filled, country, cod)
    if kind == "org":
        return _org_fit(filled)
    if kind == "sector":
        share = sector_share([v or "" for v in values])
        return Fit(share, f"{share:.0%} of rows resolve to a sector", FLOORS["sector"])
    share = sum(1 for v in filled if _NUMBER.match(v)) / len(filled)
    return Fit(share, f"{share:.0%} of values are numbers", FLOORS["figure"])


def _not_names(filled: list[str]) -> str | None:
    """Why these values are not names (yes/no, dates, numbers), or None."""
    folded = [fold(v) for v in filled]
    for what, test in (("yes/no", lambda v: v in YES_NO), ("dates", lambda v: bool(_DATE.match(v))),
                       ("numbers", lambda v: bool(_NUMBER.match(v)))):
        share = sum(1 for v in folded if test(v)) / len(folded)
        if share >= 0.5:
            return f"{share:.0%} of values are {what}"
    return None


def _admin_fit(field: str, filled: list[str], country: str | None, cod: CodIndex | None) -> Fit:
    level, kind = int(field[5]), field.rsplit("_", 1)[1]
    if kind == "name" and (why := _not_names(filled)):
        return Fit(0.0, why, FLOORS["admin"])
    if cod is None or country is None or country not in cod.countries:
        return Fit(1.0, "not checked: no COD p-code list for the country", FLOORS["admin"])
    if (country, level) not in cod.pcodes:
        return Fit(1.0, f"not checked: the COD list has no {country} admin{level}", FLOORS["admin"])
    if kind == "code":
        share = cod.code_share(filled, country, level)
        return Fit(share, f"{share:.0%} of values are {country} admin{level} p-codes", FLOORS["admin"])
    share = cod.name_share(filled, country, level)
    return Fit(share, f"{share:.0%} of values match COD admin{level} names", FLOORS["admin"])


def _org_fit(filled: list[str]) -> Fit:
    if why := _not_names(filled):
        return Fit(0.0, why, FLOORS["org"])
    distinct = len(set(filled))
    # Many distinct values for a real partner list; a 2-value column is a category (Primary/Sub-implementing).
    need = min(5, max(2, len(filled) // 50))
    if distinct < need:
        return Fit(0.0, f"only {distinct} distinct value(s): a category, not organisations", FLOORS["org"])
    return Fit(1.0, f"{distinct} distinct organisation names", FLOORS["org"])
