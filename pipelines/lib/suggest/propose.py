"""The whole proposal for one file: the sheet, the header row, the mapping, the country."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.lib.config import PRESENCE_ADMIN_FIELDS, PRESENCE_REQUIRED, Layout
from pipelines.lib.readers import ParsedTable, SheetInfo, head_rows, list_sheets, pick_sheet, read_table
from pipelines.lib.suggest.columns import PROFILE_ROWS, profile, propose_mapping
from pipelines.lib.suggest.header import HEADER_SEARCH_ROWS, detect_header_row
from pipelines.lib.suggest.refs import column_ref

SAMPLE_VALUES = 4


@dataclass
class ColumnInfo:
    index: int
    name: str
    hxl_tag: str | None
    non_empty: int
    samples: list[str]


@dataclass
class Suggestion:
    path: Path
    format: str
    sheets: list[SheetInfo]
    sheet: str | None
    header_row: int
    hxl_row: int | None
    row_count: int
    columns: list[ColumnInfo]
    mapping: dict[str, str]  # canonical field -> HXL tag pattern or column name (what the config takes)
    mapped_columns: dict[str, int]  # canonical field -> column index
    evidence: dict[str, str]  # canonical field -> why that column
    country: str | None
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether the entry passes config validation as it stands (the required fields and an admin column)."""
        return _essentials(self.mapping) == len(PRESENCE_REQUIRED) + 1


def suggest(path: str | Path, *, sheet: str | None = None, country: str | None = None) -> Suggestion:
    """Inspect a 3W/4W file and propose its sheet, header row and column mapping."""
    path = Path(path)
    fmt, sheets = list_sheets(path)
    if sheet is not None and fmt != "csv":
        sheet = pick_sheet(path, [s.name for s in sheets], sheet)
        candidates = [s for s in sheets if s.name == sheet]
    else:
        candidates = [s for s in sheets if s.rows > 1 and s.columns > 1] or sheets[:1]

    best = None
    for info in candidates:
        header_row = detect_header_row(head_rows(path, info.name, HEADER_SEARCH_ROWS + 2))
        try:
            parsed = read_table(path, Layout(sheet=info.name, header_row=header_row))
        except Exception:  # noqa: BLE001 - a sheet we cannot read is just not a candidate
            if len(candidates) == 1:
                raise
            continue
        mapped, evidence, notes = propose_mapping(parsed)
        key = (_essentials(mapped), info.visible, len(mapped), parsed.num_rows)
        if best is None or key > best[0]:
            best = (key, info, header_row, parsed, mapped, evidence, notes)
    if best is None:
        raise ValueError(f"{path.name}: no sheet could be read as a table")
    _, info, header_row, parsed, mapped, evidence, notes = best

    mapping: dict[str, str] = {}
    for f, i in list(mapped.items()):
        try:
            mapping[f] = column_ref(parsed, i)
        except ValueError as e:
            notes.append(f"{f}: {e}")
            mapped.pop(f)
            evidence.pop(f, None)
    for need in PRESENCE_REQUIRED:
        if need not in mapping:
            notes.append(f"no column found for {need} (required): add it by hand")
    if not set(PRESENCE_ADMIN_FIELDS) & set(mapping):
        notes.append("no admin code or name column found (at least one is required): add it by hand")
    if country is None:
        country = _guess_country(parsed, mapped)
        if country:
            notes.append(f"country {country} guessed from the p-codes; check it")
    if fmt != "csv" and len([s for s in sheets if s.rows > 1]) > 1 and sheet is None:
        notes.append(f"sheet {info.name!r} chosen of {len(sheets)}; pass --sheet to pick another")
    return Suggestion(path=path, format=fmt, sheets=sheets, sheet=info.name, header_row=header_row,
                      hxl_row=parsed.hxl_row, row_count=parsed.num_rows, columns=_columns_info(parsed),
                      mapping=mapping, mapped_columns=mapped, evidence=evidence, country=country, notes=notes)


def _essentials(mapping) -> int:
    """How many of the config's requirements a mapping meets: each required field, and an admin column."""
    return sum(f in mapping for f in PRESENCE_REQUIRED) + bool(set(PRESENCE_ADMIN_FIELDS) & set(mapping))


def _guess_country(parsed: ParsedTable, mapped: dict[str, int]) -> str | None:
    prefixes: Counter[str] = Counter()
    for f, i in mapped.items():
        if f.endswith("_code"):
            for v in profile(parsed, i)[:500]:
                m = re.match(r"^([A-Z]{2,3})[0-9]", v.strip())
                if m:
                    prefixes[m.group(1)] += 1
    if not prefixes:
        return None
    prefix = prefixes.most_common(1)[0][0]
    if len(prefix) == 3:
        return prefix
    try:
        from hdx.location.country import Country

        return Country.get_iso3_from_iso2(prefix, use_live=False)
    except Exception:  # noqa: BLE001 - a guess only
        return None


def _columns_info(parsed: ParsedTable) -> list[ColumnInfo]:
    out = []
    for i, name in enumerate(parsed.columns):
        col = parsed.table.column(name)
        samples = []
        for v in col.slice(0, PROFILE_ROWS).to_pylist():
            if v is not None and v not in samples:
                samples.append(v)
                if len(samples) >= SAMPLE_VALUES:
                    break
        tag = parsed.hxl_tags[i] if i < len(parsed.hxl_tags) else None
        out.append(ColumnInfo(i, name, tag, len(col) - col.null_count, samples))
    return out
