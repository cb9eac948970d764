"""Corpus cases that reach a publication: bad inputs in copies of the sample snapshot's files.

They are applied together to one copy of the sample (each to a different file or country, so that one
case's outcome cannot hide another's) and refreshed once, after a clean refresh of the sample (the
baseline); test_corpus_publish.py then checks each case's declared outcome:

  partial     the country's file fails: the refresh goes on and exits 3, a warning names the country, file
              and reason, quality_issues has a source_failed row, and the country's published rows are
              those of the baseline (its last good raw data);
  quarantine  the value (or the repeated row) is left out of the figures, and quality_issues names the file,
              row and why;
  neutralised published, but the CSV cell cannot start a formula (prefixed with ');
  scrubbed    no published cell holds the email address or phone number.

Outcomes observed in the dbt build (block) are asserted per table: a blocked table's published files stay
byte-identical to the baseline's.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

XAR_3W = "3w/xar/3w_operational_presence_dataset_january_april_2025.xlsx"
XBO_3W = "3w/xbo/3w_xbo_avr2025.csv"
XCA_4W = "3w/xca/caldera_who_is_doing_what_where_4w_may_to_july_2025.csv"
HNO = "hno/hpc_hno_2025.csv"
FLOWS = "fts/fts_incoming_funding_global.csv"

FORMULA_ORG = "=cmd|' /C calc'!A0"
FORMULA_ORG_2 = "@SUM(1+1)*cmd|' /C calc'!A0"
FORMULA_DONOR = "=HYPERLINK(\"http://example.org/x\",\"click\")"
PERSONAL = "ali.hassan@example.org / +252 61 5123456"
SERIAL_DATE = "45678"
BAD_COUNTS = {"hno-in-need-negative": "-5000", "hno-in-need-1.234": "1.234", "hno-in-need-1-234,5": "1 234,5",
              "hno-in-need-nan": "NaN"}


@dataclass(frozen=True)
class PublishCase:
    id: str
    file: str                      # the sample file it damages
    damage: Callable[[Path], None]
    outcome: str                   # partial | quarantine | neutralised | scrubbed
    value: str = ""                # the bad value it writes, when it writes one


def _edit_csv(rel: str, column: str, value: str, *, nth: int = 0, where: Callable[[dict], bool] = lambda r: True):
    """Set `column` of the nth data row matching `where` (the file's encoding and BOM are kept)."""
    def damage(root: Path) -> None:
        path = root / rel
        raw = path.read_bytes()
        bom = raw.startswith(b"\xef\xbb\xbf")
        text = raw.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        header = rows[0]
        col = header.index(column)
        matching = [i for i, r in enumerate(rows[1:], start=1) if r and where(dict(zip(header, r)))]
        rows[matching[nth]][col] = value
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8"))
    return damage


def _org_name(value: str, nth: int):
    """An XCA partner named `value` with no acronym, so that the published partner lists show the name."""
    def damage(root: Path) -> None:
        _edit_csv(XCA_4W, "Implementing Partner Acronym", "", nth=nth)(root)
        _edit_csv(XCA_4W, "Implementing Partner Name", value, nth=nth)(root)
    return damage


def _html(rel: str):
    def damage(root: Path) -> None:
        (root / rel).write_text("<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>")
    return damage


def _serial_dates(root: Path) -> None:
    """An FTS flow whose dates went through Excel: 45678 (a serial day number) instead of an ISO date."""
    for column in ("date", "updatedAt"):  # the same flow (its first XCA row)
        _edit_csv(FLOWS, column, SERIAL_DATE, where=lambda r: r["destLocations"] == "XCA")(root)


def _repeat_row(rel: str, startswith: str):
    """The first line starting with `startswith` repeated at the end of the file (a copy-paste slip)."""
    def damage(root: Path) -> None:
        path = root / rel
        raw = path.read_bytes()
        line = next(x for x in raw.splitlines(keepends=True) if x.decode("utf-8-sig").startswith(startswith))
        path.write_bytes(raw + line)
    return damage


DUPLICATED_HNO_ROW = "XAR,XA02,Eastmarch,,,Final HNRP Caseload,ALL,total,"


def _xar_admin1_total(row: dict) -> bool:
    """A row the needs figures use: an Arland admin 1 total (the Category breakdown rows are not summed)."""
    return (row["Country ISO3"] == "XAR" and bool(row["Admin 1 PCode"]) and not row["Admin 2 PCode"]
            and row["Category"] == "total" and row["In Need"].strip() not in ("", "0"))


PUBLISH_CASES: list[PublishCase] = [
    PublishCase("bad-per-country-file", XBO_3W, _html(XBO_3W), "partial"),
    PublishCase("formula-org-name", XCA_4W, _org_name(FORMULA_ORG, 0), "neutralised", FORMULA_ORG),
    PublishCase("formula-org-name-at-sum", XCA_4W, _org_name(FORMULA_ORG_2, 5), "neutralised", FORMULA_ORG_2),
    PublishCase("formula-donor-name", FLOWS,
                _edit_csv(FLOWS, "srcOrganization", FORMULA_DONOR, where=lambda r: r["destLocations"] == "XAR"),
                "neutralised", FORMULA_DONOR),
    PublishCase("email-phone-in-org-name", XCA_4W, _org_name(PERSONAL, 10), "scrubbed", PERSONAL),
    PublishCase("excel-serial-date-in-flows", FLOWS, _serial_dates, "quarantine", SERIAL_DATE),
    PublishCase("hno-duplicated-row", HNO, _repeat_row(HNO, DUPLICATED_HNO_ROW), "quarantine"),
    *(PublishCase(case_id, HNO, _edit_csv(HNO, "In Need", value, nth=n, where=_xar_admin1_total), "quarantine", value)
      for n, (case_id, value) in enumerate(BAD_COUNTS.items())),
]
