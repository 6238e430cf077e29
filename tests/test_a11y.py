"""Accessibility of the served app: axe-core on every page at desktop and phone width.

axe-core is pinned in package-lock.json and installed by `npm ci` (`make test` does it). It
is injected into each page and runs on the whole document; a violation whose element lies
in the app's own content (the main block and the sidebar's user content) fails the test,
while one in Streamlit's own chrome (header, navigation, toolbars) is printed and collected.
Screenshots in light, dark, greyscale and deuteranopia simulation go to tests/screenshots/a11y/.

Each page is opened once per width and kept open for the module's later checks (names, keyboard,
screenshots); the dark theme is then the same page after the system's colour scheme changes, which
the board follows as it happens (`set_scheme` waits until it has). The page opened at desktop width is also
the browser smoke test of that page opened directly (`test_page_runs_in_chromium_with_no_error`): no Streamlit
exception, no error, no request leaving the machine, and a full-page screenshot under tests/screenshots/.
"""

from __future__ import annotations

import json

import pytest
from test_browser import CONTENT_HEIGHT, SHOTS, browser, outside, pytestmark, screenshot, server, wait_done, watch  # noqa: F401  (fixtures and marks)

from conftest import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"desktop": 1400, "phone": 390}
PAGES = {
    "overview": ("", "Overview"),
    "trends": ("trends", "Trends"),
    "localities": ("localities", "Localities"),
    "priorities": ("priorities", "Priorities"),
    "definitions": ("definitions", "Definitions"),
    "data": ("data", "Data"),
    "changes": ("changes", "What changed"),
    "present": ("present", "Present"),
    "present_table_slide": ("present?slide=2", "Present"),  # in the demo deck: a priority's slide with its KPIs' table
    "present_chart_slide": ("present?slide=9", "Present"),  # and a KPI's slide: its trend chart and its table by area
    "trends_deep_link": ("trends?kpi=mmr_24m&area=City&period=2024/25%20Q1", "MMR"),
}
CONTENT = '[data-testid="stMain"] [data-testid="stMainBlockContainer"], [data-testid="stSidebarUserContent"]'
# Streamlit's own element chrome inside the main block: its toolbars and tooltips, and the file uploader's
# drop zone (a focusable `role="presentation"` section with a label), are not the app's markup.
CHROME_INSIDE = ('[data-testid="stElementToolbar"], [data-testid="stTooltipIcon"] [role="tooltip"], '
                 '[data-testid="stFileUploaderDropzone"]')
# The dark theme too, where the app's own colours (status, charts, slides) must hold up on a dark background.
DARK = [("overview", "desktop"), ("overview", "phone"), ("present", "desktop"), ("present", "phone"), ("present_table_slide", "desktop"), ("present_chart_slide", "desktop"),
        ("trends", "desktop"), ("localities", "desktop"), ("changes", "desktop"), ("data", "desktop")]

needs_axe = pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: run `npm ci` (make test does)")

RUN_AXE = """async ([content, chromeInside]) => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  const rows = [];
  for (const v of result.violations) {
    for (const node of v.nodes) {
      const target = node.target.flat(Infinity);
      const el = document.querySelector(target[target.length - 1]);
      const inApp = !!(el && el.closest(content) && !el.closest(chromeInside));
      rows.push({rule: v.id, impact: v.impact, where: inApp ? 'app' : 'chrome', target: target.join(' '),
                 html: node.html.slice(0, 160), summary: node.failureSummary.split('\\n').slice(0, 3).join(' ')});
    }
  }
  return rows;
}"""


def open_page(browser, server, path: str, width: int, color_scheme: str = "light"):  # noqa: F811
    """The page, opened and finished, and what it has met since (`watch`: its errors and its requests' addresses)."""
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=color_scheme)
    traffic = watch(page)
    page.goto(f"{server}/{path}", wait_until="domcontentloaded")
    wait_done(page)
    return page, traffic


APP_BACKGROUND = "() => getComputedStyle(document.querySelector('[data-testid=\"stApp\"]')).backgroundColor"


