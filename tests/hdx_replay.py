"""A loopback stand-in for HDX that replays REAL recorded CKAN answers and serves the real data files.

Everything is read from ../shared/hdx-snapshot at test time (nothing is copied into the repo):
the package_show JSON that OCHA-DAP scrapers recorded from HDX, and the files those resources pointed at.
Resource URLs are rewritten to this server, so a client that follows them never leaves 127.0.0.1.

    with HdxReplayServer() as hdx:
        settings = HdxSettings(url=hdx.url, timeout_seconds=1, retries=0)
        hdx.fail("3W_TCD_Avr2025", "http500")

hdx-python-api talks to CKAN through ckanapi, which POSTs JSON to /api/action/<action>;
/api/3/action/<action> and GET with a query string are accepted too.
"""
from __future__ import annotations

import copy
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlparse

from pipelines.lib.paths import shared_snapshot_dir
from tests.hdx_replay_writes import MAX_UPLOAD, WRITE_ACTIONS, CkanWrites, parse_multipart

OP_INPUT = "OCHA-DAP__hdx-scraper-operationalpresence/tests/fixtures/input"
METADATA_PATTERNS = ("*-operational-presence.json", "dataset-cod-ps-*.json", "*-humanitarian-needs.json")

# (dataset name, resource name) -> data file under the snapshot. The scrapers saved these under their own
# names; the cod-ps files follow Retrieve's "download-<slug>" naming and are matched by rule instead.
KNOWN_FILES = {
    ("somalia-operational-presence", "3W Operational Presence Dataset_January - April 2025.xlsx"):
        f"{OP_INPUT}/3w_operational_presence_dataset_january_april_2025.xlsx",
    ("chad-operational-presence", "3W_TCD_Avr2025"): f"{OP_INPUT}/3w_tcd_avr2025.xlsx",
    ("ethiopia-operational-presence", "3W August 2025.csv"): f"{OP_INPUT}/3w_august_2025.csv",
}

FAULTS = ("timeout", "http500", "truncated", "html", "drip")
MAX_BODY = 1 << 20  # request bodies are tiny CKAN calls; refuse anything bigger
CHUNK = 64 * 1024
HTML_PAGE = (
    b"<!DOCTYPE html>\n<html lang=\"en\"><head><title>HDX - Service unavailable</title></head>\n"
    b"<body><h1>We'll be back soon</h1><p>The Humanitarian Data Exchange is undergoing maintenance.</p></body></html>\n"
)


def _retrieve_name(resource_name: str) -> str:
    stem, dot, ext = resource_name.rpartition(".")
    if not dot:
        stem, ext = resource_name, ""
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    return f"download-{slug}.{ext.lower()}" if ext else f"download-{slug}"


