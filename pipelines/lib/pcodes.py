"""P-code normalisation: the ONE place admin codes and names from sources become COD p-codes.

Every source (3W/4W presence, HNO, JIAF PiN, drought needs) reaches the marts through the
`normalised.admin_lookup` table written here; dbt joins on it and never re-implements the rules.

The rules, tried in this order for each admin level, on DISTINCT source keys only:

1. ``exact``            the code is a COD p-code of that country and level (``SO2201``)
2. ``normalised``       it is after fixing case and whitespace (``' so2201'`` -> ``SO2201``)
3. ``length_converted`` hdx-python-country's ``AdminLevel.convert_admin_pcode_length`` turns it into one
                        (``TD19`` -> ``TCD19``, ``AF0101`` vs ``AFG0101`` ...), using the p-code lengths file
4. ``name_matched``     the code is missing or unknown, and the name matches a unit within the parent
                        (admin1 for admin2, the country for admin1): exact normalised name first, then the
                        same name anywhere in the country, then AdminLevel's fuzzy matcher within the parent
5. ``from_admin2``      (admin1 only) admin1 is missing, unknown, or disagrees with the resolved admin2's
                        parent, so it is taken from the admin2 unit's parent (HAPI does the same:
                        ``PCode mismatch SO25->SO24 (parent)``)
6. ``unmatched``        something was given but nothing above worked; the p-code stays NULL
7. ``not_provided``     neither a code nor a name was given for that level

A code that is not a valid p-code is never passed through: an unknown code gives a NULL p-code and
an ``Unknown pcode ...`` issue. Every correction and doubt is written to ``issue`` so that dbt can turn
it into a `quality_issues` row.

Network: AdminLevel and Country are fed from the snapshot / raw tables only. The default global p-code
and country-list URLs are never fetched (Country data is loaded from the file inside the package).
"""
from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable

import duckdb
import pandas as pd
from hdx.location.adminlevel import AdminLevel
from hdx.location.country import Country
from hdx.utilities.text import normalise

from pipelines.lib.sql import quote_ident as _q
from pipelines.lib.text import snake_case as _snake  # the loader's rule, so names match raw.pcodes

logger = logging.getLogger(__name__)

METHODS = ("exact", "normalised", "length_converted", "name_matched", "from_admin2", "unmatched", "not_provided")
KEY_COLUMNS = ["country_code", "admin1_code", "admin1_name", "admin2_code", "admin2_name"]
RESULT_COLUMNS = [
    "admin1_pcode",
    "admin2_pcode",
    "admin1_method",
    "admin2_method",
    "admin1_issue",
    "admin2_issue",
    "issue",
]

# Values that mean "no value" even when a loader let them through.
_NULL_MARKERS = {"", "-", "#n/a", "n/a", "na", "null", "<null>", "none", "nan"}
# Rows of the global p-code list that are placeholders, not admin units (SOM has P-Code "Unspecified").
_PLACEHOLDER_PCODES = {"UNSPECIFIED", "UNKNOWN", "NONE", "N/A", "NA", "OTHER"}
_WHITESPACE = re.compile(r"[\s\u00a0\u2007\u202f\ufeff]+")

# The SQL expression dbt must use to compute `lookup_key` from a raw row, with the raw column
# names of that table substituted (see SOURCE_KEYS and `lookup_key_sql`). NULL and '' give the same key.
LOOKUP_KEY_TEMPLATE = (
    "concat_ws('|', coalesce({country},''), coalesce({admin1_code},''), coalesce({admin1_name},''), "
    "coalesce({admin2_code},''), coalesce({admin2_name},''))"
)

