import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpis import rules
from kpis.rules import Arrow, Direction, Rag, direction, rag


@pytest.mark.parametrize(
    ("value", "target", "polarity", "basis", "expected"),
    [
        (100, 100, "higher_is_better", "relative", "green"),  # exactly on target
        (120, 100, "higher_is_better", "relative", "green"),  # beats it
        (97.51, 100, "higher_is_better", "relative", "green"),  # just inside 2.5%
        (97.5, 100, "higher_is_better", "relative", "amber"),  # exactly 2.5% short
        (95.01, 100, "higher_is_better", "relative", "amber"),  # just inside 5%
        (95, 100, "higher_is_better", "relative", "red"),  # exactly 5% short
        (92.625, 95, "higher_is_better", "relative", "amber"),  # 2.5% of 95, float-exact boundary
        (90.25, 95, "higher_is_better", "relative", "red"),  # 5% of 95
        (90.24, 95, "higher_is_better", "relative", "red"),  # published MMR at 24 months
        (94.97, 95, "higher_is_better", "relative", "green"),  # published MMR at 5 years
        (25, 25, "lower_is_better", "relative", "green"),  # on target, lower is better
        (20, 25, "lower_is_better", "relative", "green"),
        (25.625, 25, "lower_is_better", "relative", "amber"),  # 2.5% above
        (26.25, 25, "lower_is_better", "relative", "red"),  # 5% above
        (29, 25, "lower_is_better", "relative", "red"),  # published out of authority placements
        (92.6, 95, "higher_is_better", "absolute", "green"),  # 2.4 points short, bands in points
        (92.5, 95, "higher_is_better", "absolute", "amber"),  # 2.5 points short
        (90.0, 95, "higher_is_better", "absolute", "red"),  # 5 points short
        (50, None, "higher_is_better", "relative", "grey"),  # missing target
        (None, 95, "higher_is_better", "relative", "grey"),  # missing value
        (50, 95, "neutral", "relative", "grey"),
        (0, 0, "lower_is_better", "relative", "green"),  # zero target met
        (1, 0, "lower_is_better", "relative", "red"),  # zero target missed
    ],
)
def test_rag_table(value, target, polarity, basis, expected):
    assert rag(value, target, polarity, basis).rag == expected


def test_rag_carries_its_reason():
    result = rag(87, 95)
    assert result.rag is Rag.RED
    assert result.shortfall == pytest.approx(8)
    assert result.miss == pytest.approx(8.421052632)
    assert "2.5" in result.rule and "5" in result.rule


def test_per_kpi_tolerance():
    assert rag(96, 100, green_within=5, amber_within=10).rag is Rag.GREEN
    assert rag(92, 100, green_within=5, amber_within=10).rag is Rag.AMBER


@pytest.mark.parametrize(
    ("value", "prior", "polarity", "arrow", "meaning"),
    [
        (87, 84, "higher_is_better", "up", "improving"),
        (84, 86, "higher_is_better", "down", "worsening"),
        (29, 24, "lower_is_better", "up", "worsening"),
        (20, 24, "lower_is_better", "down", "improving"),
        (50, 50, "higher_is_better", "flat", "maintained"),
        (50, None, "higher_is_better", None, "unknown"),
        (51, 50, "neutral", "up", "not_judged"),
    ],
)
def test_direction_table(value, prior, polarity, arrow, meaning):
    result = direction(value, prior, polarity)
    assert (result.arrow, result.direction) == ((Arrow(arrow) if arrow else None), Direction(meaning))


finite = st.floats(-1e6, 1e6, allow_nan=False)
maybe = st.one_of(st.none(), finite)
band = st.floats(0, 50)


@settings(deadline=None)
@given(maybe, maybe, st.sampled_from(["higher_is_better", "lower_is_better", "neutral"]), st.sampled_from(["relative", "absolute"]), band, band)
def test_rag_is_one_of_four(value, target, polarity, basis, a, b):
    assert rag(value, target, polarity, basis, min(a, b), max(a, b)).rag in set(Rag)


