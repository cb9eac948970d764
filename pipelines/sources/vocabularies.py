"""Reference vocabularies: Global Coordination Groups sectors, org types, the HPC plan list."""
from pipelines.sources.raw_asset import raw_asset

vocabularies = raw_asset(
    "vocabularies",
    description="HDX reference vocabularies (sectors, organisation types) and the HPC response plan list.",
)
