import polars as pl
import pytest

from kpis import catalogue as C

GOOD = {"kpi_id": "rtl_uptake", "name": "Uptake of the offer", "unit": "percent", "polarity": "higher_is_better", "frequency": "quarterly"}


def text(*rows: dict[str, str | None]) -> pl.DataFrame:
    columns = list(dict.fromkeys(c for r in rows for c in r))
    frame = pl.DataFrame([{c: r.get(c) for c in columns} for r in rows], schema=dict.fromkeys(columns, pl.String))
    return frame.with_row_index("row", offset=2).with_columns(pl.col("row").cast(pl.Int64))


def test_defaults_fill_what_the_file_leaves_out():
    frame, problems = C.parse(text(GOOD))
    assert problems.height == 0, problems
    row = frame.row(0, named=True)
    assert (row["short_name"], row["rag_basis"], row["green_within"], row["amber_within"], row["decimals"], row["direction_tolerance"]) == (
        "Uptake of the offer", "relative", 2.5, 5.0, 1, 0.0)


@pytest.mark.parametrize(("unit", "decimals"), [("percent", 1), ("count", 0), ("rate", 1), ("number", 1)])
def test_default_decimals_follow_the_unit(unit, decimals):
    frame, _ = C.parse(text(GOOD | {"unit": unit}))
    assert frame["decimals"][0] == decimals


@pytest.mark.parametrize(
    ("change", "column", "problem"),
    [
        ({"unit": "pounds"}, "unit", "Not an accepted unit"),
        ({"polarity": "up"}, "polarity", "Not an accepted polarity"),
        ({"kpi_id": "9lives"}, "kpi_id", "Not a valid kpi_id"),
        ({"target": "lots"}, "target", "target"),
        ({"green_within": "6", "amber_within": "5"}, "amber_within", "amber"),
        ({"decimals": "9"}, "decimals", "decimals is above 6"),
    ],
    ids=["unit", "polarity", "id", "target-not-a-number", "amber-narrower", "decimals"],
)
def test_bad_cells_are_reported(change, column, problem):
    _, problems = C.parse(text(GOOD | change))
    assert problems.filter(pl.col("severity") == "error").height >= 1, problems
    assert any(problem.lower() in p.lower() for p in problems["problem"]), problems["problem"].to_list()


def test_a_repeated_id_is_reported():
    _, problems = C.parse(text(GOOD, GOOD | {"name": "Again"}))
    assert any("appears more than once" in p for p in problems["problem"]), problems


def test_missing_required_columns():
    _, problems = C.parse(text({"kpi_id": "a", "name": "A"}))
    assert problems.height == 1 and "unit, polarity, frequency" in problems["problem"][0]


@pytest.mark.parametrize(("typed", "expected"), [("rtl_uptak", "rtl_uptake"), ("ooa_placement", "ooa_placements"), ("zzz", None)])
def test_suggest(typed, expected):
    assert C.suggest(typed, ["rtl_uptake", "ooa_placements"]) == expected
