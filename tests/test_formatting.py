import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpis.formatting import format_change, format_target, format_value, markdown_literal, value_expr


@pytest.mark.parametrize(
    ("value", "unit", "decimals", "text"),
    [(87.0, "percent", 0, "87%"), (90.24, "percent", 2, "90.24%"), (1024.0, "count", 0, "1,024"), (None, "count", 0, "–"), (-3.5, "number", 1, "-3.5")],
)
def test_format_value(value, unit, decimals, text):
    assert format_value(value, unit, decimals) == text


def test_target_prefers_published_wording():
    assert format_target(383, "383 per quarter across City", "count", 0) == "383 per quarter across City"
    assert format_target(95, None, "percent", 0) == "95%"
    assert format_target(None, None, "percent", 0) == "No target"


def test_format_change():
    assert format_change(3.0, "percent", 1) == "+3.0 pts"
    assert format_change(-2.0, "count", 0) == "-2"


@settings(deadline=None)
@given(st.floats(-1e9, 1e9, allow_nan=False), st.sampled_from(["percent", "count", "rate", "number"]), st.integers(0, 3))
def test_expression_and_python_formatting_agree(value, unit, decimals):
    # Both round half to even on the binary value; skip the few values that sit on a rounding edge.
    scaled = abs(value) * 10**decimals
    if abs(scaled - round(scaled) - 0.5) < 1e-6 or abs(scaled - round(scaled) + 0.5) < 1e-6:
        return
    frame = pl.DataFrame({"value": [value], "unit": [unit], "decimals": [decimals]})
    expected = format_value(value, unit, decimals)
    if expected.startswith("-") and set(expected.strip("-%").replace(",", "").replace(".", "")) == {"0"}:
        expected = expected[1:]  # "-0.0": the expression drops the sign of a value that rounds to zero
    assert frame.select(value_expr()).item() == expected


@pytest.mark.parametrize(
    ("arrow", "direction", "significant", "label"),
    [
        ("up", "improving", ..., "↑ Improving"),  # the published table: the report's arrows and words only
        ("up", "improving", False, "↑ Improving, within normal variation"),
        ("up", "improving", True, "↑ Improving, a significant change"),
        ("down", "worsening", None, "↓ Worsening, significance not tested"),
        ("up", "not_judged", False, "↑ Changed (not judged), within normal variation"),
        ("flat", "maintained", False, "→ Maintained"),  # no change to qualify
        (None, "unknown", None, "– No figure a year earlier"),
    ],
)
def test_direction_label_says_whether_a_change_is_significant(arrow, direction, significant, label):
    from kpis.styles import direction_label

    assert direction_label(arrow, direction, significant) == label


@pytest.mark.parametrize(("text", "shown"), [
    ("North East", "North East"),
    ("[City](http://example.org)", "\\[City\\]\\(http\\://example\\.org\\)"),
    ("*South* :material/home: `x`", "\\*South\\* \\:material/home\\: \\`x\\`"),
])
def test_markdown_literal_escapes_every_mark(text, shown):
    assert markdown_literal(text) == shown
