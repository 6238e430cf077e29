import polars as pl
import pytest

from kpis import problems as P


@pytest.mark.parametrize(("cell", "safe"), [("=SUM(A1)", "'=SUM(A1)"), ("+44 1234", "'+44 1234"), ("-2", "'-2"), ("@cmd", "'@cmd"),
                                            ("\tx", "'\tx"), ("plain", "plain"), ("a=b", "a=b")])
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(cell, safe):
    out = P.neutralise_csv_cells(pl.DataFrame({"text": [cell], "number": [-2.0]}))
    assert out["text"].item() == safe
    assert out["number"].item() == -2.0  # numbers are numbers, not formulas


def test_combine_orders_file_problems_first_then_rows():
    rows = P.row_problems(pl.DataFrame({"row": [5, 3]}), "f.csv", pl.lit(True), "value", pl.lit("x"), "bad", "fix")
    combined = P.combine([rows, P.file_problem("f.csv", "whole file", "fix")])
    assert combined["row"].to_list() == [None, 3, 5]
    assert P.has_errors(combined)
    assert not P.has_errors(P.empty())


@pytest.mark.parametrize(
    ("severities", "errors"),
    [([], 0), (["warning"], 0), (["error"], 1), (["error", "warning", "error"], 2)],
)
def test_error_count(severities, errors):
    problems = pl.DataFrame({"severity": severities}, schema={"severity": pl.String})
    assert P.error_count(problems) == errors
    assert P.has_errors(problems) is (errors > 0)
