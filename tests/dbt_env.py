"""The environment for running dbt from a test: warehouse, target and logs in a private work directory."""
from __future__ import annotations

import os
from pathlib import Path


def dbt_env(work: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CLUSTERWATCH_DATA_DIR": str(work),
        "CLUSTERWATCH_WAREHOUSE": str(work / "warehouse.duckdb"),
        "DBT_TARGET_PATH": str(work / "dbt_target"),
        "DBT_LOG_PATH": str(work / "dbt_logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
