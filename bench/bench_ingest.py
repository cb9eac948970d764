"""Benchmark the raw layer: a full ingest and a no-op re-run, on the real snapshot and on a scaled sample.

    .venv/bin/python bench/bench_ingest.py                 # real snapshot (if ../shared is there) + sample x1
    .venv/bin/python bench/bench_ingest.py --scale 1000    # a sample with millions of 4W rows

Prints figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.lib.paths import CONFIG_DIR, shared_snapshot_dir  # noqa: E402


def _ingest(data_dir: Path, config: Path, snapshot: Path | None) -> tuple[float, dict[str, int]]:
    os.environ["CLUSTERWATCH_DATA_DIR"] = str(data_dir)
    os.environ["CLUSTERWATCH_CONFIG"] = str(config)
    if snapshot:
        os.environ["CLUSTERWATCH_SNAPSHOT"] = str(snapshot)
    else:
        os.environ.pop("CLUSTERWATCH_SNAPSHOT", None)
    from pipelines.refresh import run_ingest

    started = time.perf_counter()
    counts = run_ingest(say=lambda _msg: None)
    return time.perf_counter() - started, counts


def bench(label: str, config: Path, snapshot: Path | None, workdir: Path) -> None:
    data_dir = workdir / label
    full, counts = _ingest(data_dir, config, snapshot)
    noop, _ = _ingest(data_dir, config, snapshot)
    total = sum(counts.values())
    print(f"{label}: full ingest {full:.1f}s for {total:,} raw rows ({total / full:,.0f} rows/s); no-op re-run {noop:.1f}s")
    for table, n in counts.items():
        print(f"    raw.{table:20s} {n:>12,}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", type=float, default=1.0, help="sample snapshot scale (4W rows multiply)")
    ap.add_argument("--skip-real", action="store_true")
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="clusterwatch-bench-"))
    try:
        real = shared_snapshot_dir()
        if not args.skip_real and (real / "INDEX.md").exists():
            bench("real-snapshot", CONFIG_DIR / "hdx_snapshot.yaml", real, workdir)
        elif not args.skip_real:
            print(f"real snapshot not found at {real}; skipping it")
        from pipelines.sample.generate import generate

        sample = workdir / "sample-snapshot"
        started = time.perf_counter()
        generate(sample, scale=args.scale)
        print(f"sample x{args.scale:g}: generated in {time.perf_counter() - started:.1f}s")
        bench(f"sample-x{args.scale:g}", CONFIG_DIR / "sample.yaml", sample, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
