"""The app served for real and opened in headless Chromium (Debian's, driven by Playwright).

The helpers every browser module uses (the served app, the browser, `watch`, `wait_done`, `screenshot`), and
the journeys through the board: moving between pages keeps the selection, the priority summary's links, a first
visit that is a deep link, an analyst's publish, a dual-stack server. Every page opened directly must finish
running with no Streamlit exception, no page error and no request leaving the machine: test_a11y checks each page
it opens (a full-page screenshot of each is saved under tests/screenshots/), and here the deep link to an earlier
quarter's Localities.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import ROOT

CHROMIUM = os.environ.get("KPI_CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "tests" / "screenshots"
DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
# The frontend probes <page>/_stcore/... while finding its base path.
BENIGN = ("/_stcore/health", "/_stcore/host-config", "ERR_NAME_NOT_RESOLVED")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}: run `make browser-deps`"),
]

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    yield from serve()


def serve(data_dir: Path = ROOT / "data", address: str = "127.0.0.1"):
    # The server's output goes to a file: a pipe nobody reads fills up (64 KB) and then blocks the
    # server mid-run, so a page would never finish.
    with tempfile.TemporaryFile() as log:
        yield from _serve(data_dir, address, log)


def _serve(data_dir: Path, address: str, log):
    port = free_port()
    env = dict(os.environ, KPI_DATA_DIR=str(data_dir))
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "serve.py"), "--server.port", str(port), "--server.address", address,
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120  # the server answers once it has prepared the overview (serve.py)
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        log.seek(0)
        pytest.fail("streamlit did not start: " + log.read().decode(errors="replace")[-2000:])
    yield base
    proc.terminate()
    try:  # a server still holding a browser's connection can take long to shut down gracefully: no need here
        proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        proc.kill()


class Chromium:
    """Headless Chromium for one test module.

    Pages from `new_page` share one profile on disk, as a returning visitor's browser does, so the app's scripts
    are compiled once and then taken from Chromium's code cache: a page load costs about a quarter less CPU, and the
    browser tests are bound by the CPU. Each page is still a session of its own on the server. `new_context` is an
    empty, separate context (a first visit, nothing kept). A page with another zoom (`device_scale_factor` belongs to
    a context) is opened in a separate context kept for that zoom, so the module's pages at one zoom share a cache too."""

    def __init__(self, playwright, profile: str):
        self.shared = playwright.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        self.browser = self.shared.browser
        self.zoomed: dict[tuple[float, str | None], object] = {}

    def new_page(self, viewport: dict[str, int], color_scheme: str | None = None, device_scale_factor: float = 1):
        if device_scale_factor != 1:
            key = (device_scale_factor, color_scheme)
            if key not in self.zoomed:
                self.zoomed[key] = self.new_context(viewport=viewport, device_scale_factor=device_scale_factor, color_scheme=color_scheme)
            page = self.zoomed[key].new_page()
            page.set_viewport_size(viewport)
            return page
        page = self.shared.new_page()
        page.set_viewport_size(viewport)
        if color_scheme:
            page.emulate_media(color_scheme=color_scheme)
        return page

    def new_context(self, **options):
        return self.browser.new_context(**options)

    def close(self) -> None:
        for context in self.zoomed.values():
            context.close()
        self.shared.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        chromium = Chromium(p, profile)
        yield chromium
        chromium.close()


CONTENT_HEIGHT = """() => {
  let h = document.documentElement.scrollHeight;
  for (const s of ['[data-testid="stMain"]', '[data-testid="stMainBlockContainer"]', '[data-testid="stSidebarContent"]']) {
    const e = document.querySelector(s); if (e) h = Math.max(h, e.scrollHeight);
  }
  return h;
}"""


def screenshot(page, name: str) -> None:
    """Streamlit scrolls inside its main block, so grow the viewport to the content before a full-page shot."""
    height = min(int(page.evaluate(CONTENT_HEIGHT)) + 40, 12_000)
    page.set_viewport_size({"width": 1400, "height": max(height, 900)})
    page.wait_for_timeout(800)
    wait_done(page)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def wait_done(page) -> None:
    page.wait_for_selector(DONE, timeout=90_000)
    # A run can start again right away (query params, reruns): it must stay finished for a moment.
    for _ in range(2):
        page.wait_for_timeout(500)
        page.wait_for_selector(DONE, timeout=90_000)


