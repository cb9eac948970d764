"""Propose a config entry for a new 3W/4W file: `clusterwatch config suggest-4w FILE`.

An information manager who receives a new 3W/4W workbook should not have to work out its sheet, header row
and column mapping by hand. This module inspects the file and proposes a `sources.presence` entry:

1. every sheet with its size (CSV files have one, unnamed);
2. the header row: of rows 1-10, the one with the most distinct non-empty text cells that is followed by
   data (a hashtag row right below it is the HXL row; a hashtag row may also be the header itself);
3. the file read exactly as ingestion will read it (`readers.read_table` with that sheet and header row),
   so the proposal uses the same column names and HXL tags that the pipeline sees;
4. a column for each canonical presence field (`PRESENCE_FIELDS`), from HXL hashtags first, then column
   names (English and French), then the values themselves (p-code patterns, the sector and org-type
   alias seeds);
5. each mapping checked with `readers.find_column`, so the printed YAML loads the file with no edits.

Everything here is a pure function of the file and the seeds; the CLI only prints `render_report` and
`render_entry`.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import hxl.model
import yaml

from pipelines.lib.config import PRESENCE_FIELDS, Layout
from pipelines.lib.paths import DBT_PROJECT_DIR
from pipelines.lib.readers import DELIMITERS, ParsedTable, find_column, read_table, sniff_format

HEADER_SEARCH_ROWS = 10
SAMPLE_VALUES = 4
PROFILE_ROWS = 2000  # rows looked at for value patterns; enough to recognise a column, fast on big files

# How much each kind of evidence counts when choosing a column for a field.
HXL_SCORE = 100
NAME_SCORE = 60
VALUE_SCORE = 30

# ------------------------------------------------------------------------ name vocabulary (English + French)
ADMIN_WORDS = {
    1: {"admin1", "adm1", "region", "regions", "province", "provinces", "prov", "state", "states", "etat",
        "governorate", "gouvernorat", "wilaya", "oblast", "departamento"},
    2: {"admin2", "adm2", "district", "districts", "dist", "zone", "zones", "county", "counties", "departement",
        "departements", "department", "prefecture", "lga", "locality", "localite", "municipio", "commune"},
    3: {"admin3", "adm3", "woreda", "woredas", "subcounty", "sub-county", "payam", "sous-prefecture",
        "subdistrict", "sub-district", "kebele-woreda", "canton"},
}
CODE_WORDS = {"pcode", "p-code", "pcod", "code", "cod", "codes", "pcodes"}
ORG_WORDS = {"org", "orgs", "organisation", "organization", "organisations", "organizations", "partner",
             "partners", "partenaire", "partenaires", "agency", "agence", "ngo", "ong", "implementing",
             "acronym", "acronyme", "acronymes", "sigle"}
ORG_ACRONYM_WORDS = {"acronym", "acronyme", "acronymes", "sigle", "abbreviation", "abreviation", "short"}
ORG_TYPE_WORDS = {"type", "types", "category", "categorie"}
ORG_EXCLUDE_WORDS = {"donor", "donors", "funder", "funding", "bailleur", "bailleurs", "source"}
ORG_WEAK_WORDS = {"program", "programme", "programs", "prog"}  # program partner: below implementing partner
ORG_STRONG_WORDS = {"implementing", "implementation", "impl", "reporting", "operational", "mise"}
SECTOR_WORDS = {"cluster", "clusters", "sector", "sectors", "secteur", "secteurs", "sectoral"}
SECTOR_EXCLUDE_WORDS = {"activity", "activities", "activite", "activites", "sub", "subsector", "indicator", "lead"}
STATUS_WORDS = {"status", "statut"}
START_WORDS = {"start", "debut", "commencement"}  # on their own: "Start", "Date début"
END_WORDS = {"end", "fin", "cloture"}
FROM_WORDS = {"from", "begin", "beginning"}  # only next to a date word: "Date from"
TO_WORDS = {"to", "until"}
DATE_WORDS = {"date", "dates", "period", "periode"}
TARGET_WORDS = {"targeted", "target", "targets", "cible", "cibles", "ciblee", "ciblees", "ciblés"}
REACHED_WORDS = {"reached", "reach", "atteint", "atteints", "atteinte", "atteintes", "served", "assisted"}

PCODE_VALUE = re.compile(r"^[A-Z]{2,3}[0-9]{2,}$")


# ------------------------------------------------------------------------ results


@dataclass
class SheetInfo:
    name: str | None  # None for a CSV file
    rows: int
    columns: int
    visible: bool = True


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
        """Whether the entry passes config validation as it stands (org_name, sector and an admin column)."""
        has_admin = any(f.startswith("admin") for f in self.mapping)
        return "org_name" in self.mapping and "sector" in self.mapping and has_admin


# ------------------------------------------------------------------------ small text helpers


def fold(text: str | None) -> str:
    """Lower case, accents removed, whitespace collapsed."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKD", str(text).replace("\u2019", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text).strip().casefold()


