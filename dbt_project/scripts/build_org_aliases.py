"""Build dbt_project/seeds/org_aliases.csv from HDX's organisation mapping tables.

Derived reference data: the output is committed, so dbt never needs ../shared. Re-run this when the
inputs change:

    .venv/bin/python dbt_project/scripts/build_org_aliases.py [--snapshot ../shared/hdx-snapshot]

Inputs (read from the snapshot, never copied into the repository):
- OCHA-DAP__hdx-scraper-operationalpresence/tests/fixtures/org_map.csv: the organisation table HDX's
  operational presence scraper produced (Country Code, Lookup, Canonical Name, Acronym, Type Code, ...).
- .../tests/fixtures/input/org_2pacx-*.csv: HDX HAPI's hand-kept org-name sheet (String pattern,
  Canonical org name, Acronym, Org type code, Location filter, ...).

Output columns: alias (normalised with the dbt macro `normalise_key`, so `normalise_key(raw) = alias`
joins), country_code (empty: any country; otherwise the alias only holds there), org_acronym,
org_name, org_type_code (one of the 14 HDX org type codes, may be empty).

Every lookup string, canonical name and acronym becomes an alias. An alias that would point at two
different organisations in the same scope is dropped and reported: dbt then sees it as unknown
rather than guessing. A country-specific alias that says the same as a global one is dropped.
"""
from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import defaultdict
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve()
DBT_DIR = HERE.parents[1]
REPO_ROOT = HERE.parents[2]
MACRO = DBT_DIR / "macros" / "normalise_key.sql"
OUTPUT = DBT_DIR / "seeds" / "org_aliases.csv"
OPS = "OCHA-DAP__hdx-scraper-operationalpresence/tests/fixtures"
COLUMNS = ["alias", "country_code", "org_acronym", "org_name", "org_type_code"]
ORG_TYPE_CODES = {"431", "433", "434", "435", "437", "438", "439", "440", "441", "443", "444", "445", "446", "447"}
# The org sheet's "Location filter" holds country names.
COUNTRY_NAMES = {"mali": "MLI", "afghanistan": "AFG", "chad": "TCD", "somalia": "SOM", "ethiopia": "ETH",
                 "sudan": "SDN", "south sudan": "SSD", "democratic republic of the congo": "COD"}


def normalise_sql(expr: str) -> str:
    """The body of the dbt macro normalise_key with `expr` in place of its argument."""
    text = MACRO.read_text(encoding="utf-8")
    m = re.search(r"macro\s+normalise_key\(expr\)\s*-?%\}(.*?)\{%-?\s*endmacro", text, re.S)
    if not m:
        raise SystemExit(f"{MACRO}: macro normalise_key(expr) not found")
    return m.group(1).strip().replace("{{ expr }}", expr)


def normaliser(values: set[str]) -> dict[str, str | None]:
    con = duckdb.connect()
    con.execute("create temp table v (x varchar)")
    con.executemany("insert into v values (?)", [[v] for v in values])
    return dict(con.execute(f"select x, {normalise_sql('x')} from v").fetchall())


def _text(v: str | None) -> str:
    return re.sub(r"\s+", " ", (v or "").replace("\u00a0", " ")).strip()


def clean_acronym(acronym: str, name: str) -> str:
    """org_map keeps the first 32 characters of the name when a Somali org has no acronym."""
    acronym = _text(acronym)
    if acronym and (" " not in acronym or len(acronym) <= 12):
        return acronym
    m = re.search(r"\(([^()]{2,15})\)\s*$", name)
    return m.group(1).strip() if m else ""


def canonical_name(name: str, acronym: str) -> str:
    """'Taakulo Somaliland Community (TASCO)' -> 'Taakulo Somaliland Community' when TASCO is the acronym,
    so that the Somali rows and the global rows give one name per organisation."""
    m = re.match(r"^(.*\S)\s*\(([^()]+)\)$", name)
    if m and acronym and m.group(2).strip().lower() == acronym.lower() and m.group(1).lower() != acronym.lower():
        return m.group(1)
    return name


