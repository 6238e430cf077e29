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


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server of our own for the session (skipped, with the reason, when it cannot be run)."""
    import pg_server as server

    if reason := server.missing_reason():
        pytest.skip(reason)
    running = server.start()
    yield running
    server.stop(running)


_databases = iter(range(1, 1_000_000))


@pytest.fixture
def database_url(pg_server) -> str:
    """A new, initialised database on the test server."""
    from kpis import pg

    url = pg_server.create_database(f"kpi_test_{os.getpid()}_{next(_databases)}")
    pg.init(url)
    return url


STORE_BACKENDS = ("files", "postgres")


@pytest.fixture(params=STORE_BACKENDS)
def backend(request, monkeypatch) -> str:
    """Run the test once per store backend: the data folder's files, and a fresh PostgreSQL database."""
    from kpis import config

    monkeypatch.delenv(config.ENV_DATABASE_URL, raising=False)
    if request.param == "postgres":
        monkeypatch.setenv(config.ENV_DATABASE_URL, request.getfixturevalue("database_url"))
    return request.param


# Modules whose tests take seconds each (pages run in-process, packs rendered, the corpus): `make check` leaves them to `make test`.
SLOW_MODULES = {"test_app_pages", "test_changes_page", "test_faults_pages", "test_corpus", "test_suppression", "test_serve", "test_data_mapping", "test_data_page", "test_many_areas",
                "test_overview_filters", "test_pack", "test_present_page", "test_router"}


def pytest_collection_modifyitems(items):
    """Marks `database` (a test that reaches the PostgreSQL server, directly or as the `postgres` store backend) and `slow`."""
    for item in items:
        if item.module.__name__ in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
        params = getattr(getattr(item, "callspec", None), "params", {})
        if {"pg_server", "database_url"} & set(item.fixturenames) or params.get("backend") == "postgres":
            item.add_marker(pytest.mark.database)
