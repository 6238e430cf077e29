"""Each malformed-file class yields a report, not an exception."""

import polars as pl
import pytest

from kpis import ingest

HEADER = "kpi_id,area,period,value,numerator,denominator\n"


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
        ("rtl_uptake,NE,Jun 24,87,300,261", "numerator", "larger than the denominator"),
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
    result = check(demo_store, HEADER + "mmr_5y,City,2099/00 Q1,95,,\n")
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
