"""`clusterwatch publish-hdx` against the loopback CKAN (tests/hdx_replay.py), never the real HDX.

- Real hdx-python-api calls: the first publication creates each dataset (package_create) and sends every
  file (package_revise); the next one with the same files updates metadata and sends no file; after one
  table changes only its files are sent. A blocked table is never uploaded. The API key reaches the server
  (writes without it are refused) and appears in no output or log.
- `--dry-run` on the real snapshot's published tables lists every dataset and resource.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.hdx_publish import run
from pipelines.lib.config import HdxSettings, load_config
from pipelines.lib.paths import CONFIG_DIR
from tests.hdx_replay import HdxReplayServer
from tests.test_site import handmade  # noqa: F401 - the fixture: a small published directory, gaps blocked

REPO = Path(__file__).resolve().parents[1]
KEY = "test-key-9f3c2a7e51"


@pytest.fixture
def hdx_server(real_snapshot):
    """The loopback CKAN; it needs ../shared for the approved tags (those of the recorded real packages)."""
    with HdxReplayServer(real_snapshot, api_key=KEY) as server:
        yield server


def _config(server, countries):
    cfg = load_config(CONFIG_DIR / "hdx_snapshot.yaml")
    return cfg.model_copy(update={"hdx": HdxSettings(url=server.url, timeout_seconds=10, retries=0),
                                  "countries": countries})


def _publish(cfg, published, staging) -> tuple[int, str]:
    lines = []
    code = run(cfg, published, staging, dry_run=False, say=lines.append)
    return code, "\n".join(lines)


def test_create_then_update_sends_only_changed_files_and_never_a_blocked_table(
        handmade, hdx_server, tmp_path, monkeypatch, caplog):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("HDX_KEY", KEY)
    cfg = _config(hdx_server, ["XYZ"])
    staging = tmp_path / "staging"

    code, out = _publish(cfg, handmade, staging)
    assert code == 0, out
    writes = [(w.action, w.dataset) for w in hdx_server.writes]
    assert writes == [("package_create", "clusterwatch-xyz"), ("package_revise", "clusterwatch-xyz"),
                      ("package_create", "clusterwatch-global"), ("package_revise", "clusterwatch-global")]
    published = {"coverage", "funding_by_cluster", "funding_by_plan", "cluster_activations"}
    every_file = sorted(f"{t}.{fmt}" for t in published for fmt in ("csv", "parquet"))
    assert sorted(hdx_server.writes[1].uploaded) == every_file
    assert sorted(hdx_server.writes[3].uploaded) == every_file
    # blocked (gaps) and never-published (funding_flows) tables: not on HDX at all
    for name in ("clusterwatch-xyz", "clusterwatch-global"):
        names = {r["name"] for r in hdx_server.package(name)["resources"]}
        assert names == set(every_file), names
    assert "gaps: not uploaded: blocked" in out
    # metadata from the configuration and the reference periods
    created = hdx_server.writes[0].data
    settings = cfg.hdx_publish
    assert (created["owner_org"], created["maintainer"], created["license_id"]) == (
        settings.organisation, settings.maintainer, settings.license_id)
    assert created["methodology"] == "Other" and created["methodology_other"] == settings.methodology_other
    assert settings.caveats in created["notes"] and created["groups"] == [{"name": "xyz"}]
    assert created["dataset_date"] == "[2025-01-01T00:00:00 TO 2025-12-31T23:59:59]"  # coverage need periods
    assert {t["name"] for t in created["tags"]} == set(settings.tags)
    # the uploaded country CSV is the country's rows with the HXL row
    xyz = hdx_server.package("clusterwatch-xyz")
    csv_id = next(r["id"] for r in xyz["resources"] if r["name"] == "coverage.csv")
    lines = hdx_server.uploads[csv_id].decode().splitlines()
    assert lines[1].startswith("#meta+country_code") and len(lines) == 2 + 4

    hdx_server.writes.clear()  # the same files again: metadata only
    code, out = _publish(cfg, handmade, staging)
    assert code == 0, out
    assert [(w.action, w.dataset, w.uploaded) for w in hdx_server.writes] == [
        ("package_revise", "clusterwatch-xyz", []), ("package_revise", "clusterwatch-global", [])]
    assert "coverage.csv" in out and "unchanged" in out

    hdx_server.writes.clear()  # one table changes: only its two files, in both datasets
    con = duckdb.connect()
    src = handmade / "coverage.parquet"
    con.execute(f"copy (select * replace (people_in_need + 1 as people_in_need) from read_parquet('{src}')) "
                f"to '{tmp_path / 'c.parquet'}' (format parquet)")
    os.replace(tmp_path / "c.parquet", src)
    con.execute(f"copy (select * from read_parquet('{src}')) to '{tmp_path / 'c.csv'}' (format csv, header false)")
    head = (handmade / "coverage.csv").read_text().splitlines()[:2]
    (handmade / "coverage.csv").write_text("\n".join(head) + "\n" + (tmp_path / "c.csv").read_text())
    code, out = _publish(cfg, handmade, staging)
    assert code == 0, out
    assert [(w.action, w.dataset, sorted(w.uploaded)) for w in hdx_server.writes] == [
        ("package_revise", "clusterwatch-xyz", ["coverage.csv", "coverage.parquet"]),
        ("package_revise", "clusterwatch-global", ["coverage.csv", "coverage.parquet"])]
    # the key went to the server, and nowhere else
    assert KEY not in out and KEY not in caplog.text


def test_without_the_key_nothing_is_sent(handmade, hdx_server, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.delenv("HDX_KEY", raising=False)
    code, out = _publish(_config(hdx_server, ["XYZ"]), handmade, tmp_path / "staging")
    assert code == 2 and "HDX_KEY" in out
    assert hdx_server.writes == [] and hdx_server.hits("/api") == 0
    monkeypatch.setenv("HDX_KEY", "wrong-key")  # a wrong key: HDX refuses the first write
    code, out = _publish(_config(hdx_server, ["XYZ"]), handmade, tmp_path / "staging")
    assert code == 1 and "wrong-key" not in out and hdx_server.writes == []


@pytest.mark.slow
@pytest.mark.real
def test_dry_run_on_the_real_snapshot_lists_every_dataset_and_resource(real_published, hdx_server):
    """The CLI, in its own process, pointed at the loopback CKAN (nothing exists there yet: all 'create')."""
    import json

    manifest = json.loads((real_published / "published" / "manifest.json").read_text())
    env = {**os.environ, "CLUSTERWATCH_DATA_DIR": str(real_published)}
    env.pop("HDX_KEY", None)
    config = real_published / "hdx_snapshot.yaml"
    text = (CONFIG_DIR / "hdx_snapshot.yaml").read_text().replace(
        "hdx_publish:", f"hdx:\n  url: {hdx_server.url}\n  timeout_seconds: 10\n  retries: 0\n\nhdx_publish:", 1)
    config.write_text(text.replace("snapshot: ../../../shared/hdx-snapshot", f"snapshot: {REPO.parent / 'shared' / 'hdx-snapshot'}"))
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "publish-hdx", "--dry-run", "--config", str(config)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    print(done.stdout)
    assert hdx_server.writes == []
    for country in manifest["config"]["countries"]:
        assert f"- clusterwatch-{country.lower()}: create" in done.stdout
    assert "- clusterwatch-global: create" in done.stdout
    global_block = done.stdout.split("- clusterwatch-global:")[1]
    for table, entry in manifest["tables"].items():
        for fmt in ("csv", "parquet"):
            assert f"{table}.{fmt}" in global_block
        assert f"{entry['row_count']:,} rows" in global_block
