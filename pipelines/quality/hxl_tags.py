"""The HXL hashtag of every published column: row 2 of each published CSV (https://hxlstandard.org).

This is the one place tags are defined. A column's tag is looked up per table first, then in the
columns shared by several marts. A mart column with no tag here gets `#meta+<column>` and a warning
in the publish log, so a new column never blocks a publication; add it here to give it a proper tag.
Tags follow the HDX conventions (the FTS and HNO files on HDX use the same ones).
"""
from __future__ import annotations

import re

# Columns that mean the same thing in every mart.
COMMON: dict[str, str] = {
    "country_code": "#country+code",
    "admin_level": "#adm+level",
    "admin1_code": "#adm1+code",
    "admin1_name": "#adm1+name",
    "admin2_code": "#adm2+code",
    "admin2_name": "#adm2+name",
    "sector_code": "#sector+code",
    "sector_name": "#sector+name",
    "people_in_need": "#inneed",
    "people_targeted": "#targeted",
    "people_reached": "#reached",
    "partner_count": "#org+partners+num",
    "year": "#date+year",
    "plan_code": "#activity+appeal+id+external",
    "plan_name": "#activity+appeal+name",
    "cluster_code": "#sector+cluster+code",
    "cluster_name": "#sector+cluster+name",
    "reference_period_start": "#date+start+reference",
    "reference_period_end": "#date+end+reference",
    "source_dataset_ids": "#meta+source+dataset+list",
    "source_datasets": "#meta+source+dataset+list",
    "dataset_ids": "#meta+source+dataset+list",
    "resource_ids": "#meta+source+resource+list",
    "source_resource_ids": "#meta+source+resource+list",
}

PER_TABLE: dict[str, dict[str, str]] = {
    "coverage": {
        "partners": "#org+partners+name+list",
        "pin_per_partner": "#indicator+inneed_per_partner+num",
        "reached_share": "#indicator+reached+share",
    },
    "gaps": {
        "gap_type": "#indicator+gap+type",
        "severity": "#severity",
        "rank_in_country": "#indicator+gap+rank",
        "partners": "#org+partners+name+list",
        "pin_per_partner": "#indicator+inneed_per_partner+num",
        "reached_share": "#indicator+reached+share",
    },
    "funding_by_cluster": {
        "requirements_usd": "#value+funding+required+usd",
        "funding_usd": "#value+funding+total+usd",
        "percent_funded": "#value+funding+pct",
        "unmet_usd": "#value+funding+gap+usd",
        "plan_id": "#activity+appeal+id+fts_internal",
    },
    "funding_flows": {
        "flow_id": "#activity+id+fts_internal",
        "date": "#date",
        "year": "#date+year",
        "donor": "#org+name+funder",
        "donor_type": "#org+type+funder",
        "recipient_org": "#org+name+impl",
        "recipient_type": "#org+type+impl",
        "country_code": "#country+code+impl",
        "cluster_codes": "#sector+cluster+code+list",
        "amount_usd": "#value+funding+total+usd",
        "status": "#status+text",
        "flow_type": "#financial+contribution+type",
    },
    "cluster_activations": {
        "activated_on": "#date+start",
        "deactivated_on": "#date+end",
        "is_active": "#status+active",
        "duration_days": "#indicator+duration+days",
        "evidence": "#meta+evidence",
    },
    "quality_issues": {
        "source": "#meta+source",
        "file": "#meta+file",
        "row": "#meta+row",
        "field": "#meta+field",
        "value": "#meta+value",
        "issue": "#meta+issue",
        "severity": "#severity",
    },
}

_ATTR_OK = re.compile(r"[^a-z0-9_]+")


def explicit_tag(table: str, column: str) -> str | None:
    """The tag defined for this column, or None when there is none."""
    return PER_TABLE.get(table, {}).get(column) or COMMON.get(column)


def hxl_tag(table: str, column: str) -> str:
    """The column's tag; columns not defined here get `#meta+<column>` (see module docstring)."""
    tag = explicit_tag(table, column)
    if tag:
        return tag
    attr = _ATTR_OK.sub("_", column.lower()).strip("_") or "column"
    if not attr[0].isalpha():
        attr = "c_" + attr
    return f"#meta+{attr}"


def hxl_row(table: str, columns: list[str]) -> list[str]:
    return [hxl_tag(table, c) for c in columns]


def untagged_columns(table: str, columns: list[str]) -> list[str]:
    return [c for c in columns if explicit_tag(table, c) is None]
