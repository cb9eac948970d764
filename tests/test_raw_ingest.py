"""The raw layer on the real HDX files: every configured file loads, row counts match another reader,
lineage is filled, re-runs are no-ops, and bad input fails clearly without touching loaded rows."""
from __future__ import annotations

import csv
import io
import json

import duckdb
import openpyxl
import pytest

from pipelines.lib.config import load_config
from pipelines.lib.errors import SourceError
from pipelines.lib.hdx.snapshot import SnapshotFetcher
from pipelines.lib.ingest import ingest_resource
from pipelines.lib.paths import CONFIG_DIR
from pipelines.lib.warehouse import ALL_PARTITIONS, LINEAGE_COLUMNS, connect, ensure_raw_schema
from tests.snapshot_copy import copy_resource

REAL_CONFIG = CONFIG_DIR / "hdx_snapshot.yaml"


def _is_hxl_row(cells) -> bool:
    filled = [str(c).strip() for c in cells if c is not None and str(c).strip()]
    return bool(filled) and sum(c.startswith("#") for c in filled) * 2 >= len(filled)


def _fts_json_records(path) -> list:
    """An FTS groupby=organization response as the json module sees it: its requirement objects and every
    organisation listed under a funding report's totals."""
    data = json.loads(path.read_text(encoding="utf-8-sig"))["data"]
    records = list(data["requirements"]["objects"])
    for key, section in data.items():
        if key.startswith("report"):
            for group in section["fundingTotals"]["objects"]:
                records += group.get("singleFundingObjects") or []
    return records


def _rows_by_other_reader(path, res):
    """Data rows as Python's csv/json modules or openpyxl see them (header, HXL and blank rows removed)."""
    if path.suffix.lower() == ".json":
        return [], _fts_json_records(path)
    if path.suffix.lower() == ".xlsx":
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        ws = wb[res.layout.sheet] if res.layout.sheet else wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        wb.close()
    else:
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252")
        rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[res.layout.header_row - 1]
    body = rows[res.layout.header_row :]
    if _is_hxl_row(header):
        pass  # the header itself is HXL tags (South Sudan 3W)
    elif body and _is_hxl_row(body[0]):
        body = body[1:]
    return header, [r for r in body if any(c is not None and str(c).strip() not in ("", "-") for c in r)]


@pytest.fixture(scope="module")
def real_raw(real_snapshot, tmp_path_factory, monkeypatch_module):
    data = tmp_path_factory.mktemp("raw-real")
    monkeypatch_module.setenv("CLUSTERWATCH_DATA_DIR", str(data))
    monkeypatch_module.setenv("CLUSTERWATCH_CONFIG", str(REAL_CONFIG))
    monkeypatch_module.setenv("CLUSTERWATCH_SNAPSHOT", str(real_snapshot))
    from pipelines.refresh import run_ingest

    counts = run_ingest(say=lambda _m: None)
    return data, counts


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def test_every_configured_file_loads_with_the_row_count_another_reader_sees(real_raw, real_snapshot):
    data, _ = real_raw
    cfg = load_config(REAL_CONFIG)
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    for kind, res in cfg.sources.all():
        path = real_snapshot / res.path
        header, rows = _rows_by_other_reader(path, res)
        loaded = con.execute(
            f"select count(*) from raw.{res.table} where _source_key = ?", [res.id]
        ).fetchone()[0]
        if res.country_column:
            # Multi-country files keep only the configured countries' rows.
            names = [str(h).strip() if h is not None else "" for h in header]
            idx = names.index(res.country_column)
            expected = sum(1 for r in rows if str(r[idx] or "").strip().upper() in cfg.countries)
        else:
            expected = len(rows)
        assert loaded == expected, f"{kind}/{res.id}: loaded {loaded}, other reader counts {expected}"
        assert loaded > 0, f"{kind}/{res.id} loaded nothing"
    con.close()


def test_lineage_columns_are_filled_on_every_row(real_raw):
    data, counts = real_raw
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    for table, n in counts.items():
        if n == 0:
            continue
        # _resource_modified comes from CKAN metadata or the file's mtime: always known here.
        nulls = " + ".join(f"count(*) filter (where {c} is null)" for c in LINEAGE_COLUMNS)
        assert con.execute(f"select {nulls} from raw.{table}").fetchone()[0] == 0, table
        bad_hash = con.execute(f"select count(*) from raw.{table} where length(_source_sha256) <> 64").fetchone()[0]
        assert bad_hash == 0
    # Recorded CKAN metadata gives the real ids.
    row = con.execute(
        "select distinct _dataset_id, _resource_id, _resource_modified from raw.presence where _source_key = 'som_3w_2025_jan_apr'"
    ).fetchall()
    assert row == [("be09b1a5-e457-448f-8d2d-63b0debc1742", "0ff98f8a-cdae-40d1-a0d6-c19e3c3ad127", "2025-09-02T08:44:04.942667")]
    con.close()


