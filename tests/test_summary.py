"""The summary reproduces the published Q1 2024/25 table."""

import polars as pl
import pytest

from kpis import summary
from kpis.periods import parse_period

PUBLISHED = [
    # kpi, area, value, period, rag, arrow, direction
    ("rtl_uptake", "North East", 87, "Jun 2024", "red", "up", "improving"),
    ("rtl_uptake", "North West", 84, "Jun 2024", "red", "down", "worsening"),
    ("rtl_uptake", "South", 89, "Jun 2024", "red", "up", "improving"),
    ("hpi_by_24wk", "North East", 95, "Mar 2024", "green", "up", "improving"),
    ("hpi_by_24wk", "North West", 98, "Mar 2024", "green", "up", "improving"),
    ("hpi_by_24wk", "South", 97, "Mar 2024", "green", "up", "improving"),
    ("hwc_referrals", "City", 800, "2024/25 Q1", "green", "up", "improving"),
    ("under5_permanency_review", "City", 56, "2024/25 Q1", "red", "up", "improving"),
    ("scra_reports_on_time", "City", 51, "2024/25 Q1", "red", "up", "improving"),
    ("aftercare_eet", "City", 77, "2024/25 Q1", "green", "up", "improving"),
    ("ooa_placements", "City", 29, "2024/25 Q1", "red", "up", "worsening"),
    ("mmr_24m", "City", 90.24, "2023/24 Q4", "red", "down", "worsening"),
    ("mmr_5y", "City", 94.97, "2023/24 Q4", "green", "up", "improving"),
]


@pytest.fixture(scope="module")
def q1(demo_store):
    return summary.latest(demo_store, parse_period("2024/25 Q1"))


def test_default_period_is_the_reported_quarter(demo_store):
    assert summary.default_period(demo_store) == parse_period("2024/25 Q1")


@pytest.mark.parametrize(("kpi", "area", "value", "period", "rag", "arrow", "direction"), PUBLISHED)
def test_published_table(q1, kpi, area, value, period, rag, arrow, direction):
    row = q1.filter((pl.col("kpi_id") == kpi) & (pl.col("area") == area)).row(0, named=True)
    assert (row["value"], row["period"], row["rag"], row["arrow"], row["direction"]) == (value, period, rag, arrow, direction)


def test_no_other_rows_at_q1(q1):
    assert q1.height == len(PUBLISHED)


def test_stale_values_are_flagged(q1):
    stale = set(q1.filter(pl.col("stale"))["kpi_id"].unique().to_list())
    assert stale == {"hpi_by_24wk", "mmr_24m", "mmr_5y"}


def test_earlier_period_shows_earlier_values(demo_store):
    earlier = summary.latest(demo_store, parse_period("2023/24 Q1"), ["City"], ["hwc_referrals"])
    assert earlier["period"].item() == "2023/24 Q1"
    assert earlier["value"].item() != 800


def test_period_before_any_data_is_empty(demo_store):
    assert summary.latest(demo_store, parse_period("2019/20 Q1")).height == 0


def test_report_table_reads_like_the_published_one(demo_store):
    table = summary.report_table(demo_store, parse_period("2024/25 Q1"), "City")
    rows = {r["kpi_id"]: r for r in table.iter_rows(named=True)}
    assert rows["rtl_uptake"]["Actual"] == "NE 87%  NW 84%  S 89%"
    assert rows["rtl_uptake"]["RAG status"] == "All ✖ Red"
    assert rows["rtl_uptake"]["Direction in last 12 months"] == "NE ↑ Improving  NW ↓ Worsening  S ↑ Improving"
    assert rows["hwc_referrals"]["Target"] == "383 per quarter across City"
    assert rows["hwc_referrals"]["Actual"] == "City 800"
    assert rows["mmr_24m"]["Actual"] == "City 90.24%"
    assert rows["ooa_placements"]["Direction in last 12 months"] == "↑ Worsening"


def test_why_explains_in_one_sentence(q1):
    row = q1.filter(pl.col("kpi_id") == "mmr_24m").row(0, named=True)
    text = summary.why(row)
    assert text.startswith("Red: 90.24% is 4.76 percentage points below the target of 95.00%")
    assert "5.0% of the target" in text and "amber within 5%" in text
    green = summary.why(q1.filter(pl.col("kpi_id") == "aftercare_eet").row(0, named=True))
    assert green.startswith("Green: 77% meets the target of 75%")


def test_status_counts(demo_store):
    from kpis import views

    statuses = views.kpi_statuses(demo_store, parse_period("2024/25 Q1"), "City")
    assert summary.status_counts(statuses) == {"green": 4, "amber": 0, "red": 5, "grey": 0}
