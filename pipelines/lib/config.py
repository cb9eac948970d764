"""The one configuration information managers edit: countries, datasets, 4W column mappings.

YAML validated by pydantic. Errors name the file, the key and what was expected.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipelines.lib.config_admin_names import AdminLevelNames, AdminNames  # noqa: F401 - re-exported
from pipelines.lib.config_safety import ReadLimits, inside_root
from pipelines.lib.config_sectors import SectorAlias
from pipelines.lib.duckdb_settings import DuckDBSettings

# Canonical fields a 3W/4W column mapping may fill. raw.presence has exactly these columns.
PRESENCE_FIELDS = (
    "admin1_code",
    "admin1_name",
    "admin2_code",
    "admin2_name",
    "admin3_code",  # Ethiopia's 4W reports woredas (admin 3); admin 2 derives from the p-code
    "admin3_name",
    "org_name",
    "org_acronym",
    "org_type",
    "sector",
    "status",
    "start_date",
    "end_date",
    "people_targeted",
    "people_reached",
)
# What a 3W/4W mapping must fill: each required field, an organisation (name or acronym) and an admin column.
PRESENCE_REQUIRED = ("sector",)
PRESENCE_ORG_FIELDS = ("org_name", "org_acronym")
PRESENCE_ADMIN_FIELDS = tuple(f for f in PRESENCE_FIELDS if f.startswith("admin"))

SAMPLE_SNAPSHOT = "@sample"

SOURCE_KINDS = ("presence", "needs", "funding", "flows", "admin", "population", "vocabularies")
# Kinds loaded one country partition at a time (per-country files); the others load globally.
PARTITIONED_KINDS = ("presence", "needs")


class ConfigError(ValueError):
    """A configuration problem, worded for the person who edits the YAML."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Layout(_Strict):
    """How to read a tabular file."""

    format: Literal["auto", "csv", "xlsx", "ods", "fts_json"] = "auto"  # fts_json: readers/fts_json.py
    sheet: str | None = None
    header_row: int = Field(1, ge=1, description="1-based row holding the column names")
    group_header_row: int | None = Field(
        None, ge=1, description="row above the header naming column groups; prefixed to repeated names"
    )
    hxl: Literal["auto", "none"] = "auto"
    encoding: str | None = None
    null_values: list[str] = Field(default_factory=lambda: ["", "-", "<Null>", "NULL", "#N/A"])

    @model_validator(mode="after")
    def _group_above_header(self):
        if self.group_header_row is not None and self.group_header_row >= self.header_row:
            raise ValueError("group_header_row must be above header_row")
        return self


class Period(_Strict):
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self):
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class DatasetSearch(_Strict):
    """Find the dataset on HDX by tag and country instead of by name (live mode only)."""

    tags: list[str] = Field(default_factory=list)
    country: str | None = None
    query: str | None = None


