"""The proposal as text: a report in YAML comments, and the `sources.presence` entry to paste."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from pipelines.lib.suggest.propose import Suggestion
from pipelines.lib.suggest.vocabulary import fold


def resource_id(path: Path, country: str | None) -> str:
    stem = re.sub(r"[^a-z0-9]+", "_", fold(path.stem)).strip("_")
    stem = re.sub(r"^(whowhatwhere|download)_", "", stem)
    prefix = (country or "xxx").lower()
    rid = stem if stem.startswith(prefix + "_") else f"{prefix}_{stem}"
    return rid[:60].rstrip("_") or f"{prefix}_presence"


def render_report(s: Suggestion) -> str:
    """What was found, as YAML comments (so the whole output can be pasted or redirected into a file)."""
    lines = [f"# {s.path.name}: {s.format}"]
    for info in s.sheets:
        mark = "  <- chosen" if info.name == s.sheet and s.format != "csv" else ""
        hidden = "" if info.visible else " (hidden)"
        label = f"sheet {info.name!r}" if info.name is not None else "file"
        lines.append(f"#   {label}{hidden}: {info.rows:,} rows x {info.columns} columns{mark}")
    hxl = f"; HXL hashtags in row {s.hxl_row}" if s.hxl_row else "; no HXL hashtag row"
    lines.append(f"# header row {s.header_row}{hxl}; {s.row_count:,} data rows")
    lines.append("# columns (name | HXL | non-empty | examples):")
    by_index = {i: f for f, i in s.mapped_columns.items()}
    for c in s.columns:
        ex = ", ".join(repr(v if len(v) <= 40 else v[:37] + "...") for v in c.samples)
        target = f"  -> {by_index[c.index]}" if c.index in by_index else ""
        lines.append(f"#   {c.index + 1:>2}. {c.name} | {c.hxl_tag or '-'} | {c.non_empty:,} | {ex}{target}")
    if s.evidence:
        lines.append("# evidence for each choice:")
        names = {c.index: c.name for c in s.columns}
        for f, why in s.evidence.items():
            lines.append(f"#   {f}: {names[s.mapped_columns[f]]} ({why})")
    for note in s.notes:
        lines.append(f"# NOTE: {note}")
    if s.aggregate:
        lines.append(f"# NOT ROW-LEVEL: {s.aggregate}")
    if s.alias_lines:
        lines.append("# sector values to map: paste under `sector_aliases:` at the top level of the config and")
        lines.append("# replace TODO with a code of dbt_project/seeds/sectors.csv:")
        lines += [f"# {line}" for line in s.alias_lines]
    return "\n".join(lines)


def render_entry(s: Suggestion, *, snapshot_root: Path | None = None, indent: int = 4) -> str:
    """The proposed `sources.presence` list item, indented to paste under `presence:` in the config."""
    path = s.path.resolve()
    rel = str(path)
    if snapshot_root is not None:
        try:
            rel = str(path.relative_to(Path(snapshot_root).resolve()))
        except ValueError:
            pass
    pad = " " * indent
    out = [
        f"{pad}- id: {resource_id(s.path, s.country)}",
        f"{pad}  table: presence",
        f"{pad}  country: {s.country or 'XXX  # TODO: the ISO3 code'}",
        f"{pad}  dataset: {_scalar('TODO-hdx-dataset-name')}  # the HDX dataset name, for lineage and --live",
        f"{pad}  resource: {_scalar(s.path.name)}",
        f"{pad}  path: {_scalar(rel)}",
    ]
    if s.reference_period:
        start, end, why = s.reference_period
        out.append(f"{pad}  reference_period: {{start: {start.isoformat()}, end: {end.isoformat()}}}  # {why}")
    else:
        out.append(f"{pad}  # reference_period: {{start: YYYY-MM-DD, end: YYYY-MM-DD}}  # no date column found")
    layout = []
    if s.sheet is not None:
        layout.append(f"sheet: {_scalar(s.sheet)}")
    layout.append(f"header_row: {s.header_row}")
    out.append(f"{pad}  layout: {{{', '.join(layout)}}}")
    out.append(f"{pad}  columns:")
    by_index = {c.index: c for c in s.columns}
    width = max((len(f) for f in s.mapping), default=0)
    for f, ref in s.mapping.items():
        col = by_index[s.mapped_columns[f]]
        ex = ", ".join(col.samples[:2])
        if len(ex) > 50:
            ex = ex[:47] + "..."
        out.append(f"{pad}    {f + ':':<{width + 1}} {_scalar(ref)}  # {ex}")
    if s.constants:
        out.append(f"{pad}  constants: {{{', '.join(f'{k}: {_scalar(v)}' for k, v in s.constants.items())}}}")
    if s.limits:
        out.append(f"{pad}  limits: {{{', '.join(f'{k}: {v}' for k, v in s.limits.items())}}}  # see the NOTE")
    return "\n".join(out)


def _scalar(value) -> str:
    """A YAML scalar, quoted only when it has to be ('#adm1+name' must be, Cluster need not)."""
    text = yaml.safe_dump(value, allow_unicode=True, width=10_000, default_flow_style=True).strip()
    return text[:-4].rstrip() if text.endswith("\n...") else text.removesuffix("...").strip()