def watch(page) -> tuple[list[str], list[str]]:
    """The page's errors (page errors, console errors, failed requests but the frontend's benign probes) and the address
    of every request it makes, as they happen."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # A failed request shows in the console without its address; judge it by its response instead.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and not any(b in r.url for b in BENIGN) else None)
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    return errors, urls


def test_navigation_keeps_the_selection_and_the_priority_summary_links_open_their_section(server, browser):
    """One visit through the board:
    - the top navigation from the Overview to Localities keeps the KPI and period in the address;
    - the sidebar's button, named for the KPI, period and area, opens their select boxes (closed, they are not drawn);
      another area chosen there goes into the address and onto the button, and Tab from the button reaches the period;
    - back on the Overview, the per-priority summary is a static table (no data grid) whose links survive Streamlit's
      HTML cleaning and open their section on Priorities."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/?kpi=mmr_5y&area=City&period=2023/24%20Q4", wait_until="domcontentloaded")
    wait_done(page)
    page.get_by_role("link", name="Localities").first.click()
    page.wait_for_url("**/localities**")
    wait_done(page)
    assert "kpi=mmr_5y" in page.url and "period=2023%2F24+Q4" in page.url.replace("%20", "+"), f"the navigation lost the selection: {page.url}"
    # The period and area are named on a button in the sidebar that opens their select boxes.
    assert page.locator('input[aria-label="Area"]').count() == 0, "the area's select box is drawn while its button is closed"
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="MMR uptake at 5 years · 2023/24 Q4 · City").click()
    page.locator('input[aria-label="Area"]').click()
    page.get_by_role("option", name="North West (NW)", exact=True).click()
    wait_done(page)
    assert "area=North+West" in page.url.replace("%20", "+") and "kpi=mmr_5y" in page.url, f"the area chosen is not in the address: {page.url}"
    button = page.locator('[data-testid="stSidebar"]').get_by_role("button", name="MMR uptake at 5 years · 2023/24 Q4 · North West")
    assert button.count() == 1, "the sidebar's button does not name the area chosen"
    button.focus()  # the select boxes come next in the Tab order, not after the whole page
    reached = []
    for _ in range(3):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.getAttribute('aria-label')"))
    assert "Reporting period" in reached, f"Tab from the sidebar's button does not reach the period: {reached}"

    page.get_by_role("link", name="Overview").first.click()
    page.wait_for_url(lambda url: "/localities" not in url)
    wait_done(page)
    links = page.locator("table.kpi-priority-summary a")
    assert links.count() == 6, f"the priority summary has {links.count()} links, not one per priority"
    assert page.locator('[data-testid="stDataFrame"]').count() == 0, "the Overview shows a data grid"
    links.first.click()
    page.wait_for_url("**/priorities?**")
    wait_done(page)
    assert "priority=1" in page.url and page.locator("#priority-1").count() == 1, f"the link did not open priority 1's section: {page.url}"
    page.close()


def test_analyst_drops_a_csv_publishes_and_sees_it_on_the_overview(browser, tmp_path):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    upload = tmp_path / "q2_figures.csv"
    upload.write_text("kpi_id,area,period,value\nooa_placements,City,2024/25 Q2,22\n")
    fresh = serve(data)
    base = next(fresh)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/data", wait_until="domcontentloaded")
    wait_done(page)
    assert "You can publish" in page.locator('[data-testid="stMain"]').inner_text()  # a visitor on this machine
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(upload))
    page.get_by_text("q2_figures.csv · 1 row(s) ready").wait_for(timeout=60_000)
    wait_done(page)
    screenshot(page, "data_preview")
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Published q2_figures.csv (1 rows)").wait_for(timeout=60_000)
    wait_done(page)
    screenshot(page, "data_published")
    page.get_by_role("link", name="Overview").first.click()
    page.wait_for_url(lambda url: "/data" not in url)
    wait_done(page)
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "2024/25 Q2" in main and "22" in main
    assert errors == []
    page.close()
    next(fresh, None)
    assert len((data / "audit.jsonl").read_text().splitlines()) == 1


@pytest.fixture(scope="module")
def dual_stack_server():
    """Bound as `streamlit run` binds by default (the dual-stack wildcard): 127.0.0.1 then arrives as ::ffff:127.0.0.1."""
    yield from serve(address="::")


def outside(urls: list[str]) -> list[str]:
    """The addresses among `urls` that are not on this machine."""
    local = {"127.0.0.1", "localhost", "::1"}
    return sorted({u for u in urls if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).hostname not in local})


def test_a_first_visit_can_be_a_deep_link_no_request_leaves_the_machine_and_127_0_0_1_may_publish(dual_stack_server, browser):
    """On a server just started and bound as `streamlit run` binds by default, a committee member's link to an earlier
    quarter's Localities is the first page the server serves: it runs with no Streamlit exception and no error (full-page
    screenshot `deep_link_localities_earlier`). Then the Data page, reached by the top navigation, lets this machine's
    browser publish. No request of either page leaves the machine, and the favicon is the repository's own image.
    (test_a11y checks every other page opened directly.)"""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # a first visit: nothing kept
    page = context.new_page()
    errors, urls = watch(page)
    page.goto(f"{dual_stack_server}/localities?kpi=rtl_uptake&area=City&period=2023/24%20Q2", wait_until="domcontentloaded")
    wait_done(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    screenshot(page, "deep_link_localities_earlier")
    assert page.locator('[data-testid="stException"]').count() == 0, "the deep link shows a Streamlit exception"
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "Localities" in text and "2023/24 Q2" in text, f"the deep link did not open the earlier quarter's Localities: {text[:300]}"
    assert "Page not found" not in page.content(), "the first request, a deep link, was not found"
    page.locator('[data-testid="stTopNavLink"]', has_text="Data").first.click()
    page.wait_for_url("**/data**")
    wait_done(page)
    page.wait_for_timeout(1500)  # the favicon and late icons
    assert "You can publish" in page.locator('[data-testid="stMain"]').inner_text(), "a browser at 127.0.0.1 may not publish"
    context.close()
    assert errors == [], errors
    assert urls and outside(urls) == [], outside(urls)
    assert any("/media/" in u and u.endswith(".png") for u in urls), "no favicon from the repository's own image"
