"""A column for each canonical presence field, from three kinds of evidence.

HXL hashtags count most, then column names (English and French), then the values themselves
(p-code patterns, the sector and org-type alias seeds). Evidence for the same field and column adds
up; each column then fills at most one field, best score first.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import hxl.model

from pipelines.lib.config import PRESENCE_FIELDS
from pipelines.lib.readers import ParsedTable
from pipelines.lib.suggest.cod import CodIndex
from pipelines.lib.suggest.fit import fit
from pipelines.lib.suggest.org_pair import fill, implementing, looks_like_acronyms, two_organisations
from pipelines.lib.suggest.vocabulary import (
    ADMIN_WORDS, CODE_WORDS, DATE_WORDS, END_WORDS, FROM_WORDS, ORG_ACRONYM_WORDS, ORG_EXCLUDE_WORDS,
    ORG_STRONG_WORDS, ORG_TYPE_WORDS, ORG_WEAK_WORDS, ORG_WORDS, PCODE_VALUE, PROJECT_WORDS, REACHED_WORDS, SECTOR_EXCLUDE_WORDS,
    SECTOR_WORDS, START_WORDS, STATUS_WORDS, TARGET_WORDS, TO_WORDS, match_share, name_words, org_type_keys,
    sector_share,
)

PROFILE_ROWS = 2000  # rows looked at for value patterns; enough to recognise a column, fast on big files

# How much each kind of evidence counts when choosing a column for a field.
HXL_SCORE = 100
NAME_SCORE = 60
VALUE_SCORE = 30
FIT_SCORE = 40  # a column whose values fit better beats one whose name merely says so


@dataclass
class _Candidate:
    field: str
    column: int
    score: float
    why: str


def profile(parsed: ParsedTable, index: int) -> list[str]:
    """The non-null values of the first PROFILE_ROWS rows of a column."""
    col = parsed.table.column(parsed.columns[index]).slice(0, PROFILE_ROWS)
    return [v for v in col.to_pylist() if v is not None]


def cells(parsed: ParsedTable, index: int) -> list[str | None]:
    """The first PROFILE_ROWS cells of a column, empty ones as None (emptiness counts against a role)."""
    return parsed.table.column(parsed.columns[index]).slice(0, PROFILE_ROWS).to_pylist()


def propose_mapping(parsed: ParsedTable, country: str | None = None, cod: CodIndex | None = None
                    ) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """field -> column index, field -> evidence, notes. Each column fills at most one field, and only when
    its values fit the role (`fit`): a better fit wins between competing columns."""
    candidates: list[_Candidate] = []
    notes = []
    for i, name in enumerate(parsed.columns):
        values = profile(parsed, i)
        if values and country and cod:
            candidates += _cod_candidates(i, name, values, country, cod)
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
    checked, rejected = _check_values(parsed, best.values(), country, cod)
    chosen: dict[str, int] = {}
    evidence: dict[str, str] = {}
    scores: dict[str, float] = {}
    used: set[int] = set()
    order = sorted(checked, key=lambda c: (-c.score, c.column, PRESENCE_FIELDS.index(c.field)))
    for c in order:
        if c.field in chosen or c.column in used:
            continue
        chosen[c.field] = c.column
        evidence[c.field] = c.why
        scores[c.field] = c.score
        used.add(c.column)
    notes += _one_organisation(parsed, chosen, evidence, scores)
    ordered = {f: chosen[f] for f in PRESENCE_FIELDS if f in chosen}
    for c in rejected:
        if c.column not in used:
            notes.append(f"column {parsed.columns[c.column]!r} not mapped to {c.field}: {c.why}")
    return ordered, {f: evidence[f] for f in ordered}, notes


def _one_organisation(parsed: ParsedTable, chosen: dict[str, int], evidence: dict[str, str],
                      scores: dict[str, float]) -> list[str]:
    """When the org name and acronym columns name two organisations (reporting and implementing partner),
    keep one, as acronym or name by its values: the clearly fuller one, else the implementing one, else the
    better-evidenced one."""
    if "org_name" not in chosen or "org_acronym" not in chosen:
        return []
    values = {f: cells(parsed, chosen[f]) for f in ("org_name", "org_acronym")}
    why = two_organisations(values["org_name"], values["org_acronym"])
    if why is None:
        return []
    most = max(fill(v) for v in values.values())

    def rank(f: str):
        i = chosen[f]
        return (fill(values[f]) >= 0.95 * most, implementing(parsed.columns[i], parsed.hxl_tags[i]), scores[f])

    keep = max(("org_name", "org_acronym"), key=rank)
    drop = "org_acronym" if keep == "org_name" else "org_name"
    column, kept_why = chosen.pop(keep), evidence.pop(keep)
    dropped = chosen.pop(drop)
    evidence.pop(drop)
    field = "org_acronym" if looks_like_acronyms(profile(parsed, column)) else "org_name"
    chosen[field], evidence[field] = column, kept_why
    return [f"columns {parsed.columns[column]!r} and {parsed.columns[dropped]!r}: {why}; {parsed.columns[column]!r} "
            f"is used as {field} (the implementing or fuller one), {parsed.columns[dropped]!r} is not mapped"]


def _check_values(parsed: ParsedTable, candidates, country, cod) -> tuple[list[_Candidate], list[_Candidate]]:
    """Candidates whose values fit their role (score raised by the fit), and the rejected ones (why = the fit)."""
    kept, rejected = [], []
    for c in candidates:
        f = fit(c.field, cells(parsed, c.column), country, cod)
        if f is None:
            kept.append(c)
        elif f.ok:
            why = "; ".join(dict.fromkeys([f.evidence, *c.why.split("; ")[:2]]))
            kept.append(_Candidate(c.field, c.column, c.score + FIT_SCORE * f.share, why))
        else:
            rejected.append(_Candidate(c.field, c.column, c.score, f.evidence))
    return kept, rejected


def _cod_candidates(index: int, name: str, values: list[str], country: str, cod: CodIndex) -> list[_Candidate]:
    """Admin columns found by their values alone: most values are the country's COD names or p-codes."""
    out = []
    for kind in ("name", "code"):
        level, share = cod.best_level(values, country, kind)
        if level and share >= 0.8:
            out.append(_Candidate(f"admin{level}_{kind}", index, VALUE_SCORE,
                                  f"values of {name!r} are {country} admin{level} {kind}s"))
    return out


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
            add("org_acronym" if looks_like_acronyms(values) else "org_name", bonus)
    elif t == "#sector":
        add("sector", 10 * sector_share(values))
    elif t == "#status":
        add("status")
    elif t == "#date" and "start" in attrs:
        add("start_date")
    elif t == "#date" and "end" in attrs:
        add("end_date")
    elif t in ("#targeted", "#reached"):  # people, not households: +ind before +hh
        add(f"people_{t[1:]}", (5 if "ind" in attrs else 0) - (15 if attrs & {"hh", "households"} else 0))
    return out


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
    if levels and not (ws & ORG_WORDS) and not (ws & SECTOR_WORDS) and not (ws & PROJECT_WORDS):
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
        add("sector", 10 * sector_share(values) - (2 if is_code else 0))
    elif ws & STATUS_WORDS or (ws & {"etat", "estado"} and ws & PROJECT_WORDS):
        add("status")
    elif ws & START_WORDS or (ws & DATE_WORDS and ws & FROM_WORDS):
        add("start_date")
    elif ws & END_WORDS or (ws & DATE_WORDS and ws & TO_WORDS):
        add("end_date")
    if ws & TARGET_WORDS:
        add("people_targeted")
    elif ws & REACHED_WORDS:
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
    share = sector_share(distinct)
    if share >= 0.6:
        out.append(_Candidate("sector", index, VALUE_SCORE + 10 * share, f"sector names in {name!r}"))
    if match_share(distinct, org_type_keys()) >= 0.6:
        out.append(_Candidate("org_type", index, VALUE_SCORE, f"organisation types in {name!r}"))
    return out