def name_words(name: str) -> list[str]:
    """'RegionPcode' -> ['region', 'pcode']; 'PROV_CODE' -> ['prov', 'code']; "Nom de l'organisation" -> [..]."""
    s = re.sub(r"([a-z])([A-Z])", r"\1 \2", name or "")  # camelCase
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", s)
    s = re.sub(r"([0-9])([A-Za-z])", r"\1 \2", s)  # Admin1Pcode, ADMIN2NAME
    s = fold(s)
    s = re.sub(r"p[\s_.-]code", "pcode", s)  # "P-Code", "p code", "P_CODE"
    s = re.sub(r"\b(admin|adm)[\s_.-]+([0-9])\b", r"\1\2", s)  # "Admin 2", "ADM_1"
    words = [w for w in re.split(r"[^a-z0-9]+", s) if w]
    out = []
    for w in words:
        m = re.fullmatch(r"(admin|adm|pcode)(\d)", w)  # admin1, adm2, Pcode1
        if m:
            out.extend([m.group(1), m.group(1) + m.group(2)] if m.group(1) == "pcode" else [w])
        else:
            out.append(w)
    return out


def _is_numeric(text: str) -> bool:
    try:
        float(text.replace(",", ""))
        return True
    except ValueError:
        return False


def _looks_like_date(text: str) -> bool:
    return bool(re.fullmatch(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T].*)?", text))


def _scalar(value) -> str:
    """A YAML scalar, quoted only when it has to be ('#adm1+name' must be, Cluster need not)."""
    text = yaml.safe_dump(value, allow_unicode=True, width=10_000, default_flow_style=True).strip()
    return text[:-4].rstrip() if text.endswith("\n...") else text.removesuffix("...").strip()


# ------------------------------------------------------------------------ looking at the raw rows


def list_sheets(path: Path) -> tuple[str, list[SheetInfo]]:
    fmt = sniff_format(path)
    if fmt == "csv":
        text, _ = _csv_head(path)
        delim = _delimiter(text)
        n_rows, width = 0, 0
        with open(path, "rb") as f:
            n_rows = sum(1 for _ in f)
        width = max((len(r) for r in _records(text, delim)[:50]), default=0)
        return fmt, [SheetInfo(None, n_rows, width)]
    from python_calamine import CalamineWorkbook

    with CalamineWorkbook.from_path(str(path)) as wb:
        visible = {}
        for meta in getattr(wb, "sheets_metadata", []) or []:
            visible[meta.name] = "Visible" in str(meta.visible) and "Hidden" not in str(meta.visible)
        out = []
        for name in wb.sheet_names:
            sheet = wb.get_sheet_by_name(name)
            out.append(SheetInfo(name, sheet.height, sheet.width, visible.get(name, True)))
    return fmt, out


def _csv_head(path: Path, size: int = 1 << 18) -> tuple[str, str]:
    with open(path, "rb") as f:
        raw = f.read(size)
    if raw.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(raw, final=False)
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1252"
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(raw, final=False), encoding


