"""What column names and values say: English and French words per field, p-code shapes, the alias seeds.

The evidence `columns` weighs. Words are matched after `name_words` splits and folds a header.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from functools import lru_cache

from pipelines.lib.paths import DBT_PROJECT_DIR
from pipelines.lib.sector_key import sector_key
from pipelines.lib.sector_vocab import seed_sector_map

ADMIN_WORDS = {
    1: {"admin1", "adm1", "region", "regions", "province", "provinces", "prov", "state", "states", "etat",
        "governorate", "gouvernorat", "wilaya", "oblast", "departamento", "provincia"},
    2: {"admin2", "adm2", "district", "districts", "dist", "zone", "zones", "county", "counties", "departement",
        "departements", "department", "prefecture", "lga", "locality", "localite", "municipio", "commune", "territoire", "territory",
        "distrito", "raion"},
    3: {"admin3", "adm3", "woreda", "woredas", "subcounty", "sub-county", "payam", "sous-prefecture",
        "subdistrict", "sub-district", "kebele-woreda", "canton"},
}
CODE_WORDS = {"pcode", "p-code", "pcod", "code", "cod", "codes", "pcodes"}
ORG_WORDS = {"org", "orgs", "organisation", "organization", "organisations", "organizations", "partner",
             "partners", "partenaire", "partenaires", "agency", "agence", "ngo", "ong", "implementing",
             "acronym", "acronyme", "acronymes", "sigle", "organizacion", "organizaciones", "socio", "socios",
             "implementadora", "implementador", "acteur", "acteurs", "actor", "actores", "organizacao", "parceiro"}
ORG_ACRONYM_WORDS = {"acronym", "acronyme", "acronymes", "sigle", "abbreviation", "abreviation", "short"}
ORG_TYPE_WORDS = {"type", "types", "category", "categorie", "tipo"}
ORG_EXCLUDE_WORDS = {"donor", "donors", "funder", "funding", "bailleur", "bailleurs", "source", "donante",
                     "donantes", "financiador", "cluster"}
ORG_WEAK_WORDS = {"program", "programme", "programs", "prog"}  # program partner: below implementing partner
ORG_STRONG_WORDS = {"implementing", "implementation", "impl", "reporting", "operational", "mise"}
SECTOR_WORDS = {"cluster", "clusters", "sector", "sectors", "secteur", "secteurs", "sectoral", "setor", "domaine"}
SECTOR_EXCLUDE_WORDS = {"activity", "activities", "activite", "activites", "sub", "subsector", "indicator", "lead"}
STATUS_WORDS = {"status", "statut", "estado"}
PROJECT_WORDS = {"projet", "project", "proyecto", "projecto", "activite", "activity"}  # "ETAT PROJET" is a status
START_WORDS = {"start", "debut", "commencement", "inicio"}  # on their own: "Start", "Date début"
END_WORDS = {"end", "fin", "cloture", "finalizacion", "final", "termino"}
FROM_WORDS = {"from", "begin", "beginning"}  # only next to a date word: "Date from"
TO_WORDS = {"to", "until"}
DATE_WORDS = {"date", "dates", "period", "periode"}
TARGET_WORDS = {"targeted", "target", "targets", "cible", "cibles", "ciblee", "ciblees", "ciblés"}
REACHED_WORDS = {"reached", "reach", "atteint", "atteints", "atteinte", "atteintes", "served", "assisted",
                 "alcanzadas", "alcanzados", "assistidos", "beneficiaries", "beneficiaires", "beneficiarios"}
MONTH_WORDS = {"month", "mois", "mes", "mes"}
YEAR_WORDS = {"year", "annee", "ano", "anio"}

PCODE_VALUE = re.compile(r"^[A-Z]{2,3}[0-9]{2,}$")


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


# ------------------------------------------------------------------------ seeds: sector and org-type aliases


@lru_cache(maxsize=1)
def _seed_keys(name: str, column: str) -> frozenset[str]:
    path = DBT_PROJECT_DIR / "seeds" / name
    if not path.exists():
        return frozenset()
    with open(path, encoding="utf-8", newline="") as f:
        return frozenset(fold(r[column]) for r in csv.DictReader(f) if r.get(column))


def sector_share(values: list[str], mapping: dict[str, str] | None = None) -> float:
    """The share of `values` that resolve to a sector (sector_key, the seeds and any config aliases)."""
    mapping = seed_sector_map() if mapping is None else mapping
    if not values:
        return 0.0
    return sum(1 for v in values if sector_key(v) in mapping) / len(values)


def org_type_keys() -> frozenset[str]:
    return _seed_keys("org_types.csv", "alias")


def match_share(values: list[str], keys: frozenset[str]) -> float:
    """The share of `values` that are keys of a seed (after folding)."""
    if not values or not keys:
        return 0.0
    return sum(1 for v in values if fold(v) in keys) / len(values)
