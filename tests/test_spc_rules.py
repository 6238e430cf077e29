"""Special-cause rules, precedence and point types, on small hand-checked series.

Most series start with the baseline 10, 13, 10, 13 and fix the limits on it
(fix_after=4): mean 11.5, mean moving range 3, process limits 3.52 and 19.48,
2-sigma lines 6.18 and 16.82. The points after it are the case under test.
"""

from __future__ import annotations

import pytest

from kpis import spc

BASE = [10, 13, 10, 13]
B = [None] * 4  # the baseline's own labels: none
C = "common_cause"
IMP, CON = "special_cause_improvement", "special_cause_concern"


def run(tail, improvement="increase"):
    r = spc.analyse([*BASE, *tail], improvement, fix_after=4)
    g = r.groups.row(0, named=True)
    assert (g["mean"], g["upl"], g["lpl"]) == (pytest.approx(11.5), pytest.approx(19.48), pytest.approx(3.52))
    assert (g["u2s"], g["l2s"]) == (pytest.approx(16.82), pytest.approx(6.18))
    return r.points["rule"].to_list()[4:], r.points["point_type"].to_list()[4:]


CASES = {
    # name: (points after the baseline, expected rule per point)
    "outside above": ([19.49], ["outside_limits"]),
    "on the upper limit is inside": ([19.48], [None]),
    "outside below": ([3.51], ["outside_limits"]),
    "on the lower limit is inside": ([3.52], [None]),
    "shift of 7 above, all labelled": ([12] * 7, ["shift"] * 7),
    "6 above is no shift": ([11, *[12] * 6], [None] * 7),
    "a point on the mean breaks the run": ([12, 12, 12, 11.5, 12, 12, 12], [None] * 7),
    "shift of 7 below": ([11] * 7, ["shift"] * 7),
    "rising trend of 7 crossing the mean": ([9, 10, 11, 12, 13, 14, 15], ["trend"] * 7),
    "6 rising is no trend": ([9, 10, 11, 12, 13, 14], [None] * 6),
    "a tie breaks the trend": ([9, 10, 11, 11, 13, 14, 15], [None] * 7),
    "falling trend of 7": ([15, 14, 13, 12, 11, 10, 9], ["trend"] * 7),
    "two in three labels only the points beyond 2 sigma": ([17, 12, 17], ["two_in_three", None, "two_in_three"]),
    "two in three, adjacent": ([12, 17, 18], [None, "two_in_three", "two_in_three"]),
    "two in three on opposite sides of the mean is none": ([17, 11, 17], [None] * 3),
    "one beyond 2 sigma is not two in three": ([17, 12, 12], [None] * 3),
    "on the 2-sigma line is not beyond it": ([16.82, 12, 17], [None] * 3),
    "on the limit counts as beyond 2 sigma": ([19.48, 12, 17], ["two_in_three", None, "two_in_three"]),
    "two in three below": ([6, 11, 6], ["two_in_three", None, "two_in_three"]),
    "a point outside is not beyond 2 sigma": ([20, 12, 17], ["outside_limits", None, None]),
    # precedence
    "outside beats trend": ([12, 13, 14, 15, 16, 17, 20], ["trend"] * 6 + ["outside_limits"]),
    "trend beats two in three": ([12, 13, 14, 15, 17, 18, 19], ["trend"] * 7),
    "two in three beats shift": ([12, 17, 12, 17, 12, 12, 12], ["shift", "two_in_three", "shift", "two_in_three", "shift", "shift", "shift"]),
    "outside beats shift": ([12, 12, 12, 20, 12, 12, 12], ["shift"] * 3 + ["outside_limits"] + ["shift"] * 3),
    "a tie ends the trend but not the shift": ([12, 13, 14, 14, 15, 16, 16.5], ["shift"] * 7),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_rule_labels(case):
    tail, expected = CASES[case]
    assert run(tail)[0] == expected


def test_point_types_follow_the_side_and_improvement_direction():
    assert run([19.49])[1] == [IMP]
    assert run([19.49], "decrease")[1] == [CON]
    assert run([3.51])[1] == [CON]
    assert run([12] * 7, "decrease")[1] == [CON] * 7
    assert run([11] * 7, "decrease")[1] == [IMP] * 7
    assert run([17, 12, 17])[1] == [IMP, C, IMP]
    assert run([15, 14, 13, 12, 11, 10, 9])[1] == [CON] * 7  # a falling trend is a concern where higher is better, above the mean too


def test_neutral_direction_gives_high_and_low():
    assert run([12] * 7, "neutral")[1] == ["special_cause_neutral_high"] * 7
    assert run([3.51], "neutral")[1] == ["special_cause_neutral_low"]
    assert run([9, 10, 11, 12, 13, 14, 15], "neutral")[1] == ["special_cause_neutral_high"] * 7


def test_a_point_shared_by_a_rise_and_a_fall_takes_the_fall():
    # baseline 0, 20, 0, 20 (mean 10, limits -43.2 and 63.2), then up 1..7 and down to 1
    r = spc.analyse([0, 20, 0, 20, *range(1, 8), *range(6, 0, -1)], "increase", fix_after=4)
    rules, types = r.points["rule"].to_list()[4:], r.points["point_type"].to_list()[4:]
    assert rules == ["trend"] * 13
    assert types == [IMP] * 6 + [CON] * 7


def test_rules_do_not_cross_a_rebase():
    # 4 above the first group's mean, then 3 more above after a rebase: no run of 7 in either group
    r = spc.analyse([0, 2, 0, 2, 3, 3, 3, 3, 10, 10, 10], "increase", rebase=[8])
    assert r.points["rule"].to_list()[4:8] == [None] * 4


def test_every_rule_has_words():
    assert [r.name for r in spc.rules.RULES] == ["outside_limits", "trend", "two_in_three", "shift"]
    assert all(r.words for r in spc.rules.RULES)
