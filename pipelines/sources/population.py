"""COD-PS population by admin unit, gender and age."""
from pipelines.sources.raw_asset import raw_asset

population = raw_asset(
    "population",
    description="COD-PS population statistics by admin unit, gender and age group, as published.",
)
