"""The server's start (`serve.py`): the overview's first screen is ready before the server answers.

`pages.cache.prepare` fills the caches a first visit to the overview reads; the test counts the computations
behind those caches during that first visit: none may be left for it.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.web.server.app_discovery import discover_asgi_app

import serve
from conftest import ROOT
from kpis import charts, exports, freshness, narratives, spc, store, summary, suppression, views
from pages import cache, components

# What the overview's cached lookups compute on a miss (module, function): each must not run during the visit.
COMPUTED = [(store, "load"), (suppression, "shown"), (views, "kpi_statuses"), (views, "tiles"), (summary, "report_table"),
            (narratives, "load_all"), (charts, "sparkline_svg"), (spc, "summary"), (freshness, "freshness"), (exports, "summary_table"),
            (components, "glance_html")]


def count_computations(monkeypatch) -> dict[str, int]:
    calls: dict[str, int] = {}
    for module, name in COMPUTED:
        original = getattr(module, name)

        def counted(*args, _original=original, _name=f"{module.__name__}.{name}", **kwargs):
            calls[_name] = calls.get(_name, 0) + 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    return calls


@pytest.fixture
def empty_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.slow
def test_after_prepare_the_first_overview_visit_computes_nothing(empty_caches, monkeypatch):
    took = cache.prepare()
    assert set(took) == {"store", "overview", "first page", "other pages"}
    calls = count_computations(monkeypatch)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    markup = [h.proto.body for h in at.get("html")]
    assert sum(m.count("<h3") for m in markup) >= 9 and any('class="kpi-report"' in m for m in markup)  # tiles and the summary table
    assert calls == {}


@pytest.mark.slow
def test_without_prepare_the_first_visit_computes_them(empty_caches, monkeypatch):
    """The counting sees a visit that computes: the test above cannot pass for want of counting."""
    calls = count_computations(monkeypatch)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert {"kpis.store.load", "kpis.views.tiles", "kpis.charts.sparkline_svg", "kpis.freshness.freshness",
            "pages.components.glance_html"} <= set(calls)


def test_prepare_with_a_broken_store_prepares_no_overview_and_raises_nothing(empty_caches, monkeypatch, data_copy):
    (data_copy / "catalogue.csv").write_text("not,a,catalogue\n1,2,3\n")
    monkeypatch.setenv("KPI_DATA_DIR", str(data_copy))
    took = cache.prepare()
    assert set(took) == {"store", "first page", "other pages"}  # the first page shows the problems, as without prepare


def test_streamlit_run_finds_the_server_app_in_serve_py():
    found = discover_asgi_app(ROOT / "serve.py")
    assert found.is_asgi_app and found.import_string == "serve:app"
    assert serve.app.script_path.name == "app.py"
    assert not discover_asgi_app(ROOT / "app.py").is_asgi_app  # app.py stays the page script AppTest and tests run


async def _start(app) -> None:
    async with serve.ready(app):
        pass


@pytest.mark.parametrize(("prepare", "logged"), [
    (lambda: {"store": 0.5}, "Ready in"),
    (lambda: 1 / 0, "Preparing the overview failed"),
])
def test_the_server_starts_whether_or_not_preparing_worked(monkeypatch, caplog, prepare, logged):
    monkeypatch.setattr(serve, "_prepare", prepare)
    with caplog.at_level(logging.INFO, logger="kpi_board"):
        asyncio.run(_start(serve.app))
    assert logged in caplog.text
