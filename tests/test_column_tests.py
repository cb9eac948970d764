"""The model-level column tests of dbt_project/tests/generic (one query per model instead of one per column).

Their SQL is rendered from the test files with Jinja, as dbt renders it, and run in DuckDB on small tables, so
each rule is checked for what it lets through and what it reports. A scan of the YAML keeps the per-column
forms of these four tests from coming back (each would be one more dbt node in every refresh).
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import jinja2
import pytest
import yaml

from pipelines.lib.paths import DBT_PROJECT_DIR, REFERENCE_DIR

GENERIC = DBT_PROJECT_DIR / "tests" / "generic"
FOLDED = {"not_null": "not_null_columns", "accepted_values": "accepted_values_columns",
          "not_negative": "not_negative_columns", "unique": "unique_columns"}


class _Adapter:
    @staticmethod
    def quote(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'


def render(test: str, **arguments) -> str:
    """The test's SQL for a table `t`, as dbt would compile it (`{% test %}` is dbt's name for a macro)."""
    text = (GENERIC / f"{test}.sql").read_text(encoding="utf-8")
    text = text.replace("{% test ", "{% macro test_").replace("{% endtest %}", "{% endmacro %}")
    module = jinja2.Environment().from_string(text).make_module({"adapter": _Adapter()})
    return str(getattr(module, f"test_{test}")(model="t", **arguments))


@pytest.fixture()
def con():
    c = duckdb.connect()
    c.execute("""create table t as select * from (values
        (1, 'a',   0,  10.5, 'x'),
        (2, 'b',   1,  -1.0, 'y'),
        (3, null,  2,  null, 'y'),
        (4, 'it''s', 9, -3.0, null)
    ) v(id, code, level, amount, tag)""")
    yield c
    c.close()


def failing(con, sql: str) -> list[tuple]:
    return sorted(con.execute(sql).fetchall(), key=str)


def test_accepted_values_reports_each_column_and_value_with_its_count(con):
    sql = render("accepted_values_columns", values={"code": ["a", "b"], "level": [0, 1, 2], "tag": ["x"]})
    assert failing(con, sql) == [("code", "it's", 1), ("level", "9", 1), ("tag", "y", 2)]  # nulls pass


def test_accepted_values_passes_when_every_value_is_listed(con):
    sql = render("accepted_values_columns", values={"code": ["a", "b", "it's"], "level": [0, 1, 2, 9]})
    assert failing(con, sql) == []


def test_not_negative_names_the_negative_columns_of_each_row(con):
    rows = con.execute(render("not_negative_columns", column_names=["amount", "level"]) + " order by id").df()
    assert rows["id"].tolist() == [2, 4]  # a null amount passes
    assert rows["negative_columns"].tolist() == ["amount", "amount"]


def test_unique_reports_repeated_values_per_column_and_expression(con):
    sql = render("unique_columns", column_names=["id", "tag", "coalesce(code, '*') || '|' || tag"])
    assert failing(con, sql) == [("tag", "y", 2)]  # nulls pass, as in dbt's unique


def test_not_null_names_the_null_columns_of_each_row(con):
    rows = con.execute(render("not_null_columns", column_names=["code", "amount", "tag"]) + " order by id").df()
    assert rows["id"].tolist() == [3, 4]
    assert rows["null_columns"].tolist() == ["code, amount", "tag"]


def _yaml_files() -> list[Path]:
    return sorted([*DBT_PROJECT_DIR.glob("models/**/*.yml"), *DBT_PROJECT_DIR.glob("seeds/*.yml"),
                   *REFERENCE_DIR.glob("*.yml")])


def test_these_four_tests_stay_folded_in_every_yaml():
    """Per column, only a test with its own settings (where, severity) stays: the rest belongs to the model's
    *_columns test."""
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
                                     f"{kind} (list it in the model's {FOLDED[kind]})")
    assert not loose, "\n".join(loose)
