"""The personal-data rule is written twice (Python for `config check` and the published-file checks, dbt macros
for staging); both run here on the same strings and must agree. It removes what a careless provider types into a
name field, and leaves every real value of the snapshot alone (p-codes, plan codes, years, amounts, ids)."""
from __future__ import annotations

import re

import duckdb
import jinja2
import pyarrow as pa
import pytest

from pipelines.lib.paths import DBT_PROJECT_DIR
from pipelines.lib.personal_data import personal_data_kind, scrub_personal_data
from pipelines.lib.raw_tables import RAW_TABLES

# (text, what is left, kind)
CASES = [
    ("ali.hassan@example.org / +252 61 5123456", None, "email and phone"),
    ("Save the Children (SC) sc.som@savethechildren.org", "Save the Children (SC)", "email"),
    ("Mercy Corps, email: focal.point@mercycorps.org", "Mercy Corps", "email"),
    ("UNICEF Tel: 061 512 3456", "UNICEF", "phone"),
    ("World Vision (+252 61 5123456)", "World Vision", "phone"),
    ("CARE 0911 234567", "CARE", "phone"),
    ("(+235) 66 12 34 56", None, "phone"),
    ("00252615123456", None, "phone"),
    ("0611234567/0621234567", None, "phone"),
    ("contact: +33 6 12 34 56 78 ; x.y@un.org", None, "email and phone"),
    ("Médecins Sans Frontières\u00a0— msf-ocb@brussels.msf.org", "Médecins Sans Frontières\u00a0—", "email"),
]
# Real shapes that must stay as they are.
LEGIT = [
    "HSOM24", "SO1101", "ET041234", "TCD19", "2025-01-01", "1.04.2025", "01/04/2025", "-36063952.0", "80 418",
    "1 234 567", "1,234,567", "737051.4398963449", "682c3db6-e253-430f-a3f3-305ef079e2de",
    "0123456789abcdef0123456789abcdef", "Famine Prevention COVID-19 2020", "20220520_3w_op_january_march_2022.xlsx",
    "+5000", "12345678901", "  WASH  ", "", "HSSD20: -862000.0 / 0.0", "=cmd|' /C calc'!A0", "@SUM(1+1)",
    "Final PiN 475942 excludes refugees: 780813 refugees", "GLOBAL-JIAF-DATA 1.04.2025.xlsx", "FTS-26513",
]


def _sql_rules(strings: list[str | None]) -> list[tuple[str | None, str | None]]:
    macro = (DBT_PROJECT_DIR / "macros" / "personal_data.sql").read_text(encoding="utf-8")
    module = jinja2.Environment(extensions=["jinja2.ext.do"]).from_string(macro).module
    con = duckdb.connect()
    con.register("t", pa.table({"i": list(range(len(strings))), "v": pa.array(strings, type=pa.string())}))
    sql = f"select {module.scrub_personal_data('v')}, {module.personal_data_kind('v')} from t order by i"
    return [tuple(r) for r in con.execute(sql).fetchall()]


@pytest.mark.parametrize(("text", "left", "kind"), CASES)
def test_what_is_removed_and_what_is_left(text, left, kind):
    assert scrub_personal_data(text) == left
    assert personal_data_kind(text) == kind


def test_legitimate_values_are_left_alone():
    assert [(scrub_personal_data(s), personal_data_kind(s)) for s in LEGIT] == [(s, None) for s in LEGIT]


def test_python_and_dbt_rules_agree():
    strings = [c[0] for c in CASES] + LEGIT + [None, "a@b.co\n", "tel 0611234567\n", "x\t+252 61 5123456\r\n"]
    assert _sql_rules(strings) == [(scrub_personal_data(s), personal_data_kind(s)) for s in strings]


def test_the_cheap_hint_never_misses_what_the_full_rule_finds():
    """Staging skips the full rule where HINT does not match (or, before it, where the text has no '@', '+' or
    '0'), so both must hold for every text the rule changes or reports. Checked on the cases and on 30,000 random
    phone-like strings (digits and separators, with or without a +, 0 or 00 start, amid random characters). The
    dbt macro carries the same pattern."""
    import random

    from pipelines.lib import personal_data as pd

    rng = random.Random(11)
    noise = "0123456789 +-./()@aZ_,\t"

    def number() -> str:  # phone-like: a start (+, 00, 0, (0 or a digit), digits with separators between
        digits = "".join(rng.choice(["", "", " ", ".", "-", "(", ")"]) + rng.choice("0123456789")
                         for _ in range(rng.randint(6, 15)))
        return rng.choice(["+", "00", "0", "(0", "", "+(", "0 "]) + digits

    def around() -> str:
        return "".join(rng.choice(noise) for _ in range(rng.randint(0, 3)))

    texts = [c[0] for c in CASES] + LEGIT + [around() + number() + around() for _ in range(30_000)]
    found = [t for t in texts if pd.personal_data_kind(t) or pd._removed(t) != t]
    assert len(found) > 500  # the random strings do hold numbers the rule takes
    assert [t for t in found if not pd._hint.search(t)] == []
    assert [t for t in found if not any(ch in t for ch in "@+0")] == []  # the macro's first, cheaper test
    macro = (DBT_PROJECT_DIR / "macros" / "personal_data.sql").read_text(encoding="utf-8")
    assert re.search(r"macro _pd_hint\(\) %\}'(.*?)'\{% endmacro", macro).group(1) == pd.HINT