# Raw table -> raw column holding each key field. The first candidate that exists is used;
# a field with no column is NULL. `country_code` falls back to `_partition` (the ISO3 partition).
SOURCE_KEYS: dict[str, dict[str, list[str]]] = {
    "presence": {
        "country_code": ["country_code"],
        "admin1_code": ["admin1_code"],
        "admin1_name": ["admin1_name"],
        "admin2_code": ["admin2_code"],
        "admin2_name": ["admin2_name"],
    },
    "hno_hpc": {
        "country_code": ["country_iso3", "country_code", "iso3"],
        "admin1_code": ["admin_1_pcode", "admin1_pcode", "admin_1_p_code"],
        "admin1_name": ["admin_1_name", "admin1_name"],
        "admin2_code": ["admin_2_pcode", "admin2_pcode", "admin_2_p_code"],
        "admin2_name": ["admin_2_name", "admin2_name"],
    },
    "jiaf_pin": {
        "country_code": ["iso3", "country_code"],
        "admin1_code": ["admin_1_p_code", "admin_1_pcode"],
        "admin1_name": ["admin_1", "admin_1_name"],
        "admin2_code": ["admin_2_p_code", "admin_2_pcode"],
        "admin2_name": ["admin_2", "admin_2_name"],
    },
    "drought_needs": {
        "country_code": ["country_code", "iso3", "country_iso3"],
        "admin1_code": ["location_admin1_pcode", "admin1_pcode", "admin_1_pcode"],
        "admin1_name": ["location_region", "region", "admin1_name"],
        "admin2_code": ["location_admin2_pcode", "admin2_pcode", "admin_2_pcode"],
        "admin2_name": ["location_zone", "zone", "admin2_name"],
    },
}


# --------------------------------------------------------------------------- setup


def _offline_country_data() -> None:
    """Load hdx-python-country's country list from the file shipped in the package, never the web.

    `Country.get_iso2_from_iso3` (used by the length conversion) would otherwise download the OCHA
    country feed on first use. Once loaded the data is cached for the process.
    """
    if Country._countriesdata is None:
        previous = Country._use_live
        Country.countriesdata(use_live=False)
        Country._use_live = previous


def _clean(value) -> str | None:
    """A raw value as text, or None when it is blank or a null marker."""
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN
        return None
    text = _WHITESPACE.sub(" ", unicodedata.normalize("NFC", str(value))).strip()
    if text.lower() in _NULL_MARKERS:
        return None
    return text


def _pcode_rows(pcodes: pd.DataFrame, level: int, countries: set[str] | None) -> list[dict]:
    df = pcodes.rename(columns=_snake)
    missing = {"location", "admin_level", "p_code", "name", "parent_p_code"} - set(df.columns)
    if missing:
        raise ValueError(f"p-code list lacks column(s) {sorted(missing)}; got {list(df.columns)}")
    rows = []
    for loc, lvl, pcode, name, parent in df[["location", "admin_level", "p_code", "name", "parent_p_code"]].itertuples(
        index=False
    ):
        loc, pcode = _clean(loc), _clean(pcode)
        if not loc or not pcode or pcode.upper() in _PLACEHOLDER_PCODES:
            continue
        loc = loc.upper()
        if countries and loc not in countries:
            continue
        try:
            lvl = int(float(lvl))
        except (TypeError, ValueError):
            continue
        # AdminLevel reads level-1 rows of the admin2 list to learn parent names.
        if lvl not in (level, level - 1):
            continue
        rows.append(
            {
                "Location": loc,
                "Admin Level": str(lvl),
                "P-Code": _WHITESPACE.sub("", pcode).upper(),
                "Name": _clean(name) or "",
                "Parent P-Code": _WHITESPACE.sub("", _clean(parent) or "").upper(),
            }
        )
    return rows


