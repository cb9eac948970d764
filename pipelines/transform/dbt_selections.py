"""The dbt project in two steps around the Python admin lookup (one definition for Dagster and the CLI).

    dbt: staging models with admin keys + int_admin_keys   (ADMIN_KEYS_SELECT)
      -> Python: normalised.admin_lookup, admin_units        (pipelines/transform/admin_lookup.py)
      -> dbt: everything else, which joins admin_lookup      (the rest: exclude ADMIN_KEYS_SELECT)
"""
from __future__ import annotations

from pipelines.lib.pcode_lookup import ADMIN_KEYS_RELATION

ADMIN_KEYS_MODEL = ADMIN_KEYS_RELATION.split(".")[1]
ADMIN_KEYS_SELECT = f"+{ADMIN_KEYS_MODEL}"
