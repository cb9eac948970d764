"""HDX in the lineage: one external asset per source kind, upstream of its raw asset.

Dagster does not materialize these (HDX is not ours); they show where each raw table comes from: the HDX
datasets the configuration names for the kind, and the files read from them.
"""
from __future__ import annotations

import dagster as dg

from pipelines.lib.config import SOURCE_KINDS, Config

GROUP = "hdx"


def hdx_key(kind: str) -> dg.AssetKey:
    return dg.AssetKey(["hdx", kind])


def hdx_source_specs(cfg: Config) -> list[dg.AssetSpec]:
    specs = []
    for kind in SOURCE_KINDS:
        resources = cfg.resources(kind)
        datasets = sorted({r.dataset for r in resources})
        listing = "\n".join(
            f"- `{d}`: " + ", ".join(sorted(r.resource or (r.path or "").rsplit("/", 1)[-1] or r.id
                                             for r in resources if r.dataset == d))
            for d in datasets
        )
        specs.append(dg.AssetSpec(
            key=hdx_key(kind),
            group_name=GROUP,
            kinds={"hdx"},
            description=f"The HDX datasets the configuration reads for `{kind}` ({len(datasets)} datasets, "
                        f"{len(resources)} files). Not materialized by Dagster: published by their owners on HDX."
                        + (f"\n\n{listing}" if listing else ""),
            metadata={"datasets": dg.MetadataValue.json(datasets), "files": len(resources)},
            owners=["team:information-management"],
        ))
    return specs
