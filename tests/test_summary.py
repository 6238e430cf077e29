"""The summary reproduces the published Q1 2024/25 table."""

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    assert "5.0% of the target" in text and "amber when less than 5% of target below" in text
    green = summary.why(q1.filter(pl.col("kpi_id") == "aftercare_eet").row(0, named=True))
    assert green.startswith("Green: 77% meets the target of 75%")


def test_status_counts(demo_store):
    from kpis import views

    statuses = views.kpi_statuses(demo_store, parse_period("2024/25 Q1"), "City")
    assert summary.status_counts(statuses) == {"green": 4, "amber": 0, "red": 5, "grey": 0}


# The default period is the latest with data that has started.
def test_default_period_skips_periods_not_started(demo_store):
    from datetime import date

    from kpis import ingest, store

    checked = ingest.check_observations(
        pl.DataFrame({"row": [2], "kpi_id": ["mmr_5y"], "area": ["City"], "period": ["2025/26 Q1"], "value": ["95"]}),
        demo_store.catalogue, demo_store.areas, "next.csv", today=date(2024, 7, 1))
    assert checked.valid and checked.frame.height == 1  # not started, but within a year: a warning
    ahead = store.with_frame(demo_store, checked.frame, "next.csv", "2024-07-01T00:00:00Z", "test")
    assert summary.default_period(ahead, today=date(2024, 7, 1)) == parse_period("2024/25 Q1")
    assert summary.default_period(ahead, today=date(2025, 4, 1)) == parse_period("2025/26 Q1")


def test_periods_available_in_one_order_every_time(demo_store):
    first = summary.periods_available(demo_store)
    assert first == sorted(first) and len(set(first)) == len(first)
    assert summary.periods_available(demo_store) == first


# One wording: "Why this status?" uses the figures the status was judged on.
def _row(value, target=95.0, decimals=2, polarity="higher_is_better", basis="relative", green=2.5, amber=5.0, unit="percent"):
    from kpis import rules

    frame = pl.DataFrame({"value": [value], "target": [target], "polarity": [polarity], "rag_basis": [basis],
                          "green_within": [green], "amber_within": [amber], "decimals": [decimals], "unit": [unit]},
                         schema_overrides={"value": pl.Float64, "target": pl.Float64, "green_within": pl.Float64,
                                           "amber_within": pl.Float64, "decimals": pl.Int64})
    return rules.with_rag(frame).row(0, named=True)


@pytest.mark.parametrize(
    ("value", "decimals", "green", "sentence"),
    [
        (90.2525, 2, 2.5, "Red: 90.25% is 4.75 percentage points below the target of 95.00%, 5.0% of the target"),
        (90.2525, 4, 2.5, "Amber: 90.2525% is 4.7475 percentage points below the target of 95.0000%, 4.9% of the target"),
        (92.63, 2, 2.5, "Green: 92.63% is 2.37 percentage points below the target of 95.00%, 2.4% of the target"),
        (92.625, 3, 2.5, "Amber: 92.625% is 2.375 percentage points below the target of 95.000%, 2.5% of the target"),
        (95, 0, 0, "Green: 95% meets the target of 95% (at target;"),
        (94.99, 2, 0.01, "Amber: 94.99% is 0.01 percentage points below the target of 95.00%, 0.01% of the target"),
        (94.999, 3, 0.01, "Green: 94.999% is 0.001 percentage points below the target of 95.000%, less than 0.01% of the target"),
    ],
)
def test_why_never_contradicts_the_badge(value, decimals, green, sentence):
    text = summary.why_rag(_row(value, decimals=decimals, green=green))
    assert text.startswith(sentence), text


@settings(max_examples=400, deadline=None)
@given(st.floats(1, 150).map(lambda v: round(v, 2)), st.floats(-1, 12), st.integers(0, 4),
       st.sampled_from([(2.5, 5.0), (0.0, 5.0), (0.0, 0.0), (1.25, 2.5), (3.0, 10.0)]),
       st.sampled_from(["higher_is_better", "lower_is_better"]))