def test_every_raw_table_is_scanned_for_personal_data():
    sql = (DBT_PROJECT_DIR / "models" / "staging" / "stg_raw__personal_data.sql").read_text(encoding="utf-8")
    listed = re.search(r"set raw_tables = \[(.*?)\]", sql, re.S).group(1)
    assert sorted(re.findall(r"'([a-z_]+)'", listed)) == sorted(RAW_TABLES)


def test_every_staging_model_reads_raw_through_the_scrub():
    for path in (DBT_PROJECT_DIR / "models" / "staging").glob("stg_*.sql"):
        if path.stem.startswith("stg_clusterwatch__"):
            continue  # the loader's own logs (file names, counts, reasons), no source text
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"from \{\{ source\('raw'", text), f"{path.name} reads raw without scrubbed_source"


def test_real_values_of_every_configured_file_are_left_alone(real_snapshot):
    """Every distinct text of every configured real file, read by the loader's reader: neither rule changes one."""
    from pipelines.lib.config import load_config
    from pipelines.lib.hdx.snapshot import SnapshotFetcher
    from pipelines.lib.ingest import read_fetched
    from pipelines.lib.paths import CONFIG_DIR

    cfg = load_config(CONFIG_DIR / "hdx_snapshot.yaml")
    fetcher = SnapshotFetcher(real_snapshot)
    values: set[str] = set()
    for _, res in cfg.sources.all():
        parsed = read_fetched(res, fetcher.fetch(res), cfg.limits)
        for name in parsed.columns:
            values.update(v for v in parsed.table.column(name).to_pylist() if isinstance(v, str))
    strings = sorted(values)
    assert len(strings) > 100_000
    changed = [s for s in strings if scrub_personal_data(s) != s or personal_data_kind(s)]
    assert changed == []
    sql_changed = [s for s, (left, kind) in zip(strings, _sql_rules(strings)) if left != s or kind]
    assert sql_changed == []


def test_planted_personal_data_is_removed_in_staging_and_reported(real_snapshot, tmp_path):
    """A 4W file with an e-mail and phone numbers typed into organisation names: staging has the names without
    them (a name that was nothing else is null), and each cell is one warning naming file, row and column."""
    import csv
    import io
    import subprocess
    import sys
    from pathlib import Path

    from pipelines.lib.config import load_config
    from pipelines.lib.hdx.snapshot import SnapshotFetcher
    from pipelines.lib.ingest import ingest_resource
    from pipelines.lib.paths import CONFIG_DIR
    from pipelines.lib.warehouse import connect, ensure_raw_schema
    from tests.dbt_env import dbt_env
    from tests.snapshot_copy import copy_resource

    cfg = load_config(CONFIG_DIR / "hdx_snapshot.yaml")
    res = next(r for _, r in cfg.sources.all() if r.id == "eth_4w_2025_aug")
    root = tmp_path / "snap"
    target = copy_resource(real_snapshot, res, root)
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"), newline="")))
    name = rows[0].index(res.columns["org_name"])
    hxl = 1 if rows[1][0].startswith("#") else 0  # file row of the first data row: 2 + hxl
    planted = {2 + hxl: "ali.hassan@example.org / +252 61 5123456", 3 + hxl: "CARE Tel: 0911 234567"}
    original = {n: rows[n - 1][name] for n in planted}
    for n, text in planted.items():
        rows[n - 1][name] = text
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    target.write_text(out.getvalue(), encoding="utf-8")

    work = tmp_path / "work"
    work.mkdir()
    with connect(work / "warehouse.duckdb") as con:
        ensure_raw_schema(con)
        ingest_resource(con, SnapshotFetcher(root), res, "presence", "ETH")
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "run", "--select",
         "stg_hdx__presence stg_raw__personal_data int_quality_issues__personal_data",
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
        cwd=DBT_PROJECT_DIR, env=dbt_env(work), capture_output=True, text=True, timeout=1200,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    con = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
    names = dict(con.execute(
        "select _row_number, org_name from staging.stg_hdx__presence where _row_number in (?, ?)", list(planted)
    ).fetchall())
    issues = con.execute(
        'select file, "row", field, value, issue_code, severity, issue from intermediate.int_quality_issues__personal_data '
        'order by "row"'
    ).fetchall()
    leaked = con.execute(
        "select count(*) from staging.stg_hdx__presence t where contains(cast(t as varchar), '@') "
        "or contains(cast(t as varchar), '5123456') or contains(cast(t as varchar), '234567')"
    ).fetchall()[0][0]
    con.close()
    assert names == {2 + hxl: None, 3 + hxl: "CARE"} and all(original.values())
    assert [i[:6] for i in issues] == [
        (target.name, 2 + hxl, "org_name", "email and phone removed", "personal_data_removed", "warning"),
        (target.name, 3 + hxl, "org_name", "phone removed", "personal_data_removed", "warning"),
    ]
    assert not any("5123456" in i[6] or "@" in i[6] for i in issues)
    assert leaked == 0
    # Source text only: the mapped columns are scanned, not the lineage columns nor the loader's row_hash.
    scan = (work / "dbt_target" / "compiled" / "clusterwatch" / "models" / "staging" / "stg_raw__personal_data.sql"
            ).read_text(encoding="utf-8")
    assert "'field': 'org_name'" in scan and "'field': 'row_hash'" not in scan and "'field': '_" not in scan
