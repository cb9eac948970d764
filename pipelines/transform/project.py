"""The dbt project, defined once. The manifest is (re)built when models changed, so a fresh clone just works."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import threading
from functools import lru_cache
from pathlib import Path

from pipelines.lib.duckdb_settings import active
from pipelines.lib.files import copy_into_place
from pipelines.lib.paths import DBT_PROJECT_DIR, REFERENCE_DIR, REPO_ROOT, data_dir, warehouse_path


def dbt_executable() -> str:
    """dbt from this interpreter's environment, so a venv works without being activated: `clusterwatch-dbt`
    (dbt, ending faster: pipelines/transform/dbt_main.py) when this install has it, else dbt itself."""
    for name in ("clusterwatch-dbt", "dbt"):
        candidate = Path(sys.executable).parent / name
        if candidate.exists():
            return str(candidate)
    return "dbt"


def dbt_env() -> dict[str, str]:
    """Env vars the dbt profile reads; the warehouse and dbt's logs follow CLUSTERWATCH_DATA_DIR (not the
    checkout), DuckDB's limits the config. dbt's own log file keeps info and above unless told otherwise: at
    its default (debug, every statement) writing it took about 13% of the build's node time. The dbt Python
    models (the p-code lookup) import this checkout's `pipelines`, whichever one the environment installed."""
    entries = [e for e in os.environ.get("PYTHONPATH", "").split(os.pathsep) if e]
    # The same value again once the caller has put it in os.environ: it is part of the parse target's key.
    path = os.pathsep.join(entries if str(REPO_ROOT) in entries else [str(REPO_ROOT), *entries])
    return {"CLUSTERWATCH_WAREHOUSE": str(warehouse_path()), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_LOG_PATH": str(dbt_work_dir() / "logs"), "PYTHONPATH": path,
            "DBT_LOG_LEVEL_FILE": os.environ.get("DBT_LOG_LEVEL_FILE", "info"), **active().env()}


def dbt_work_dir() -> Path:
    """Where runs put dbt's logs and per-run target folders: under the data dir, never in the checkout."""
    return data_dir() / "dbt"


def current_dbt_vars() -> dict:
    from pipelines.settings import current_config
    from pipelines.transform.dbt_vars import config_dbt_vars

    return config_dbt_vars(current_config())


def _newest_source_mtime() -> float:
    newest = 0.0
    for folder in [DBT_PROJECT_DIR / s for s in ("models", "macros", "seeds", "tests")] + [REFERENCE_DIR]:
        for p in folder.rglob("*"):
            if p.is_file():
                newest = max(newest, p.stat().st_mtime)
    return max(newest, (DBT_PROJECT_DIR / "dbt_project.yml").stat().st_mtime)


def _manifest_stale(manifest: Path) -> bool:
    return not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime()


def manifest_path() -> Path:
    """target/manifest.json, prepared first when the dbt sources are newer. A fresh manifest is read without
    importing dbt, so `clusterwatch --help` and `status` start fast."""
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    if not _manifest_stale(manifest):
        return manifest
    return Path(dbt_project().manifest_path)


def read_manifest(path: Path | None = None) -> dict:
    """The parsed manifest (`manifest_path()` unless given), read once per version of the file: it is a few MB
    of JSON, and the definitions, the dbt steps and the checks all read it. Callers must not change it."""
    path = Path(path or manifest_path())
    stat = path.stat()
    return _read_manifest(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=2)
def _read_manifest(path: str, _mtime_ns: int, _size: int) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def dbt_project():
    """The DbtProject (dagster_dbt imports dbt: only the steps that run dbt call this)."""
    from dagster_dbt import DbtProject

    bin_dir = str(Path(dbt_executable()).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    if _manifest_stale(project.manifest_path):
        _parse(project)
    return project


def _parse(project) -> None:
    """`dbt parse` with the config's vars in the refresh's own target folder, so that its dbt runs start from
    this parse instead of parsing the whole project again; the manifest is then copied where Dagster reads it."""
    from pipelines.transform.dbt_cli import ClusterwatchDbtCliResource

    os.environ.update(dbt_env())
    dbt_vars = current_dbt_vars()
    target = parse_target(dbt_vars)
    dbt = ClusterwatchDbtCliResource(project_dir=project, dbt_executable=dbt_executable())
    dbt.cli(["parse", "--quiet", "--vars", json.dumps(dbt_vars)], target_path=target).wait()
    # Where the Dagster definitions read it, whole or not at all (a code server may be reading it)
    copy_into_place(target / "manifest.json", Path(project.manifest_path))


def parse_needed() -> bool:
    """Whether the next dbt step would parse the project in full (checked without importing dbt)."""
    return (_manifest_stale(DBT_PROJECT_DIR / "target" / "manifest.json")
            or not (parse_target(current_dbt_vars()) / "partial_parse.msgpack").exists())


def prepare_in_background() -> threading.Thread | None:
    """Parse the dbt project while the sources load, when the first dbt step would otherwise parse it in full (a
    fresh clone, edited models, new vars, a new data dir): `dbt parse` is a process of its own on the other core,
    and it does not open the warehouse the source runs write. Join the thread before anything else uses dbt."""
    if not parse_needed():
        return None

    def work() -> None:
        try:
            project = dbt_project()  # parses when the manifest is older than the models
            if parse_needed():
                _parse(project)
        except Exception:  # noqa: BLE001 - the dbt step parses again and reports what is wrong
            pass

    thread = threading.Thread(target=work, name="dbt-parse", daemon=True)
    thread.start()
    return thread


def start_warm_dbt():
    """The refresh's warm dbt process (dbt_server.py): it parses the project now, as `_parse` would, and runs the
    refresh's `dbt build` without dbt's start-up. None where Unix sockets cannot pass file descriptors, or it
    cannot be started."""
    from pipelines.transform.dbt_server import WarmDbt, supported

    if not supported():
        return None
    os.environ.update(dbt_env())
    dbt_vars = current_dbt_vars()
    target = parse_target(dbt_vars)
    # As dagster-dbt starts dbt for a step: its log beside the target, the profile in the project
    env = {"DBT_PROFILES_DIR": str(DBT_PROJECT_DIR), "DBT_PROJECT_DIR": str(DBT_PROJECT_DIR),
           "DBT_TARGET_PATH": str(target), "DBT_LOG_PATH": str(target)}
    try:
        return WarmDbt(["parse", "--quiet", "--vars", json.dumps(dbt_vars), "--target-path", str(target)],
                       DBT_PROJECT_DIR, env, DBT_PROJECT_DIR / "target" / "manifest.json")
    except OSError:  # no temporary folder or process to be had: the refresh runs dbt as its own process
        return None


def parse_target(dbt_vars: dict) -> Path:
    """dbt's target folder, one per set of vars and profile settings: every step and every later refresh with
    the same ones reuses its partial parse (dbt parses in full when vars or the profile change, or without one)."""
    key = hashlib.sha256(json.dumps([["build", "--vars", json.dumps(dbt_vars)], dbt_env()], sort_keys=True)
                         .encode()).hexdigest()[:12]
    target = dbt_work_dir() / "target" / f"parse-{key}"
    for old in target.parent.glob("*"):  # earlier vars (yesterday's as_of) and per-run folders: not reused
        if old.is_dir() and old != target and old.name.startswith(("parse-", "run-")):
            shutil.rmtree(old, ignore_errors=True)
    return target