def test_rerun_is_a_noop_and_changes_nothing(real_raw):
    data, counts = real_raw
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    before = con.execute("select max(_loaded_at), count(*) from raw.presence").fetchone()
    con.close()
    from pipelines.refresh import run_ingest

    lines: list[str] = []
    again = run_ingest(say=lines.append)
    assert again == counts
    loads = [l for l in lines if "raw." in l]
    assert loads and all("unchanged" in l for l in loads), loads
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    assert con.execute("select max(_loaded_at), count(*) from raw.presence").fetchone() == before
    con.close()


def test_parsing_quirks_survive_into_raw(real_raw):
    data, _ = real_raw
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    # Chad 3W: short p-codes as published, French sector names intact.
    assert ("TD19",) in q("select distinct admin1_code from raw.presence where _source_key = 'tcd_3w_2025_apr'")
    assert ("Santé",) in q("select distinct sector from raw.presence where _source_key = 'tcd_3w_2025_apr'")
    # ETH Feb 2022: the VLOOKUP column comes through as its cached values.
    assert q("select count(*) from raw.presence where _source_key = 'eth_4w_2022_feb' and admin3_code like 'ET%'")[0][0] > 7000
    assert q("select count(*) from raw.presence where admin3_code like '=%'")[0][0] == 0
    # ETH drought: three header rows; '80 418'-style numbers kept verbatim for dbt's parse_count; '-' is null.
    spaced = q("select count(*) from raw.drought_needs where health_affected like '% %'")[0][0]
    assert spaced > 0
    assert q("select count(*) from raw.drought_needs where health_affected = '-'")[0][0] == 0
    # JIAF: floats kept at full precision (dbt rounds them).
    assert q("select count(*) from raw.jiaf_pin where final_pin like '%.%'")[0][0] > 0
    # AFG 3W (.web app file): HXL row skipped, BOM stripped, 2,414 rows.
    assert q("select count(*) from raw.presence where _source_key = 'afg_3w_2021_jul_sep'")[0][0] == 2414
    assert q("select count(*) from raw.presence where org_acronym like '#%'")[0][0] == 0
    # COD-PS CAF: cp1252 decoded.
    caf = q("select count(*) from raw.population_wide where country_code = 'CAF'")[0][0]
    assert caf == 17
    con.close()


def _good_and_bad(real_snapshot, tmp_path, kind, res_id):
    """A private snapshot copy of one resource's file, for corrupting."""
    cfg = load_config(REAL_CONFIG)
    res = next(r for k, r in cfg.sources.all() if r.id == res_id)
    root = tmp_path / "snap"
    return cfg, res, root, copy_resource(real_snapshot, res, root)


@pytest.mark.parametrize(
    "corrupt, expected",
    [
        (lambda p: p.write_text("<!DOCTYPE html><html><body>502 Bad Gateway</body></html>"), "HTML"),
        (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), ""),
        (lambda p: p.write_bytes(b""), "empty"),
    ],
    ids=["html-instead-of-data", "truncated", "empty"],
)
def test_bad_input_gives_a_clear_error_and_keeps_loaded_rows(real_snapshot, tmp_path, data_dir, corrupt, expected):
    cfg, res, root, target = _good_and_bad(real_snapshot, tmp_path, "presence", "som_3w_2025_jan_apr")
    fetcher = SnapshotFetcher(root)
    with connect() as con:
        ensure_raw_schema(con)
        first = ingest_resource(con, fetcher, res, "presence", "SOM")
        before = con.execute("select count(*), max(_loaded_at) from raw.presence").fetchone()
    corrupt(target)
    with connect() as con:
        with pytest.raises(SourceError) as e:
            ingest_resource(con, fetcher, res, "presence", "SOM")
        after = con.execute("select count(*), max(_loaded_at) from raw.presence").fetchone()
    msg = str(e.value)
    assert "somalia-operational-presence" in msg and "3W Operational Presence Dataset_January - April 2025.xlsx" in msg
    assert expected.lower() in msg.lower()
    assert after == before == (first.rows, before[1])


