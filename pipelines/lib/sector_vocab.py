"""The sector vocabulary as Python sees it: the seeds plus the config's own aliases, keyed by sector_key.

The same lookup the dbt models make (macros lookups.sql: sector_alias_keys): a country's config alias,
then a config alias for every country, then the sector_aliases seed; below all of them, the parenthesised
acronym of a label ("Mine Action (MA)" -> "ma"), when it starts like the label and stands for one sector.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from functools import lru_cache

from pipelines.lib.paths import DBT_PROJECT_DIR
from pipelines.lib.sector_key import sector_key


def _rows(name: str) -> list[dict]:
    with open(DBT_PROJECT_DIR / "seeds" / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@lru_cache(maxsize=1)
def sector_codes() -> frozenset[str]:
    return frozenset(r["sector_code"] for r in _rows("sectors.csv"))


_ACRONYM = re.compile(r"\(([a-z]{2,6})\)")


def acronym_aliases(labels: Iterable[tuple[str, str]]) -> dict[str, str]:
    """(label, code) pairs -> {acronym: code} for "Mine Action (MA)" -> "ma": a parenthesised 2-6 letter
    acronym that starts like its label (not "Protection (overall)") and stands for one code only."""
    codes: dict[str, set[str]] = {}
    for label, code in labels:
        key = sector_key(label) or ""
        for acronym in _ACRONYM.findall(label.lower()):
            if acronym[0] == key[:1]:
                codes.setdefault(acronym, set()).add(code)
    return {a: next(iter(c)) for a, c in codes.items() if len(c) == 1}


@lru_cache(maxsize=1)
def seed_sector_map() -> dict[str, str]:
    """sector_key -> code from the sector_aliases seed (it holds each code and name of the sectors seed too),
    then the seed's parenthesised acronyms where no alias spells them."""
    out: dict[str, str] = {}
    rows = _rows("sector_aliases.csv")
    for r in rows:
        out.setdefault(sector_key(r["alias"]), r["sector_code"])
    for acronym, code in acronym_aliases((r["alias"], r["sector_code"]) for r in rows).items():
        out.setdefault(acronym, code)
    out.pop(None, None)
    return out


@lru_cache(maxsize=1)
def _seed_spelled() -> frozenset[str]:
    return frozenset(sector_key(r["alias"]) for r in _rows("sector_aliases.csv"))


def sector_map(config_aliases: Iterable = (), country: str | None = None) -> dict[str, str]:
    """sector_key -> code for one country's files: config aliases (the country's first) over the seeds; a
    config alias's parenthesised acronym only where nothing spells it."""
    out = dict(seed_sector_map())
    aliases = list(config_aliases)
    for scope in (None, country):
        mine = [a for a in aliases if (a.country or None) == scope and (scope is None or scope == country)]
        for a in mine:
            out[sector_key(a.alias)] = a.sector
        spelled = {sector_key(a.alias) for a in mine}
        for acronym, code in acronym_aliases((a.alias, a.sector) for a in mine).items():
            # as the SQL ranks them: a country's rows first, then spelled aliases, then acronyms
            if acronym not in spelled and (scope == country or acronym not in _seed_spelled()):
                out[acronym] = code
    return out


def resolve_sector(value: str | None, mapping: dict[str, str]) -> str | None:
    return mapping.get(sector_key(value)) if value is not None else None
