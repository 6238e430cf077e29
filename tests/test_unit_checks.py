"""Numerator and denominator checks by unit, and multi-year periods, on small files with the expected problems written out."""

import pytest

from kpis import areas as A
from kpis import catalogue as C
from kpis import ingest, readers

CATALOGUE = b"""kpi_id,name,unit,polarity,frequency,per,decimals
pct,Share,percent,higher_is_better,annual,,1
cost,Cost per visit,number,lower_is_better,annual,1,2
days,Days lost per employee,number,lower_is_better,annual,1,1
rate,Rate per 1000,rate,lower_is_better,annual,1000,1
noper,Rate without per,rate,lower_is_better,annual,,1
count,Referrals,count,higher_is_better,annual,,0
month,Monthly share,percent,higher_is_better,monthly,,1
"""
AREAS = b"area,code,parent\nScotland,SCO,\nAngus,A,Scotland\n"


@pytest.fixture(scope="module")
def tables():
    catalogue, problems = C.parse(readers.read_text_csv(CATALOGUE, "catalogue.csv").frame)
    areas, area_problems = A.parse(readers.read_text_csv(AREAS, "areas.csv").frame)
    assert problems.height == 0 and area_problems.height == 0
    return catalogue, areas


def problems(tables, line: str) -> list[tuple[str, str]]:
    text = readers.read_text_csv(f"kpi_id,area,period,value,numerator,denominator\n{line}\n".encode(), "f.csv").frame
    result = ingest.check_observations(text, *tables, "f.csv")
    return [(r["column"], r["problem"]) for r in result.problems.iter_rows(named=True) if r["severity"] == "error"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("pct,Angus,2019/20,91.0,910,1000", []),
        ("pct,Angus,2019/20,91.0,1000,910", [("numerator", "The numerator of a percentage is larger than its denominator"),
                                             ("value", "The value does not match numerator ÷ denominator")]),
        ("pct,Angus,2019/20,0.91,910,1000", [("value", "The value does not match numerator ÷ denominator")]),
        ("cost,Angus,2019/20,3.25,162500,50000", []),  # a cost per unit: the numerator is far above the denominator
        ("cost,Angus,2019/20,4.25,162500,50000", [("value", "The value does not match numerator ÷ denominator")]),
        ("days,Angus,2019/20,9.1,9100,1000", []),
        ("rate,Angus,2019/20,4.0,400,100000", []),  # per 1,000: 400 / 100,000 × 1,000
        ("rate,Angus,2019/20,0.4,400,100000", [("value", "The value does not match numerator ÷ denominator")]),
        ("noper,Angus,2019/20,123,400,100000", []),  # no `per` in the catalogue: nothing to check the value against
        ("count,Angus,2019/20,12,400,100", []),
    ],
)
def test_fraction_checks_follow_the_unit(tables, line, expected):
    found = problems(tables, line)
    assert [(c, p[: len(e)]) for (c, p), (_, e) in zip(found, expected, strict=False)] == expected and len(found) == len(expected), found


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("pct,Angus,2010-14,90,,", "'2010-14' is a multi-year aggregate (2010 to 2014 together)"),
        ("pct,Angus,2009-11,90,,", "'2009-11' is a multi-year aggregate (2009 to 2011 together)"),
    ],
)
def test_multi_year_periods_are_refused_saying_what_they_are(tables, line, fragment):
    (found,) = problems(tables, line)
    assert found[0] == "period" and found[1].startswith(fragment) and "multi_year_period" in found[1]


def test_the_same_label_is_a_month_for_a_monthly_kpi(tables):
    assert problems(tables, "month,Angus,2009-11,90,,") == []
