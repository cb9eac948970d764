"""`clusterwatch-dbt`: dbt's own command line, as every dbt run of clusterwatch starts it (the same arguments,
output and exit codes as `dbt`), with fewer garbage collections and none at the end (pipelines/lib/
batch_process.py), and without the events no logger writes (dbt_events.py): about 4 s less for a refresh's
`dbt build`."""


def main() -> None:
    import sys

    from pipelines.lib.batch_process import exit_now
    from pipelines.transform.dbt_server import delegate

    # In a refresh, its warm dbt process runs the command (dbt_server.py)
    if (code := delegate(sys.argv[1:])) is not None:
        exit_now(code)
    from dbt.cli.main import cli

    from pipelines.lib.batch_process import collect_less
    from pipelines.transform.dbt_events import drop_unlogged_events

    collect_less()
    drop_unlogged_events()
    try:
        cli()  # click ends it with SystemExit, whatever happened
    except SystemExit as e:
        exit_now(e.code)
