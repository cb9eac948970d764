"""The generated sample snapshot: deterministic, self-consistent, and matching sample.yaml."""
from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import defaultdict
from pathlib import Path

import openpyxl
import pytest

from pipelines.lib.config import SAMPLE_SNAPSHOT, load_config
from pipelines.lib.paths import CONFIG_DIR
from pipelines.sample.generate import generate

SAMPLE_YAML = CONFIG_DIR / "sample.yaml"


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("sample") / "snapshot"
    return root, generate(root)


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _csv_rows(path: Path, info: dict) -> list[list[str]]:
    with open(path, encoding=info["encoding"], newline="") as f:
        return list(csv.reader(f, delimiter=info.get("delimiter", ",")))


def test_generation_is_deterministic(snapshot, tmp_path):
    root, summary = snapshot
    again = generate(tmp_path / "again")
    first, second = _digests(root), _digests(tmp_path / "again")
    assert set(first) == set(summary["files"])  # the summary names every file written
    assert first == second
    assert {k: v["rows"] for k, v in summary["files"].items()} == {k: v["rows"] for k, v in again["files"].items()}


def test_summary_counts_match_the_files(snapshot):
    root, summary = snapshot
    checked = 0
    for rel, info in summary["files"].items():
        path = root / rel
        assert info["bytes"] == path.stat().st_size, rel
        if info["format"] == "csv":
            body = _csv_rows(path, info)[info["header_rows"]:]
            blank = 0
            while body and not any(body[-1]):
                body.pop()
                blank += 1
            assert len(body) == info["rows"], rel
            assert blank == info.get("blank_rows", 0), rel
            checked += 1
        elif info["format"] == "xlsx":
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            rows = list(wb[info["sheet"]].iter_rows(min_row=info["header_rows"] + 1, values_only=True))
            assert sum(any(v not in (None, "") for v in r) for r in rows) == info["rows"], rel
            checked += 1
    assert checked == 15
    assert summary["presence_rows"] == sum(v["rows"] for k, v in summary["files"].items() if k.startswith("3w/"))
    assert summary["total_bytes"] < 2_000_000


def test_presence_files_are_a_realistic_size(snapshot):
    _, summary = snapshot
    rows = {k: v["rows"] for k, v in summary["files"].items() if k.startswith("3w/")}
    assert len(rows) == 3
    assert all(200 <= n <= 2_000 for n in rows.values()), rows


def test_borenia_3w_is_cp1252_semicolon_crlf(snapshot):
    root, summary = snapshot
    rel = "3w/xbo/3w_xbo_avr2025.csv"
    raw = (root / rel).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.startswith(b"Pcode1;Province;Cluster;Acronyme;Nom de l'organisation;Type d'organisation\r\n")
    assert "Santé".encode("cp1252") in raw and "Securité alimentaire".encode("cp1252") in raw
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    rows = list(csv.reader(raw.decode("cp1252").splitlines(), delimiter=";"))
    assert rows[1][3] == "#org +acronym"  # HXL row with a space inside the tag
    assert {len(r) for r in rows} == {6}
    assert all(re.fullmatch(r"XB\d\d", r[0]) for r in rows[2:])  # short codes; the COD has XBO01...
    assert len(rows) - 2 == summary["files"][rel]["rows"]


def test_pcodes_of_the_4ws_exist_in_the_cod_list(snapshot):
    root, _ = snapshot
    with open(root / "cod-ab/global_pcodes_adm_1_2.csv", encoding="utf-8", newline="") as f:
        cod = {r["P-Code"] for r in list(csv.DictReader(f))[1:]}
    assert {"XA01", "XA0101", "XBO03", "XBO0301", "XC01", "XC01001"} <= cod
    xlsx = root / "3w/xar/3w_operational_presence_dataset_january_april_2025.xlsx"
    values = openpyxl.load_workbook(xlsx, read_only=True, data_only=True)
    xar = list(values.active.iter_rows(min_row=2, values_only=True))
    assert {r[3] for r in xar} <= cod and {r[5] for r in xar} <= cod
    formulas = openpyxl.load_workbook(xlsx, read_only=True).active
    assert formulas["D2"].value == "=LEFT(F2,4)"  # a formula column, readable through its cached value
    with open(root / "3w/xca/caldera_who_is_doing_what_where_4w_may_to_july_2025.csv", encoding="utf-8-sig",
              newline="") as f:
        xca = [r for r in csv.DictReader(f) if r["Month"]]
    codes = {r["WoredaPcod"] for r in xca}
    assert "" in codes and codes - {""} <= cod  # some rows give only a name
    assert "2 - Suspended" in {r["Activity status"] for r in xca}
    assert {"Cash multi-sectoriel", "Other"} <= {r["Cluster"] for r in xca}  # unknown sectors
    assert any("," in r["People targeted"] for r in xca) and "-" in {r["People reached"] for r in xca}


