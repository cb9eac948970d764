"""OCHA FTS requirements and funding per plan, plan cluster and global cluster (global files)."""
from pipelines.sources.raw_asset import raw_asset

funding = raw_asset(
    "funding",
    description="FTS requirements and funding by plan, plan cluster and global cluster, all years, as published.",
)
