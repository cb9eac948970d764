"""`config check` checks the files behind the YAML: missing files, folders, sheets and columns are errors
(never a crash), and unresolved sector values are listed with counts and the lines to paste."""
from __future__ import annotations

import csv

import yaml

from pipelines.cli.main import main
from pipelines.lib.config import load_config
from pipelines.lib.config_check import check_files


def _config(tmp_path, presence: list[dict], aliases: list[dict] | None = None):
    snap = tmp_path / "snap"
    snap.mkdir(exist_ok=True)
    cfg = {"name": "t", "countries": ["BFA"], "snapshot": "snap", "sources": {"presence": presence}}
    if aliases:
        cfg["sector_aliases"] = aliases
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path, snap


def _entry(path: str, **columns) -> dict:
    return {"id": "bfa_x", "table": "presence", "country": "BFA", "dataset": "d", "path": path,
            "columns": columns or {"admin1_name": "Region", "org_name": "Partner", "sector": "Secteur"}}


def _csv(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


def test_missing_file_and_folder_are_errors(tmp_path):
    cfg_path, snap = _config(tmp_path, [_entry("nothing.csv")])
    assert "file not found" in check_files(load_config(cfg_path), snap).errors[0]
    (snap / "a_folder").mkdir()
    cfg_path, snap = _config(tmp_path, [_entry("a_folder")])
    assert "is a folder" in check_files(load_config(cfg_path), snap).errors[0]
    assert main(["config", "check", "--config", str(cfg_path)]) == 2


def test_missing_column_and_unresolved_sectors(tmp_path, capsys):
    cfg_path, snap = _config(tmp_path, [_entry("f.csv", admin1_name="Region", org_name="Partner", sector="Secteur",
                                                status="Etat")])
    _csv(snap / "f.csv", [["Region", "Partner", "Secteur"], ["Est", "ACF", "Protection - VGB"],
                          ["Est", "MSF", "Truc local"], ["Nord", "MSF", "Truc local"], ["Nord", "SI", "Santé"]])
    result = check_files(load_config(cfg_path), snap)
    assert len(result.errors) == 1 and "columns.status" in result.errors[0]
    # 'Protection - VGB' and 'Santé' resolve through the seed; 'Truc local' does not (2 rows).
    assert result.alias_lines == ['  - {alias: "Truc local", sector: TODO, country: BFA}  # 2 row(s)']
    # The pasted line (with a code) resolves the value: no more warning.
    cfg_path, snap = _config(tmp_path, [_entry("f.csv")], aliases=[{"alias": "Truc local", "sector": "ERY", "country": "BFA"}])
    result = check_files(load_config(cfg_path), snap)
    assert result.errors == [] and result.alias_lines == []
