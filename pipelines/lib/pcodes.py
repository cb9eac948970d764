"""P-code resolution: the ONE place admin codes and names from sources become COD p-codes.

Every source (3W/4W presence, HNO, JIAF PiN, drought needs) reaches the marts through
the dbt Python model int_admin_lookup (pipelines/lib/pcode_lookup.py), which resolves every key of the dbt
model int_admin_keys with `resolve_admin`; dbt joins on it and never re-implements the rules.

The rules, tried in this order for each admin level, on DISTINCT source keys only:

1. ``exact``            the code is a COD p-code of that country and level (``SO2201``)
2. ``normalised``       it is after fixing case and whitespace (``' so2201'`` -> ``SO2201``)
3. ``length_converted`` hdx-python-country's ``AdminLevel.convert_admin_pcode_length`` turns it into one
                        (``TD19`` -> ``TCD19``, ``AF0101`` vs ``AFG0101`` ...), using the p-code lengths file
4. ``name_matched``     the code is missing or unknown, and the name matches a unit within the parent
                        (admin1 for admin2, the country for admin1): a configured name mapping first, then the
                        exact normalised name, then the same name anywhere in the country, then AdminLevel's
                        fuzzy matcher within the parent (with the configured replacements and exclusions)
5. ``from_admin2``      (admin1 only) admin1 is missing, unknown, or disagrees with the resolved admin2's
                        parent, so it is taken from the admin2 unit's parent (HAPI does the same:
                        ``PCode mismatch SO25->SO24 (parent)``)
6. ``region_name``      (admin2 only) the admin2 column holds its admin1 unit's own name ("Banadir" in
                        Banadir region): the row is that region, resolved at admin1 with a warning; no admin2
7. ``unmatched``        something was given but nothing above worked; the p-code stays NULL
8. ``not_provided``     neither a code nor a name was given for that level

A name cell with two languages or spellings ("Kaboul / Kabul", "Taizz / تعز") matches by either part when
the whole does not, as the suggester reads it (pipelines/lib/text.py name_parts); both parts must agree.

A code that is not a valid p-code is never passed through: an unknown code gives a NULL p-code and
an ``Unknown pcode ...`` issue. Every correction and doubt is written to ``issue`` so that dbt can turn
it into a `quality_issues` row. Admin-name exceptions are configuration (pipelines/config/admin_names.yaml).
"""
from __future__ import annotations

from collections import defaultdict

import pandas as pd
from hdx.location.adminlevel import AdminLevel
from hdx.utilities.text import normalise

from pipelines.lib.config import AdminNames
from pipelines.lib.pcode_levels import WHITESPACE, clean
from pipelines.lib.text import name_parts

METHODS = (
    "exact", "normalised", "length_converted", "name_matched", "from_admin2", "region_name", "unmatched", "not_provided",
)
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


class _Index:
    """Plain-dict views of the AdminLevel data for the fast paths (exact and normalised lookups)."""

    def __init__(self, levels: dict[int, AdminLevel], keep_words: list[str]):
        self.levels = levels
        # A fuzzy match must not add or drop these (configured: admin_names.yaml fuzzy_keep_words).
        self.keep_words = {w for word in keep_words for w in normalise(word).split()}
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
    fixed = WHITESPACE.sub("", code).upper()
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
    where = f"within {parent}" if parent else f"in {iso3}"
    if not normalise(name):
        return None, f"Unknown admin{level} name '{name}'"
    al = ix.levels[level]
    found = _exact_name(ix, level, iso3, name, parent)
    if found is None:
        found = _exact_by_part(ix, level, iso3, name, parent)
    if found is not None:
        return found
    if level == 2 and not parent:
        # Fuzzy matching across a whole country is too loose ("Kore" -> "Korahe"); only within a parent.
        return None, f"Unknown admin2 name '{name}' {where} (no admin1 to search within)"
    # Slow path: AdminLevel's own lookup (substrings, name parts, fuzzy), with the configured exceptions.
    try:
        pcode, exact = al.get_pcode(iso3, name, parent=parent if level == 2 else None, logname=logname)
    except (KeyError, IndexError, ValueError):
        pcode, exact = None, True
    if pcode:
        pcode = pcode.upper()
    if pcode and ix.iso3[level].get(pcode) == iso3 and (level == 1 or not parent or ix.parent.get(pcode) == parent):
        cod_name = ix.name[level].get(pcode) or ""
        if not exact and _kept_words(ix, name) != _kept_words(ix, cod_name):
            # "South Ethiopia" is not "South West Ethiopia", "East Borena" is not "Borena".
            return None, f"Unknown admin{level} name '{name}' {where} (closest COD name '{cod_name}' rejected)"
        how = "" if exact else f" (fuzzy, COD name '{cod_name}')"
        return pcode, f"Name '{name}' matched {pcode} {where}{how}"
    if not pcode and name.lower() in al.get_admin_fuzzy_dont(iso3, parent if level == 2 else None):
        return None, f"Unknown admin{level} name '{name}' {where} (not fuzzy-matched: admin_fuzzy_dont)"
    return None, f"Unknown admin{level} name '{name}' {where}"


