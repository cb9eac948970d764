"""The raw layer's contract: each raw table and the columns dbt's staging models rely on.

Column names are the source headers in snake_case (see text.snake_case). Only the contract's columns (plus
the config's constants, the reference period and the lineage) reach the warehouse: a column a file brings
beyond them (a contact person, an e-mail address) is never loaded, whatever the source. A file that lacks a
contract column is refused with an error naming it.
Every contract table exists even before its first load, so dbt builds on any config. The loader adds
reference_period_start/end and reference_year from the config where a resource sets them.
"""
from __future__ import annotations

import hashlib
import re

from pipelines.lib.config import PRESENCE_FIELDS

# The loader fills these from the config's reference_period and year (needs files carry no period).
REFERENCE_COLUMNS = ("reference_period_start", "reference_period_end", "reference_year")

RAW_TABLES: dict[str, tuple[str, ...]] = {
    # 3W/4W after the config's column mapping.
    # row_hash: a hash of every cell of the source row (mapped or not), so exact duplicates can be told apart.
    "presence": ("country_code", *PRESENCE_FIELDS, "reference_period_start", "reference_period_end", "row_hash"),
    # HDX "Global HPC HNO" format.
    "hno_hpc": (
        "country_iso3", "admin_1_pcode", "admin_1_name", "admin_2_pcode", "admin_2_name", "description",
        "cluster", "category", "population", "in_need", "targeted", "affected", "reached", "info", *REFERENCE_COLUMNS,
    ),
    # JIAF global workbook, sheet PiN (wide: one column per cluster).
    "jiaf_pin": (
        "admin_0", "iso3", "admin_1", "admin_1_p_code", "admin_2", "admin_2_p_code", "admin_3", "admin_3_p_code",
        "population", "population_group", "cccm", "education", "nutrition", "food_security", "health",
        "protection", "shelter", "nfi", "wash", "early_recovery", "general_protection", "child_protection",
        "gbv", "mine_action", "hlp", "refugee", "final_pin", *REFERENCE_COLUMNS,
    ),
    # JIAF global workbook, sheet Severity (wide: severity phase 1-5 per cluster, then Final Severity).
    "jiaf_severity": (
        "admin_0", "iso3", "admin_1", "admin_1_p_code", "admin_2", "admin_2_p_code", "admin_3", "admin_3_p_code",
        "cccm", "education", "nutrition", "food_security", "health", "protection", "shelter", "nfi", "wash",
        "early_recovery", "child_protection", "gbv", "mine_action", "hlp", "general_protection", "final_severity",
        *REFERENCE_COLUMNS,
    ),
    # Horn of Africa drought caseloads by cluster (group header prefixes the per-cluster columns).
    "drought_needs": (
        "location_admin3_pcode", "location_woreda", "location_zone", "location_admin2_pcode", "location_region",
        "location_admin1_pcode", "overall_figures_total_affected", "overall_figures_target",
        "overall_figures_reached", *REFERENCE_COLUMNS,
    ),
    # OCHA FTS requirements and funding.
    "fts_globalcluster": (
        "country_code", "id", "name", "code", "start_date", "end_date", "year", "cluster_code", "cluster",
        "requirements", "funding", "percent_funded",
    ),
    "fts_cluster": (
        "country_code", "id", "name", "code", "start_date", "end_date", "year", "cluster_code", "cluster",
        "requirements", "funding", "percent_funded",
    ),
    "fts_plan": (
        "country_code", "id", "name", "code", "type_id", "type_name", "start_date", "end_date", "year",
        "requirements", "funding", "percent_funded",
    ),
    # FTS API funding per plan by organisation, long form (readers/fts_json.py); the config adds plan_id and
    # country_code as constants.
    "fts_plan_organisations": (
        "section", "direction", "organization_id", "organization_name", "object_type", "revised_requirements",
        "orig_requirements", "total_funding", "plan_id", "country_code",
    ),
    "fts_flows": (
        "date", "budget_year", "description", "amount_usd", "src_organization", "src_organization_types",
        "src_locations", "dest_plan", "dest_plan_code", "dest_plan_id", "dest_organization",
        "dest_organization_types", "dest_global_clusters", "dest_locations", "contribution_type", "flow_type",
        "method", "boundary", "on_boundary", "status", "original_amount", "original_currency", "exchange_rate",
        "id", "ref_code", "created_at", "updated_at", "dest_usage_year_start", "dest_usage_year_end",
    ),
    # COD-AB p-codes.
    "pcodes": ("location", "admin_level", "p_code", "name", "parent_p_code", "valid_from_date"),
    "pcode_lengths": (
        "location", "country_length", "admin_1_length", "admin_2_length", "admin_3_length", "admin_4_length",
        "admin_5_length",
    ),
    # COD-PS, standardised long format.
    "population": (
        "iso3", "country", "adm1_pcode", "adm1_name", "adm2_pcode", "adm2_name", "population_group", "gender",
        "age_range", "age_min", "age_max", "population", "reference_year",
    ),
    # COD-PS as published per country: columns vary; the config adds country_code and admin_level.
    "population_wide": ("country_code", "admin_level"),
    # Vocabularies.
    "sectors": ("preferred_term", "acronym"),
    "org_types": ("hr_info_id", "preferred_term"),
    "hpc_plans": ("code", "internal_id", "start_date", "end_date", "plan_version", "categories", "locations", "years"),
}


# Wide tables whose per-cluster or per-age columns vary by file: column names matching these are part of the
# contract too (the staging models pass them through by the same shapes).
WIDE_COLUMNS: dict[str, str] = {
    # stg_drought__needs: <cluster>_affected|_target|_reached, the priority and any country column.
    "drought_needs": r"[a-z0-9_]+_(affected|target|reached)|operational_priority_priority|country_code|iso3|country_iso3",
    # stg_cod__population_wide: admin names and codes, and sex x age figures (f_00_04, t_tl, enfants_00_18).
    "population_wide": r"adm(in)?[0-9][a-z0-9_]*|[fmt]_[a-z0-9_]+|[a-z]+_[0-9]{2}(_[0-9]{2}|plus)",
}


def is_mapped(table: str, column: str) -> bool:
    """Whether a raw column (snake_case) is part of the table's contract, so may reach the warehouse."""
    if column in RAW_TABLES.get(table, ()) or column in REFERENCE_COLUMNS:
        return True
    wide = WIDE_COLUMNS.get(table)
    return bool(wide and re.fullmatch(wide, column))


def contract_fingerprint(table: str) -> str:
    """A short hash of the table's contract: part of each load's fingerprint, so a contract change reloads."""
    text = repr((RAW_TABLES.get(table), REFERENCE_COLUMNS, WIDE_COLUMNS.get(table)))
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def missing_columns(table: str, columns: list[str]) -> list[str]:
    have = set(columns)
    return [c for c in RAW_TABLES.get(table, ()) if c not in have]
