"""CKAN package_show metadata for each sample dataset, as HDX serves it, with the files' size and md5."""
from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from pipelines.sample.flows import FLOWS_FILE
from pipelines.sample.needs import HNO_FILE, JIAF_FILE
from pipelines.sample.presence import XAR_3W, XBO_3W, XCA_4W
from pipelines.sample.world import Country
from pipelines.sample.writer import FICTIONAL, FileInfo

UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/clusterwatch/sample-snapshot")



@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    org: tuple[str, str]  # (name, title)
    groups: list[str]  # ISO3 codes, or "world"
    tags: list[str]
    period: tuple[str, str]
    modified: str
    resources: list[tuple[str, str, str]]  # (path under the snapshot, resource name, description)


ALL3 = ["XAR", "XBO", "XCA"]
PRESENCE_TAGS = ["hxl", "operational presence", "who is doing what and where-3w-4w-5w"]
FTS_ORG = ("ocha-fts", "OCHA Financial Tracking Service")
FISS_ORG = ("ocha-fiss", "OCHA Field Information Services Section")
DS_ORG = ("ocha-ds", "OCHA Digital Services")
DATASETS = [
    Dataset("arland-operational-presence", "Arland (fictional): Operational Presence",
            ("ocha-arland", "OCHA Arland (fictional)"), ["XAR"], PRESENCE_TAGS,
            ("2025-01-01", "2025-04-30"), "2025-05-18T11:02:20.482910",
            [(XAR_3W, "3W Operational Presence Dataset_January - April 2025.xlsx",
              "The time period covers January - April 2025")]),
    Dataset("borenia-operational-presence", "Borenia (fictional): Présence opérationnelle",
            ("ocha-borenia", "OCHA Borenia (fictional)"), ["XBO"], PRESENCE_TAGS,
            ("2025-04-01", "2025-04-30"), "2025-05-14T06:10:43.552115",
            [(XBO_3W, "3W_XBO_Avr2025", "Présence opérationnelle, avril 2025")]),
    Dataset("caldera-operational-presence", "Caldera (fictional): Who is doing What Where (4W)",
            ("ocha-caldera", "OCHA Caldera (fictional)"), ["XCA"], PRESENCE_TAGS[1:],
            ("2025-05-01", "2025-07-31"), "2025-08-20T09:14:05.118273",
            [(XCA_4W, Path(XCA_4W).name, "Activity-level 4W, May to July 2025")]),
    Dataset("global-hpc-hno", "Global Humanitarian Programme Cycle, Humanitarian Needs (sample)",
            ("ocha-hpc-tools", "OCHA HPC Tools"), ALL3, ["humanitarian needs overview-hno", "people in need-pin"],
            ("2025-01-01", "2025-12-31"), "2025-06-30T04:12:51.733104",
            [(HNO_FILE, "hpc_hno_2025.csv", "People in need, targeted, affected and reached by cluster, 2025")]),
    Dataset("global-jiaf-data", "Global JIAF PiN and Severity (sample)",
            ("ocha-jiaf", "Joint Intersectoral Analysis Framework"), ["XCA"], ["people in need-pin", "severity"],
            ("2025-01-01", "2025-12-31"), "2025-05-06T17:25:37.000000",
            [(JIAF_FILE, "jiaf_pin_2025.xlsx", "JIAF 2025 PiN by admin unit (wide)")]),
    Dataset("global-requirements-and-funding-data", "Global - Requirements and Funding Data (sample)",
            FTS_ORG, ALL3, ["funding"], ("2015-01-01", "2026-12-31"), "2025-11-20T02:27:47.246448",
            [("fts/fts_requirements_funding_global.csv", "fts_requirements_funding_global.csv",
              "Requirements and funding by plan"),
             ("fts/fts_requirements_funding_globalcluster_global.csv",
              "fts_requirements_funding_globalcluster_global.csv",
              "Requirements and funding by plan and global cluster"),
             ("fts/fts_requirements_funding_cluster_global.csv", "fts_requirements_funding_cluster_global.csv",
              "Requirements and funding by plan and plan cluster"),
             ("fts/fts_flow-custom-search-planid-90025-groupby-organization.json",
              "fts_flow-custom-search-planid-90025-groupby-organization.json",
              "Funding by organisation of Arland's 2025 plan (FTS API response)"),
             (FLOWS_FILE, "fts_incoming_funding_global.csv", "Incoming funding flows")]),
    Dataset("global-pcodes", "Global P-Codes (sample)", FISS_ORG, ALL3,
            ["administrative boundaries-divisions", "gazetteer"],
            ("2012-09-04", "2025-06-30"), "2025-07-01T08:00:12.004512",
            [("cod-ab/global_pcodes_adm_1_2.csv", "global_pcodes_adm_1_2.csv", "Admin 1 and 2 p-codes"),
             ("cod-ab/global_pcode_lengths.csv", "global_pcode_lengths.csv", "P-code segment lengths per country")]),
    Dataset("cod-ps-global", "Global Subnational Population Statistics (sample)", FISS_ORG, ALL3,
            ["baseline population", "sex and age disaggregated data-sadd"],
            ("2024-01-01", "2024-12-31"), "2025-11-19T10:21:33.871540",
            [("cod-ps/cod_population_admin2.csv", "cod_population_admin2.csv", "Population by admin 2, sex and age")]),
    Dataset("global-coordination-groups-beta",
            "Global Coordination Groups - Cluster & Area of Interest Official Names and Codes (Beta)",
            DS_ORG, ["world"], ["cluster system", "hxl", "operational presence"],
            ("2017-04-12", "2017-04-12"), "2025-08-26T10:43:53.995853",
            [("vocab/sector_global_coordination_groups.csv", "Global Coordination Groups (Beta) CSV",
              "With HXL tags")]),
    Dataset("organization-types-beta", "Organization Types (Beta)", DS_ORG, ["world"], ["hxl"],
            ("2017-04-12", "2017-04-12"), "2025-08-26T10:43:53.995853",
            [("vocab/org_types.csv", "Organization Types (Beta) - CSV", "With HXL tags")]),
    Dataset("humanitarian-response-plans", "Humanitarian Response Plans (sample)", FTS_ORG, ALL3, ["hxl", "funding"],
            ("2015-01-01", "2025-12-31"), "2025-11-20T03:01:09.660311",
            [("vocab/humanitarian-response-plans.csv", "humanitarian-response-plans.csv", "HPC plans")]),
]


