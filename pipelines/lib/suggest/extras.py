"""What a proposal adds beyond the column mapping: a reference period, a constant sector for a single-cluster
file, the sector values no alias resolves (with the lines to paste), and the wide-aggregate diagnosis."""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter

from pipelines.lib.readers import ParsedTable
from pipelines.lib.sector_key import sector_key
from pipelines.lib.sector_vocab import seed_sector_map
from pipelines.lib.suggest.vocabulary import MONTH_WORDS, YEAR_WORDS, name_words

_ISO = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_MONTHS = {m: i + 1 for i, names in enumerate([
    "jan janv enero janeiro january janvier", "feb fev febrero fevereiro february fevrier",
    "mar mars marzo marco march", "apr avr abril april avril", "may mai mayo maio",
    "jun juin junio junho june", "jul juil julio julho july juillet", "aug aou agosto august aout",
    "sep sept septiembre setembro september septembre", "oct octubre outubro october octobre",
    "nov noviembre novembro november novembre", "dec diciembre dezembro december decembre"]) for m in names.split()}


def _date(text: str, *, end: bool = False) -> dt.date | None:
    text = text.strip()
    try:
        if m := _ISO.match(text):
            y, mo, d = int(m.group(1)), int(m.group(2)), m.group(3)
            return dt.date(y, mo, int(d)) if d else _month_edge(y, mo, end)
        if m := _DMY.match(text):  # day first: the 3W files are French, Spanish or Portuguese
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None
    return None


def _month_edge(year: int, month: int, end: bool) -> dt.date:
    if not end:
        return dt.date(year, month, 1)
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def _column(parsed: ParsedTable, index: int) -> list[str]:
    return [v for v in parsed.table.column(parsed.columns[index]).to_pylist() if v]


def _spread(dates: list[dt.date]) -> tuple[dt.date, dt.date] | None:
    """Most of the dates' range: the 2nd to the 98th percentile (a 1900 or 2099 typo does not stretch it)."""
    dates = sorted(d for d in dates if 1990 <= d.year <= 2100)
    if not dates:
        return None
    lo, hi = dates[int(len(dates) * 0.02)], dates[min(len(dates) - 1, int(len(dates) * 0.98))]
    return lo, hi


def propose_period(parsed: ParsedTable, mapped: dict[str, int]) -> tuple[dt.date, dt.date, str] | None:
    """(start, end, evidence) from start/end date columns, else from a month column (with a year column)."""
    if "start_date" in mapped or "end_date" in mapped:
        starts = [d for v in _column(parsed, mapped.get("start_date", mapped.get("end_date"))) if (d := _date(v))]
        ends = [d for v in _column(parsed, mapped.get("end_date", mapped.get("start_date"))) if (d := _date(v, end=True))]
        lo, hi = _spread(starts), _spread(ends)
        if lo and hi and lo[0] <= hi[1]:
            return lo[0], hi[1], "from the start and end date columns (2nd-98th percentile)"
    months = [i for i, n in enumerate(parsed.columns) if set(name_words(n)) & MONTH_WORDS]
    years = [i for i, n in enumerate(parsed.columns) if set(name_words(n)) & YEAR_WORDS]
    if months:
        values = _column(parsed, months[0])
        year_values = _column(parsed, years[0]) if years else []
        found = []
        for k, v in enumerate(values):
            if d := _date(v):
                found.append((d.year, d.month))
            elif (mo := _MONTHS.get(v.strip().lower()[:4].rstrip("."), _MONTHS.get(v.strip().lower()[:3]))) and \
                    k < len(year_values) and year_values[k].strip()[:4].isdigit():
                found.append((int(year_values[k].strip()[:4]), mo))
        if found:
            (y0, m0), (y1, m1) = min(found), max(found)
            return _month_edge(y0, m0, False), _month_edge(y1, m1, True), f"from the month column {parsed.columns[months[0]]!r}"
    return None


def sector_constant(*labels: str | None) -> str | None:
    """A sector code when the file or sheet name names exactly one cluster ('..._education_3w.xlsx')."""
    mapping = seed_sector_map()
    found = set()
    for label in labels:
        words = [w for w in re.split(r"[^a-z]+", (sector_key(label or "") or "")) if len(w) > 2]
        for n in (3, 2, 1):
            for i in range(len(words) - n + 1):
                code = mapping.get(" ".join(words[i:i + n]))
                if code and code not in ("Multi", "Intersectoral"):
                    found.add(code)
    return found.pop() if len(found) == 1 else None


def unresolved_sectors(values: list[str | None], mapping: dict[str, str] | None = None) -> Counter:
    """Sector values (as given) that no alias resolves, with their row counts."""
    mapping = seed_sector_map() if mapping is None else mapping
    return Counter(v for v in values if v and v.strip() and sector_key(v) not in mapping)


def alias_lines(unresolved: Counter, country: str | None, limit: int = 25) -> list[str]:
    """The config lines to paste under `sector_aliases:` (the code left as TODO for the person to choose)."""
    out = []
    for value, n in unresolved.most_common(limit):
        scope = f", country: {country}" if country else ""
        text = value.replace('"', '\\"')
        out.append(f'  - {{alias: "{text}", sector: TODO{scope}}}  # {n:,} row(s)')
    return out


def aggregate_note(parsed: ParsedTable) -> str | None:
    """Why a sheet is an aggregate table (counts by place and cluster), not one row per organisation."""
    mapping = seed_sector_map()
    numeric_sector_cols = 0
    for i, name in enumerate(parsed.columns):
        values = _column(parsed, i)[:200]
        if sector_key(name) in mapping and values and \
                sum(1 for v in values if re.fullmatch(r"-?[\d.,\s]+", v)) / len(values) >= 0.8:
            numeric_sector_cols += 1
    counts = [n for n in parsed.columns if re.search(r"(?i)\b(number|num|nb|nombre|numero)\b.*\b(org|partner|acteur)", n)]
    if numeric_sector_cols >= 3 or counts:
        what = f"{numeric_sector_cols} cluster columns of numbers" if numeric_sector_cols >= 3 else f"column {counts[0]!r}"
        return (f"this is an aggregate table ({what}): counts by place and cluster, not row-level presence. "
                "It cannot be loaded as a 3W/4W. A long table with one row per organisation, admin unit and "
                "cluster (columns: organisation, admin1 name or p-code, cluster) would load.")
    return None
