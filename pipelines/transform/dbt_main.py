"""`clusterwatch-dbt`: dbt's own command line, as every dbt run of clusterwatch starts it (the same arguments,
output and exit codes as `dbt`), ending without Python's final garbage collections: about 0.8 s a run."""


def main() -> None:
    from dbt.cli.main import cli

    from pipelines.lib.process_exit import exit_now

    try:
        cli()  # click ends it with SystemExit, whatever happened
    except SystemExit as e:
        exit_now(e.code)