def _length_rows(lengths: pd.DataFrame, countries: set[str] | None) -> list[dict]:
    df = lengths.rename(columns=_snake)
    if "location" not in df.columns or "country_length" not in df.columns:
        raise ValueError(f"p-code lengths lack location/country_length; got {list(df.columns)}")
    rows = []
    for rec in df.to_dict("records"):
        loc = _clean(rec.get("location"))
        if not loc or (countries and loc.upper() not in countries):
            continue
        if not (_clean(rec.get("country_length")) or "").isdigit():  # an HXL row or a broken line
            continue
        rows.append(
            {
                "Location": loc.upper(),
                "Country Length": _clean(rec.get("country_length")) or "",
                **{f"Admin {i} Length": _clean(rec.get(f"admin_{i}_length")) or "" for i in range(1, 6)},
            }
        )
    return rows


def build_admin_levels(
    pcodes: pd.DataFrame, lengths: pd.DataFrame, countries: list[str] | None
) -> dict[int, AdminLevel]:
    """AdminLevel objects for admin1 and admin2, set up from the given p-code rows only.

    `pcodes` has the columns of the global p-code list (`Location, Admin Level, P-Code, Name,
    Parent P-Code`) either as published or snake_cased as in raw.pcodes; `lengths` those of the
    p-code lengths file (`Location, Country Length, Admin 1 Length, ...`). `countries` limits both
    (None: all countries). Nothing is downloaded.
    """
    _offline_country_data()
    wanted = {c.upper() for c in countries} if countries else None
    levels: dict[int, AdminLevel] = {}
    formats = _length_rows(lengths, wanted)
    for level in (1, 2):
        al = AdminLevel(admin_level=level)  # no retriever: it cannot fetch anything
        rows = _pcode_rows(pcodes, level, wanted)
        if rows:
            al.setup_from_iterable(rows, list(wanted) if wanted else None)
        # Must follow setup: it records where each country's p-codes have zeroes.
        al.load_pcode_formats_from_iterable(formats)
        if level == 2:
            al.set_parent_admins_from_adminlevels([levels[1]])
        levels[level] = al
    return levels


# --------------------------------------------------------------------------- resolution


class _Index:
    """Plain-dict views of the AdminLevel data for the fast paths (exact and normalised lookups)."""

    def __init__(self, levels: dict[int, AdminLevel]):
        self.levels = levels
        self.iso3 = {lvl: al.pcode_to_iso3 for lvl, al in levels.items()}
        self.parent = levels[2].pcode_to_parent
        self.name = {lvl: al.pcode_to_name for lvl, al in levels.items()}
        self.countries = set(levels[1].pcode_to_iso3.values()) | set(levels[2].pcode_to_iso3.values())
        # (level, iso3, normalised name) -> p-codes; (iso3, parent, normalised name) -> p-code
        self.by_name: dict[tuple[int, str, str], set[str]] = defaultdict(set)
        for lvl, al in levels.items():
            for pcode, name in al.pcode_to_name.items():
                if name:
                    self.by_name[(lvl, al.pcode_to_iso3[pcode], normalise(name))].add(pcode)
        self.by_parent_name: dict[tuple[str, str, str], str] = {}
        for pcode, name in levels[2].pcode_to_name.items():
            if name:
                key = (levels[2].pcode_to_iso3[pcode], self.parent.get(pcode), normalise(name))
                self.by_parent_name[key] = pcode


def _resolve_code(
    ix: _Index, level: int, iso3: str, code: str, logname: str, parent: str | None = None
) -> tuple[str | None, str, str | None]:
    """(p-code, method, issue) for a given code at a level.

    A length conversion at admin2 must land within `parent` when that is known: AF101 could be
    AF0101 or AF1001, and only the parent can tell.
    """
    known = ix.iso3[level]
    if code in known:
        if known[code] == iso3:
            return code, "exact", None
        return None, "unmatched", f"PCode {code} belongs to {known[code]}, not {iso3}"
    fixed = _WHITESPACE.sub("", code).upper()
    if fixed in known and known[fixed] == iso3:
        return fixed, "normalised", f"PCode case/whitespace '{code}'->{fixed}"
    al = ix.levels[level]
    if AdminLevel.looks_like_pcode(fixed):
        try:
            converted = al.convert_admin_pcode_length(iso3, fixed, logname=logname)
        except (KeyError, IndexError, ValueError):  # countries without a usable format
            converted = None
        if converted and known.get(converted) == iso3:
            if level == 2 and parent and ix.parent.get(converted) != parent:
                return None, "unmatched", f"Unknown pcode {code} (length conversion {converted} is not in {parent})"
            return converted, "length_converted", f"PCode length {code}->{converted}"
    return None, "unmatched", f"Unknown pcode {code}"


