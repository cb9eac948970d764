"""Charts drawn at build time to SVG with matplotlib (no JavaScript, no CDN: the files work offline).

Each draw function takes the ChartTable that is printed under the chart, so the chart shows exactly
the table's figures, and returns the SVG text plus its alt text. Output is deterministic (fixed hash
salt, no date), so an unchanged chart gives an unchanged file.
"""
from __future__ import annotations

import io
from datetime import date

from pipelines.site.chart_data import ChartTable
from pipelines.site.figures import fmt_int, fmt_pct, fmt_usd

RC = {"svg.fonttype": "none", "svg.hashsalt": "clusterwatch", "font.size": 9,
      "font.family": "sans-serif", "axes.spines.top": False, "axes.spines.right": False}
BLUE, ORANGE, GREY = "#1f5f99", "#f28e2b", "#bbbbbb"
GAP_COLOURS = {"no_presence": "#c0392b", "thin_presence": "#f28e2b", "low_reach": "#8e6bb8", "crowded": "#4e9a06"}
SERIES = ["#1f5f99", "#f28e2b", "#59a14f", "#af7aa1", "#e15759", "#76b7b2", "#9c755f"]


def _figure(width: float, height: float):
    import matplotlib

    matplotlib.rcParams.update(RC)
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    return Figure(figsize=(width, height), layout="constrained")


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "clusterwatch (matplotlib)"})
    return buf.getvalue()


def _short(text: str, n: int = 28) -> str:
    text = str(text or "")
    return text if len(text) <= n else text[: n - 1] + "…"


def funding_bars(t: ChartTable) -> tuple[str, str]:
    rows = [r for r in t.rows if (r["requirements_usd"] or 0) > 0 or (r["funding_usd"] or 0) > 0]
    fig = _figure(7.5, 0.9 + 0.32 * len(rows))
    ax = fig.add_subplot()
    ys = list(range(len(rows)))[::-1]
    ax.barh([y + 0.2 for y in ys], [r["requirements_usd"] or 0 for r in rows], 0.4, color=GREY, label="Required")
    ax.barh([y - 0.2 for y in ys], [max(r["funding_usd"] or 0, 0) for r in rows], 0.4, color=BLUE, label="Funded")
    ax.set_yticks(ys, [_short(r["cluster"]) for r in rows])
    ax.xaxis.set_major_formatter(lambda v, _: fmt_usd(v))
    fig.legend(loc="outside lower center", ncols=2, frameon=False)  # outside: never over a bar
    ax.set_xlabel("US dollars")
    total_req = sum(r["requirements_usd"] or 0 for r in t.rows)
    total_fund = sum(r["funding_usd"] or 0 for r in t.rows)
    top = max(t.rows, key=lambda r: r["requirements_usd"] or 0)
    alt = (f"Bar chart of requirements and funding for {len(t.rows)} clusters. In total {fmt_usd(total_fund)} of "
           f"{fmt_usd(total_req)} was funded ({fmt_pct(total_fund / total_req if total_req else None)}). The largest "
           f"requirement is {top['cluster']} ({fmt_usd(top['requirements_usd'])}, "
           f"{fmt_pct(top['percent_funded'])} funded).")
    return _svg(fig), alt


def coverage_heatmap(t: ChartTable) -> tuple[str, str]:
    import numpy as np
    from matplotlib.colors import LogNorm
    from matplotlib.ticker import NullFormatter

    admins = sorted({r["admin"] for r in t.rows})
    sectors = sorted({r["sector"] for r in t.rows})
    cell = {(r["admin"], r["sector"]): r for r in t.rows}
    grid = np.full((len(admins), len(sectors)), np.nan)
    for (a, s), r in cell.items():
        if r["pin_per_partner"]:
            grid[admins.index(a), sectors.index(s)] = r["pin_per_partner"]
    fig = _figure(max(5.0, 1.6 + 0.55 * len(sectors)), 1.2 + 0.26 * len(admins))
    ax = fig.add_subplot()
    ax.set_facecolor("#ffffff")
    finite = grid[np.isfinite(grid)]
    if finite.size:
        norm = LogNorm(vmin=max(finite.min(), 1), vmax=max(finite.max(), 2))
        im = ax.imshow(grid, aspect="auto", cmap="YlOrRd", norm=norm, interpolation="nearest")
        bar = fig.colorbar(im, ax=ax, label="people in need per partner (log scale)", shrink=0.8)
        # Plain figures (1,000, not 10³): no mathtext to typeset, and read as the table under the chart reads.
        bar.ax.yaxis.set_major_formatter(lambda v, _: fmt_int(v))
        bar.ax.yaxis.set_minor_formatter(NullFormatter())
    for (a, s), r in cell.items():  # need and no partner: the starkest cell, written out
        if r["people_in_need"] and r["partner_count"] == 0:  # None: no 3W/4W covers the cell, not "none"
            y, x = admins.index(a), sectors.index(s)
            ax.add_patch(_hatch(x, y))
            # Inside its cell: left out of the layout, which would measure every one of them.
            ax.text(x, y, "none", ha="center", va="center", fontsize=6, color="#5a0000", in_layout=False)
    ax.set_xticks(range(len(sectors)), sectors, rotation=45, ha="right")
    ax.set_yticks(range(len(admins)), [_short(a, 22) for a in admins])
    ax.set_xlim(-0.5, len(sectors) - 0.5)
    ax.set_ylim(len(admins) - 0.5, -0.5)
    ax.tick_params(length=0)
    none = sum(1 for r in t.rows if r["people_in_need"] and r["partner_count"] == 0)
    worst = max((r for r in t.rows if r["pin_per_partner"]), key=lambda r: r["pin_per_partner"], default=None)
    alt = (f"Heat table of people in need per partner for {len(admins)} admin units and {len(sectors)} sectors. "
           f"{none} of {len(t.rows)} cells have need and no partner.")
    if worst:
        alt += (f" The highest load with partners is {worst['sector']} in {worst['admin']}: "
                f"{fmt_int(worst['pin_per_partner'])} people per partner.")
    return _svg(fig), alt


