"""Mapping transforms: each step on a small frame with the expected result written out, and every one documented."""

from pathlib import Path

import polars as pl
import pytest

from kpis import layouts, transforms
from kpis import problems as P

README = (Path(__file__).parents[1] / "data" / "README.md").read_text(encoding="utf-8")


def frame(**columns) -> pl.DataFrame:
    height = len(next(iter(columns.values())))
    return pl.DataFrame({"row": list(range(2, height + 2)), **columns}, schema={"row": pl.Int64, **{c: pl.String for c in columns}})


def run(text: pl.DataFrame, steps: list[dict], catalogue=None, areas=None) -> tuple[pl.DataFrame, pl.DataFrame]:
    return transforms.run_steps(text, steps, transforms.Context("export.csv", catalogue, areas))


@pytest.mark.parametrize("name", [*transforms.REGISTRY, *transforms.PERIOD_FORMATS, *transforms.ROW_FILTERS])
def test_every_transform_format_and_filter_is_documented(name):
    assert f"`{name}`" in README, f"data/README.md does not document `{name}`"


def test_every_step_has_its_parameter_check():
    assert all(t.check is not None for t in transforms.STEPS.values())


@pytest.mark.parametrize(
    ("step", "labels", "expected"),
    [
        ({"transform": "period_format", "format": "fy_semicolon_quarter"}, ["2018-19;Q1", "2018-19; Q4", "2018-19"], ["2018/19 Q1", "2018/19 Q4", "2018-19"]),
        ({"transform": "period_format", "format": "calendar_quarter_dash"}, ["2018-Q2", "2018 Q2"], ["2018 Q2", "2018 Q2"]),
        ({"transform": "period_format", "pattern": r"^FY(\d{4})$", "replace": "${1}"}, ["FY2019", "2019"], ["2019", "2019"]),
    ],
)
def test_period_format_rewrites_labels(step, labels, expected):
    out, warnings = run(frame(period=labels), [step])
    assert out["period"].to_list() == expected and warnings.height == 0


@pytest.mark.parametrize(
    ("filter_", "column", "cells", "kept"),
    [
        ("multi_year_period", "period", ["2010-14", "2009-11", "2018-19", "2010-2014", "2018/19", "2024-06"], ["2018-19", "2018/19", "2024-06"]),
        ("blank_value", "value", ["0.9", None, " ", "1"], ["0.9", "1"]),
    ],
)
def test_skip_rows_leaves_out_the_rows_and_counts_them(filter_, column, cells, kept):
    out, warnings = run(frame(**{column: cells}), [{"transform": "skip_rows", "filter": filter_}])
    assert out[column].to_list() == kept
    (warning,) = warnings.iter_rows(named=True)
    assert warning["severity"] == "warning" and warning["problem"].startswith(f"{len(cells) - len(kept)} row(s) left out")


def test_scale_multiplies_only_the_listed_kpis_and_keeps_text_that_is_not_a_number():
    text = frame(kpi_id=["CHN10", "c_l01", "chn10"], value=["0.91", "2.5", "n/a"], numerator=["91", "5", "1"], target=["0.9", None, None])
    out, _ = run(text, [{"transform": "scale", "factor": 100, "kpis": ["chn10"]}])
    assert out["value"].to_list() == ["91", "2.5", "n/a"]
    assert out["target"].to_list() == ["90", None, None]
    assert out["numerator"].to_list() == ["91", "5", "1"]  # numerators are counts: never scaled


def test_scale_by_unit_uses_the_catalogue():
    catalogue = pl.DataFrame({"kpi_id": ["a", "b"], "unit": ["percent", "number"]})
    out, _ = run(frame(kpi_id=["a", "b"], value=["0.5", "0.5"]), [{"transform": "scale", "factor": 100, "unit": "percent"}], catalogue)
    assert out["value"].to_list() == ["50", "0.5"]


AREAS = pl.DataFrame({"area": ["Scotland", "FG1", "FG2", "Angus", "Fife", "Moray"], "code": ["SCO", "FG1", "FG2", "A", "F", "M"],
                      "peer_group": [None, None, None, "FG1", "FG1", "FG2"]})


def test_comparator_columns_become_rows_of_their_areas_once():
    mapping = layouts.Mapping({"Code": "kpi_id", "LA": "area", "Year": "period", "Value": "value"}, steps=[],
                              comparators=[{"area": "Scotland", "value": "Scotland Value"}, {"peer_group": True, "value": "FG Average"}])
    text = frame(code=["k", "k", "k", "k"], la=["Angus", "Fife", "Moray", "Angus"], year=["2019", "2019", "2019", "2020"],
                 value=["1", "2", "3", "4"], scotland_value=["5", "5", "5", None], fg_average=["1.5", "1.5", "3", "4"])
    out, warnings = layouts.transform(text, mapping, areas=AREAS, file="export.csv")
    rows = sorted(zip(out["area"], out["period"], out["value"], strict=True))
    assert rows == sorted([("Angus", "2019", "1"), ("Fife", "2019", "2"), ("Moray", "2019", "3"), ("Angus", "2020", "4"),
                           ("Scotland", "2019", "5"), ("FG1", "2019", "1.5"), ("FG2", "2019", "3"), ("FG1", "2020", "4")])
    assert not [c for c in out.columns if c.startswith("comparator")] and warnings.height == 0


def test_a_comparator_column_missing_from_the_file_is_a_warning():
    mapping = layouts.Mapping({}, comparators=[{"area": "Scotland", "value": "National"}])
    _, warnings = layouts.transform(frame(area=["Angus"], value=["1"]), mapping, areas=AREAS, file="export.csv")
    assert warnings["severity"].to_list() == ["warning"] and "National" in warnings["problem"].item()


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"steps": [{"transform": "shout"}]}, "not one of the transforms"),
        ({"steps": [{"transform": "scale"}]}, "needs 'factor'"),
        ({"steps": [{"transform": "scale", "factor": 0}]}, "needs 'factor'"),
        ({"steps": [{"transform": "period_format", "format": "klingon"}]}, "not a named period format"),
        ({"steps": [{"transform": "period_format", "pattern": "(", "replace": ""}]}, "not a regular expression"),
        ({"steps": [{"transform": "skip_rows", "filter": "odd_rows"}]}, "skip_rows needs 'filter'"),
        ({"steps": {"transform": "scale"}}, "is a list of steps"),
        ({"comparators": [{"area": "Scotland"}]}, "needs 'value'"),
        ({"comparators": [{"value": "National"}]}, "needs 'area'"),
    ],
)
def test_a_bad_step_or_comparator_is_reported_not_raised(raw, fragment):
    problems = layouts.mapping_problems(raw, "bad")
    assert any(fragment in p for p in problems["problem"]), problems["problem"].to_list()
    assert P.has_errors(problems)


def test_a_mapping_with_steps_and_comparators_round_trips_through_json():
    mapping = layouts.Mapping({"Year": "period", "Family Group": "ignore", "Other": "ignore"}, {"C&L01": "c_l01"}, {},
                              [{"transform": "scale", "factor": 100, "kpis": ["chn10"]}], [{"area": "Scotland", "value": "Scotland Value"}])
    assert layouts.Mapping.from_json(mapping.to_json()) == mapping
