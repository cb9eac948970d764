"""Deterministic generator of the embedded sample snapshot: fictional countries, real HDX formats.

With no configuration clusterwatch runs on this snapshot. It is laid out like an HDX mirror and
every file copies the FORMAT of a real HDX file (columns, HXL rows, encodings, delimiters, line
endings, quirks) while all the data is invented, for three fictional countries with user-assigned
ISO3 codes: XAR Arland, XBO Borenia, XCA Caldera.

    python -m pipelines.sample.generate OUT_DIR [--scale 10] [--seed 20251121]

Same seed and scale -> byte-identical files. `scale` multiplies the 4W rows and the FTS flows only.
Every file kind has its own RNG stream (seeded from the seed and the file's key), so adding a file
never changes the others. One module per source kind (presence, needs, funding, flows, admin,
population, vocabularies, ckan); world.py (countries.yaml) and orgs.py (orgs.yaml) hold what they share,
writer.py and draws.py the byte-exact writing and the seeded draws.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pipelines.sample.admin import write_pcodes
from pipelines.sample.ckan import write_ckan
from pipelines.sample.flows import write_flows
from pipelines.sample.fts_organisations import write_fts_organisations
from pipelines.sample.funding import build_plans, write_fts
from pipelines.sample.needs import write_needs
from pipelines.sample.population import write_population
from pipelines.sample.presence import write_xar_3w, write_xbo_3w, write_xca_4w
from pipelines.sample.readme import write_readme
from pipelines.sample.vocabularies import fts_plan_totals, write_vocabularies
from pipelines.sample.world import build_world
from pipelines.sample.writer import FileInfo

DEFAULT_SEED = 20251121


def generate(out_dir: Path, *, scale: float = 1.0, seed: int = DEFAULT_SEED) -> dict:
    """Write the sample snapshot under out_dir and return a summary (files, row counts).

    README.md is written last: its presence marks a complete snapshot.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "README.md").unlink(missing_ok=True)  # a rerun that fails half-way must not look complete
    started = time.perf_counter()
    world = build_world(seed)
    plans = build_plans(world)
    files: dict[str, FileInfo] = {}
    files |= write_pcodes(out, world)
    files |= write_population(out, world, seed)
    files |= write_xar_3w(out, world, scale, seed)
    files |= write_xbo_3w(out, world, scale, seed)
    files |= write_xca_4w(out, world, scale, seed)
    files |= write_needs(out, world, seed)
    files |= write_fts(out, world, plans, seed)
    files |= write_fts_organisations(out, plans, seed)
    files |= write_flows(out, world, plans, scale, seed)
    files |= write_vocabularies(out, plans, fts_plan_totals(out))
    files |= write_ckan(out, world)
    write_readme(out, world, files, scale, seed)
    files["README.md"] = FileInfo(None, "md", "utf-8", kind="readme")
    summary_files = {rel: {**info.as_dict(), "bytes": (out / rel).stat().st_size}
                     for rel, info in sorted(files.items())}
    return {
        "root": str(out),
        "seed": seed,
        "scale": scale,
        "countries": list(world),
        "files": summary_files,
        "rows": {rel: info["rows"] for rel, info in summary_files.items() if info["rows"] is not None},
        "presence_rows": sum(i.rows for i in files.values() if i.kind == "presence"),
        "total_bytes": sum(f["bytes"] for f in summary_files.values()),
        "seconds": round(time.perf_counter() - started, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the fictional clusterwatch sample snapshot.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies 4W rows and FTS flows (default 1)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    summary = generate(args.out_dir, scale=args.scale, seed=args.seed)
    width = max(len(rel) for rel in summary["files"])
    for rel, info in summary["files"].items():
        rows = "" if info["rows"] is None else f"{info['rows']:>10,} rows"
        print(f"{rel:<{width}}  {rows:>15}  {info['bytes']:>12,} B")
    print(f"4W rows: {summary['presence_rows']:,}; {summary['total_bytes']:,} bytes; {summary['seconds']} s "
          f"-> {summary['root']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
