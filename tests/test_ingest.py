"""Each malformed-file class yields a report, not an exception."""

from datetime import date

import polars as pl
import pytest

from kpis import ingest

HEADER = "kpi_id,area,period,value,numerator,denominator\n"
TODAY = date(2024, 6, 15)


def check(demo_store, text: str | bytes, name: str = "upload.csv"):
    data = text.encode() if isinstance(text, str) else text
    return ingest.check_file(name, data, demo_store.catalogue, demo_store.areas)


def problems_of(result) -> list[tuple]:
    return [(r["row"], r["column"], r["problem"]) for r in result.problems.iter_rows(named=True)]


def test_clean_file_passes(demo_store):
    result = check(demo_store, HEADER + "rtl_uptake,NE,Jul 24,88,264,300\nmmr_24m,City,2024/25 Q1,91.5,,\n")
    assert result.valid and result.problems.height == 0
    assert result.frame.height == 2
    assert result.frame.filter(pl.col("kpi_id") == "rtl_uptake")["area"].item() == "North East"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "The file is empty"),
        (b"   \n  ", "The file is empty"),
        (HEADER.encode(), "header but no data rows"),
        (b"PK\x03\x04rest-of-zip", "Excel workbook"),
        (b"\x00\x01\x02\x03binary", "binary data"),
        (b"%PDF-1.7", "PDF"),
        (b"kpi_id,area\nrtl_uptake,NE\n", "Missing required column(s): period, value"),
        (b"kpi_id,area,period,value,value\nrtl_uptake,NE,Jun 24,87,88\n", "appears twice"),
    ],
)
def test_file_level_problems(demo_store, content, expected):
    result = check(demo_store, content)
    assert not result.valid
    assert result.frame.height == 0
    first = result.problems.row(0, named=True)
    assert first["row"] is None and expected in first["problem"], first


@pytest.mark.parametrize(
    ("line", "column", "fragment"),
    [
        ("rtl_uptak,NE,Jun 24,87,,", "kpi_id", "Unknown KPI id 'rtl_uptak'"),
        (",NE,Jun 24,87,,", "kpi_id", "empty"),
        ("rtl_uptake,Nowhere,Jun 24,87,,", "area", "Unknown area 'Nowhere'"),
        ("rtl_uptake,NE,2024 Q5,87,,", "period", "Q5"),
        ("rtl_uptake,NE,,87,,", "period", "empty"),
        ("rtl_uptake,NE,Jun 24,abc,,", "value", "'abc' is not a number"),
        ("rtl_uptake,NE,Jun 24,\"1,5\",,", "value", "is not a number"),
        ("rtl_uptake,NE,Jun 24,,,", "value", "The value is empty"),
        ("rtl_uptake,NE,Jun 24,101,,", "value", "outside 0–100"),
        ("ooa_placements,City,2024/25 Q1,-1,,", "value", "A count below zero"),
        ("rtl_uptake,NE,Jun 24,87,300,261", "numerator", "larger than its denominator"),
        ("rtl_uptake,NE,Jun 24,50,261,300", "value", "does not match numerator"),
        ("rtl_uptake,NE,Jun 24,87,-1,300", "numerator", "negative"),
        ("rtl_uptake,NE,Jun 24,87,0,0", "denominator", "zero or negative"),
        ("rtl_uptake,NE,2024/25 Q1,87,,", "period", "does not fit the KPI's frequency"),
        ("mmr_24m,City,Jun 24,90,,", "period", "does not fit the KPI's frequency"),
    ],
)
def test_row_problems_name_row_column_problem_and_fix(demo_store, line, column, fragment):
    result = check(demo_store, HEADER + "mmr_5y,City,2024/25 Q1,95,,\n" + line + "\n")
    assert not result.valid
    rows = [r for r in result.problems.iter_rows(named=True) if r["column"] == column and fragment in r["problem"]]
    assert rows, problems_of(result)
    assert rows[0]["row"] == 3  # header is row 1, the good line row 2
    assert rows[0]["fix"]
    assert result.frame.height == 1  # the good line still parses


