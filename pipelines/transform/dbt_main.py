"""`clusterwatch-dbt`: dbt's own command line, as every dbt run of clusterwatch starts it (the same arguments,
output and exit codes as `dbt`), with fewer garbage collections and none at the end (pipelines/lib/
batch_process.py): about 2 s less for a refresh's `dbt build`."""


def main() -> None:
    from dbt.cli.main import cli

    from pipelines.lib.batch_process import collect_less, exit_now

    collect_less()
    try:
        cli()  # click ends it with SystemExit, whatever happened
    except SystemExit as e:
        exit_now(e.code)