class Resource(_Strict):
    """One file to ingest: where it lives on HDX and in a snapshot, and how to read it."""

    id: str = Field(pattern=r"^[a-z0-9_]+$", description="stable key, used in lineage and the load log")
    table: str = Field(pattern=r"^[a-z0-9_]+$", description="raw table the rows land in")
    dataset: str = Field(description="HDX dataset name or id")
    resource: str | None = Field(None, description="HDX resource name (live mode); default: the file name of path")
    search: DatasetSearch | None = None
    path: str | None = Field(None, description="path under the snapshot root")
    metadata: str | None = Field(None, description="CKAN package_show JSON under the snapshot root")
    country: str | None = Field(None, description="ISO3, for a per-country file")
    country_column: str | None = Field(None, description="column holding ISO3 in a multi-country file")
    year: int | None = None
    reference_period: Period | None = None
    layout: Layout = Field(default_factory=Layout)
    columns: dict[str, str] | None = Field(
        None, description="3W/4W mapping: canonical field -> HXL hashtag pattern (#adm1+code) or column name"
    )
    constants: dict[str, str] = Field(default_factory=dict, description="fixed values for fields the file lacks")
    # How figures are written: en 1,234.5; fr 1.234,5; plain 1234.5. '1.234' in en is reported, never guessed.
    number_format: Literal["en", "fr", "plain"] = "en"
    # This file's own read limits, over the config's (a sheet with a runaway used range: suggest-4w writes it).
    limits: dict[str, int | float] = Field(default_factory=dict, description="read limits for this file only")
    allow_outside_snapshot: bool = False  # path/metadata may be absolute or climb out with '..' (a trusted file)

    @model_validator(mode="after")
    def _inside_snapshot(self):
        for key, value in (("path", self.path), ("metadata", self.metadata)):
            if value and not self.allow_outside_snapshot and not inside_root(value):
                raise ValueError(f"{key} {value!r} leaves the snapshot root (absolute, or '..'); use a path under "
                                 "the snapshot, or set allow_outside_snapshot: true for a file you trust")
        return self

    @field_validator("limits")
    @classmethod
    def _known_limits(cls, v):
        ReadLimits.model_validate(v)  # unknown names and out-of-range values fail here, at config load
        return v

    @field_validator("country")
    @classmethod
    def _iso3(cls, v):
        if v is not None and (len(v) != 3 or not v.isalpha() or not v.isupper()):
            raise ValueError(f"expected an upper-case ISO3 code, got {v!r}")
        return v

    def read_limits(self, base: ReadLimits | None = None) -> ReadLimits:
        """The config's read limits with this file's own over them."""
        return ReadLimits.model_validate({**(base or ReadLimits()).model_dump(), **self.limits})

    @property
    def resource_name(self) -> str:
        if self.resource:
            return self.resource
        if self.path:
            return Path(self.path).name
        return self.id

    def fingerprint(self) -> str:
        """Hash of everything that changes how the file is read; a change forces a reload."""
        payload = self.model_dump(mode="json", exclude={"search", "metadata", "allow_outside_snapshot"})
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


class Sources(_Strict):
    presence: list[Resource] = Field(default_factory=list)
    needs: list[Resource] = Field(default_factory=list)
    funding: list[Resource] = Field(default_factory=list)
    flows: list[Resource] = Field(default_factory=list)
    admin: list[Resource] = Field(default_factory=list)
    population: list[Resource] = Field(default_factory=list)
    vocabularies: list[Resource] = Field(default_factory=list)

    def all(self) -> list[tuple[str, Resource]]:
        return [(kind, r) for kind in SOURCE_KINDS for r in getattr(self, kind)]


class HdxSettings(_Strict):
    site: str = Field("prod", description="hdx-python-api site name (prod, stage, ...)")
    url: str | None = Field(None, description="override the CKAN base URL (tests use a loopback replay server)")
    user_agent: str = "clusterwatch"
    timeout_seconds: float = Field(60, gt=0, description="per socket read; download_deadline_seconds: in all")
    retries: int = Field(2, ge=0)
    download_deadline_seconds: float = Field(600, gt=0)  # the longest one download attempt may take in all
    max_download_mb: float = Field(512, gt=0)


class HdxPublishSettings(_Strict):
    """Where and how `clusterwatch publish-hdx` puts the published tables on HDX (pipelines/hdx_publish/)."""

    organisation: str = Field(description="HDX organisation (owner_org) name or id that owns the datasets")
    maintainer: str = Field(description="HDX user name or id of the datasets' maintainer")
    dataset_prefix: str = Field("clusterwatch", pattern=r"^[a-z0-9-]+$", description="dataset names: <prefix>-<iso3>")
    license_id: str = "cc-by"
    data_update_frequency: int = Field(7, ge=-2, description="days between updates, as HDX counts them")
    dataset_source: str = "OCHA FTS, HNO/JIAF and 3W/4W data from HDX, combined by clusterwatch"
    methodology_other: str = Field(description="how the tables are made (HDX methodology 'Other')")
    caveats: str = ""
    tags: list[str] = Field(min_length=1, description="HDX-approved tags")
    private: bool = False
    tables: list[str] | None = Field(None, description="tables to upload; default every published table")


