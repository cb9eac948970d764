"""The model-level column_rules test of dbt_project/tests/generic (one query per model instead of one per rule).

Its SQL is rendered from the test file with Jinja, as dbt renders it, and run in DuckDB on small tables, so
each rule is checked for what it lets through and what it reports. A scan of the YAML keeps the per-column
forms of these rules from coming back (each would be one more dbt node in every refresh).
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import jinja2
import pytest
import yaml

from pipelines.lib.paths import DBT_PROJECT_DIR, REFERENCE_DIR

GENERIC = DBT_PROJECT_DIR / "tests" / "generic"
# A per-column test without settings of its own -> the column_rules rule it belongs to.
FOLDED = {"not_null": "not_null", "accepted_values": "accepted_values", "not_negative": "not_negative",
          "unique": "unique", "country_in_scope": "country_in_scope"}


class _Adapter:
    @staticmethod
    def quote(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'


def render(test: str, countries=(), **arguments) -> str:
    """The test's SQL for a table `t`, as dbt would compile it (`{% test %}` is dbt's name for a macro), with
    var('countries') = `countries` as macros/countries.sql reads it."""
    text = (GENERIC / f"{test}.sql").read_text(encoding="utf-8")
    text = text.replace("{% test ", "{% macro test_").replace("{% endtest %}", "{% endmacro %}")

    def in_configured_countries(column: str) -> str:
        return f"{column} in ({', '.join(repr(c) for c in countries)})" if countries else "true"

    module = jinja2.Environment().from_string(text).make_module(
        {"adapter": _Adapter(), "in_configured_countries": in_configured_countries})
    return str(getattr(module, f"test_{test}")(model="t", **arguments))


@pytest.fixture()
def con():
    c = duckdb.connect()
    c.execute("""create table t as select * from (values
        (1, 'a',   0,  10.5, 'x', 'SOM'),
        (2, 'b',   1,  -1.0, 'y', 'TCD'),
        (3, null,  2,  null, 'y', null),
        (4, 'it''s', 9, -3.0, null, 'FRA')
    ) v(id, code, level, amount, tag, country_code)""")
    yield c
    c.close()


def failing(con, sql: str) -> list[tuple]:
    return sorted(con.execute(sql).fetchall(), key=str)


def test_accepted_values_reports_each_column_and_value_with_its_count(con):
    sql = render("column_rules", accepted_values={"code": ["a", "b"], "level": [0, 1, 2], "tag": ["x"]})
    assert failing(con, sql) == [("accepted_values", "code", "it's", 1), ("accepted_values", "level", "9", 1),
                                 ("accepted_values", "tag", "y", 2)]  # nulls pass


def test_accepted_values_passes_when_every_value_is_listed(con):
    sql = render("column_rules", accepted_values={"code": ["a", "b", "it's"], "level": [0, 1, 2, 9]})
    assert failing(con, sql) == []


def test_not_negative_reports_each_column_with_its_lowest_value(con):
    sql = render("column_rules", not_negative=["amount", "level"])
    assert failing(con, sql) == [("not_negative", "amount", "-3.0", 2)]  # a null amount passes


def test_unique_reports_repeated_values_per_column_and_expression(con):
    sql = render("column_rules", unique=["id", "tag", "coalesce(code, '*') || '|' || tag"])
    assert failing(con, sql) == [("unique", "tag", "y", 2)]  # nulls pass, as in dbt's unique


def test_not_null_reports_each_column_with_its_null_rows(con):
    sql = render("column_rules", not_null=["id", "code", "amount", "tag"])
    assert failing(con, sql) == [("not_null", "amount", None, 1), ("not_null", "code", None, 1),
                                 ("not_null", "tag", None, 1)]


def test_country_in_scope_reports_each_country_outside_the_configuration(con):
    sql = render("column_rules", countries=["SOM", "TCD"], country_in_scope=["country_code"])
    assert failing(con, sql) == [("country_in_scope", "country_code", "FRA", 1)]  # a null country passes
    assert failing(con, render("column_rules", country_in_scope=["country_code"])) == []  # none set: every one


def test_every_rule_at_once_and_none(con):
    sql = render("column_rules", not_null=["code"], accepted_values={"level": [0, 1, 2]}, unique=["tag"],
                 not_negative=["amount"], countries=["SOM"], country_in_scope=["country_code"])
    assert [r[0] for r in failing(con, sql)] == ["accepted_values", "country_in_scope", "country_in_scope",
                                                 "not_negative", "not_null", "unique"]
    assert failing(con, render("column_rules")) == []


def _yaml_files() -> list[Path]:
    return sorted([*DBT_PROJECT_DIR.glob("models/**/*.yml"), *DBT_PROJECT_DIR.glob("seeds/*.yml"),
                   *REFERENCE_DIR.glob("*.yml")])


def test_column_rules_stay_folded_in_every_yaml():
    """Per column, only a test with its own settings (where, severity) stays: the rest belongs to the model's
    column_rules test."""
    files = _yaml_files()
    assert len(files) > 50  # the models', the seeds' and the register's YAML
    loose = []
    for path in files:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for node in (doc.get("models") or []) + (doc.get("seeds") or []):
            for column in node.get("columns") or []:
                for t in column.get("data_tests") or column.get("tests") or []:
                    kind = t if isinstance(t, str) else next(iter(t))
                    spec = {} if isinstance(t, str) else (t[kind] or {})
                    if kind in FOLDED and not set(spec) - {"arguments"}:
                        loose.append(f"{path.relative_to(DBT_PROJECT_DIR.parent)}: {node['name']}.{column['name']} "
                                     f"{kind} (list it under {FOLDED[kind]} in the model's column_rules test)")
    assert not loose, "\n".join(loose)
