"""The published tables: which marts are published, their grain and their contract columns.

The contract columns are those of docs/ARCHITECTURE.md ("Marts"). A mart may carry more columns
(reference period, source dataset ids); they are published too. The suites check that every
contract column is present, so a renamed column blocks publication instead of breaking users.
"""
from __future__ import annotations

from dataclasses import dataclass

MART_SCHEMA = "marts"


@dataclass(frozen=True)
class PublishedTable:
    name: str
    grain: str
    key_columns: tuple[str, ...]
    contract_columns: tuple[str, ...]

    @property
    def publish_key(self):
        import dagster as dg

        return dg.AssetKey(["published", self.name])

    @property
    def relation(self) -> str:
        return f"{MART_SCHEMA}.{self.name}"


PUBLISHED_TABLES: tuple[PublishedTable, ...] = (
    PublishedTable(
        "coverage",
        grain="country × admin unit × sector",
        key_columns=("country_code", "admin1_code", "admin2_code", "sector_code"),
        contract_columns=(
            "country_code", "admin_level", "admin1_code", "admin1_name", "admin2_code", "admin2_name",
            "sector_code", "sector_name", "people_in_need", "people_targeted", "people_reached",
            "partner_count", "partners", "pin_per_partner", "reached_share",
        ),
    ),
    PublishedTable(
        "gaps",
        grain="country × admin unit × sector × gap type",
        key_columns=("country_code", "admin1_code", "admin2_code", "sector_code", "gap_type"),
        contract_columns=(
            "country_code", "admin_level", "admin1_code", "admin1_name", "admin2_code", "admin2_name",
            "sector_code", "sector_name", "people_in_need", "partner_count", "gap_type", "severity",
            "rank_in_country",
        ),
    ),
    PublishedTable(
        "funding_by_cluster",
        grain="country × year × plan × global cluster",
        # FSC gathers two FTS global clusters (Food Security, Agriculture): the FTS cluster id is part of the key.
        key_columns=("country_code", "year", "plan_code", "plan_id", "cluster_code", "fts_cluster_id"),
        contract_columns=(
            "country_code", "year", "plan_code", "plan_name", "cluster_code", "cluster_name",
            "requirements_usd", "funding_usd", "percent_funded", "unmet_usd",
        ),
    ),
    PublishedTable(
        "funding_flows",
        grain="one FTS flow",
        key_columns=("flow_id",),
        contract_columns=(
            "flow_id", "date", "year", "donor", "donor_type", "recipient_org", "recipient_type", "country_code",
            "plan_code", "cluster_codes", "amount_usd", "status", "flow_type",
        ),
    ),
    PublishedTable(
        "cluster_activations",
        grain="country × cluster × period",
        key_columns=("country_code", "cluster_code", "activated_on"),
        contract_columns=(
            "country_code", "cluster_code", "cluster_name", "activated_on", "deactivated_on", "is_active",
            "duration_days", "evidence",
        ),
    ),
    PublishedTable(
        "quality_issues",
        grain="one row-level problem found in a source",
        key_columns=(),
        contract_columns=("source", "file", "row", "field", "value", "issue", "severity"),
    ),
)

TABLES_BY_NAME: dict[str, PublishedTable] = {t.name: t for t in PUBLISHED_TABLES}


def mart_asset_keys(dbt_assets) -> dict:
    """Each published table's mart asset key, as the dbt assets define it (never guessed: the translator
    decides, e.g. `marts/coverage`). A published table without its dbt model is a definition error."""
    from dagster_dbt import get_asset_key_for_model

    keys = {}
    for t in PUBLISHED_TABLES:
        try:
            keys[t.name] = get_asset_key_for_model([dbt_assets], t.name)
        except Exception as e:  # noqa: BLE001 - dagster-dbt raises a bare KeyError/Check error
            raise ValueError(f"published table {t.name!r} has no dbt model of that name in dbt_project/models: {e}") from e
    return keys


def mart_dbt_tests(dbt_assets) -> dict:
    """Each published table's dbt tests, as the asset check keys dagster-dbt gives them."""
    marts = mart_asset_keys(dbt_assets)
    return {t: sorted((k for k in dbt_assets.check_keys if k.asset_key == key), key=lambda k: k.name)
            for t, key in marts.items()}


def published_table(name: str) -> PublishedTable:
    try:
        return TABLES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"{name!r} is not a published table; expected one of {sorted(TABLES_BY_NAME)}") from None
