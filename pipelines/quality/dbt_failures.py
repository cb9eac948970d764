"""The failing rows of a dbt test, as dbt stored them (for messages and the quality report).

The marts' tests and the reconciliations store their failures (dbt_project.yml: `store_failures_as: view`):
one view per test in the warehouse's dbt_test__audit schema, named by dbt (long names are shortened, so the
relation is read from the manifest, never guessed).
"""
from __future__ import annotations

from functools import lru_cache

from pipelines.lib.sql import quote_ident
from pipelines.quality.results import SAMPLE_ROWS, jsonable
from pipelines.quality.tables import manifest_path


@lru_cache(maxsize=1)
def _relations() -> dict[str, str]:
    """Test name -> the relation holding its failing rows, for every test that stores them. Without the
    database part: the warehouse file is attached under another name outside dbt."""
    from pipelines.transform.project import read_manifest

    manifest = read_manifest(manifest_path())
    return {
        node["name"]: f"{quote_ident(node['schema'])}.{quote_ident(node['alias'])}"
        for node in manifest["nodes"].values()
        if node.get("resource_type") == "test" and node.get("relation_name")
    }


def failure_relation(test_name: str) -> str | None:
    """Where dbt keeps the failing rows of this test, or None when it does not store them."""
    return _relations().get(test_name)


def failing_rows(con, test_name: str, limit: int = SAMPLE_ROWS) -> tuple[int, list[dict]]:
    """(number of failing rows, up to `limit` of them) from the test's last run; (0, []) when none is stored."""
    relation = failure_relation(test_name)
    if relation is None:
        return 0, []
    try:
        n = con.execute(f"select count(*) from {relation}").fetchone()[0]
        cur = con.execute(f"select * from {relation} limit {int(limit)}")
    except Exception:  # noqa: BLE001 - the test has not run in this warehouse yet
        return 0, []
    names = [d[0] for d in cur.description]
    return int(n), [{k: jsonable(v) for k, v in zip(names, row)} for row in cur.fetchall()]
