import polars as pl
import pytest

from kpis.numbers import parse_number


@pytest.mark.parametrize(("text", "number"), [("87", 87.0), ("87%", 87.0), (" 87 % ", 87.0), ("1,024", 1024.0), ("1,234,567.5", 1234567.5),
                                               ("-3.5", -3.5), ("1,5", None), ("12,34", None), ("abc", None), (None, None)])
def test_parse_number(text, number):
    assert pl.DataFrame({"v": [text]}, schema={"v": pl.String}).select(parse_number("v")).item() == number
