"""Freshness: the period expected by an as-of date, overdue days and the next due date."""

from datetime import date

import polars as pl
import pytest

from kpis import freshness as F
from kpis.periods import parse_period


def _one(kind: str, start: date, lag: int | None, as_of: date) -> dict:
    frame = pl.DataFrame({"period_start": [start], "period_kind": [kind], "expected_within_days": [lag]},
                         schema={"period_start": pl.Date, "period_kind": pl.String, "expected_within_days": pl.Int64})
    return F.with_freshness(frame, as_of).row(0, named=True)


@pytest.mark.parametrize(
    ("kind", "start", "lag", "as_of", "expected_start", "overdue", "days", "due_by"),
    [
        # Monthly, 6 weeks: June's figure is due 11 Aug; July's on 11 Sep.
        ("month", date(2024, 6, 1), 42, date(2024, 9, 10), date(2024, 6, 1), False, 0, date(2024, 9, 11)),
        ("month", date(2024, 6, 1), 42, date(2024, 9, 11), date(2024, 7, 1), True, 0, date(2024, 9, 11)),
        ("month", date(2024, 6, 1), 42, date(2024, 9, 12), date(2024, 7, 1), True, 1, date(2024, 9, 11)),
        ("month", date(2024, 6, 1), 42, date(2024, 9, 30), date(2024, 7, 1), True, 19, date(2024, 9, 11)),
        # A figure ahead of what is expected is on time.
        ("month", date(2024, 6, 1), 42, date(2024, 6, 30), date(2024, 4, 1), False, 0, date(2024, 9, 11)),
        # Quarterly (financial), 6 weeks: Q2 (Jul–Sep) is due 11 Nov.
        ("fy_quarter", date(2024, 4, 1), 42, date(2024, 11, 10), date(2024, 4, 1), False, 0, date(2024, 11, 11)),
        ("fy_quarter", date(2024, 4, 1), 42, date(2024, 11, 12), date(2024, 7, 1), True, 1, date(2024, 11, 11)),
        # Two quarters missing: counted from the first missing one.
        ("fy_quarter", date(2024, 4, 1), 42, date(2025, 2, 12), date(2024, 10, 1), True, 93, date(2024, 11, 11)),
        # Financial year, 90 days: 2024/25 ends 31 Mar 2025, due 29 Jun 2025.
        ("fy", date(2023, 4, 1), 90, date(2025, 6, 30), date(2024, 4, 1), True, 1, date(2025, 6, 29)),
        # No lag in the catalogue: not judged.
        ("month", date(2024, 6, 1), None, date(2030, 1, 1), None, None, None, None),
        # Lag 0: due the day the period ends.
        ("month", date(2024, 6, 1), 0, date(2024, 7, 31), date(2024, 7, 1), True, 0, date(2024, 7, 31)),
    ],
)
def test_expected_period_and_overdue(kind, start, lag, as_of, expected_start, overdue, days, due_by):
    row = _one(kind, start, lag, as_of)
    assert (row["expected_start"], row["overdue"], row["overdue_days"], row["due_by"]) == (expected_start, overdue, days, due_by)


@pytest.mark.parametrize(("days", "words"), [(None, None), (0, None), (1, "Overdue by 1 day"), (13, "Overdue by 13 days"),
                                             (14, "Overdue by 2 weeks"), (62, "Overdue by 8 weeks")])
def test_overdue_words(days, words):
    assert F.overdue_words(days) == words


def test_as_of_is_today_for_the_latest_and_the_period_end_otherwise():
    q1, q4 = parse_period("2024/25 Q1"), parse_period("2023/24 Q4")
    today = date(2026, 1, 5)
    assert F.as_of_for(None, today) == today
    assert F.as_of_for(q1, today, latest=q1) == today
    assert F.as_of_for(q4, today, latest=q1) == date(2024, 3, 31)


def _by_key(frame: pl.DataFrame) -> dict:
    return {(r["kpi_id"], r["area"]): r for r in frame.iter_rows(named=True)}


def test_demo_at_the_published_report_nothing_is_overdue(demo_store):
    frame = F.freshness(demo_store, parse_period("2024/25 Q1").end)
    assert frame.height == 13
    assert frame["overdue"].to_list() == [False] * 13
    rows = _by_key(frame)
    assert (rows[("hpi_by_24wk", "North West")]["latest_period"], rows[("hpi_by_24wk", "North West")]["due_by"]) == ("Mar 2024", date(2024, 7, 30))
    assert (rows[("mmr_24m", "City")]["latest_period"], rows[("mmr_24m", "City")]["due_by"]) == ("2023/24 Q4", date(2024, 10, 6))


def test_demo_with_the_clock_a_quarter_on(demo_store):
    frame = F.freshness(demo_store, date(2024, 9, 30))
    late = {(r["kpi_id"], r["area"]): (r["expected_period"], r["overdue_days"]) for r in frame.filter(pl.col("overdue")).iter_rows(named=True)}
    assert late == {
        ("rtl_uptake", "North East"): ("Jul 2024", 19), ("rtl_uptake", "North West"): ("Jul 2024", 19), ("rtl_uptake", "South"): ("Jul 2024", 19),
        ("hpi_by_24wk", "North East"): ("Jun 2024", 62), ("hpi_by_24wk", "North West"): ("Jun 2024", 62), ("hpi_by_24wk", "South"): ("Jun 2024", 62),
    }


def test_a_figure_after_the_as_of_date_does_not_count(demo_store):
    rows = _by_key(F.freshness(demo_store, date(2024, 5, 31)))
    assert rows[("hwc_referrals", "City")]["latest_period"] == "2023/24 Q4"
    assert rows[("hwc_referrals", "City")]["overdue"] is False


def test_on_time_words():
    assert F.on_time_words(date(2024, 7, 30)) == "On time for this KPI: next figure due by 30 Jul 2024"
    assert F.due_words(None) is None and F.on_time_words(None) is None