def test_unknown_kpi_suggests_the_closest_id(demo_store):
    result = check(demo_store, HEADER + "mmr_24mo,City,2024/25 Q1,90,,\n")
    assert "Did you mean 'mmr_24m'?" in result.problems["fix"][0]


def test_duplicate_keys_with_different_values_are_errors_and_repeats_warnings(demo_store):
    result = check(demo_store, HEADER + "rtl_uptake,NE,Jun 24,87,,\nrtl_uptake,North East,2024-06,88,,\nmmr_5y,City,Q1 2024/25,95,,\nmmr_5y,city,2024/25 Q1,95,,\n")
    found = {(r["row"], r["severity"], r["problem"]) for r in result.problems.iter_rows(named=True)}
    assert (3, "error", "The same KPI, area and period as row 2 with a different value") in found
    assert (5, "warning", "Repeats row 4") in found


def test_normalisation(demo_store):
    text = "\ufeff KPI_ID , Area ,PERIOD, Value ,,\r\nhwc_referrals, city ,Q1 2024/25,\"1,024\",,\r\n,,,,,\r\nrtl_uptake,nw,Jun-24,84%,,\r\n"
    result = check(demo_store, text)
    assert result.valid, problems_of(result)
    frame = ingest.as_text(result.frame).sort("kpi_id")
    assert frame["value"].to_list() == [1024.0, 84.0]
    assert frame["area"].to_list() == ["City", "North West"]
    assert frame["period"].to_list() == ["2024/25 Q1", "Jun 2024"]


def test_windows_1252(demo_store):
    text = "kpi_id,area,period,value,note\nrtl_uptake,NE,Jun 24,87,Children’s note – café\n".encode("cp1252")
    result = check(demo_store, text)
    assert result.valid
    assert result.frame["note"].item() == "Children’s note – café"


def test_row_numbers_count_blank_lines(demo_store):
    result = check(demo_store, HEADER + "mmr_5y,City,2024/25 Q1,95,,\n\n\nrtl_uptake,NE,Jun 24,x,,\n")
    assert result.problems.row(0, named=True)["row"] == 5


def test_warnings_do_not_block(demo_store):
    result = ingest.check_file("x.csv", (HEADER + "mmr_5y,City,2024/25 Q2,95,,\n").encode(), demo_store.catalogue, demo_store.areas, TODAY)
    assert result.valid
    assert result.problems["severity"].to_list() == ["warning"]
    assert "not started" in result.problems["problem"][0]


def test_trailing_empty_columns_and_rows_are_dropped(demo_store):
    result = check(demo_store, "kpi_id,area,period,value,,,\nmmr_5y,City,2024/25 Q1,95,,,\n,,,,,,\n,,,,,,\n")
    assert result.valid and result.problems.height == 0 and result.frame.height == 1


def test_a_big_mixed_file_reports_every_problem(demo_store):
    good = "mmr_5y,City,2024/25 Q1,95,,\n"
    bad = "mmr_5y,Nowhere,2024/25 Q1,95,,\n"
    result = check(demo_store, HEADER + good + bad * 50)
    assert result.problems.height == 50
    assert result.problems["row"].to_list() == list(range(3, 53))


def test_ambiguous_label_is_settled_by_the_kpi_frequency(demo_store):
    result = check(demo_store, HEADER + "rtl_uptake,NE,2011-12,87,,\nmmr_5y,City,2011-12,95,,\n")
    periods = dict(zip(result.frame["kpi_id"], result.frame["period"], strict=True))
    assert periods == {"rtl_uptake": "Dec 2011"}  # monthly KPI: a month
    problem = result.problems.row(0, named=True)
    assert problem["row"] == 3 and "could be a month or the financial year" in problem["problem"]  # quarterly KPI: neither fits


