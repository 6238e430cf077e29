"""The board on a projector, in headless Chromium: what the first screen shows, and nothing clipped at 150% zoom.

A 1280×720 projector at 150% zoom leaves a CSS viewport of 853×480 at 1.5 device pixels per
CSS pixel (`device_scale_factor`). Screenshots are saved under tests/screenshots/.
"""

from __future__ import annotations

import os

import pytest
from test_browser import CHROMIUM, SHOTS, browser, serve, wait_done  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")]

AREAS = ("North East", "North West", "South")


@pytest.fixture(scope="module")
def server():
    """The app served as for the other browser tests, with Streamlit's log at error level: a page of many charts logs a
    warning with a stack per chart, which would fill the unread output pipe and stall the server."""
    before = os.environ.get("STREAMLIT_LOGGER_LEVEL")
    os.environ["STREAMLIT_LOGGER_LEVEL"] = "error"
    try:
        yield from serve()
    finally:
        if before is None:
            del os.environ["STREAMLIT_LOGGER_LEVEL"]
        else:
            os.environ["STREAMLIT_LOGGER_LEVEL"] = before
FIRST_SCREEN = """() => {
  const whole = r => r.width > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth;
  const boxes = sel => [...document.querySelectorAll(sel)].map(e => e.getBoundingClientRect());
  const counts = boxes('.kpi-count'), tiles = boxes('.kpi-glance-tile');
  return {counts: counts.length, countsShown: counts.filter(whole).length, tiles: tiles.length, tilesShown: tiles.filter(whole).length};
}"""
# Anything cut off sideways: a table wider than its box, a chart wider than its box, a legend outside its chart, the page itself.
CLIPPED = """() => {
  const out = [], main = document.querySelector('[data-testid="stMain"]');
  if (main.scrollWidth > main.clientWidth + 1) out.push('page scrolls sideways by ' + (main.scrollWidth - main.clientWidth));
  for (const t of document.querySelectorAll('[data-testid="stTable"], .kpi-report-table')) {
    const scroller = t.querySelector('table')?.parentElement || t;
    if (t.scrollWidth > t.clientWidth + 1 || scroller.scrollWidth > scroller.clientWidth + 1) out.push('table wider than its box: ' + t.innerText.slice(0, 60));
  }
  for (const c of document.querySelectorAll('[data-testid="stVegaLiteChart"]')) {
    const box = c.getBoundingClientRect(), svg = c.querySelector('svg, canvas');
    if (!svg) continue;
    const s = svg.getBoundingClientRect();
    if (s.right > box.right + 1 || s.left < box.left - 1) out.push('chart wider than its box by ' + Math.round(s.right - box.right));
    for (const g of c.querySelectorAll('.role-legend, .role-legend-label')) {
      const r = g.getBoundingClientRect();
      if (r.width && (r.right > s.right + 1 || r.left < s.left - 1 || r.bottom > s.bottom + 1)) out.push('legend outside its chart');
    }
  }
  return out;
}"""


def open_page(browser, url: str, width: int, height: int, scale: float = 1.0):  # noqa: F811
    page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=scale)
    page.goto(url, wait_until="domcontentloaded")
    wait_done(page)
    page.wait_for_timeout(1500)  # charts draw after the script run
    return page


# Each projector screen the Overview is measured at, and the whole tiles its first screen must show.
FIRST_SCREENS = [(1920, 1080, 6), (1280, 720, 3)]


