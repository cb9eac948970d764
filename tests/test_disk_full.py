"""Disk full gives one clear line, and the published state stays intact (issue 14).

On a real tmpfs (16 MiB, mounted by the test: root only, skipped with the reason where the machine does not
allow it), filled up by a file:
- publish: ENOSPC while staging a table or while building the release is a PublishError of one line saying the
  disk is full; the published files are the previous ones byte for byte; with space again the next one succeeds;
- `clusterwatch refresh` with its whole data directory on a full disk: one line, no traceback, published
  files unchanged, and the run Dagster could not finish is marked failed by the next start.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_publish import (
    REPO,
    assert_published_whole,
    build_tiny_warehouse,
    publish_here,
    published_state,
    validate_tiny,
)
@pytest.fixture
def small_tmpfs(tmp_path):
    """A 16 MiB tmpfs (root only, and where the machine allows mounting); skipped with the reason otherwise."""
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode}): disk-full test not run")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(mount: Path, leave: int) -> Path:
    """Fill the file system until `leave` bytes are free."""
    filler = mount / "filler"
    free = os.statvfs(mount).f_bavail * os.statvfs(mount).f_frsize
    with open(filler, "wb") as f:
        f.truncate(0)
        chunk = b"\0" * (1 << 20)
        remaining = max(free - leave, 0)
        while remaining > 0:
            remaining -= f.write(chunk[: min(len(chunk), remaining)])
    return filler


@pytest.mark.parametrize("leave", [4096, 200_000])
def test_disk_full_is_one_clear_line_and_the_published_state_intact(data_dir, small_tmpfs, leave):
    """ENOSPC while staging (little space left) or while building the release (some left): a PublishError of one
    line that says the disk is full, no traceback in its text, the old publication byte for byte; once there is
    space again the next publication succeeds."""
    from pipelines.publish.files import PublishError

    tables = ["funding_by_cluster", "funding_flows"]
    published = data_dir / "published"
    (small_tmpfs / "published").mkdir()
    published.symlink_to(small_tmpfs / "published", target_is_directory=True)
    build_tiny_warehouse(data_dir / "warehouse.duckdb", flow_amount=100.0)
    validate_tiny(tables)
    publish_here("20250101T000000Z-first", tables)
    old = published_state(published)
    build_tiny_warehouse(data_dir / "warehouse.duckdb", flow_amount=250.0)
    filler = fill(small_tmpfs, leave)
    with pytest.raises(PublishError) as failed:
        publish_here("20250102T000000Z-second", tables)
    message = str(failed.value)
    assert "\n" not in message and "Traceback" not in message, message
    assert "disk full" in message, message
    assert published_state(published) == old
    filler.unlink()
    publish_here("20250103T000000Z-third", tables)
    m = assert_published_whole(published, tables)
    assert {m["tables"][t]["version"] for t in tables} == {"20250103T000000Z-third"}
    assert not [p for p in published.rglob("*.tmp")]


@pytest.mark.parametrize("leave", [0, 400_000])
def test_refresh_on_a_full_disk_says_so_in_one_line(data_dir, small_tmpfs, monkeypatch, leave):
    """No space at all (Dagster's SQLite fails first), or a little (the first run's DuckDB writes fail)."""
    tables = ["funding_by_cluster", "funding_flows"]
    data = small_tmpfs / "data"
    data.mkdir()
    monkeypatch.setenv("CLUSTERWATCH_DATA_DIR", str(data))
    build_tiny_warehouse(data / "warehouse.duckdb", flow_amount=100.0)
    validate_tiny(tables)
    publish_here("20250101T000000Z-first", tables)
    published = data / "published"
    old = published_state(published)
    from pipelines.cli.main import instance
    from pipelines.sample.ensure import ensure_sample_snapshot
    from pipelines.settings import current_config

    ensure_sample_snapshot(current_config())  # what the refresh reads, and its Dagster instance, are there
    instance().dispose()
    filler = fill(small_tmpfs, leave)
    env = {**os.environ, "CLUSTERWATCH_DATA_DIR": str(data)}
    for var in ("CLUSTERWATCH_CONFIG", "CLUSTERWATCH_SNAPSHOT", "CLUSTERWATCH_LIVE"):
        env.pop(var, None)
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "refresh"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=900)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "Traceback" not in out, out
    failed = [line for line in out.splitlines() if line.startswith("refresh FAILED")]
    assert len(failed) == 1 and failed[0].startswith("refresh FAILED: disk full: no space left"), out
    assert published_state(published) == old
    filler.unlink()  # space again: the next start marks the run the full disk stopped as failed
    status = subprocess.run([sys.executable, "-m", "pipelines.cli", "status"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=300)
    assert "Traceback" not in status.stdout + status.stderr, status.stdout + status.stderr
    assert " STARTED " not in status.stdout and "NOT_STARTED" not in status.stdout, status.stdout
    assert published_state(published) == old
