import pytest

from conftest import DATA
from kpis import narratives
from kpis.periods import parse_period


def test_demo_narrative_covers_priorities_and_themes(demo_store):
    found, problems = narratives.load_all(DATA / "narratives")
    assert problems == []
    (q1,) = found
    assert q1.period == parse_period("2024/25 Q1")
    assert [s.priority for s in q1.priorities()] == [1, 2, 3, 4, 5, 6]
    for key in narratives.THEMES:
        assert q1.section(key) is not None and q1.section(key).body
    named = {k for s in q1.sections for k in s.kpis}
    assert named <= set(demo_store.catalogue["kpi_id"])
    assert "rtl_uptake" in q1.section("priority_1").kpis
    assert "KPIs:" not in q1.section("priority_1").body


def test_parse_minimal():
    text = "---\nperiod: Q2 2024/25\n---\n## Partnership Priority 2: Voice\nkpis: a, B\nSome *text*.\n## Challenges\n- one\n"
    n = narratives.parse(text)
    assert n.period.label == "2024/25 Q2"
    assert n.section("priority_2").kpis == ("a", "b")
    assert n.section("challenges").body == "- one"


def test_missing_period_is_a_clear_error():
    with pytest.raises(ValueError, match="period"):
        narratives.parse("## Challenges\n- one\n", "x.md")


def test_for_period_takes_the_latest_not_after():
    a = narratives.parse("---\nperiod: 2024/25 Q1\n---\n")
    b = narratives.parse("---\nperiod: 2024/25 Q2\n---\n")
    assert narratives.for_period([a, b], parse_period("2024/25 Q3")) is b
    assert narratives.for_period([a, b], parse_period("Jun 2024")) is a
    assert narratives.for_period([a, b], parse_period("2023/24 Q4")) is None
