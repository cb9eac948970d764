"""The cluster activation register: `config check` names every bad row, and the shipped register is valid."""
from __future__ import annotations

import subprocess
import sys

from pipelines.lib.paths import REPO_ROOT
from pipelines.lib.register import COLUMNS, REGISTER_FILE, register_problems

GOOD = {
    "country": "SOM", "cluster": "NUT", "structure": "cluster", "activated_on": "2006-01-01", "deactivated_on": "",
    "lead_agency": "UNICEF", "co_lead_agencies": "", "level": "national",
    "source_url": "https://example.org/decision", "recorded_by": "IM officer", "recorded_on": "2026-11-30", "note": "",
}


def write(path, rows, columns=COLUMNS):
    import csv

    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(columns))
        w.writeheader()
        w.writerows(rows)
    return path


def test_the_shipped_register_is_valid_and_documents_every_column():
    assert register_problems(REGISTER_FILE) == []
    header = REGISTER_FILE.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert tuple(header) == COLUMNS
    doc = (REGISTER_FILE.with_suffix(".yml")).read_text(encoding="utf-8")
    assert all(f"- name: {c}" in doc for c in COLUMNS)


def test_a_good_row_passes(tmp_path):
    assert register_problems(write(tmp_path / "r.csv", [GOOD])) == []


def test_each_bad_value_is_named_with_its_row(tmp_path):
    rows = [
        GOOD,
        {**GOOD, "activated_on": "2004-03-01"},  # a cluster before the cluster approach
        {**GOOD, "cluster": "XYZ", "structure": "network"},
        {**GOOD, "activated_on": "01/02/2010", "source_url": "see email", "recorded_by": ""},
        {**GOOD, "activated_on": "2012-01-01", "deactivated_on": "2011-01-01"},
        {**GOOD, "activated_on": "2007-01-01"},  # overlaps row 2 (open period)
        {**GOOD, "cluster": "REF", "structure": "cluster", "activated_on": "2012-01-01"},
        {**GOOD, "cluster": "NUT", "note": "ask ali.hassan@example.org", "recorded_by": "Ali +252 61 5123456"},
    ]
    problems = register_problems(write(tmp_path / "r.csv", rows))
    text = "\n".join(problems)
    assert "row 3: a cluster cannot be activated before the cluster approach existed" in text
    assert "row 4: cluster 'XYZ'" in text and "row 4: structure 'network'" in text
    assert "row 5: activated_on '01/02/2010' is not a date" in text
    assert "row 5: source_url 'see email'" in text and "row 5: recorded_by is empty" in text
    assert "row 6: deactivated_on 2011-01-01 is before activated_on 2012-01-01" in text
    assert "row 7: overlaps row 2" in text
    assert "row 8: cluster REF (refugee response) needs structure `refugee_response`" in text
    assert "row 9: note holds personal data (email)" in text and "row 9: recorded_by holds personal data (phone)" in text
    assert "ali.hassan" not in text and "5123456" not in text  # named, never repeated
    assert not any("row 2:" in p for p in problems)


def test_missing_or_unknown_columns(tmp_path):
    path = write(tmp_path / "r.csv", [], columns=("country", "cluster", "activated_on", "source"))
    (problem, unknown) = register_problems(path)
    assert "missing column(s)" in problem and "structure" in problem and "recorded_by" in problem
    assert "unknown column(s) source" in unknown


def test_config_check_fails_on_a_bad_register(tmp_path, monkeypatch):
    import pipelines.lib.register as register

    bad = write(tmp_path / "r.csv", [{**GOOD, "level": "regional"}])
    monkeypatch.setattr(register, "REGISTER_FILE", bad)
    monkeypatch.setattr(register.register_problems, "__defaults__", (bad,))
    from pipelines.cli.main import main

    assert main(["config", "check", "--config", str(REPO_ROOT / "pipelines" / "config" / "sample.yaml")]) == 2


def test_config_check_passes_with_the_shipped_register():
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "config", "check"], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "cluster_activation_register.csv OK" in done.stdout