def set_scheme(page, scheme: str) -> None:
    """Switches the system colour scheme under an open page, and waits until the board has followed it."""
    from kpis.styles import BACKGROUND

    page.emulate_media(color_scheme=scheme)
    for _ in range(50):
        if rgb(page.evaluate(APP_BACKGROUND)) == BACKGROUND[scheme].upper():
            break
        page.wait_for_timeout(100)
    else:
        pytest.fail(f"the page did not follow the system's switch to {scheme}: background {page.evaluate(APP_BACKGROUND)}")
    page.wait_for_timeout(200)  # charts and images repaint after the theme


class Opened:
    """`opened(name, width)`: the page, opened once per module and width, back in the light theme at its width.
    `opened.traffic(name, width)`: its errors and its requests' addresses since it was opened."""

    def __init__(self, browser, server):  # noqa: F811
        self.browser, self.server = browser, server
        self.pages: dict[tuple[str, str], tuple[object, tuple[list[str], list[str]]]] = {}

    def __call__(self, name: str, width: str):
        if (name, width) not in self.pages:
            self.pages[name, width] = open_page(self.browser, self.server, PAGES[name][0], WIDTHS[width])
        page = self.pages[name, width][0]
        page.evaluate("() => document.activeElement?.blur()")
        page.set_viewport_size({"width": WIDTHS[width], "height": 900})
        set_scheme(page, "light")
        return page

    def traffic(self, name: str, width: str) -> tuple[list[str], list[str]]:
        self(name, width)
        return self.pages[name, width][1]


@pytest.fixture(scope="module")
def opened(server, browser):  # noqa: F811
    pages = Opened(browser, server)
    yield pages
    for page, _ in pages.pages.values():
        page.close()


@pytest.mark.parametrize("name", list(PAGES))
def test_page_runs_in_chromium_with_no_error(opened, name):
    """The page opened directly at desktop width (a deep link included): no Streamlit exception, no page or console error,
    no failed request, no request leaving the machine, some content; a full-page screenshot `tests/screenshots/<name>.png`."""
    page = opened(name, "desktop")
    SHOTS.mkdir(parents=True, exist_ok=True)
    screenshot(page, name)
    errors, urls = opened.traffic(name, "desktop")
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, f"{name}: a Streamlit exception: {exceptions.first.inner_text()[:500] if exceptions.count() else ''}"
    assert errors == [], f"{name}: {errors}"
    assert urls and outside(urls) == [], f"{name}: requests leave the machine: {outside(urls)}"
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert main.strip(), f"{name}: the main block is empty"
    if "kpi=mmr_24m" in PAGES[name][0]:
        assert "kpi=mmr_24m" in page.url, f"{name}: the deep link's KPI left the address: {page.url}"
        assert "MMR Percentage Uptake in Children aged 24 months" in main, f"{name}: the deep link's KPI is not shown"


def axe_rows(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE, [CONTENT, CHROME_INSIDE])


def check_axe(page, name: str, width: str, scheme: str) -> list[dict]:
    """axe on one open page: the rows in the app's content (Streamlit's chrome printed); the document titled."""
    rows = axe_rows(page)
    chrome = [r for r in rows if r["where"] == "chrome"]
    if chrome:
        print(f"\n{name} at {width} ({scheme}): Streamlit chrome, {len(chrome)} node(s):\n" + "\n".join(json.dumps(r) for r in chrome))
    title_word = PAGES[name][1]
    assert title_word in page.title() and "KPI performance board" in page.title()
    return [dict(r, scheme=scheme) for r in rows if r["where"] == "app"]


@needs_axe
@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_nothing_in_the_apps_content(opened, name, width):
    """In the light theme, and for the pages in DARK also after the system switches to dark."""
    page = opened(name, width)
    found = check_axe(page, name, width, "light")
    if (name, width) in DARK:
        set_scheme(page, "dark")
        found += check_axe(page, name, width, "dark")
    assert found == [], f"{name} at {width}:\n" + "\n".join(json.dumps(r, ensure_ascii=False) for r in found)


# What a person with deuteranopia sees: the Machado, Oliveira and Fernandes (2009) matrix at full severity, applied to
# linear RGB; and greyscale by luminance (Rec. 709). Both are computed from the screenshot: a colour filter over the
# whole page made Chromium paint it again for each image, which took about half of this test's time.
DEUTERANOPIA = ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881))
LUMINANCE = (0.2126, 0.7152, 0.0722)


