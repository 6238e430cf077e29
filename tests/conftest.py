from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"

# The router shows users a friendly message for any page error; under tests it re-raises, so a
# page that fails makes its test fail (and a served app shows Streamlit's exception element).
os.environ.setdefault("KPI_RAISE_ERRORS", "1")


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


@pytest.fixture(autouse=True)
def _fresh_passphrase_backoff():
    """Wrong passphrases in one test must not make the next one wait."""
    yield
    access_ui = sys.modules.get("pages.access_ui")
    if access_ui is not None:
        access_ui.PASSPHRASE_BACKOFF.clear()
