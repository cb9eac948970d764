"""The config suggester on small synthetic files (the real-file runs are in test_cli.py)."""
from __future__ import annotations

from pipelines.lib.config import Layout
from pipelines.lib.readers import find_column, read_table
from pipelines.lib.suggest import suggest


def test_suggest_reads_a_cp1252_semicolon_file_as_ingestion_does(tmp_path):
    """Encoding, delimiter and the HXL row come from the readers' sniffing: the proposal and the load agree."""
    path = tmp_path / "3w_lac.csv"
    text = (
        "Région;P-code région;Partenaire;Secteur\n"
        "#adm1+name;#adm1+code;#org+name;#sector\n"
        "Lac;TD07;Action Contre la Faim;Nutrition\n"
        "Kanem;TD06;Médecins Sans Frontières;Santé\n"
    )
    path.write_bytes(text.encode("cp1252"))
    s = suggest(path, country="TCD")
    assert (s.format, s.header_row, s.hxl_row, s.row_count) == ("csv", 1, 2, 2)
    assert s.complete
    assert s.mapping == {"admin1_code": "#adm1+code", "admin1_name": "#adm1+name", "org_name": "#org+name",
                         "sector": "#sector"}
    org = next(c for c in s.columns if c.name == "Partenaire")
    assert org.samples == ["Action Contre la Faim", "Médecins Sans Frontières"]
    parsed = read_table(path, Layout(header_row=s.header_row))
    names = [parsed.columns[find_column(parsed, ref)] for ref in s.mapping.values()]
    assert names == ["P-code région", "Région", "Partenaire", "Secteur"]