def test_a_kpi_without_target_warns_once(demo_store):
    catalogue = demo_store.catalogue.with_columns(pl.when(pl.col("kpi_id") == "mmr_5y").then(None).otherwise(pl.col("target")).alias("target"))
    result = ingest.check_file("x.csv", (HEADER + "mmr_5y,City,2024/25 Q1,95,,\nmmr_5y,City,2024/25 Q2,96,,\n").encode(), catalogue, demo_store.areas)
    assert result.valid
    assert result.problems.select("row", "severity", "problem").rows() == [(2, "warning", "This KPI has no target, so it will be shown without a RAG status")]


def test_quoted_empty_cells_are_empty(demo_store):
    result = check(demo_store, 'kpi_id,area,period,value,numerator,denominator,note\n"mmr_5y","City","2024/25 Q1","95","","",""\n')
    assert result.valid and result.problems.height == 0
    assert result.frame["numerator"].to_list() == [None]


# Finite numbers only: NaN, infinity and overflowing figures are errors that name row, column, problem and fix.
@pytest.mark.parametrize(
    ("line", "column", "problem"),
    [
        ("rtl_uptake,NE,Jun 24,nan,,", "value", "'nan' is not a number (NaN)"),
        ("rtl_uptake,NE,Jun 24,NaN,,", "value", "'NaN' is not a number (NaN)"),
        ("rtl_uptake,NE,Jun 24,inf,,", "value", "'inf' is infinite"),
        ("hwc_referrals,City,2024/25 Q1,1e309,,", "value", "'1e309' is too large to be a figure"),
        ("rtl_uptake,NE,Jun 24,87,nan,300", "numerator", "'nan' is not a number (NaN)"),
        ("rtl_uptake,NE,Jun 24,87,261,inf", "denominator", "'inf' is infinite"),
    ],
)
def test_non_finite_figures_are_errors(demo_store, line, column, problem):
    result = check(demo_store, HEADER + "mmr_5y,City,2024/25 Q1,95,,\n" + line + "\n")
    assert not result.valid
    found = [r for r in result.problems.iter_rows(named=True) if r["column"] == column and r["problem"] == problem]
    assert found and found[0]["row"] == 3 and found[0]["severity"] == "error" and "finite" in found[0]["fix"], problems_of(result)
    assert result.frame.height == 1
    assert result.frame["value"].is_finite().all()


@pytest.mark.parametrize("target", ["nan", "NaN", "inf", "-inf", "1e309"])
def test_non_finite_row_targets_are_errors(demo_store, target):
    result = check(demo_store, "kpi_id,area,period,value,target\nrtl_uptake,NE,Jun 24,99," + target + "\n")
    assert not result.valid
    assert [(r["row"], r["column"]) for r in result.problems.iter_rows(named=True)] == [(2, "target")]
    assert result.frame.height == 0


@pytest.mark.parametrize(("column", "target"), [("target", "nan"), ("target", "inf"), ("target", "1e309"),
                                               ("green_within", "NaN"), ("direction_tolerance", "inf"), ("per", "-inf")])
def test_non_finite_catalogue_numbers_are_errors(column, target):
    from kpis import catalogue

    text = pl.DataFrame({"row": [2], "kpi_id": ["k"], "name": ["K"], "unit": ["percent"], "polarity": ["higher_is_better"],
                         "frequency": ["monthly"], column: [target]})
    _, problems = catalogue.parse(text)
    rows = [(r["row"], r["column"], r["severity"]) for r in problems.iter_rows(named=True)]
    assert rows == [(2, column, "error")], problems
    assert "finite" in problems["fix"][0] and target in problems["problem"][0]


# Periods: one key per dates, future periods, years out of range.
def test_calendar_and_financial_quarters_are_one_key(demo_store):
    result = check(demo_store, HEADER + "mmr_5y,City,2024 Q1,95,,\nmmr_5y,City,2023/24 Q4,96,,\n")
    assert not result.valid
    found = {(r["row"], r["severity"], r["problem"]) for r in result.problems.iter_rows(named=True)}
    assert (3, "error", "The same KPI, area and period as row 2 with a different value") in found


