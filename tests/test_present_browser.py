"""Presenter mode in headless Chromium: every slide of the demo deck fits the screen, keys step, the URL follows.

Sizes: a 1280×720 projector and a 1920×1080 screen, each at 100% and at 150% zoom. Zooming
to 150% leaves the page a CSS viewport of two thirds the size (1920×1080 becomes 1280×720, 1280×720
becomes 853×480) at 1.5 device pixels per CSS pixel. Layout and text sizes are in CSS pixels, so
1920×1080 at 150% lays out exactly as 1280×720 at 100%: one walk through the deck measures every
slide at 1280×720 and again at 1920×1080 (the same page, resized), and a second walk measures the
compact deck the page switches to at 853×480, drawn at 1.5 device pixels. Each slide's screenshot
is saved under tests/screenshots/.
"""

from __future__ import annotations

import json

import pytest
from test_browser import CHROMIUM, DONE, SHOTS, browser, server, wait_done  # noqa: F401  (fixtures)

from conftest import DATA
from kpis import deck as D
from kpis import narratives, pack, store
from kpis.periods import parse_period

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")]

# Each walk: its first size (the page opens at it), the sizes each slide is measured at, device pixels per CSS pixel.
WALKS = [((1280, 720), [(1280, 720), (1920, 1080)], 1.0), ((853, 480), [(853, 480)], 1.5)]
MEASURE = """() => {
  const s = document.querySelector('.slide'), m = document.querySelector('[data-testid="stMain"]'), r = s.getBoundingClientRect();
  let bottom = r.top, right = r.left, smallest = 999;
  for (const e of s.querySelectorAll('*')) {
    const q = e.getBoundingClientRect();
    if (q.width && q.height) { bottom = Math.max(bottom, q.bottom); right = Math.max(right, q.right); }
    if ([...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) smallest = Math.min(smallest, parseFloat(getComputedStyle(e).fontSize));
  }
  const img = s.querySelector('.chart img'), value = s.querySelector('.value, .count b');
  return {docScroll: document.documentElement.scrollHeight - innerHeight, docWide: document.documentElement.scrollWidth - innerWidth,
          mainScroll: m.scrollHeight - m.clientHeight, mainWide: m.scrollWidth - m.clientWidth,
          below: bottom - r.bottom, beyond: right - r.right, smallest,
          value: value ? parseFloat(getComputedStyle(value).fontSize) : null,
          chartScale: img ? img.getBoundingClientRect().width / img.naturalWidth : null};
}"""


def wait_settled(page) -> None:
    """The run has finished and every picture of the slide is loaded."""
    page.wait_for_selector(DONE, timeout=90_000)
    page.wait_for_function("() => [...document.querySelectorAll('.slide img')].every(i => i.complete && i.naturalWidth > 0)", timeout=60_000)
    page.wait_for_timeout(150)


@pytest.fixture(scope="module")
def demo_deck():
    return D.build(store.load(DATA), parse_period("2024/25 Q1"), "City", None, narratives.load_all(DATA / "narratives")[0])


@pytest.fixture(scope="module")
def compact_deck():
    return D.build(store.load(DATA), parse_period("2024/25 Q1"), "City", None, narratives.load_all(DATA / "narratives")[0], fit="compact")


@pytest.fixture(scope="module")
def deck_page(server, browser):  # noqa: F811
    """The demo deck opened once at slide 1 at 1280×720 (the screen fit), and its page errors since: the screen walk and
    the keys test both start from it (`at_first_slide`)."""
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/present?slide=1", wait_until="domcontentloaded")
    wait_done(page)
    yield page, errors
    page.close()


def at_first_slide(page, viewport: dict[str, int]) -> None:
    """Back at 1280×720 on slide 1 (Home, as a presenter goes back), where another test may have left the page elsewhere."""
    page.set_viewport_size(viewport)
    if page.locator('.slide[data-slide="1"]').count() == 0:
        page.locator(".slide").click()
        page.keyboard.press("Home")
        page.wait_for_function("() => new URL(location.href).searchParams.get('slide') === '1'", timeout=30_000)
        wait_done(page)


def open_walk(request, browser, server, width: int, height: int, scale: float):  # noqa: F811
    """The deck for a walk: the module's page at 1280×720, or a page opened at the walk's size and zoom, which measures
    its viewport and, when small, reopens itself with the compact deck. Returns the page, its errors, and whether it is
    the walk's own (to close)."""
    if (width, height, scale) == (1280, 720, 1.0):
        page, errors = request.getfixturevalue("deck_page")
        at_first_slide(page, {"width": width, "height": height})
        return page, errors, False
    page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=scale)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    fit = D.fit_for(width, height)
    page.goto(f"{server}/present?slide=1", wait_until="domcontentloaded")
    if fit != "screen":
        page.wait_for_function(f"() => new URL(location.href).searchParams.get('fit') === '{fit}'", timeout=30_000)
    wait_done(page)
    return page, errors, True


