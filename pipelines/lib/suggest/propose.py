"""The whole proposal for one file: the sheet, the header row, the mapping, the country."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.lib.config import PRESENCE_ADMIN_FIELDS, PRESENCE_ORG_FIELDS, PRESENCE_REQUIRED, Layout, ReadLimits
from pipelines.lib.readers import ParsedTable, SheetInfo, head_rows, list_sheets, pick_sheet, read_table
from pipelines.lib.suggest.cod import CodIndex
from pipelines.lib.suggest.columns import PROFILE_ROWS, cells, profile, propose_mapping
from pipelines.lib.suggest.extras import (
    aggregate_note, alias_lines, propose_period, sector_constant, unresolved_sectors,
)
from pipelines.lib.suggest.header import HEADER_SEARCH_ROWS, detect_header_row
from pipelines.lib.suggest.refs import column_ref
from pipelines.lib.suggest.vocabulary import fold

# The suggester reads past the span limit (a runaway used range costs little to calamine) and says so.
_GENEROUS = ReadLimits(max_sheet_cells=10**12)

# Sheets of a template workbook that are not the data: instructions, drop-down lists, pivots, versions.
TEMPLATE_SHEET = re.compile(
    r"(?i)\b(instructions?|lisez[- ]?moi|read[- ]?me|lists?|listes?|admin[_ ]list|dropdowns?|pivot|tcd|"
    r"version|metadata|m[ée]tadonn[ée]es|guide|summary|dashboard|r[ée]sum[ée]|codes?)\b|(^|_)list")

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
    constants: dict[str, str] = field(default_factory=dict)
    reference_period: tuple | None = None  # (start, end, evidence)
    alias_lines: list[str] = field(default_factory=list)  # sector_aliases lines to paste for unresolved values
    aggregate: str | None = None  # why the file is an aggregate table, not row-level presence
    limits: dict[str, int] = field(default_factory=dict)  # read limits the file needs over the defaults

    @property
    def complete(self) -> bool:
        """Whether the entry passes config validation as it stands (the required fields and an admin column)."""
        return _essentials({**self.mapping, **self.constants}) == len(PRESENCE_REQUIRED) + 2


def suggest(path: str | Path, *, sheet: str | None = None, country: str | None = None,
            cod: CodIndex | None = None) -> Suggestion:
    """Inspect a 3W/4W file and propose its sheet, header row and column mapping.

    `cod` (the COD names and p-codes) lets every admin column be checked against the country's units and
    the country be guessed from names when the file has no p-codes."""
    path = Path(path)
    fmt, sheets = list_sheets(path, _GENEROUS)
    if sheet is not None and fmt != "csv":
        sheet = pick_sheet(path, [s.name for s in sheets], sheet)
        candidates = [s for s in sheets if s.name == sheet]
    else:
        candidates = [s for s in sheets if s.rows > 1 and s.columns > 1] or sheets[:1]

    best = None
    for info in candidates:
        header_row = detect_header_row(head_rows(path, info.name, HEADER_SEARCH_ROWS + 2, _GENEROUS))
        try:
            parsed = read_table(path, Layout(sheet=info.name, header_row=header_row), limits=_GENEROUS)
        except Exception:  # noqa: BLE001 - a sheet we cannot read is just not a candidate
            if len(candidates) == 1:
                raise
            continue
        sheet_country, guessed = country, None
        if sheet_country is None and cod is not None:
            sheet_country, share = _guess_country_from_values(parsed, cod)
            guessed = f"country {sheet_country} guessed: {share:.0%} of admin values match its COD" if sheet_country else None
        mapped, evidence, notes = propose_mapping(parsed, sheet_country, cod)
        if guessed:
            notes.append(guessed + "; check it")
        template = bool(TEMPLATE_SHEET.search(info.name or ""))
        key = (_essentials(mapped), info.visible, not template, min(len(mapped), 5), parsed.num_rows)
        if best is None or key > best[0]:
            best = (key, info, header_row, parsed, mapped, evidence, notes, sheet_country)
    if best is None:
        raise ValueError(f"{path.name}: no sheet could be read as a table")
    _, info, header_row, parsed, mapped, evidence, notes, country = best

    mapping: dict[str, str] = {}
    for f, i in list(mapped.items()):
        try:
            mapping[f] = column_ref(parsed, i)
        except ValueError as e:
            notes.append(f"{f}: {e}")
            mapped.pop(f)
            evidence.pop(f, None)
    constants: dict[str, str] = {}
    aggregate = None
    if "sector" not in mapping:
        code = sector_constant(path.stem, info.name)
        if code:
            constants["sector"] = code
            notes.append(f"no sector column; the file name or sheet names one cluster: constants: {{sector: {code}}}")
        elif mapping:
            constants["sector"] = "Multi"
            notes.append("no sector column: every row is counted as multi-sector (unspecified), so coverage by "
                         "cluster cannot use this file; put the cluster's code in constants.sector if the file "
                         "covers one cluster")
    for need in PRESENCE_REQUIRED:
        if need not in mapping and need not in constants:
            notes.append(f"could not decide {need} (required): no column fits; add it by hand")
    if not set(PRESENCE_ORG_FIELDS) & set(mapping):
        notes.append("could not decide the organisation: no column holds organisation names or acronyms")
    if not set(PRESENCE_ADMIN_FIELDS) & set(mapping):
        notes.append("could not decide the admin columns: none holds the country's COD names or p-codes")
    if country is None:
        country = _guess_country(parsed, mapped)
        if country:
            notes.append(f"country {country} guessed from the p-codes; check it")
    if _essentials({**mapping, **constants}) < len(PRESENCE_REQUIRED) + 2:
        aggregate = next((n for n in (aggregate_note(p) for p in _all_sheets(path, fmt, sheets, parsed)) if n), None)
    limits: dict[str, int] = {}
    if span := _runaway_span(path, fmt):
        limits["max_sheet_cells"] = span + 1_000_000
        notes.append(f"a worksheet's used range runs far past its data ({span:,} cells, over the default read "
                     f"limit); the entry's `limits:` line lets this file alone load")
    if fmt != "csv" and len([s for s in sheets if s.rows > 1]) > 1 and sheet is None:
        notes.append(f"sheet {info.name!r} chosen of {len(sheets)}; pass --sheet to pick another")
    lines: list[str] = []
    if "sector" in mapped:
        unresolved = unresolved_sectors(parsed.table.column(parsed.columns[mapped["sector"]]).to_pylist())
        if unresolved:
            n = sum(unresolved.values())
            notes.append(f"{n:,} row(s) have a sector no alias resolves ({len(unresolved)} value(s)); add them "
                         "under `sector_aliases:` in the config (lines below)")
            lines = alias_lines(unresolved, country)
    return Suggestion(path=path, format=fmt, sheets=sheets, sheet=info.name, header_row=header_row,
                      hxl_row=parsed.hxl_row, row_count=parsed.num_rows, columns=_columns_info(parsed),
                      mapping=mapping, mapped_columns=mapped, evidence=evidence, country=country, notes=notes,
                      constants=constants, reference_period=propose_period(parsed, mapped), alias_lines=lines,
                      aggregate=aggregate, limits=limits)


def _runaway_span(path: Path, fmt: str) -> int | None:
    """When a worksheet's used range runs past the default read limit: the span it declares, in cells."""
    from pipelines.lib.errors import SourceFormatError
    from pipelines.lib.readers.limits import check_workbook
    from pipelines.lib.readers.table import Where

    try:
        check_workbook(Where(path), fmt, ReadLimits())
    except SourceFormatError as e:
        m = re.search(r"a span of ([\d,]+) cells", str(e))
        if not m:
            return None
        return int(m.group(1).replace(",", ""))
    return None