def simulated(png: bytes, kind: str):
    """The screenshot as the simulation shows it (a Pillow image)."""
    import io

    import numpy as np
    from PIL import Image

    # sRGB to linear through a table of the 256 levels, and back through one of 4,096 linear steps: the same image as
    # the formulas on every pixel, within a level, at a fraction of the time on a full-page screenshot.
    levels = np.arange(256, dtype=np.float32) / 255
    to_linear = np.where(levels <= 0.04045, levels / 12.92, ((levels + 0.055) / 1.055) ** 2.4).astype(np.float32)
    steps = np.linspace(0, 1, 4096, dtype=np.float32)
    to_srgb = np.round(255 * np.where(steps <= 0.0031308, steps * 12.92, 1.055 * steps ** (1 / 2.4) - 0.055)).astype(np.uint8)
    linear = to_linear[np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))]
    if kind == "greyscale":
        linear = np.repeat((linear @ np.array(LUMINANCE, dtype=np.float32))[..., None], 3, axis=2)
    else:
        linear = np.clip(linear @ np.array(DEUTERANOPIA, dtype=np.float32).T, 0, 1)
    return Image.fromarray(to_srgb[np.round(linear * 4095).astype(np.int32)])


def test_simulations_keep_grey_grey_and_merge_red_with_green():
    """The two simulations on three pixels: a grey stays itself in both; under deuteranopia pure red and pure green both
    come out a yellow (olive and light yellow), at under half the distance they went in at."""
    import io

    import numpy as np
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.array([[[128, 128, 128], [255, 0, 0], [0, 255, 0]]], dtype=np.uint8)).save(buffer, format="PNG")
    grey = np.asarray(simulated(buffer.getvalue(), "greyscale"), dtype=int)[0]
    deutan = np.asarray(simulated(buffer.getvalue(), "deuteranopia"), dtype=int)[0]
    assert (abs(grey[0] - 128) <= 1).all() and (abs(deutan[0] - 128) <= 1).all()
    assert (grey[1] == grey[1][0]).all() and (grey[2] == grey[2][0]).all()
    assert all(r >= g > b for r, g, b in deutan[1:]), deutan
    assert np.abs(deutan[1] - deutan[2]).sum() < 510 / 2, deutan


@pytest.mark.parametrize("name", ["overview", "trends", "localities", "present", "present_table_slide", "present_chart_slide"])
def test_screenshots_in_both_themes_and_simulations(opened, name):
    """Not judged by the machine: these images are for a person to look at."""
    out = SHOTS / "a11y"
    out.mkdir(parents=True, exist_ok=True)
    page = opened(name, "desktop")
    page.set_viewport_size({"width": 1400, "height": min(int(page.evaluate(CONTENT_HEIGHT)) + 40, 3000)})
    page.wait_for_timeout(800)
    for scheme in ("light", "dark"):
        set_scheme(page, scheme)
        png = page.screenshot(path=str(out / f"{name}_{scheme}.png"))
        for kind in ("greyscale", "deuteranopia"):
            simulated(png, kind).save(out / f"{name}_{scheme}_{kind}.png")
        assert (out / f"{name}_{scheme}_deuteranopia.png").stat().st_size > 0


