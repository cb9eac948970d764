"""HDX access against real recorded HDX answers (replayed on 127.0.0.1) and real files from ../shared.

Nothing here reaches the internet: the live fetcher is pointed at the loopback replay server.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import socket
from pathlib import Path

import pytest

from pipelines.lib.config import Config, DatasetSearch, HdxSettings, Resource, Sources
from pipelines.lib.errors import FetchError
from pipelines.lib.hdx.factory import make_fetcher
from pipelines.lib.hdx.snapshot import SnapshotFetcher
from tests.hdx_replay import OP_INPUT, HdxReplayServer

COD_INPUT = "OCHA-DAP__hdx-scraper-cod-population/tests/fixtures/input"

SOM = Resource(
    id="som_3w", table="raw_presence", dataset="somalia-operational-presence", country="SOM",
    resource="3W Operational Presence Dataset_January - April 2025.xlsx",
)
TCD = Resource(id="tcd_3w", table="raw_presence", dataset="chad-operational-presence", resource="3W_TCD_Avr2025", country="TCD")
ETH = Resource(id="eth_4w", table="raw_presence", dataset="ethiopia-operational-presence", resource="3W August 2025.csv", country="ETH")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def recorded(root: Path, dataset: str, resource: str) -> tuple[dict, dict]:
    """The package and resource exactly as recorded in the snapshot JSON (read independently of the server)."""
    pkg = json.loads((root / OP_INPUT / f"{dataset}.json").read_text(encoding="utf-8"))
    return pkg, next(r for r in pkg["resources"] if r["name"] == resource)


@pytest.fixture
def hdx(real_snapshot):
    with HdxReplayServer(real_snapshot, stall_seconds=3) as server:
        yield server


@pytest.fixture
def live(hdx, tmp_path):
    from pipelines.lib.hdx.live import LiveFetcher

    def make(timeout: float = 5, retries: int = 0) -> LiveFetcher:
        return LiveFetcher(HdxSettings(url=hdx.url, timeout_seconds=timeout, retries=retries), tmp_path / "cache")

    return make


# ---- live ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("res", [SOM, TCD, ETH], ids=["som-xlsx", "tcd-xlsx", "eth-csv"])
def test_live_fetch_real_3w(hdx, live, real_snapshot, tmp_path, res):
    got = live().fetch(res)
    pkg, r = recorded(real_snapshot, res.dataset, res.resource)
    assert got.sha256 == sha(hdx.data_file(res.resource)) == sha(got.path)
    assert (got.dataset_id, got.dataset_name) == (pkg["id"], pkg["name"])
    assert (got.resource_id, got.resource_name, got.resource_modified) == (r["id"], r["name"], r["last_modified"])
    assert got.path.parent == tmp_path / "cache" / pkg["name"] / r["id"]
    assert got.url.startswith(hdx.url)
    sidecar = json.loads(got.path.with_name(got.path.name + ".meta.json").read_text())
    assert sidecar["sha256"] == got.sha256 and sidecar["last_modified"] == r["last_modified"]


def test_live_state_is_metadata_only(hdx, live, real_snapshot):
    fetcher = live()
    st = fetcher.state(TCD)
    pkg, r = recorded(real_snapshot, TCD.dataset, TCD.resource)
    assert st.dataset_modified == pkg["metadata_modified"]
    assert st.resource_modified == r["last_modified"]
    assert st.fingerprint == f"{r['id']}|{r['last_modified']}|{r['size']}"
    assert hdx.hits("/download/") == 0
    hdx.set_last_modified(TCD.resource, "2026-02-01T00:00:00.000000")
    st2 = fetcher.state(TCD)
    assert st2.fingerprint != st.fingerprint and st2.dataset_modified == "2026-02-01T00:00:00.000000"


def test_second_fetch_reuses_cache(hdx, live):
    fetcher = live()
    first = fetcher.fetch(TCD)
    second = fetcher.fetch(TCD)
    assert second == first
    assert hdx.downloads(TCD.resource) == 1
    hdx.set_last_modified(TCD.resource, "2026-02-01T00:00:00.000000")
    third = fetcher.fetch(TCD)
    assert hdx.downloads(TCD.resource) == 2
    assert third.resource_modified == "2026-02-01T00:00:00.000000" and third.sha256 == first.sha256


@pytest.mark.parametrize(
    "res,mode,cause",
    [
        (TCD, "timeout", "timed out after 0.5s"),
        (TCD, "http500", "HTTP 500"),
        (SOM, "truncated", "truncated body"),
        (ETH, "html", "got an HTML page instead of the expected CSV file"),
    ],
    ids=["timeout", "http500", "truncated", "html"],
)
def test_download_failures_keep_good_copy(hdx, live, res, mode, cause):
    fetcher = live(timeout=0.5, retries=1)
    good = fetcher.fetch(res)
    before = good.path.read_bytes()
    sidecar = good.path.with_name(good.path.name + ".meta.json")
    sidecar_before = sidecar.read_bytes()

    hdx.set_last_modified(res.resource, "2026-03-01T00:00:00.000000")  # cache is stale: a download is due
    hdx.fail(res.resource, mode)
    with pytest.raises(FetchError) as err:
        fetcher.fetch(res)

    msg = str(err.value)
    assert res.dataset in msg and res.resource in msg and cause in msg
    assert good.path.read_bytes() == before and sidecar.read_bytes() == sidecar_before
    assert {p.name for p in good.path.parent.iterdir()} == {good.path.name, sidecar.name}  # no temp files left
    # Bounded: an HTML page is not worth retrying; transient faults get exactly retries + 1 attempts.
    assert hdx.downloads(res.resource) == 1 + (1 if mode == "html" else 2)


def test_failure_without_cached_copy_leaves_nothing(hdx, live, tmp_path):
    hdx.fail(TCD.resource, "truncated")
    with pytest.raises(FetchError, match="truncated"):
        live().fetch(TCD)
    files = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert files == []


def test_unknown_resource_lists_available(hdx, live):
    res = TCD.model_copy(update={"resource": "3W_TCD_Avr2031"})
    with pytest.raises(FetchError) as err:
        live().fetch(res)
    msg = str(err.value)
    assert "3W_TCD_Avr2031" in msg and "available" in msg and "3W_TCD_Dec2024" in msg and "3W_TCD_Avr2025" in msg


def test_resource_name_is_case_insensitive(hdx, live):
    assert live().fetch(TCD.model_copy(update={"resource": "3w_tcd_avr2025"})).resource_name == "3W_TCD_Avr2025"


def test_unknown_dataset(hdx, live):
    res = TCD.model_copy(update={"dataset": "atlantis-operational-presence"})
    with pytest.raises(FetchError, match=r"atlantis-operational-presence.*not found"):
        live().fetch(res)


def test_unreachable_hdx_fails_fast(tmp_path):
    from pipelines.lib.hdx.live import LiveFetcher

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    fetcher = LiveFetcher(HdxSettings(url=f"http://127.0.0.1:{port}", timeout_seconds=1, retries=0), tmp_path)
    with pytest.raises(FetchError, match="HDX lookup failed") as err:
        fetcher.state(TCD)
    # Refused at once and reported as such: no retry, no wait for a timeout.
    assert "Connection refused" in str(err.value) and "timed out" not in str(err.value)


def test_search_by_tag_and_country(hdx, live, real_snapshot):
    res = Resource(
        id="tcd_3w", table="raw_presence", dataset="chad 3W", resource="3W_TCD_Avr2025", country="TCD",
        search=DatasetSearch(tags=["operational presence"]),
    )
    got = live().fetch(res)
    pkg, r = recorded(real_snapshot, "chad-operational-presence", "3W_TCD_Avr2025")
    assert (got.dataset_id, got.resource_id) == (pkg["id"], r["id"])
    assert hdx.hits("/api/action/package_search") == 1


def test_live_fetcher_is_private_and_offline_at_construction(monkeypatch, tmp_path):
    from hdx.api.configuration import Configuration

    from pipelines.lib.hdx.live import LiveFetcher

    def no_network(*a, **k):
        raise AssertionError("network used")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(Configuration, "_configuration", None)
    a = LiveFetcher(HdxSettings(url="http://127.0.0.1:9"), tmp_path)
    b = LiveFetcher(HdxSettings(), tmp_path)
    assert a.configuration.get_hdx_site_url() == "http://127.0.0.1:9"
    assert b.configuration.get_hdx_site_url() == "https://data.humdata.org"
    assert Configuration._configuration is None  # the global singleton was never set


# ---- snapshot -----------------------------------------------------------------------------------


def test_snapshot_lineage_from_ckan_json(real_snapshot):
    res = TCD.model_copy(update={"path": f"{OP_INPUT}/3w_tcd_avr2025.xlsx", "metadata": f"{OP_INPUT}/chad-operational-presence.json"})
    got = SnapshotFetcher(real_snapshot).fetch(res)
    pkg, r = recorded(real_snapshot, TCD.dataset, TCD.resource)
    assert got.path == real_snapshot / res.path  # used in place
    assert got.sha256 == sha(got.path)
    assert (got.dataset_id, got.dataset_name, got.resource_id, got.resource_modified) == (
        pkg["id"], pkg["name"], r["id"], r["last_modified"],
    )


def test_snapshot_matches_saved_download_name(real_snapshot):
    # No resource name configured: the Retrieve-style file name is matched against the recorded resource.
    res = Resource(
        id="afg_pop0", table="raw_population", dataset="cod-ps-afg",
        path=f"{COD_INPUT}/download-afg-popadm-adm0-2021-v2.csv", metadata=f"{COD_INPUT}/dataset-cod-ps-afg.json",
    )
    got = SnapshotFetcher(real_snapshot).fetch(res)
    assert got.resource_id == "73ec73cc-de29-4263-979e-4dbe6944820f"
    assert got.resource_name == "afg_popadm_adm0_2021_v2.csv"


def test_snapshot_reads_wrapped_package_show(real_snapshot, tmp_path):
    pkg = json.loads((real_snapshot / OP_INPUT / "chad-operational-presence.json").read_text(encoding="utf-8"))
    (tmp_path / "pkg.json").write_text(json.dumps({"help": "x", "success": True, "result": pkg}))
    # a copy: a symlink leading out of the snapshot root is refused (test_read_limits)
    shutil.copyfile(real_snapshot / OP_INPUT / "3w_tcd_avr2025.xlsx", tmp_path / "tcd.xlsx")
    res = TCD.model_copy(update={"path": "tcd.xlsx", "metadata": "pkg.json"})
    assert SnapshotFetcher(tmp_path).fetch(res).resource_id == "229056ab-d399-430e-96c5-a65665ad5e52"


def test_snapshot_unknown_resource_in_metadata(real_snapshot):
    res = TCD.model_copy(update={"resource": "nope", "path": f"{OP_INPUT}/3w_tcd_avr2025.xlsx",
                                 "metadata": f"{OP_INPUT}/chad-operational-presence.json"})
    with pytest.raises(FetchError, match="available"):
        SnapshotFetcher(real_snapshot).fetch(res)


def test_snapshot_mtime_fallback_and_state(tmp_path):
    f = tmp_path / "eth.csv"
    f.write_bytes(b"Region,Cluster\nAfar,WASH\n")
    res = Resource(id="eth", table="raw_presence", dataset="ethiopia-operational-presence", path="eth.csv")
    fetcher = SnapshotFetcher(tmp_path)
    got = fetcher.fetch(res)
    mtime = dt.datetime.fromtimestamp(f.stat().st_mtime, tz=dt.timezone.utc)
    assert got.dataset_id == got.dataset_name == "ethiopia-operational-presence"
    assert got.resource_id == got.resource_name == "eth.csv"
    assert dt.datetime.fromisoformat(got.resource_modified) == mtime.replace(microsecond=0)
    assert got.sha256 == sha(f) and got.url is None

    before = fetcher.state(res)
    f.write_bytes(b"Region,Cluster\nAfar,WASH\nAmhara,Health\n")
    assert fetcher.state(res).fingerprint != before.fingerprint


def test_snapshot_missing_file_and_path(tmp_path):
    fetcher = SnapshotFetcher(tmp_path)
    with pytest.raises(FetchError, match=r"snapshot file not found: .*somewhere/missing\.csv"):
        fetcher.fetch(Resource(id="x", table="t", dataset="d", path="somewhere/missing.csv"))
    with pytest.raises(FetchError, match="no snapshot path configured"):
        fetcher.fetch(Resource(id="x", table="t", dataset="d"))


def test_offline_never_touches_the_network(real_snapshot, monkeypatch):
    def no_network(*a, **k):
        raise AssertionError("network used in snapshot mode")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", no_network)
    cfg = Config(name="t", countries=["TCD"], sources=Sources())
    fetcher = make_fetcher(cfg, real_snapshot, live=False)
    assert fetcher.mode == "snapshot"
    res = TCD.model_copy(update={"path": f"{OP_INPUT}/3w_tcd_avr2025.xlsx", "metadata": f"{OP_INPUT}/chad-operational-presence.json"})
    assert fetcher.fetch(res).sha256 == sha(real_snapshot / res.path)
    assert fetcher.state(res).resource_modified == "2025-05-09T02:00:26.729611"


def test_factory_requires_a_source(data_dir):
    cfg = Config(name="t", countries=["TCD"], sources=Sources())
    with pytest.raises(ValueError, match="--snapshot.*--live"):
        make_fetcher(cfg, None, live=False)
    fetcher = make_fetcher(cfg, None, live=True)
    assert fetcher.mode == "live" and fetcher.cache_root == data_dir / "cache"


def test_slow_drip_download_stops_at_the_total_deadline(hdx, tmp_path):
    # Every read arrives well inside the per-read timeout; only a whole-download deadline stops it.
    from pipelines.lib.hdx.live import LiveFetcher

    settings = HdxSettings(url=hdx.url, timeout_seconds=2, retries=0, download_deadline_seconds=0.5)
    hdx.fail(TCD.resource, "drip")
    with pytest.raises(FetchError, match=r"longer than 0.5s in all \(hdx.download_deadline_seconds\)") as err:
        LiveFetcher(settings, tmp_path / "cache").fetch(TCD)
    assert TCD.resource in str(err.value)
    assert [p for p in (tmp_path / "cache").rglob("*") if p.is_file()] == []


def test_download_over_the_size_cap_is_refused(hdx, tmp_path):
    from pipelines.lib.hdx.live import LiveFetcher

    size = hdx.data_file(TCD.resource).stat().st_size
    settings = HdxSettings(url=hdx.url, timeout_seconds=5, retries=2, max_download_mb=size / 2 / (1 << 20))
    with pytest.raises(FetchError, match=r"over the limit of .* MB \(hdx.max_download_mb\)"):
        LiveFetcher(settings, tmp_path / "cache").fetch(TCD)
    assert hdx.downloads(TCD.resource) == 1  # a file too big is not retried
    assert [p for p in (tmp_path / "cache").rglob("*") if p.is_file()] == []
