"""The sector vocabulary as Python sees it: the seeds plus the config's own aliases, keyed by sector_key.

The same lookup the dbt models make (macros lookups.sql: sector_alias_keys): a country's config alias,
then a config alias for every country, then the sector_aliases seed.
"""
from __future__ import annotations

import csv
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


@lru_cache(maxsize=1)
def seed_sector_map() -> dict[str, str]:
    """sector_key -> code from the sector_aliases seed (it holds each code and name of the sectors seed too)."""
    out: dict[str, str] = {}
    for r in _rows("sector_aliases.csv"):
        out.setdefault(sector_key(r["alias"]), r["sector_code"])
    out.pop(None, None)
    return out


def sector_map(config_aliases: Iterable = (), country: str | None = None) -> dict[str, str]:
    """sector_key -> code for one country's files: config aliases (the country's first) over the seeds."""
    out = dict(seed_sector_map())
    aliases = list(config_aliases)
    for scope in (None, country):
        for a in aliases:
            if (a.country or None) == scope and (scope is None or scope == country):
                out[sector_key(a.alias)] = a.sector
    return out


def resolve_sector(value: str | None, mapping: dict[str, str]) -> str | None:
    return mapping.get(sector_key(value)) if value is not None else None
