import polars as pl
import pytest
from hypothesis import given
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


@given(maybe, maybe, st.sampled_from(["higher_is_better", "lower_is_better", "neutral"]), st.sampled_from(["relative", "absolute"]), band, band)
def test_rag_is_one_of_four(value, target, polarity, basis, a, b):
    assert rag(value, target, polarity, basis, min(a, b), max(a, b)).rag in set(Rag)


@given(finite, finite, st.sampled_from(["relative", "absolute"]))
def test_flipping_polarity_mirrors_the_result(value, target, basis):
    """Value v against target t, higher-is-better, rates as 2t - v against t, lower-is-better."""
    mirrored = 2 * target - value
    up = rag(value, target, "higher_is_better", basis)
    down = rag(mirrored, target, "lower_is_better", basis)
    assert up.rag == down.rag or abs(up.miss - down.miss) < 1e-6  # equal up to float rounding at a band edge


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
