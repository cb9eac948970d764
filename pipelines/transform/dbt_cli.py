"""dagster-dbt's CLI resource, as every dbt invocation of this project runs it."""

import sys
from functools import cached_property
from pathlib import Path

from dagster_dbt import DbtCliResource


class ClusterwatchDbtCliResource(DbtCliResource):
    """dagster-dbt's resource without two per-invocation costs this project does not need (seconds each):
    the dbt adapter it builds in this process (profile, project and all base macros loaded) serves only
    dagster-dbt's fetch_row_counts/fetch_column_metadata, never used here (dbt_metadata.py reads the warehouse
    after dbt exits); and `dbt --version` in a subprocess, when the dbt beside this interpreter is the
    dbt-core package installed with it."""

    def _initialize_dbt_core_adapter(self, args):
        return None

    @cached_property
    def _cli_version(self):
        from importlib.metadata import version as installed

        from packaging import version

        if Path(self.dbt_executable).parent == Path(sys.executable).parent:
            return version.parse(installed("dbt-core"))
        return super()._cli_version
