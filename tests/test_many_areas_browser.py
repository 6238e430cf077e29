"""Every page with 32 areas and 200 KPIs, served for real and opened in headless Chromium at 1400 px.

Each page must finish running with no exception, and nothing of the app's content may be cut
off sideways: no element whose content is wider than its box, unless it is a deliberate scroll
region a keyboard can reach (focusable, scrolling sideways). A full-page screenshot of each is
saved under tests/screenshots/ as many_areas_<page>.png.

The board is opened once and each page is reached by the top navigation, as a person moves through it
(Present, which hides the navigation, is opened by its address); every page opened directly is checked on the
demo data by test_a11y.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_browser import BENIGN, CHROMIUM, SHOTS, browser, screenshot, serve, wait_done  # noqa: F401 (browser is a fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}: run `make browser-deps`"),
]

# (name, address, its link in the top navigation: none for Present, which hides the navigation). The Overview does not
# use the KPI in its address; opened first, it hands kpi_001 (a percentage) on through the navigation to Trends and Localities.
PAGES = [
    ("overview", "?kpi=kpi_001", "Overview"),
    ("trends", "trends?kpi=kpi_001", "Trends"),
    ("localities", "localities?kpi=kpi_001", "Localities"),
    ("priorities", "priorities", "Priorities"),
    ("definitions", "definitions", "Definitions"),
    ("data", "data", "Data"),
    ("changes", "changes", "What changed"),
    ("present", "present", None),
]

# Elements of the app's content that cut their content off sideways: a box that hides or scrolls what is wider than it
# (text cut with an ellipsis included), except a scroll region a keyboard can reach (it, or something in it, takes
# focus; for a data grid, its canvas) and the one-pixel boxes that hide a label from the eye but not from a screen reader.
# Content that merely overhangs a box that shows it is not cut there; if an outer box cuts it, that box is reported.
# Each is described by its test id, its tag and class, and its text, so a failure says what was cut off.
CLIPPED = """() => {
  const found = [];
  const roots = document.querySelectorAll('[data-testid="stMain"], [data-testid="stSidebarContent"]');
  for (const root of roots) {
    for (const e of [root, ...root.querySelectorAll('*')]) {
      if (e.closest('svg, canvas')) continue;
      if (e.clientWidth <= 1 || e.scrollWidth - e.clientWidth <= 1) continue;
      const style = getComputedStyle(e);
      if (style.overflowX === 'visible') continue;
      const scrolls = style.overflowX === 'auto' || style.overflowX === 'scroll';
      const grid = e.closest('[data-testid="stDataFrame"]');  // a data grid: its canvas takes focus and the arrows scroll it
      if (scrolls && (e.tabIndex >= 0 || (grid || e).querySelector('[tabindex="0"]'))) continue;
      const where = e.closest('[data-testid]');
      found.push({
        element: `${e.tagName.toLowerCase()}.${String(e.className).split(' ')[0]}`,
        within: where ? where.getAttribute('data-testid') : '',
        overflow: style.overflowX, over: e.scrollWidth - e.clientWidth, width: e.clientWidth,
        text: (e.innerText || '').replace(/\\s+/g, ' ').slice(0, 120),
      });
    }
  }
  return found;
}"""


@pytest.fixture(scope="module")
def many_server(tmp_path_factory):
    from tests import many_areas_folder

    yield from serve(many_areas_folder.write(tmp_path_factory.mktemp("many") / "data"))


class Board:
    """One page of the many-areas board, moved to each page by the top navigation; its errors as they happen."""

    def __init__(self, browser, base: str):  # noqa: F811
        self.browser, self.base, self.page = browser, base, None
        self.errors: list[str] = []

    def reach(self, path: str, link: str | None):
        """The page at `path`: by its top navigation link from the board's page, or by its address (the first page, and
        Present, which hides the navigation: then the page is opened anew). The page's query must be in the address."""
        query = path.partition("?")[2]
        if self.page is None or link is None or self.page.locator('[data-testid="stTopNavLink"]').count() == 0:
            if self.page is not None:
                self.page.close()
            self.page = self.browser.new_page(viewport={"width": 1400, "height": 1000})
            self.page.on("pageerror", lambda e: self.errors.append(str(e)))
            self.page.on("response", lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 400 and not any(b in r.url for b in BENIGN) else None)
            self.page.goto(f"{self.base}/{path}", wait_until="domcontentloaded")
        else:
            self.page.set_viewport_size({"width": 1400, "height": 1000})
            self.page.locator('[data-testid="stTopNavLink"]', has_text=link).first.click()
            self.page.wait_for_function("path => location.pathname === path", arg="/" + path.partition("?")[0], timeout=30_000)
        wait_done(self.page)
        assert query in self.page.url, f"{path}: the address lost its query: {self.page.url}"
        return self.page


@pytest.fixture(scope="module")
def board(many_server, browser):  # noqa: F811
    board = Board(browser, many_server)
    yield board
    if board.page is not None:
        board.page.close()


@pytest.mark.parametrize(("name", "path", "link"), PAGES, ids=[p[0] for p in PAGES])
def test_page_with_many_areas_fits_1400_px(board, name, path, link):
    SHOTS.mkdir(parents=True, exist_ok=True)
    seen = len(board.errors)
    page = board.reach(path, link)
    screenshot(page, f"many_areas_{name}")
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator('[data-testid="stException"]').first.inner_text()
    assert board.errors[seen:] == []
    assert page.locator('[data-testid="stMain"]').inner_text().strip()
    clipped = page.evaluate(CLIPPED)
    assert clipped == [], "\n".join(map(str, clipped))