class _Handler(BaseHTTPRequestHandler):
    timeout = 10  # socket timeout: a stuck client cannot pin a thread
    server_version = "HdxReplay/1"

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def _dispatch(self):
        replay: HdxReplayServer = self.server.replay  # type: ignore[attr-defined]
        url = urlparse(self.path)
        replay._record(self.command, url.path)
        try:
            m = re.fullmatch(r"/api(?:/3)?/action/(\w+)", url.path)
            if m:
                return self._action(replay, m.group(1), self._params(url))
            m = re.fullmatch(r"/download/([^/]+)/[^/]+", url.path)
            if m:
                return self._download(replay, unquote(m.group(1)))
            self._json(404, {"success": False, "error": {"__type": "Not Found Error", "message": "Not found"}})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeouts do that on purpose)

    def _params(self, url) -> dict:
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        self.files = {}
        length = int(self.headers.get("Content-Length") or 0)
        ctype = self.headers.get("Content-Type") or ""
        limit = MAX_UPLOAD if ctype.startswith("multipart/") else MAX_BODY  # uploads: publish-hdx's files
        if 0 < length <= limit:
            body = self.rfile.read(length)
            if "json" in ctype:
                params.update(json.loads(body or b"{}"))
            elif ctype.startswith("multipart/"):
                fields, self.files = parse_multipart(ctype, body)
                params.update(fields)
            else:
                params.update({k: v[-1] for k, v in parse_qs(body.decode()).items()})
        return params

    def _send(self, status: int, content_type: str, body: bytes):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: dict):
        self._send(status, "application/json;charset=utf-8", json.dumps(payload).encode())

    def _action(self, replay: HdxReplayServer, action: str, params: dict):
        help_url = f"{replay.url}/api/3/action/help_show?name={action}"
        if action == "package_show":
            pkg = replay._package_json(str(params.get("id", "")))
            if pkg is None:
                err = {"__type": "Not Found Error", "message": "Not found"}
                return self._json(404, {"help": help_url, "success": False, "error": err})
            return self._json(200, {"help": help_url, "success": True, "result": pkg})
        if action == "package_search":
            return self._json(200, {"help": help_url, "success": True, "result": replay._search(params)})
        if action == "vocabulary_show" and params.get("id") == "Topics":
            return self._json(200, {"help": help_url, "success": True, "result": replay.approved_vocabulary()})
        if action in WRITE_ACTIONS:
            status, payload = replay.write(action, params, self.files, self.headers)
            return self._json(status, {"help": help_url, **payload})
        err = {"__type": "Not Found Error", "message": f"Action name not known: {action}"}
        self._json(400, {"help": help_url, "success": False, "error": err})

    def _download(self, replay: HdxReplayServer, resource_id: str):
        if resource_id in replay.uploads:  # a file publish-hdx uploaded
            return self._send(200, "application/octet-stream", replay.uploads[resource_id])
        path, fault = replay._download_target(resource_id)
        if fault == "timeout":
            replay._stop.wait(replay.stall_seconds)  # say nothing until the client's timeout has passed
            return
        if fault == "http500":
            return self._send(500, "text/html", b"<html><body><h1>500 Internal Server Error</h1></body></html>")
        if fault == "html":
            return self._send(200, "text/html; charset=utf-8", HTML_PAGE)
        if path is None:
            return self._json(404, {"success": False, "error": {"message": "no recorded file for this resource"}})
        size = path.stat().st_size
        if fault == "drip":  # a few bytes at a time, each well inside the read timeout, until stopped
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            with open(path, "rb") as f:
                while (piece := f.read(16)) and not replay._stop.wait(0.05):
                    self.wfile.write(piece)
                    self.wfile.flush()
            self.close_connection = True
            return
        to_send = size // 2 if fault == "truncated" else size  # truncated: promise it all, send half, hang up
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        with open(path, "rb") as f:
            while to_send > 0:
                chunk = f.read(min(CHUNK, to_send))
                if not chunk:
                    break
                self.wfile.write(chunk)
                to_send -= len(chunk)
        self.close_connection = True


