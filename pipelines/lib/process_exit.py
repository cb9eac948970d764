"""Ending a command's process without Python's final garbage collections."""
from __future__ import annotations

import atexit
import os
import sys
from typing import NoReturn


def exit_now(code: int | str | None) -> NoReturn:
    """Exit as Python does, minus its last garbage collections: they walk every object several times, for
    memory the OS takes back anyway (about 2 s after a refresh's 600,000 objects, about 0.8 s after a
    `dbt build`). The exit handlers still run (logging's flush, dbt-duckdb closing the warehouse) and the
    standard streams are flushed. `code` as for sys.exit: None is 0, a message is printed and gives 1."""
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code or 0)