def test_the_overview_first_screen_shows_the_counts_and_whole_tiles_and_a_tile_opens_its_pages(server, browser):  # noqa: F811
    """One load of the Overview, measured at each projector size in turn (its layout is CSS alone: nothing in it measures the
    window when it runs, so a resized page lays out as one opened at that size):
    - the first screen shows every status count and whole tiles: two rows of three at 1920×1080, a row of three at 1280×720;
    - at 1280×720, a tile's "By area" opens Localities on its KPI, that KPI first among those compared, in the same session
      as a page link does (no reload; one entry in the browser's history);
    - Back returns to the Overview, where its "Why this status?" link to its Partnership Priority opens Priorities
      in the same tab, scrolled to that priority."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = open_page(browser, f"{server}/", *FIRST_SCREENS[0][:2])
    for width, height, tiles in FIRST_SCREENS:
        if page.viewport_size != {"width": width, "height": height}:
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(1500)  # charts redraw at the new width
        page.screenshot(path=str(SHOTS / f"projector_overview_{width}x{height}.png"))
        found = page.evaluate(FIRST_SCREEN)
        assert found["counts"] >= 4 and found["countsShown"] == found["counts"], f"{width}x{height}: a status count is off the first screen: {found}"
        assert found["tilesShown"] >= tiles, f"{width}x{height}: fewer than {tiles} whole tiles on the first screen: {found}"

    page.evaluate("() => { window.kpiBefore = history.length; }")
    tile = page.locator('.kpi-glance-tile[data-kpi="rtl_uptake"]')
    tile.get_by_role("link", name="By area").click()
    page.wait_for_function("() => location.pathname.endsWith('/localities')", timeout=30_000)
    wait_done(page)
    assert "kpi=rtl_uptake" in page.url, f"By area: the tile's KPI is not in the address: {page.url}"
    picked = [line for line in page.locator('[data-testid="stMultiSelect"]').first.inner_text().splitlines() if line.strip()]
    assert picked[0] == "KPIs to compare" and picked[1] == "Ready to Learn uptake", f"By area: the tile's KPI does not come first: {picked}"
    opened = page.evaluate("() => window.kpiBefore === undefined ? 'reloaded' : history.length - window.kpiBefore")
    assert opened == 1, f"By area: not opened in the same session with one history entry: {opened}"

    page.go_back()
    page.wait_for_function("() => !location.pathname.endsWith('/localities')", timeout=30_000)
    wait_done(page)
    assert page.locator('[data-testid="stMain"] h1').first.inner_text() == "KPI performance overview", "Back does not return to the Overview"
    tile.get_by_text("Why this status?").click()
    link = tile.get_by_role("link", name="Its Partnership Priority")
    href = link.get_attribute("href")
    assert "priority=1" in href and link.get_attribute("target") is None, f"Why this status: the priority link is not priority 1 in the same tab: {href}"
    link.click()
    page.wait_for_function("() => location.pathname.endsWith('/priorities')", timeout=30_000)
    wait_done(page)
    page.wait_for_timeout(1500)
    box = page.locator("#priority-1").bounding_box()
    assert box is not None and 0 <= box["y"] < page.viewport_size["height"], f"Priorities is not scrolled to priority 1: {box}"
    page.close()


@pytest.mark.parametrize("path", ["localities?kpi=rtl_uptake&area=City&period=2024/25%20Q1",
                                  "trends?kpi=rtl_uptake&area=City&period=2024/25%20Q1"], ids=["localities", "trends"])
def test_localities_and_trends_keep_every_area_and_legend_at_150_percent(server, browser, path):  # noqa: F811
    page = open_page(browser, f"{server}/{path}", 853, 480, 1.5)
    name = path.split("?")[0]
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 853, "height": min(int(height) + 40, 8000)})
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / f"projector_{name}_853x480@1.5.png"), full_page=True)
    clipped = page.evaluate(CLIPPED)
    text = page.locator('[data-testid="stMain"]').inner_text()
    page.close()
    assert clipped == []
    assert all(area in text for area in AREAS)


def test_the_overview_summary_table_wraps_at_150_percent(server, browser):  # noqa: F811
    page = open_page(browser, f"{server}/?area=City&period=2024/25%20Q1", 853, 480, 1.5)
    tables = page.locator(".kpi-report-table").count()
    clipped = [c for c in page.evaluate(CLIPPED) if c.startswith("table")]  # the table's own box, not the page's
    page.close()
    assert tables == 1 and clipped == []