def _resolve_name(
    ix: _Index, level: int, iso3: str, name: str, parent: str | None, logname: str
) -> tuple[str | None, str | None]:
    """(p-code, issue) for a name at a level, within `parent` (admin2) when it is known."""
    norm = normalise(name)
    where = f"within {parent}" if parent else f"in {iso3}"
    if not norm:
        return None, f"Unknown admin{level} name '{name}'"
    if level == 2 and parent:
        pcode = ix.by_parent_name.get((iso3, parent, norm))
        if pcode:
            return pcode, f"Name '{name}' matched {pcode} {where}"
    candidates = ix.by_name.get((level, iso3, norm), set())
    if len(candidates) == 1:
        pcode = next(iter(candidates))
        if level == 2 and parent and ix.parent.get(pcode) != parent:
            return pcode, f"Name '{name}' matched {pcode} in {ix.parent.get(pcode)}, not in {parent}"
        return pcode, f"Name '{name}' matched {pcode} {where}"
    if len(candidates) > 1 and not (level == 2 and parent):
        return None, f"Ambiguous admin{level} name '{name}' in {iso3}: {', '.join(sorted(candidates))}"
    if level == 2 and not parent:
        # Fuzzy matching across a whole country is too loose ("Kore" -> "Korahe"); only within a parent.
        return None, f"Unknown admin2 name '{name}' {where} (no admin1 to search within)"
    # Slow path: AdminLevel's own lookup (name mappings, substrings, name parts, fuzzy).
    al = ix.levels[level]
    try:
        pcode, exact = al.get_pcode(iso3, name, parent=parent if level == 2 else None, logname=logname)
    except (KeyError, IndexError, ValueError):
        pcode, exact = None, True
    if pcode:
        pcode = pcode.upper()
    if pcode and ix.iso3[level].get(pcode) == iso3 and (level == 1 or not parent or ix.parent.get(pcode) == parent):
        cod_name = ix.name[level].get(pcode) or ""
        if not exact and _directions(name) != _directions(cod_name):
            # "South Ethiopia" is not "South West Ethiopia", "East Borena" is not "Borena".
            return None, f"Unknown admin{level} name '{name}' {where} (closest COD name '{cod_name}' rejected)"
        how = "" if exact else f" (fuzzy, COD name '{cod_name}')"
        return pcode, f"Name '{name}' matched {pcode} {where}{how}"
    return None, f"Unknown admin{level} name '{name}' {where}"


_DIRECTION_WORDS = {
    "north", "south", "east", "west", "central", "northern", "southern", "eastern", "western",
    "northeast", "northwest", "southeast", "southwest", "upper", "lower", "middle",
    "nord", "sud", "est", "ouest", "centre", "haut", "bas", "moyen", "norte", "sur", "este", "oeste",
}


def _directions(name: str) -> set[str]:
    """Compass and position words of a place name; a fuzzy match must not change them."""
    return set(normalise(name).split()) & _DIRECTION_WORDS


def _name_disagrees(ix: _Index, level: int, iso3: str, pcode: str, name: str | None) -> str | None:
    """HAPI's `PCode mismatch SO2208 != Hodan`: the given name is, exactly, another unit's name."""
    if not name:
        return None
    norm = normalise(name)
    if not norm or normalise(ix.name[level].get(pcode) or "") == norm:
        return None
    if level == 2:
        other = ix.by_parent_name.get((iso3, ix.parent.get(pcode), norm))
        others = {other} if other else set()
    else:
        others = ix.by_name.get((1, iso3, norm), set())
    if others and pcode not in others:
        return f"PCode mismatch {pcode} != {name} (that name is {', '.join(sorted(others))})"
    return None


