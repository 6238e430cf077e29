"""What changed: figures, statuses and direction against an earlier period, on the demo."""

from datetime import date

import polars as pl
import pytest

from kpis import changes as C
from kpis.periods import parse_period

Q1 = parse_period("2024/25 Q1")


def _by_key(frame: pl.DataFrame) -> dict:
    return {(r["kpi_id"], r["area"]): r for r in frame.iter_rows(named=True)}


@pytest.mark.parametrize(("since", "expected"), [("previous", "2023/24 Q4"), ("year", "2023/24 Q1"), ("2022/23 Q3", "2022/23 Q3")])
def test_since_period(since, expected):
    assert C.since_period(Q1, since).label == expected
    assert C.since_period(parse_period("Jun 2024"), "previous").label == "May 2024"


def test_since_the_previous_quarter(demo_store):
    frame = C.changes(demo_store, Q1)
    rows = _by_key(frame)
    assert frame.height == 13 and not frame["status_changed"].any()
    table = {key: (r["since_value"], r["value"], r["direction"]) for key, r in rows.items()
             if key in {("aftercare_eet", "City"), ("hwc_referrals", "City"), ("under5_permanency_review", "City"), ("rtl_uptake", "North West")}}
    assert table == {
        ("aftercare_eet", "City"): (74.0, 77.0, "improving"),
        ("hwc_referrals", "City"): (758.0, 800.0, "improving"),
        ("under5_permanency_review", "City"): (55.0, 56.0, "improving"),
        ("rtl_uptake", "North West"): (85.0, 84.0, "worsening"),
    }
    # No new figure since: same period on both sides, no direction.
    mmr = rows[("mmr_24m", "City")]
    assert (mmr["period"], mmr["since_period"], mmr["new_figure"], mmr["direction"]) == ("2023/24 Q4", "2023/24 Q4", False, None)
    assert not frame["overdue"].any()


def test_since_a_year_earlier_status_changes_come_first(demo_store):
    frame = C.changes(demo_store, Q1, "year")
    changed = frame.filter(pl.col("status_changed")).select("kpi_id", "since_status", "status").rows()
    assert changed == [("aftercare_eet", "amber", "green"), ("ooa_placements", "green", "red"), ("mmr_24m", "amber", "red")]
    assert frame["status_changed"].to_list()[:3] == [True] * 3 and not frame["status_changed"].to_list()[3:].count(True)
    assert _by_key(frame)[("hwc_referrals", "City")]["change_significant"] is True


def test_target_last_met(demo_store):
    rows = _by_key(C.target_last_met(demo_store, Q1))
    assert rows[("mmr_5y", "City")]["target_last_met"] == "2023/24 Q3"
    assert rows[("ooa_placements", "City")]["target_last_met"] == "2023/24 Q2"
    assert ("mmr_24m", "City") not in rows  # not met since records began


def test_overdue_with_the_clock_a_quarter_on(demo_store):
    rows = _by_key(C.changes(demo_store, Q1, as_of=date(2024, 9, 30)))
    assert {k for k, r in rows.items() if r["overdue"]} == {("rtl_uptake", a) for a in ("North East", "North West", "South")} | {
        ("hpi_by_24wk", a) for a in ("North East", "North West", "South")}
    assert rows[("hpi_by_24wk", "South")]["overdue_days"] == 62


def test_status_history_lists_each_change_newest_first(demo_store):
    history = C.status_history(demo_store, "aftercare_eet", "City", Q1)
    assert history.rows() == [("2023/24 Q2", 74.0, "green", "amber"), ("2022/23 Q3", 72.0, "amber", "red"), ("2021/22 Q1", 68.0, "red", None)]


@pytest.mark.parametrize(
    ("kwargs", "first", "count"),
    [
        ({}, ("aftercare_eet", "City"), 13),
        ({"changed_only": True}, ("aftercare_eet", "City"), 3),
        ({"sort": "kpi"}, ("rtl_uptake", "North East"), 13),
        ({"sort": "change"}, ("hwc_referrals", "City"), 13),
        ({"sort": "worst", "priorities": [3]}, ("under5_permanency_review", "City"), 2),
        ({"areas": ["North West"], "sort": "kpi"}, ("rtl_uptake", "North West"), 2),
        ({"overdue_only": True}, None, 0),
    ],
)
def test_select_filters_and_sorts(demo_store, kwargs, first, count):
    shown = C.select(C.changes(demo_store, Q1, "year"), **kwargs)
    assert shown.height == count
    assert (shown.select("kpi_id", "area").row(0) if shown.height else None) == first


def test_select_most_overdue_first(demo_store):
    shown = C.select(C.changes(demo_store, Q1, as_of=date(2024, 9, 30)), sort="overdue")
    assert shown.select("kpi_id", "overdue_days").row(0) == ("hpi_by_24wk", 62)


def test_display_in_words(demo_store):
    table = C.display(C.changes(demo_store, Q1, "year", as_of=date(2024, 9, 30)))
    rows = {(r["KPI"][:20], r["Area"]): r for r in table.iter_rows(named=True)}
    aftercare = next(r for r in table.iter_rows(named=True) if r["KPI"].startswith("Aftercare"))
    assert (aftercare["Then"], aftercare["Now"], aftercare["Status"]) == ("72% (2023/24 Q1)", "77% (2024/25 Q1)", "▲ Amber → ✔ Green")
    assert aftercare["Direction"].startswith("↑ Improving") and aftercare["Target last met"] == "2024/25 Q1"
    assert aftercare["Freshness"] == "On time · next due 11 Nov 2024"
    hpi = next(r for (k, a), r in rows.items() if k.startswith("Health Plan") and a == "South")
    assert hpi["Freshness"] == "Overdue by 8 weeks (Jun 2024 expected)"
    mmr = next(r for r in table.iter_rows(named=True) if r["KPI"] == "MMR uptake at 24 months")
    assert mmr["Target last met"] == "Not met since records began"
    previous = C.display(C.changes(demo_store, Q1))
    assert set(previous.filter(pl.col("KPI").str.starts_with("MMR"))["Direction"]) == {"No new figure since"}
