"""XmR limits: moving ranges, screening, fixed baselines, rebasing and the short-group warning."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpis import spc
from kpis.spc import limits


def group(result: spc.SpcResult, i: int = 0) -> dict:
    return result.groups.row(i, named=True)


def test_mean_and_moving_ranges_first_point_has_none():
    # moving ranges: -, 2, 1, 4 -> mean moving range 7/3; mean 12
    r = spc.analyse([10, 12, 11, 15], "increase")
    assert r.points["moving_range"].to_list() == [None, 2.0, 1.0, 4.0]
    g = group(r)
    assert g["mean"] == pytest.approx(12.0)
    assert g["amr"] == pytest.approx(7 / 3)
    assert g["upl"] == pytest.approx(12 + 2.66 * 7 / 3)
    assert g["lpl"] == pytest.approx(12 - 2.66 * 7 / 3)
    assert g["u2s"] == pytest.approx(12 + 2 / 3 * 2.66 * 7 / 3)
    assert g["l2s"] == pytest.approx(12 - 2 / 3 * 2.66 * 7 / 3)


SPIKE = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 21]  # nine moving ranges of 1, then one of 20


def test_screening_drops_moving_ranges_of_3_267_times_the_mean_or_more():
    # mean moving range 29/10 = 2.9; 20 >= 3.267 x 2.9 = 9.47 is dropped; the mean of the rest is 1
    assert group(spc.analyse(SPIKE, "increase"))["amr"] == pytest.approx(1.0)
    assert group(spc.analyse(SPIKE, "increase", screen=False))["amr"] == pytest.approx(2.9)


def test_screening_keeps_a_moving_range_just_below_the_cut():
    # moving ranges 1, 1, 1, 1, 5: mean 1.8, cut 5.88, so 5 stays
    assert group(spc.analyse([0, 1, 0, 1, 0, 5], "increase"))["amr"] == pytest.approx(1.8)


def test_fix_after_takes_mean_and_moving_ranges_from_the_first_n_points():
    r = spc.analyse([1, 2, 3, 100, 100], "increase", fix_after=3)
    g = group(r)
    assert (g["mean"], g["amr"], g["n"]) == (pytest.approx(2.0), pytest.approx(1.0), 5)
    assert g["upl"] == pytest.approx(4.66)
    assert r.points["point_type"].to_list() == ["common_cause"] * 3 + ["special_cause_improvement"] * 2


def test_rebase_starts_a_new_group_whose_first_moving_range_is_null():
    r = spc.analyse([1, 2, 3, 10, 11, 12], "increase", rebase=[3])
    assert r.groups.select("start", "n", "mean", "amr").rows() == [(0, 3, 2.0, 1.0), (3, 3, 11.0, 1.0)]
    assert r.points["moving_range"].to_list() == [None, 1.0, 1.0, None, 1.0, 1.0]
    assert r.points["group"].to_list() == [0, 0, 0, 1, 1, 1]


def test_rebase_at_the_first_point_adds_no_group():
    assert spc.analyse([1, 2, 3], "increase", rebase=[0]).groups.height == 1


def test_fix_after_per_group_start():
    r = spc.analyse([1, 2, 3, 50, 10, 11, 12, 90], "increase", rebase=[4], fix_after={4: 3})
    assert r.groups.select("start", "n", "mean").rows() == [(0, 4, 14.0), (4, 4, 11.0)]


@pytest.mark.parametrize(("n", "warned"), [(1, True), (12, True), (13, False), (20, False)])
def test_short_group_warning_under_13_points(n, warned):
    r = spc.analyse([float(i % 3) for i in range(n)], "increase")
    assert r.short_group_warning is warned
    assert group(r)["short_group_warning"] is warned


def test_one_point_has_no_limits_and_no_assurance():
    r = spc.analyse([5.0], "increase", target=4)
    g = group(r)
    assert g["amr"] is None and g["upl"] is None
    assert r.points["point_type"].to_list() == ["common_cause"]
    assert (r.variation, r.assurance) == ("common_cause", None)


def test_constant_baseline_keeps_its_zero_moving_ranges():
    g = group(spc.analyse([4, 4, 4, 4], "increase"))
    assert (g["amr"], g["lpl"], g["upl"]) == (0.0, 4.0, 4.0)


def test_limit_constants():
    assert (limits.LIMIT, limits.SCREEN, limits.SHORT_GROUP) == (2.66, 3.267, 13)
    assert abs(limits.TWO_SIGMA - 2 * 2.66 / 3) < 1e-12


values = st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda v: round(v, 3)), min_size=2, max_size=40)


@settings(max_examples=60, deadline=None)
@given(values, st.booleans())
def test_limits_are_symmetric_about_the_mean(series, screen):
    for g in spc.analyse(series, "increase", screen=screen).groups.iter_rows(named=True):
        if g["amr"] is None:
            continue
        tolerance = 1e-9 * max(1.0, abs(g["mean"]), g["amr"])
        assert math.isclose(g["upl"] - g["mean"], g["mean"] - g["lpl"], abs_tol=tolerance)
        assert math.isclose(g["u2s"] - g["mean"], g["mean"] - g["l2s"], abs_tol=tolerance)
        assert g["lpl"] <= g["l2s"] <= g["mean"] <= g["u2s"] <= g["upl"]


@settings(max_examples=40, deadline=None)
@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.integers(1, 40), st.sampled_from(["increase", "decrease", "neutral"]))
def test_a_constant_series_has_no_special_cause(value, n, improvement):
    r = spc.analyse([value] * n, improvement)
    assert set(r.points["point_type"]) == {"common_cause"}
    assert r.variation == "common_cause"


@settings(max_examples=40, deadline=None)
@given(values, st.data())
def test_groups_cover_every_point_once(series, data):
    cuts = data.draw(st.lists(st.integers(0, len(series) - 1), max_size=3, unique=True))
    r = spc.analyse(series, "increase", rebase=cuts)
    assert r.groups["n"].sum() == len(series)
    assert r.groups["start"].to_list() == sorted({0, *cuts})


@settings(max_examples=40, deadline=None)
@given(values, st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), max_size=10), st.booleans())
def test_fixed_limits_depend_only_on_the_first_n_points(head, tail, screen):
    fixed = spc.analyse([*head, *tail], "increase", fix_after=len(head), screen=screen).groups.row(0, named=True)
    alone = spc.analyse(head, "increase", screen=screen).groups.row(0, named=True)
    assert [fixed[c] for c in limits.LIMIT_COLUMNS] == [alone[c] for c in limits.LIMIT_COLUMNS]


@settings(max_examples=60, deadline=None)
@given(values)
def test_a_mirrored_series_with_the_opposite_direction_reads_the_same(series):
    up = spc.analyse(series, "increase")
    down = spc.analyse([-v for v in series], "decrease")
    assert up.points["point_type"].to_list() == down.points["point_type"].to_list()
    assert up.points["rule"].to_list() == down.points["rule"].to_list()
    mirror = {"improvement_high": "improvement_low", "concern_low": "concern_high", "common_cause": "common_cause"}
    assert mirror[up.variation] == down.variation


@pytest.mark.parametrize("kwargs", [
    {"values": [], "improvement": "increase"},
    {"values": [1, float("nan")], "improvement": "increase"},
    {"values": [1, 2], "improvement": "up"},
    {"values": [1, 2], "improvement": "increase", "rebase": [2]},
    {"values": [1, 2], "improvement": "increase", "fix_after": 0},
    {"values": [1, 2, 3], "improvement": "increase", "fix_after": {1: 2}},
])
def test_analyse_refuses_what_it_cannot_read(kwargs):
    with pytest.raises(ValueError):
        spc.analyse(**kwargs)
