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


_VOCAB = """
    name: x
    countries: [SOM]
    sources:
      vocabularies:
        - id: sectors
          table: sectors
          dataset: d
          path: {path}
          {extra}
    """


@pytest.mark.parametrize("path", ["../../../../etc/passwd", "/etc/passwd", "ok/../../passwd"])
def test_config_check_refuses_paths_outside_the_snapshot(tmp_path, path):
    with pytest.raises(ConfigError) as e:
        load_config(_write(tmp_path, _VOCAB.format(path=path, extra="")))
    msg = str(e.value)
    assert "leaves the snapshot root" in msg and "allow_outside_snapshot" in msg and "sources" in msg
    assert "root:" not in msg  # the file is never opened: nothing of it can be echoed


def test_allow_outside_snapshot_is_explicit_and_does_not_force_a_reload(tmp_path):
    cfg = load_config(_write(tmp_path, _VOCAB.format(path="/srv/shared/sectors.csv", extra="allow_outside_snapshot: true")))
    res = cfg.sources.vocabularies[0]
    assert res.allow_outside_snapshot
    assert res.fingerprint() == res.model_copy(update={"allow_outside_snapshot": False}).fingerprint()


def test_snapshot_fetcher_refuses_a_symlink_out_of_the_root(tmp_path):
    from pipelines.lib.config import Resource
    from pipelines.lib.errors import FetchError
    from pipelines.lib.hdx.snapshot import SnapshotFetcher

    outside = tmp_path / "secret.csv"
    outside.write_text("root:x:0:0\n")
    root = tmp_path / "snap"
    root.mkdir()
    (root / "sectors.csv").symlink_to(outside)
    res = Resource(id="sectors", table="sectors", dataset="d", path="sectors.csv")
    with pytest.raises(FetchError) as e:
        SnapshotFetcher(root).fetch(res)
    assert "outside the snapshot root" in str(e.value) and "root:x" not in str(e.value)


_ONE_FILE = """
    name: x
    countries: [SOM]
    limits: {{max_file_mb: 2000}}
    sources:
      presence:
        - id: som
          table: presence
          country: SOM
          dataset: d
          path: f.xlsx
          columns: {{org_name: Org, sector: Cluster, admin1_code: P}}
          limits: {limits}
    """


def test_a_files_own_limits_override_the_configs_and_keep_the_rest(tmp_path):
    cfg = load_config(_write(tmp_path, _ONE_FILE.format(limits="{max_sheet_cells: 282639787}")))
    (res,) = cfg.resources("presence")
    limits = res.read_limits(cfg.limits)
    assert limits.max_sheet_cells == 282_639_787  # this file's
    assert limits.max_file_mb == 2000  # the config's
    assert limits.max_uncompressed_mb == type(limits)().max_uncompressed_mb  # the default


@pytest.mark.parametrize("limits, named", [("{max_cells: 10}", "max_cells"), ("{max_sheet_cells: -1}", "max_sheet_cells")])
def test_a_files_unknown_or_invalid_limit_is_refused_at_load(tmp_path, limits, named):
    with pytest.raises(ConfigError) as e:
        load_config(_write(tmp_path, _ONE_FILE.format(limits=limits)))
    assert "limits" in str(e.value) and named in str(e.value)
