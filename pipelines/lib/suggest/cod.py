"""The COD admin units the suggester checks a column's values against: names and p-codes per country and level.

Read from the configured global p-code list (the `pcodes` resource of the config, under its snapshot root),
through the readers, as ingestion reads it. Names are compared after `name_key` (accents, case, punctuation
folded); a cell with two languages ("Taizz / تعز") matches when either part does. P-codes match exactly,
or by their national shape: the country's COD prefix (IQG for IRQ), ISO2 or ISO3 followed by digits, with
the digit count of that level.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.lib.config import Config, Layout
from pipelines.lib.readers import find_column, read_table
from pipelines.lib.text import name_parts

LEVELS = (1, 2, 3)
_PCODE = re.compile(r"^([A-Z]{2,3}[A-Z]?)(\d+)([A-Z]\d+)*$")


def name_key(text: str) -> str:
    from pipelines.lib.suggest.vocabulary import fold

    return re.sub(r"[^0-9a-z]+", "", fold(text))


def _parts(text: str) -> list[str]:
    parts = [text, *name_parts(text)]
    return [k for k in (name_key(p) for p in parts) if k]


@dataclass
class CodIndex:
    names: dict[tuple[str, int], set[str]] = field(default_factory=lambda: defaultdict(set))
    pcodes: dict[tuple[str, int], set[str]] = field(default_factory=lambda: defaultdict(set))
    shapes: dict[tuple[str, int], set[tuple[str, int]]] = field(default_factory=lambda: defaultdict(set))
    countries: set[str] = field(default_factory=set)

    def add(self, iso3: str, level: int, pcode: str, name: str | None) -> None:
        self.countries.add(iso3)
        pcode = pcode.strip().upper()
        self.pcodes[(iso3, level)].add(pcode)
        m = _PCODE.match(pcode)
        if m:
            digits = len(re.sub(r"\D", "", pcode))
            for prefix in {m.group(1), iso3, _iso2(iso3)} - {None}:
                self.shapes[(iso3, level)].add((prefix, digits))
        if name:
            self.names[(iso3, level)].add(name_key(name))

    # ---------------------------------------------------------------- shares of values that fit
    def name_share(self, values: list[str], iso3: str, level: int) -> float:
        names = self.names.get((iso3, level))
        if not values or not names:
            return 0.0
        return sum(1 for v in values if any(p in names for p in _parts(v))) / len(values)

    def code_share(self, values: list[str], iso3: str, level: int) -> float:
        codes, shapes = self.pcodes.get((iso3, level), set()), self.shapes.get((iso3, level), set())
        if not values or not codes:
            return 0.0
        hits = 0
        for v in values:
            v = re.sub(r"\s", "", v).upper()
            m = _PCODE.match(v)
            hits += v in codes or bool(m and (m.group(1), len(re.sub(r"\D", "", v))) in shapes)
        return hits / len(values)

    def best_level(self, values: list[str], iso3: str, kind: str) -> tuple[int | None, float]:
        share = self.name_share if kind == "name" else self.code_share
        scored = [(share(values, iso3, lvl), -lvl) for lvl in LEVELS]
        best, neg = max(scored)
        return (-neg if best > 0 else None), best

    def guess_country(self, values_by_kind: list[tuple[str, list[str]]]) -> tuple[str | None, float]:
        """The country whose COD names or p-codes the most values match (at any level)."""
        scores: Counter[str] = Counter()
        for kind, values in values_by_kind:
            sample = values[:300]
            for iso3 in self.countries:
                scores[iso3] += max(self.best_level(sample, iso3, kind)[1], 0) * len(sample)
        total = sum(len(v[:300]) for _, v in values_by_kind)
        if not scores or not total:
            return None, 0.0
        iso3, score = scores.most_common(1)[0]
        return (iso3, score / total) if score else (None, 0.0)


def _iso2(iso3: str) -> str | None:
    try:
        from hdx.location.country import Country

        return Country.get_iso2_from_iso3(iso3, use_live=False)
    except Exception:  # noqa: BLE001 - an unknown code has no ISO2
        return None


_CACHE: dict[Path, CodIndex] = {}


def load_cod(cfg: Config) -> CodIndex | None:
    """The config's p-code list as a CodIndex, or None when the config has none under its snapshot."""
    root = cfg.snapshot_root()
    res = next((r for r in cfg.resources("admin") if r.table == "pcodes" and r.path), None)
    if root is None or res is None or not (root / res.path).is_file():
        return None
    path = root / res.path
    if path not in _CACHE:
        parsed = read_table(path, res.layout if res.layout else Layout())
        cols = {k: find_column(parsed, k) for k in ("Location", "Admin Level", "P-Code", "Name")}
        data = [parsed.table.column(parsed.columns[i]).to_pylist() for i in cols.values()]
        index = CodIndex()
        for iso3, level, pcode, name in zip(*data):
            if iso3 and pcode and level and level.strip().isdigit():
                index.add(iso3.strip().upper(), int(level), pcode, name)
        _CACHE[path] = index
    return _CACHE[path]
