"""suggest-4w never maps a column whose values contradict the role (issue: a DRC 4W had admin1_name mapped to
the project status "ETAT PROJET" and admin2_name to the yes/no "PRESENCE PHYSIQUE", next to the real
Province and Territoire columns). The files here are built from the real COD names of the DRC."""
from __future__ import annotations

import csv
import random

import pytest

from pipelines.lib.config import load_config
from pipelines.lib.paths import CONFIG_DIR
from pipelines.lib.suggest import suggest
from pipelines.lib.suggest.cod import load_cod


@pytest.fixture(scope="module")
def cod(real_snapshot):
    index = load_cod(load_config(CONFIG_DIR / "hdx_snapshot.yaml"))
    assert index is not None and "COD" in index.countries
    return index


def _drc_units(real_snapshot) -> list[tuple[str, str, str, str]]:
    """(admin1 p-code, admin1 name, admin2 p-code, admin2 name) of the DRC's COD, from the global p-code list."""
    path = real_snapshot / "OCHA-DAP__hdx-scraper-operationalpresence/tests/fixtures/input/download-global-pcodes-adm-1-2.csv"
    rows = list(csv.DictReader(open(path, encoding="utf-8-sig")))
    names = {r["P-Code"]: r["Name"] for r in rows if r["Location"] == "COD" and r["Admin Level"] == "1"}
    return [(r["Parent P-Code"], names[r["Parent P-Code"]], r["P-Code"], r["Name"])
            for r in rows if r["Location"] == "COD" and r["Admin Level"] == "2" and r["Parent P-Code"] in names]