class GapThresholds(_Strict):
    low_reach_share: float = Field(0.25, ge=0, le=1, description="reached / in need below this is low_reach")
    thin_presence_factor: float = Field(
        2.0, gt=0, description="PIN per partner above this multiple of the country median is thin_presence"
    )
    min_people_in_need: int = Field(1000, ge=0, description="ignore units with fewer people in need")
    crowded_factor: float = Field(
        3.0, gt=1, description="partners per person in need above this multiple of the country-sector median is crowded"
    )
    crowded_min_partners: int = Field(3, ge=2, description="a unit needs at least this many partners to be crowded")
    underreported_factor: float = Field(
        0.25, gt=0, lt=1,
        description="a sector with fewer organisations than this share of what similar sectors (or the previous 3W) "
        "have is flagged possibly_underreported",
    )
    severity_weights: dict[int, float] = Field(
        default_factory=lambda: {1: 0.25, 2: 0.5, 3: 1.0, 4: 2.0, 5: 4.0},
        description="JIAF severity phase -> weight of people uncovered in a gap's priority (unknown phase: 1)",
    )

    @field_validator("severity_weights")
    @classmethod
    def _phases(cls, v):
        if set(v) != {1, 2, 3, 4, 5} or any(w < 0 for w in v.values()):
            raise ValueError("give a weight of 0 or more for each JIAF phase 1, 2, 3, 4 and 5")
        return v


class PublishSettings(_Strict):
    keep_versions: int = Field(5, ge=1)
    max_row_count_change: float = Field(
        0.5, ge=0, description="largest allowed relative change in a table's row count against the previous version"
    )
    max_null_share_increase: float = Field(
        0.2, ge=0, le=1,
        description="largest rise in a contract column's share of empty values against the previous version "
        "before a warning (not blocking)",
    )


class ScheduleSettings(_Strict):
    cron: str = "0 5 * * *"
    timezone: str = "UTC"
    sensor_interval_seconds: int = Field(3600, ge=30)
    # How soon after the source runs the rebuild_changed sensor looks for changed data (a cheap check).
    rebuild_interval_seconds: int = Field(120, ge=30)


