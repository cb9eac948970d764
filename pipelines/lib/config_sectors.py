"""The config's own sector aliases: labels of an information manager's files -> codes of the `sectors` seed.

Kept apart from config.py (one job: validating one alias against the seed's codes)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class SectorAlias(BaseModel):
    """One sector label of the information manager's files -> a code of the `sectors` seed (no seed edit)."""

    model_config = ConfigDict(extra="forbid")

    alias: str = Field(min_length=1, description="the label as the file gives it; matched after sector_key")
    sector: str = Field(min_length=1, description="a sector_code of dbt_project/seeds/sectors.csv (EDU, PRO-GBV, ...)")
    country: str | None = Field(None, description="ISO3: only this country's files; default every country")
    note: str | None = None

    @field_validator("sector")
    @classmethod
    def _known_code(cls, v):
        from pipelines.lib.sector_vocab import sector_codes

        if v not in sector_codes():
            raise ValueError(f"unknown sector code {v!r}; expected one of {sorted(sector_codes())}")
        return v
