"""The write side of the loopback CKAN (tests/hdx_replay.py): what `clusterwatch publish-hdx` calls.

hdx-python-api 6 creates a dataset with package_create and then sends metadata and files with
package_revise (multipart, `update__resources__<i>__upload` fields); package_update, resource_create and
resource_update are answered too, with CKAN's semantics. Every write is recorded (action, dataset,
uploaded resource names) so tests can assert the sequence, and every write must carry the API key the
test configured (HTTP 403 otherwise), as on HDX.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP

WRITE_ACTIONS = ("package_create", "package_update", "package_revise", "resource_create", "resource_update",
                 "package_create_default_resource_views", "package_resource_reorder")
APPROVED_VOCABULARY = "Topics"
MAX_UPLOAD = 256 << 20


@dataclass
class Write:
    action: str
    dataset: str
    uploaded: list[str] = field(default_factory=list)  # resource names whose file was sent
    data: dict = field(default_factory=dict)


def parse_multipart(content_type: str, body: bytes) -> tuple[dict, dict[str, bytes]]:
    """Form fields and files of a multipart/form-data body (what ckanapi sends with files)."""
    msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    fields, files = {}, {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            files[name] = payload
        else:
            fields[name] = payload.decode("utf-8")
    return fields, files


def merge(orig: dict, update: dict) -> dict:
    """CKAN package_revise's `update`: dicts merge key by key, lists of dicts merge element by element (index),
    longer lists append; anything else replaces."""
    for k, v in update.items():
        if isinstance(v, dict) and isinstance(orig.get(k), dict):
            merge(orig[k], v)
        elif isinstance(v, list) and isinstance(orig.get(k), list):
            for i, item in enumerate(v):
                if i < len(orig[k]) and isinstance(item, dict) and isinstance(orig[k][i], dict):
                    merge(orig[k][i], item)
                elif i < len(orig[k]):
                    orig[k][i] = item
                else:
                    orig[k].append(item)
        else:
            orig[k] = v
    return orig


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def _json_field(value, default):
    if value is None or value == "":
        return default
    return json.loads(value) if isinstance(value, str) else value


class CkanWrites:
    """Mixed into HdxReplayServer: packages created here live beside the recorded ones."""

    api_key: str | None = None
    uploads: dict[str, bytes]
    writes: list[Write]

    def _init_writes(self):
        self.uploads = {}  # resource id -> the bytes last uploaded
        self.writes = []

    def approved_vocabulary(self) -> dict:
        """HDX's approved tags: here, every tag the recorded (real) packages carry."""
        tags, vid = {}, None
        for p in self._packages.values():
            for t in p.get("tags") or []:
                tags[t["name"]] = t
                vid = vid or t.get("vocabulary_id")
        return {"id": vid or str(uuid.uuid4()), "name": APPROVED_VOCABULARY,
                "tags": [{"id": str(uuid.uuid5(uuid.NAMESPACE_URL, n)), "name": n, "vocabulary_id": vid}
                         for n in sorted(tags)]}

    def write(self, action: str, params: dict, files: dict[str, bytes], headers) -> tuple[int, dict]:
        if self.api_key and headers.get("Authorization") != self.api_key:
            return 403, {"success": False, "error": {"__type": "Authorization Error", "message": "Access denied"}}
        with self._lock:
            handler = getattr(self, f"_w_{action}")
            return handler(params, files)

    # -- packages ----------------------------------------------------------------------------------------
    def _store(self, pkg: dict, files_by_index: dict[int, bytes]) -> list[str]:
        uploaded = []
        for i, r in enumerate(pkg.get("resources") or []):
            r.setdefault("id", str(uuid.uuid4()))
            r["package_id"] = pkg["id"]
            r["position"] = i
            if i in files_by_index:
                self.uploads[r["id"]] = files_by_index[i]
                r["url"] = f"{self.url}/download/{r['id']}/{r.get('name', 'file')}"
                r["url_type"], r["resource_type"] = "upload", "file.upload"  # as CKAN marks an uploaded file
                r["last_modified"] = _now()
                uploaded.append(r.get("name"))
        pkg["num_resources"] = len(pkg.get("resources") or [])
        pkg["metadata_modified"] = _now()
        self._packages[pkg["name"]] = pkg
        return uploaded

    def _find_pkg(self, id_or_name: str) -> dict | None:
        return next((p for p in self._packages.values() if id_or_name in (p["name"], p.get("id"))), None)

    def _w_package_create(self, params, files):
        if self._find_pkg(params.get("name", "")):
            return 409, {"success": False, "error": {"name": ["That URL is already in use."]}}
        pkg = {k: v for k, v in params.items() if k != "resources"}
        pkg.update(id=str(uuid.uuid4()), state="active", metadata_created=_now(),
                   resources=copy.deepcopy(params.get("resources") or []))
        self._store(pkg, {})
        self.writes.append(Write("package_create", pkg["name"], [], copy.deepcopy(params)))
        return 200, {"success": True, "result": copy.deepcopy(pkg)}

    def _w_package_update(self, params, files):
        pkg = self._find_pkg(params.get("id") or params.get("name") or "")
        if pkg is None:
            return 404, {"success": False, "error": {"__type": "Not Found Error", "message": "Not found"}}
        new = {**params, "id": pkg["id"], "metadata_created": pkg.get("metadata_created")}
        self._store(new, {})
        self.writes.append(Write("package_update", new["name"], [], copy.deepcopy(params)))
        return 200, {"success": True, "result": copy.deepcopy(new)}

    def _w_package_revise(self, params, files):
        match = _json_field(params.get("match"), {})
        pkg = self._find_pkg(match.get("id") or match.get("name") or "")
        if pkg is None:
            return 404, {"success": False, "error": {"__type": "Not Found Error", "message": "Not found"}}
        new = copy.deepcopy(pkg)
        for key in _json_field(params.get("filter"), []):  # "-key" or "-resources__3": remove
            name, _, index = key.lstrip("-").partition("__")
            if index and isinstance(new.get(name), list) and int(index) < len(new[name]):
                del new[name][int(index)]
            elif not index:
                new.pop(name, None)
        merge(new, _json_field(params.get("update"), {}))
        new["id"], new["name"] = pkg["id"], new.get("name") or pkg["name"]
        by_index = {int(k.split("__")[2]): v for k, v in files.items() if k.startswith("update__resources__")}
        uploaded = self._store(new, by_index)
        self.writes.append(Write("package_revise", new["name"], uploaded, _json_field(params.get("update"), {})))
        return 200, {"success": True, "result": {"package": copy.deepcopy(new)}}

    # -- resources ---------------------------------------------------------------------------------------
    def _w_resource_create(self, params, files):
        pkg = self._find_pkg(params.get("package_id", ""))
        if pkg is None:
            return 404, {"success": False, "error": {"__type": "Not Found Error", "message": "Not found"}}
        res = {k: v for k, v in params.items()}
        pkg.setdefault("resources", []).append(res)
        uploaded = self._store(pkg, {len(pkg["resources"]) - 1: files["upload"]} if "upload" in files else {})
        self.writes.append(Write("resource_create", pkg["name"], uploaded, copy.deepcopy(params)))
        return 200, {"success": True, "result": copy.deepcopy(res)}

    def _w_resource_update(self, params, files):
        for pkg in self._packages.values():
            for i, r in enumerate(pkg.get("resources") or []):
                if r.get("id") == params.get("id"):
                    pkg["resources"][i] = {**params, "id": r["id"]}
                    uploaded = self._store(pkg, {i: files["upload"]} if "upload" in files else {})
                    self.writes.append(Write("resource_update", pkg["name"], uploaded, copy.deepcopy(params)))
                    return 200, {"success": True, "result": copy.deepcopy(pkg["resources"][i])}
        return 404, {"success": False, "error": {"__type": "Not Found Error", "message": "Not found"}}

    def _w_package_create_default_resource_views(self, params, files):
        return 200, {"success": True, "result": []}

    def _w_package_resource_reorder(self, params, files):
        return 200, {"success": True, "result": {"id": params.get("id"), "order": params.get("order") or []}}