def _records(text: str, delim: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
    return rows[:-1] if len(rows) > 1 else rows  # the last record may be cut off by the sample


def _delimiter(text: str) -> str:
    best, best_score = ",", (0.0, 0)
    for delim in DELIMITERS:
        widths = [len(r) for r in _records(text, delim)[:50] if any(c.strip() for c in r)]
        if not widths:
            continue
        mode, count = Counter(widths).most_common(1)[0]
        score = (count / len(widths), mode)
        if mode > 1 and score > best_score:
            best, best_score = delim, score
    return best


def head_rows(path: Path, sheet: str | None, n: int = HEADER_SEARCH_ROWS + 2) -> list[list[str]]:
    """The first `n` physical rows as text cells (blank rows kept, so row numbers stay physical)."""
    fmt = sniff_format(path)
    if fmt == "csv":
        text, _ = _csv_head(path)
        return [[c or "" for c in r] for r in _records(text, _delimiter(text))[:n]]
    from python_calamine import CalamineWorkbook

    from pipelines.lib.readers import _cell  # the one rule for turning a workbook cell into text

    with CalamineWorkbook.from_path(str(path)) as wb:
        rows = wb.get_sheet_by_name(sheet or wb.sheet_names[0]).to_python(skip_empty_area=False, nrows=n)
    return [[_cell(v) or "" for v in r] for r in rows]


def _is_hxl_row(cells: list[str]) -> bool:
    filled = [c.strip() for c in cells if c and c.strip()]
    if not filled:
        return False
    valid = sum(1 for c in filled if hxl.model.Column.parse(c))
    return valid / len(filled) >= hxl.model.FUZZY_HASHTAG_PERCENTAGE


def detect_header_row(rows: list[list[str]], search: int = HEADER_SEARCH_ROWS) -> int:
    """1-based header row: the row (of the first `search`) with the most distinct non-empty text cells,
    followed by data. A hashtag row directly under a text row is that row's HXL row, not a header."""
    best_row, best_score = 1, -1
    for i, row in enumerate(rows[:search]):
        cells = [re.sub(r"\s+", " ", c).strip() for c in row]
        texts = {c for c in cells if c and not _is_numeric(c) and not _looks_like_date(c)}
        if not texts:
            continue
        if _is_hxl_row(cells) and i > 0 and any(c.strip() for c in rows[i - 1]) and not _is_hxl_row(rows[i - 1]):
            continue  # the HXL row of the row above
        following = [r for r in rows[i + 1:i + 4] if any(c.strip() for c in r) and not _is_hxl_row(r)]
        if not following:
            continue  # nothing under it: a title, or the last row
        data_width = max(sum(1 for c in r if c.strip()) for r in following)
        if data_width < min(2, len(texts)):
            continue
        score = len(texts)
        if score > best_score:
            best_row, best_score = i + 1, score
    return best_row


# ------------------------------------------------------------------------ seeds: sector and org-type aliases


@lru_cache(maxsize=1)
def _seed_keys(name: str, column: str) -> frozenset[str]:
    path = DBT_PROJECT_DIR / "seeds" / name
    if not path.exists():
        return frozenset()
    with open(path, encoding="utf-8", newline="") as f:
        return frozenset(fold(r[column]) for r in csv.DictReader(f) if r.get(column))


def sector_keys() -> frozenset[str]:
    return _seed_keys("sector_aliases.csv", "alias") | _seed_keys("sectors.csv", "sector_code") | {
        fold(x) for x in _seed_keys("sectors.csv", "sector_name")
    }


def org_type_keys() -> frozenset[str]:
    return _seed_keys("org_types.csv", "alias")


def _match_share(values: list[str], keys: frozenset[str]) -> float:
    if not values or not keys:
        return 0.0
    return sum(1 for v in values if fold(v) in keys) / len(values)


# ------------------------------------------------------------------------ candidates for each column


@dataclass
class _Candidate:
    field: str
    column: int
    score: float
    why: str


def _profile(parsed: ParsedTable, index: int) -> list[str]:
    col = parsed.table.column(parsed.columns[index]).slice(0, PROFILE_ROWS)
    return [v for v in col.to_pylist() if v is not None]


def _hxl_candidates(index: int, tag: str, values: list[str]) -> list[_Candidate]:
    column = hxl.model.Column.parse(tag)
    if not column:
        return []
    t, attrs = column.tag.lower(), {a.lower() for a in column.attributes}
    out = []

    def add(f, bonus=0.0):
        out.append(_Candidate(f, index, HXL_SCORE + bonus, f"HXL {tag}"))

    m = re.fullmatch(r"#adm([123])", t)
    if m:
        add(f"admin{m.group(1)}_{'code' if 'code' in attrs else 'name'}")
    elif t == "#org":
        if attrs & {"funder", "donor"}:
            return []
        bonus = (10 if attrs & {"impl", "implementing"} else 0) - (20 if attrs & {"prog", "program"} else 0)
        if "type" in attrs:
            add("org_type", bonus)
        elif "acronym" in attrs:
            add("org_acronym", bonus)
        elif "name" in attrs:
            add("org_name", bonus)
        else:  # a bare #org holds names or acronyms: the values decide
            add("org_acronym" if _looks_like_acronyms(values) else "org_name", bonus)
    elif t == "#sector":
        add("sector", 10 * _match_share(values, sector_keys()))
    elif t == "#status":
        add("status")
    elif t == "#date" and "start" in attrs:
        add("start_date")
    elif t == "#date" and "end" in attrs:
        add("end_date")
    elif t == "#targeted":
        add("people_targeted")
    elif t == "#reached":
        add("people_reached")
    return out


def _looks_like_acronyms(values: list[str]) -> bool:
    if not values:
        return False
    short = sum(1 for v in values if len(v) <= 12 and " " not in v.strip())
    return short / len(values) >= 0.7


def _name_candidates(index: int, name: str, values: list[str]) -> list[_Candidate]:
    words = name_words(name)
    ws = set(words)
    out = []

    def add(f, bonus=0.0):
        out.append(_Candidate(f, index, NAME_SCORE + bonus, f"column name {name!r}"))

    levels = [lvl for lvl, vocab in ADMIN_WORDS.items() if ws & vocab]
    is_code = bool(ws & CODE_WORDS) or "pcode" in "".join(words)
    pcode_level = next((int(w[-1]) for w in words if re.fullmatch(r"pcode[123]", w)), None)
    if pcode_level:
        levels = [pcode_level]
    if levels and not (ws & ORG_WORDS) and not (ws & SECTOR_WORDS):
        explicit = [n for n in (1, 2, 3) if ws & {f"admin{n}", f"adm{n}"}]  # "Admin 2 name" beats "District"
        level = explicit[0] if explicit else levels[0]
        add(f"admin{level}_{'code' if is_code else 'name'}")
    elif ws & ORG_WORDS and not ws & ORG_EXCLUDE_WORDS:
        bonus = (10 if ws & ORG_STRONG_WORDS else 0) - (20 if ws & ORG_WEAK_WORDS else 0)
        if ws & ORG_TYPE_WORDS:
            add("org_type", bonus)
        elif ws & ORG_ACRONYM_WORDS:
            add("org_acronym", bonus)
        else:
            add("org_name", bonus + (5 if "name" in ws or "nom" in ws else 0))
    elif ws & SECTOR_WORDS and not ws & SECTOR_EXCLUDE_WORDS:
        add("sector", 10 * _match_share(values, sector_keys()) - (2 if is_code else 0))
    elif ws & STATUS_WORDS:
        add("status")
    elif ws & START_WORDS or (ws & DATE_WORDS and ws & FROM_WORDS):
        add("start_date")
    elif ws & END_WORDS or (ws & DATE_WORDS and ws & TO_WORDS):
        add("end_date")
    if ws & TARGET_WORDS and not ws & REACHED_WORDS:
        add("people_targeted")
    elif ws & REACHED_WORDS and not ws & TARGET_WORDS:
        add("people_reached")
    return out


def _value_candidates(index: int, name: str, values: list[str]) -> list[_Candidate]:
    if not values:
        return []
    out = []
    distinct = list(dict.fromkeys(v.strip() for v in values))
    pcodes = [v for v in distinct if PCODE_VALUE.fullmatch(v)]
    if len(pcodes) / len(distinct) >= 0.8:
        digits = Counter(len(re.sub(r"\D", "", v)) for v in pcodes).most_common(1)[0][0]
        level = min(3, max(1, digits // 2))
        out.append(_Candidate(f"admin{level}_code", index, VALUE_SCORE, f"p-code values in {name!r} ({pcodes[0]})"))
    share = _match_share(distinct, sector_keys())
    if share >= 0.6:
        out.append(_Candidate("sector", index, VALUE_SCORE + 10 * share, f"sector names in {name!r}"))
    if _match_share(distinct, org_type_keys()) >= 0.6:
        out.append(_Candidate("org_type", index, VALUE_SCORE, f"organisation types in {name!r}"))
    return out


def propose_mapping(parsed: ParsedTable) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """field -> column index, field -> evidence, notes. Each column fills at most one field."""
    candidates: list[_Candidate] = []
    notes = []
    for i, name in enumerate(parsed.columns):
        values = _profile(parsed, i)
        if not values:
            if _name_candidates(i, name, values) or (parsed.hxl_tags[i] and _hxl_candidates(i, parsed.hxl_tags[i], [])):
                notes.append(f"column {name!r} looks useful but is empty in this file; not mapped")
            continue
        if parsed.hxl_tags[i]:
            candidates += _hxl_candidates(i, parsed.hxl_tags[i], values)
        candidates += _name_candidates(i, name, values)
        candidates += _value_candidates(i, name, values)
    # Evidence for the same (field, column) adds up a little: a HXL tag that agrees with the name wins ties.
    best: dict[tuple[str, int], _Candidate] = {}
    for c in candidates:
        key = (c.field, c.column)
        if key in best:
            prev = best[key]
            best[key] = _Candidate(c.field, c.column, max(prev.score, c.score) + 5, f"{prev.why}; {c.why}")
        else:
            best[key] = c
    chosen: dict[str, int] = {}
    evidence: dict[str, str] = {}
    used: set[int] = set()
    order = sorted(best.values(), key=lambda c: (-c.score, c.column, PRESENCE_FIELDS.index(c.field)))
    for c in order:
        if c.field in chosen or c.column in used:
            continue
        chosen[c.field] = c.column
        evidence[c.field] = c.why
        used.add(c.column)
    ordered = {f: chosen[f] for f in PRESENCE_FIELDS if f in chosen}
    return ordered, {f: evidence[f] for f in ordered}, notes


# ------------------------------------------------------------------------ references the config can use


def column_ref(parsed: ParsedTable, index: int) -> str:
    """The config value naming column `index`: its HXL tag when it has one (made unambiguous), else its name."""
    tag = parsed.hxl_tags[index] if index < len(parsed.hxl_tags) else None
    if tag:
        ref = tag
        if _resolves(parsed, ref, index) and _matches(parsed, ref) == 1:
            return ref
        # A tag like #org+reporting also matches #org+reporting+name: exclude the other columns' attributes.
        mine = set(hxl.model.Column.parse(tag).attributes)
        pattern = hxl.model.TagPattern.parse(tag)
        others = set()
        for j, other in enumerate(parsed.hxl_tags):
            col = hxl.model.Column.parse(other) if other and j != index else None
            if col and pattern.match(col):
                others |= set(col.attributes) - mine
        ref = tag + "".join(f"-{a}" for a in sorted(others))
        if _resolves(parsed, ref, index):
            return ref
    name = parsed.columns[index]
    if not name.startswith("#") and _resolves(parsed, name, index):
        return name
    raise ValueError(f"column {index + 1} ({name!r}) cannot be named unambiguously in the config")


def _matches(parsed: ParsedTable, ref: str) -> int:
    """How many columns the HXL pattern `ref` matches (find_column takes the first; we want exactly one)."""
    pattern = hxl.model.TagPattern.parse(ref)
    return sum(1 for t in parsed.hxl_tags if t and pattern.match(hxl.model.Column.parse(t)))


def _resolves(parsed: ParsedTable, ref: str, index: int) -> bool:
    try:
        return find_column(parsed, ref) == index
    except Exception:  # noqa: BLE001 - an unusable reference is simply not chosen
        return False


# ------------------------------------------------------------------------ putting it together


def _guess_country(parsed: ParsedTable, mapped: dict[str, int]) -> str | None:
    prefixes: Counter[str] = Counter()
    for f, i in mapped.items():
        if f.endswith("_code"):
            for v in _profile(parsed, i)[:500]:
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


def _score_sheet(mapping: dict[str, int], rows: int, visible: bool) -> tuple:
    essentials = ("org_name" in mapping) + ("sector" in mapping) + any(f.startswith("admin") for f in mapping)
    return (essentials, visible, len(mapping), rows)


def suggest(path: str | Path, *, sheet: str | None = None, country: str | None = None) -> Suggestion:
    """Inspect a 3W/4W file and propose its sheet, header row and column mapping."""
    path = Path(path)
    fmt, sheets = list_sheets(path)
    if sheet is not None and fmt != "csv":
        names = [s.name for s in sheets]
        if sheet not in names:
            loose = [n for n in names if fold(n) == fold(sheet)]
            if len(loose) != 1:
                raise ValueError(f"{path.name}: no sheet named {sheet!r}; the workbook has sheets {names}")
            sheet = loose[0]
        candidates = [s for s in sheets if s.name == sheet]
    else:
        candidates = [s for s in sheets if s.rows > 1 and s.columns > 1] or sheets[:1]

    best = None
    for info in candidates:
        rows = head_rows(path, info.name)
        header_row = detect_header_row(rows)
        layout = Layout(sheet=info.name, header_row=header_row)
        try:
            parsed = read_table(path, layout)
        except Exception:  # noqa: BLE001 - a sheet we cannot read is just not a candidate
            if len(candidates) == 1:
                raise
            continue
        mapped, evidence, notes = propose_mapping(parsed)
        key = _score_sheet(mapped, parsed.num_rows, info.visible)
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
    for need in ("org_name", "sector"):
        if need not in mapping:
            notes.append(f"no column found for {need} (required): add it by hand")
    if not any(f.startswith("admin") for f in mapping):
        notes.append("no admin code or name column found (at least one is required): add it by hand")
    if country is None:
        country = _guess_country(parsed, mapped)
        if country:
            notes.append(f"country {country} guessed from the p-codes; check it")
    if fmt != "csv" and len([s for s in sheets if s.rows > 1]) > 1 and sheet is None:
        notes.append(f"sheet {info.name!r} chosen of {len(sheets)}; pass --sheet to pick another")
    return Suggestion(
        path=path,
        format=fmt,
        sheets=sheets,
        sheet=info.name,
        header_row=header_row,
        hxl_row=parsed.hxl_row,
        row_count=parsed.num_rows,
        columns=_columns_info(parsed),
        mapping=mapping,
        mapped_columns=mapped,
        evidence=evidence,
        country=country,
        notes=notes,
    )


# ------------------------------------------------------------------------ output


def resource_id(path: Path, country: str | None) -> str:
    stem = re.sub(r"[^a-z0-9]+", "_", fold(path.stem)).strip("_")
    stem = re.sub(r"^(whowhatwhere|download)_", "", stem)
    prefix = (country or "xxx").lower()
    rid = stem if stem.startswith(prefix + "_") else f"{prefix}_{stem}"
    return rid[:60].rstrip("_") or f"{prefix}_presence"


def render_report(s: Suggestion) -> str:
    """What was found, as YAML comments (so the whole output can be pasted or redirected into a file)."""
    lines = [f"# {s.path.name}: {s.format}"]
    for info in s.sheets:
        mark = "  <- chosen" if info.name == s.sheet and s.format != "csv" else ""
        hidden = "" if info.visible else " (hidden)"
        label = f"sheet {info.name!r}" if info.name is not None else "file"
        lines.append(f"#   {label}{hidden}: {info.rows:,} rows x {info.columns} columns{mark}")
    hxl = f"; HXL hashtags in row {s.hxl_row}" if s.hxl_row else "; no HXL hashtag row"
    lines.append(f"# header row {s.header_row}{hxl}; {s.row_count:,} data rows")
    lines.append("# columns (name | HXL | non-empty | examples):")
    by_index = {i: f for f, i in s.mapped_columns.items()}
    for c in s.columns:
        ex = ", ".join(repr(v if len(v) <= 40 else v[:37] + "...") for v in c.samples)
        target = f"  -> {by_index[c.index]}" if c.index in by_index else ""
        lines.append(f"#   {c.index + 1:>2}. {c.name} | {c.hxl_tag or '-'} | {c.non_empty:,} | {ex}{target}")
    for note in s.notes:
        lines.append(f"# NOTE: {note}")
    return "\n".join(lines)


def render_entry(s: Suggestion, *, snapshot_root: Path | None = None, indent: int = 4) -> str:
    """The proposed `sources.presence` list item, indented to paste under `presence:` in the config."""
    path = s.path.resolve()
    rel = str(path)
    if snapshot_root is not None:
        try:
            rel = str(path.relative_to(Path(snapshot_root).resolve()))
        except ValueError:
            pass
    pad = " " * indent
    out = [
        f"{pad}- id: {resource_id(s.path, s.country)}",
        f"{pad}  table: presence",
        f"{pad}  country: {s.country or 'XXX  # TODO: the ISO3 code'}",
        f"{pad}  dataset: {_scalar('TODO-hdx-dataset-name')}  # the HDX dataset name, for lineage and --live",
        f"{pad}  resource: {_scalar(s.path.name)}",
        f"{pad}  path: {_scalar(rel)}",
        f"{pad}  # reference_period: {{start: YYYY-MM-DD, end: YYYY-MM-DD}}",
    ]
    layout = []
    if s.sheet is not None:
        layout.append(f"sheet: {_scalar(s.sheet)}")
    layout.append(f"header_row: {s.header_row}")
    out.append(f"{pad}  layout: {{{', '.join(layout)}}}")
    out.append(f"{pad}  columns:")
    by_index = {c.index: c for c in s.columns}
    width = max((len(f) for f in s.mapping), default=0)
    for f, ref in s.mapping.items():
        col = by_index[s.mapped_columns[f]]
        ex = ", ".join(col.samples[:2])
        if len(ex) > 50:
            ex = ex[:47] + "..."
        out.append(f"{pad}    {f + ':':<{width + 1}} {_scalar(ref)}  # {ex}")
    return "\n".join(out)
