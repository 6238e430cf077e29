"""Several board servers on one PostgreSQL store: what one publishes, the other shows at its next load.

Two `streamlit run` servers on different ports share one database (and one read-only copy
of the catalogue and areas). Pages are driven in headless Chromium, as in test_browser.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from test_browser import CHROMIUM, Chromium, serve, wait_done

from conftest import DATA
from kpis import backends, config

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}: run `make browser-deps`"),
]


@pytest.fixture
def two_servers(tmp_path, database_url, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    monkeypatch.setenv(config.ENV_DATABASE_URL, database_url)
    first, second = serve(data), serve(data)
    yield data, next(first), next(second)
    next(first, None)
    next(second, None)


def main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def start_publish(page, base: str, upload: Path) -> None:
    page.goto(f"{base}/data", wait_until="domcontentloaded")
    wait_done(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(upload))
    page.get_by_text(f"{upload.name} · 1 row(s) ready").wait_for(timeout=60_000)
    wait_done(page)


def test_a_publish_on_one_server_shows_on_the_other_and_two_at_once_lose_nothing(two_servers, tmp_path):
    from playwright.sync_api import sync_playwright

    data, first, second = two_servers
    q2 = tmp_path / "q2_figures.csv"
    q2.write_text("kpi_id,area,period,value\nooa_placements,City,2024/25 Q2,22\n")
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        browser = Chromium(p, profile)
        on_second = browser.new_page(viewport={"width": 1400, "height": 1000})
        on_second.goto(second, wait_until="domcontentloaded")
        wait_done(on_second)
        assert "2024/25 Q2" not in main_text(on_second)  # its cache now holds the old figures

        on_first = browser.new_page(viewport={"width": 1400, "height": 1000})
        start_publish(on_first, first, q2)
        on_first.get_by_role("button", name="Publish").click()
        on_first.get_by_text("Published q2_figures.csv (1 rows)").wait_for(timeout=60_000)

        on_second.goto(second, wait_until="domcontentloaded")  # the next load, no restart
        wait_done(on_second)
        shown = main_text(on_second)
        assert "2024/25 Q2" in shown and "22" in shown

        # Two publishes at once, one through each server: both are kept, one after the other.
        a, b = tmp_path / "a_figures.csv", tmp_path / "b_figures.csv"
        a.write_text("kpi_id,area,period,value\nhwc_referrals,City,2024/25 Q2,790\n")
        b.write_text("kpi_id,area,period,value\nmmr_5y,City,2024/25 Q2,93\n")
        start_publish(on_first, first, a)
        start_publish(on_second, second, b)
        on_first.get_by_role("button", name="Publish").click(no_wait_after=True)
        on_second.get_by_role("button", name="Publish").click(no_wait_after=True)
        on_first.get_by_text("Published a_figures.csv (1 rows)").wait_for(timeout=60_000)
        on_second.get_by_text("Published b_figures.csv (1 rows)").wait_for(timeout=60_000)
        browser.close()
    history = backends.report(data).history
    assert sorted(history["source"]) == ["a_figures.csv", "b_figures.csv", "q2_figures.csv"]
    assert set(history["state"]) == {"in force"}
    assert not (data / "audit.jsonl").exists()  # nothing went to the shared folder
