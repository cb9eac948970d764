"""The COD admin 1 and 2 units of the configured countries (pipelines/lib/pcode_lookup.py), for names."""
import json


def model(dbt, session):
    # Plain assignments: dbt finds source and config.get calls only where they stand alone.
    dbt.config(materialized="table")
    countries_json = dbt.config.get("countries_json", "[]")
    pcodes = dbt.source("raw", "pcodes")

    from pipelines.lib.pcode_lookup import in_scope, units_table

    return units_table(in_scope(pcodes, json.loads(countries_json)).df())