def _hatch(x: int, y: int):
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.5, y - 0.5), 1, 1, facecolor="#f4cccc", edgecolor="#c0392b", hatch="///", linewidth=0.3)


def gaps_bars(t: ChartTable) -> tuple[str, str]:
    rows = t.rows
    fig = _figure(7.5, 0.9 + 0.3 * len(rows))
    ax = fig.add_subplot()
    ys = list(range(len(rows)))[::-1]
    ax.barh(ys, [r["people_in_need"] or 0 for r in rows], 0.7,
            color=[GAP_COLOURS.get(r["gap_type"], GREY) for r in rows])
    labels = [f"#{r['rank']} {_short(r['place'], 20)} · {r['sector']}" + (" ⚑" if r["flags"] else "") for r in rows]
    ax.set_yticks(ys, labels)
    ax.xaxis.set_major_formatter(lambda v, _: fmt_int(v))
    ax.set_xlabel("people in need (⚑ = flagged, see table)")
    from matplotlib.patches import Patch

    kinds = sorted({r["gap_type"] for r in rows})
    fig.legend(handles=[Patch(color=GAP_COLOURS.get(k, GREY), label=k.replace("_", " ")) for k in kinds],
               loc="outside lower center", ncols=len(kinds), frameon=False)
    flagged = sum(1 for r in rows if r["flags"])
    counts = ", ".join(f"{sum(1 for r in rows if r['gap_type'] == k)} {k.replace('_', ' ')}" for k in kinds)
    alt = (f"Bar chart of the {len(rows)} highest-ranked gaps by people in need ({counts}); {flagged} flagged. "
           f"Rank 1 is {rows[0]['sector']} in {rows[0]['place']} with {fmt_int(rows[0]['people_in_need'])} "
           "people in need.")
    return _svg(fig), alt


def _as_date(v) -> date | None:
    if v is None or isinstance(v, date):
        return v
    return date.fromisoformat(str(v)[:10])


def activation_timeline(t: ChartTable) -> tuple[str, str]:
    import matplotlib.dates as mdates
    from matplotlib.patches import Patch

    clusters = sorted({r["cluster"] for r in t.rows})
    by = "structure" if "structure" in t.columns else "evidence"
    groups = sorted({str(r.get(by) or "unknown") for r in t.rows})
    colour = {g: SERIES[i % len(SERIES)] for i, g in enumerate(groups)}
    alpha = {"high": 1.0, "medium": 0.65, "low": 0.35}
    fig = _figure(7.5, 1.1 + 0.3 * len(clusters))
    ax = fig.add_subplot()
    for r in t.rows:
        start = _as_date(r["start"])
        end = _as_date(r["end"]) or start
        if start is None:
            continue
        width = max((end - start).days, 1)
        ax.broken_barh([(mdates.date2num(start), width)], (clusters.index(r["cluster"]) - 0.35, 0.7),
                       facecolors=colour[str(r.get(by) or "unknown")],
                       alpha=alpha.get(str(r.get("confidence") or "").lower(), 1.0))
    ax.set_yticks(range(len(clusters)), clusters)
    ax.set_ylim(len(clusters) - 0.5, -0.5)
    ax.xaxis_date()
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=10))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    fig.legend(handles=[Patch(color=colour[g], label=f"{by}: {g}") for g in groups], loc="outside lower center",
               ncols=min(len(groups), 3), frameon=False)
    active = sorted({r["cluster"] for r in t.rows if r.get("is_active")})
    starts = [_as_date(r["start"]) for r in t.rows if r["start"]]
    alt = (f"Timeline of {len(t.rows)} activation periods of {len(clusters)} clusters since "
           f"{min(starts).year if starts else '?'}, coloured by {by}. Active now: {', '.join(active) or 'none'}.")
    if "confidence" in t.columns:
        alt += " Paler bars have lower confidence."
    return _svg(fig), alt


DRAW = {"funding": funding_bars, "coverage": coverage_heatmap, "gaps": gaps_bars, "timeline": activation_timeline}


def draw(t: ChartTable) -> tuple[str, str] | None:
    """SVG and alt text for a chart table; None when there is nothing to draw."""
    if not t.rows or t.key not in DRAW:
        return None
    return DRAW[t.key](t)
