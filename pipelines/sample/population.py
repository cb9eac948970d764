"""COD-PS: population by admin 2, sex and age band, in the standardised long format."""
from __future__ import annotations

from pathlib import Path

from pipelines.sample.draws import make_rng, split_total
from pipelines.sample.world import Country
from pipelines.sample.writer import FileInfo, write_csv

AGE_BANDS = [("00_04", "0-4", "0", "4", 0.16), ("05_17", "5-17", "5", "17", 0.31),
             ("18_59", "18-59", "18", "59", 0.46), ("60PLUS", "60+", "60", "", None)]

def write_population(out: Path, world: dict[str, Country], seed: int) -> dict[str, FileInfo]:
    """Standardised long COD-PS at admin 2: totals, by sex, and by sex x age band (T = F + M)."""
    rng = make_rng(seed, "population-sadd")
    header = ["ISO3", "Country", "ADM1_PCODE", "ADM1_NAME", "ADM2_PCODE", "ADM2_NAME", "ADM3_PCODE", "ADM3_NAME",
              "ADM4_PCODE", "ADM4_NAME", "Population_group", "Gender", "Age_range", "Age_min", "Age_max",
              "Population", "Reference_year", "Source", "Contributor"]
    hxl = ["#country+code", "#country+name", "#adm1+code", "#adm1+name", "#adm2+code", "#adm2+name", "#adm3+code",
           "#adm3+name", "#adm4+code", "#adm4+name", "#population+group", "#gender", "#age+range", "#age+min",
           "#age+max", "#population", "#date+year", "#meta+source", "#meta+contributor"]

    def rows():
        for c in world.values():
            source = "clusterwatch sample projection (fictional data)"
            contributor = f"OCHA {c.name}"
            names = {u.code: u.name for u in c.admin1}
            for u in c.admin2:
                total = c.population[u.code]
                female = round(total * rng.uniform(0.48, 0.53))
                by_sex = {"T": total, "F": female, "M": total - female}
                band_shares = [s and s * rng.uniform(0.9, 1.1) for *_, s in AGE_BANDS]
                bands = {"F": split_total(female, band_shares), "M": split_total(total - female, band_shares)}
                bands["T"] = [f + m for f, m in zip(bands["F"], bands["M"])]
                lead = [c.iso3, c.name, u.parent, names[u.parent], u.code, u.name, "", "", "", ""]
                tail = [2024, source, contributor]
                for sex, gender in (("T", "all"), ("F", "f"), ("M", "m")):
                    yield lead + [f"{sex}_TL", gender, "all", "", "", by_sex[sex]] + tail
                for sex, gender in (("F", "f"), ("M", "m"), ("T", "all")):
                    for (key, rng_label, lo, hi, _), value in zip(AGE_BANDS, bands[sex]):
                        yield lead + [f"{sex}_{key}", gender, rng_label, lo, hi, value] + tail

    n = write_csv(out / "cod-ps/cod_population_admin2.csv", header, rows(), hxl=hxl,
                  encoding="utf-8-sig", newline="\r\n")
    return {"cod-ps/cod_population_admin2.csv": FileInfo(n, "csv", "utf-8-sig", ",", 2, kind="population")}
