"""hdx-python-country AdminLevel objects for admin 1 and 2, set up from the warehouse's COD tables only.

The p-code list and lengths come from raw.pcodes / raw.pcode_lengths; the admin-name exceptions
(mappings, replacements, do-not-fuzzy-match names) from configuration (pipelines/config/admin_names.yaml),
passed to AdminLevel through its own `admin_config`. Nothing is downloaded: AdminLevel gets no retriever,
and Country's list is read from the file shipped in the package.
"""
from __future__ import annotations

import re
import unicodedata

import pandas as pd
from hdx.location.adminlevel import AdminLevel
from hdx.location.country import Country

from pipelines.lib.config import AdminNames
from pipelines.lib.text import snake_case  # the loader's rule, so names match raw.pcodes

# Values that mean "no value" even when a loader let them through.
_NULL_MARKERS = {"", "-", "#n/a", "n/a", "na", "null", "<null>", "none", "nan"}
# Rows of the global p-code list that are placeholders, not admin units (SOM has P-Code "Unspecified").
_PLACEHOLDER_PCODES = {"UNSPECIFIED", "UNKNOWN", "NONE", "N/A", "NA", "OTHER"}
WHITESPACE = re.compile(r"[\s\u00a0\u2007\u202f\ufeff]+")
PCODE_COLUMNS = ["location", "admin_level", "p_code", "name", "parent_p_code"]
UNIT_COLUMNS = ["country_code", "admin_level", "pcode", "name", "parent_pcode"]


def clean(value) -> str | None:
    """A raw value as text, or None when it is blank or a null marker."""
    if value is None:
        return None
    if isinstance(value, float) and value != value:  # NaN
        return None
    text = WHITESPACE.sub(" ", unicodedata.normalize("NFC", str(value))).strip()
    if text.lower() in _NULL_MARKERS:
        return None
    return text


def _offline_country_data() -> None:
    """Country's list from the package file, never the OCHA feed (`convert_admin_pcode_length` needs it).

    Setting use_live=False is process-wide, which is what an offline pipeline wants; the data is cached."""
    Country.countriesdata(use_live=False)


def _pcode_rows(pcodes: pd.DataFrame, level: int, countries: set[str] | None) -> list[dict]:
    """AdminLevel's rows for `level` (and the level above, whose names AdminLevel reads for parents)."""
    df = pcodes.rename(columns=snake_case)
    missing = set(PCODE_COLUMNS) - set(df.columns)
    if missing:
        raise ValueError(f"p-code list lacks column(s) {sorted(missing)}; got {list(df.columns)}")
    rows = []
    for loc, lvl, pcode, name, parent in df[PCODE_COLUMNS].itertuples(index=False):
        loc, pcode = clean(loc), clean(pcode)
        if not loc or not pcode or pcode.upper() in _PLACEHOLDER_PCODES:
            continue
        loc = loc.upper()
        if countries and loc not in countries:
            continue
        try:
            lvl = int(float(lvl))
        except (TypeError, ValueError):
            continue
        if lvl not in (level, level - 1):
            continue
        rows.append(
            {
                "Location": loc,
                "Admin Level": str(lvl),
                "P-Code": WHITESPACE.sub("", pcode).upper(),
                "Name": clean(name) or "",
                "Parent P-Code": WHITESPACE.sub("", clean(parent) or "").upper(),
            }
        )
    return rows


def _length_rows(lengths: pd.DataFrame, countries: set[str] | None) -> list[dict]:
    df = lengths.rename(columns=snake_case)
    if "location" not in df.columns or "country_length" not in df.columns:
        raise ValueError(f"p-code lengths lack location/country_length; got {list(df.columns)}")
    rows = []
    for rec in df.to_dict("records"):
        loc = clean(rec.get("location"))
        if not loc or (countries and loc.upper() not in countries):
            continue
        if not (clean(rec.get("country_length")) or "").isdigit():  # an HXL row or a broken line
            continue
        rows.append(
            {
                "Location": loc.upper(),
                "Country Length": clean(rec.get("country_length")) or "",
                **{f"Admin {i} Length": clean(rec.get(f"admin_{i}_length")) or "" for i in range(1, 6)},
            }
        )
    return rows


def _check_mappings(al: AdminLevel, names: AdminNames, level: int) -> None:
    """A mapping to a p-code AdminLevel does not know would crash its lookup: say so, naming the entry."""
    for key, pcode in names.level(level).admin_name_mappings.items():
        if pcode not in al.pcode_to_iso3:
            raise ValueError(
                f"admin_names admin{level}.admin_name_mappings[{key!r}]: {pcode!r} is not an admin{level} "
                "p-code of the configured countries"
            )


def build_admin_levels(
    pcodes: pd.DataFrame, lengths: pd.DataFrame, countries: list[str] | None, names: AdminNames | None = None
) -> dict[int, AdminLevel]:
    """AdminLevel objects for admin1 and admin2, set up from the given p-code rows only.

    `pcodes` has the columns of the global p-code list (`Location, Admin Level, P-Code, Name,
    Parent P-Code`) either as published or snake_cased as in raw.pcodes; `lengths` those of the
    p-code lengths file (`Location, Country Length, Admin 1 Length, ...`). `countries` limits both
    (None: all countries). `names` are the configured admin-name exceptions (None: none).
    """
    _offline_country_data()
    names = names or AdminNames()
    wanted = {c.upper() for c in countries} if countries else None
    levels: dict[int, AdminLevel] = {}
    formats = _length_rows(lengths, wanted)
    for level in (1, 2):
        # No retriever: it cannot fetch anything.
        al = AdminLevel(admin_config=names.level(level).adminlevel_config(), admin_level=level)
        rows = _pcode_rows(pcodes, level, wanted)
        if rows:
            al.setup_from_iterable(rows, list(wanted) if wanted else None)
        # Must follow setup: it records where each country's p-codes have zeroes.
        al.load_pcode_formats_from_iterable(formats)
        if level == 2:
            al.set_parent_admins_from_adminlevels([levels[1]])
        _check_mappings(al, names, level)
        levels[level] = al
    return levels


def admin_units(pcodes: pd.DataFrame) -> pd.DataFrame:
    """The COD admin 1 and 2 units of the p-code list: country_code, admin_level, pcode, name, parent_pcode."""
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
    return pd.DataFrame(rows, columns=UNIT_COLUMNS)
