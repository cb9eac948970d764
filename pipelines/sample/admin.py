"""COD-AB: the global p-code list (admin 1 and 2) and the p-code segment lengths."""
from __future__ import annotations

from pathlib import Path

from pipelines.sample.world import Country
from pipelines.sample.writer import FileInfo, write_csv


def write_pcodes(out: Path, world: dict[str, Country]) -> dict[str, FileInfo]:
    """Global p-code list (COD-AB), admin 1 and 2. The cod-population copy of this file has an HXL
    row and CRLF; the lengths file is UTF-8 with a BOM and LF, like the operational-presence copy."""
    rows = []
    for c in world.values():
        rows += [[c.iso3, 1, u.code, u.name, u.parent, c.valid_from] for u in c.admin1]
        rows += [[c.iso3, 2, u.code, u.name, u.parent, c.valid_from] for u in c.admin2]
    n = write_csv(
        out / "cod-ab/global_pcodes_adm_1_2.csv",
        ["Location", "Admin Level", "P-Code", "Name", "Parent P-Code", "Valid from date"],
        rows,
        hxl=["#country+code", "#geo+admin_level", "#adm+code", "#adm+name", "#adm+code+parent", "#date+start"],
        newline="\r\n",
    )
    lengths = [[c.iso3, *c.lengths, "", "", ""] for c in world.values()]
    m = write_csv(
        out / "cod-ab/global_pcode_lengths.csv",
        ["Location", "Country Length", "Admin 1 Length", "Admin 2 Length", "Admin 3 Length", "Admin 4 Length",
         "Admin 5 Length"],
        lengths,
        encoding="utf-8-sig",
    )
    return {
        "cod-ab/global_pcodes_adm_1_2.csv": FileInfo(n, "csv", "utf-8", ",", 2, kind="admin"),
        "cod-ab/global_pcode_lengths.csv": FileInfo(m, "csv", "utf-8-sig", ",", 1, kind="admin"),
    }
