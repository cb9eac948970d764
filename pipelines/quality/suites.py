"""What each published table must satisfy before it is published: one suite per mart, defined in code.

Every suite covers, in this order:
- schema: the contract columns are present, the table is not empty (where it must not be);
- keys: the grain's key columns are not null and unique (compound keys: ExpectCompoundColumnsToBeUnique);
- accepted codes: ISO3 in the configured countries, sector codes from the warehouse's sector vocabulary,
  admin levels 1 or 2, the documented code lists (gap types, flow status, evidence);
- value ranges: no negative people or dollars; row-level consistency computed as a column
  (percent_funded against funding_usd / requirements_usd * 100, durations, shares);
- reconciliation with the sources, pushed down to DuckDB as SQL returning the mismatching rows;
- row count against the previous *published* version, within publish.max_row_count_change.

Suites are built per run from the warehouse and the config, so accepted sets follow the data
(vocabulary tables) and the configuration (countries, thresholds) without code changes.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from pipelines.lib.config import Config
from pipelines.quality.runner import Check, GxCheck, SqlCheck, StaticCheck, Suite
from pipelines.quality.tables import PublishedTable, published_table

# Codes the Global Coordination Groups vocabulary lacks but the marts use (docs/ARCHITECTURE.md, Sectors).
EXTRA_SECTOR_CODES = ("Cash", "Multi", "Intersectoral")
# funding_by_cluster's own codes for FTS rows without a global cluster (see the mart's SQL).
FTS_SPECIAL_CLUSTER_CODES = ("NOT_SPECIFIED", "SHARED")
GAP_TYPES = ("no_presence", "thin_presence", "low_reach")
FLOW_STATUSES = ("paid", "commitment", "pledge")
ACTIVATION_EVIDENCE = ("register", "plan_years")
PERCENT_TOLERANCE = 0.01  # percentage points between percent_funded and funding / requirements * 100
USD_TOLERANCE = 1.0  # dollars, for sums of floating-point amounts

# Where each accepted set of sector codes can come from, best first: (relation, code column).
SECTOR_VOCABULARIES = (
    ("reference.sectors", "sector_code"),
    ("reference.sectors", "code"),
    ("staging.stg_hdx__sectors", "sector_code"),
)


@dataclass(frozen=True)
class SuiteContext:
    """What a suite needs besides the mart: the config, the previous published row count, the warehouse."""

    cfg: Config
    previous_row_count: int | None
    previous_version: str | None = None


# -- helpers ------------------------------------------------------------------------------------------
def relation_exists(con, relation: str) -> bool:
    schema, _, name = relation.partition(".")
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, name]
        ).fetchall()[0][0]
    )


def relation_columns(con, relation: str) -> list[str]:
    schema, _, name = relation.partition(".")
    return [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "order by ordinal_position",
            [schema, name],
        ).fetchall()
    ]


def accepted_sector_codes(con) -> tuple[list[str], str]:
    """The sector codes of the vocabulary in the warehouse, plus the documented extras, and where they came from."""
    for relation, column in SECTOR_VOCABULARIES:
        if relation_exists(con, relation) and column in relation_columns(con, relation):
            codes = [r[0] for r in con.execute(f"select distinct {column} from {relation} where {column} is not null").fetchall()]
            if codes:
                return sorted(set(codes) | set(EXTRA_SECTOR_CODES)), relation
    raise LookupError(
        "no sector vocabulary in the warehouse (looked for "
        + ", ".join(f"{r}.{c}" for r, c in SECTOR_VOCABULARIES)
        + "); cannot check sector codes"
    )


def _gx(name, description, build, *columns, severity: str = "error") -> GxCheck:
    return GxCheck(name=name, description=description, build=build, columns=tuple(columns), severity=severity)


def _sql_list(values) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


def schema_checks(table: PublishedTable, *, may_be_empty: bool = False) -> list[Check]:
    cols = list(table.contract_columns)
    checks: list[Check] = [
        _gx(
            "contract_columns_present",
            f"the table has every contract column ({', '.join(cols)})",
            lambda e: e.ExpectTableColumnsToMatchSet(column_set=cols, exact_match=False),
        )
    ]
    if not may_be_empty:
        checks.append(
            _gx("not_empty", "the table has at least one row", lambda e: e.ExpectTableRowCountToBeBetween(min_value=1))
        )
    return checks


def key_checks(table: PublishedTable, not_null: tuple[str, ...] | None = None) -> list[Check]:
    """Key columns not null (all, or the given subset when a key part may be null), and the key unique."""
    keys = list(table.key_columns)
    checks: list[Check] = []
    for col in not_null if not_null is not None else keys:
        checks.append(
            _gx(f"{col}_not_null", f"{col} (part of the key) is never null",
                lambda e, c=col: e.ExpectColumnValuesToNotBeNull(column=c), col)
        )
    if len(keys) == 1:
        checks.append(
            _gx(f"{keys[0]}_unique", f"{keys[0]} is unique (one row per {table.grain})",
                lambda e: e.ExpectColumnValuesToBeUnique(column=keys[0]), keys[0])
        )
    elif keys:
        checks.append(
            _gx("key_unique", f"({', '.join(keys)}) is unique: one row per {table.grain}",
                lambda e: e.ExpectCompoundColumnsToBeUnique(column_list=keys), *keys)
        )
    return checks


def countries_check(cfg: Config, column: str = "country_code", *, allow_null: bool = False) -> GxCheck:
    countries = list(cfg.countries)
    return _gx(
        f"{column}_in_config",
        f"{column} is one of the configured countries ({', '.join(countries)})" + (" or null" if allow_null else ""),
        lambda e: e.ExpectColumnValuesToBeInSet(column=column, value_set=countries),
        column,
    )


def in_set(column: str, values, what: str) -> GxCheck:
    values = list(values)
    return _gx(f"{column}_accepted", f"{column} is {what}",
               lambda e: e.ExpectColumnValuesToBeInSet(column=column, value_set=values), column)


def not_negative(*columns: str) -> list[GxCheck]:
    return [
        _gx(f"{c}_not_negative", f"{c} is never negative",
            lambda e, c=c: e.ExpectColumnValuesToBeBetween(column=c, min_value=0), c)
        for c in columns
    ]


def at_most(derived: str, limit: float, name: str, description: str, *columns: str) -> GxCheck:
    """A row-level consistency check: a derived column (absolute difference) stays within a tolerance."""
    return _gx(name, description, lambda e: e.ExpectColumnValuesToBeBetween(column=derived, max_value=limit), *columns, derived)


def row_count_check(ctx: SuiteContext) -> Check:
    prev, limit = ctx.previous_row_count, ctx.cfg.publish.max_row_count_change
    name = "row_count_change"
    if prev is None:
        return StaticCheck(name, f"row count within ±{limit:.0%} of the previous published version",
                           success=True, observed="no previous published version")
    if prev == 0:
        return StaticCheck(name, f"row count within ±{limit:.0%} of the previous published version",
                           success=True, observed="previous published version was empty")
    low, high = math.ceil(prev * (1 - limit)), math.floor(prev * (1 + limit))
    return _gx(
        name,
        f"row count within ±{limit:.0%} of the previous published version"
        f" ({ctx.previous_version or 'previous'}: {prev:,} rows, so {low:,} to {high:,})",
        lambda e: e.ExpectTableRowCountToBeBetween(min_value=low, max_value=high),
    )


# -- the suites --------------------------------------------------------------------------------------
def coverage_suite(con, ctx: SuiteContext) -> Suite:
    t = published_table("coverage")
    sectors, sector_source = accepted_sector_codes(con)
    suite = Suite(t.name, t.relation, t.key_columns)
    suite.derived_columns = {
        "_check_pin_per_partner_delta": "abs(t.pin_per_partner - t.people_in_need / nullif(t.partner_count, 0))",
    }
    suite.checks = [
        *schema_checks(t),
        *key_checks(t, not_null=("country_code", "admin1_code", "sector_code")),
        _gx("admin2_code_at_admin_level_2", "admin2_code is filled on every admin level 2 row",
            lambda e: e.ExpectColumnValuesToNotBeNull(column="admin2_code", row_condition="admin_level==2",
                                                      condition_parser="pandas"), "admin_level", "admin2_code"),
        _gx("admin2_code_empty_at_admin_level_1", "admin2_code is empty on admin level 1 rows",
            lambda e: e.ExpectColumnValuesToBeNull(column="admin2_code", row_condition="admin_level==1",
                                                   condition_parser="pandas"), "admin_level", "admin2_code"),
        countries_check(ctx.cfg),
        in_set("admin_level", [1, 2], "1 or 2"),
        in_set("sector_code", sectors, f"a sector code of {sector_source} (or {', '.join(EXTRA_SECTOR_CODES)})"),
        *not_negative("people_in_need", "people_targeted", "people_reached", "partner_count", "pin_per_partner",
                      "reached_share"),
        at_most("_check_pin_per_partner_delta", 1.0, "pin_per_partner_consistent",
                "pin_per_partner = people_in_need / partner_count (within 1 person)",
                "people_in_need", "partner_count", "pin_per_partner"),
        *coverage_reconciliation(con),
        row_count_check(ctx),
    ]
    return suite


def coverage_reconciliation(con) -> list[Check]:
    """PIN in coverage equals the needs source's PIN for the matched units, and no need is left out.

    The source is the one coverage chose per country (intermediate.int_coverage__sources) at the level it
    chose: admin2 rows as they are; admin1 from the source's own admin1 total, else the sum of its admin2 rows.
    """
    needed = ("intermediate.int_coverage__sources", "intermediate.int_needs")
    missing = [r for r in needed if not relation_exists(con, r)]
    name, description = "people_in_need_reconciles_with_needs", (
        "people_in_need of every unit and sector equals the needs source coverage uses (intermediate.int_needs)"
    )
    if missing:
        return [StaticCheck(name, description, success=False, observed=f"missing from the warehouse: {', '.join(missing)}")]
    return [
        SqlCheck(
            name,
            description,
            """
            with choice as (
                select country_code, need_source_key, admin_level
                from intermediate.int_coverage__sources where need_source_key is not null
            ), needs as (
                select n.*, c.admin_level as coverage_level
                from intermediate.int_needs n
                join choice c on c.country_code = n.country_code and n.source_key = c.need_source_key
            ), expected as (
                select country_code, admin1_pcode as admin1_code, admin2_pcode as admin2_code, sector_code,
                       people_in_need as source_pin
                from needs where coverage_level = 2 and admin_level = 2
                union all
                select country_code, admin1_pcode, null, sector_code,
                       coalesce(max(people_in_need) filter (where admin_level = 1),
                                sum(people_in_need) filter (where admin_level = 2))
                from needs where coverage_level = 1 and admin_level in (1, 2)
                group by country_code, admin1_pcode, sector_code
            ), cov as (
                select country_code, admin1_code, admin2_code, sector_code, people_in_need
                from marts.coverage where people_in_need is not null
            )
            select coalesce(c.country_code, e.country_code) as country_code,
                   coalesce(c.admin1_code, e.admin1_code) as admin1_code,
                   coalesce(c.admin2_code, e.admin2_code) as admin2_code,
                   coalesce(c.sector_code, e.sector_code) as sector_code,
                   c.people_in_need as coverage_people_in_need, e.source_pin as source_people_in_need
            from cov c
            full outer join expected e
              on e.country_code = c.country_code and e.sector_code = c.sector_code
             and e.admin1_code is not distinct from c.admin1_code
             and e.admin2_code is not distinct from c.admin2_code
            where c.people_in_need is distinct from e.source_pin
            order by 1, 2, 3, 4
            """,
        )
    ]


def gaps_suite(con, ctx: SuiteContext) -> Suite:
    t = published_table("gaps")
    sectors, sector_source = accepted_sector_codes(con)
    share = ctx.cfg.gaps.low_reach_share
    suite = Suite(t.name, t.relation, t.key_columns)
    factor = ctx.cfg.gaps.thin_presence_factor
    suite.derived_columns = {
        "_check_no_presence_partners": "case when t.gap_type = 'no_presence' then t.partner_count end",
        "_check_low_reach_share": "case when t.gap_type = 'low_reach' then t.reached_share end",
        "_check_thin_presence_excess": (
            f"case when t.gap_type = 'thin_presence' then t.pin_per_partner - {factor} * t.median_pin_per_partner end"
            if "median_pin_per_partner" in relation_columns(con, t.relation) else "null"
        ),
    }
    suite.checks = [
        *schema_checks(t, may_be_empty=True),
        *key_checks(t, not_null=("country_code", "admin1_code", "gap_type")),
        countries_check(ctx.cfg),
        in_set("admin_level", [1, 2], "1 or 2"),
        in_set("gap_type", GAP_TYPES, "one of " + ", ".join(GAP_TYPES)),
        in_set("sector_code", sectors, f"a sector code of {sector_source} (or {', '.join(EXTRA_SECTOR_CODES)})"),
        _gx("severity_not_null", "every gap has a severity", lambda e: e.ExpectColumnValuesToNotBeNull(column="severity"),
            "severity"),
        _gx("rank_in_country_positive", "rank_in_country is 1 or more",
            lambda e: e.ExpectColumnValuesToBeBetween(column="rank_in_country", min_value=1), "rank_in_country"),
        *not_negative("people_in_need", "partner_count"),
        _gx("no_presence_has_no_partner", "a no_presence gap has no partner",
            lambda e: e.ExpectColumnValuesToBeBetween(column="_check_no_presence_partners", max_value=0),
            "partner_count"),
        _gx("low_reach_below_threshold", f"a low_reach gap reaches under {share:.0%} of the people in need",
            lambda e: e.ExpectColumnValuesToBeBetween(column="_check_low_reach_share", max_value=share, strict_max=True),
            "people_in_need", "people_reached", "reached_share"),
        _gx("thin_presence_above_threshold",
            f"a thin_presence gap has more than {factor:g} × the country-sector median people in need per partner",
            lambda e: e.ExpectColumnValuesToBeBetween(column="_check_thin_presence_excess", min_value=0, strict_min=True),
            "people_in_need", "partner_count", "pin_per_partner"),
        _gx("people_in_need_above_minimum",
            f"gaps are only reported where at least {ctx.cfg.gaps.min_people_in_need:,} people are in need",
            lambda e: e.ExpectColumnValuesToBeBetween(column="people_in_need", min_value=ctx.cfg.gaps.min_people_in_need),
            "people_in_need"),
        row_count_check(ctx),
    ]
    return suite


def funding_by_cluster_suite(con, ctx: SuiteContext) -> Suite:
    t = published_table("funding_by_cluster")
    sectors, sector_source = accepted_sector_codes(con)
    clusters = sorted(set(sectors) | set(FTS_SPECIAL_CLUSTER_CODES))
    last_year = (ctx.cfg.as_of or dt.date.today()).year + 2
    suite = Suite(t.name, t.relation, t.key_columns)
    suite.derived_columns = {
        "_check_percent_funded_delta": "abs(t.percent_funded - t.funding_usd / nullif(t.requirements_usd, 0) * 100)",
        "_check_unmet_delta": "abs(t.unmet_usd - greatest(t.requirements_usd - coalesce(t.funding_usd, 0), 0))",
        # FTS clusters without a sector code keep their FTS id as FTS-<id> (see int_fts_requirements_globalcluster)
        "_check_cluster_code": "case when regexp_full_match(t.cluster_code, 'FTS-[0-9]+') then 'FTS-<id>' else t.cluster_code end",
        "_check_funding_with_requirement": "case when t.requirements_usd is not null then t.funding_usd end",
    }
    suite.checks = [
        *schema_checks(t),
        *key_checks(t, not_null=("country_code", "year")),
        countries_check(ctx.cfg),
        _gx("year_plausible", f"year is between 1990 and {last_year}",
            lambda e: e.ExpectColumnValuesToBeBetween(column="year", min_value=1990, max_value=last_year), "year"),
        _gx("cluster_code_accepted",
            f"cluster_code is a sector code of {sector_source}, {', '.join(FTS_SPECIAL_CLUSTER_CODES)}, or FTS-<id>",
            lambda e: e.ExpectColumnValuesToBeInSet(column="_check_cluster_code", value_set=[*clusters, "FTS-<id>"]),
            "cluster_code"),
        _gx("cluster_name_not_null", "every row names its FTS cluster",
            lambda e: e.ExpectColumnValuesToNotBeNull(column="cluster_name"), "cluster_name"),
        *not_negative("requirements_usd", "unmet_usd", "percent_funded"),
        _gx("funding_usd_not_negative_with_requirement", "funding_usd is never negative where there is a requirement",
            lambda e: e.ExpectColumnValuesToBeBetween(column="_check_funding_with_requirement", min_value=0),
            "requirements_usd", "funding_usd"),
        _gx("funding_usd_not_negative", "funding_usd is not negative (FTS reports refunds and corrections as "
            "negative funding without a requirement: reported, not blocking)",
            lambda e: e.ExpectColumnValuesToBeBetween(column="funding_usd", min_value=0), "requirements_usd",
            "funding_usd", severity="warning"),
        at_most("_check_percent_funded_delta", PERCENT_TOLERANCE, "percent_funded_consistent",
                f"percent_funded = funding_usd / requirements_usd * 100 (within {PERCENT_TOLERANCE} points)",
                "requirements_usd", "funding_usd", "percent_funded"),
        at_most("_check_unmet_delta", USD_TOLERANCE, "unmet_usd_consistent",
                "unmet_usd = max(requirements_usd - funding_usd, 0) (within $1)",
                "requirements_usd", "funding_usd", "unmet_usd"),
        *funding_reconciliation(con, ctx),
        row_count_check(ctx),
    ]
    return suite


def funding_reconciliation(con, ctx: SuiteContext) -> list[Check]:
    """Per country and year, requirements and funding equal the FTS global-cluster file's totals."""
    source = "staging.stg_fts__requirements_globalcluster"
    if not relation_exists(con, source):
        return [StaticCheck("totals_reconcile_with_fts", "country-year totals equal FTS", success=False,
                            observed=f"{source} is missing from the warehouse")]
    countries = _sql_list(ctx.cfg.countries)
    return [
        SqlCheck(
            "totals_reconcile_with_fts",
            f"per country and year, total requirements and funding equal FTS ({source}, within ${USD_TOLERANCE:,.0f})",
            f"""
            with mart as (
                select country_code, year, sum(requirements_usd) as requirements_usd, sum(funding_usd) as funding_usd
                from marts.funding_by_cluster group by all
            ), fts as (
                select country_code, year, sum(requirements_usd) as requirements_usd, sum(funding_usd) as funding_usd
                from {source} where country_code in ({countries}) group by all
            )
            select coalesce(m.country_code, f.country_code) as country_code, coalesce(m.year, f.year) as year,
                   m.requirements_usd as mart_requirements_usd, f.requirements_usd as fts_requirements_usd,
                   m.funding_usd as mart_funding_usd, f.funding_usd as fts_funding_usd
            from mart m full outer join fts f on m.country_code = f.country_code and m.year = f.year
            where abs(coalesce(m.requirements_usd, 0) - coalesce(f.requirements_usd, 0)) > {USD_TOLERANCE}
               or abs(coalesce(m.funding_usd, 0) - coalesce(f.funding_usd, 0)) > {USD_TOLERANCE}
               or (m.country_code is null) or (f.country_code is null)
            order by 1, 2
            """,
        )
    ]


