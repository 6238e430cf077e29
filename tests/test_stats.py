import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpis import stats


@pytest.mark.parametrize(
    ("num", "den", "low", "high"),
    [
        (261, 300, 82.7220, 90.3425),  # NE Ready to Learn, demo counts (checked by hand)
        (0, 10, 0.0, 27.7528),
        (10, 10, 72.2472, 100.0),
        (5, 10, 23.6593, 76.3407),
    ],
)
def test_wilson_known_values(num, den, low, high):
    out = pl.DataFrame({"numerator": [float(num)], "denominator": [float(den)]}).select(stats.wilson_exprs())
    assert out["ci_low"].item() == pytest.approx(low, abs=1e-3)
    assert out["ci_high"].item() == pytest.approx(high, abs=1e-3)


@given(st.integers(0, 10_000), st.integers(1, 10_000))
def test_wilson_contains_the_estimate_and_stays_in_range(num, den):
    num = min(num, den)
    out = pl.DataFrame({"numerator": [float(num)], "denominator": [float(den)]}).select(stats.wilson_exprs()).row(0)
    low, high, estimate = out[0], out[1], 100 * num / den
    assert -1e-9 <= low <= estimate + 1e-9
    assert estimate - 1e-9 <= high <= 100 + 1e-9


@pytest.mark.parametrize(
    ("low", "high", "reference", "polarity", "expected"),
    [
        (82.0, 90.0, 86.0, "higher_is_better", "similar"),
        (87.0, 92.0, 86.0, "higher_is_better", "better"),
        (80.0, 85.0, 86.0, "higher_is_better", "worse"),
        (87.0, 92.0, 86.0, "lower_is_better", "worse"),
        (80.0, 85.0, 86.0, "lower_is_better", "better"),
        (None, None, 86.0, "higher_is_better", "not compared"),
        (80.0, 85.0, None, "higher_is_better", "not compared"),
    ],
)
def test_compare_table(low, high, reference, polarity, expected):
    frame = pl.DataFrame({"ci_low": [low], "ci_high": [high], "reference": [reference], "polarity": [polarity]},
                         schema={"ci_low": pl.Float64, "ci_high": pl.Float64, "reference": pl.Float64, "polarity": pl.String})
    assert frame.select(stats.compare_exprs())["compared"].item() == expected
