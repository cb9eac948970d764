"""The p-code lookup dbt joins on: every admin key of the sources, resolved (dbt Python models
int_admin_lookup and int_admin_units, dbt_project/models/intermediate/).

The keys are not guessed here: dbt lists them in int_admin_keys (the staging models' admin_lookup_key,
macro admin_key_columns), and the intermediate models join the result back on (source_table, lookup_key).
This module only resolves that list (pipelines/lib/pcodes.py) into typed Arrow tables; dbt writes them, in
the same build as every other model.
"""
from __future__ import annotations

import logging
from collections import Counter

import pandas as pd
import pyarrow as pa

from pipelines.lib.config import AdminNames
from pipelines.lib.pcode_levels import admin_units, build_admin_levels
from pipelines.lib.pcodes import KEY_COLUMNS, RESULT_COLUMNS, resolve_admin

logger = logging.getLogger(__name__)

LOOKUP_COLUMNS = ["source_table", "lookup_key", *KEY_COLUMNS, *RESULT_COLUMNS]
LOOKUP_SCHEMA = pa.schema([(c, pa.string()) for c in LOOKUP_COLUMNS])
UNITS_SCHEMA = pa.schema([("country_code", pa.string()), ("admin_level", pa.int32()), ("pcode", pa.string()),
                          ("name", pa.string()), ("parent_pcode", pa.string())])


def wanted_countries(countries: list[str] | None) -> list[str]:
    """The ISO3 codes in scope, upper-cased; an empty list means every country."""
    return sorted({str(c).strip().upper() for c in countries or []})


def in_scope(relation, countries: list[str] | None):
    """A DuckDB relation of raw.pcodes or raw.pcode_lengths limited to the countries (all when none)."""
    wanted = wanted_countries(countries)
    if not wanted:
        return relation
    if not all(len(c) == 3 and c.isalpha() for c in wanted):  # they are written into SQL below
        raise ValueError(f"countries must be ISO3 codes, got {wanted}")
    return relation.filter("upper(trim(location)) in (" + ", ".join(f"'{c}'" for c in wanted) + ")")


def resolve_lookup(keys: pd.DataFrame, pcodes: pd.DataFrame, lengths: pd.DataFrame, countries: list[str] | None,
                   names: AdminNames | None = None) -> tuple[pa.Table, dict]:
    """Resolve every key of int_admin_keys (`keys`) against the p-codes of the countries in scope.

    Keys of a country outside `countries` are kept, as `unmatched` with the issue "No COD p-codes loaded
    for country X", so nothing disappears silently. `names`: the configured admin-name exceptions.
    The table has one row per (source_table, lookup_key), all strings: source_table, lookup_key,
    country_code, admin1_code, admin1_name, admin2_code, admin2_name (as given, nullable), admin1_pcode,
    admin2_pcode (COD p-codes or null), admin1_method, admin2_method (see pcodes.METHODS), admin1_issue,
    admin2_issue and issue (both joined with '; '; null when clean).

    Returns the table and {"keys": n, "admin1": {method: n}, "admin2": {method: n}, "sources": {table: n}}.
    """
    levels = build_admin_levels(pcodes, lengths, wanted_countries(countries) or None, names)
    parts = []
    for table, rows in keys.groupby("source_table", sort=False):
        resolved = resolve_admin(levels, rows, logname=str(table), names=names)
        resolved.insert(0, "source_table", table)
        resolved.insert(1, "lookup_key", rows["lookup_key"].to_numpy())
        parts.append(resolved)
    lookup = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=LOOKUP_COLUMNS)
    lookup = lookup[LOOKUP_COLUMNS].astype(object).where(lookup[LOOKUP_COLUMNS].notna(), None)
    counts = {
        "keys": len(lookup),
        "admin1": {m: int(n) for m, n in Counter(lookup["admin1_method"]).items()},
        "admin2": {m: int(n) for m, n in Counter(lookup["admin2_method"]).items()},
        "sources": {str(t): int(n) for t, n in keys["source_table"].value_counts(sort=False).items()},
    }
    logger.info("admin lookup: %s keys, admin1 %s, admin2 %s", counts["keys"], counts["admin1"], counts["admin2"])
    table = pa.Table.from_pydict(
        {c: pa.array([None if v is None else str(v) for v in lookup[c]], pa.string()) for c in LOOKUP_COLUMNS},
        schema=LOOKUP_SCHEMA)
    return table, counts


def units_table(pcodes: pd.DataFrame) -> pa.Table:
    """COD admin 1 and 2 units of the p-code rows given: country_code, admin_level (1 or 2), pcode, name,
    parent_pcode (null at admin 1)."""
    units = admin_units(pcodes)
    return pa.Table.from_pydict(
        {f.name: pa.array([None if pd.isna(v) else v for v in units[f.name]], f.type) for f in UNITS_SCHEMA},
        schema=UNITS_SCHEMA)