def _write(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def _drc_file(tmp_path, real_snapshot, *, id_province=False):
    rnd = random.Random(7)
    units = _drc_units(real_snapshot)
    clusters = ["Santé", "Education", "Protection", "Sécurité Alimentaire", "EHA", "Nutrition"]
    orgs = [("Médecins Sans Frontières", "MSF"), ("Action Contre la Faim", "ACF"), ("Save the Children", "SCI"),
            ("Norwegian Refugee Council", "NRC"), ("World Vision", "WV"), ("Caritas Congo", "CARITAS"),
            ("Oxfam", "OXFAM"), ("Solidarités International", "SI")]
    header = ["ETAT PROJET", "PRESENCE PHYSIQUE", "Province", "ID Province" if id_province else "Pcode Province",
              "Territoire", "Pcode Territoire", "SECTEUR/DOMAINE", "CLUSTER", "Acronyme cluster", "Nom acteur",
              "Acronyme Acteur"]
    rows = []
    for i in range(400):
        p1, n1, p2, n2 = rnd.choice(units)
        cluster = rnd.choice(clusters)
        name, acr = rnd.choice(orgs)
        rows.append(["En cours" if i % 3 else "Terminé", "Oui" if i % 2 else "Non", n1, p1, n2, p2,
                     "" if i % 7 == 0 else cluster, cluster, cluster[:3].upper(), name, acr])
    return _write(tmp_path / "drc_4w.csv", header, rows)


def test_status_and_yes_no_columns_are_never_admin_columns(tmp_path, real_snapshot, cod):
    s = suggest(_drc_file(tmp_path, real_snapshot), country="COD", cod=cod)
    by_field = {f: s.columns[i].name for f, i in s.mapped_columns.items()}
    assert by_field["admin1_name"] == "Province"
    assert by_field["admin1_code"] == "Pcode Province"
    assert by_field["admin2_name"] == "Territoire"
    assert by_field["admin2_code"] == "Pcode Territoire"
    # The project status is a status, the yes/no column nothing; neither is an admin, org or sector column.
    assert by_field.get("status") == "ETAT PROJET"
    assert "PRESENCE PHYSIQUE" not in by_field.values()
    # The sector column that resolves more rows wins (SECTEUR/DOMAINE is one-seventh empty).
    assert by_field["sector"] == "CLUSTER"
    assert by_field["org_name"] == "Nom acteur" and by_field["org_acronym"] == "Acronyme Acteur"
    assert "98%" in s.evidence["admin1_name"] or "100%" in s.evidence["admin1_name"]
    assert s.complete


def test_a_pcode_column_named_like_a_name_is_a_code(tmp_path, real_snapshot, cod):
    s = suggest(_drc_file(tmp_path, real_snapshot, id_province=True), country="COD", cod=cod)
    by_field = {f: s.columns[i].name for f, i in s.mapped_columns.items()}
    assert by_field["admin1_name"] == "Province"
    assert by_field["admin1_code"] == "ID Province"


def test_country_is_guessed_from_admin_names_without_pcodes(tmp_path, real_snapshot, cod):
    rows = [[n1, n2, "Santé", f"Partenaire {i % 30}"] for i, (_, n1, _, n2) in enumerate(_drc_units(real_snapshot)[:120])]
    path = _write(tmp_path / "names_only.csv", ["Province", "Territoire", "Cluster", "Partenaire"], rows)
    s = suggest(path, cod=cod)
    assert s.country == "COD"
    assert {"admin1_name", "admin2_name", "sector", "org_name"} <= set(s.mapping)


def test_without_cod_yes_no_and_categories_are_still_refused(tmp_path):
    rows = [["Oui" if i % 2 else "Non", "Primary" if i % 3 else "Sub-Implementing", f"Org {i % 40}", "Health", "X"]
            for i in range(200)]
    path = _write(tmp_path / "no_cod.csv", ["District", "Partner Category", "Partner", "Cluster", "Region"], rows)
    s = suggest(path, country="SOM", cod=None)
    by_field = {f: s.columns[i].name for f, i in s.mapped_columns.items()}
    assert "District" not in by_field.values()
    assert by_field.get("org_name") == "Partner"
    assert "Partner Category" not in (by_field.get("org_name"), by_field.get("org_acronym"))
    assert any("yes/no" in n for n in s.notes)


def test_reporting_and_implementing_partner_acronyms_are_not_a_name_and_its_acronym(tmp_path, real_snapshot, cod):
    """Libya's 3W: 'Partner' (#org+acronym, the reporting agency) beside 'Implementing partner' (#org+impl+name,
    also acronyms): two organisations. The implementing one is mapped, as an acronym; the other is not."""
    units = _drc_units(real_snapshot)
    pairs = [("FAO", "UOT"), ("IOM", "IOM"), ("UNHCR", "CESVI"), ("UNFPA", "IRC"), ("WFP", "WFP"), ("UNICEF", "Kafaa")]
    rows = [["#adm2+name", "#adm2+code", "#sector", "#org+acronym", "#org+impl+name"]]
    rows += [[n2, p2, "Santé", *pairs[i % len(pairs)]] for i, (_, _, p2, n2) in enumerate(units[:200])]
    path = _write(tmp_path / "two_roles.csv", ["Territoire", "Pcode", "Cluster", "Partner", "Implementing partner"], rows)
    s = suggest(path, country="COD", cod=cod)
    by_field = {f: s.columns[i].name for f, i in s.mapped_columns.items()}
    assert by_field.get("org_acronym") == "Implementing partner"
    assert "org_name" not in by_field and "Partner" not in by_field.values()
    assert any("two organisations in different roles" in n for n in s.notes)
    # When the implementing column often names no one ("No partner"), the fuller reporting column is kept.
    sparse = [rows[0]] + [[*r[:4], "No partner" if i % 10 == 0 else r[4]] for i, r in enumerate(rows[1:])]
    s1 = suggest(_write(tmp_path / "sparse.csv", ["Territoire", "Pcode", "Cluster", "Partner", "Implementing partner"],
                        sparse), country="COD", cod=cod)
    by_field1 = {f: s1.columns[i].name for f, i in s1.mapped_columns.items()}
    assert by_field1.get("org_acronym") == "Partner" and "Implementing partner" not in by_field1.values()
    # A name column with real names and its acronym column stay a pair (checked on the DRC file above too).
    orgs = [("Norwegian Refugee Council", "NRC"), ("Action Contre la Faim", "ACF"), ("Oxfam", "OXFAM"),
            ("Médecins Sans Frontières", "MSF"), ("World Vision", "WV"), ("Save the Children", "SCI")]
    named = [[n2, p2, "Santé", *orgs[i % len(orgs)]] for i, (_, _, p2, n2) in enumerate(units[:200])]
    s2 = suggest(_write(tmp_path / "pair.csv", ["Territoire", "Pcode", "Cluster", "Nom acteur", "Acronyme"], named),
                 country="COD", cod=cod)
    by_field2 = {f: s2.columns[i].name for f, i in s2.mapped_columns.items()}
    assert by_field2.get("org_name") == "Nom acteur" and by_field2.get("org_acronym") == "Acronyme"
