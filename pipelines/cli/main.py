"""`clusterwatch`: the command line for people who don't open the Dagster UI."""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from pipelines.instance import dagster_home, open_instance
from pipelines.lib.config import ConfigError
from pipelines.lib.paths import DEFAULT_CONFIG, REPO_ROOT, data_dir
from pipelines.settings import ENV_CONFIG, ENV_LIVE, ENV_SNAPSHOT


def _say(msg: str = "") -> None:
    print(msg, flush=True)


def _set_env(args) -> None:
    """Settings travel by env var so that Dagster definitions, resources and dbt all see the same ones."""
    if getattr(args, "config", None):
        os.environ[ENV_CONFIG] = str(Path(args.config).resolve())
    if getattr(args, "snapshot", None):
        os.environ[ENV_SNAPSHOT] = str(Path(args.snapshot).resolve())
    if getattr(args, "live", False):
        os.environ[ENV_LIVE] = "1"
    if getattr(args, "data_dir", None):
        os.environ["CLUSTERWATCH_DATA_DIR"] = str(Path(args.data_dir).resolve())


def _ensure_sample() -> None:
    """The default config reads the generated sample: the CLI makes it on first use (the code location never does)."""
    from pipelines.sample.ensure import ensure_sample_snapshot
    from pipelines.settings import ClusterwatchSettings

    settings = ClusterwatchSettings.from_env()
    if not settings.live and not settings.snapshot:
        ensure_sample_snapshot(settings.config(), say=_say)


def instance():
    return open_instance()


def cmd_refresh(args) -> int:
    _set_env(args)
    from pipelines.publish.files import disk_full
    from pipelines.refresh import RefreshFailed, RefreshPartial, refresh_log_path, run_refresh

    countries = [c.strip().upper() for c in args.countries.split(",")] if args.countries else None
    try:
        _ensure_sample()
        summary = run_refresh(instance(), countries=countries, say=_say, force=args.force, verbose=args.verbose)
    except (ConfigError, ValueError) as e:
        _say(f"error: {e}")
        return 2
    except RefreshPartial as e:  # published, but some countries from their last good raw data
        _say(f"\nrefresh PARTIAL: {e}")
        _say(f"refresh finished in {e.summary['seconds']:.1f}s; warehouse: {e.summary['warehouse']}")
        return 3
    except Exception as e:  # noqa: BLE001 - one line for people; the traceback with -v
        if disk_full(e, data_dir()):  # wherever it struck (Dagster's SQLite, DuckDB, dbt, publish): one clear line
            _say(f"\nrefresh FAILED: disk full: no space left on the device of {data_dir()}. Free some space and "
                 "run again; the published files are unchanged (details: clusterwatch status)")
            return 1
        if isinstance(e, RefreshFailed):
            _say(f"\nrefresh FAILED: {e}")
            _say(f"dbt and Dagster log: {refresh_log_path()}; details: clusterwatch status")
            return 1
        if args.verbose:
            raise
        first = (str(e).strip().splitlines() or [""])[0]
        _say(f"\nrefresh FAILED: {type(e).__name__}: {first} (run again with -v for the traceback)")
        return 1
    _say(f"refresh finished in {summary['seconds']:.1f}s; warehouse: {summary['warehouse']}")
    _say(f"dbt and Dagster log: {summary['log']} (-v prints it here)")
    return 0


