"""normalised.admin_lookup and normalised.admin_units: every admin key of the sources, resolved.

The keys are not guessed here: dbt lists them in intermediate.int_admin_keys (the staging models'
admin_lookup_key, macro admin_key_columns), and the intermediate models join the result back on
(source_table, lookup_key). This module only reads that list, resolves it (pipelines/lib/pcodes.py)
and writes the two tables in one transaction.
"""
from __future__ import annotations

import logging
from collections import Counter

import duckdb
import pandas as pd

from pipelines.lib.config import AdminNames
from pipelines.lib.pcode_levels import admin_units, build_admin_levels
from pipelines.lib.pcodes import KEY_COLUMNS, RESULT_COLUMNS, resolve_admin
from pipelines.lib.warehouse import transaction

logger = logging.getLogger(__name__)

# The dbt model of keys (schema.table as dbt builds it: models/intermediate -> schema `intermediate`).
ADMIN_KEYS_RELATION = "intermediate.int_admin_keys"
LOOKUP_COLUMNS = ["source_table", "lookup_key", *KEY_COLUMNS, *RESULT_COLUMNS]


class AdminKeysMissing(RuntimeError):
    """int_admin_keys has not been built: the dbt step before the lookup must run first."""


def read_admin_keys(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    schema, table = ADMIN_KEYS_RELATION.split(".")
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
    ).fetchone()[0]
    if not exists:
        raise AdminKeysMissing(
            f"{ADMIN_KEYS_RELATION} does not exist: build it first (dbt build --select +{table}), "
            "as `clusterwatch refresh` and `clusterwatch ingest` do"
        )
    columns = ", ".join(["source_table", "lookup_key", *KEY_COLUMNS])
    return con.execute(f"select {columns} from {ADMIN_KEYS_RELATION} order by source_table, lookup_key").df()


def write_admin_lookup(con: duckdb.DuckDBPyConnection, countries: list[str], names: AdminNames | None = None) -> dict:
    """Resolve every key of int_admin_keys and replace normalised.admin_lookup and normalised.admin_units.

    Reads raw.pcodes and raw.pcode_lengths (limited to `countries`; an empty list means all) and the keys.
    Keys of a country outside `countries` are kept, as `unmatched` with the issue "No COD p-codes loaded
    for country X", so nothing disappears silently. `names`: the configured admin-name exceptions.
    Replaces, in one transaction:

    - normalised.admin_lookup, one row per (source_table, lookup_key), all VARCHAR: source_table,
      lookup_key, country_code, admin1_code, admin1_name, admin2_code, admin2_name (as given, nullable),
      admin1_pcode, admin2_pcode (COD p-codes or NULL), admin1_method, admin2_method (see pcodes.METHODS),
      admin1_issue, admin2_issue and issue (both joined with '; '; NULL when clean).
    - normalised.admin_units: country_code, admin_level (INTEGER 1 or 2), pcode, name, parent_pcode
      (NULL at admin1): the COD units of the configured countries, for names.

    Returns {"keys": n, "admin1": {method: n}, "admin2": {method: n}, "sources": {table: n_keys}}.
    """
    keys = read_admin_keys(con)
    wanted = sorted({c.upper() for c in countries}) if countries else []
    country_filter = "true" if not wanted else "upper(trim(location)) in (select unnest(?::varchar[]))"
    params = [wanted] if wanted else []
    pcodes = con.execute(f"select * from raw.pcodes where {country_filter}", params).df()
    lengths = con.execute(f"select * from raw.pcode_lengths where {country_filter}", params).df()
    levels = build_admin_levels(pcodes, lengths, wanted or None, names)

    parts = []
    for table, rows in keys.groupby("source_table", sort=False):
        resolved = resolve_admin(levels, rows, logname=str(table), names=names)
        resolved.insert(0, "source_table", table)
        resolved.insert(1, "lookup_key", rows["lookup_key"].to_numpy())
        parts.append(resolved)
    lookup = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=LOOKUP_COLUMNS)
    lookup = lookup[LOOKUP_COLUMNS].astype(object).where(lookup[LOOKUP_COLUMNS].notna(), None)
    _replace_tables(con, lookup, admin_units(pcodes))

    result = {
        "keys": len(lookup),
        "admin1": {m: int(n) for m, n in Counter(lookup["admin1_method"]).items()},
        "admin2": {m: int(n) for m, n in Counter(lookup["admin2_method"]).items()},
        "sources": {str(t): int(n) for t, n in keys["source_table"].value_counts(sort=False).items()},
    }
    logger.info("admin lookup: %s keys, admin1 %s, admin2 %s", result["keys"], result["admin1"], result["admin2"])
    return result


def _replace_tables(con: duckdb.DuckDBPyConnection, lookup: pd.DataFrame, units: pd.DataFrame) -> None:
    """Both tables or neither: a failure leaves the previous lookup in place."""
    con.register("_cw_admin_lookup", lookup)
    con.register("_cw_admin_units", units)
    try:
        with transaction(con):
            con.execute("create schema if not exists normalised")
            casts = ", ".join(f"cast({c} as varchar) as {c}" for c in LOOKUP_COLUMNS)
            con.execute(f"create or replace table normalised.admin_lookup as select {casts} from _cw_admin_lookup")
            con.execute(
                """
                create or replace table normalised.admin_units as
                select cast(country_code as varchar) as country_code, cast(admin_level as integer) as admin_level,
                       cast(pcode as varchar) as pcode, cast(name as varchar) as name,
                       cast(parent_pcode as varchar) as parent_pcode
                from _cw_admin_units
                """
            )
    finally:
        for view in ("_cw_admin_lookup", "_cw_admin_units"):
            con.unregister(view)
