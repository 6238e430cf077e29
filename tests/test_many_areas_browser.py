"""Every page with 32 areas and 200 KPIs, served for real and opened in headless Chromium at 1400 px.

Each page must finish running with no exception, and nothing of the app's content may be cut
off sideways: no element whose content is wider than its box, unless it is a deliberate scroll
region a keyboard can reach (focusable, scrolling sideways). A full-page screenshot of each is
saved under tests/screenshots/ as many_areas_<page>.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_browser import BENIGN, CHROMIUM, SHOTS, browser, screenshot, serve, wait_done  # noqa: F401 (browser is a fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}: run `make browser-deps`"),
]

PAGES = [
    ("overview", ""),
    ("trends", "trends?kpi=kpi_001"),
    ("localities", "localities?kpi=kpi_001"),
    ("priorities", "priorities"),
    ("definitions", "definitions"),
    ("data", "data"),
    ("changes", "changes"),
    ("present", "present"),
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


@pytest.mark.parametrize(("name", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_page_with_many_areas_fits_1400_px(many_server, browser, name, path):  # noqa: F811 (browser is the fixture)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and not any(b in r.url for b in BENIGN) else None)
    page.goto(f"{many_server}/{path}", wait_until="domcontentloaded")
    wait_done(page)
    screenshot(page, f"many_areas_{name}")
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator('[data-testid="stException"]').first.inner_text()
    assert errors == []
    assert page.locator('[data-testid="stMain"]').inner_text().strip()
    clipped = page.evaluate(CLIPPED)
    assert clipped == [], "\n".join(map(str, clipped))
    page.close()
