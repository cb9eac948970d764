"""The command line end to end: config check, config suggest-4w (on the real 3W/4W files), docs, ui.

`suggest-4w` is held to what an information manager needs: the entry it prints, pasted into a config
with no edits, validates and loads the file with the right number of rows and the key columns filled.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from pipelines import cli
from pipelines.lib.config import load_config
from pipelines.lib.hdx.snapshot import SnapshotFetcher
from pipelines.lib.ingest import ingest_resource
from pipelines.lib.paths import CONFIG_DIR, DEFAULT_CONFIG, REPO_ROOT
from pipelines.lib.warehouse import connect, ensure_raw_schema
from pipelines.settings import ENV_CONFIG, ENV_LIVE, ENV_SNAPSHOT

OP = "OCHA-DAP__hdx-scraper-operationalpresence/tests/fixtures/input"
COVID = "OCHA-DAP__hdx-scraper-covid-viz/tests/fixtures/input"


@pytest.fixture(autouse=True)
def restore_env(monkeypatch):
    """The CLI passes settings on by env var (os.environ); put them back after each test."""
    for key in (ENV_CONFIG, ENV_SNAPSHOT, ENV_LIVE, "CLUSTERWATCH_DATA_DIR"):
        if key in os.environ:
            monkeypatch.setenv(key, os.environ[key])
        else:  # recorded as absent, so that monkeypatch deletes it again after the test
            monkeypatch.setenv(key, "")
            monkeypatch.delenv(key)


def run_cli(capsys, *args: str) -> tuple[int, str]:
    code = cli.main(list(args))
    return code, capsys.readouterr().out


# ---------------------------------------------------------------------------------------- config check


def test_config_check_console_script():
    """The installed entry point, in its own process, on the default config."""
    out = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "config", "check"], cwd=REPO_ROOT, capture_output=True, text=True,
        env={k: v for k, v in os.environ.items() if k != ENV_CONFIG}, timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "sample.yaml: OK" in out.stdout and "XAR, XBO, XCA" in out.stdout


@pytest.mark.parametrize("name", ["sample.yaml", "hdx_snapshot.yaml"])
def test_config_check_shipped_configs(capsys, name):
    code, out = run_cli(capsys, "config", "check", "--config", str(CONFIG_DIR / name))
    assert code == 0, out
    assert f"{name}: OK" in out and "presence" in out


def test_config_check_broken_config_names_the_problem(capsys, tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text(textwrap.dedent("""
        name: broken
        countries: [SOM]
        sources:
          presence:
            - id: som_3w
              table: presence
              country: TCD
              dataset: somalia-operational-presence
              columns: {org_name: Org, sector: Cluster, admin1_code: P, beneficiaries: Total}
    """))
    code, out = run_cli(capsys, "config", "check", "--config", str(bad))
    assert code == 2
    assert str(bad) in out
    assert "sources.presence[id=som_3w]" in out and "TCD is not in countries" in out
    bad.write_text("name: x\ncountries: [som]\nsources: {}\n")
    code, out = run_cli(capsys, "config", "check", "--config", str(bad))
    assert code == 2 and "countries" in out and "ISO3" in out
    code, out = run_cli(capsys, "config", "check", "--config", str(tmp_path / "missing.yaml"))
    assert code == 2 and "not found" in out


# ---------------------------------------------------------------------------------------- suggest-4w


def suggested_config(tmp_path: Path, snapshot: Path, entries: str, countries: list[str]) -> Path:
    """A config made of the printed output, pasted as is under `presence:`."""
    text = (
        f"name: suggested\ncountries: [{', '.join(countries)}]\nsnapshot: {snapshot}\n"
        "sources:\n  presence:\n" + entries
    )
    path = tmp_path / "suggested.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def load_presence(cfg_path: Path, snapshot: Path, data_dir: Path):
    """Ingest every presence resource of the config; the raw.presence rows of each, as Arrow."""
    cfg = load_config(cfg_path)
    fetcher = SnapshotFetcher(snapshot)
    out = {}
    with connect(data_dir / "warehouse.duckdb") as con:
        ensure_raw_schema(con)
        for res in cfg.resources("presence"):
            result = ingest_resource(con, fetcher, res, "presence", res.country)
            rows = con.sql(
                "select * from raw.presence where _source_key = $key order by _row_number", params={"key": res.id}
            ).to_arrow_table()
            assert rows.num_rows == result.rows
            out[res.id] = rows
    return cfg, out


def filled(rows, column: str) -> float:
    col = rows.column(column)
    return 1 - col.null_count / max(len(col), 1)


# file, country, data rows, fields that must be mapped (to these references, when given)
REAL_4W = [
    pytest.param(
        f"{OP}/3w_operational_presence_dataset_january_april_2025.xlsx", "SOM", 4146,
        {"org_name": "Organization_Name", "sector": "Cluster", "admin1_code": "RegionPcode",
         "admin2_code": "DistrictPcode", "org_type": "Organization Type"},
        id="SOM-3W-xlsx",
    ),
    pytest.param(
        f"{OP}/3w_tcd_avr2025.xlsx", "TCD", 1556,
        # the p-code column is called Title; only three columns carry HXL tags (row 2)
        {"org_name": "Organisation", "sector": "#sector", "admin1_code": "Title", "admin1_name": "#adm1+name",
         "org_acronym": "#org+acronym"},
        id="TCD-3W-2025-xlsx",
    ),
    pytest.param(
        f"{COVID}/whowhatwhere_afghanistan_who_does_what_where_july_to_september_2021.web app", "AFG", 2414,
        {"org_name": "#org+name-type", "sector": "#sector+cluster+code", "admin2_code": "#adm2+code",
         "org_type": "#org+name+type"},
        id="AFG-3W-webapp-csv",
    ),
    pytest.param(
        f"{COVID}/whowhatwhere_ss_20220520_3w_op_january_march_2022.xlsx", "SSD", 2782,
        # the header row IS the HXL row, except the cluster column called Name
        {"org_name": "#org+name+reporting", "sector": "Name", "admin2_code": "#adm2+code",
         "org_acronym": "#org+reporting-name-type"},
        id="SSD-3W-xlsx",
    ),
    pytest.param(
        f"{OP}/3w_august_2025.csv", "ETH", 3122,  # 7,324 lines of which 4,202 are empty trailing rows
        {"org_name": "Implementing Partner Name", "sector": "Cluster", "admin3_code": "WoredaPcod",
         "admin1_name": "Region", "status": "Activity status"},
        id="ETH-4W-aug-2025-csv",
    ),
]


@pytest.mark.real
@pytest.mark.parametrize("rel, country, n_rows, expected", REAL_4W)
def test_suggest_4w_real_file_loads_unedited(capsys, tmp_path, real_snapshot, rel, country, n_rows, expected):
    code, out = run_cli(capsys, "config", "suggest-4w", str(real_snapshot / rel), "--snapshot", str(real_snapshot))
    assert code == 0, out
    assert f"{n_rows:,} data rows" in out  # the report
    cfg_path = suggested_config(tmp_path, real_snapshot, out, [country])  # the whole output, comments and all
    cfg, loaded = load_presence(cfg_path, real_snapshot, tmp_path)

    (res,) = cfg.resources("presence")
    assert res.country == country  # guessed from the p-codes
    assert res.path == rel  # relative to the snapshot root
    for field, ref in expected.items():
        assert res.columns.get(field) == ref, (field, res.columns)
    rows = loaded[res.id]
    assert rows.num_rows == n_rows
    assert filled(rows, "org_name") > 0.95 and filled(rows, "sector") > 0.99
    admin = [f for f in ("admin1_code", "admin2_code", "admin3_code", "admin1_name") if f in res.columns]
    assert admin and filled(rows, admin[0]) > 0.99


@pytest.mark.real
def test_suggest_4w_through_cli_ingest(capsys, tmp_path, real_snapshot, data_dir):
    """Two suggestions pasted into one config, loaded by `clusterwatch ingest --config ... --snapshot ...`."""
    entries = []
    for rel in (f"{OP}/3w_tcd_avr2025.xlsx", f"{COVID}/whowhatwhere_ss_20220520_3w_op_january_march_2022.xlsx"):
        code, out = run_cli(capsys, "config", "suggest-4w", str(real_snapshot / rel), "--snapshot", str(real_snapshot))
        assert code == 0
        entries.append(out)
    cfg_path = suggested_config(tmp_path, real_snapshot, "\n".join(entries), ["TCD", "SSD"])
    code, out = run_cli(capsys, "config", "check", "--config", str(cfg_path))
    assert code == 0, out
    code, out = run_cli(capsys, "ingest", "--config", str(cfg_path), "--snapshot", str(real_snapshot))
    assert code == 0, out
    assert "raw.presence: 4,338" in out  # 1,556 (TCD) + 2,782 (SSD)


def test_suggest_4w_on_the_sample_files_matches_the_hand_written_mapping(tmp_path, data_dir):
    """Runs without ../shared: the fictional sample's 3W/4W files, whose config was written by hand."""
    from pipelines.lib.suggest import render_entry, suggest
    from pipelines.sample.generate import generate

    snapshot = tmp_path / "sample"
    generate(snapshot)
    hand = load_config(DEFAULT_CONFIG)
    entries = []
    for res in hand.resources("presence"):
        s = suggest(snapshot / res.path, country=res.country)
        assert s.complete, s.notes
        assert s.sheet == res.layout.sheet and s.header_row == res.layout.header_row
        for field in ("org_name", "sector", "org_type", "people_targeted", "people_reached", "admin1_name"):
            assert s.mapping.get(field) == res.columns.get(field), (res.id, field)
        entries.append(render_entry(s, snapshot_root=snapshot))
    cfg_path = suggested_config(tmp_path, snapshot, "\n".join(entries), hand.countries)
    cfg, loaded = load_presence(cfg_path, snapshot, tmp_path)
    _, expected = load_presence(DEFAULT_CONFIG, snapshot, tmp_path / "hand")
    for mine, theirs in zip(cfg.resources("presence"), hand.resources("presence")):
        a, b = loaded[mine.id], expected[theirs.id]
        assert a.num_rows == b.num_rows
        for column in ("org_name", "sector", "people_reached"):
            assert a.column(column).to_pylist() == b.column(column).to_pylist(), (mine.id, column)


