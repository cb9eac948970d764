"""Charts drawn by forked workers are the charts drawn in the process (pipelines/site/draw_pool.py)."""
from __future__ import annotations

import time

import pytest

from pipelines.site import draw_pool
from pipelines.site.chart_data import ChartTable
from pipelines.site.charts import draw


def _funding(i: int) -> ChartTable:
    rows = [{"cluster": f"Cluster {c}", "requirements_usd": 1_000_000 * (c + i), "funding_usd": 400_000 * c,
             "percent_funded": 0.4 * c / (c + i)} for c in range(1, 4 + i % 3)]
    return ChartTable(key="funding", title="Funding", columns=list(rows[0]), headers=list(rows[0]), rows=rows)


def test_workers_draw_the_same_bytes_in_the_same_order():
    tables = [_funding(i) for i in range(10)]
    tables.insert(4, ChartTable(key="funding", title="empty", columns=[], headers=[]))  # nothing to draw: None
    here = [draw(t) for t in tables]
    assert draw_pool.draw_all(tables, workers=2) == here
    assert here[4] is None and len({svg for svg, _ in filter(None, here)}) == 10


def _stuck(table):
    time.sleep(3600)  # a worker that never answers: a lock copied at the fork in the state another thread held it


def test_a_stuck_worker_is_killed_and_its_charts_drawn_here():
    tables = [_funding(i) for i in range(9)]
    assert draw_pool.draw_all(tables, workers=2, draw_in_worker=_stuck, timeout=1) == [draw(t) for t in tables]


def test_a_few_charts_are_drawn_without_workers(monkeypatch):
    monkeypatch.setattr(draw_pool.multiprocessing, "get_context", lambda *a: pytest.fail("forked for 3 charts"))
    tables = [_funding(i) for i in range(3)]
    assert draw_pool.draw_all(tables, workers=2) == [draw(t) for t in tables]
    assert draw_pool.draw_all([]) == []
