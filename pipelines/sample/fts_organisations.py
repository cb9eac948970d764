"""FTS funding by organisation for one sample plan: the API's `groupby=organization` response (JSON).

As in the real responses (Somalia and Ethiopia 2022): requirements per organisation, funding by first-level
recipient (report2, a pooled fund among them) and by final recipient (report3, the fund's allocations counted at
the national NGOs that received them). Names are the sample's organisations, so the org aliases resolve them.
"""
from __future__ import annotations

import json
from pathlib import Path

from pipelines.sample.draws import make_rng
from pipelines.sample.funding import Plan
from pipelines.sample.orgs import INTERNATIONAL_ORGS, NATIONAL_ORGS
from pipelines.sample.writer import FileInfo

ISO3 = "XAR"
POOLED_FUND = (99001, "Arland Humanitarian Fund (fictional)")


def fts_organisations_path(plan: Plan) -> str:
    return f"fts/fts_flow-custom-search-planid-{plan.id}-groupby-organization.json"


def sample_plan(plans: list[Plan]) -> Plan:
    """The country's latest response plan (not a flash appeal)."""
    return max((p for p in plans if p.iso3 == ISO3 and p.type_id != 5), key=lambda p: p.year)


def _funding(objects: list[tuple[int, str, int]], direction: str) -> dict:
    single = [{"type": "Organization", "direction": direction, "id": i, "name": n, "totalFunding": f,
               "behavior": "single"} for i, n, f in objects]
    total = sum(f for _, _, f in objects)
    return {"fundingTotals": {"total": total, "objects": [
        {"type": "Organization", "direction": direction, "singleFundingTotal": total, "singleFundingObjects": single}
    ]}, "pledgeTotals": {"total": 0, "objects": []}}


def write_fts_organisations(out: Path, plans: list[Plan], seed: int) -> dict[str, FileInfo]:
    rng = make_rng(seed, "fts/organisations")
    plan = sample_plan(plans)
    international = [(1000 + k, o.name) for k, o in enumerate(INTERNATIONAL_ORGS[:6])]
    national = [(2000 + k, o.name) for k, o in enumerate(NATIONAL_ORGS[ISO3]) if o.kind == "NNGO"][:4]
    requirements = [(i, n, rng.randint(2, 90) * 1_000_000) for i, n in international + national]
    direct = [(i, n, rng.randint(1, 60) * 1_000_000) for i, n in international]
    allocations = [(i, n, rng.randint(100, 900) * 1_000) for i, n in national]
    kept = rng.randint(50, 300) * 1_000  # the fund's own costs
    fund = (*POOLED_FUND, sum(f for _, _, f in allocations) + kept)
    data = {
        "requirements": {
            "totalRevisedReqs": sum(r for _, _, r in requirements) + rng.randint(1, 20) * 1_000_000,
            "totalOrigReqs": 0,
            "objects": [{"id": i, "name": n, "objectType": "Organization", "origRequirements": r,
                         "revisedRequirements": r} for i, n, r in requirements],
        },
        "report1": _funding([(3000, "Arland Donor Government (fictional)", sum(f for *_, f in direct) + fund[2])],
                            "source"),
        "report2": _funding([*direct, fund], "destination"),
        "report3": _funding([*direct, *allocations, (*POOLED_FUND, kept)], "destination"),
        "report4": _funding([], "destination"),
    }
    rel = fts_organisations_path(plan)
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"status": "ok", "data": data, "meta": {"language": "en"}}, indent=1), encoding="utf-8")
    return {rel: FileInfo(None, "json", "utf-8", kind="funding")}