@settings(deadline=None)
@given(finite, finite, st.sampled_from(["relative", "absolute"]))
def test_flipping_polarity_mirrors_the_result(value, target, basis):
    """Value v against target t, higher-is-better, rates as 2t - v against t, lower-is-better."""
    mirrored = 2 * target - value
    up = rag(value, target, "higher_is_better", basis)
    down = rag(mirrored, target, "lower_is_better", basis)
    if up.miss is None:
        assert down.miss is None and up.rag == down.rag
        return
    assert math.isclose(up.miss, down.miss, abs_tol=1e-6)
    # The statuses agree, except where float rounding puts the miss on a band edge.
    on_edge = any(abs(up.miss - edge) < 1e-6 for edge in (0.0, up.green_within, up.amber_within))
    assert up.rag == down.rag or on_edge


@settings(deadline=None)
@given(finite, finite)
def test_flipping_polarity_flips_the_meaning(value, prior):
    up, down = direction(value, prior, "higher_is_better"), direction(value, prior, "lower_is_better")
    flip = {Direction.IMPROVING: Direction.WORSENING, Direction.WORSENING: Direction.IMPROVING}
    assert down.direction == flip.get(up.direction, up.direction)
    assert up.arrow == down.arrow


def test_frame_and_scalar_agree():
    frame = pl.DataFrame({
        "value": [87.0, 97.5, None], "target": [95.0, 100.0, 95.0], "polarity": ["higher_is_better"] * 3,
        "rag_basis": ["relative"] * 3, "green_within": [2.5] * 3, "amber_within": [5.0] * 3,
    })
    assert rules.with_rag(frame)["rag"].to_list() == ["red", "amber", "grey"]


# On target is green whatever green_within is; RAG is judged on the figures as shown.
@pytest.mark.parametrize(
    ("value", "target", "polarity", "green", "amber", "expected"),
    [
        (95, 95, "higher_is_better", 0, 5, "green"),  # exactly on target, no green band
        (95, 95, "higher_is_better", 0, 0, "green"),
        (96, 95, "higher_is_better", 0, 5, "green"),  # beats it
        (25, 25, "lower_is_better", 0, 0, "green"),
        (94.99, 95, "higher_is_better", 0, 5, "amber"),  # any miss with no green band
        (94.99, 95, "higher_is_better", 0, 0, "red"),
    ],
)
def test_on_target_is_green_whatever_the_band(value, target, polarity, green, amber, expected):
    assert rag(value, target, polarity, green_within=green, amber_within=amber).rag == expected


@pytest.mark.parametrize(
    ("value", "decimals", "expected", "shown"),
    [
        (90.2525, 2, "red", 90.25),  # shown as 90.25%: 4.75 points short of 95 is exactly 5% of it
        (90.2525, 4, "amber", 90.2525),  # shown to 4 decimals: 4.997% short
        (92.6251, 2, "green", 92.63),  # shown as 92.63%: 2.37 short, 2.49% of 95
    ],
)
def test_rag_is_judged_on_the_figure_as_shown(value, decimals, expected, shown):
    frame = pl.DataFrame({"value": [value], "target": [95.0], "polarity": ["higher_is_better"], "rag_basis": ["relative"],
                          "green_within": [2.5], "amber_within": [5.0], "decimals": [decimals]})
    row = rules.with_rag(frame).row(0, named=True)
    assert (row["rag"], row["rag_value"]) == (expected, shown)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_figures_have_no_status(bad):
    assert rag(bad, 95).rag is Rag.GREY
    assert rag(95, bad).rag is Rag.GREY


# Direction: tolerance, and significance where it can be tested.
@pytest.mark.parametrize(
    ("value", "prior", "tolerance", "meaning"),
    [
        (94.97, 94.96, 0, "improving"),  # the report's convention: any change counts
        (94.97, 94.96, 0.5, "maintained"),  # within the KPI's tolerance
        (95.6, 95.0, 0.5, "improving"),
        (94.4, 95.0, 0.5, "worsening"),
        (95.5, 95.0, 0.5, "maintained"),  # exactly the tolerance is maintained
    ],
)
def test_direction_tolerance(value, prior, tolerance, meaning):
    assert direction(value, prior, "higher_is_better", tolerance).direction == meaning


