"""Transform: the p-code lookup (Python, hdx-python-country) and the dbt models (staging -> intermediate -> marts)."""
