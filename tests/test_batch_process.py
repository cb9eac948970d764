"""Commands that end without Python's final garbage collections (pipelines/lib/batch_process.py): what a normal
exit gives is kept: the exit code, every byte of output, the exit handlers (dbt-duckdb's closes the warehouse)."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb

from pipelines.lib.paths import DBT_PROJECT_DIR, REPO_ROOT
from pipelines.transform.project import dbt_executable
from tests import dbt_env as test_env

SCRIPT = textwrap.dedent("""
    import atexit, sys
    from pipelines.lib.batch_process import exit_now
    atexit.register(lambda: open(sys.argv[1], "w").write("handler ran"))
    sys.stdout.write("buffered, no newline")
    exit_now(int(sys.argv[2]) if sys.argv[2].isdigit() else sys.argv[2])
""")


def test_exit_now_keeps_the_code_the_output_and_the_exit_handlers(tmp_path):
    for arg, code in (("0", 0), ("3", 3), ("a message", 1)):
        marker = tmp_path / f"ran-{code}"
        out = subprocess.run([sys.executable, "-c", SCRIPT, str(marker), arg], cwd=REPO_ROOT, capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == code, out.stderr
        assert out.stdout == "buffered, no newline"
        assert marker.read_text() == "handler ran"
    assert out.stderr.strip() == "a message"  # as sys.exit("a message") prints it


def test_clusterwatch_dbt_is_dbt(tmp_path):
    """The dbt the steps run: same results and exit codes, and the warehouse closed on the way out (nothing left
    in DuckDB's write-ahead log, which only closing the database checkpoints)."""
    assert dbt_executable().endswith("clusterwatch-dbt"), "pip install -e . installs it beside `clusterwatch`"
    env = test_env.dbt_env(tmp_path)
    dbt = [dbt_executable(), "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    ok = subprocess.run([*dbt[:1], "seed", "--select", "cluster_folding", *dbt[1:]], env=env, cwd=DBT_PROJECT_DIR,
                        capture_output=True, text=True, timeout=600)
    assert ok.returncode == 0, ok.stdout[-3000:] + ok.stderr[-3000:]
    assert not (tmp_path / "warehouse.duckdb.wal").exists()
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from reference.cluster_folding").fetchone()[0] > 0
    # A failing command: the exit code dbt itself gives
    codes = []
    for exe in (dbt_executable(), str(Path(sys.executable).parent / "dbt")):
        bad = subprocess.run([exe, "show", "--inline", "select * from no_such_table", *dbt[1:]], env=env,
                             cwd=DBT_PROJECT_DIR, capture_output=True, text=True, timeout=600)
        assert "no_such_table" in bad.stdout
        codes.append(bad.returncode)
    assert codes[0] == codes[1] != 0
