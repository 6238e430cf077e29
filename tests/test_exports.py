"""Downloads: CSV and Excel read back, integers for whole numbers, one column per area, safe cells, named files."""

import polars as pl
import pytest

from kpis import changes as C
from kpis import exports as E
from kpis import views
from kpis.periods import parse_period

Q1 = parse_period("2024/25 Q1")


@pytest.mark.parametrize(
    ("what", "period", "ext", "parts", "name"),
    [
        ("trend", Q1, "csv", ("mmr_24m",), "trend_mmr_24m_to_2024-25-Q1.csv"),
        ("summary", parse_period("Jun 2024"), "xlsx", ("North West",), "summary_North-West_to_Jun-2024.xlsx"),
        ("What changed", "2024/25 Q1", "csv", (), "what-changed_to_2024-25-Q1.csv"),
        ("catalogue", None, "csv", (), "catalogue.csv"),
    ],
)
def test_file_names_say_what_and_when(what, period, ext, parts, name):
    assert E.file_name(what, period, ext, *parts) == name


def test_prepare_makes_whole_numbers_integers_and_neutralises_formulas():
    frame = pl.DataFrame({"count": [233.0, None], "value": [87.5, 84.0], "text": ["=HYPERLINK(1)", "-2"], "ok": ["a", "b"]})
    out = E.prepare(frame)
    assert out.schema["count"] == pl.Int64 and out["count"].to_list() == [233, None]
    assert out.schema["value"] == pl.Float64
    assert out["text"].to_list() == ["'=HYPERLINK(1)", "'-2"] and out["ok"].to_list() == ["a", "b"]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_download_reads_back_the_same(kind):
    frame = pl.DataFrame({"KPI id": ["a", "b"], "Numerator": [233.0, 12.0], "Value": [87.5, None], "Note": ["=1+1", "@x"]})
    back = E.read_back(E.encode(frame, kind), kind)
    assert back.columns == ["KPI id", "Numerator", "Value", "Note"]
    assert back.rows() == [("a", "233", "87.5", "'=1+1"), ("b", "12", None, "'@x")]


def test_xlsx_text_cells_are_never_formulas():
    from io import BytesIO

    from openpyxl import load_workbook

    ws = load_workbook(BytesIO(E.xlsx_bytes(pl.DataFrame({"x": ["=SUM(A1:A2)"]})))).active
    assert ws["A2"].data_type == "s"


def test_summary_has_one_column_per_area_and_names_beside_ids(demo_store):
    table = E.summary_table(demo_store, Q1, "City")
    assert table.columns[:3] == ["KPI id", "KPI", "Unit"]
    assert {"North East value", "North West value", "South value", "City value", "North West status"} <= set(table.columns)
    back = E.read_back(E.encode(table, "xlsx"), "xlsx")
    rtl = back.filter(pl.col("KPI id") == "rtl_uptake").row(0, named=True)
    assert (rtl["North East value"], rtl["North West value"], rtl["South value"], rtl["North West status"]) == ("87", "84", "89", "Red")
    assert rtl["KPI"] == "Uptake of the Ready to Learn Assessments" and rtl["Unit"] == "percent"


def test_trend_download_has_integer_counts(demo_store):
    history = views.trend(demo_store, ["rtl_uptake"], ["North East"], Q1)
    table = E.trend_table(history, demo_store.catalogue)
    text = E.csv_bytes(table).decode("utf-8-sig")
    back = E.read_back(E.csv_bytes(table), "csv")
    assert ".0," not in text.splitlines()[1]
    assert back.filter(pl.col("Period") == "Jun 2024").select("Numerator", "Denominator", "KPI", "Unit").row(0) == (
        "261", "300", "Uptake of the Ready to Learn Assessments", "percent")


def test_changes_download(demo_store):
    back = E.read_back(E.encode(E.changes_table(C.changes(demo_store, Q1)), "xlsx"), "xlsx")
    aftercare = back.filter(pl.col("KPI id") == "aftercare_eet").row(0, named=True)
    assert (aftercare["Earlier value"], aftercare["Value"], aftercare["Earlier period"], aftercare["Status"]) == ("74", "77", "2023/24 Q4", "Green")


def test_localities_download_has_both_gaps(demo_store):
    frame = views.localities(demo_store, Q1, "City")
    back = E.read_back(E.encode(E.localities_table(frame, "City"), "csv"), "csv")
    nw = back.filter((pl.col("KPI id") == "rtl_uptake") & (pl.col("Area") == "North West")).row(0, named=True)
    assert (nw["Gap to target (+ is better)"], nw["Unit"], nw["KPI"]) == ("-11", "percent", "Uptake of the Ready to Learn Assessments")
    assert "Gap to City" in back.columns and "City value" in back.columns
