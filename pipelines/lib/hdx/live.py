"""Live backend: look datasets up on HDX with hdx-python-api and download resources into the cache.

Everything that can hang is bounded by our settings: hdx-python-api's default session retries
five times with back-off (~30 s) and ckanapi sends no timeout at all, so we hand the library our
own session instead. Downloads are written to a temp file, checked, then moved into place, so a
failed attempt never damages the last good copy.
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import socket
import tempfile
import time
from pathlib import Path

import requests
import urllib3
from ckanapi.errors import CKANAPIError
from hdx.api.configuration import Configuration
from hdx.data.dataset import Dataset
from hdx.data.hdxobject import HDXError
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from pipelines.lib.config import HdxSettings, Resource
from pipelines.lib.files import CHUNK, sha256_file
from pipelines.lib.hdx import FetchedFile, ResourceState, fetch_error
from pipelines.lib.hdx.snapshot import url_basename
from pipelines.lib.paths import cache_dir

# Formats whose body can never legitimately be an HTML page (HDX serves a login/error page with 200 at times).
DATA_FORMATS = {"csv", "tsv", "txt", "xlsx", "xls", "xlsm", "ods", "json", "geojson", "zip"}
RETRY_STATUS = (429, 500, 502, 503, 504)


class BoundedSession(requests.Session):
    """A session whose every request carries our timeout; urllib3 retries only `retries` times."""

    def __init__(self, timeout: float, retries: int, user_agent: str):
        super().__init__()
        self.timeout = timeout
        self.headers["User-Agent"] = user_agent
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            backoff_factor=0.5,
            backoff_max=5,
            status_forcelist=RETRY_STATUS,
            allowed_methods=None,  # CKAN reads are POSTs; they are safe to repeat
            raise_on_status=False,  # hand back the last 5xx so the error can say "HTTP 500"
        )
        adapter = HTTPAdapter(max_retries=retry)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(self, method, url, **kwargs):
        # ckanapi passes timeout=None unless CKANAPI_REQUEST_TIMEOUT is set: ours always wins.
        kwargs["timeout"] = self.timeout
        return super().request(method, url, **kwargs)


def make_configuration(settings: HdxSettings) -> Configuration:
    """A private read-only Configuration (not the global singleton). Builds objects only: no network."""
    kwargs = {
        "hdx_site": settings.site,
        "hdx_read_only": True,
        "user_agent": settings.user_agent,
        # Non-empty so the library does not merge in a user's ~/.hdx_configuration.yaml.
        "hdx_config_dict": {"hdx_read_only": True},
    }
    if settings.url:
        # hdx_url overrides hdx_site (site becomes "hdx_custom_site"); explicit beats the HDX_URL env var.
        kwargs["hdx_url"] = settings.url
    configuration = Configuration(**kwargs)
    session = BoundedSession(settings.timeout_seconds, settings.retries, configuration.get_user_agent())
    configuration.setup_session_remoteckan(session=session)
    return configuration


class _AttemptFailed(Exception):
    def __init__(self, message: str, transient: bool):
        super().__init__(message)
        self.transient = transient


def _is_timeout(exc: BaseException) -> bool:
    e: BaseException | None = exc
    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, (requests.Timeout, socket.timeout, TimeoutError)) or "timed out" in str(e).lower():
            return True
        e = e.__cause__ or e.__context__
    return False


def _describe(exc: BaseException, timeout: float) -> str:
    """One line naming the real cause under hdx-python-api's wrappers."""
    if _is_timeout(exc):
        return f"timed out after {timeout:g}s"
    e: BaseException | None = exc
    while e is not None:
        if isinstance(e, CKANAPIError) and e.args and str(e.args[0]).startswith("["):
            try:
                url, status, body = ast.literal_eval(str(e.args[0]))
                return f"HTTP {status} from {url}: {str(body)[:120]!r}"
            except (ValueError, SyntaxError):
                pass
        if e.__cause__ is None and e.__context__ is None:
            return f"{type(e).__name__}: {str(e)[:200]}"
        e = e.__cause__ or e.__context__
    return str(exc)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "download"


def _format(resource: dict) -> str:
    fmt = (resource.get("format") or "").strip().lower()
    if fmt:
        return fmt
    for n in (resource.get("name") or "", url_basename(resource.get("url"))):
        if "." in n:
            return n.rsplit(".", 1)[1].lower()
    return ""


