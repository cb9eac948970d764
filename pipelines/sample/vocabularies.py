"""Reference vocabularies: global coordination groups, organisation types, and the HPC plan list."""
from __future__ import annotations

import csv
from pathlib import Path

from pipelines.sample.funding import Plan
from pipelines.sample.writer import FileInfo, blank_none, write_csv

# The IASC global coordination groups (public standard vocabulary, 15 rows):
# HRinfo id, English, French, code, group type.
AOR = "Area of Responsibility (Sub-cluster)"
COORDINATION_GROUPS = [
    (4, "Emergency Shelter and NFI", "Abris d'urgence et NFI", "SHL", "Cluster"),
    (1, "Camp Coordination / Management", "Coordination et gestion des camps", "CCM", "Cluster"),
    (5406, "Mine Action", "Action contre les mines", "PRO-MIN", AOR),
    (6, "Food Security", "Sécurité alimentaire", "FSC", "Cluster"),
    (11, "Water Sanitation Hygiene", "Eau, assainissement et hygiène", "WSH", "Cluster"),
    (8, "Logistics", "Logistique", "LOG", "Cluster"),
    (5403, "Child Protection", "Protection de l'enfance", "PRO-CPN", AOR),
    (10, "Protection", "Protection", "PRO", "Cluster"),
    (3, "Education", "Education", "EDU", "Cluster"),
    (9, "Nutrition", "Nutrition", "NUT", "Cluster"),
    (7, "Health", "Santé", "HEA", "Cluster"),
    (2, "Early Recovery", "Relèvement rapide", "ERY", "Cluster"),
    (5, "Emergency Telecommunications", "Télécommunications d'urgence", "TEL", "Cluster"),
    (5404, "Gender Based Violence", "Violences basées sur le genre", "PRO-GBV", AOR),
    (5405, "Housing, Land and Property", "Logement, terre, et biens", "PRO-HLP", AOR),
]

# The 14 HDX organisation types: id, term, ReliefWeb id and term, match type. Scope texts are ours.
NGO, EXACT, BROADER = "Non-governmental Organization", "Exact Match", "Broader"
ORG_TYPES = [
    (431, "Academic / Research", "Universities, research institutes and think tanks.",
     270, "Academic and Research Institution", EXACT),
    (433, "Donor", "Organisations that give money, goods or other in-kind contributions.", None, "", ""),
    (434, "Embassy", "Embassies, a distinct kind of government organisation.", 271, "Government", BROADER),
    (435, "Government", "National and local government bodies. Embassies are a separate type.",
     271, "Government", BROADER),
    (437, "International NGO", "Non-governmental organisations working in several countries. UN and Red Cross "
     "are separate.", 274, NGO, BROADER),
    (438, "International Organization", "Intergovernmental organisations, funds and programmes other than the UN "
     "and Red Cross.", 272, "International Organization", BROADER),
    (439, "Media", "Print, broadcast and online media.", 273, "Media", EXACT),
    (440, "Military", "National and international military organisations.", None, "", ""),
    (441, "National NGO", "Non-governmental organisations working in one country. National Red Cross societies "
     "are separate.", 274, NGO, BROADER),
    (443, "Other", "Organisations that fit no other type.", 275, "Other", BROADER),
    (444, "Private sector", "Companies, corporate foundations and consultancies.", None, "", ""),
    (445, "Red Cross / Red Crescent", "ICRC, IFRC and national Red Cross and Red Crescent societies.",
     276, "Red Cross/Red Crescent Movement", EXACT),
    (446, "Religious", "Faith-based organisations.", None, "", ""),
    (447, "United Nations", "UN agencies, funds and programmes.", 272, "International Organization", BROADER),
]


def write_vocabularies(out: Path, plans: list[Plan], fts_plan_totals: dict[str, int]) -> dict[str, FileInfo]:
    note = "Standard vocabulary, written by the clusterwatch sample generator"
    sectors = [[hrinfo, en, fr, code, group, "", "03/16/2017", "4/4/2018", note]
               for hrinfo, en, fr, code, group in COORDINATION_GROUPS]
    a = write_csv(
        out / "vocab/sector_global_coordination_groups.csv",
        ["HRinfo ID", "Preferred Term", "Preferred Term (fr)", "ACRONYM", "Group Type", "Homepage",
         "Date Created (Post Date)", "Updated date", "Notes"],
        sectors,
        hxl=["#sector +code +v_hrinfo_sector", "#sector +name +preferred +i_en", "#sector +name +preferred +i_fr",
             "#sector +code +acronym", "#sector +type", "#meta +url", "#date +created", "#date +updated",
             "#meta +comment"],
    )
    types = [[i, term, scope, "16/03/2017", "", blank_none(rw_id), rw_term, match]
             for i, term, scope, rw_id, rw_term, match in ORG_TYPES]
    b = write_csv(
        out / "vocab/org_types.csv",
        ["HR.info ID", "Preferred Term", "Scope", "Date Added (dd/mm/yyyy)", "Date updated (dd/mm/yyyy)",
         "RW API ID", "RW Alt Term", "Match type - RW term is:"],
        types,
        hxl=["#org +type +code +v_hrinfo", "#org +type +preferred", "#description +definition", "#date +created",
             "#date +updated", "#org +type +code +v_reliefweb", "#org +type +v_reliefweb", "#meta +match"],
    )
    plan_rows = []
    for p in sorted(plans, key=lambda p: (-p.year, p.code)):
        revised = fts_plan_totals[p.code]
        original = 0 if p.year in (2022, 2018) else round(revised * 0.97)  # HPC often leaves 0 here
        plan_rows.append([p.code, p.hpc_id, f"{p.year}-01-01", f"{p.year}-12-31", p.name, p.categories, p.iso3,
                          p.year, original, revised])
    c = write_csv(
        out / "vocab/humanitarian-response-plans.csv",
        ["code", "internalId", "startDate", "endDate", "planVersion", "categories", "locations", "years",
         "origRequirements", "revisedRequirements"],
        plan_rows,
        hxl=["#response+code", "#meta+id", "#date+start", "#date+end", "#response+name", "#response+type+list",
             "#country+code+list", "#date+year+list", "#value+requirements+orig+c_usd",
             "#value+requirements+revised+c_usd"],
        newline="\r\n",
    )
    return {"vocab/sector_global_coordination_groups.csv": FileInfo(a, "csv", "utf-8", ",", 2, kind="vocabularies"),
            "vocab/org_types.csv": FileInfo(b, "csv", "utf-8", ",", 2, kind="vocabularies"),
            "vocab/humanitarian-response-plans.csv": FileInfo(c, "csv", "utf-8", ",", 2, kind="vocabularies")}


def fts_plan_totals(out: Path) -> dict[str, int]:
    with open(out / "fts/fts_requirements_funding_global.csv", encoding="utf-8", newline="") as f:
        return {r["code"]: int(r["requirements"]) for r in csv.DictReader(f) if r["code"]}
