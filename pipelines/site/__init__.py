"""The donor site: published/site/, static HTML with SVG charts, rebuilt after every publication.

`build_site(published_dir)` reads only the published files (parquet + manifest.json), so it does not
depend on how publish works. `rebuild_after_publish` is the one call publish makes once the manifest
is written; a site that cannot be built is logged and never fails the publication (the data is
already published and stays so).
"""
from __future__ import annotations

from pathlib import Path


def build_site(published_root: Path, out: Path | None = None) -> dict:
    from pipelines.site.build import build_site as _build

    return _build(published_root, out)


def rebuild_after_publish(published_root: Path, log=None) -> dict | None:
    say = log or (lambda m: None)
    try:
        built = build_site(published_root)
    except Exception as e:  # noqa: BLE001 - the site is a view of the published data, never a gate on it
        say(f"site: not rebuilt ({type(e).__name__}: {e}); the published files are unaffected")
        return None
    say(f"site: {built['pages']} pages, {built['charts']} charts ({built['charts_drawn']} redrawn) "
        f"in {built['seconds']:.1f}s")
    return built