def cmd_ingest(args) -> int:
    _set_env(args)
    from pipelines.refresh import run_ingest

    from pipelines.lib.errors import SourceError
    from pipelines.publish.files import disk_full

    countries = [c.strip().upper() for c in args.countries.split(",")] if args.countries else None
    started = time.perf_counter()
    try:
        _ensure_sample()
        counts = run_ingest(countries=countries, say=_say, force=args.force)
    except (ConfigError, ValueError) as e:
        _say(f"error: {e}")
        return 2
    except SourceError as e:  # the reader's message names the dataset, resource and file
        _say(f"\ningest FAILED: {e}\nthe raw rows of that file stay as they were")
        return 1
    except Exception as e:  # noqa: BLE001 - one line for people; the traceback with -v
        if disk_full(e, data_dir()):
            _say(f"\ningest FAILED: disk full: no space left on the device of {data_dir()}")
            return 1
        if getattr(args, "verbose", False):
            raise
        first = (str(e).strip().splitlines() or [""])[0]
        _say(f"\ningest FAILED: {type(e).__name__}: {first} (run again with -v for the traceback)")
        return 1
    _say(f"raw layer loaded in {time.perf_counter() - started:.1f}s")
    for table, n in counts.items():
        _say(f"  raw.{table}: {n:,}")
    return 0


def cmd_config_check(args) -> int:
    _set_env(args)
    from pipelines.lib.config import load_config

    path = Path(args.config or os.environ.get(ENV_CONFIG) or DEFAULT_CONFIG)
    try:
        cfg = load_config(path)
    except ConfigError as e:
        _say(str(e))
        return 2
    kinds = {k: len(cfg.resources(k)) for k in ("presence", "needs", "funding", "flows", "admin", "population", "vocabularies")}
    _say(f"{path}: OK — {len(cfg.countries)} countries ({', '.join(cfg.countries)})")
    for k, n in kinds.items():
        _say(f"  {k:13s} {n} resource(s)")
    for w in cfg.warnings():
        _say(f"warning: {w}")
    from pipelines.lib.register import REGISTER_FILE, register_problems

    problems = register_problems()
    for p in problems:
        _say(f"error: {p}")
    if problems:
        return 2
    _say(f"  register      {REGISTER_FILE.name} OK")
    from pipelines.lib.config_check import check_files

    if not getattr(args, "snapshot", None):
        from pipelines.sample.ensure import ensure_sample_snapshot

        ensure_sample_snapshot(cfg, say=_say)  # the embedded sample is generated on first use; no-op for others
    root = Path(args.snapshot).resolve() if getattr(args, "snapshot", None) else cfg.snapshot_root()
    result = check_files(cfg, root)
    for w in result.warnings:
        _say(f"warning: {w}")
    if result.alias_lines:
        _say("sector values to map: paste under `sector_aliases:` (top level) and replace TODO with a code of "
             "dbt_project/seeds/sectors.csv:")
        _say("sector_aliases:")
        for line in result.alias_lines:
            _say(line)
    for e in result.errors:
        _say(f"ERROR: {e}")
    if result.errors:
        _say(f"{len(result.errors)} error(s): fix them before a refresh")
        return 2
    return 0


def cmd_generate_sample(args) -> int:
    from pipelines.sample.generate import generate

    started = time.perf_counter()
    summary = generate(Path(args.out), scale=args.scale, seed=args.seed)
    _say(f"sample snapshot written to {args.out} in {time.perf_counter() - started:.1f}s")
    for name, rows in summary.get("rows", {}).items():
        _say(f"  {name}: {rows:,} rows")
    return 0


def cmd_status(args) -> int:
    """Exit 0 when every table is published and the last run succeeded; 1 otherwise (for scripts and cron)."""
    _set_env(args)
    import json

    from pipelines.status import status_data, status_text

    data = status_data()
    if args.json:
        _say(json.dumps(data, indent=2, default=str))
    else:
        _say(status_text())
        _say("\nOK" if data["ok"] else "\nPROBLEMS:\n" + "\n".join(f"  - {p}" for p in data["problems"]))
    return 0 if data["ok"] else 1


