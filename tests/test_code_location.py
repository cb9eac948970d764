"""The Dagster code location stands alone: loading it imports neither the CLI nor the sample generator."""
from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

import pipelines.cli
import pipelines.sample
from pipelines.lib.paths import DEFAULT_CONFIG, REPO_ROOT

# Modules of the command line (the package, and the two helpers that print to the terminal) and of the generator.
CLI_MODULES = {"pipelines.cli", "pipelines.refresh", "pipelines.refresh_report", "pipelines.status"} | {
    f"pipelines.cli.{m.name}" for m in pkgutil.iter_modules(pipelines.cli.__path__)
}
SAMPLE_MODULES = {"pipelines.sample"} | {f"pipelines.sample.{m.name}" for m in pkgutil.iter_modules(pipelines.sample.__path__)}


def test_the_module_lists_are_real():
    assert {"pipelines.cli.main", "pipelines.cli.docs_gen"} <= CLI_MODULES
    assert {"pipelines.sample.generate", "pipelines.sample.ensure", "pipelines.sample.presence"} <= SAMPLE_MODULES


def test_loading_the_definitions_imports_neither_the_cli_nor_the_sample():
    """In a fresh interpreter, as `dagster dev -m pipelines.definitions` loads it."""
    code = (
        "import json, sys; from pipelines.definitions import defs; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('pipelines'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert {"pipelines.definitions", "pipelines.settings", "pipelines.sources"} <= loaded
    assert sorted(loaded & (CLI_MODULES | SAMPLE_MODULES)) == []


def test_the_code_location_does_not_generate_the_sample(data_dir):
    """With the default config and no sample yet, a run's fetcher says how to make it and writes nothing."""
    from pipelines.settings import ClusterwatchSettings

    with pytest.raises(ValueError, match="clusterwatch generate-sample"):
        ClusterwatchSettings(config_path=str(DEFAULT_CONFIG)).fetcher()
    assert not (data_dir / "sample-snapshot").exists()


def test_the_cli_generates_the_sample_on_first_use(data_dir, capsys, monkeypatch):
    """`clusterwatch ingest` with the default config: the sample appears, then the raw layer loads from it."""
    from pipelines.cli import main
    from pipelines.settings import ENV_CONFIG, ENV_LIVE, ENV_SNAPSHOT

    monkeypatch.setenv(ENV_CONFIG, str(DEFAULT_CONFIG))  # the command sets these: restored after the test
    for var in (ENV_SNAPSHOT, ENV_LIVE):
        monkeypatch.delenv(var, raising=False)
    assert main(["ingest"]) == 0
    out = capsys.readouterr().out
    assert "generating the fictional sample snapshot" in out
    assert (data_dir / "sample-snapshot" / "README.md").exists()
    assert "raw.presence:" in out and "raw.presence: 0" not in out
