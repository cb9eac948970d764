"""The corpus's published baseline: one refresh of the sample per session, shared by every corpus test."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.corpus.published import published_tree


@pytest.fixture(scope="session")
def sample_baseline(tmp_path_factory) -> Path:
    """A clean refresh of the sample: its data dir (warehouse, published/, sample-snapshot/)."""
    from tests.test_quality import refresh

    data = tmp_path_factory.mktemp("corpus_baseline") / "data"
    code, out = refresh(data, full=True)
    assert code == 0, out[-4000:]
    assert published_tree(data), "the sample published nothing"
    return data
