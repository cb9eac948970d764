"""The config values dbt's models read, as --vars: the config stays the one place to change them."""
from __future__ import annotations

import datetime as dt


def config_dbt_vars(cfg) -> dict:
    return {
        "countries": cfg.countries,
        "as_of": (cfg.as_of or dt.date.today()).isoformat(),
        "gap_low_reach_share": cfg.gaps.low_reach_share,
        "gap_thin_presence_factor": cfg.gaps.thin_presence_factor,
        "gap_min_people_in_need": cfg.gaps.min_people_in_need,
        "gap_crowded_factor": cfg.gaps.crowded_factor,
        "gap_crowded_min_partners": cfg.gaps.crowded_min_partners,
        "gap_underreported_factor": cfg.gaps.underreported_factor,
        "gap_severity_weights": {str(k): w for k, w in cfg.gaps.severity_weights.items()},
        "sector_aliases": [a.model_dump(include={"alias", "sector", "country"}) for a in cfg.sector_aliases],
        "needs_duplicates": cfg.needs_duplicates,
        "admin_names": cfg.admin_name_rules().model_dump(mode="json"),
    }
