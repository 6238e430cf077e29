"""Time ranges for trends and the grouped period chooser."""

import polars as pl
import pytest

from kpis import ranges as R
from kpis.periods import parse_period

Q1 = parse_period("2024/25 Q1")  # Apr–Jun 2024


@pytest.mark.parametrize(("key", "kept"), [
    ("12m", ["Jul 2023", "Jun 2024"]),
    ("3y", ["Jul 2021", "Jun 2024"]),
    ("all", ["Jun 2021", "Jun 2024"]),
    ("nonsense", ["Jul 2021", "Jun 2024"]),  # an unknown key is the default range
])
def test_in_range_keeps_periods_starting_within_it(key, kept):
    labels = ["Jun 2021", "Jul 2021", "Jun 2023", "Jul 2023", "Jun 2024"]
    frame = pl.DataFrame({"period": labels, "period_start": [parse_period(x).start for x in labels]})
    out = R.in_range(frame, Q1, key)["period"].to_list()
    assert [out[0], out[-1]] == kept


def test_in_range_of_the_demo_trend(demo_store):
    from kpis import views

    history = views.trend(demo_store, ["aftercare_eet"], ["City"], Q1, intervals=False)
    assert R.in_range(history, Q1, "12m")["period"].to_list() == ["2023/24 Q2", "2023/24 Q3", "2023/24 Q4", "2024/25 Q1"]


def test_grouped_by_kind_latest_first():
    periods = [parse_period(x) for x in ["May 2024", "2023/24 Q4", "Jun 2024", "2024/25 Q1", "2023/24"]]
    assert [R.option_label(p) for p in R.grouped(periods)] == [
        "Quarter · 2024/25 Q1", "Quarter · 2023/24 Q4", "Month · Jun 2024", "Month · May 2024", "Year · 2023/24"]
