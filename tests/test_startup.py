"""`clusterwatch --help` and `status` start without importing dbt or Great Expectations (seconds each)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pipelines.lib.paths import REPO_ROOT
from pipelines.transform.project import manifest_path

HEAVY = ("dbt", "dagster_dbt", "great_expectations")

_PROBE = """
import json, sys
from pipelines.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as e:
    code = e.code
heavy = sorted({m.split('.')[0] for m in sys.modules} & set(%r))
print('PROBE ' + json.dumps({'code': code, 'heavy': heavy}))
""" % (HEAVY,)


def _probe(args: list[str], data_dir) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "CLUSTERWATCH_DATA_DIR": str(data_dir)}
    out = subprocess.run([sys.executable, "-c", _PROBE, *args], env=env, cwd=REPO_ROOT,
                         capture_output=True, text=True, timeout=600)
    lines = [line for line in out.stdout.splitlines() if line.startswith("PROBE ")]
    assert lines, out.stdout[-2000:] + out.stderr[-2000:]
    return json.loads(lines[-1].removeprefix("PROBE "))


@pytest.fixture(scope="module", autouse=True)
def _prepared_manifest():
    manifest_path()  # as after any refresh: a manifest newer than the dbt sources


# `status` exits 1 while nothing is published yet (scripts can tell); help exits 0.
@pytest.mark.parametrize("args, code", [(["--help"], 0), (["status"], 1), (["refresh", "--help"], 0)])
def test_cli_starts_without_dbt_or_great_expectations(args, code, tmp_path):
    got = _probe(args, tmp_path)
    assert (got["code"] or 0) == code
    assert got["heavy"] == []


def test_status_with_a_publication_starts_without_dbt_or_great_expectations(tmp_path):
    published = tmp_path / "published"
    published.mkdir()
    (published / "manifest.json").write_text(json.dumps({"version": None, "tables": {}}), encoding="utf-8")
    got = _probe(["status"], tmp_path)
    assert (got["code"] or 0) == 0  # a manifest, no failed run: nothing to report
    assert got["heavy"] == []
