from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


@pytest.fixture(scope="session")
def demo_store():
    from kpis import store

    return store.load(DATA)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A private copy of the demo data folder that a test may change."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target
