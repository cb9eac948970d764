"""Talking to HDX for publish-hdx: the writable Configuration, the current state, and the upload.

The API key comes only from the environment (HDX_KEY) and is handed to hdx-python-api, never printed:
messages here name datasets and resources, not request headers. hdx-python-api keeps some look-ups in
class-level caches that it would fill by downloading spreadsheets from outside HDX (tag clean-up and
file-format lists); we seed those caches with our configured tags and our two formats, so the only
server contacted is the configured CKAN. Tags are still checked against HDX's approved vocabulary.
"""
from __future__ import annotations

import datetime as dt
import os
from contextlib import contextmanager
from dataclasses import dataclass

from pipelines.hdx_publish.plan import PlannedDataset, PlannedResource
from pipelines.lib.config import HdxPublishSettings, HdxSettings

KEY_ENV = "HDX_KEY"
FORMATS = {"csv": "csv", "parquet": "parquet"}


class HdxPublishError(RuntimeError):
    """A clear, one-line reason publish-hdx stopped (no secret in it)."""


@dataclass
class ResourceChange:
    name: str
    change: str  # new, changed, unchanged, removed, unknown


@dataclass
class DatasetChange:
    name: str
    action: str  # create, update, unknown
    resources: list[ResourceChange]
    note: str = ""


def api_key(required: bool) -> str | None:
    key = os.environ.get(KEY_ENV) or None
    if required and not key:
        raise HdxPublishError(f"set the {KEY_ENV} environment variable to your HDX API key (it is read from "
                              "nowhere else)")
    return key


@contextmanager
def hdx_session(settings: HdxSettings, key: str | None):
    """A Configuration for the configured HDX site, made the library's global for the duration (its tag
    checks read the global one), with the download-a-spreadsheet caches seeded and restored afterwards."""
    from hdx.api.configuration import Configuration
    from hdx.data.resource import Resource
    from hdx.data.vocabulary import Vocabulary

    from pipelines.lib.hdx.live import BoundedSession

    kwargs = {"hdx_site": settings.site, "hdx_read_only": key is None, "user_agent": settings.user_agent,
              "hdx_config_dict": {"hdx_read_only": key is None}}
    if key:
        kwargs["hdx_key"] = key
    if settings.url:
        kwargs["hdx_url"] = settings.url
    configuration = Configuration(**kwargs)
    configuration.setup_session_remoteckan(
        session=BoundedSession(settings.timeout_seconds, settings.retries, configuration.get_user_agent()))
    saved = (Configuration._configuration, Vocabulary._tags_dict, Vocabulary._approved_vocabulary,
             Resource._formats_dict)
    Configuration._configuration = configuration
    Resource.set_formatsdict(dict(FORMATS))
    try:
        yield configuration
    finally:
        (Configuration._configuration, Vocabulary._tags_dict, Vocabulary._approved_vocabulary,
         Resource._formats_dict) = saved


def check_tags(settings: HdxPublishSettings, configuration) -> None:
    """Every configured tag must be one HDX approves (vocabulary_show on the configured site)."""
    from hdx.data.vocabulary import Vocabulary

    approved = set(Vocabulary.approved_tags(configuration=configuration))
    bad = [t for t in settings.tags if t.lower() not in approved]
    if bad:
        raise HdxPublishError(f"hdx_publish.tags: {bad} are not HDX-approved tags; pick from the approved list")
    Vocabulary.set_tagsdict({t.lower(): {"Action to Take": "ok", "New Tag(s)": None} for t in settings.tags})


def file_hash(r: PlannedResource) -> str:
    """The hash hdx-python-api stores on a resource and compares before uploading."""
    from hdx.utilities.file_hashing import get_size_and_hash

    return get_size_and_hash(r.path, r.format)[1]


def current_state(planned: PlannedDataset, configuration) -> DatasetChange:
    """What HDX holds now for this dataset, compared resource by resource (by name and file hash)."""
    from hdx.data.dataset import Dataset

    existing = Dataset.read_from_hdx(planned.name, configuration=configuration)
    if existing is None:
        return DatasetChange(planned.name, "create", [ResourceChange(r.name, "new") for r in planned.resources])
    remote = {r["name"]: r for r in existing.get_resources()}
    changes = [ResourceChange(r.name, "new" if r.name not in remote else
                              ("unchanged" if remote[r.name].get("hash") == file_hash(r) else "changed"))
               for r in planned.resources]
    names = {r.name for r in planned.resources}
    changes += [ResourceChange(n, "removed") for n in remote if n not in names]
    return DatasetChange(planned.name, "update", changes)


def build_dataset(planned: PlannedDataset, settings: HdxPublishSettings, configuration):
    from hdx.data.dataset import Dataset
    from hdx.data.resource import Resource

    ds = Dataset({
        "name": planned.name, "title": planned.title, "notes": planned.notes,
        "owner_org": settings.organisation, "maintainer": settings.maintainer, "license_id": settings.license_id,
        "methodology": "Other", "methodology_other": settings.methodology_other, "caveats": settings.caveats,
        "dataset_source": settings.dataset_source, "private": settings.private,
        "data_update_frequency": str(settings.data_update_frequency),
    }, configuration=configuration)
    ds["groups"] = [{"name": planned.country.lower() if planned.country else "world"}]
    if planned.start and planned.end:
        # dataset_date: hdx-python-api wants datetimes (whole days, start and end inclusive)
        ds.set_time_period(dt.datetime.combine(planned.start, dt.time()), dt.datetime.combine(planned.end, dt.time()))
    ds.add_tags(settings.tags)
    for r in planned.resources:
        res = Resource({"name": r.name, "description": r.description, "format": r.format}, configuration=configuration)
        res.set_file_to_upload(str(r.path))
        ds.add_update_resource(res)
    return ds


def upload(planned: PlannedDataset, settings: HdxPublishSettings, configuration) -> dict:
    """Create or update the dataset; hdx-python-api sends a file only when its hash differs from HDX's."""
    ds = build_dataset(planned, settings, configuration)
    try:
        return ds.create_in_hdx(remove_additional_resources=True, create_default_views=False,
                                updated_by_script="clusterwatch publish-hdx")
    except Exception as e:  # noqa: BLE001 - hdx-python-api wraps every CKAN failure; report it in one line
        cause = e.__cause__ or e
        raise HdxPublishError(f"{planned.name}: {type(e).__name__}: {str(e)[:200]} ({str(cause)[:200]})") from None
