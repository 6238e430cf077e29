"""Variation and assurance icons, and their words."""

from __future__ import annotations

import pytest

from kpis import spc
from kpis.spc import icons

BASE = [10, 13, 10, 13]  # fixed on these: mean 11.5, process limits 3.52 and 19.48


@pytest.mark.parametrize(("tail", "improvement", "icon"), [
    ([12] * 7, "increase", "improvement_high"),
    ([11] * 7, "decrease", "improvement_low"),
    ([11] * 7, "increase", "concern_low"),
    ([12] * 7, "decrease", "concern_high"),
    ([12] * 7, "neutral", "neutral_high"),
    ([3.51], "neutral", "neutral_low"),
    ([12], "increase", "common_cause"),
    ([12] * 7 + [11.5], "increase", "common_cause"),  # only the last point counts
    ([15, 14, 13, 12, 11, 10, 9], "increase", "concern_low"),  # a falling trend, though above the mean at its start
])
def test_variation_icon_from_the_last_point(tail, improvement, icon):
    assert spc.analyse([*BASE, *tail], improvement, fix_after=4).variation == icon


@pytest.mark.parametrize(("target", "improvement", "icon"), [
    (20, "increase", "consistent_fail"),
    (3, "increase", "consistent_pass"),
    (12, "increase", "inconsistent"),
    (19.48, "increase", "inconsistent"),  # on the limit is within
    (3.52, "decrease", "inconsistent"),
    (20, "decrease", "consistent_pass"),
    (3, "decrease", "consistent_fail"),
    (20, "neutral", None),
    (None, "increase", None),
])
def test_assurance_compares_the_target_with_the_process_limits(target, improvement, icon):
    assert spc.analyse([*BASE, 12], improvement, target=target, fix_after=4).assurance == icon


def test_assurance_uses_the_last_group():
    # target 5: above the first group's limits (-0.66, 4.66), a fail; below the last group's (18.34, 23.66), a pass
    assert spc.analyse([1, 2, 3, 20, 21, 22], "increase", target=5, rebase=[3]).assurance == "consistent_pass"
    assert spc.analyse([1, 2, 3], "increase", target=5).assurance == "consistent_fail"


def test_every_icon_and_point_type_has_words_and_a_symbol():
    names = {"common_cause", "improvement_high", "improvement_low", "concern_high", "concern_low", "neutral_high", "neutral_low",
             "consistent_pass", "consistent_fail", "inconsistent"}
    assert set(icons.ICONS) == names
    assert all(i.symbol and i.words and i.meaning for i in icons.ICONS.values())
    assert set(icons.POINT_WORDS) == set(spc.rules.POINT_TYPES)
    assert icons.label("common_cause") == "◆ Common cause"
    assert icons.label(None) == "–"


def test_the_explanation_names_every_rule_and_icon():
    text = spc.EXPLANATION
    for words in ("Outside the limits", "Trend", "Two in three", "Shift", "2.66", "3.267", "13 points", "spc_baselines.csv"):
        assert words in text, words
    for words in ("common cause", "improvement", "concern", "neutral", "consistently passed", "consistently failed", "inconsistent"):
        assert words in text, words
    table = spc.icon_table()
    assert table["Name"].to_list() == list(icons.ICONS) and table["Words"].null_count() == 0