# One Tab stop: what it is, where it is, and how its focus shows (outline or box shadow, and their colours).
FOCUS_STOP = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  let hidden = false, node = el;
  for (; node && node !== document.documentElement; node = node.parentElement) {
    const s = getComputedStyle(node);
    if (s.opacity === '0' || s.visibility === 'hidden' || s.display === 'none') { hidden = true; break; }
  }
  let ring = null;  // the focus ring may be drawn by the control or by its wrapper (a select's box)
  for (let n = el, i = 0; n && i < 4 && !ring; n = n.parentElement, i++) {
    const s = getComputedStyle(n);
    if (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) ring = s.outlineColor;
  }
  const tile = el.closest('.kpi-glance-tile, [class*="st-key-tile-"]');
  return {tag: el.tagName, testid: el.getAttribute('data-testid') || el.closest('[data-testid]')?.getAttribute('data-testid') || '',
          name: (el.getAttribute('aria-label') || el.innerText || '').trim().slice(0, 60), hidden,
          tile: tile ? (tile.dataset.kpi || [...tile.classList].find(c => c.startsWith('st-key-tile-'))) : null,
          outline: ring,
          shadow: style.boxShadow !== 'none' ? style.boxShadow : null};
}"""


def tab_stops(page, limit: int = 200) -> list[dict]:
    """Tab from the top of the page until focus comes back round (or leaves the document)."""
    stops: list[dict] = []
    page.evaluate("""() => { document.getElementById('tab-start')?.remove(); const s = document.createElement('span'); s.tabIndex = -1; s.id = 'tab-start';
                            document.body.prepend(s); s.focus(); }""")
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUS_STOP)
        if stop is None or (stops and stop == stops[0]):
            break
        stops.append(stop)
    return stops


def rgb(css: str) -> str:
    """'rgb(31, 78, 121)' or 'rgba(31, 78, 121, 1)' as '#1F4E79'."""
    parts = css[css.index("(") + 1: css.index(")")].split(",")
    return "#" + "".join(f"{round(float(p)):02X}" for p in parts[:3])


def assert_focus_shows(stops: list[dict], scheme: str) -> None:
    """Every stop is visible and draws a focus ring of 3:1 or more on the theme's background."""
    from test_styles import contrast

    from kpis.styles import BACKGROUND

    assert [s for s in stops if s["hidden"]] == []  # a focused control is never invisible
    for stop in stops:
        if stop["testid"] in ("stMain", "stSkipToContent"):  # the skip link's target and Streamlit's own skip link
            continue
        if str(stop["testid"] or "").startswith("glide-cell-"):  # a data grid's cell: the grid draws its focus on its own canvas
            continue
        assert stop["outline"], stop
        assert contrast(rgb(stop["outline"]), BACKGROUND[scheme]) >= 3, stop


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_overview_keyboard_path_is_short_and_every_stop_shows_focus(opened, scheme):
    page = opened("overview", "desktop")
    set_scheme(page, scheme)
    stops = tab_stops(page)
    print(f"\noverview ({scheme}): {len(stops)} Tab stops; first tile at stop {next((i for i, s in enumerate(stops, 1) if s['tile']), None)}")
    per_tile: dict[str, int] = {}
    for stop in stops:
        if stop["tile"]:
            per_tile[stop["tile"]] = per_tile.get(stop["tile"], 0) + 1
    assert per_tile and max(per_tile.values()) <= 3, per_tile
    assert_focus_shows(stops, scheme)


def test_present_controls_each_show_focus(opened):
    stops = tab_stops(opened("present_chart_slide", "desktop"))
    print(f"\npresent: {len(stops)} Tab stops: {[s['name'] for s in stops]}")
    for word in ("First", "Previous", "Next", "Last", "Deck and pack", "Exit"):  # each control is reached by Tab
        assert any(word in s["name"].split("\n") for s in stops), (word, stops)
    assert_focus_shows(stops, "light")


NAMES = """() => {
  const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"], [data-testid="stArrowVegaLiteChart"]')];
  const chartNames = charts.map(c => (c.closest('[role="graphics-document"]') || c.querySelector('[role="graphics-document"]'))
                                       ?.getAttribute('aria-label') || '')
    .concat([...document.querySelectorAll('img.kpi-spark')].map(i => i.getAttribute('alt') || ''));  // sparklines are described images
  const buttons = [...document.querySelectorAll('[data-testid="stMain"] button, [data-testid="stMain"] a, [data-testid="stMain"] summary')]
    .map(b => (b.getAttribute('aria-label') || b.innerText || '').trim());
  const headings = [...document.querySelectorAll('h1, h2, h3, h4')].map(h => h.tagName + ' ' + h.innerText.trim());
  return {chartNames, buttons, headings};
}"""


@pytest.mark.parametrize("name", ["overview", "trends", "localities"])
def test_charts_and_controls_have_their_own_names_and_tiles_are_headings(opened, name):
    page = opened(name, "desktop")
    page.wait_for_timeout(1500)  # charts render after the script run
    found = page.evaluate(NAMES)
    assert found["chartNames"], "no chart found"
    for chart_name in found["chartNames"]:
        assert chart_name and chart_name != "Vega visualization" and len(chart_name) < 400, chart_name
    assert "Help" not in found["buttons"]
    if name == "overview":
        assert sum(h.startswith("H3 ") for h in found["headings"]) >= 3  # each tile's name is a heading
