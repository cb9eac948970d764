"""3W/4W operational presence: who does what where, one partition per country."""
from pipelines.sources.raw_asset import raw_asset

presence = raw_asset(
    "presence",
    description="3W/4W rows mapped to the canonical presence columns by each file's column mapping "
    "(config sources.presence). Lands in raw.presence.",
)
