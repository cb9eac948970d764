"""Charts drawn on every core: matplotlib holds the GIL, and a site built from scratch has dozens to draw.

The workers are forked from this process after it has drawn the first chart itself, so they start with
matplotlib imported and only draw: no connection, file or lock of the caller is used in them. Each returns its
SVG text, the same bytes as a chart drawn here (a test compares them).
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from pipelines.site.chart_data import ChartTable
from pipelines.site.charts import draw

# Fewer charts than this per worker are drawn here: a fork and the results' trip back cost about a chart.
MIN_CHARTS_PER_WORKER = 4


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def draw_all(tables: list[ChartTable], workers: int | None = None) -> list[tuple[str, str] | None]:
    """draw() of each table, in order."""
    if not tables:
        return []
    first, rest = draw(tables[0]), tables[1:]
    workers = min(workers or cores(), len(rest) // MIN_CHARTS_PER_WORKER)
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [first, *map(draw, rest)]
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            return [first, *pool.map(draw, rest)]
    except BrokenProcessPool:  # a worker killed (out of memory): draw them here, as without workers
        return [first, *map(draw, rest)]