def test_suggest_4w_header_row_below_a_title(tmp_path):
    """A title and a blank row above the header, French names, no HXL: header row 3 is found and mapped."""
    from pipelines.lib.suggest import detect_header_row, suggest

    path = tmp_path / "3w_pays.csv"
    path.write_text(
        "Présence opérationnelle 3W - Avril 2025,,,,,\n"
        ",,,,,\n"
        "Région,P-code région,Partenaire,Acronyme,Secteur,Bénéficiaires atteints\n"
        "Lac,TD07,Action Contre la Faim,ACF,Nutrition,1200\n"
        "Kanem,TD06,Comité International de la Croix Rouge,CICR,Santé,800\n",
        encoding="utf-8",
    )
    rows = [line.split(",") for line in path.read_text(encoding="utf-8").splitlines()]
    assert detect_header_row(rows) == 3
    s = suggest(path, country="TCD")
    assert s.header_row == 3 and s.row_count == 2
    assert s.mapping == {
        "admin1_code": "P-code région", "admin1_name": "Région", "org_name": "Partenaire",
        "org_acronym": "Acronyme", "sector": "Secteur", "people_reached": "Bénéficiaires atteints",
    }


def test_suggest_4w_errors(capsys, tmp_path):
    code, out = run_cli(capsys, "config", "suggest-4w", str(tmp_path / "nope.xlsx"))
    assert code == 2 and "no such file" in out
    odd = tmp_path / "notes.csv"
    odd.write_text("Month,Comment\nJanuary,fine\n", encoding="utf-8")
    code, out = run_cli(capsys, "config", "suggest-4w", str(odd))
    assert code == 1  # printed, but incomplete: says what is missing
    assert "could not decide the organisation" in out and "could not decide sector" in out


