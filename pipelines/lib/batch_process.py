"""What a one-shot command (`clusterwatch`, `clusterwatch-dbt`) does with Python's garbage collector: it holds a
large, long-lived object graph (Dagster's definitions, dbt's manifest: 300,000 to 600,000 objects) and ends
when its work is done, so collecting that graph again and again is wasted work."""
from __future__ import annotations

import atexit
import gc
import os
import sys
from typing import NoReturn


def collect_less() -> None:
    """The objects loaded so far (the imports) are left out of every collection, and a collection waits for
    10,000 new objects instead of 700. Garbage collection in a real refresh went from about 1.9 s to 0.6 s, in
    its `dbt build` from 2.2 s to 1.0 s, with the same peak memory."""
    gc.freeze()
    gc.set_threshold(10_000, 20, 100)


def exit_now(code: int | str | None) -> NoReturn:
    """Exit as Python does, minus its last garbage collections: they walk every object several times, for
    memory the OS takes back anyway (about 2 s after a refresh, about 0.8 s after a `dbt build`). The exit
    handlers still run (logging's flush, dbt-duckdb closing the warehouse) and the standard streams are
    flushed. `code` as for sys.exit: None is 0, a message is printed and gives 1."""
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code or 0)