def _uid(*parts: str) -> str:
    return str(uuid.uuid5(UUID_NAMESPACE, "/".join(parts)))


def _md5(path: Path) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def ckan_package(ds: Dataset, out: Path, world: dict[str, Country]) -> dict:
    """A package_show result shaped like HDX's, with uuid5 ids and the generated files' size and md5."""
    ds_id = _uid("dataset", ds.name)
    org_id = _uid("organization", ds.org[0])
    modified = ds.modified
    groups = [{"description": "", "display_name": world[g].name if g in world else "World",
               "id": g.lower(), "image_display_url": "", "name": g.lower(),
               "title": world[g].name if g in world else "World"} for g in ds.groups]
    tags = [{"display_name": t, "id": _uid("tag", t), "name": t, "state": "active",
             "vocabulary_id": _uid("vocabulary", "Topics")} for t in ds.tags]
    resources = []
    for pos, (rel, name, description) in enumerate(ds.resources):
        res_id = _uid("resource", ds.name, rel)
        file_name = Path(rel).name
        url = f"https://data.humdata.org/dataset/{ds_id}/resource/{res_id}/download/{file_name}"
        path = out / rel
        fmt = path.suffix.lstrip(".").upper()
        resources.append({
            "cache_last_updated": None, "cache_url": None, "created": modified, "datastore_active": False,
            "description": f"{description}. {FICTIONAL}", "download_url": url, "format": fmt,
            "hash": _md5(path), "id": res_id, "last_modified": modified, "metadata_modified": modified,
            "mimetype": None, "name": name, "package_id": ds_id, "position": pos,
            "resource_type": "file.upload", "size": path.stat().st_size, "state": "active", "url": url,
            "url_type": "upload",
        })
    return {
        "archived": False, "creator_user_id": _uid("user", "clusterwatch-sample"), "data_update_frequency": "90",
        "dataset_date": f"[{ds.period[0]}T00:00:00 TO {ds.period[1]}T23:59:59]",
        "dataset_source": "clusterwatch sample generator (fictional data)", "groups": groups, "id": ds_id,
        "isopen": True, "last_modified": modified, "license_id": "cc-by",
        "license_title": "Creative Commons Attribution International (CC BY)",
        "maintainer": _uid("user", "clusterwatch-sample"), "metadata_created": "2019-05-15T08:22:34.228522",
        "metadata_modified": modified, "methodology": "Other", "name": ds.name,
        "notes": f"{ds.title}. {FICTIONAL} The countries Arland, Borenia and Caldera do not exist.",
        "num_resources": len(resources), "num_tags": len(tags),
        "organization": {"id": org_id, "name": ds.org[0], "title": ds.org[1], "type": "organization",
                         "description": FICTIONAL, "is_organization": True, "state": "active"},
        "owner_org": org_id, "private": False, "state": "active", "subnational": "1", "title": ds.title,
        "type": "dataset", "tags": tags, "resources": resources,
    }


def write_ckan(out: Path, world: dict[str, Country]) -> dict[str, FileInfo]:
    files = {}
    for ds in DATASETS:
        rel = f"ckan/{ds.name}.json"
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(ckan_package(ds, out, world), indent=2, ensure_ascii=False, sort_keys=False)
        path.write_text(text + "\n", encoding="utf-8", newline="\n")
        files[rel] = FileInfo(None, "json", "utf-8", kind="metadata")
    return files