# ---------------------------------------------------------------------------------------- docs and ui


def test_docs_regenerates_the_data_dictionary(capsys, tmp_path):
    from pipelines.quality.tables import PUBLISHED_TABLES

    out_file = tmp_path / "data-dictionary.md"
    code, out = run_cli(capsys, "docs", "--out", str(out_file))
    assert code == 0 and str(out_file) in out
    text = out_file.read_text(encoding="utf-8")
    for table in PUBLISHED_TABLES:
        assert f"## {table.name}" in text
        for column in table.contract_columns:
            assert f"| `{column}` |" in text
    assert "`#inneed`" in text  # HXL hashtags of the published CSVs
    committed = REPO_ROOT / "docs" / "data-dictionary.md"
    assert committed.read_text(encoding="utf-8") == text, (
        "docs/data-dictionary.md is out of date with the marts' dbt YAML: run `clusterwatch docs`"
    )


def test_ui_runs_dagster_dev_on_this_instance(monkeypatch, data_dir, capsys):
    calls = []
    monkeypatch.setattr(os, "execve", lambda exe, cmd, env: calls.append((exe, cmd, env, os.getcwd())))
    monkeypatch.chdir(REPO_ROOT)  # restored after the test (the command changes directory before exec)
    code, out = run_cli(capsys, "ui", "--port", "3111")
    assert code == 0
    (exe, cmd, env, cwd), = calls
    assert exe == sys.executable
    home = Path(env["DAGSTER_HOME"])
    assert cmd[1:] == ["-m", "dagster", "dev", "-w", str(home / "workspace.yaml"), "-h", "127.0.0.1", "-p", "3111"]
    # the code location is named clusterwatch (not pipelines.definitions), and the workspace is not in the checkout
    location, = yaml.safe_load((home / "workspace.yaml").read_text())["load_from"]
    assert location["python_module"] == {"module_name": "pipelines.definitions", "location_name": "clusterwatch",
                                         "working_directory": str(REPO_ROOT)}
    assert home == data_dir / "dagster" and Path(cwd) == home
    assert (home / "dagster.yaml").read_bytes() == (REPO_ROOT / "dagster.yaml").read_bytes()
    assert "http://127.0.0.1:3111" in out
    assert yaml.safe_load((home / "dagster.yaml").read_text())["concurrency"]["pools"]["default_limit"] == 1


def test_a_failing_ingest_says_which_file_in_one_line(capsys, tmp_path, data_dir):
    """`clusterwatch ingest` on a 3W file that is an HTML page: exit 1, the dataset and file named, no traceback."""
    from pipelines.sample.generate import generate

    snapshot = tmp_path / "sample"
    generate(snapshot)
    cfg = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    cfg["snapshot"] = str(snapshot)
    bad = next(r for r in cfg["sources"]["presence"] if r["country"] == "XBO")
    (snapshot / bad["path"]).write_text("<!DOCTYPE html><html><body>Sign in</body></html>", encoding="utf-8")
    cfg_path = tmp_path / "config.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")
    code, out = run_cli(capsys, "ingest", "--config", str(cfg_path))
    assert code == 1, out
    failed = [line for line in out.splitlines() if line.startswith("ingest FAILED")]
    assert len(failed) == 1 and Path(bad["path"]).name.lower() in failed[0].lower() and "HTML" in failed[0]
    assert "Traceback" not in out