def funding_flows_suite(con, ctx: SuiteContext) -> Suite:
    t = published_table("funding_flows")
    suite = Suite(t.name, t.relation, t.key_columns)
    suite.checks = [
        *schema_checks(t),
        *key_checks(t),
        countries_check(ctx.cfg),
        in_set("status", FLOW_STATUSES, "one of " + ", ".join(FLOW_STATUSES)),
        _gx("amount_usd_not_null", "every flow has an amount in USD",
            lambda e: e.ExpectColumnValuesToNotBeNull(column="amount_usd"), "amount_usd"),
        *not_negative("amount_usd"),
        *flows_reconciliation(con, ctx),
        row_count_check(ctx),
    ]
    return suite


def flows_reconciliation(con, ctx: SuiteContext) -> list[Check]:
    """Every FTS flow to a configured country is in the mart exactly once, and nothing else is."""
    source = "staging.stg_fts__flows"
    name, description = "flows_reconcile_with_fts", (
        f"every FTS flow id with a destination in the configured countries ({source}) is one row, and no other flow is"
    )
    if not relation_exists(con, source):
        return [StaticCheck(name, description, success=False, observed=f"{source} is missing from the warehouse")]
    countries = _sql_list(ctx.cfg.countries)
    return [
        SqlCheck(
            name,
            description,
            f"""
            with fts as (
                select distinct flow_id from {source}
                where flow_id is not null
                  and list_has_any(list_transform(string_split(coalesce(dest_locations, ''), ','), lambda x: trim(x)),
                                   [{countries}])
            ), mart as (
                select flow_id, count(*) as rows_in_mart from marts.funding_flows group by flow_id
            )
            select coalesce(f.flow_id, m.flow_id) as flow_id, f.flow_id is not null as in_fts,
                   coalesce(m.rows_in_mart, 0) as rows_in_mart
            from fts f full outer join mart m on m.flow_id = f.flow_id
            where f.flow_id is null or m.flow_id is null or m.rows_in_mart <> 1
            order by 1
            """,
        )
    ]