def _join(*issues: str | None) -> str | None:
    parts = [i for i in issues if i]
    return "; ".join(parts) if parts else None


def _resolve_key(ix: _Index, key: tuple, logname: str) -> tuple:
    country, a1c, a1n, a2c, a2n = (_clean(v) for v in key)
    iso3 = country.upper() if country else None
    if iso3 is None or iso3 not in ix.countries:
        why = "No country code" if iso3 is None else f"No COD p-codes loaded for country {iso3}"
        m1 = "unmatched" if (a1c or a1n) else "not_provided"
        m2 = "unmatched" if (a2c or a2n) else "not_provided"
        i1 = why if m1 == "unmatched" else None
        i2 = why if m2 == "unmatched" else None
        return None, None, m1, m2, i1, i2, _join(i1 if i1 else None, i2 if i2 != i1 else None)

    # ---- admin1 from its own code or name
    p1, m1, i1 = None, "not_provided", None
    if a1c:
        p1, m1, i1 = _resolve_code(ix, 1, iso3, a1c, logname)
        moved = False
        if p1 is None and _resolve_code(ix, 2, iso3, a1c, logname)[0] is not None:
            # An admin2 code in the admin1 column (JIAF ETH: `Admin 1 P-Code` = ET0101).
            i1 = f"Admin1 code {a1c} is an admin2 p-code"
            if not a2c:
                a2c, moved = a1c, True
        if p1 is None and a1n and not moved:
            p_name, name_issue = _resolve_name(ix, 1, iso3, a1n, None, logname)
            if p_name:
                p1, m1 = p_name, "name_matched"
            i1 = _join(i1, name_issue)
    elif a1n:
        p1, i1 = _resolve_name(ix, 1, iso3, a1n, None, logname)
        m1 = "name_matched" if p1 else "unmatched"
    if p1 and m1 in ("exact", "normalised", "length_converted"):
        i1 = _join(i1, _name_disagrees(ix, 1, iso3, p1, a1n))

    # ---- admin2 from its code or its name within admin1
    p2, m2, i2 = None, "not_provided", None
    if a2c:
        p2, m2, i2 = _resolve_code(ix, 2, iso3, a2c, logname, parent=p1)
        if p2 is None and a2n:
            p_name, name_issue = _resolve_name(ix, 2, iso3, a2n, p1, logname)
            if p_name:
                p2, m2 = p_name, "name_matched"
            i2 = _join(i2, name_issue)
        elif p2:
            i2 = _join(i2, _name_disagrees(ix, 2, iso3, p2, a2n))
    elif a2n:
        p2, i2 = _resolve_name(ix, 2, iso3, a2n, p1, logname)
        m2 = "name_matched" if p2 else "unmatched"

    # ---- admin2 is the more specific: its parent wins over a missing or conflicting admin1
    if p2:
        parent = ix.parent.get(p2)
        if parent and parent != p1 and parent in ix.iso3[1]:
            if p1:
                i1 = _join(i1, f"PCode mismatch {p1}->{parent} (parent)")
            elif m1 == "not_provided":
                i1 = None
            p1, m1 = parent, "from_admin2"
    return p1, p2, m1, m2, i1, i2, _join(i1, i2)