class Config(_Strict):
    name: str
    description: str | None = None
    countries: list[str] = Field(min_length=1)
    as_of: dt.date | None = Field(None, description="date open periods are measured to; default today")
    snapshot: str | None = Field(
        None, description=f"default snapshot root, relative to this file; {SAMPLE_SNAPSHOT!r} is the generated sample"
    )
    hdx: HdxSettings = Field(default_factory=HdxSettings)
    limits: ReadLimits = Field(default_factory=ReadLimits)
    duckdb: DuckDBSettings = Field(default_factory=DuckDBSettings)
    # A needs row repeated at its grain: drop_exact keeps one of identical copies (warning); block fails the checks.
    needs_duplicates: Literal["drop_exact", "block"] = "drop_exact"
    sources: Sources
    gaps: GapThresholds = Field(default_factory=GapThresholds)
    publish: PublishSettings = Field(default_factory=PublishSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    admin_names: str | None = Field(
        None, description="admin-name rules file, relative to this file; default pipelines/config/admin_names.yaml"
    )
    hdx_publish: HdxPublishSettings | None = None
    sector_aliases: list[SectorAlias] = Field(
        default_factory=list, description="extra sector labels -> codes, tried before the sector_aliases seed"
    )

    # Set by load_config, not by the YAML.
    source_path: Path | None = Field(None, exclude=True)

    @field_validator("countries")
    @classmethod
    def _iso3_list(cls, v):
        bad = [c for c in v if len(c) != 3 or not c.isalpha() or not c.isupper()]
        if bad:
            raise ValueError(f"expected upper-case ISO3 codes, got {bad}")
        return v

    @model_validator(mode="after")
    def _check_resources(self):
        seen: set[str] = set()
        for kind, r in self.sources.all():
            where = f"sources.{kind}[id={r.id}]"
            if r.id in seen:
                raise ValueError(f"{where}: duplicate resource id {r.id!r}")
            seen.add(r.id)
            if r.country and r.country not in self.countries:
                raise ValueError(f"{where}: country {r.country} is not in countries {self.countries}")
            if kind == "presence":
                if not r.country:
                    raise ValueError(f"{where}: a 3W/4W resource needs a country")
                if not r.columns:
                    raise ValueError(f"{where}: a 3W/4W resource needs a columns mapping")
                unknown = set(r.columns) - set(PRESENCE_FIELDS)
                if unknown:
                    raise ValueError(
                        f"{where}.columns: unknown field(s) {sorted(unknown)}; expected some of {list(PRESENCE_FIELDS)}"
                    )
                for need in PRESENCE_REQUIRED:
                    if need not in r.columns and need not in r.constants:
                        raise ValueError(f"{where}.columns: {need} is required (a column, or constants: {{{need}: CODE}})")
                if not set(PRESENCE_ORG_FIELDS) & (set(r.columns) | set(r.constants)):
                    raise ValueError(f"{where}.columns: org_name or org_acronym is required")
                if not set(PRESENCE_ADMIN_FIELDS) & set(r.columns):
                    raise ValueError(f"{where}.columns: map at least one admin code or name column")
            if kind == "needs" and not (r.country or r.country_column):
                raise ValueError(f"{where}: a needs resource needs country or country_column")
            if kind == "needs" and not (r.year or r.reference_period):
                raise ValueError(f"{where}: a needs resource needs year or reference_period (which cycle it is for)")
        return self

    def resources(self, kind: str) -> list[Resource]:
        return getattr(self.sources, kind)

    def warnings(self) -> list[str]:
        """Valid but doubtful setups, for `config check` and `refresh` to print.

        A country whose needs are configured (a per-country file, or a multi-country file that may hold it)
        but that has no 3W/4W resource: coverage cannot know its partners, so it shows them as unknown
        (partner_count NULL), never as zero (issue "no data versus no partners").
        """
        with_presence = {r.country for r in self.sources.presence}
        multi_country_needs = any(r.country_column for r in self.sources.needs)
        needs_countries = {r.country for r in self.sources.needs if r.country}
        return [
            f"{c}: needs configured but no 3W/4W presence file; coverage shows unknown partners"
            for c in self.countries
            if c not in with_presence and (c in needs_countries or multi_country_needs)
        ]

    def admin_names_file(self) -> Path | None:
        """The admin-name rules file the config names (None: the packaged pipelines/config/admin_names.yaml)."""
        if self.admin_names is None:
            return None
        base = self.source_path.parent if self.source_path else Path.cwd()
        return base / self.admin_names

    def admin_name_rules(self) -> AdminNames:
        path = self.admin_names_file()
        return default_admin_names() if path is None else load_admin_names(path)

    def snapshot_root(self) -> Path | None:
        if self.snapshot is None:
            return None
        if self.snapshot == SAMPLE_SNAPSHOT:
            from pipelines.lib.paths import sample_snapshot_dir

            return sample_snapshot_dir()
        base = self.source_path.parent if self.source_path else Path.cwd()
        return (base / self.snapshot).resolve()


def _format_validation_error(path: Path, err: ValidationError) -> str:
    lines = [f"{path}: invalid configuration"]
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        lines.append(f"  - {key}: {e['msg']}")
    return "\n".join(lines)


def _load_yaml(path: Path, model: type[BaseModel]):
    if not path.exists():
        raise ConfigError(f"{path}: configuration file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise ConfigError(_format_validation_error(path, e)) from None


def load_config(path: str | Path) -> Config:
    path = Path(path)
    cfg = _load_yaml(path, Config)
    cfg.source_path = path.resolve()
    cfg.admin_name_rules()  # a broken admin-names file is a config error now, not in the middle of a refresh
    return cfg


def load_admin_names(path: str | Path) -> AdminNames:
    return _load_yaml(Path(path), AdminNames)


def default_admin_names() -> AdminNames:
    """The packaged admin-name rules, pipelines/config/admin_names.yaml."""
    from pipelines.lib.paths import CONFIG_DIR

    return load_admin_names(CONFIG_DIR / "admin_names.yaml")