@pytest.mark.parametrize(
    ("unit", "value", "prior", "counts", "z", "significant", "note"),
    [
        # Hand-computed: p = 501/600 = 0.835; se = sqrt(0.835 * 0.165 * (1/300 + 1/300)) = 0.030307; z = 0.07 / 0.030307
        ("percent", 87, 80, (261, 300, 240, 300), 2.3097, True, "a significant change"),
        # p = 18993/20000 = 0.94965; se = sqrt(0.94965 * 0.05035 * 0.0002) = 0.0030924; z = 0.0001 / 0.0030924
        ("percent", 94.97, 94.96, (9497, 10000, 9496, 10000), 0.0323, False, "within normal variation"),
        ("percent", 100, 100, (50, 50, 40, 40), 0.0, False, "within normal variation"),  # no variation at all
        ("percent", 94.97, 94.96, (None, None, None, None), None, None, "significance not tested"),  # no counts
        ("percent", 87, 80, (261, 300, None, None), None, None, "significance not tested"),  # counts in one period only
        # Poisson: z = (800 - 700) / sqrt(1500) = 2.5820
        ("count", 800, 700, (None,) * 4, 2.5820, True, "a significant change"),
        # z = (29 - 25) / sqrt(54) = 0.5443
        ("count", 29, 25, (None,) * 4, 0.5443, False, "within normal variation"),
        ("count", 0, 0, (None,) * 4, 0.0, False, "within normal variation"),
        ("count", 29.5, 25, (None,) * 4, None, None, "significance not tested"),  # not a whole count
        ("rate", 12.1, 10.0, (None,) * 4, None, None, "significance not tested"),
        ("number", 12.1, 10.0, (None,) * 4, None, None, "significance not tested"),
    ],
)
def test_significance_table(unit, value, prior, counts, z, significant, note):
    result = direction(value, prior, "higher_is_better", unit=unit, counts=counts)
    assert result.significant is significant
    assert result.note == note
    assert (result.z is None) if z is None else result.z == pytest.approx(z, abs=1e-4)


def test_no_prior_has_no_note():
    result = direction(95, None, unit="count")
    assert (result.direction, result.significant, result.note) == (Direction.UNKNOWN, None, None)


def test_significance_boundary_is_1_96():
    # (x1 - x2) / sqrt(x1 + x2): 400 vs 361 gives 39 / sqrt(761) = 1.4137; 100 vs 64: 36 / sqrt(164) = 2.8111
    assert direction(400, 361, unit="count").significant is False
    assert direction(100, 64, unit="count").significant is True
    assert pytest.approx(1.959964, abs=1e-6) == rules.Z_95


@pytest.mark.parametrize(
    ("kpi", "fragments"),
    [
        ({"unit": "percent", "direction_tolerance": 0.5}, ["up to 0.5 percentage points", "two-proportion z-test"]),
        ({"unit": "count", "direction_tolerance": 0}, ["Any change", "Poisson"]),
        ({"unit": "rate", "direction_tolerance": None}, ["Any change", "not tested"]),
    ],
)
def test_direction_rule_text(kpi, fragments):
    text = rules.direction_rule_text(kpi)
    assert all(f in text for f in fragments), text
    assert "95%" in rules.DIRECTION_RULE and "within normal variation" in rules.DIRECTION_RULE


counts_strategy = st.integers(0, 5000)


@settings(deadline=None, max_examples=60)
@given(counts_strategy, counts_strategy, st.integers(1, 5000), st.integers(1, 5000))
def test_significance_does_not_depend_on_which_period_is_first(a, b, n1, n2):
    """Swapping the two periods flips z's sign and keeps the verdict, for proportions and counts alike."""
    a, b = min(a, n1), min(b, n2)
    forward = direction(a / n1 * 100, b / n2 * 100, unit="percent", counts=(a, n1, b, n2))
    backward = direction(b / n2 * 100, a / n1 * 100, unit="percent", counts=(b, n2, a, n1))
    assert forward.significant == backward.significant and forward.z == pytest.approx(-backward.z, abs=1e-9)
    assert direction(a, b, unit="count").significant == direction(b, a, unit="count").significant


@settings(deadline=None, max_examples=60)
@given(st.floats(0, 100), st.floats(0, 100), st.floats(0, 10))
def test_a_change_within_the_tolerance_is_maintained(value, prior, tolerance):
    result = direction(value, prior, "higher_is_better", tolerance)
    within = abs(round(value - prior, 9)) <= tolerance
    assert (result.direction == Direction.MAINTAINED) == within