def test_calendar_quarter_is_stored_as_the_financial_one(demo_store):
    result = check(demo_store, HEADER + "mmr_5y,City,2025 Q1,95,,\nmmr_5y,City,2024/25 Q4,95,,\nmmr_5y,City,Q3 2024,94,,\n")
    assert result.valid
    assert [(r["row"], r["problem"]) for r in result.problems.iter_rows(named=True)] == [(3, "Repeats row 2")]
    frame = ingest.as_text(result.frame)
    assert frame.select("period", "period_kind").rows() == [("2024/25 Q4", "fy_quarter"), ("2024/25 Q2", "fy_quarter")]


@pytest.mark.parametrize(
    ("period", "severity"),
    [
        ("2024/25 Q2", "warning"),  # starts next month: not started yet
        ("Jun 2025", "warning"),  # starts within a year of today
        ("Jul 2025", "error"),  # starts more than a year after today
        ("9999 Q4", "error"),
        ("Jun 99", None),  # June 1999, a past period
    ],
)
def test_future_periods(demo_store, period, severity):
    kpi = "mmr_5y" if "Q" in period else "rtl_uptake"
    area = "City" if kpi == "mmr_5y" else "NE"
    result = ingest.check_file("x.csv", f"{HEADER}{kpi},{area},{period},95,,\n".encode(), demo_store.catalogue, demo_store.areas, TODAY)
    assert result.problems["severity"].to_list() == ([severity] if severity else []), problems_of(result)
    assert result.frame.height == (0 if severity == "error" else 1)


@pytest.mark.parametrize("period", ["0000", "Jan 0000", "0000 Q1", "10000", "9999/00 Q4", "0001"])
def test_years_out_of_range_are_problem_rows(demo_store, period):
    result = check(demo_store, HEADER + f"mmr_5y,City,{period},95,,\n")
    assert not result.valid
    assert problems_of(result)[0][:2] == (2, "period"), problems_of(result)


def test_schemas_reject_non_finite_figures_that_reach_them():
    """Parsing already turns NaN and infinity into problems; the schemas say the same, as a declaration."""
    from kpis.schemas import ObservationModel

    frame = pl.DataFrame({"row": [2, 3], "value": [float("nan"), 1.0], "numerator": [None, float("inf")],
                          "denominator": [None, None], "target": [None, None]})
    with pytest.raises(Exception, match="figures_finite"):
        ObservationModel.validate(frame.with_columns(
            *(pl.lit(None, t).alias(c) for c, t in {"kpi_id": pl.String, "area": pl.String, "period": pl.String,
                                                     "period_start": pl.Date, "period_end": pl.Date, "period_kind": pl.String,
                                                     "note": pl.String, "unit": pl.String, "frequency": pl.String,
                                                     "decimals": pl.Int64}.items())), lazy=True)


def test_same_dates_across_files_are_a_revision(demo_store):
    from kpis import store

    older = check(demo_store, HEADER + "mmr_5y,City,2025 Q1,95,,\n", "older.csv")
    newer = check(demo_store, HEADER + "mmr_5y,City,2024/25 Q4,96,,\n", "newer.csv")
    current, revisions = store.reconcile([ingest.as_text(older.frame), ingest.as_text(newer.frame)])
    assert current.select("period", "value").rows() == [("2024/25 Q4", 96.0)]
    assert revisions.select("period", "value").rows() == [("2024/25 Q4", 95.0)]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("mmr_24m,S,2024/25 Q1,50,50,", [(2, "denominator", "numerator without denominator", "warning")]),
        ("mmr_24m,S,2024/25 Q1,50,,100", [(2, "numerator", "denominator without numerator", "warning")]),
        ("mmr_24m,S,2024/25 Q1,50,50,100", []),
        ("ooa_placements,S,2024/25 Q1,14,14,", []),  # a count needs no denominator
    ],
)
def test_half_a_fraction_warns(demo_store, line, expected):
    result = check(demo_store, HEADER + line + "\n")
    assert [(r["row"], r["column"], r["problem"], r["severity"]) for r in result.problems.iter_rows(named=True)] == expected
    assert result.valid and result.frame.height == 1
