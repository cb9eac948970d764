"""OCHA FTS funding flows (one row per flow as published; duplicates are resolved downstream)."""
from pipelines.sources.raw_asset import raw_asset

flows = raw_asset(
    "flows",
    description="FTS incoming funding flows, one row per published flow row (flow ids may repeat across pages).",
)