def cmd_config_suggest_4w(args) -> int:
    """Inspect a new 3W/4W file and print a proposed `sources.presence` entry (pipelines/lib/suggest/)."""
    from pipelines.lib.errors import SourceError
    from pipelines.lib.suggest import render_entry, render_report, suggest

    path = Path(args.file)
    if not path.is_file():
        _say(f"error: {path}: no such file")
        return 2
    from pipelines.lib.config import load_config
    from pipelines.lib.suggest.cod import load_cod

    try:  # the config gives the snapshot root (paths are relative to it) and the COD p-code list
        cfg = load_config(Path(args.config or os.environ.get(ENV_CONFIG) or DEFAULT_CONFIG))
    except ConfigError:
        cfg = None
    cod = load_cod(cfg) if cfg is not None else None
    if cod is None:
        _say("# NOTE: no COD p-code list in the config's snapshot: admin columns are not checked against names")
    try:
        s = suggest(path, sheet=args.sheet, country=args.country.upper() if args.country else None, cod=cod)
    except (SourceError, ValueError) as e:
        _say(f"error: {e}")
        return 2
    root = Path(args.snapshot) if args.snapshot else (cfg.snapshot_root() if cfg is not None else None)
    _say(render_report(s))
    if s.aggregate and not s.complete:
        _say("# No entry proposed: the file holds aggregates, not one row per organisation, place and sector.")
        return 1
    _say("# Proposed entry: paste it under `sources: presence:` in the config, fill in the TODOs, then run")
    _say("#   clusterwatch config check --config FILE  and  clusterwatch refresh --countries " + (s.country or "ISO3"))
    _say(render_entry(s, snapshot_root=root))
    return 0 if s.complete else 1


CODE_LOCATION = "clusterwatch"  # as pyproject's [tool.dagster] code_location_name


def write_workspace(home: Path) -> Path:
    """The workspace `clusterwatch ui` loads: this code location under its name, written under the data dir."""
    import yaml

    workspace = home / "workspace.yaml"
    spec = {"load_from": [{"python_module": {"module_name": "pipelines.definitions", "location_name": CODE_LOCATION,
                                             "working_directory": str(REPO_ROOT)}}]}
    workspace.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return workspace


def cmd_ui(args) -> int:
    """`dagster dev` on this code location, with the instance under the data dir and the repo's dagster.yaml."""
    _set_env(args)
    _ensure_sample()  # the daemon's runs read it too
    home = dagster_home()
    env = dict(os.environ, DAGSTER_HOME=str(home))
    cmd = [
        sys.executable, "-m", "dagster", "dev", "-w", str(write_workspace(home)),
        "-h", args.host, "-p", str(args.port),
    ]
    _say(f"Dagster UI on http://{args.host}:{args.port} (DAGSTER_HOME={home}); Ctrl-C stops it")
    # Replace this process, so that Ctrl-C and kill reach dagster dev (and its webserver and daemon) directly.
    # Started from the instance directory: dagster dev warns about any other dagster.yaml in its folder, and
    # whatever it or dbt writes relative to the working directory lands under the data dir, not the checkout.
    os.chdir(home)
    os.execve(sys.executable, cmd, env)
    return 0  # not reached


def cmd_docs(args) -> int:
    """Regenerate docs/data-dictionary.md from the marts' dbt YAML (pipelines/cli/docs_gen.py)."""
    from pipelines.cli.docs_gen import DATA_DICTIONARY, write_data_dictionary

    out = write_data_dictionary(Path(args.out) if args.out else DATA_DICTIONARY)
    _say(f"wrote {out}")
    return 0


