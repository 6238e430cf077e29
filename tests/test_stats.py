import json

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpis import stats

scipy_stats = pytest.importorskip("scipy.stats")

INPUT_SCHEMA = {"unit": pl.String, "value": pl.Float64, "numerator": pl.Float64, "denominator": pl.Float64, "per": pl.Float64}


def intervals(rows: list[dict]) -> pl.DataFrame:
    frame = pl.DataFrame([{c: r.get(c) for c in INPUT_SCHEMA} for r in rows], schema=INPUT_SCHEMA)
    return stats.with_intervals(frame)


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


# unit, value, numerator, denominator, per -> method, low, high, reason (limits from published tables)
INTERVAL_CASES = [
    # A count takes exact Poisson limits on the count, whatever numerator and denominator came with it.
    ("count", 5, 5, 5, None, "poisson_exact", 1.6235, 11.6683, None),
    ("count", 14, 14, 100, None, "poisson_exact", 7.6539, 23.4896, None),
    ("count", 0, None, None, None, "poisson_exact", 0.0, 3.6889, None),
    # A rate per 1,000: Byar's method on the numerator, × 1,000 ÷ denominator; exact below 10 events.
    ("rate", 12.5, 25, 2000, 1000, "byar", 8.0871, 18.4532, None),
    ("rate", 5.0, 10, 2000, 1000, "byar", 2.3937, 9.1957, None),
    ("rate", 3.0, 6, 2000, 1000, "poisson_exact", 1.1009, 6.5297, None),
    ("rate", 12.5, 25, 2000, None, "none", None, None, "the catalogue gives no 'per' for this rate"),
    # A cost per unit is a rate per 1.
    ("rate", 2.5, 25, 10, 1, "byar", 1.6174, 3.6906, None),
    ("percent", 95, 95, 100, None, "wilson", 88.8250, 97.8456, None),
    ("percent", 50, 50, None, None, "none", None, None, "numerator without denominator"),
    ("percent", 50, None, 100, None, "none", None, None, "denominator without numerator"),
    ("percent", 70, None, None, None, "none", None, None, "no numerator and denominator"),
    ("number", 7, None, None, None, "none", None, None, "a number without a denominator has no interval"),
]


@pytest.mark.parametrize(("unit", "value", "num", "den", "per", "method", "low", "high", "reason"), INTERVAL_CASES)
def test_interval_by_unit(unit, value, num, den, per, method, low, high, reason):
    row = intervals([{"unit": unit, "value": value, "numerator": num, "denominator": den, "per": per}]).row(0, named=True)
    assert (row["method"], row["interval_reason"]) == (method, reason)
    assert row["low"] == (pytest.approx(low, abs=1e-4) if low is not None else None)
    assert row["high"] == (pytest.approx(high, abs=1e-4) if high is not None else None)
    if low is not None:
        assert row["low"] <= value <= row["high"]  # an interval always holds its own value


def test_every_unit_has_a_documented_method_and_every_method_a_case():
    assert set(stats.UNITS) == {"percent", "count", "rate", "number"}
    assert {r.method for r in stats.UNITS.values()} <= set(stats.METHODS)
    for method in stats.METHODS.values():
        assert method.title and method.used_for and len(method.words) > 60 and method.reference
    assert "Public Health England" in stats.METHODS["wilson"].reference and "Fingertips" in stats.METHODS["byar"].reference
    assert {case[5] for case in INTERVAL_CASES} == set(stats.METHODS)
    table = stats.methods_table()
    assert table["Name"].to_list() == list(stats.METHODS) and table.null_count().sum_horizontal().item() == 0


# ---- agreement with scipy over thousands of random inputs ------------------------------------------

RNG = np.random.default_rng(20240601)


