import polars as pl
import pytest

from kpis import areas as A


def text(rows: list[dict[str, str | None]]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema={"area": pl.String, "code": pl.String, "parent": pl.String})
    return frame.with_row_index("row", offset=2).with_columns(pl.col("row").cast(pl.Int64))


CITY = [
    {"area": "City", "code": "CITY", "parent": None},
    {"area": "North East", "code": "NE", "parent": "City"},
    {"area": "South", "code": "S", "parent": "City"},
]


def test_a_good_list_has_no_problems_and_keeps_its_tree():
    areas, problems = A.parse(text(CITY))
    assert problems.height == 0
    assert A.roots(areas) == ["City"]
    assert A.children(areas, "City") == ["North East", "South"]
    assert A.children(areas, "South") == []
    assert A.code_of(areas) == {"City": "CITY", "North East": "NE", "South": "S"}


@pytest.mark.parametrize(
    ("rows", "column", "problem"),
    [
        ([*CITY, {"area": "West", "code": "W", "parent": "Nowhere"}], "parent", "The parent is not an area in this file"),
        ([*CITY, {"area": "South", "code": "S2", "parent": "City"}], "area", "appears more than once"),
        ([*CITY, {"area": None, "code": "X", "parent": "City"}], "area", "is empty"),
    ],
    ids=["undeclared-parent", "repeated-area", "empty-area"],
)
def test_bad_rows_are_reported_on_their_row(rows, column, problem):
    _, problems = A.parse(text(rows))
    found = problems.filter(pl.col("column") == column)
    assert found.height >= 1, problems
    assert problem in found["problem"][0]
    assert len(rows) + 1 in found["row"].to_list()  # the spreadsheet row of the last line: header is row 1


def test_missing_columns_are_one_file_problem():
    _, problems = A.parse(pl.DataFrame({"row": [2], "area": ["City"]}))
    assert problems.height == 1 and "code" in problems["problem"][0]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("north east", "North East"), ("ne", "North East"), ("s", "South"), ("city", "City")],
)
def test_lookup_takes_lower_cased_names_and_codes(typed, expected):
    areas, _ = A.parse(text(CITY))
    assert A.lookup(areas)[typed] == expected


@pytest.mark.parametrize(("rows", "expected"), [
    ([("North East", "City"), ("City", None)], "City"),  # the top-level area, wherever it is listed
    ([("North East", "Nowhere")], "North East"),  # no top-level area: the first listed
    ([], None),
])
def test_a_visit_starts_on_the_top_level_area(rows, expected):
    frame = pl.DataFrame({"area": [r[0] for r in rows], "parent": [r[1] for r in rows]}, schema={"area": pl.String, "parent": pl.String})
    assert A.default_area(frame) == expected