def test_hno_totals_equal_the_sum_of_categories(snapshot):
    root, _ = snapshot
    with open(root / "hno/hpc_hno_2025.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    figures = ["Population", "In Need", "Targeted", "Affected"]
    groups: dict[tuple, dict[str, dict]] = defaultdict(dict)
    for r in rows:
        if r["Category"]:
            key = tuple(r[k] for k in ("Country ISO3", "Admin 1 PCode", "Admin 2 PCode", "Description", "Cluster"))
            groups[key][r["Category"]] = r
    assert len(groups) > 100
    for key, cats in groups.items():
        total = cats.pop("total")
        assert cats, key
        for col in figures:
            if total[col]:
                assert int(total[col]) == sum(int(c[col]) for c in cats.values()), (key, col)
    # Admin levels are mixed; admin 2 rows leave Admin 1 blank, as HPC does.
    assert any(r["Admin 2 PCode"] and not r["Admin 1 PCode"] for r in rows)
    assert not any(r["Admin 2 PCode"] for r in rows if r["Country ISO3"] == "XBO")


def test_intersectoral_pin_is_not_the_sum_of_sectors(snapshot):
    root, _ = snapshot
    with open(root / "hno/hpc_hno_2025.csv", encoding="utf-8", newline="") as f:
        national = [r for r in csv.DictReader(f) if not r["Admin 1 PCode"] and not r["Admin 2 PCode"]]
    for iso3 in ("XAR", "XBO", "XCA"):
        rows = [r for r in national if r["Country ISO3"] == iso3]
        overall = int(next(r["In Need"] for r in rows if r["Cluster"] == "ALL"))
        sectors = [int(r["In Need"]) for r in rows if r["Cluster"] not in ("ALL", "")]
        assert max(sectors) <= overall < sum(sectors), iso3


def test_fts_plan_totals_are_sums_of_cluster_rows(snapshot):
    root, _ = snapshot
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    clusters_by_year: dict[int, set[str]] = defaultdict(set)
    with open(root / "fts/fts_requirements_funding_globalcluster_global.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            sums[r["id"]][0] += int(r["requirements"] or 0)
            sums[r["id"]][1] += int(r["funding"] or 0)
            if r["countryCode"] == "XAR":
                clusters_by_year[int(r["year"])].add(r["cluster"])
    with open(root / "fts/fts_requirements_funding_global.csv", encoding="utf-8", newline="") as f:
        plans = [r for r in csv.DictReader(f) if r["id"] in sums]
    assert len(plans) == len(sums) > 20
    for p in plans:
        assert [int(p["requirements"]), int(p["funding"])] == sums[p["id"]], p["code"]
    shelter = sorted(y for y, names in clusters_by_year.items() if "Emergency Shelter and NFI" in names)
    assert shelter == [2016, 2017, 2018, 2019, 2022, 2023, 2024, 2025]  # deactivated 2020-2021


def test_ckan_metadata_describes_the_files(snapshot):
    root, summary = snapshot
    for rel in (k for k in summary["files"] if k.startswith("ckan/")):
        package = json.loads((root / rel).read_text(encoding="utf-8"))
        assert package["name"] == Path(rel).stem and package["resources"]
        for res in package["resources"]:
            file_name = res["url"].rsplit("/", 1)[1]
            path = next(root.rglob(file_name))
            assert res["size"] == path.stat().st_size
            assert res["hash"] == hashlib.md5(path.read_bytes()).hexdigest()


def test_sample_yaml_matches_the_snapshot(snapshot):
    from pipelines.lib.hdx.snapshot import SnapshotFetcher
    from pipelines.lib.readers import find_column, read_table

    root, summary = snapshot
    cfg = load_config(SAMPLE_YAML)
    assert cfg.snapshot == SAMPLE_SNAPSHOT and cfg.countries == ["XAR", "XBO", "XCA"]
    fetcher = SnapshotFetcher(root)
    used = set()
    for kind, res in cfg.sources.all():
        assert (root / res.path).is_file() and (root / res.metadata).is_file(), res.id
        used.add(res.path)
        fetched = fetcher.fetch(res)  # finds the resource in the CKAN JSON: lineage gets real-looking ids
        assert fetched.resource_id != res.resource_name, res.id
        if res.columns or res.country_column:
            parsed = read_table(fetched.path, res.layout)
            for ref in [*(res.columns or {}).values(), *filter(None, [res.country_column])]:
                find_column(parsed, ref)
            if kind == "presence":
                assert parsed.num_rows == summary["files"][res.path]["rows"], res.id
    # data files: tables, and the FTS API response (JSON, not metadata)
    data_files = {k for k, v in summary["files"].items()
                  if v["format"] in ("csv", "xlsx") or (v["format"] == "json" and v.get("kind") != "metadata")}
    assert used == data_files


def test_scale_multiplies_the_4w_rows(snapshot, tmp_path):
    _, base = snapshot
    big = generate(tmp_path / "x5", scale=5)
    assert 4.5 <= big["presence_rows"] / base["presence_rows"] <= 5.5
    flows = "fts/fts_incoming_funding_global.csv"
    assert 4.5 <= big["files"][flows]["rows"] / base["files"][flows]["rows"] <= 5.5
    # Everything that does not scale stays identical.
    assert big["files"]["hno/hpc_hno_2025.csv"] == base["files"]["hno/hpc_hno_2025.csv"]


def test_the_data_say_they_are_fictional(snapshot):
    root, _ = snapshot
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "FICTIONAL" in readme and "fictional countries" in readme
    with open(root / "cod-ps/cod_population_admin2.csv", encoding="utf-8-sig", newline="") as f:
        assert {r["Country"] for r in list(csv.DictReader(f))[1:]} == {
            "Arland (fictional)", "Borenia (fictional)", "Caldera (fictional)"}