PLACEHOLDERS = {"not in the list", "other", "others", "n/a", "na", "none", "unknown", "autre", "autres"}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _stripped(text: str) -> str:
    """HDX's own normalised form (lower case, no punctuation): org_map lists it beside each spelling."""
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", re.sub(r"[\'\u2019]", "", text.lower()))).strip()


def _names(raw_name, raw_acronym) -> tuple[str, str, str] | None:
    """(acronym, name as given, canonical name) of a row; None for a blank or placeholder name."""
    name = _text(raw_name)
    if not name:
        return None
    acronym = clean_acronym(raw_acronym, name)
    given, name = name, canonical_name(name, acronym)
    if name.lower() in PLACEHOLDERS:
        return None
    return acronym, given, name


def collect(snapshot: Path) -> list[tuple[str, str, str, str, str]]:
    """(raw alias, country_code, acronym, name, type code) from both inputs."""
    out = []
    org_map = read_csv(snapshot / OPS / "org_map.csv")
    # Lookups that are only HDX's stripped copy of another lookup of the same org add nothing.
    spelled = {(_text(r["Country Code"]), _stripped(_text(r["Lookup"]))) for r in org_map if _text(r["Lookup"]) != _stripped(_text(r["Lookup"]))}
    for r in org_map:
        if not (names := _names(r["Canonical Name"], r["Acronym"])):
            continue
        acronym, given, name = names
        country = _text(r["Country Code"]).upper()
        type_code = _text(r["Type Code"])
        lookup = _text(r["Lookup"])
        if lookup == _stripped(lookup) and (_text(r["Country Code"]), lookup) in spelled:
            lookup = ""
        for alias in (lookup, given, acronym):
            if _text(alias):
                out.append((_text(alias), country, acronym, name, type_code))
    sheets = sorted((snapshot / OPS / "input").glob("org_2pacx-*.csv"))
    for path in sheets:
        for r in read_csv(path):
            if not (names := _names(r["Canonical org name"], r["Acronym"])):
                continue
            acronym, given, name = names
            location = _text(r.get("Location code")) or COUNTRY_NAMES.get(_text(r.get("Location filter")).lower(), "")
            if _text(r.get("Location filter")) and not location:
                print(f"warning: unknown location filter {r['Location filter']!r}; row skipped", file=sys.stderr)
                continue
            type_code = _text(r["Org type code"])
            for alias in (r["String pattern"], given, acronym):
                if _text(alias):
                    out.append((_text(alias), location.upper(), acronym, name, type_code))
    return out


def _same_org(names: list[str]) -> bool:
    """Spellings of one organisation ('every where'/'everywhere', 'Finish'/'Finnish' Refugee Council)."""
    from rapidfuzz import fuzz

    squeezed = [re.sub(r"[^a-z0-9]", "", n) for n in names]
    return all(fuzz.ratio(squeezed[0], other) >= 90 for other in squeezed[1:])


def build(snapshot: Path) -> tuple[list[dict[str, str]], list[str]]:
    raw = collect(snapshot)
    norm = normaliser({a for a, *_ in raw} | {n for *_, n, _ in raw})
    # scope (country or '') -> alias -> org keys; org key (normalised name) -> votes for (acronym, name, type)
    by_scope: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    org_votes: dict[str, dict[tuple, int]] = defaultdict(dict)
    for alias, country, acronym, name, type_code in raw:
        a = norm[alias]
        if not a:
            continue
        org = norm[name] or name
        by_scope[country][a].add(org)
        key = (acronym, name, type_code if type_code in ORG_TYPE_CODES else "")
        org_votes[org][key] = org_votes[org].get(key, 0) + 1

    def canonical(orgs: set[str]) -> tuple[str, str, str]:
        # one spelling per organisation, whichever alias leads to it: the most frequent, preferring
        # rows that have an acronym and a type
        org = max(orgs, key=lambda o: (sum(org_votes[o].values()), o))
        votes = org_votes[org]
        acronym, name, _ = max(votes.items(), key=lambda kv: (kv[1], bool(kv[0][0]), kv[0]))[0]
        types = [(n, t) for (_, _, t), n in votes.items() if t]
        return acronym, name, (max(types)[1] if types else "")

    rows, dropped = [], []
    global_scope = by_scope.get("", {})
    for country in sorted(by_scope):
        for alias in sorted(by_scope[country]):
            orgs = by_scope[country][alias]
            if len(orgs) > 1 and not _same_org(sorted(orgs)):
                dropped.append(f"{country or '*'}|{alias}: {sorted(orgs)}")
                continue
            if country and alias in global_scope and _same_org(sorted(orgs | global_scope[alias])):
                continue  # the global alias already says this
            acronym, name, type_code = canonical(orgs)
            rows.append(
                {"alias": alias, "country_code": country, "org_acronym": acronym, "org_name": name, "org_type_code": type_code}
            )
    return rows, dropped


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--snapshot", type=Path, default=REPO_ROOT.parent / "shared" / "hdx-snapshot")
    p.add_argument("--output", type=Path, default=OUTPUT)
    args = p.parse_args(argv)
    if not (args.snapshot / OPS / "org_map.csv").exists():
        print(f"{args.snapshot}: no {OPS}/org_map.csv; keeping the committed {args.output.name}", file=sys.stderr)
        return 1
    rows, dropped = build(args.snapshot)
    with args.output.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} aliases to {args.output}")
    for d in dropped:
        print(f"dropped ambiguous alias {d}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
