"""The reference seeds in dbt_project/seeds: sector, FTS cluster, org and org type vocabularies.

Normalisation is checked by running the dbt macro `normalise_key` itself (its SQL, in DuckDB), so the
seeds stay joinable with what dbt computes. The real-data tests read the HDX files directly and skip
when ../shared/hdx-snapshot is absent.
"""
from __future__ import annotations

import csv
import importlib.util
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from pipelines.lib.paths import DBT_PROJECT_DIR

SEEDS = DBT_PROJECT_DIR / "seeds"
OPS = "OCHA-DAP__hdx-scraper-operationalpresence/tests/fixtures"
COVID = "OCHA-DAP__hdx-scraper-covid-viz/tests/fixtures/input"
UNDATATHON = "michand071203__UNDatathon/data"
FTS_COUNTRIES = ["SOM", "TCD", "ETH", "AFG", "SSD", "SDN", "COD"]

GCG_CODES = {"SHL", "CCM", "FSC", "WSH", "HEA", "NUT", "EDU", "LOG", "TEL", "ERY", "PRO", "PRO-CPN", "PRO-GBV", "PRO-HLP", "PRO-MIN"}
EXTRA_CODES = {"Cash", "Multi", "Intersectoral", "COO"}
ORG_TYPE_CODES = {"431", "433", "434", "435", "437", "438", "439", "440", "441", "443", "444", "445", "446", "447"}

# Sector values seen in the real files that are deliberately NOT mapped (normalised with normalise_key).
# They are ambiguous or not a sector, and must surface as quality issues (or, for FTS's two special
# rows, stay their own rows in the funding marts).
KNOWN_UNMAPPED_SECTORS = {
    "not specified": "FTS: funding not attributed to a cluster; kept as its own row",
    "multiple clusters/sectors (shared)": "FTS: funding shared by several clusters; kept as its own row",
    "cluster not yet specified": "FTS plan cluster placeholder",
    "sector not yet specified": "FTS plan cluster placeholder",
    "non-standard sector not yet specified": "FTS plan cluster placeholder",
    "not yet specifiied": "FTS plan cluster placeholder (sic)",
    "secteur non specifie": "FTS plan cluster placeholder",
    "other": "FTS global cluster 26481: no sector",
    "covid-19": "FTS global cluster 26513: COVID-19 response across sectors",
    "all covid-19": "FTS plan cluster: all-sector COVID-19 total",
    "health and nutrition": "combined cluster straddling HEA and NUT",
    "logistics and emergency telecommunications": "combined cluster straddling LOG and TEL",
    "logistics and emergency telecommunications covid-19": "combined cluster straddling LOG and TEL",
    "rapid response mechanism (rrm)": "multi-sector rapid response: FTS 'Other', HDX HAPI says ERY",
    "common humanitarian fund": "a pooled fund, not a sector",
    "common humanitarian fund (chf)": "a pooled fund, not a sector",
    "transversales": "cross-cutting themes",
    "assistance zones a accessibilite reduite": "access-constrained areas, all sectors",
    "ddr": "disarmament, demobilisation and reintegration: no cluster",
    "governance and rule of law": "no cluster",
    "emergency preparedness": "no cluster",
    "reduction des risques de catastrophes": "disaster risk reduction (TCD 3W 2021): no cluster",
}

# Organisation type labels seen in the real files that are deliberately not mapped.
KNOWN_UNMAPPED_ORG_TYPES = {
    "consortium / rapid response": "ETH 4W 2022 programme organisation type: a consortium, no HDX type",
    "ngo": "FTS: national or international?",
    "pooled fund": "FTS: a pooled fund is not an organisation type",
    "financial institution": "FTS: no HDX type",
}


