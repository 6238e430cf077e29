"""Per-priority summary: names, status categories and counts."""

import polars as pl
import pytest

from conftest import DATA
from kpis import narratives as N
from kpis import priorities as PR
from kpis import views
from kpis.periods import parse_period

Q1 = parse_period("2024/25 Q1")


def _statuses(rows: list[tuple[str, int | None, str, bool]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"kpi_id": pl.String, "priority": pl.Int64, "rag": pl.String, "has_figure": pl.Boolean}, orient="row")


def test_status_category_tells_not_reported_from_no_status():
    frame = PR.with_category(_statuses([("a", 1, "red", True), ("b", 1, "grey", True), ("c", 2, "grey", False)]))
    assert frame["status_category"].to_list() == ["red", "grey", "not_reported"]


def test_summary_counts_each_kpi_once_and_lists_priorities_without_kpis():
    statuses = _statuses([("a", 1, "red", True), ("b", 1, "green", True), ("c", 1, "grey", False), ("d", 3, "amber", True), ("e", None, "red", True)])
    table = PR.summary(statuses, {1: "Prevention", 2: "Choice", 3: "Communities"})
    assert table.select("priority", "kpis", "red", "amber", "green", "grey", "not_reported").rows() == [
        (1, 3, 1, 0, 1, 0, 1), (2, 0, 0, 0, 0, 0, 0), (3, 1, 0, 1, 0, 0, 0)]
    assert table["anchor"].to_list() == ["priority-1", "priority-2", "priority-3"]


def test_worst_first_ranks_by_share_red_then_amber():
    table = pl.DataFrame({"priority": [1, 2, 3, 4], "red": [1, 1, 0, 0], "amber": [0, 0, 1, 0], "green": [3, 1, 1, 0]})
    assert PR.worst_first(table)["priority"].to_list() == [2, 1, 3, 4]


def test_filtered_by_category_and_priority():
    statuses = _statuses([("a", 1, "red", True), ("b", 2, "red", True), ("c", 1, "grey", False)])
    assert PR.filtered(statuses, ["red"], [])["kpi_id"].to_list() == ["a", "b"]
    assert PR.filtered(statuses, ["red", "not_reported"], [1])["kpi_id"].to_list() == ["a", "c"]
    assert PR.filtered(statuses, [], [])["kpi_id"].to_list() == ["a", "b", "c"]
    assert PR.counts(PR.filtered(statuses, ["red"], [])) == {"red": 2, "amber": 0, "green": 0, "grey": 0, "not_reported": 0}


def test_demo_names_all_six_priorities_from_the_narrative(demo_store):
    found, _ = N.load_all(DATA / "narratives")
    named = PR.names(found, demo_store.catalogue)
    assert list(named) == [1, 2, 3, 4, 5, 6]
    assert named[1] == "Prevention, early intervention and wellbeing"
    assert PR.label(1, named[1]) == "1. Prevention, early intervention and wellbeing"
    assert PR.names([], demo_store.catalogue) == {1: "Priority 1", 2: "Priority 2", 3: "Priority 3", 4: "Priority 4"}


def test_demo_north_west_counts_kpis_it_does_not_report_as_not_reported(demo_store):
    table = PR.summary(views.kpi_statuses(demo_store, Q1, "North West"), PR.names([], demo_store.catalogue))
    p1 = table.filter(pl.col("priority") == 1).row(0, named=True)
    # NW reports Ready to Learn (red) and Health Plan Indicator (green); the rest of priority 1 is City-only.
    assert (p1["red"], p1["green"], p1["grey"], p1["not_reported"]) == (1, 1, 0, 3)
    assert table["not_reported"].sum() == 7 and table["grey"].sum() == 0


@pytest.mark.parametrize(("value", "expected"), [("2", 2), (" 3 ", 3), ("7", None), ("two", None), (None, None), ("-1", None)])
def test_focus_is_one_of_the_boards_priorities(value, expected):
    assert PR.focus(value, {n: f"Priority {n}" for n in range(1, 7)}) == expected


def test_link_opens_the_priorities_page_at_its_priority():
    frame = pl.DataFrame({"priority": [1, 4]})
    assert frame.select(PR.link_expr("2024/25 Q1", "North East"))[:, 0].to_list() == [
        "priorities?period=2024%2F25+Q1&area=North+East&priority=1#priority-1",
        "priorities?period=2024%2F25+Q1&area=North+East&priority=4#priority-4"]


@pytest.mark.parametrize(("categories", "priorities", "label"), [
    ([], [], "All KPIs"),
    (["red"], [1], "✖ Red · Priority 1"),
    (["red", "amber"], [2, 5, 6], "2 statuses · 3 priorities"),
])
def test_filter_label_names_what_the_filters_keep(categories, priorities, label):
    assert PR.filter_label(categories, priorities) == label


@pytest.mark.parametrize(("not_reported", "keys"), [
    (0, ["green", "amber", "red", "grey"]),
    (1, ["green", "amber", "red", "grey", "not_reported"]),
    (7, ["green", "amber", "red", "grey", "not_reported"]),
])
def test_count_keys_show_not_reported_only_where_a_kpi_is(not_reported, keys):
    assert PR.count_keys({"green": 4, "amber": 0, "red": 5, "grey": 0, "not_reported": not_reported}) == keys


def _summary_row(priority: int, red: int, amber: int, green: int) -> dict:
    return {"priority": priority, "name": f"P{priority}", "red": red, "amber": amber, "green": green}


@pytest.mark.parametrize(("rows", "line"), [
    ([], None),
    ([_summary_row(1, 0, 0, 3), _summary_row(2, 0, 0, 1)], None),
    ([_summary_row(1, 1, 0, 3), _summary_row(2, 2, 0, 0)], "Doing worst: 2. P2: 2 red and 0 amber of 2 rated KPI(s)."),
    ([_summary_row(1, 0, 1, 1), _summary_row(2, 0, 0, 2)], "Doing worst: 1. P1: 0 red and 1 amber of 2 rated KPI(s)."),
])
def test_doing_worst_names_the_priority_with_the_largest_share_red_then_amber(rows, line):
    table = pl.DataFrame(rows, schema={"priority": pl.Int64, "name": pl.String, "red": pl.Int64, "amber": pl.Int64, "green": pl.Int64})
    assert PR.doing_worst(table) == line
