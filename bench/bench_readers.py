"""Time pipelines.lib.readers.read_table on the real HDX files and on a generated 4W CSV.

    .venv/bin/python bench/bench_readers.py                 # 1,000,000 generated rows
    .venv/bin/python bench/bench_readers.py --rows 2000000  # the ~2M-row 4W scenario
    .venv/bin/python bench/bench_readers.py --fallback      # also time the csv-module fallback

Prints rows/s for each file. The real files are skipped when ../shared/hdx-snapshot is absent.
"""
from __future__ import annotations

import argparse
import csv
import logging
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.lib import readers  # noqa: E402
from pipelines.lib.readers import csv_bulk  # noqa: E402
from pipelines.lib.config import Layout  # noqa: E402
from pipelines.lib.paths import shared_snapshot_dir  # noqa: E402

REAL_FILES = [
    ("OCHA-DAP__hdx-scraper-operationalpresence/tests/fixtures/input/3w_august_2025.csv", Layout()),
    ("OCHA-DAP__hdx-scraper-operationalpresence/tests/fixtures/input/"
     "ethiopia_who_is_doing_what_where_4w_may_to_july_2025.csv", Layout()),
    ("OCHA-DAP__hdx-scraper-operationalpresence/tests/fixtures/input/download-global-pcodes-adm-1-2.csv", Layout()),
    ("michand071203__UNDatathon/data/fts_requirements_funding_globalcluster_global.csv", Layout()),
    ("OCHA-DAP__hdx-scraper-covid-viz/tests/fixtures/input/"
     "whowhatwhere_ethiopia_who_is_doing_what_where_4w_february_2022.xlsx", Layout(sheet="Eth_4Ws_February_2022")),
    ("OCHA-DAP__hdx-scraper-operationalpresence/tests/fixtures/input/3w_tcd_avr2025.xlsx",
     Layout(sheet="3W Opérationnelle")),
    ("OCHA-DAP__hdx-scraper-jiaf/input/GLOBAL-JIAF-DATA 1.04.2025.xlsx", Layout(sheet="PiN", header_row=2)),
]

COLUMNS = ["Month", "Activity status", "Donor Acronym", "Donor Name", "Implementing Partner Acronym",
           "Implementing Partner Name", "Implementing Partner Type", "Region", "Zone", "Woreda", "WoredaPcod",
           "Cluster", "Activity", "Lat", "Long"]
TAGS = ["#date+month", "#status", "#org+funder+acronym", "#org+funder+name", "#org+impl+acronym",
        "#org+impl+name", "#org+impl+type", "#adm1+name", "#adm2+name", "#adm3+name", "#adm3+code",
        "#sector", "#activity", "#geo+lat", "#geo+lon"]
ORGS = [("NRC", "Norwegian Refugee Council"), ("SCI", "Save the Children, International"),
        ("IRC", "International Rescue Committee"), ("WV", "World Vision"), ("ZOA", "ZOA")]
CLUSTERS = ["WASH", "Health", "Nutrition", "Protection", "Education", "ESNFI", "CCCM", "Agriculture"]


def generate(path: Path, rows: int) -> None:
    """A 4W-shaped CSV: HXL row, quoted commas, a multi-line cell every 97 rows, trailing empty rows."""
    rng = random.Random(1)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        w.writerow(TAGS)
        for i in range(rows):
            acronym, name = rng.choice(ORGS)
            activity = "Emergency sanitation,\nhygiene kits" if i % 97 == 0 else "Durable water"
            w.writerow(["August", "Completed", "ECHO", "European Commission's Humanitarian Aid", acronym, name,
                        "International NGO", "Benishangul-Gumuz", "Metekel", f"Woreda {i % 900}",
                        f"ET06{i % 9000:04d}", rng.choice(CLUSTERS), activity,
                        f"{10 + rng.random():.8f}", f"{35 + rng.random():.8f}"])
        w.writerows([[""] * len(COLUMNS)] * 100)


def timed(path: Path, layout: Layout, label: str) -> None:
    started, cpu = time.perf_counter(), time.process_time()
    parsed = readers.read_table(path, layout)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    rows = parsed.table.num_rows
    mb = path.stat().st_size / 1e6
    # CPU seconds (all threads) help read the wall time on a busy machine.
    print(f"{label[:60]:60} {rows:>10,} rows {mb:8.1f} MB {seconds:7.2f} s wall {cpu:7.2f} s cpu"
          f" {rows / seconds:>12,.0f} rows/s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows in the generated CSV")
    ap.add_argument("--fallback", action="store_true", help="also time the csv-module fallback path")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="  (%(message)s)")  # shows when the csv-module path is taken

    root = shared_snapshot_dir()
    if (root / "INDEX.md").exists():
        for rel, layout in REAL_FILES:
            if (root / rel).exists():
                timed(root / rel, layout, Path(rel).name)
    else:
        print(f"(real files skipped: {root} not found)")

    with tempfile.TemporaryDirectory(prefix="cw-bench-") as tmp:
        path = Path(tmp) / "generated_4w.csv"
        started = time.perf_counter()
        generate(path, args.rows)
        print(f"(generated {args.rows:,} rows in {time.perf_counter() - started:.1f} s)")
        timed(path, Layout(), "generated 4W CSV, DuckDB path")
        if args.fallback:
            csv_bulk._read_duckdb = lambda *a: None  # force the exact csv-module path
            timed(path, Layout(), "generated 4W CSV, csv-module fallback")


if __name__ == "__main__":
    main()