def resolve_admin(levels: dict[int, AdminLevel], rows: pd.DataFrame, logname: str = "clusterwatch") -> pd.DataFrame:
    """Resolve source admin keys to COD p-codes.

    `rows` has the columns country_code, admin1_code, admin1_name, admin2_code, admin2_name (missing
    columns count as NULL). Returns one row per input row, in order: the key columns as given plus
    admin1_pcode, admin2_pcode, admin1_method, admin2_method, admin1_issue, admin2_issue and issue
    (both issues joined with '; '). Each distinct key is resolved once.
    """
    ix = _Index(levels)
    keys = rows.reindex(columns=KEY_COLUMNS).astype(object).where(rows.reindex(columns=KEY_COLUMNS).notna(), None)
    tuples = list(keys.itertuples(index=False, name=None))
    cache: dict[tuple, tuple] = {}
    for key in dict.fromkeys(tuples):
        cache[key] = _resolve_key(ix, key, logname)
    resolved = pd.DataFrame([cache[k] for k in tuples], columns=RESULT_COLUMNS, index=keys.index)
    out = pd.concat([keys, resolved], axis=1).reset_index(drop=True)
    for col in RESULT_COLUMNS:
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


# --------------------------------------------------------------------------- warehouse


def lookup_key_sql(columns: dict[str, str]) -> str:
    """The lookup_key SQL for a raw table, given field -> SQL expression (a column name or NULL)."""
    return LOOKUP_KEY_TEMPLATE.format(
        country=columns["country_code"],
        admin1_code=columns["admin1_code"],
        admin1_name=columns["admin1_name"],
        admin2_code=columns["admin2_code"],
        admin2_name=columns["admin2_name"],
    )


def _table_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str] | None:
    rows = con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [schema, table],
    ).fetchall()
    return [r[0] for r in rows] or None


def _pick(columns: list[str], candidates: Iterable[str]) -> str | None:
    present = set(columns)
    for c in candidates:
        if c in present:
            return c
    # Tolerate a group prefix added by the loader (location_admin1_pcode).
    flat = {re.sub(r"[^a-z0-9]", "", c.lower()): c for c in columns}
    for c in candidates:
        want = re.sub(r"[^a-z0-9]", "", c)
        hits = [orig for f, orig in flat.items() if f.endswith(want) and not f.startswith("_")]
        if len(hits) == 1:
            return hits[0]
    return None


def source_key_columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str] | None:
    """Field -> SQL expression over raw.<table> for the admin key, or None if the table is absent."""
    columns = _table_columns(con, "raw", table)
    if columns is None:
        return None
    exprs = {}
    for field, candidates in SOURCE_KEYS[table].items():
        col = _pick(columns, candidates)
        exprs[field] = _q(col) if col else "NULL"
    if exprs["country_code"] == "NULL" and "_partition" in columns:
        exprs["country_code"] = "_partition"
    return exprs