def _file_name(resource: dict) -> str:
    name = url_basename(resource.get("url"))
    if "." not in name:  # e.g. Google Drive "uc?export=download": name it after the resource
        name = resource.get("name") or resource.get("id") or "download"
        fmt = _format(resource)
        if fmt and not name.lower().endswith("." + fmt):
            name = f"{name}.{fmt}"
    return _safe(name)


def _looks_html(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith(b"<!doctype html") or start.startswith(b"<html")


def _too_big(size: int, settings: HdxSettings, more: bool = False) -> str:
    return (f"the file is {'over ' if more else ''}{size / (1 << 20):,.1f} MB, over the limit of "
            f"{settings.max_download_mb:g} MB (hdx.max_download_mb)")


def _bounded_chunks(r: requests.Response, deadline: float, settings: HdxSettings):
    """The body as it arrives, one socket read at a time, until EOF or the whole-download deadline.

    iter_content waits for full chunks, so a server dripping a byte per second never trips the per-read
    timeout; read1 returns after each read, so the deadline is checked as often as data comes."""
    while True:
        if time.monotonic() > deadline:
            raise _AttemptFailed(f"the download took longer than {settings.download_deadline_seconds:g}s in all "
                                 "(hdx.download_deadline_seconds)", transient=True)
        try:
            chunk = r.raw.read1(CHUNK, decode_content=True)
        except (urllib3.exceptions.HTTPError, OSError) as e:
            # What iter_content would have raised (requests wraps the same urllib3 errors).
            if _is_timeout(e):
                raise requests.exceptions.ConnectionError(e) from e
            raise requests.exceptions.ChunkedEncodingError(e) from e
        if not chunk:
            return
        yield chunk


class LiveFetcher:
    mode = "live"

    def __init__(self, settings: HdxSettings, cache_root: Path | None = None):
        self.settings = settings
        self.cache_root = Path(cache_root) if cache_root else cache_dir()
        self.configuration = make_configuration(settings)
        # Downloads retry in our own loop (a truncated body is invisible to urllib3's retries).
        self._download = BoundedSession(settings.timeout_seconds, 0, self.configuration.get_user_agent())

    # ---- lookup -------------------------------------------------------------------------------

    def _dataset(self, res: Resource) -> Dataset:
        site = self.configuration.get_hdx_site_url()
        try:
            ds = self._search(res) if res.search else Dataset.read_from_hdx(res.dataset, configuration=self.configuration)
        except (HDXError, CKANAPIError, requests.RequestException) as e:
            raise fetch_error(res, f"HDX lookup failed at {site}: {_describe(e, self.settings.timeout_seconds)}") from e
        if ds is None:
            raise fetch_error(res, f"dataset not found on HDX ({site})")
        return ds

    def _search(self, res: Resource) -> Dataset | None:
        s = res.search
        fq = [f'tags:"{t}"' for t in s.tags]
        country = s.country or res.country
        if country:
            fq.append(f"groups:{country.lower()}")
        kwargs = {"rows": 100, "sort": "metadata_modified desc"}
        if fq:
            kwargs["fq"] = " AND ".join(fq)
        found = Dataset.search_in_hdx(s.query or "*:*", configuration=self.configuration, **kwargs)
        if not found:
            raise fetch_error(res, f"no HDX dataset matches the search (q={s.query or '*:*'!r}, fq={kwargs.get('fq')!r})")
        return max(found, key=lambda d: d.get("metadata_modified") or "")

    def _resource(self, res: Resource, ds: Dataset) -> dict:
        resources = ds.get_resources()
        wanted = res.resource_name.casefold()
        for r in resources:
            if (r.get("name") or "").casefold() == wanted:
                return r.data
        names = [r.get("name") for r in resources]
        raise fetch_error(res, f"no resource with that name in HDX dataset {ds.get('name')!r}; available: {names}")

    # ---- download -----------------------------------------------------------------------------

    def _download_once(self, url: str, dest_dir: Path, fmt: str) -> tuple[Path, str]:
        deadline = time.monotonic() + self.settings.download_deadline_seconds
        fd, tmp_name = tempfile.mkstemp(dir=dest_dir, prefix=".", suffix=".part")
        tmp = Path(tmp_name)
        received, expected = 0, None
        try:
            with os.fdopen(fd, "wb") as out, self._download.get(url, stream=True) as r:
                if r.status_code != 200:
                    raise _AttemptFailed(f"HTTP {r.status_code} {r.reason}", transient=r.status_code in RETRY_STATUS)
                expected = r.headers.get("Content-Length")
                cap = int(self.settings.max_download_mb * (1 << 20))
                if expected is not None and expected.isdigit() and int(expected) > cap:
                    raise _AttemptFailed(_too_big(int(expected), self.settings), transient=False)
                h = hashlib.sha256()
                head = b""
                for chunk in _bounded_chunks(r, deadline, self.settings):
                    if len(head) < 1024:
                        head += chunk[: 1024 - len(head)]
                        if len(head) >= 1024 and fmt in DATA_FORMATS and _looks_html(head):
                            break  # no need to fetch the rest of an error page
                    out.write(chunk)
                    h.update(chunk)
                    received += len(chunk)
                    if received > cap:
                        raise _AttemptFailed(_too_big(received, self.settings, more=True), transient=False)
                wire = r.raw.tell()  # bytes on the wire (before any gzip decoding)
            if fmt in DATA_FORMATS and _looks_html(head):
                raise _AttemptFailed(f"got an HTML page instead of the expected {fmt.upper()} file", transient=False)
            if expected is not None and int(expected) != wire:
                raise _AttemptFailed(f"truncated body: got {wire} of {expected} bytes", transient=True)
            if received == 0:
                raise _AttemptFailed("empty body", transient=True)
            return tmp, h.hexdigest()
        except requests.exceptions.ChunkedEncodingError as e:
            tmp.unlink(missing_ok=True)
            if _is_timeout(e):
                raise _AttemptFailed(f"timed out after {self.settings.timeout_seconds:g}s", transient=True) from e
            of = f" of {expected}" if expected else ""
            raise _AttemptFailed(f"truncated body: connection closed before all{of} bytes arrived", transient=True) from e
        except requests.RequestException as e:
            tmp.unlink(missing_ok=True)
            raise _AttemptFailed(_describe(e, self.settings.timeout_seconds), transient=True) from e
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def _download_verified(self, res: Resource, url: str, dest: Path, fmt: str) -> str:
        dest.parent.mkdir(parents=True, exist_ok=True)
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            try:
                tmp, sha = self._download_once(url, dest.parent, fmt)
            except _AttemptFailed as e:
                if not e.transient or attempt == attempts - 1:
                    tries = f" (after {attempt + 1} attempts)" if attempt else ""
                    raise fetch_error(res, f"download failed{tries}: {e} [{url}]") from e
                time.sleep(min(0.5 * 2**attempt, 5))
                continue
            os.replace(tmp, dest)  # atomic: readers see the old file or the new one, never half of one
            return sha
        raise AssertionError("unreachable")

    def fetch(self, res: Resource) -> FetchedFile:
        ds = self._dataset(res)
        r = self._resource(res, ds)
        url = r.get("url")
        if not url:
            raise fetch_error(res, "the HDX resource has no URL")
        last_modified = r.get("last_modified")
        dest = self.cache_root / _safe(ds["name"]) / _safe(r["id"]) / _file_name(r)
        sidecar = dest.with_name(dest.name + ".meta.json")

        # Saved-downloads behaviour (like hdx-python-utilities' Retrieve, but keyed on last_modified):
        # reuse the cached file when HDX says the resource has not changed and the file is intact.
        sha = None
        if last_modified and dest.is_file() and sidecar.is_file():
            try:
                meta = json.loads(sidecar.read_text(encoding="utf-8"))
            except ValueError:
                meta = {}
            if (meta.get("url"), meta.get("last_modified"), meta.get("size")) == (url, last_modified, dest.stat().st_size):
                cached = sha256_file(dest)
                sha = cached if cached == meta.get("sha256") else None
        if sha is None:
            sha = self._download_verified(res, url, dest, _format(r))
            meta = {"url": url, "last_modified": last_modified, "sha256": sha, "size": dest.stat().st_size}
            tmp = sidecar.with_name(sidecar.name + ".part")
            tmp.write_text(json.dumps(meta, indent=1), encoding="utf-8")
            os.replace(tmp, sidecar)

        return FetchedFile.from_ckan(dest, sha, ds, r, res)

    def state(self, res: Resource) -> ResourceState:
        ds = self._dataset(res)
        r = self._resource(res, ds)
        return ResourceState.from_ckan(ds, r, f"{r['id']}|{r.get('last_modified')}|{r.get('size')}")
