"""Status colours meet WCAG AA with their text colour, and every status has an icon and a word."""

import itertools

import pytest

from kpis import styles


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.mark.parametrize("name", list(styles.RAG))
def test_badge_text_meets_aa(name):
    look = styles.RAG[name]
    assert contrast(look.colour, look.text_colour) >= 4.5


@pytest.mark.parametrize("name", list(styles.RAG))
def test_status_has_icon_and_word(name):
    look = styles.RAG[name]
    assert look.icon.strip() and look.word.strip()
    assert len({v.icon for v in styles.RAG.values()}) == len(styles.RAG)


def test_status_colours_differ_in_lightness():
    """Statuses must not rely on hue alone: red and green carry distinct icons, and amber is far lighter than red."""
    assert styles.RAG["red"].icon != styles.RAG["green"].icon
    assert abs(luminance(styles.RAG["amber"].colour) - luminance(styles.RAG["red"].colour)) > 0.2


def test_direction_words():
    assert styles.direction_label("up", "worsening") == "↑ Worsening"
    assert styles.direction_label(None, "unknown") == "– No figure a year earlier"


# Deuteranopia at full severity: Machado, Oliveira and Fernandes (2009), applied to linear RGB.
MACHADO_DEUTERANOPIA = ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881))
MIN_DELTA_E = 20  # CIE76; about 2.3 is a just-noticeable difference, 20 is plainly a different colour


def linear_rgb(hex_colour: str) -> tuple[float, ...]:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    return tuple(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)


def deuteranopia(rgb: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb, strict=True)))) for row in MACHADO_DEUTERANOPIA)


def lab(rgb: tuple[float, ...]) -> tuple[float, float, float]:
    r, g, b = rgb
    x, y, z = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b, (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def delta_e(a: str, b: str, simulate=lambda rgb: rgb) -> float:
    return sum((p - q) ** 2 for p, q in zip(lab(simulate(linear_rgb(a))), lab(simulate(linear_rgb(b))), strict=True)) ** 0.5


THEMES = [(theme, name) for theme in styles.THEMES for name in styles.RAG]


def test_simulation_matches_known_values():
    """Pure red seen with deuteranopia is a dark olive; blue barely changes; grey stays grey."""
    assert deuteranopia(linear_rgb("#FF0000"))[0] == pytest.approx(0.367322)
    assert deuteranopia(linear_rgb("#0000FF"))[2] == pytest.approx(0.968881)
    grey = deuteranopia(linear_rgb("#808080"))
    assert max(grey) - min(grey) < 0.001
    assert delta_e("#00796B", "#616161", deuteranopia) < 5  # the old teal and mid grey: one colour to a deuteranope


@pytest.mark.parametrize(("theme", "name"), THEMES)
def test_both_themes_meet_aa(theme, name):
    look = styles.THEMES[theme]["rag"][name]
    assert contrast(look.colour, look.text_colour) >= 4.5
    assert contrast(look.mark, styles.BACKGROUND[theme]) >= 4.5  # icons, borders and words on the page


@pytest.mark.parametrize("theme", list(styles.THEMES))
def test_direction_words_meet_aa_on_the_page(theme):
    for look in styles.THEMES[theme]["direction"].values():
        assert contrast(look.mark, styles.BACKGROUND[theme]) >= 4.5, look.word


@pytest.mark.parametrize("theme", list(styles.THEMES))
def test_status_fills_stay_distinct_under_deuteranopia(theme):
    fills = {name: look.colour for name, look in styles.THEMES[theme]["rag"].items()}
    for a, b in itertools.combinations(fills, 2):
        assert delta_e(fills[a], fills[b], deuteranopia) >= MIN_DELTA_E, (theme, a, b)


def test_area_lines_stand_out_on_both_backgrounds_and_apart_under_deuteranopia():
    for colour in (*styles.AREA_PALETTE[:4], styles.TARGET_COLOUR):
        for background in styles.BACKGROUND.values():
            assert contrast(colour, background) >= 3, (colour, background)
    for a, b in itertools.combinations(styles.AREA_PALETTE[:4], 2):
        assert delta_e(a, b, deuteranopia) >= 15, (a, b)


def test_both_themes_name_the_same_statuses_with_the_same_icon_and_word():
    for family in ("rag", "direction"):
        light, dark = styles.THEMES["light"][family], styles.THEMES["dark"][family]
        assert list(light) == list(dark)
        assert [(v.icon, v.word) for v in light.values()] == [(v.icon, v.word) for v in dark.values()]


def test_css_variables_hold_both_themes():
    css = styles.css_variables()
    assert "--kpi-rag-grey-fill: light-dark(#DDE1E6, #3D4450);" in css
    assert "--kpi-meta: light-dark(#4A4F57, #C3C8D0);" in css
    assert css.count("light-dark(") == 3 * (len(styles.RAG) + len(styles.DIRECTION)) + len(styles.SURFACES)


@pytest.mark.parametrize(("theme", "side"), [("light", 0), ("dark", 1)])
def test_the_apps_own_text_meets_aa_on_its_page_and_on_a_table_header(theme, side):
    page, head = styles.BACKGROUND[theme], styles.SURFACES["head"][side]
    for name in ("text", "link", "meta", "stale"):
        colour = styles.SURFACES[name][side]
        assert contrast(colour, page) >= 4.5, (theme, name)
    assert contrast(styles.SURFACES["text"][side], head) >= 4.5, theme
    assert contrast(styles.SURFACES["text"][side], styles.TEXT[theme]) == 1  # the page's own text colour
    assert contrast(styles.CHART_TEXT, styles.SURFACES["paper"][side]) >= 4.5  # a slide's chart text on its paper


def test_the_app_follows_the_system_theme_and_both_themes_meet_aa():
    import tomllib

    from conftest import ROOT

    theme = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["theme"]
    assert "base" not in theme  # a fixed base would ignore the system's dark setting
    for name in ("light", "dark"):
        colours = theme[name]
        assert colours["backgroundColor"] == styles.BACKGROUND[name]
        assert contrast(colours["textColor"], colours["backgroundColor"]) >= 4.5
        assert contrast(colours["linkColor"], colours["backgroundColor"]) >= 4.5
        assert contrast(colours["textColor"], theme[name]["sidebar"]["backgroundColor"]) >= 4.5
        assert contrast(colours["primaryColor"], "#FFFFFF") >= 4.5  # white text on a primary button
        assert contrast(colours["primaryColor"], colours["backgroundColor"]) >= 3  # focus and selection marks
        assert colours["chartCategoricalColors"][:4] == list(styles.AREA_PALETTE[:4])