def write_admin_lookup(con: duckdb.DuckDBPyConnection, countries: list[str]) -> dict:
    """Resolve every distinct admin key of the raw sources and replace normalised.admin_lookup.

    Reads raw.pcodes and raw.pcode_lengths (required; limited to `countries`, an empty list means
    all) and every distinct admin key of raw.presence, raw.hno_hpc, raw.jiaf_pin and
    raw.drought_needs (each if present). Keys of a country outside `countries` are kept, as
    `unmatched` with the issue "No COD p-codes loaded for country X", so nothing disappears silently.
    Replaces, in one transaction:

    - normalised.admin_lookup, one row per (source_table, lookup_key), all VARCHAR:
      source_table (raw table name: presence, hno_hpc, jiaf_pin, drought_needs), lookup_key,
      country_code, admin1_code, admin1_name, admin2_code, admin2_name (the raw values, nullable),
      admin1_pcode, admin2_pcode (COD p-codes or NULL), admin1_method, admin2_method (see METHODS),
      admin1_issue, admin2_issue and issue (both joined with '; '; NULL when clean).
      dbt joins a raw row with
          l.source_table = '<table>' and l.lookup_key = <key_sql of that table>
      where the key SQL is LOOKUP_KEY_TEMPLATE over the table's raw columns (SOURCE_KEYS), e.g. for
      raw.presence:
          concat_ws('|', coalesce(country_code,''), coalesce(admin1_code,''), coalesce(admin1_name,''),
                    coalesce(admin2_code,''), coalesce(admin2_name,''))
      (qualify the columns with the raw table's alias: admin_lookup has columns of the same names).
      The returned "key_sql" gives the exact expression per table.
    - normalised.admin_units: country_code, admin_level (INTEGER 1 or 2), pcode, name, parent_pcode
      (NULL at admin1): the COD units of the configured countries, for names.

    Returns {"keys": n, "admin1": {method: n}, "admin2": {method: n},
             "sources": {table: n_keys}, "key_sql": {table: the lookup_key SQL over that raw table}}.
    """
    wanted = sorted({c.upper() for c in countries}) if countries else []
    country_filter = "true" if not wanted else "upper(trim(location)) in (select unnest(?::varchar[]))"
    params = [wanted] if wanted else []
    pcodes = con.execute(f"select * from raw.pcodes where {country_filter}", params).df()
    lengths = con.execute(f"select * from raw.pcode_lengths where {country_filter}", params).df()
    levels = build_admin_levels(pcodes, lengths, wanted or None)

    parts, key_sql, source_counts = [], {}, {}
    for table in SOURCE_KEYS:
        exprs = source_key_columns(con, table)
        if exprs is None:
            continue
        key = lookup_key_sql(exprs)
        key_sql[table] = key
        df = con.execute(
            f"""
            select {key} as lookup_key,
                   any_value({exprs['country_code']})::varchar as country_code,
                   any_value({exprs['admin1_code']})::varchar as admin1_code,
                   any_value({exprs['admin1_name']})::varchar as admin1_name,
                   any_value({exprs['admin2_code']})::varchar as admin2_code,
                   any_value({exprs['admin2_name']})::varchar as admin2_name
            from raw.{_q(table)}
            group by 1
            order by 1
            """
        ).df()
        source_counts[table] = len(df)
        if df.empty:
            continue
        resolved = resolve_admin(levels, df, logname=table)
        resolved.insert(0, "source_table", table)
        resolved.insert(1, "lookup_key", df["lookup_key"].to_numpy())
        parts.append(resolved)

    columns = ["source_table", "lookup_key", *KEY_COLUMNS, *RESULT_COLUMNS]
    lookup = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    lookup = lookup[columns].astype(object).where(lookup[columns].notna(), None)
    units = _admin_units(pcodes)

    con.execute("begin transaction")
    try:
        con.execute("create schema if not exists normalised")
        con.register("_cw_admin_lookup", lookup)
        con.register("_cw_admin_units", units)
        casts = ", ".join(f"cast({_q(c)} as varchar) as {_q(c)}" for c in columns)
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
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        for view in ("_cw_admin_lookup", "_cw_admin_units"):
            try:
                con.unregister(view)
            except Exception:  # pragma: no cover - already gone
                pass

    result = {
        "keys": len(lookup),
        "admin1": {m: int(n) for m, n in Counter(lookup["admin1_method"]).items()},
        "admin2": {m: int(n) for m, n in Counter(lookup["admin2_method"]).items()},
        "sources": source_counts,
        "key_sql": key_sql,
    }
    logger.info("admin lookup: %s keys, admin1 %s, admin2 %s", result["keys"], result["admin1"], result["admin2"])
    return result


def _admin_units(pcodes: pd.DataFrame) -> pd.DataFrame:
    rows = []
    seen = set()
    for level in (1, 2):
        for r in _pcode_rows(pcodes, level, None):
            if int(r["Admin Level"]) != level or r["P-Code"] in seen:
                continue
            seen.add(r["P-Code"])
            rows.append(
                {
                    "country_code": r["Location"],
                    "admin_level": level,
                    "pcode": r["P-Code"],
                    "name": r["Name"] or None,
                    "parent_pcode": r["Parent P-Code"] if level > 1 else None,
                }
            )
    return pd.DataFrame(rows, columns=["country_code", "admin_level", "pcode", "name", "parent_pcode"])