def test_why_wording_and_badge_agree(target, off, decimals, bands, polarity):
    """Reading the sentence's own numbers against its own bands gives the badge's status.

    Values are drawn near the band edges: `off` is how far (percent of target) the value misses.
    """
    import re
    from decimal import Decimal

    green, amber = bands
    sign = -1 if polarity == "higher_is_better" else 1
    value = round(target * (1 + sign * off / 100), 4)
    row = _row(value, target, decimals, polarity, green=green, amber=amber)
    text = summary.why_rag(row)
    assert text.split(":")[0] == {"green": "Green", "amber": "Amber", "red": "Red"}[row["rag"]], text
    classify = lambda miss: "green" if miss <= 0 or miss < green else "amber" if miss < amber else "red"
    if "meets the target" in text:
        assert row["rag"] == "green"
        return
    numbers = re.search(r"is ([\d.,]+)(?: percentage points)? (?:below|above) the target of ([\d.,]+)%?, (less than )?([\d.]+)% of", text)
    assert numbers, text
    gap, aim = (Decimal(numbers.group(i).replace(",", "")) for i in (1, 2))
    assert classify(gap / aim * 100) == row["rag"], text  # the shown gap and target give the status
    shown = Decimal(numbers.group(4))
    if numbers.group(3):
        assert row["rag"] == ("green" if green > 0 else "amber" if amber > 0 else "red"), text
    else:
        assert classify(shown) == row["rag"], text  # the shown percentage gives the status


def test_latest_says_whether_the_change_is_significant(q1):
    rows = {(r["kpi_id"], r["area"]): r for r in q1.iter_rows(named=True)}
    rtl = rows[("rtl_uptake", "North East")]  # 261/300 against a year earlier's counts: two proportions
    assert rtl["change_significant"] in (True, False) and rtl["direction_note"] in ("a significant change", "within normal variation")
    mmr = rows[("mmr_5y", "City")]  # published without counts: cannot be tested
    assert (mmr["change_significant"], mmr["direction_note"]) == (None, "significance not tested")
    hwc = rows[("hwc_referrals", "City")]  # a count: Poisson
    assert hwc["change_significant"] is not None
    assert {"change_significant", "direction_note"} <= set(summary.summary_records(q1)[0])


def test_why_explains_the_direction_and_its_rule(q1):
    row = q1.filter(pl.col("kpi_id") == "mmr_5y").row(0, named=True)
    text = summary.why(row)
    assert "Direction: ↑ Improving, significance not tested: 94.97% against 94.60% in 2022/23 Q4" in text
    assert "(any change counts)" in text and "Significance is not tested" in text
    rtl = q1.filter((pl.col("kpi_id") == "rtl_uptake") & (pl.col("area") == "North East")).row(0, named=True)
    assert "A two-proportion z-test at 95% gives z = 1.04" in summary.why(rtl)
    assert "cannot tell this change from chance" in summary.why(rtl)


def test_report_table_keeps_the_reports_arrows(demo_store):
    table = summary.report_table(demo_store, parse_period("2024/25 Q1"), "City")
    assert not any("variation" in v or "significan" in v for v in table["Direction in last 12 months"].to_list())


def test_why_names_the_tolerance_and_the_poisson_test(q1):
    row = q1.filter(pl.col("kpi_id") == "hwc_referrals").row(0, named=True)
    text = summary.why_direction(row | {"direction_tolerance": 50.0})
    assert "(a change of up to 50 counts as maintained)" in text
    assert "A Poisson test of the two counts at 95% gives z = 5.06" in text and "the change is significant" in text  # (800 − 610) / √1410


@pytest.mark.parametrize("target", [float("nan"), float("inf")])
def test_why_never_quotes_a_non_finite_target(target):
    row = _row(99.0, target) | {"polarity": "higher_is_better"}
    assert row["rag"] == "grey"
    assert summary.why_rag(row) == "No status: this KPI has no target, so it is not rated."


def test_why_and_definitions_say_the_rule_in_the_same_words(demo_store):
    from kpis import views

    rows = summary.latest(demo_store, summary.default_period(demo_store), ["City"]).filter(pl.col("rag").is_in(["red", "amber", "green"]))
    assert rows.height
    for row in rows.iter_rows(named=True):
        assert f"rule: {views.rule_text(demo_store.kpi(row['kpi_id']))})" in summary.why(row)
        assert row["rag_rule"] == views.rule_text(demo_store.kpi(row["kpi_id"]))