def test_a_mapping_that_does_not_fit_names_file_sheet_and_column(real_snapshot, tmp_path, data_dir):
    cfg, res, root, _ = _good_and_bad(real_snapshot, tmp_path, "presence", "som_3w_2025_jan_apr")
    bad = res.model_copy(update={"columns": {**res.columns, "admin2_code": "District P-Code"}})
    with connect() as con:
        ensure_raw_schema(con)
        with pytest.raises(SourceError) as e:
            ingest_resource(con, SnapshotFetcher(root), bad, "presence", "SOM")
    msg = str(e.value)
    assert "District P-Code" in msg and "3W_Dataset_January - April 2025" in msg and ".xlsx" in msg


def test_wrong_header_row_for_a_fixed_format_is_refused(real_snapshot, tmp_path, data_dir):
    cfg, res, root, _ = _good_and_bad(real_snapshot, tmp_path, "funding", "fts_plan_all")
    bad = res.model_copy(update={"layout": res.layout.model_copy(update={"header_row": 2})})
    with connect() as con:
        ensure_raw_schema(con)
        with pytest.raises(SourceError) as e:
            ingest_resource(con, SnapshotFetcher(root), bad, "funding", ALL_PARTITIONS)
        assert con.execute("select count(*) from raw.fts_plan").fetchone()[0] == 0
    assert "raw.fts_plan" in str(e.value) and "header_row" in str(e.value)


def test_changed_file_replaces_the_partition_rows_instead_of_adding(real_snapshot, tmp_path, data_dir):
    cfg, res, root, target = _good_and_bad(real_snapshot, tmp_path, "flows", "fts_incoming_2020")
    fetcher = SnapshotFetcher(root)
    with connect() as con:
        ensure_raw_schema(con)
        first = ingest_resource(con, fetcher, res, "flows", ALL_PARTITIONS)
        lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
        target.write_text("".join(lines[:-10]), encoding="utf-8")  # a newer file with fewer rows
        second = ingest_resource(con, fetcher, res, "flows", ALL_PARTITIONS)
        n = con.execute("select count(*) from raw.fts_flows").fetchone()[0]
    assert not second.skipped and second.rows == first.rows - 10 == n


def test_header_only_presence_file_loads_no_rows_with_a_warning_naming_the_file(real_snapshot, tmp_path, data_dir):
    cfg, res, root, target = _good_and_bad(real_snapshot, tmp_path, "presence", "eth_4w_2025_may_jul")
    lines = target.read_bytes().splitlines(keepends=True)
    target.write_bytes(lines[0])  # the header row only
    with connect() as con:
        ensure_raw_schema(con)
        result = ingest_resource(con, SnapshotFetcher(root), res, "presence", "ETH")
    assert result.rows == 0
    assert len(result.warnings) == 1 and target.name in result.warnings[0] and "no data rows" in result.warnings[0]


def test_no_raw_table_holds_a_column_outside_its_contract(real_raw):
    """Only mapped columns reach the warehouse: every raw column is a contract column (raw_tables.is_mapped), a
    constant of the config or lineage; the real files' extra columns (FTS keywords, JIAF indicators) are left out."""
    from pipelines.lib.raw_tables import is_mapped

    data, counts = real_raw
    cfg = load_config(REAL_CONFIG)
    constants = {(r.table, c) for _, r in cfg.sources.all() for c in r.constants}
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    columns = con.execute(
        "select table_name, column_name from information_schema.columns where table_schema = 'raw' "
        "and not starts_with(table_name, '_')"
    ).fetchall()
    con.close()
    outside = [(t, c) for t, c in columns if not (is_mapped(t, c) or c in LINEAGE_COLUMNS or (t, c) in constants)]
    assert columns and not outside, outside
    have = {(t, c) for t, c in columns}
    assert ("fts_flows", "keywords") not in have and ("jiaf_severity", "mortality") not in have
    assert ("drought_needs", "health_affected") in have and ("population_wide", "enfants_00_18") in have


def _with_contact_column(target) -> int:
    """Add an unmapped contact column (an e-mail and a phone number on every row) to a CSV; returns its data rows."""
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"), newline="")))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*rows[0], "Contact"])
    for n, row in enumerate(rows[1:]):
        writer.writerow([*row, f"focal.point{n}@example.org / +252 61 5{n:06d}"])
    target.write_text(out.getvalue(), encoding="utf-8")
    return len(rows) - 1


