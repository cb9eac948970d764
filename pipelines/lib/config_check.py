"""`config check` beyond the YAML: do the configured files, sheets and columns exist, and which sector
values of the 3W/4W files no alias resolves (with the `sector_aliases` lines to paste)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipelines.lib.config import Config
from pipelines.lib.errors import SourceError
from pipelines.lib.readers import find_column, read_table
from pipelines.lib.sector_vocab import sector_map
from pipelines.lib.suggest.extras import alias_lines, unresolved_sectors


@dataclass
class CheckResult:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    alias_lines: list[str] = field(default_factory=list)


def check_files(cfg: Config, root: Path | None) -> CheckResult:
    """Every resource with a path: the file exists (a folder is an error, not a crash); for 3W/4W files the
    sheet and each mapped column are found and the sector values are looked up."""
    out = CheckResult()
    if root is None:
        out.warnings.append("no snapshot root (config `snapshot:` or --snapshot): files not checked")
        return out
    for kind, res in cfg.sources.all():
        if not res.path:
            continue
        where = f"sources.{kind}[id={res.id}]"
        path = root / res.path
        if path.is_dir():
            out.errors.append(f"{where}: {path} is a folder; `path` must name a file")
            continue
        if not path.is_file():
            out.errors.append(f"{where}: file not found: {path}")
            continue
        if kind == "presence":
            _check_presence(cfg, res, path, where, out)
    return out


def _check_presence(cfg: Config, res, path: Path, where: str, out: CheckResult) -> None:
    try:
        parsed = read_table(path, res.layout, dataset=res.dataset, resource=res.resource_name,
                            limits=res.read_limits(cfg.limits))
    except SourceError as e:  # a missing sheet, an unreadable file: the reader's message names it
        out.errors.append(f"{where}: {e}")
        return
    sector_index = None
    for f, ref in (res.columns or {}).items():
        try:
            index = find_column(parsed, ref)
        except SourceError as e:
            out.errors.append(f"{where}.columns.{f}: {e}")
            continue
        if f == "sector":
            sector_index = index
    values = ([res.constants["sector"]] if "sector" in res.constants else
              parsed.table.column(parsed.columns[sector_index]).to_pylist() if sector_index is not None else [])
    unresolved = unresolved_sectors(values, sector_map(cfg.sector_aliases, res.country))
    if unresolved:
        n = sum(unresolved.values())
        out.warnings.append(f"{where}: {n:,} row(s) have a sector no alias resolves ({len(unresolved)} value(s)); "
                            "those rows are excluded from coverage")
        out.alias_lines += alias_lines(unresolved, res.country)
