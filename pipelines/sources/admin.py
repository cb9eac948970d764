"""COD admin boundaries: the global p-code list and the p-code lengths."""
from pipelines.sources.raw_asset import raw_asset

admin = raw_asset(
    "admin",
    description="Global COD-AB admin 1 and 2 p-codes with names and parents, and the expected p-code lengths per country.",
)
