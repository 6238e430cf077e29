from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpis.periods import (
    ACCEPTED_FORMS,
    PeriodError,
    PeriodKind,
    canonical_for,
    future_limit,
    make_period,
    order_exprs,
    parse_labels,
    parse_period,
    period_order,
    try_parse,
)


@pytest.mark.parametrize(
    ("label", "kind", "start", "end", "canonical"),
    [
        ("2024-06", "month", date(2024, 6, 1), date(2024, 6, 30), "Jun 2024"),
        ("Jun 24", "month", date(2024, 6, 1), date(2024, 6, 30), "Jun 2024"),
        ("Jun-24", "month", date(2024, 6, 1), date(2024, 6, 30), "Jun 2024"),
        ("June 2024", "month", date(2024, 6, 1), date(2024, 6, 30), "Jun 2024"),
        ("  jun   2024 ", "month", date(2024, 6, 1), date(2024, 6, 30), "Jun 2024"),
        ("06/2024", "month", date(2024, 6, 1), date(2024, 6, 30), "Jun 2024"),
        ("Feb 24", "month", date(2024, 2, 1), date(2024, 2, 29), "Feb 2024"),
        ("Sept 2024", "month", date(2024, 9, 1), date(2024, 9, 30), "Sep 2024"),
        ("2024/25 Q1", "fy_quarter", date(2024, 4, 1), date(2024, 6, 30), "2024/25 Q1"),
        ("Q1 2024/25", "fy_quarter", date(2024, 4, 1), date(2024, 6, 30), "2024/25 Q1"),
        ("2024-25 Q1", "fy_quarter", date(2024, 4, 1), date(2024, 6, 30), "2024/25 Q1"),
        ("2023/24 Q4", "fy_quarter", date(2024, 1, 1), date(2024, 3, 31), "2023/24 Q4"),
        ("2024/2025 Q3", "fy_quarter", date(2024, 10, 1), date(2024, 12, 31), "2024/25 Q3"),
        ("2024/25", "fy", date(2024, 4, 1), date(2025, 3, 31), "2024/25"),
        ("2024-25", "fy", date(2024, 4, 1), date(2025, 3, 31), "2024/25"),
        ("1999/00", "fy", date(1999, 4, 1), date(2000, 3, 31), "1999/00"),
        ("2024 Q1", "quarter", date(2024, 1, 1), date(2024, 3, 31), "2024 Q1"),
        ("2024Q1", "quarter", date(2024, 1, 1), date(2024, 3, 31), "2024 Q1"),
        ("Q4 2024", "quarter", date(2024, 10, 1), date(2024, 12, 31), "2024 Q4"),
        ("2024", "year", date(2024, 1, 1), date(2024, 12, 31), "2024"),
    ],
)
def test_accepted_labels(label, kind, start, end, canonical):
    period = parse_period(label)
    assert (period.kind, period.start, period.end, period.label) == (kind, start, end, canonical)


@pytest.mark.parametrize(
    ("label", "reason"),
    [
        ("2024 Q5", "Q5"),
        ("2024/25 Q0", "Q0"),
        ("Jun 2024/25", "mixes a month"),
        ("13/2024", "month 13"),
        ("2024-13", "month 13"),
        ("Q1", "no year"),
        ("2024/26", "not a financial year"),
        ("2011-12", "could be a month or the financial year"),
        ("Foo 24", "not a month name"),
        ("", "empty"),
        ("next quarter", "not a period"),
    ],
)
def test_rejected_labels_say_why_and_list_forms(label, reason):
    with pytest.raises(PeriodError) as caught:
        parse_period(label)
    assert reason in caught.value.reason
    assert ACCEPTED_FORMS in str(caught.value)


def test_mixed_types_order_on_one_axis():
    labels = ["2024/25 Q1", "Mar 24", "2023/24", "Jun 24", "2024 Q1", "May 2024", "2023"]
    assert period_order(labels) == ["2023", "2023/24", "2024 Q1", "Mar 2024", "May 2024", "2024/25 Q1", "Jun 2024"]


def test_year_earlier_keeps_the_kind():
    assert parse_period("2024/25 Q1").year_earlier() == parse_period("2023/24 Q1")
    assert parse_period("Jun 24").year_earlier() == parse_period("Jun 2023")


def test_parse_labels_parses_each_distinct_label_once():
    import polars as pl

    table = parse_labels(pl.Series(["Jun 24", "Jun 24", "2024 Q5", None]))
    assert table.height == 2
    good = table.filter(pl.col("raw_period") == "Jun 24").row(0, named=True)
    assert good["period"] == "Jun 2024" and good["period_error"] is None
    bad = table.filter(pl.col("raw_period") == "2024 Q5").row(0, named=True)
    assert bad["period"] is None and "Q5" in bad["period_error"]


periods = st.builds(
    lambda kind, year, month: make_period(kind, _aligned(kind, year, month)),
    st.sampled_from(list(PeriodKind)),
    st.integers(1990, 2089),
    st.integers(1, 12),
)


