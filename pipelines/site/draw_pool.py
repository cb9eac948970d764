"""Charts drawn on every core: matplotlib holds the GIL, and a site built from scratch has dozens to draw.

The workers are forked from this process after it has drawn the first chart itself, so they start with
matplotlib imported and only draw: no DuckDB, no Dagster, no file or lock of the caller is used in them, and at
the fork the caller runs no query. Each returns its SVG text, the same bytes as a chart drawn here (a test
compares them). Should a worker hang or die (a lock copied in the state another thread held it, memory), it is
killed and its charts are drawn here: the site is late, never missing or stuck.
"""
from __future__ import annotations

import multiprocessing
import os

from pipelines.site.chart_data import ChartTable
from pipelines.site.charts import draw

# Fewer charts than this per worker are drawn here: a fork and the results' trip back cost about a chart.
MIN_CHARTS_PER_WORKER = 4
# Far beyond what drawing takes (x5000: under 0.5 s a chart): only a stuck worker reaches it.
SECONDS_PER_CHART_AT_MOST = 30.0


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def draw_all(tables: list[ChartTable], workers: int | None = None, *, draw_in_worker=draw,
             timeout: float | None = None) -> list[tuple[str, str] | None]:
    """draw() of each table, in order. `draw_in_worker` and `timeout` are for tests."""
    if not tables:
        return []
    first, rest = draw(tables[0]), tables[1:]
    workers = min(workers or cores(), len(rest) // MIN_CHARTS_PER_WORKER)
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [first, *map(draw, rest)]
    pool = multiprocessing.get_context("fork").Pool(workers)
    try:
        drawn = pool.map_async(draw_in_worker, rest, chunksize=1).get(
            timeout if timeout is not None else SECONDS_PER_CHART_AT_MOST * len(rest))
    except Exception:  # noqa: BLE001 - stuck or dead workers: the same charts, drawn here
        drawn = list(map(draw, rest))
    finally:
        pool.terminate()  # kills a stuck worker; the others have finished
        pool.join()
    return [first, *drawn]