def _exact_name(ix: _Index, level: int, iso3: str, name: str, parent: str | None) -> tuple | None:
    """(p-code, issue) from a configured mapping or the exact normalised name; None when neither decides."""
    norm = normalise(name)
    where = f"within {parent}" if parent else f"in {iso3}"
    mapped = ix.levels[level].get_name_mapped_pcode(iso3, name, parent if level == 2 else None)
    if mapped and ix.iso3[level].get(mapped) == iso3:
        return mapped, f"Name '{name}' mapped to {mapped} (admin_name_mappings)"
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
    return None


def _exact_by_part(ix: _Index, level: int, iso3: str, name: str, parent: str | None) -> tuple | None:
    """A two-language cell ("Kaboul / Kabul"): the unit its parts name exactly, when they agree on one."""
    hits = {}
    for part in name_parts(name):
        found = _exact_name(ix, level, iso3, part, parent)
        if found and found[0]:
            hits.setdefault(found[0], part)
    if len(hits) != 1:
        return None
    pcode, part = next(iter(hits.items()))
    where = f"within {parent}" if parent else f"in {iso3}"
    return pcode, f"Name '{name}' matched {pcode} {where} by its part '{part}'"


def _region_named(ix: _Index, iso3: str, name: str, p1: str | None) -> str | None:
    """The admin1 unit whose own name fills the admin2 column ("Banadir" within Banadir), when no admin2
    unit of the country has that name and it agrees with the row's admin1 (if any)."""
    keys = [normalise(n) for n in (name, *name_parts(name))]
    if any((2, iso3, k) in ix.by_name for k in keys):
        return None
    regions = set().union(*(ix.by_name.get((1, iso3, k), set()) for k in keys))
    if p1 is not None:
        regions &= {p1}
    return next(iter(regions)) if len(regions) == 1 else None


def _kept_words(ix: _Index, name: str) -> set[str]:
    """The configured keep words (compass and position words) of a place name."""
    return set(normalise(name).split()) & ix.keep_words


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
    country, a1c, a1n, a2c, a2n = (clean(v) for v in key)
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

    # ---- admin2 from its code or its name within admin1; a region's own name in the district column is
    #      that region, at admin1 only (a warning, not a failure)
    p2, m2, i2 = None, "not_provided", None
    if a2c:
        p2, m2, i2 = _resolve_code(ix, 2, iso3, a2c, logname, parent=p1)
        if p2 is not None:
            i2 = _join(i2, _name_disagrees(ix, 2, iso3, p2, a2n))
    if p2 is None and a2n:
        region = _region_named(ix, iso3, a2n, p1) if (p1 or m1 == "not_provided") else None
        if region:
            if p1 is None:
                p1, m1 = region, "name_matched"
            m2 = "region_name"
            i2 = _join(i2, f"Admin2 name '{a2n}' is the name of admin1 {region}: resolved as that region "
                       "(admin1 only; not placed where coverage is at admin2)")
        else:
            p_name, name_issue = _resolve_name(ix, 2, iso3, a2n, p1, logname)
            p2, m2 = p_name, "name_matched" if p_name else "unmatched"
            i2 = _join(i2, name_issue)

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


def resolve_admin(
    levels: dict[int, AdminLevel], rows: pd.DataFrame, logname: str = "clusterwatch", names: AdminNames | None = None
) -> pd.DataFrame:
    """Resolve source admin keys to COD p-codes.

    `rows` has the columns country_code, admin1_code, admin1_name, admin2_code, admin2_name (missing
    columns count as NULL). Returns one row per input row, in order: the key columns as given plus
    admin1_pcode, admin2_pcode, admin1_method, admin2_method, admin1_issue, admin2_issue and issue
    (both issues joined with '; '). Each distinct key is resolved once. `names` gives the fuzzy-match keep
    words (the same rules `build_admin_levels` got; None: the packaged admin_names.yaml).
    """
    if names is None:
        from pipelines.lib.config import default_admin_names

        names = default_admin_names()
    ix = _Index(levels, names.fuzzy_keep_words)
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
