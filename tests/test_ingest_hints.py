"""Warnings for likely mistakes: a column name close to one the board reads, percentages given as fractions,
formulas and Excel errors where a figure should be."""

import pytest

from kpis import ingest

HEADER = "kpi_id,area,period,value"


def check(demo_store, text: str):
    return ingest.check_file("upload.csv", text.encode(), demo_store.catalogue, demo_store.areas)


def rows_of(result) -> list[tuple]:
    return [(r["row"], r["column"], r["severity"], r["problem"]) for r in result.problems.iter_rows(named=True)]


@pytest.mark.parametrize(
    ("column", "meant"),
    [("numerater", "numerator"), ("denominatr", "denominator"), ("taget", "target"), ("Notes", "note")],
)
def test_a_column_close_to_a_known_one_is_a_warning(demo_store, column, meant):
    result = check(demo_store, f"{HEADER},{column}\nrtl_uptake,NE,Jul 24,88,5\n")
    assert result.valid and result.frame.height == 1
    assert rows_of(result) == [(None, column.lower(), "warning", f"The column '{column.lower()}' is not one the board reads: did you mean '{meant}'?")]


def test_no_suggestion_for_a_column_the_file_already_has_or_an_unrelated_one(demo_store):
    result = check(demo_store, f"{HEADER},numerator,numerators,source_system\nrtl_uptake,NE,Jul 24,88,,,x\n")
    assert rows_of(result) == []


def test_a_missing_required_column_names_the_likely_misspelling(demo_store):
    result = check(demo_store, "kpi_id,area,period,valeu\nrtl_uptake,NE,Jul 24,88\n")
    assert sorted((r[2], r[3]) for r in rows_of(result)) == [
        ("error", "Missing required column(s): value"),
        ("warning", "The column 'valeu' is not one the board reads: did you mean 'value'?"),
    ]


@pytest.mark.parametrize(
    ("values", "warned"),
    [
        (["0.87", "0.8"], True),  # every figure within 0–1: fractions
        (["0.87", "1"], True),
        (["0.87", "84"], False),  # one real percentage: no pattern
        (["0", "1"], False),  # 0% and 100% are plausible percentages
        (["87", "84"], False),
    ],
)
def test_a_percentage_kpi_given_as_fractions_is_a_warning(demo_store, values, warned):
    rows = "".join(f"rtl_uptake,{area},Jul 24,{v}\n" for area, v in zip(["NE", "NW"], values, strict=True))
    result = check(demo_store, f"{HEADER}\n{rows}")
    fractions = [r for r in rows_of(result) if "look like fractions" in r[3]]
    assert fractions == ([(2, "value", "warning", "Every value of the percentage KPI 'rtl_uptake' in this file lies within 0–1: they look like fractions")]
                         if warned else [])
    assert result.valid


def test_fractions_are_not_warned_for_a_count(demo_store):
    result = check(demo_store, f"{HEADER}\nooa_placements,City,2024/25 Q1,0.5\n")
    assert not [r for r in rows_of(result) if "fractions" in r[3]]


@pytest.mark.parametrize(
    ("cell", "column", "problem"),
    [
        ("=A1+2", "value", "The cell holds a formula with no saved value, not a figure: '=A1+2'"),
        ("#DIV/0!", "value", "'#DIV/0!' is an Excel error, not a figure"),
        ("#N/A", "value", "'#N/A' is an Excel error, not a figure"),
    ],
)
def test_a_formula_or_excel_error_is_named_instead_of_not_a_number(demo_store, cell, column, problem):
    result = check(demo_store, f"{HEADER}\nrtl_uptake,NE,Jul 24,{cell}\n")
    assert rows_of(result) == [(2, column, "error", problem)]
    assert result.frame.height == 0


def test_a_formula_in_the_kpi_column_replaces_unknown_kpi(demo_store):
    result = check(demo_store, f"{HEADER}\n=HYPERLINK(\"x\"),NE,Jul 24,88\n")
    assert rows_of(result) == [(2, "kpi_id", "error", "The cell holds a formula with no saved value, not a figure: '=HYPERLINK(\"x\")'")]