class HdxReplayServer(CkanWrites):
    """Serves recorded HDX metadata and files on 127.0.0.1 (random port) from a daemon thread; records and
    answers the write calls of `clusterwatch publish-hdx` (tests/hdx_replay_writes.py)."""

    def __init__(self, snapshot_root: Path | None = None, *, stall_seconds: float = 5.0, api_key: str | None = None):
        self.root = Path(snapshot_root) if snapshot_root else shared_snapshot_dir()
        self.stall_seconds = stall_seconds
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._faults: dict[str, str] = {}
        self._files: dict[str, Path] = {}
        self._packages: dict[str, dict] = {}
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)  # loopback only
        self._httpd.daemon_threads = True
        self._httpd.replay = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread: threading.Thread | None = None
        self.api_key = api_key  # when set, write calls must carry it (Authorization header), as on HDX
        self._init_writes()
        self._load()

    # ---- recorded data ------------------------------------------------------------------------

    def _load(self):
        for pattern in METADATA_PATTERNS:
            for meta in sorted(self.root.rglob(pattern)):
                pkg = json.loads(meta.read_text(encoding="utf-8"))
                if "result" in pkg and "success" in pkg:  # a full API envelope was recorded
                    pkg = pkg["result"]
                if pkg.get("name") in self._packages:
                    continue
                for r in pkg.get("resources", []):
                    data = self._data_file(pkg["name"], r["name"], meta.parent)
                    if data is not None:
                        self._files[r["id"]] = data
                    file_name = data.name if data else (Path(urlparse(r["url"]).path).name or "file")
                    r["url"] = f"{self.url}/download/{r['id']}/{quote(file_name)}"
                self._packages[pkg["name"]] = pkg

    def _data_file(self, dataset: str, resource: str, folder: Path) -> Path | None:
        known = KNOWN_FILES.get((dataset, resource))
        if known:
            return self.root / known
        candidate = folder / _retrieve_name(resource)
        return candidate if candidate.is_file() else None

    def _find(self, resource: str) -> tuple[dict, dict]:
        """(package, resource) for a resource id or name; names must be unique across packages."""
        hits = [(p, r) for p in self._packages.values() for r in p["resources"] if resource in (r["id"], r["name"])]
        if len(hits) != 1:
            raise KeyError(f"{len(hits)} recorded resources match {resource!r}")
        return hits[0]

    def _package_json(self, id_or_name: str) -> dict | None:
        with self._lock:
            for p in self._packages.values():
                if id_or_name in (p["name"], p["id"]):
                    return copy.deepcopy(p)
        return None

    def _search(self, params: dict) -> dict:
        q = str(params.get("q") or "*:*")
        fq = str(params.get("fq") or "")
        filters = [(k, a if a else b) for k, a, b in re.findall(r'(\w+):(?:"([^"]*)"|(\S+))', fq)]
        with self._lock:
            found = [p for p in self._packages.values() if _matches(p, q, filters)]
            if "metadata_modified desc" in str(params.get("sort") or ""):
                found.sort(key=lambda p: p.get("metadata_modified") or "", reverse=True)
            start = int(params.get("start") or 0)
            rows = int(params.get("rows") or 10)
            page = copy.deepcopy(found[start : start + rows])
        return {"count": len(found), "results": page, "facets": {}, "search_facets": {}, "sort": params.get("sort")}

    def _download_target(self, resource_id: str) -> tuple[Path | None, str | None]:
        with self._lock:
            return self._files.get(resource_id), self._faults.get(resource_id)

    def _record(self, method: str, path: str):
        with self._lock:
            self.requests.append((method, path))

    # ---- test controls ------------------------------------------------------------------------

    def fail(self, resource: str, mode: str | None):
        """Make downloads of one resource (id or name) fail: timeout, http500, truncated, html; None heals it."""
        if mode is not None and mode not in FAULTS:
            raise ValueError(f"unknown fault {mode!r}; expected one of {FAULTS}")
        _, r = self._find(resource)
        with self._lock:
            if mode is None:
                self._faults.pop(r["id"], None)
            else:
                self._faults[r["id"]] = mode

    def set_last_modified(self, resource: str, value: str):
        """Pretend the resource was re-uploaded: CKAN bumps the dataset's metadata_modified as well."""
        p, r = self._find(resource)
        with self._lock:
            r["last_modified"] = value
            p["metadata_modified"] = max(p.get("metadata_modified") or "", value)

    def resource(self, resource: str) -> dict:
        return copy.deepcopy(self._find(resource)[1])

    def package(self, name: str) -> dict:
        pkg = self._package_json(name)
        if pkg is None:
            raise KeyError(name)
        return pkg

    def data_file(self, resource: str) -> Path:
        return self._files[self._find(resource)[1]["id"]]

    def hits(self, path_prefix: str = "") -> int:
        with self._lock:
            return sum(1 for _, p in self.requests if p.startswith(path_prefix))

    def downloads(self, resource: str) -> int:
        return self.hits(f"/download/{self._find(resource)[1]['id']}/")

    # ---- lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> HdxReplayServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="hdx-replay", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()  # wake any stalled 'timeout' handler
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)


def _matches(pkg: dict, q: str, filters: list[tuple[str, str]]) -> bool:
    for field, value in filters:
        if field == "tags":
            ok = value in {t.get("name") for t in pkg.get("tags") or []}
        elif field == "groups":
            ok = value.lower() in {(g.get("name") or "").lower() for g in pkg.get("groups") or []}
        else:
            ok = str(pkg.get(field)) == value
        if not ok:
            return False
    if q.strip() in ("", "*:*"):
        return True
    text = " ".join(str(pkg.get(k) or "") for k in ("name", "title", "notes")).lower()
    return all(term in text for term in q.lower().split())