def _random_counts(n: int) -> np.ndarray:
    return np.concatenate([np.arange(0, 60), RNG.integers(0, 200, n // 2), RNG.integers(0, 50_000, n // 2)]).astype(float)


def test_exact_poisson_agrees_with_scipy():
    x = _random_counts(4000)
    low, high = stats.poisson_limits(x)
    ref_low = np.where(x > 0, scipy_stats.chi2.ppf(0.025, 2 * x) / 2, 0.0)
    ref_high = scipy_stats.chi2.ppf(0.975, 2 * x + 2) / 2
    np.testing.assert_allclose(low, ref_low, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(high, ref_high, rtol=1e-9, atol=1e-9)


def test_exact_poisson_agrees_with_scipy_for_fractional_counts():
    x = RNG.uniform(0.05, 300, 2000)
    low, high = stats.poisson_limits(x)
    np.testing.assert_allclose(low, scipy_stats.gamma.ppf(0.025, x), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(high, scipy_stats.gamma.ppf(0.975, x + 1), rtol=1e-9, atol=1e-9)


def test_counts_in_a_frame_agree_with_scipy():
    x = _random_counts(3000)
    out = intervals([{"unit": "count", "value": v} for v in x])
    np.testing.assert_allclose(out["low"].to_numpy(), np.where(x > 0, scipy_stats.chi2.ppf(0.025, 2 * x) / 2, 0.0), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(out["high"].to_numpy(), scipy_stats.chi2.ppf(0.975, 2 * x + 2) / 2, rtol=1e-9, atol=1e-9)


def test_wilson_agrees_with_scipy():
    n = RNG.integers(1, 20_000, 3000)
    k = np.minimum(RNG.integers(0, 20_000, 3000), n)
    k[:50], n[:50] = 0, RNG.integers(1, 50, 50)  # the edges
    k[50:100] = n[50:100]
    out = intervals([{"unit": "percent", "value": 100 * a / b, "numerator": a, "denominator": b} for a, b in zip(k.tolist(), n.tolist(), strict=True)])
    ref = [scipy_stats.binomtest(a, b).proportion_ci(0.95, method="wilson") for a, b in zip(k.tolist(), n.tolist(), strict=True)]
    np.testing.assert_allclose(out["low"].to_numpy(), [100 * r.low for r in ref], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(out["high"].to_numpy(), [100 * r.high for r in ref], rtol=1e-9, atol=1e-9)
    assert set(out["method"]) == {"wilson"}


def _byar_reference(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """PHEindicatormethods' byars_lower and byars_upper, with scipy's normal quantile."""
    z = scipy_stats.norm.ppf(0.975)
    with np.errstate(divide="ignore", invalid="ignore"):  # x = 0: not used, the exact limits are
        return x * (1 - 1 / (9 * x) - z / (3 * np.sqrt(x))) ** 3, (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * np.sqrt(x + 1))) ** 3


def test_rates_agree_with_byar_and_exact_references():
    x = _random_counts(4000)
    den = RNG.integers(500, 1_000_000, x.size).astype(float)
    per = RNG.choice([1.0, 1000.0, 100_000.0], x.size)
    out = intervals([{"unit": "rate", "value": a / b * p, "numerator": a, "denominator": b, "per": p}
                     for a, b, p in zip(x.tolist(), den.tolist(), per.tolist(), strict=True)])
    b_low, b_high = _byar_reference(x)
    e_low = np.where(x > 0, scipy_stats.chi2.ppf(0.025, 2 * x) / 2, 0.0)
    e_high = scipy_stats.chi2.ppf(0.975, 2 * x + 2) / 2
    small = x < stats.BYAR_MIN_EVENTS
    np.testing.assert_allclose(out["low"].to_numpy(), np.where(small, e_low, b_low) * per / den, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(out["high"].to_numpy(), np.where(small, e_high, b_high) * per / den, rtol=1e-9, atol=1e-12)
    assert out["method"].to_list() == np.where(small, "poisson_exact", "byar").tolist()


@settings(deadline=None)  # timing on a shared machine is no property of the interval
@given(st.integers(0, 10_000), st.integers(1, 10_000))
def test_wilson_contains_the_estimate_and_stays_in_range(num, den):
    num = min(num, den)
    out = pl.DataFrame({"numerator": [float(num)], "denominator": [float(den)]}).select(stats.wilson_exprs()).row(0)
    low, high, estimate = out[0], out[1], 100 * num / den
    assert -1e-9 <= low <= estimate + 1e-9
    assert estimate - 1e-9 <= high <= 100 + 1e-9


@settings(deadline=None)
@given(st.sampled_from(["count", "rate"]), st.integers(0, 100_000), st.integers(1, 10**7), st.sampled_from([1.0, 1000.0, 100_000.0]))
def test_count_and_rate_intervals_hold_their_value(unit, events, den, per):
    value = float(events) if unit == "count" else events / den * per
    row = intervals([{"unit": unit, "value": value, "numerator": events, "denominator": den, "per": per}]).row(0, named=True)
    assert 0 <= row["low"] <= value * (1 + 1e-12) and row["high"] >= value * (1 - 1e-12)


# ---- the comparison rule ---------------------------------------------------------------------------

# unit, low, high, interval_reason, parent, parent_reason, polarity -> comparison, reason
COMPARE_CASES = [
    ("percent", 82.0, 90.0, None, 86.0, None, "higher_is_better", "similar", None),
    ("percent", 87.0, 92.0, None, 86.0, None, "higher_is_better", "better", None),
    ("percent", 80.0, 85.0, None, 86.0, None, "higher_is_better", "worse", None),
    ("percent", 87.0, 92.0, None, 86.0, None, "lower_is_better", "worse", None),
    ("percent", 80.0, 85.0, None, 86.0, None, "lower_is_better", "better", None),
    ("rate", 87.0, 92.0, None, 86.0, None, "neutral", "higher", None),
    ("rate", 80.0, 85.0, None, 86.0, None, "neutral", "lower", None),
    ("rate", 80.0, 90.0, None, 86.0, None, "neutral", "similar", None),
    ("percent", 86.0, 90.0, None, 86.0, None, "higher_is_better", "similar", None),  # on the edge is inside
    # A count of an area is part of its parent's total: never compared, whatever the interval says.
    ("count", 1.62, 11.67, None, 29.0, None, "lower_is_better", "not_compared", "part of a total"),
    ("percent", None, None, "numerator without denominator", 86.0, None, "higher_is_better", "not_compared", "numerator without denominator"),
    ("number", None, None, "a number without a denominator has no interval", 5.0, None, "higher_is_better", "not_compared",
     "a number without a denominator has no interval"),
    ("percent", 60.4, 78.1, None, 60.0, "City's latest figure is for 2023/24 Q4", "higher_is_better", "not_compared",
     "City's latest figure is for 2023/24 Q4"),
    ("percent", 88.8, 97.8, None, None, "no City figure for 2024/25 Q1", "higher_is_better", "not_compared", "no City figure for 2024/25 Q1"),
]


@pytest.mark.parametrize(("unit", "low", "high", "interval_reason", "parent", "parent_reason", "polarity", "expected", "reason"), COMPARE_CASES)
def test_compare_table(unit, low, high, interval_reason, parent, parent_reason, polarity, expected, reason):
    frame = pl.DataFrame(
        {"unit": [unit], "low": [low], "high": [high], "interval_reason": [interval_reason], "parent_value": [parent],
         "parent_reason": [parent_reason], "polarity": [polarity]},
        schema={"unit": pl.String, "low": pl.Float64, "high": pl.Float64, "interval_reason": pl.String, "parent_value": pl.Float64,
                "parent_reason": pl.String, "polarity": pl.String})
    row = stats.with_comparison(frame).row(0, named=True)
    assert (row["comparison"], row["reason"]) == (expected, reason)
    assert row["comparison"] in stats.COMPARISONS


def test_methods_table_is_plain_json():
    json.dumps(stats.methods_table().to_dicts(), allow_nan=False)


def test_readme_lists_every_method():
    from conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for method in stats.METHODS.values():
        assert f"`{method.name}`" in readme
    assert "Technical Guide: Confidence Intervals" in readme and "Fingertips" in readme