@pytest.mark.parametrize(("opening", "sizes", "scale"), WALKS, ids=[f"{w}x{h}@{s:g}" for (w, h), _, s in WALKS])
def test_every_slide_fits_without_scrolling(request, server, browser, demo_deck, compact_deck, opening, sizes, scale):  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    width, height = opening
    problems = []
    fit = D.fit_for(width, height)
    assert {D.fit_for(w, h) for w, h in sizes} == {fit}  # a walk's sizes all show the same deck
    page, errors, own = open_walk(request, browser, server, width, height, scale)
    total = len(demo_deck.slides) if fit == "screen" else len(compact_deck.slides)
    assert page.get_by_text(f"Slide 1 of {total}").count() == 1
    page.locator(".slide").click()
    for number in range(1, total + 1):
        if number > 1:  # stepped as a presenter steps: one rerun per slide, not a new page
            page.keyboard.press("ArrowRight")
            page.wait_for_selector(f'.slide[data-slide="{number}"]', timeout=60_000)
            wait_settled(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator('[data-testid="stSidebar"]').is_hidden() and page.locator('[data-testid="stHeader"]').is_hidden()
        for size in sizes:
            if page.viewport_size != {"width": size[0], "height": size[1]}:
                page.set_viewport_size({"width": size[0], "height": size[1]})
                page.wait_for_timeout(100)
            m = page.evaluate(MEASURE)
            where = f"{size[0]}x{size[1]}"
            page.screenshot(path=str(SHOTS / f"present_{where}@{scale:g}_{number:02d}.png"))
            if max(m["docScroll"], m["docWide"], m["mainScroll"], m["mainWide"], m["below"], m["beyond"]) > 0:
                problems.append((number, where, "scrolls or overflows", m))
            if m["smallest"] < 20:
                problems.append((number, where, "text under 20 px", m))
            if m["value"] is not None and m["value"] < 64:
                problems.append((number, where, "headline under 64 px", m))
            if m["chartScale"] is not None and m["chartScale"] * pack.SCREEN_CHART_FONT < 16:
                problems.append((number, where, "chart text under 16 px", m))
    if own:
        page.close()
    assert problems == [], json.dumps(problems)
    assert errors == []


def test_keys_step_through_the_slides_and_the_url_follows(deck_page, demo_deck):
    page, errors = deck_page
    at_first_slide(page, {"width": 1280, "height": 720})
    page.locator(".slide").click()
    start = page.evaluate("history.length")
    total = len(demo_deck.slides)
    steps = [("ArrowRight", 2), ("PageDown", 3), ("Space", 4), ("ArrowDown", 5), ("ArrowLeft", 4), ("PageUp", 3), ("ArrowUp", 2),
             ("End", total), ("Home", 1)]
    for key, expected in steps:
        page.keyboard.press(key)
        page.wait_for_function(f"() => new URL(location.href).searchParams.get('slide') === '{expected}'", timeout=30_000)
        wait_done(page)
        assert page.locator(f'.slide[data-slide="{expected}"]').count() == 1, key
    # One history entry per slide change at most.
    assert page.evaluate("history.length") - start <= len(steps)
    assert errors == []


def test_the_deck_link_reopens_the_same_deck(server, browser):  # noqa: F811
    link = f"{server}/present?kpis=mmr_5y,rtl_uptake&slide=1"
    first = browser.new_page(viewport={"width": 1280, "height": 720})
    first.goto(link, wait_until="domcontentloaded")
    wait_done(first)
    first.locator(".slide").click()
    first.keyboard.press("End")
    first.wait_for_function("() => new URL(location.href).searchParams.get('slide') !== '1'", timeout=30_000)
    wait_done(first)
    saved, shown = first.url, first.locator(".slide").inner_text()
    assert "kpis=mmr_5y%2Crtl_uptake" in saved or "kpis=mmr_5y,rtl_uptake" in saved
    second = browser.new_page(viewport={"width": 1280, "height": 720})
    second.goto(saved, wait_until="domcontentloaded")
    wait_done(second)
    assert second.locator(".slide").inner_text() == shown
    first.close()
    second.close()


def test_the_presenter_view_shows_notes_and_keeps_in_step_with_the_room(server, browser, demo_deck):  # noqa: F811
    """Two windows of one browser: stepping in either moves the other; the presenter's shows the notes and the next slide."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    room, desk = context.new_page(), context.new_page()
    room.goto(f"{server}/present?slide=2", wait_until="domcontentloaded")
    wait_done(room)
    desk.goto(f"{server}/present?slide=2&view=presenter", wait_until="domcontentloaded")
    wait_done(desk)
    desk.screenshot(path=str(SHOTS / "present_presenter_view.png"))

    def shows(page, n: int) -> None:
        page.wait_for_function(f"() => new URL(location.href).searchParams.get('slide') === '{n}'", timeout=30_000)
        wait_done(page)

    def notes_of(n: int) -> str:
        return demo_deck.slides[n - 1].notes or "No notes."

    assert desk.locator('[data-notes="2"]').inner_text() == notes_of(2)
    assert demo_deck.slides[2].title in desk.locator(".pv .side").inner_text()
    desk.locator(".pv").click()
    desk.keyboard.press("ArrowRight")
    shows(desk, 3)
    shows(room, 3)
    assert room.locator('.slide[data-slide="3"]').count() == 1
    assert desk.locator('[data-notes="3"]').inner_text() == notes_of(3)
    room.locator(".slide").click()
    room.keyboard.press("End")  # a jump, not a step
    total = len(demo_deck.slides)
    shows(room, total)
    shows(desk, total)
    assert desk.locator(f'[data-notes="{total}"]').inner_text() == notes_of(total)
    context.close()
