"""Admin-name exceptions for matching source names to COD units (pipelines/config/admin_names.yaml).

hdx-python-country AdminLevel's own parameters, as hapi-pipelines keeps them; kept apart from config.py."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AdminLevelNames(_Strict):
    """hdx-python-country AdminLevel's own name rules for one admin level (as hapi-pipelines keeps them).

    Keys are a name as given, "ISO3|name" or "PARENT_PCODE|name" (parent: admin2 only)."""

    admin_name_mappings: dict[str, str] = Field(default_factory=dict, description="name -> p-code, trusted first")
    admin_name_replacements: dict[str, str] = Field(
        default_factory=dict, description="text -> replacement tried on the normalised name before fuzzy matching"
    )
    admin_fuzzy_dont: list[str] = Field(default_factory=list, description="names never fuzzy-matched (lower case)")

    def adminlevel_config(self) -> dict:
        return self.model_dump()


class AdminNames(_Strict):
    """Admin-name exceptions for matching source names to COD units (pipelines/config/admin_names.yaml)."""

    admin1: AdminLevelNames = Field(default_factory=AdminLevelNames)
    admin2: AdminLevelNames = Field(default_factory=AdminLevelNames)
    fuzzy_keep_words: list[str] = Field(
        default_factory=list, description="words a fuzzy name match must neither add nor drop (compass words)"
    )

    def level(self, admin_level: int) -> AdminLevelNames:
        return self.admin1 if admin_level == 1 else self.admin2
