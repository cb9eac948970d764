"""The new-country path as an information manager takes it, for the onboarding tests:
`config suggest-4w FILE --country ISO3` (the CLI itself), paste the entry, fill in the dataset name, refresh.

`suggested_entry` runs the CLI and returns the pasted entry with only the dataset name filled in;
`coverage_shares` reads from a built warehouse the share of each file's rows that reach coverage
(a known sector and a matched admin1, not excluded), exact duplicates counted once."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import yaml

from pipelines.lib.paths import CONFIG_DIR, REPO_ROOT

PART3 = "OCHA-DAP__hdx-scraper-covid-viz/tests/fixtures/input/"
# Part 3 files the suggester may be developed on (two more are held out for a newcomer's check).
PART3_FILES = {
    "MOZ": PART3 + "whowhatwhere_20190731_ocha_moz_response_tracking_matrix_consolidated_20190909.xlsx",
    "HND": PART3 + "whowhatwhere_345_honduras.csv",
    "CAF": PART3 + "whowhatwhere_3w_car_mar2022.xlsx",
    "BFA": PART3 + "whowhatwhere_5w_bfa_fev2022.xlsx",
    "CMR": PART3 + "whowhatwhere_cmr_5w_national_june2021.xlsx",
    "IRQ": PART3 + "whowhatwhere_iraq_3w_jan_to_apr_2022_longtable_20220518.xlsx",
    "UKR": PART3 + "whowhatwhere_ukr_5w_round12_2022_05_26.xlsx",
    "VEN": PART3 + "whowhatwhere_3w_venezuela.xlsx",
}


def configured_presence() -> list[tuple[str, str]]:
    """(country, path) of the presence files hdx_snapshot.yaml configures."""
    cfg = yaml.safe_load((CONFIG_DIR / "hdx_snapshot.yaml").read_text(encoding="utf-8"))
    return [(r["country"], r["path"]) for r in cfg["sources"]["presence"]]


def run_suggest(snapshot: Path, rel_path: str, country: str) -> tuple[int, str]:
    cmd = [str(Path(sys.executable).parent / "clusterwatch"), "config", "suggest-4w", str(snapshot / rel_path),
           "--country", country, "--config", str(CONFIG_DIR / "hdx_snapshot.yaml")]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
    return proc.returncode, proc.stdout + proc.stderr


def entry_from_output(out: str, dataset: str) -> dict | None:
    """The pasted entry (the indented YAML list item after the report), dataset name filled in."""
    lines = out.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("    - id: ")), None)
    if start is None:
        return None
    text = "\n".join(lines[start:]).replace("TODO-hdx-dataset-name", dataset)
    return yaml.safe_load(text)[0]


def coverage_shares(warehouse: Path) -> dict[str, dict]:
    """Per source key: rows, rows reaching coverage, and the exclusion reasons of the rest."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            """
            select source_key, count(*) as n,
                   count(*) filter (where exclusion_reason is null and sector_code is not null
                                    and admin1_pcode is not null) as ok,
                   count(*) filter (where exclusion_reason = 'duplicate_row') as dup,
                   list(distinct exclusion_reason) filter (where exclusion_reason is not null) as reasons
            from intermediate.int_presence group by 1
            """
        ).fetchall()
        reasons = con.execute(
            """select source_key, exclusion_reason, count(*) from intermediate.int_presence
               where exclusion_reason is not null group by 1, 2 order by 1, 3 desc"""
        ).fetchall()
    finally:
        con.close()
    # Exact duplicates are counted once: the share is of the file's distinct rows.
    out = {k: {"rows": n, "duplicates": dup, "ok": ok, "share": ok / (n - dup) if n > dup else 0.0, "reasons": {}}
           for k, n, ok, dup, _ in rows}
    for k, reason, n in reasons:
        out[k]["reasons"][reason] = n
    return out
