"""Every view is a link: set a view up by hand in Chromium, copy its link, open the link in a fresh
browser context, and find the same selections and the same number of charts and tiles."""

from __future__ import annotations

import pytest
from test_browser import CHROMIUM, SHOTS, browser, screenshot, serve, wait_done  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason="no Chromium")]


@pytest.fixture(scope="module")
def server():
    yield from serve()


def new_page(browser, url: str, fresh: bool = False):  # noqa: F811
    """The page opened at `url`: in the module's shared profile, or with `fresh` in a browser context of its own (nothing
    kept from the view it reopens). Close it with `page.close()`."""
    viewport, permissions = {"width": 1440, "height": 900}, ["clipboard-read", "clipboard-write"]
    if fresh:
        context = browser.new_context(viewport=viewport, permissions=permissions)
        page = context.new_page()
        page.on("close", lambda _: context.close())
    else:
        browser.shared.grant_permissions(permissions)
        page = browser.new_page(viewport=viewport)
    page.goto(url, wait_until="domcontentloaded")
    wait_done(page)
    return page


def widget(page, testid: str, label: str):
    return page.locator(f'[data-testid="{testid}"]').filter(has=page.locator(f'input[aria-label="{label}"]')).first


def choose(page, testid: str, label: str, option: str) -> None:
    widget(page, testid, label).locator(f'.react-aria-ComboBox input[aria-label="{label}"]').click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")
    wait_done(page)


def remove_chip(page, label: str, chip: str) -> None:
    widget(page, "stMultiSelect", label).locator(".react-aria-ComboBox").get_by_role("button", name=f"Remove {chip}", exact=True).click()
    page.keyboard.press("Escape")  # the list of options may open as the chip goes
    wait_done(page)


def chips(page, label: str) -> list[str]:
    return [t.strip() for t in widget(page, "stMultiSelect", label).locator(".react-aria-ComboBox [data-tag] span[title]").all_inner_texts()]


def toggle(page, label: str) -> None:
    page.get_by_text(label, exact=True).click()
    wait_done(page)


def toggled(page, label: str) -> bool:
    return page.get_by_label(label, exact=True).is_checked()


def selected(page, label: str) -> str:
    return page.locator(f'.react-aria-ComboBox input[aria-label="{label}"]').input_value()


def charts(page) -> int:
    return page.locator('[data-testid="stVegaLiteChart"]').count()


def copied_link(page) -> str:
    """The link the Copy link button puts on the clipboard; where headless Chromium keeps no clipboard, the link
    shown under "Link to this view" (the same address)."""
    page.get_by_role("button", name="Copy link").click()
    page.wait_for_timeout(300)
    link = page.evaluate("navigator.clipboard.readText().catch(() => '')")
    if not link:
        page.get_by_text("Link to this view", exact=True).click()
        link = page.locator(".kpi-link-view code").first.inner_text().strip()
    return link


def test_trends_link_reopens_the_same_view(server, browser):  # noqa: F811
    page = new_page(browser, f"{server}/trends?kpi=rtl_uptake&area=City&period=2024/25%20Q1")
    before = page.evaluate("history.length")
    toggle(page, "Numerator and denominator")
    assert page.evaluate("history.length") == before + 1  # one history entry per change
    remove_chip(page, "Areas", "South")
    remove_chip(page, "Areas", "City")
    choose(page, "stMultiSelect", "Compare with other KPIs", "Health Plan Indicator by 24 weeks")
    choose(page, "stSelectbox", "Time range", "Last 3 years")
    view = {"areas": chips(page, "Areas"), "compare": chips(page, "Compare with other KPIs"),
            "counts": toggled(page, "Numerator and denominator"), "range": selected(page, "Time range"), "charts": charts(page)}
    assert view == {"areas": ["North East", "North West"], "compare": ["Health Plan Indicator by 24 weeks"], "counts": True,
                    "range": "Last 3 years", "charts": 2}
    link = copied_link(page)
    assert "areas=North+East" in link.replace("%20", "+") and "compare=hpi_by_24wk" in link
    page.close()

    fresh = new_page(browser, link, fresh=True)
    again = {"areas": chips(fresh, "Areas"), "compare": chips(fresh, "Compare with other KPIs"),
             "counts": toggled(fresh, "Numerator and denominator"), "range": selected(fresh, "Time range"), "charts": charts(fresh)}
    assert again == view
    SHOTS.mkdir(parents=True, exist_ok=True)
    screenshot(fresh, "link_trends_reopened")
    fresh.close()


def test_overview_filters_link_reopens_the_same_view(server, browser):  # noqa: F811
    page = new_page(browser, f"{server}/?area=City&period=2024/25%20Q1")
    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Filter: All KPIs").click()  # the filters sit behind it
    choose(page, "stMultiSelect", "Show statuses", "✖ Red")
    choose(page, "stMultiSelect", "Partnership Priority", "1. Prevention, early intervention and wellbeing")
    tiles = page.locator('[data-testid="stMain"] .kpi-value').count()
    view = (chips(page, "Show statuses"), chips(page, "Partnership Priority"), tiles)
    assert view[:2] == (["✖ Red"], ["1. Prevention, early intervention and wellbeing"])
    assert page.locator('[data-testid="stSidebar"]').get_by_role("button", name="Filter: ✖ Red · Priority 1").count() == 1
    link = copied_link(page)
    page.close()
    fresh = new_page(browser, link, fresh=True)
    fresh.locator('[data-testid="stSidebar"]').get_by_role("button", name="Filter: ✖ Red · Priority 1").click()
    widget(fresh, "stMultiSelect", "Partnership Priority").wait_for()
    assert (chips(fresh, "Show statuses"), chips(fresh, "Partnership Priority"), fresh.locator('[data-testid="stMain"] .kpi-value').count()) == view
    screenshot(fresh, "link_overview_reopened")
    fresh.close()


def test_localities_link_reopens_the_same_view(server, browser):  # noqa: F811
    page = new_page(browser, f"{server}/localities?kpi=rtl_uptake&area=City&period=2024/25%20Q1")
    toggle(page, "Rank areas by gap to target")
    remove_chip(page, "KPIs to compare", "Health Plan Indicator by 24 weeks")
    view = (chips(page, "KPIs to compare"), toggled(page, "Rank areas by gap to target"), charts(page))
    link = copied_link(page)
    page.close()
    fresh = new_page(browser, link, fresh=True)
    assert (chips(fresh, "KPIs to compare"), toggled(fresh, "Rank areas by gap to target"), charts(fresh)) == view
    screenshot(fresh, "link_localities_reopened")
    fresh.close()