def _load_build_script():
    path = DBT_PROJECT_DIR / "scripts" / "build_org_aliases.py"
    spec = importlib.util.spec_from_file_location("build_org_aliases", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILD = _load_build_script()


@pytest.fixture(scope="module")
def normalise():
    """normalise_key as dbt compiles it, run in DuckDB: list of values -> list of keys (None for null)."""
    con = duckdb.connect()
    expr = BUILD.normalise_sql("x")

    def run(values):
        values = [None if v is None else str(v) for v in values]
        con.execute("create or replace temp table v (i integer, x varchar)")
        con.executemany("insert into v values (?, ?)", list(enumerate(values)))
        return [r[0] for r in con.execute(f"select {expr} from v order by i").fetchall()]

    return run


def _seed(name: str) -> pd.DataFrame:
    return pd.read_csv(SEEDS / f"{name}.csv", dtype=str, keep_default_na=False, encoding="utf-8")


# --------------------------------------------------------------------------- seed files on their own


@pytest.mark.parametrize(
    "name, columns",
    [
        ("sector_aliases", ["alias", "sector_code", "note"]),
        ("sectors", ["sector_code", "sector_name", "sector_name_fr", "sector_type", "hxl_sector_tag"]),
        ("fts_global_clusters", ["fts_cluster_id", "fts_cluster_name", "sector_code", "note"]),
        ("org_aliases", ["alias", "country_code", "org_acronym", "org_name", "org_type_code"]),
        ("org_types", ["alias", "org_type_code", "org_type_name"]),
    ],
)
def test_seed_has_a_yaml_documenting_every_column(name, columns):
    with (SEEDS / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    assert header == columns
    doc = yaml.safe_load((SEEDS / f"{name}.yml").read_text(encoding="utf-8"))
    (seed,) = [s for s in doc["seeds"] if s["name"] == name]
    assert seed["description"].strip()
    documented = {c["name"]: c.get("description", "").strip() for c in seed["columns"]}
    assert list(documented) == columns
    assert all(documented.values()), f"{name}: undocumented columns"
    assert set(seed["config"]["column_types"]) == set(columns)  # everything varchar: codes like 431 stay text


def test_sectors_vocabulary():
    sectors = _seed("sectors")
    assert sectors["sector_code"].is_unique
    assert set(sectors["sector_code"]) == GCG_CODES | EXTRA_CODES
    assert (sectors["sector_name"] != "").all()
    assert sectors["hxl_sector_tag"].is_unique
    assert sectors["hxl_sector_tag"].str.fullmatch(r"\+[a-z][a-z0-9_]*").all()


def test_sector_aliases_are_normalised_unique_and_valid(normalise):
    aliases = _seed("sector_aliases")
    assert len(aliases) > 250
    assert aliases["alias"].is_unique, aliases[aliases["alias"].duplicated()]
    assert (aliases["alias"] != "").all()
    # Stored already normalised: normalise_key(alias) == alias, so dbt can join either way.
    assert normalise(aliases["alias"]) == list(aliases["alias"])
    codes = set(_seed("sectors")["sector_code"])
    bad = aliases[~aliases["sector_code"].isin(codes)]
    assert bad.empty, bad
    # Every code is reachable, and each code's own name and code are aliases.
    assert set(aliases["sector_code"]) == codes
    sectors = _seed("sectors")
    for code, name in zip(sectors["sector_code"], sectors["sector_name"]):
        for alias in normalise([code, name]):
            assert aliases.loc[aliases["alias"] == alias, "sector_code"].tolist() == [code], (code, alias)
    assert not set(KNOWN_UNMAPPED_SECTORS) & set(aliases["alias"])


@pytest.mark.parametrize(
    "raw, code",
    [
        ("Securité alimentaire", "FSC"),
        ("  Santé ", "HEA"),
        ("Abris / NFI", "SHL"),
        ("Réponse aux réfugiés", "Multi"),
        ("Coordination", "COO"),
        ("Relèvement Précoce", "ERY"),
        ("Transfert d\u2019espèces à usages multiples", "Cash"),  # U+2019 apostrophe
        ("MPCA", "Cash"),
        ("Explosive Hazards", "PRO-MIN"),
        ("FSAC_OP", "FSC"),
        ("ESNFI_OP", "SHL"),
        ("Operatioanl Presence: Water, Sanitation & Hygiene", "WSH"),
        ("Agriculture", "FSC"),
        ("ALL", "Intersectoral"),
        ("Final PiN", "Intersectoral"),
        ("General Protection", "PRO"),
        ("ES/NFI", "SHL"),
        ("FSL", "FSC"),
        ("EDUCATION ", "EDU"),
        ("Protection: Protection de l'enfant", "PRO-CPN"),
        ("Cash multi-sectoriel", "Cash"),
        ("Abris et Non vivres", "SHL"),
    ],
)
def test_sector_alias_examples(normalise, raw, code):
    aliases = dict(zip(_seed("sector_aliases")["alias"], _seed("sector_aliases")["sector_code"]))
    assert aliases.get(normalise([raw])[0]) == code


def test_fts_global_clusters_seed():
    seed = _seed("fts_global_clusters")
    assert seed["fts_cluster_id"].is_unique and seed["fts_cluster_name"].is_unique
    assert seed["fts_cluster_id"].str.fullmatch(r"\d+").all()
    codes = set(_seed("sectors")["sector_code"])
    assert seed.loc[seed["sector_code"] != "", "sector_code"].isin(codes).all()
    unmapped = set(seed.loc[seed["sector_code"] == "", "fts_cluster_name"])
    assert unmapped == {"Other", "COVID-19"}
    by_name = dict(zip(seed["fts_cluster_name"], seed["sector_code"]))
    assert by_name["Coordination and support services"] == "COO"
    assert by_name["Multipurpose Cash"] == "Cash"
    assert by_name["Multi-sector"] == "Multi"
    assert by_name["Agriculture"] == "FSC"


def test_org_types_seed(normalise):
    seed = _seed("org_types")
    assert seed["alias"].is_unique
    assert normalise(seed["alias"]) == list(seed["alias"])
    assert set(seed["org_type_code"]) == ORG_TYPE_CODES
    assert (seed.groupby("org_type_code")["org_type_name"].nunique() == 1).all()
    lookup = dict(zip(seed["alias"], seed["org_type_code"]))
    for raw, code in [
        ("NNGO", "441"), ("National NGO", "441"), ("ONG Nationale", "441"), ("INGO", "437"), ("INGO ", "437"),
        ("International NGO", "437"), ("ONG Internationale", "437"), ("UN", "447"), ("UN Agency", "447"),
        ("Un Agency", "447"), ("Agence UN", "447"), ("United Nations", "447"), ("Government ", "435"),
        ("Entité Gouvernementale", "435"), ("Red Cross Movement", "445"), ("Mouvement de la Croix Rouge", "445"),
        ("Red Cross/Red Crescent", "445"), ("IO", "438"), ("Inter-governmental", "438"), ("Others", "443"),
        ("Private organization/foundation", "444"), ("Academic / Research", "431"), ("447", "447"),
    ]:
        assert lookup.get(normalise([raw])[0]) == code, raw
    assert not set(KNOWN_UNMAPPED_ORG_TYPES) & set(seed["alias"])


def test_org_aliases_seed(normalise):
    seed = _seed("org_aliases")
    assert 500 < len(seed) <= 1500
    assert not seed.duplicated(["country_code", "alias"]).any()
    assert normalise(seed["alias"]) == list(seed["alias"])
    assert (seed["org_name"] != "").all()
    assert seed.loc[seed["org_type_code"] != "", "org_type_code"].isin(ORG_TYPE_CODES).all()
    assert seed.loc[seed["country_code"] != "", "country_code"].str.fullmatch(r"[A-Z]{3}").all()
    # One spelling, acronym and type per organisation, whichever alias leads to it.
    per_org = seed.groupby(seed["org_name"].str.lower())
    assert (per_org["org_name"].nunique() == 1).all()
    assert (per_org["org_acronym"].nunique() <= 1).all()
    global_aliases = dict(zip(seed.loc[seed["country_code"] == "", "alias"], seed.loc[seed["country_code"] == "", "org_acronym"]))
    assert global_aliases["unicef"] == "UNICEF"
    assert global_aliases["fonds des nations unies pour l'enfance"] == "UNICEF"


# --------------------------------------------------------------------------- against the real files


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _sheet(path: Path, sheet: str, header_row: int = 1, skip_after_header: int = 0) -> pd.DataFrame:
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()
    return pd.DataFrame(rows[header_row + skip_after_header :], columns=[str(c) for c in rows[header_row - 1]])


@pytest.fixture(scope="module")
def real_sector_values(real_snapshot) -> dict[str, set[str]]:
    """Every distinct sector/cluster value per real file (raw, before normalisation)."""
    s = real_snapshot
    ops_in = s / OPS / "input"
    values: dict[str, pd.Series] = {
        "ETH 4W Aug 2025 Cluster": _read_csv(ops_in / "3w_august_2025.csv")["Cluster"],
        "ETH 4W May-Jul 2025 Cluster": _read_csv(ops_in / "ethiopia_who_is_doing_what_where_4w_may_to_july_2025.csv")["Cluster"],
        "ETH 4W Feb 2022 Sector": _sheet(
            s / COVID / "whowhatwhere_ethiopia_who_is_doing_what_where_4w_february_2022.xlsx", "Eth_4Ws_February_2022", 1, 1
        )["Sector"],
        "SOM 3W 2025 Cluster": _sheet(
            ops_in / "3w_operational_presence_dataset_january_april_2025.xlsx", "3W_Dataset_January - April 2025"
        )["Cluster"],
        "TCD 3W 2025 Cluster": _sheet(ops_in / "3w_tcd_avr2025.xlsx", "3W Opérationnelle", 1, 1)["Cluster"],
        "TCD 3W 2021 Cluster": _sheet(s / COVID / "whowhatwhere_3w_tcd_oct2021.xlsx", "Feuil1", 1, 1)["Cluster"],
        "SSD 3W 2022 Name": _sheet(s / COVID / "whowhatwhere_ss_20220520_3w_op_january_march_2022.xlsx", "January to March")["Name"],
        "HNO 2024 Cluster": _read_csv(s / "OCHA-DAP__hdx-scraper-hno/tests/fixtures/hpc_hno_2024.csv")["Cluster"],
        "HNO 2026 Cluster": _read_csv(s / UNDATATHON / "hpc_hno_2026.csv")["Cluster"],
        "FTS global clusters": _read_csv(s / UNDATATHON / "fts_requirements_funding_globalcluster_global.csv")["cluster"],
        "HAPI sector_name": _read_csv(s / OPS / "hdx_hapi_operational_presence_global.csv")["sector_name"],
    }
    afg = _read_csv(s / COVID / "whowhatwhere_afghanistan_who_does_what_where_july_to_september_2021.web app").iloc[1:]
    values["AFG 3W 2021 CLUSTER_SECTOR_CODE"] = afg["CLUSTER_SECTOR_CODE"]
    values["AFG 3W 2021 CLUSTER_SECTOR_NAME"] = afg["CLUSTER_SECTOR_NAME"]
    fts = _read_csv(s / UNDATATHON / "fts_requirements_funding_cluster_global.csv")
    values["FTS plan clusters"] = fts.loc[fts["countryCode"].isin(FTS_COUNTRIES), "cluster"]
    from python_calamine import CalamineWorkbook

    jiaf = CalamineWorkbook.from_path(str(s / "OCHA-DAP__hdx-scraper-jiaf/input/GLOBAL-JIAF-DATA 1.04.2025.xlsx"))
    header = [str(c) for c in jiaf.get_sheet_by_name("PiN").to_python()[1]]
    values["JIAF PiN columns"] = pd.Series(header[header.index("Population Group") + 1 :])
    drought = s / "OCHA-DAP__hdx-scraper-hornafrica-viz/tests/fixtures/input" / (
        "affected_targeted_reached_affected_targeted_reached_eth_ethiopia_drought_affected_targeted_reached_by_cluster.csv"
    )
    with drought.open(encoding="utf-8-sig", newline="") as f:
        groups = next(csv.reader(f))
    values["ETH drought groups"] = pd.Series([g for g in groups if g and g not in ("LOCATION", "OPERATIONAL PRIORITY")])
    return {k: set(v) for k, v in values.items()}


def test_every_real_sector_value_is_mapped_or_known_unmapped(real_sector_values, normalise):
    aliases = set(_seed("sector_aliases")["alias"])
    seen_unmapped: set[str] = set()
    problems = []
    for source, raw_values in real_sector_values.items():
        raw = sorted(raw_values)
        for value, key in zip(raw, normalise(raw)):
            if key is None:
                continue  # blank cell
            if key in KNOWN_UNMAPPED_SECTORS:
                seen_unmapped.add(key)
            elif key not in aliases:
                problems.append(f"{source}: {value!r} -> {key!r}")
    assert not problems, "unmapped sector values:\n" + "\n".join(problems)
    assert seen_unmapped == set(KNOWN_UNMAPPED_SECTORS), set(KNOWN_UNMAPPED_SECTORS) - seen_unmapped


def test_sector_mapping_agrees_with_hapi_where_hapi_mapped(real_snapshot, normalise):
    hapi = _read_csv(real_snapshot / OPS / "hdx_hapi_operational_presence_global.csv")
    pairs = hapi.loc[hapi["sector_code"] != "", ["sector_code", "sector_name"]].drop_duplicates()
    aliases = dict(zip(_seed("sector_aliases")["alias"], _seed("sector_aliases")["sector_code"]))
    for code, key in zip(pairs["sector_code"], normalise(pairs["sector_name"])):
        assert aliases[key] == code


def test_sectors_match_the_hdx_vocabulary(real_snapshot):
    gcg = _read_csv(real_snapshot / OPS / "input" / "sector_global_coordination_groups_beta_csv_no_hxl.csv")
    ours = _seed("sectors").set_index("sector_code")
    for code, name, name_fr in zip(gcg["ACRONYM"], gcg["Preferred Term"], gcg["Preferred Term (fr)"]):
        assert ours.loc[code, "sector_name"] == name
        assert ours.loc[code, "sector_name_fr"] == name_fr
    assert set(gcg["ACRONYM"]) == GCG_CODES


def test_org_types_match_the_hdx_vocabulary(real_snapshot):
    hdx = _read_csv(real_snapshot / OPS / "input" / "org_type_organization_types_beta_csv_no_hxl.csv")
    names = dict(zip(hdx["HR.info ID"], hdx["Preferred Term"]))
    assert set(names) == ORG_TYPE_CODES
    seed = _seed("org_types")
    assert all(names[c] == n for c, n in zip(seed["org_type_code"], seed["org_type_name"]))


def test_fts_global_clusters_cover_the_real_file(real_snapshot):
    fts = _read_csv(real_snapshot / UNDATATHON / "fts_requirements_funding_globalcluster_global.csv")
    real = set(fts.loc[fts["clusterCode"] != "", ["clusterCode", "cluster"]].itertuples(index=False, name=None))
    seed = _seed("fts_global_clusters")
    assert real == set(zip(seed["fts_cluster_id"], seed["fts_cluster_name"]))


def test_every_real_org_type_is_mapped_or_known_unmapped(real_snapshot, normalise):
    s = real_snapshot
    ops_in = s / OPS / "input"
    eth22 = _sheet(s / COVID / "whowhatwhere_ethiopia_who_is_doing_what_where_4w_february_2022.xlsx", "Eth_4Ws_February_2022", 1, 1)
    ssd = _sheet(s / COVID / "whowhatwhere_ss_20220520_3w_op_january_march_2022.xlsx", "January to March")
    values = {
        *_read_csv(ops_in / "3w_august_2025.csv")["Implementing Partner Type"],
        *_read_csv(ops_in / "ethiopia_who_is_doing_what_where_4w_may_to_july_2025.csv")["Implementing Partner Type"],
        *eth22["Implementing agencyType"], *eth22["Programme Organization Type"],
        *_sheet(ops_in / "3w_operational_presence_dataset_january_april_2025.xlsx", "3W_Dataset_January - April 2025")["Organization Type"],
        *_sheet(ops_in / "3w_tcd_avr2025.xlsx", "3W Opérationnelle", 1, 1)["TypeOrganisation"],
        *_sheet(s / COVID / "whowhatwhere_3w_tcd_oct2021.xlsx", "Feuil1", 1, 1)["Type d'organisation"],
        *_read_csv(s / COVID / "whowhatwhere_afghanistan_who_does_what_where_july_to_september_2021.web app").iloc[1:]["ORG_TYPE"],
        *ssd["#org+reporting+type"],
        *_read_csv(s / OPS / "hdx_hapi_operational_presence_global.csv")["org_type_description"],
    }
    for flows in ("incoming", "internal", "outgoing"):
        df = _read_csv(s / "OCHA-DAP__hdx-scraper-fts/tests/fixtures" / f"fts_{flows}_funding_global.csv")
        for col in ("srcOrganizationTypes", "destOrganizationTypes"):
            values |= {part for cell in df[col] for part in cell.split(",")}
    aliases = set(_seed("org_types")["alias"])
    raw = sorted(values)
    missing = [
        v for v, k in zip(raw, normalise(raw)) if k is not None and k not in aliases and k not in KNOWN_UNMAPPED_ORG_TYPES
    ]
    assert not missing


def test_org_aliases_seed_is_what_the_script_builds(real_snapshot):
    """The committed seed is the script's output on the snapshot (rebuild it when this fails)."""
    rows, _dropped = BUILD.build(real_snapshot)
    assert rows == _seed("org_aliases").to_dict("records")


def test_org_aliases_cover_the_chad_and_somalia_3w(real_snapshot, normalise):
    seed = _seed("org_aliases")
    keys = set(zip(seed["country_code"], seed["alias"]))

    def share(country: str, names: pd.Series, acronyms: pd.Series) -> float:
        pairs = sorted(set(zip(names, acronyms)))
        n_keys = normalise([n for n, _ in pairs])
        a_keys = normalise([a for _, a in pairs])
        hit = sum(any(k and ((country, k) in keys or ("", k) in keys) for k in (n, a)) for n, a in zip(n_keys, a_keys))
        return hit / len(pairs)

    tcd = _sheet(real_snapshot / OPS / "input" / "3w_tcd_avr2025.xlsx", "3W Opérationnelle", 1, 1)
    som = _sheet(real_snapshot / OPS / "input" / "3w_operational_presence_dataset_january_april_2025.xlsx", "3W_Dataset_January - April 2025")
    tcd_share = share("TCD", tcd["Organisation"], tcd["Acronyme"])
    som_share = share("SOM", som["Organization_Name"], pd.Series([""] * len(som)))
    print(f"\norg alias coverage: TCD 3W 2025 {tcd_share:.0%}, SOM 3W 2025 {som_share:.0%}")
    assert tcd_share >= 0.95 and som_share >= 0.9


def test_normalise_sql_is_the_dbt_macro():
    text = (DBT_PROJECT_DIR / "macros" / "normalise_key.sql").read_text(encoding="utf-8")
    assert re.search(r"macro\s+normalise_key\(expr\)", text)
    assert "x" in BUILD.normalise_sql("x") and "{{" not in BUILD.normalise_sql("x")
