"""The configuration information managers edit: shipped configs validate, mistakes get clear errors."""
from __future__ import annotations

import textwrap

import pytest

from pipelines.lib.config import ConfigError, load_config
from pipelines.lib.paths import CONFIG_DIR


def test_real_snapshot_config_is_valid_and_complete():
    cfg = load_config(CONFIG_DIR / "hdx_snapshot.yaml")
    assert set(cfg.countries) >= {"SOM", "TCD", "ETH", "AFG", "SSD"}
    ids = {r.id for _, r in cfg.sources.all()}
    # The files issue "Foundation" lists.
    for needed in (
        "som_3w_2025_jan_apr", "tcd_3w_2025_apr", "tcd_3w_2021_oct", "eth_4w_2025_aug", "eth_4w_2025_may_jul",
        "eth_4w_2022_feb", "afg_3w_2021_jul_sep", "ssd_3w_2022_jan_mar", "hno_hpc_2024", "jiaf_pin_2025",
        "eth_drought_needs_2022", "fts_globalcluster_all", "fts_cluster_all", "fts_plan_all", "fts_incoming_2020",
        "global_pcodes", "global_pcode_lengths", "sectors_gcg", "org_types", "hpc_plans",
    ):
        assert needed in ids


def test_real_snapshot_config_paths_exist(real_snapshot):
    cfg = load_config(CONFIG_DIR / "hdx_snapshot.yaml")
    for kind, res in cfg.sources.all():
        assert (real_snapshot / res.path).is_file(), f"{kind}/{res.id}: {res.path}"
        if res.metadata:
            assert (real_snapshot / res.metadata).is_file()


def _write(tmp_path, text):
    p = tmp_path / "bad.yaml"
    p.write_text(textwrap.dedent(text))
    return p


def test_error_names_file_key_and_expectation(tmp_path):
    p = _write(
        tmp_path,
        """
        name: x
        countries: [som]
        sources: {}
        """,
    )
    with pytest.raises(ConfigError) as e:
        load_config(p)
    msg = str(e.value)
    assert str(p) in msg and "countries" in msg and "ISO3" in msg


def test_unknown_mapping_field_is_named(tmp_path):
    p = _write(
        tmp_path,
        """
        name: x
        countries: [SOM]
        sources:
          presence:
            - id: som
              table: presence
              country: SOM
              dataset: d
              path: f.csv
              columns: {org_name: Org, sector: Cluster, admin1_code: P, district: D}
        """,
    )
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert "sources.presence[id=som].columns" in str(e.value) and "district" in str(e.value)


def test_typo_in_key_is_rejected(tmp_path):
    p = _write(
        tmp_path,
        """
        name: x
        countries: [SOM]
        sources: {presense: []}
        """,
    )
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert "presense" in str(e.value)


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    p = tmp_path / "broken.yaml"
    p.write_text("name: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(p)
