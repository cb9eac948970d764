"""What great-expectations checks on a published mart: only what dbt cannot, the comparison with the
previously published version.

- row_count_change: the row count stays within ±publish.max_row_count_change of the previous published
  version (blocking);
- <column>_null_share: a contract column's share of empty values rises by at most
  publish.max_null_share_increase against the previous published version (a warning: reported, not blocking).

Everything about the mart itself lives in dbt, in the mart's YAML (contract, grain, not_null, accepted values,
ranges and row-level rules) and in dbt_project/tests/singular/ (reconciliations with the sources). The column
lists come from the dbt manifest (tables.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from pipelines.lib.config import Config
from pipelines.lib.sql import quote_ident, quote_literal
from pipelines.quality.runner import Check, GxCheck, StaticCheck, Suite
from pipelines.quality.tables import PublishedTable, published_table


@dataclass(frozen=True)
class SuiteContext:
    """What a suite needs besides the mart: the config and the previous published version."""

    cfg: Config
    previous_row_count: int | None
    previous_version: str | None = None
    previous_parquet: Path | None = None  # default: published/<table>.parquet, the version now served


# -- helpers (publish uses these too) -----------------------------------------------------------------------
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


# -- the checks -----------------------------------------------------------------------------------------------
def row_count_check(ctx: SuiteContext) -> Check:
    prev, limit = ctx.previous_row_count, ctx.cfg.publish.max_row_count_change
    name, description = "row_count_change", f"row count within ±{limit:.0%} of the previous published version"
    if prev is None:
        return StaticCheck(name, description, success=True, observed="no previous published version")
    if prev == 0:
        return StaticCheck(name, description, success=True, observed="previous published version was empty")
    low, high = math.ceil(prev * (1 - limit)), math.floor(prev * (1 + limit))
    return GxCheck(
        name=name,
        description=f"{description} ({ctx.previous_version or 'previous'}: {prev:,} rows, so {low:,} to {high:,})",
        build=lambda e: e.ExpectTableRowCountToBeBetween(min_value=low, max_value=high),
    )


def previous_null_shares(con, parquet: Path, columns: list[str]) -> dict[str, float]:
    """Share of empty values of each column in a published parquet file (columns it lacks are left out)."""
    src = f"read_parquet({quote_literal(parquet)})"
    present = {r[0] for r in con.execute(f"describe select * from {src}").fetchall()}
    cols = [c for c in columns if c in present]
    if not cols:
        return {}
    row = con.execute(f"select count(*), {', '.join(f'count({quote_ident(c)})' for c in cols)} from {src}").fetchall()[0]
    total = row[0]
    return {c: 1 - n / total for c, n in zip(cols, row[1:])} if total else {}


def null_share_checks(con, table: PublishedTable, ctx: SuiteContext) -> list[Check]:
    """Warnings when a contract column has markedly more empty values than in the version now served."""
    parquet = ctx.previous_parquet
    if ctx.previous_row_count is None or parquet is None or not Path(parquet).exists():
        return []
    limit = ctx.cfg.publish.max_null_share_increase
    columns = [c for c in table.contract_columns if c in relation_columns(con, table.relation)]
    checks: list[Check] = []
    for column, share in previous_null_shares(con, Path(parquet), columns).items():
        floor = 1 - share - limit  # the lowest share of filled values still accepted
        if floor <= 0:
            continue  # nothing to compare: the column could be empty everywhere within the limit
        checks.append(
            GxCheck(
                name=f"{column}_null_share",
                description=f"{column} is empty in at most {share + limit:.0%} of the rows (previous published "
                f"version: {share:.0%}, allowed rise {limit:.0%})",
                build=lambda e, c=column, f=floor: e.ExpectColumnValuesToNotBeNull(column=c, mostly=round(f, 6)),
                columns=(column,),
                severity="warning",
            )
        )
    return checks


def build_suite(con, table: str, ctx: SuiteContext) -> Suite:
    """The suite of one published table (the same for every mart: its columns come from the manifest)."""
    from pipelines.lib.paths import published_dir

    t = published_table(table)
    if ctx.previous_parquet is None:
        ctx = SuiteContext(ctx.cfg, ctx.previous_row_count, ctx.previous_version, published_dir() / f"{t.name}.parquet")
    if not relation_exists(con, t.relation):
        raise LookupError(f"{t.relation} is not in the warehouse: build the {t.name} mart first")
    suite = Suite(t.name, t.relation, t.key_columns)
    previous = previous_columns(con, ctx.previous_parquet) if ctx.previous_row_count is not None else []
    if previous and set(previous) != set(relation_columns(con, t.relation)):
        # A new layout (e.g. quality_issues now counts the rows that share one problem): row counts of two
        # grains say nothing about each other. The first version in the new layout sets the next comparison.
        suite.checks = [StaticCheck("row_count_change", "row count compared with the previous published version",
                                    success=True, observed="the previous published version has other columns (a "
                                    "new layout): row counts not compared"), *null_share_checks(con, t, ctx)]
        return suite
    suite.checks = [row_count_check(ctx), *null_share_checks(con, t, ctx)]
    return suite


def previous_columns(con, parquet: Path | None) -> list[str]:
    if parquet is None or not Path(parquet).exists():
        return []
    return [r[0] for r in con.execute(f"describe select * from read_parquet({quote_literal(parquet)})").fetchall()]
