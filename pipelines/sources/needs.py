"""People in need: HPC HNO tables, the JIAF PiN sheet, and per-country needs files, one partition per country."""
from pipelines.sources.raw_asset import raw_asset

needs = raw_asset(
    "needs",
    description="Humanitarian needs rows as published (HPC HNO, JIAF PiN, drought caseloads). Multi-country "
    "files are split by their country column. Lands in raw.hno_hpc, raw.jiaf_pin and raw.drought_needs.",
)