def cmd_publish_hdx(args) -> int:
    """Create or update the HDX datasets from data/published/ (pipelines/hdx_publish/)."""
    _set_env(args)
    from pipelines.hdx_publish import run
    from pipelines.lib.config import load_config
    from pipelines.lib.paths import published_dir

    try:
        cfg = load_config(Path(args.config or os.environ.get(ENV_CONFIG) or DEFAULT_CONFIG))
    except ConfigError as e:
        _say(str(e))
        return 2
    return run(cfg, published_dir(), data_dir() / "hdx-upload", dry_run=args.dry_run, say=_say)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="clusterwatch", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp, *, sources: bool = False):
        sp.add_argument("--config", help=f"configuration YAML (default: {DEFAULT_CONFIG.relative_to(REPO_ROOT)})")
        sp.add_argument("--data-dir", help="where the warehouse, cache and published/ go (default: $CLUSTERWATCH_DATA_DIR or data/)")
        if sources:
            src = sp.add_mutually_exclusive_group()
            src.add_argument("--snapshot", help="read sources from this local HDX mirror directory")
            src.add_argument("--live", action="store_true", help="download sources from HDX with hdx-python-api")

    def selection(sp):  # refresh and ingest: which countries, and whether unchanged files are read again
        sp.add_argument("--countries", help="comma-separated ISO3 codes (default: all in config)")
        sp.add_argument("--force", action="store_true",
                        help="reload sources and rebuild everything, even if no file changed")
        sp.add_argument("-v", "--verbose", action="store_true",
                        help="one line per step, dbt's log and Dagster's warnings on the terminal, tracebacks")

    r = sub.add_parser("refresh", help="ingest, transform, check and publish everything")
    common(r, sources=True)
    selection(r)
    r.set_defaults(func=cmd_refresh)

    i = sub.add_parser("ingest", help="load the raw layer only (no dbt, checks or publish); for debugging")
    common(i, sources=True)
    selection(i)
    i.set_defaults(func=cmd_ingest)

    c = sub.add_parser("config", help="work with the configuration")
    csub = c.add_subparsers(dest="config_command", required=True)
    cc = csub.add_parser("check", help="validate the configuration, its files, sheets, columns and sector values")
    common(cc)
    cc.add_argument("--snapshot", help="snapshot root the paths are relative to (default: the config's)")
    cc.set_defaults(func=cmd_config_check)
    s4 = csub.add_parser("suggest-4w", help="inspect a new 3W/4W file and propose its config entry")
    s4.add_argument("file", help="the 3W/4W file (xlsx, xls, ods or csv)")
    s4.add_argument("--sheet", help="the sheet to read (default: the one that looks most like a 3W/4W)")
    s4.add_argument("--country", help="ISO3 code of the country (default: guessed from the p-codes)")
    s4.add_argument("--snapshot", help="snapshot root the entry's path is relative to (default: the config's)")
    s4.add_argument("--config", help="configuration whose snapshot root paths are relative to")
    s4.set_defaults(func=cmd_config_suggest_4w)

    st = sub.add_parser("status", help="the last refresh, failed checks and published versions")
    st.add_argument("--data-dir", help="where the warehouse, cache and published/ go (default: $CLUSTERWATCH_DATA_DIR or data/)")
    st.add_argument("--json", action="store_true", help="machine-readable: runs, tables, problems, ok")
    st.set_defaults(func=cmd_status)

    u = sub.add_parser("ui", help="the Dagster UI (dagster dev) with the instance under the data dir")
    common(u, sources=True)
    u.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    u.add_argument("--port", type=int, default=3000)
    u.set_defaults(func=cmd_ui)

    d = sub.add_parser("docs", help="regenerate docs/data-dictionary.md from the dbt model documentation")
    d.add_argument("--out", help="output file (default: docs/data-dictionary.md)")
    d.set_defaults(func=cmd_docs)

    h = sub.add_parser("publish-hdx", help="create or update the HDX datasets (API key: $HDX_KEY)")
    common(h)
    h.add_argument("--dry-run", action="store_true", help="print the datasets, resources and changes; send nothing")
    h.set_defaults(func=cmd_publish_hdx)

    g = sub.add_parser("generate-sample", help="write the fictional sample snapshot (for benchmarks: --scale)")
    g.add_argument("out", help="output directory")
    g.add_argument("--scale", type=float, default=1.0, help="multiplies the number of 4W rows and flows")
    g.add_argument("--seed", type=int, default=20251121)
    g.set_defaults(func=cmd_generate_sample)
    return p


def main(argv: list[str] | None = None) -> int:
    from pipelines.lib.batch_process import collect_less, exit_now

    command = argv is None  # the `clusterwatch` command itself (tests call main with their arguments)
    args = build_parser().parse_args(argv)
    if command:
        collect_less()
    code = args.func(args)
    if command:
        exit_now(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
