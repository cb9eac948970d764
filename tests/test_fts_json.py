"""The reader for FTS API `groupby=organization` responses (pipelines/lib/readers/fts_json.py)."""
from __future__ import annotations

import json

import pytest

from pipelines.lib.config import Layout
from pipelines.lib.errors import SourceFormatError
from pipelines.lib.readers import read_table

LAYOUT = Layout(format="fts_json")
RESPONSE = {"status": "ok", "data": {
    "requirements": {"totalRevisedReqs": 30, "objects": [
        {"id": 1, "name": "World Food Programme", "objectType": "Organization", "origRequirements": 20,
         "revisedRequirements": 25}]},
    "report2": {"fundingTotals": {"total": 7, "objects": [{"singleFundingObjects": [
        {"direction": "destination", "id": 1, "name": "World Food Programme", "totalFunding": 7, "type": "Organization"}]}]}},
    "report3": {"fundingTotals": {"total": 7, "objects": []}},
}}


def test_every_section_becomes_rows(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(RESPONSE), encoding="utf-8")
    parsed = read_table(path, LAYOUT)
    rows = parsed.table.to_pylist()
    assert [(r["section"], r["organization_name"], r["revised_requirements"], r["total_funding"]) for r in rows] == [
        ("requirements", "World Food Programme", "25", None), ("report2", "World Food Programme", None, "7")]
    assert [r["_row_number"] for r in rows] == [1, 2]


@pytest.mark.parametrize("content, message", [
    ("{not json", "not a JSON document"),
    ('{"status": "ok"}', "no `data` object"),
    ('{"data": {"report1": {}}}', "no `data.requirements`"),
    ('{"data": {"requirements": {"objects": []}}}', "lists no organisation"),
])
def test_bad_responses_are_named(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SourceFormatError, match=message) as e:
        read_table(path, LAYOUT, dataset="fts", resource="bad.json")
    assert "bad.json" in str(e.value)


def test_the_real_responses_read(real_snapshot):
    folder = real_snapshot / "OCHA-DAP__hdx-scraper-hornafrica-viz/tests/fixtures/input"
    for plan in (1063, 1079):
        path = folder / f"fts_flow-custom-search-planid-{plan}-groupby-organization.json"
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
        parsed = read_table(path, LAYOUT)
        rows = parsed.table.to_pylist()
        assert sum(r["section"] == "requirements" for r in rows) == len(data["requirements"]["objects"])
        report3 = sum(int(r["total_funding"]) for r in rows if r["section"] == "report3")
        assert report3 == data["report3"]["fundingTotals"]["total"]
