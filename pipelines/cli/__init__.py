"""`clusterwatch`, the command line, and its helpers. Not part of the Dagster code location:
pipelines.definitions never imports this package (tests/test_code_location.py checks it)."""
from pipelines.cli.main import dagster_home, instance, main

__all__ = ["dagster_home", "instance", "main"]
