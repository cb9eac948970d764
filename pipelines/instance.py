"""The Dagster instance under the data dir, configured by the repo's dagster.yaml: one way to open it."""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from pipelines.lib.paths import REPO_ROOT, data_dir


def dagster_home() -> Path:
    """The instance directory under the data dir, with the repo's dagster.yaml in it."""
    home = data_dir() / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    src = REPO_ROOT / "dagster.yaml"
    dst = home / "dagster.yaml"
    if not dst.exists() or dst.read_bytes() != src.read_bytes():
        shutil.copyfile(src, dst)
    return home


def open_instance(home: Path | None = None):
    """The instance in `home` (default: the data dir's, with the repo's dagster.yaml). DAGSTER_HOME is set to it,
    as `dagster dev` does: dagster.yaml's storage settings read it."""
    import dagster as dg
    from dagster._core.instance.ref import InstanceRef

    home = home or dagster_home()
    os.environ["DAGSTER_HOME"] = str(home)
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))


@contextmanager
def definitions_state_of(instance):
    """While open, the definitions Dagster builds read `instance`'s definitions state, as `dagster dev` arranges
    for its code servers; never a state storage another instance of this process left set (tests make many)."""
    from dagster._core.storage.defs_state.base import set_defs_state_storage

    with set_defs_state_storage(instance.defs_state_storage):
        yield
