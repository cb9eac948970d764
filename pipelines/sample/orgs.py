"""The sample's organisations (orgs.yaml): real international agencies, fictional national ones, and each
provider's own organisation-type labels."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Org:
    kind: str  # UN, INGO, NNGO, GOV, RC, OTHER
    acronym: str
    name: str
    name_fr: str = ""
    acronym_fr: str = ""


_ORGS = yaml.safe_load(Path(__file__).with_name("orgs.yaml").read_text(encoding="utf-8"))
INTERNATIONAL_ORGS = [Org(*row) for row in _ORGS["international"]]
NATIONAL_ORGS = {iso3: [Org(*row) for row in rows] for iso3, rows in _ORGS["national"].items()}
ORG_TYPE_LABELS: dict[str, dict[str, str]] = _ORGS["type_labels"]


def org_pool(iso3: str, scale: float) -> tuple[list[Org], list[float]]:
    """Named orgs (weighted up) plus synthetic local partners, so that big scales stay plausible."""
    named = INTERNATIONAL_ORGS + NATIONAL_ORGS[iso3]
    extra = max(0, int(20 * (scale - 1)))
    label = {"XAR": "Arland Community Partner", "XBO": "Association Locale", "XCA": "Caldera Local Partner"}[iso3]
    synthetic = [Org("NNGO", f"{iso3[1:]}P{k:05d}", f"{label} {k:05d}") for k in range(1, extra + 1)]
    return named + synthetic, [4.0] * len(named) + [1.0] * len(synthetic)
