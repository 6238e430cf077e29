import pandera.polars as pa
import polars as pl
import pytest

from kpis import schemas, validation


class Tiny(pa.DataFrameModel):
    row: int
    unit: str = pa.Field(isin=schemas.UNITS)
    per: float = pa.Field(nullable=True, gt=0)


def frame(units: list[str], pers: list[float | None]) -> pl.DataFrame:
    return pl.DataFrame({"row": list(range(2, 2 + len(units))), "unit": units, "per": pers},
                        schema={"row": pl.Int64, "unit": pl.String, "per": pl.Float64})


def test_a_valid_frame_has_no_problems():
    assert validation.validate(Tiny, frame(["count", "rate"], [None, 1000.0]), "f.csv").height == 0


def test_every_failure_is_a_row_with_the_value_as_typed():
    raw = pl.DataFrame({"row": [2, 3], "unit": ["count", "Pounds "], "per": ["", "-5"]})
    problems = validation.validate(Tiny, frame(["count", "pounds"], [None, -5.0]), "f.csv", raw=raw)
    assert problems.select("file", "row", "column", "value").sort("column").rows() == [
        ("f.csv", 3, "per", "-5"), ("f.csv", 3, "unit", "Pounds ")]


@pytest.mark.parametrize(
    ("check", "problem", "fix"),
    [
        ("not_nullable", "value is empty", "Fill in value"),
        ("field_uniqueness", "This value appears more than once", "Keep one row per value"),
        ("isin(['a', 'b'])", "Not an accepted value", "Use one of ['a', 'b']"),
        ("str_matches('^x$')", "Not a valid value", "Use lower-case letters, digits and underscores, starting with a letter"),
        ("greater_than_or_equal_to(0)", "value is below 0", "Use a value of at least 0"),
        ("less_than_or_equal_to(6)", "value is above 6", "Use a value of at most 6"),
        ("something_else", "value fails the check something_else", "Correct value"),
    ],
)
def test_generic_words_per_check(check, problem, fix):
    assert validation._generic(check, "value") == (problem, fix)
