"""SPC baselines from spc_baselines.csv: problems as data, and rebasing the store's series."""

from __future__ import annotations

import polars as pl
import pytest

from kpis import spc
from kpis.spc import baselines

HEADER = "kpi_id,area,period,reason,fix_after\n"


def load(folder, text):
    (folder / baselines.FILE).write_text(text)
    from kpis import store

    data = store.load(folder)
    return baselines.load(folder, data.catalogue, data.areas)


def test_no_file_and_header_only_mean_no_baselines(data_copy):
    (data_copy / baselines.FILE).unlink(missing_ok=True)
    from kpis import store

    data = store.load(data_copy)
    found, problems = baselines.load(data_copy, data.catalogue, data.areas)
    assert (found.height, problems.height) == (0, 0)
    found, problems = load(data_copy, HEADER)
    assert (found.height, problems.height) == (0, 0)


def test_good_rows_are_typed_and_areas_may_be_codes(data_copy):
    found, problems = load(data_copy, HEADER + "rtl_uptake,NE,Apr 2023,New pathway,12\nrtl_uptake,South,2023/24 Q2,Re-definition,\n")
    assert problems.height == 0
    assert found.select("kpi_id", "area", "period", "reason", "fix_after").rows() == [
        ("rtl_uptake", "North East", "Apr 2023", "New pathway", 12),
        ("rtl_uptake", "South", "2023/24 Q2", "Re-definition", None),
    ]


def test_bad_rows_are_problems_and_left_out(data_copy):
    text = HEADER + "\n".join([
        "no_such_kpi,NE,Apr 2023,x,",
        "rtl_uptake,Nowhere,Apr 2023,x,",
        "rtl_uptake,NE,Smarch 2023,x,",
        "rtl_uptake,NE,Apr 2023,,",
        "rtl_uptake,NE,Apr 2023,x,1",
        "rtl_uptake,NE,Apr 2023,x,twelve",
        "rtl_uptake,NE,May 2023,fine,12",
    ]) + "\n"
    found, problems = load(data_copy, text)
    assert problems.select("row", "column").rows() == [(2, "kpi_id"), (3, "area"), (4, "period"), (5, "reason"), (6, "fix_after"), (7, "fix_after")]
    assert set(problems["severity"]) == {"error"} and problems["fix"].null_count() == 0
    assert found["period"].to_list() == ["May 2023"]


def test_missing_column_is_a_file_problem(data_copy):
    found, problems = load(data_copy, "kpi_id,area,period\nrtl_uptake,NE,Apr 2023\n")
    assert found.height == 0
    assert problems["problem"].to_list() == ["Missing column(s): reason"]


def test_store_series_rebases_at_the_stated_period_and_fixes_after_n(data_copy, demo_store):
    found, _ = load(data_copy, HEADER + "rtl_uptake,NE,Apr 2023,New pathway,12\n")
    result = spc.for_store(demo_store, "rtl_uptake", "North East", None, found)
    assert result.groups.select("start", "n", "period", "reason").rows() == [(0, 24, "Apr 2021", None), (24, 15, "Apr 2023", "New pathway")]
    values = result.points["value"].to_list()
    same = spc.analyse(values, "increase", target=95, rebase=[24], fix_after={24: 12})
    assert result.points["point_type"].to_list() == same.points["point_type"].to_list()
    assert result.groups["upl"].to_list() == same.groups["upl"].to_list()
    assert (result.variation, result.assurance) == (same.variation, same.assurance)


def test_a_baseline_before_the_data_fixes_the_first_group(data_copy, demo_store):
    found, _ = load(data_copy, HEADER + "rtl_uptake,NE,Apr 2020,Baseline year,12\n")
    result = spc.for_store(demo_store, "rtl_uptake", "North East", None, found)
    values = result.points["value"].to_list()
    assert result.groups.height == 1
    assert result.groups["mean"].item() == pytest.approx(sum(values[:12]) / 12)


def test_store_series_stops_at_the_period_and_takes_polarity_and_target(demo_store):
    from kpis.periods import parse_period

    result = spc.for_store(demo_store, "ooa_placements", "City", parse_period("2023/24 Q4"))
    assert result.points["period"].to_list()[-1] == "2023/24 Q4"
    assert result.improvement == "decrease" and result.target == 25.0
    assert spc.for_store(demo_store, "rtl_uptake", "City", None) is None


def test_summary_one_row_per_kpi_and_area_with_words_and_disagreement(demo_store):
    from kpis.periods import parse_period

    table = spc.summary(demo_store, parse_period("2024/25 Q1"))
    assert table.select("kpi_id", "area").is_duplicated().sum() == 0
    assert table.height == 13
    assert table["variation_label"].str.len_chars().min() > 2
    red_common = table.filter((pl.col("rag") == "red") & (pl.col("variation") == "common_cause"))
    assert red_common["disagreement"].str.starts_with("Red against the target, but the latest figure is within normal variation").all()
    assert table["rag"].null_count() == 0


DISAGREE = [
    ("red", "common_cause", None, "red_common_cause"),
    ("amber", "improvement_high", None, "behind_target_improving"),
    ("green", "concern_low", None, "green_concern"),
    ("green", "common_cause", "consistent_fail", "green_failing"),
    ("red", "common_cause", "consistent_pass", "red_common_cause"),  # the first that applies is said
    ("amber", "common_cause", "consistent_pass", "behind_target_passing"),
    ("green", "improvement_high", "consistent_pass", None),
    ("amber", "common_cause", "inconsistent", None),
    ("grey", "concern_low", None, None),
]


@pytest.mark.parametrize(("rag", "variation", "assurance", "name"), DISAGREE)
def test_disagreement_sentences(rag, variation, assurance, name):
    frame = pl.DataFrame({"rag": [rag], "variation": [variation], "assurance": [assurance]}, schema=dict.fromkeys(["rag", "variation", "assurance"], pl.String))
    said = frame.select(spc.disagreement_expr()).item()
    expected = {d.name: d.sentence for d in spc.DISAGREEMENTS}.get(name)
    assert said == (expected.replace("{rag}", {"red": "Red", "amber": "Amber", "green": "Green"}[rag]) if expected else None)
