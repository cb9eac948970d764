"""The sample's geography: three fictional countries (countries.yaml) with p-codes and populations."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipelines.sample.draws import make_rng

COUNTRIES_YAML = Path(__file__).with_name("countries.yaml")


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    parent: str  # parent p-code; the ISO3 for admin 1 (as in the global p-code list)
    level: int


@dataclass
class Country:
    iso3: str
    name: str  # always says "(fictional)"
    name_fr: str
    short: str  # the 2-letter prefix some providers write instead of the ISO3 prefix
    lengths: tuple[int, int, int]  # country, admin 1, admin 2 p-code segment lengths
    valid_from: str
    admin: dict[str, list[str]]  # admin 1 name -> admin 2 names
    admin1: list[Unit] = field(default_factory=list)
    admin2: list[Unit] = field(default_factory=list)
    population: dict[str, int] = field(default_factory=dict)  # admin 2 p-code -> total population

    def children(self, admin1_code: str) -> list[Unit]:
        return [u for u in self.admin2 if u.parent == admin1_code]


def _countries() -> dict[str, Country]:
    data = yaml.safe_load(COUNTRIES_YAML.read_text(encoding="utf-8"))
    return {iso3: Country(iso3, c["name"], c["name_fr"], c["short"], tuple(c["lengths"]), c["valid_from"], c["admin"])
            for iso3, c in data.items()}


def _prefix(c: Country) -> str:
    return c.iso3 if c.lengths[0] == 3 else c.short


def build_world(seed: int) -> dict[str, Country]:
    """Countries with p-codes (from the fixed name lists) and admin 2 populations (from the seed)."""
    world = _countries()
    for c in world.values():
        rng = make_rng(seed, f"population/{c.iso3}")
        for i, (a1_name, a2_names) in enumerate(c.admin.items(), 1):
            a1 = Unit(f"{_prefix(c)}{i:0{c.lengths[1]}d}", a1_name, c.iso3, 1)
            c.admin1.append(a1)
            for j, a2_name in enumerate(a2_names, 1):
                a2 = Unit(f"{a1.code}{j:0{c.lengths[2]}d}", a2_name, a1.code, 2)
                c.admin2.append(a2)
                c.population[a2.code] = rng.randint(18, 450) * 1000 + rng.randint(0, 999)
    return world
