"""Transform: the dbt models (staging -> intermediate -> marts, the p-code lookup among them as Python models) as Dagster assets."""