def _aligned(kind: PeriodKind, year: int, month: int) -> date:
    if kind is PeriodKind.MONTH:
        return date(year, month, 1)
    if kind is PeriodKind.QUARTER:
        return date(year, (month - 1) // 3 * 3 + 1, 1)
    if kind is PeriodKind.YEAR:
        return date(year, 1, 1)
    if kind is PeriodKind.FY:
        return date(year, 4, 1)
    return date(year, [4, 7, 10, 1][(month - 1) % 4], 1)


@given(periods)
def test_parse_of_label_round_trips(period):
    assert parse_period(period.label) == period


@given(periods, periods)
def test_order_follows_end_then_start(a, b):
    if (a.end, a.start) != (b.end, b.start):
        assert (a < b) == ((a.end, a.start) < (b.end, b.start))


@given(periods, periods)
def test_order_is_total(a, b):
    """Exactly one of a < b, b < a, a == b: periods with the same dates are still ordered, by kind then label."""
    assert [a < b, b < a, a == b].count(True) == 1


@given(st.lists(periods, max_size=12), st.randoms())
def test_sorting_does_not_depend_on_input_order(items, random):
    shuffled = list(items)
    random.shuffle(shuffled)
    assert sorted(shuffled) == sorted(items)


def test_same_dates_order_by_kind_then_label():
    assert period_order(["2024 Q1", "2023/24 Q4"]) == period_order(["2023/24 Q4", "2024 Q1"]) == ["2023/24 Q4", "2024 Q1"]


@pytest.mark.parametrize(
    ("label", "start"),
    [
        ("Jun 99", date(1999, 6, 1)),  # never June 2099
        ("Jun 50", date(1950, 6, 1)),
        ("Jun 49", date(2049, 6, 1)),
        ("Dec 00", date(2000, 12, 1)),
        ("Jan-75", date(1975, 1, 1)),
    ],
)
def test_two_digit_years_read_within_1950_to_2049(label, start):
    assert parse_period(label).start == start


@pytest.mark.parametrize("label", ["0000", "0001", "Jan 0000", "0000 Q1", "0000/01", "9999/00 Q4", "1899", "3000 Q1", "10000"])
def test_years_out_of_range_raise_period_error(label):
    with pytest.raises(PeriodError):
        parse_period(label)


@pytest.mark.parametrize(
    ("label", "frequency", "canonical"),
    [
        ("2025 Q1", "quarterly", "2024/25 Q4"),
        ("2024/25 Q4", "quarterly", "2024/25 Q4"),
        ("2024 Q3", "quarterly", "2024/25 Q2"),
        ("2024 Q1", None, "2024 Q1"),
        ("2024", "annual", "2024"),  # a calendar year is not a financial year: different dates
        ("Jun 24", "monthly", "Jun 2024"),
    ],
)
def test_canonical_for_frequency(label, frequency, canonical):
    period = parse_period(label, frequency)
    same = canonical_for(period, frequency)
    assert same.label == canonical and (same.start, same.end) == (period.start, period.end)


@pytest.mark.parametrize(
    ("today", "limit"),
    [(date(2024, 6, 15), date(2025, 6, 15)), (date(2024, 2, 29), date(2025, 2, 28))],
)
def test_future_limit_is_a_year_after_today(today, limit):
    assert future_limit(today) == limit


def test_order_exprs_sort_like_periods():
    import polars as pl

    labels = ["2024 Q1", "Mar 2024", "2023/24 Q4", "2023/24", "2024", "Jan 2024"]
    parsed = [parse_period(label) for label in labels]
    frame = pl.DataFrame({"period": [p.label for p in parsed], "period_start": [p.start for p in parsed],
                          "period_end": [p.end for p in parsed], "period_kind": [str(p.kind) for p in parsed]})
    assert frame.sort(order_exprs())["period"].to_list() == [p.label for p in sorted(parsed)]


@pytest.mark.parametrize(
    ("label", "frequency", "expected"),
    [
        ("2010-14", None, "multi-year"),
        ("2010-14", "monthly", "multi-year"),
        ("2010-2014", None, "multi-year"),
        ("2009-11", "annual", "multi-year"),
        ("2009-11", "monthly", "Nov 2009"),
        ("2009-11", None, "Nov 2009"),
        ("2015-25", "annual", "multi-year"),  # ten years: still a span
        ("2015-26", None, "months run 1 to 12"),  # eleven: not read as a span
        ("2024/26", None, "not a financial year"),  # a slash names a financial year, mistyped
        ("2018-19", "annual", "2018/19"),
        ("2024-06", "annual", "Jun 2024"),  # June 2024, then refused for the frequency by the checks
    ],
)
def test_multi_year_aggregates_are_named_and_say_how_to_skip_them(label, frequency, expected):
    parsed = try_parse(label, frequency)
    if expected == "multi-year":
        assert isinstance(parsed, PeriodError) and parsed.multi_year
        assert "multi-year aggregate" in parsed.reason and "multi_year_period" in parsed.reason
    elif isinstance(parsed, PeriodError):
        assert expected in parsed.reason and not parsed.multi_year
    else:
        assert parsed.label == expected
