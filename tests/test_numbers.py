import polars as pl
import pytest

from kpis.numbers import finite, number_problem, parse_number


@pytest.mark.parametrize(("text", "number"), [("87", 87.0), ("87%", 87.0), (" 87 % ", 87.0), ("1,024", 1024.0), ("1,234,567.5", 1234567.5),
                                               ("-3.5", -3.5), ("1,5", None), ("12,34", None), ("abc", None), (None, None)])
def test_parse_number(text, number):
    assert pl.DataFrame({"v": [text]}, schema={"v": pl.String}).select(parse_number("v")).item() == number


@pytest.mark.parametrize("text", ["nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e309", "-1e309", "1e400%"])
def test_non_finite_numbers_are_not_numbers(text):
    assert pl.DataFrame({"v": [text]}).select(parse_number("v")).item() is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("nan", "'nan' is not a number (NaN)"),
        ("NaN", "'NaN' is not a number (NaN)"),
        ("inf", "'inf' is infinite"),
        ("-Infinity", "'-Infinity' is infinite"),
        ("1e309", "'1e309' is too large to be a figure"),
        ("abc", "'abc' is not a number"),
        ("1,5", "'1,5' is not a number"),
    ],
)
def test_number_problem_says_why(text, problem):
    assert pl.DataFrame({"v": [text]}).select(number_problem("v")).item() == problem


def test_finite_expression_nulls_nan_and_inf():
    frame = pl.DataFrame({"v": [1.0, float("nan"), float("inf"), float("-inf"), None]})
    assert frame.select(finite(pl.col("v")))["v"].to_list() == [1.0, None, None, None, None]