def test_an_unmapped_hno_contact_column_never_reaches_the_warehouse(real_snapshot, tmp_path, data_dir):
    cfg, res, root, target = _good_and_bad(real_snapshot, tmp_path, "needs", "hno_hpc_2024")
    n = _with_contact_column(target)
    with connect() as con:
        ensure_raw_schema(con)
        result = ingest_resource(con, SnapshotFetcher(root), res, "needs", ALL_PARTITIONS)
        columns = [r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = 'hno_hpc'"
        ).fetchall()]
        text = con.execute("select count(*) from raw.hno_hpc t where contains(cast(t as varchar), '@')").fetchone()[0]
    assert result.rows == n == 1058
    assert result.dropped_columns == ("contact",)
    assert "contact" not in columns and text == 0


def test_a_column_an_older_load_kept_is_dropped_when_its_rows_are_replaced(real_snapshot, tmp_path, data_dir):
    """A warehouse loaded before the contract applied held every column of a file: the reload (forced by the
    contract's fingerprint) replaces those rows and drops the column once nothing holds a value in it."""
    cfg, res, root, target = _good_and_bad(real_snapshot, tmp_path, "needs", "hno_hpc_2024")
    with connect() as con:
        ensure_raw_schema(con)
        con.execute("alter table raw.hno_hpc add column contact varchar")
        con.execute("insert into raw.hno_hpc (country_iso3, contact, _source_key, _partition, _row_number) "
                    f"values ('AFG', 'someone@example.org', '{res.id}', '{ALL_PARTITIONS}', 2)")
        ingest_resource(con, SnapshotFetcher(root), res, "needs", ALL_PARTITIONS)
        columns = [r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = 'hno_hpc'"
        ).fetchall()]
    assert "contact" not in columns


def test_a_file_loaded_slice_by_slice_gives_the_same_rows_as_at_once(real_snapshot, tmp_path, data_dir, monkeypatch):
    """Big files are shaped and inserted a slice at a time (memory follows the slice, not the file), and a big CSV
    is held dictionary-encoded until then: the rows, their row numbers and duplicate hashes are those of a load in
    one piece of plain strings, and the country filter holds."""
    import pipelines.lib.ingest as ingest
    from pipelines.lib.readers import csv_bulk

    for kind, res_id, partition in (("presence", "eth_4w_2025_may_jul", "ETH"), ("needs", "hno_hpc_2024", "AFG")):
        cfg, res, root, _ = _good_and_bad(real_snapshot, tmp_path / res_id, kind, res_id)
        fetcher = SnapshotFetcher(root)
        loads = {}
        for rows_per_slice, compact_above in ((10_000_000, 1 << 40), (97, 1 << 40), (97, 0)):
            monkeypatch.setattr(ingest, "SHAPE_ROWS", rows_per_slice)
            monkeypatch.setattr(csv_bulk, "COMPACT_BYTES", compact_above)
            ingest._read_cached.cache_clear()  # read again, held the other way
            with connect() as con:
                ensure_raw_schema(con)
                result = ingest_resource(con, fetcher, res, kind, partition, force=True)
                loads[rows_per_slice, compact_above] = (result.rows, con.execute(
                    f"select * exclude (_loaded_at) from raw.{res.table} where _source_key = ? order by _row_number",
                    [res.id]).fetchall())
        (n_once, once), (n_sliced, sliced) = loads[10_000_000, 1 << 40], loads[97, 1 << 40]
        n_compact, compact = loads[97, 0]
        assert n_once == n_sliced == n_compact == len(once) > 0, res_id
        assert sliced == once, res_id
        assert compact == once, res_id
    # The multi-country HNO file spans several slices and keeps only the partition's country's rows.
    assert ingest.read_fetched(res, fetcher.fetch(res)).num_rows > max(len(once), 97 * 5)
    assert all("AFG" in r for r in once)


def test_the_lookup_tables_of_older_versions_are_dropped(tmp_path):
    """The p-code lookup lived in schema `normalised`, written by Python, before it became dbt models: a
    warehouse from then loses that stale copy at its next load, and nothing else."""
    with connect(tmp_path / "w.duckdb") as con:
        con.execute("create schema normalised")
        con.execute("create table normalised.admin_lookup as select 'presence' as source_table")
        con.execute("create schema intermediate")
        con.execute("create table intermediate.int_admin_lookup as select 'presence' as source_table")
        ensure_raw_schema(con)
        schemas = {r[0] for r in con.execute("select schema_name from duckdb_schemas() where not internal").fetchall()}
        assert "normalised" not in schemas and {"raw", "intermediate"} <= schemas
        assert con.execute("select count(*) from intermediate.int_admin_lookup").fetchone() == (1,)