def _essentials(mapping) -> int:
    """How many of the config's requirements a mapping meets: each required field, an organisation, an admin column."""
    return (sum(f in mapping for f in PRESENCE_REQUIRED) + bool(set(PRESENCE_ORG_FIELDS) & set(mapping))
            + bool(set(PRESENCE_ADMIN_FIELDS) & set(mapping)))


def _all_sheets(path: Path, fmt: str, sheets: list[SheetInfo], parsed: ParsedTable):
    yield parsed
    for info in sheets if fmt != "csv" else []:
        if info.rows > 1 and info.name != parsed.sheet:
            try:
                yield read_table(path, limits=_GENEROUS, layout=Layout(sheet=info.name, header_row=detect_header_row(
                    head_rows(path, info.name, HEADER_SEARCH_ROWS + 2, _GENEROUS))))
            except Exception:  # noqa: BLE001 - an unreadable sheet says nothing
                continue


def _guess_country_from_values(parsed: ParsedTable, cod: CodIndex) -> tuple[str | None, float]:
    """The country whose COD names or p-codes the file's admin-looking columns hold."""
    from pipelines.lib.suggest.vocabulary import ADMIN_WORDS, CODE_WORDS, PCODE_VALUE, name_words

    admin_words = set().union(*ADMIN_WORDS.values())
    probes = []
    for i, name in enumerate(parsed.columns):
        ws = set(name_words(name))
        tag = (parsed.hxl_tags[i] or "") if i < len(parsed.hxl_tags) else ""
        values = [v for v in cells(parsed, i)[:300] if v]
        if not values:
            continue
        if ws & admin_words or tag.startswith("#adm"):
            kind = "code" if ws & CODE_WORDS or "code" in tag or sum(bool(PCODE_VALUE.match(v)) for v in values) > len(values) / 2 else "name"
            probes.append((kind, values))
    return cod.guess_country(probes) if probes else (None, 0.0)


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
