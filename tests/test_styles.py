"""Status colours meet WCAG AA with their text colour, and every status has an icon and a word."""

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