def cluster_activations_suite(con, ctx: SuiteContext) -> Suite:
    t = published_table("cluster_activations")
    sectors, sector_source = accepted_sector_codes(con)
    as_of = (ctx.cfg.as_of or dt.date.today()).isoformat()
    suite = Suite(t.name, t.relation, t.key_columns)
    suite.derived_columns = {
        "_check_period_days": "datediff('day', t.activated_on, t.deactivated_on)",
        "_check_duration_delta": f"abs(t.duration_days - 1 - datediff('day', t.activated_on, "
        f"least(coalesce(t.deactivated_on, date '{as_of}'), date '{as_of}')))",
        "_check_is_active_delta": f"case when (t.deactivated_on is null or t.deactivated_on > date '{as_of}') "
        "= t.is_active then 0 else 1 end",
    }
    suite.checks = [
        *schema_checks(t),
        *key_checks(t),
        countries_check(ctx.cfg),
        in_set("cluster_code", sectors, f"a sector code of {sector_source}"),
        in_set("evidence", ACTIVATION_EVIDENCE, "one of " + ", ".join(ACTIVATION_EVIDENCE)),
        _gx("is_active_not_null", "is_active is true or false",
            lambda e: e.ExpectColumnValuesToNotBeNull(column="is_active"), "is_active"),
        at_most("_check_is_active_delta", 0, "is_active_consistent",
                f"is_active is true exactly when the period is open on the as-of date {as_of}",
                "deactivated_on", "is_active"),
        _gx("period_ordered", "deactivated_on is not before activated_on",
            lambda e: e.ExpectColumnValuesToBeBetween(column="_check_period_days", min_value=0),
            "activated_on", "deactivated_on"),
        *not_negative("duration_days"),
        at_most("_check_duration_delta", 1, "duration_days_consistent",
                f"duration_days = days from activated_on to deactivated_on, or to the as-of date {as_of} while open, "
                "counting both ends",
                "activated_on", "deactivated_on", "duration_days"),
        row_count_check(ctx),
    ]
    return suite


def quality_issues_suite(con, ctx: SuiteContext) -> Suite:
    t = published_table("quality_issues")
    suite = Suite(t.name, t.relation, t.key_columns)
    suite.checks = [
        *schema_checks(t, may_be_empty=True),
        *[
            _gx(f"{c}_not_null", f"every issue names its {c}", lambda e, c=c: e.ExpectColumnValuesToNotBeNull(column=c), c)
            for c in ("source", "issue", "severity")
        ],
        row_count_check(ctx),
    ]
    return suite


SUITES = {
    "coverage": coverage_suite,
    "gaps": gaps_suite,
    "funding_by_cluster": funding_by_cluster_suite,
    "funding_flows": funding_flows_suite,
    "cluster_activations": cluster_activations_suite,
    "quality_issues": quality_issues_suite,
}


def build_suite(con, table: str, ctx: SuiteContext) -> Suite:
    suite = SUITES[table](con, ctx)
    names = [c.name for c in suite.checks]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"suite {suite.name}: duplicate expectation names {dupes}")
    return suite
