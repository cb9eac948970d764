"""Raw ingestion assets, one module per source kind."""
from pipelines.sources.admin import admin
from pipelines.sources.flows import flows
from pipelines.sources.funding import funding
from pipelines.sources.needs import needs
from pipelines.sources.population import population
from pipelines.sources.presence import presence
from pipelines.sources.vocabularies import vocabularies

RAW_ASSETS = [presence, needs, funding, flows, admin, population, vocabularies]
PARTITIONED_RAW_ASSETS = [a for a in RAW_ASSETS if a.partitions_def is not None]
