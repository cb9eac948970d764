"""Every admin key of int_admin_keys resolved to COD p-codes with hdx-python-country's AdminLevel
(pipelines/lib/pcode_lookup.py): a Python model, so the lookup is built in the same dbt build as the models
that join it. Countries and the admin-name exceptions come from the config, as vars (see the YAML)."""
import json


def model(dbt, session):
    # Plain assignments: dbt finds ref, source and config.get calls only where they stand alone.
    dbt.config(materialized="table")
    countries_json = dbt.config.get("countries_json", "[]")
    admin_names_json = dbt.config.get("admin_names_json", "null")
    keys = dbt.ref("int_admin_keys")
    pcodes = dbt.source("raw", "pcodes")
    lengths = dbt.source("raw", "pcode_lengths")

    from pipelines.lib.config import AdminNames, default_admin_names
    from pipelines.lib.pcode_lookup import in_scope, resolve_lookup

    countries = json.loads(countries_json)
    rules = json.loads(admin_names_json)
    names = AdminNames.model_validate(rules) if rules is not None else default_admin_names()
    table, _ = resolve_lookup(keys.order("source_table, lookup_key").df(), in_scope(pcodes, countries).df(),
                              in_scope(lengths, countries).df(), countries, names)
    return table
