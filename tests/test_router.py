"""The router: a page that raises still shows users a friendly message, and never hides the failure from tests."""

from __future__ import annotations

import logging
import os
import re

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from kpis import views

FRIENDLY = "Sorry, something went wrong while showing this page."


def broken_search(*args, **kwargs):
    raise RuntimeError("search index exploded")


def open_definitions() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/definitions_page.py").run()
    return at


def test_tests_run_with_errors_raised():
    assert os.environ.get("KPI_RAISE_ERRORS") == "1"  # set by conftest for every test


def test_a_page_that_raises_fails_its_app_test(monkeypatch, caplog):
    monkeypatch.setattr(views, "search_catalogue", broken_search)
    with caplog.at_level(logging.ERROR):
        at = open_definitions()
    assert at.exception  # what every page test checks first
    assert not any(FRIENDLY in e.value for e in at.error)
    # Streamlit redacts the message on screen (showErrorDetails = "none") and logs the exception itself.
    assert any(r.exc_info and "search index exploded" in str(r.exc_info[1]) for r in caplog.records)


def test_users_see_a_friendly_message_and_the_error_is_logged(monkeypatch, caplog):
    monkeypatch.delenv("KPI_RAISE_ERRORS", raising=False)
    monkeypatch.setattr(views, "search_catalogue", broken_search)
    with caplog.at_level(logging.ERROR, logger="kpi_board"):
        at = open_definitions()
    assert not at.exception
    assert any(FRIENDLY in e.value for e in at.error), [e.value for e in at.error]
    logged = [r for r in caplog.records if "Unexpected error on page Definitions" in r.getMessage()]
    assert logged and logged[0].exc_info and "search index exploded" in str(logged[0].exc_info[1])


@pytest.mark.parametrize("value", ["", "0", "no"])
def test_only_the_setting_one_raises(monkeypatch, value):
    monkeypatch.setenv("KPI_RAISE_ERRORS", value)
    monkeypatch.setattr(views, "search_catalogue", broken_search)
    at = open_definitions()
    assert not at.exception and any(FRIENDLY in e.value for e in at.error)


def test_every_file_in_pages_is_a_page_a_shim_or_a_helper():
    """Each address has a shim named after it; no helper module is named after an address (see README, Layout)."""
    app = (ROOT / "app.py").read_text()
    pages = set(re.findall(r'st\.Page\("pages/([^"]+)"', app))
    addresses = {p for p in re.findall(r'url_path="([^"]*)"', app) if p}
    assert len(pages) == 6 and all(p.endswith("_page.py") for p in pages)
    files = {f.name: f.read_text() for f in (ROOT / "pages").glob("*.py")}
    shims = {name for name, text in files.items() if "runpy.run_path" in text}
    assert {name.removesuffix(".py") for name in shims} == addresses
    helpers = set(files) - pages - shims
    assert helpers and not {name.removesuffix(".py") for name in helpers} & addresses
