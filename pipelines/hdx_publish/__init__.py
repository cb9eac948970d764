"""`clusterwatch publish-hdx`: the published tables as HDX datasets (one per country, one global).

plan.py decides what goes where from the published files alone; hdx.py talks to HDX through
hdx-python-api. `run()` ties them together and returns the lines to print.
"""
from __future__ import annotations

from pathlib import Path

from pipelines.lib.config import Config


def run(cfg: Config, published: Path, staging: Path, *, dry_run: bool, say) -> int:
    """Plan, then (unless dry_run) create or update each dataset. Returns an exit code."""
    from pipelines.hdx_publish import hdx
    from pipelines.hdx_publish.plan import PlanError, make_plan

    try:
        plan = make_plan(cfg, published, staging)
        key = hdx.api_key(required=not dry_run)
    except (PlanError, hdx.HdxPublishError) as e:
        say(f"error: {e}")
        return 2
    site = cfg.hdx.url or cfg.hdx.site
    say(f"{'DRY RUN: ' if dry_run else ''}{len(plan.datasets)} dataset(s) on HDX ({site}), published version "
        f"{plan.version}")
    for table, why in plan.skipped.items():
        say(f"  {table}: {why}")
    with hdx.hdx_session(cfg.hdx, key) as configuration:
        reachable = True
        try:
            hdx.check_tags(cfg.hdx_publish, configuration)
        except hdx.HdxPublishError as e:
            say(f"{'warning' if dry_run else 'error'}: {e}")
            if not dry_run:
                return 2
        except Exception as e:  # noqa: BLE001 - the site could not be asked (offline?): nothing was sent
            if not dry_run:
                say(f"error: could not read HDX's approved tags from {site}: {type(e).__name__}; nothing was sent")
                return 1
            reachable = False
            say(f"  (HDX not reachable at {site}: {type(e).__name__}; tags not checked, current state unknown)")
        for ds in plan.datasets:
            change = None
            if reachable:
                try:
                    change = hdx.current_state(ds, configuration)
                except Exception as e:  # noqa: BLE001 - e.g. offline: the plan is still worth printing
                    reachable = False
                    if not dry_run:
                        say(f"error: HDX not reachable at {site} ({type(e).__name__}); {ds.name} and later not sent")
                        return 1
                    say(f"  (HDX not reachable at {site}: {type(e).__name__}; current state unknown)")
            action = change.action if change else "create or update"
            period = f"{ds.start} to {ds.end}" if ds.start else "no reference period"
            say(f"- {ds.name}: {action} - {ds.title}; dataset_date {period}; group "
                f"{ds.country.lower() if ds.country else 'world'}; {len(ds.resources)} resources")
            states = {c.name: c.change for c in change.resources} if change else {}
            for r in ds.resources:
                say(f"    {r.name:32s} {r.rows:>9,} rows  {states.get(r.name, 'upload if changed')}")
            for name, state in states.items():
                if state == "removed":
                    say(f"    {name:32s} {'':>14s}  removed (no longer published)")
            if dry_run:
                continue
            try:
                statuses = hdx.upload(ds, cfg.hdx_publish, configuration)
            except hdx.HdxPublishError as e:
                say(f"error: {e}")
                return 1
            sent = sorted(n for n, s in statuses.items() if s == 2)
            say(f"  done: {len(sent)} file(s) uploaded" + (f" ({', '.join(sent)})" if sent else "")
                + f", {len(statuses) - len(sent)} unchanged")
    return 0
