import io
import zipfile

import openpyxl
import polars as pl
import pytest

from kpis import layouts
from kpis import publish as pub


def workbook(rows: list[list[object]], sheets: int = 1, percent_cells: tuple[int, int] | None = None) -> bytes:
    book = openpyxl.Workbook()
    for i in range(sheets):
        ws = book.active if i == 0 else book.create_sheet(f"Sheet{i + 1}")
        if i == 0:
            ws.title = "Figures"
        for row in rows if i == 0 else [["kpi_id"], ["nothing"]]:
            ws.append(row)
    if percent_cells:
        book["Figures"].cell(*percent_cells).number_format = "0%"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_excel_first_sheet_is_read_as_text(demo_store):
    from datetime import datetime

    data = workbook([["kpi_id", "area", "period", "value"], ["rtl_uptake", "NE", datetime(2024, 7, 1), 0.88]], sheets=2, percent_cells=(2, 4))
    assert layouts.excel_sheets(data) == ["Figures", "Sheet2"]
    checked = pub.check_upload(pub.Upload("figures.xlsx", data), demo_store)
    assert checked.valid, checked.problems
    row = checked.frame.row(0, named=True)
    assert (row["period"], row["value"]) == ("Jul 2024", 88.0)  # a month-start date is that month; a % cell is a percentage


def test_excel_sheet_choice(demo_store):
    data = workbook([["kpi_id", "area", "period", "value"], ["rtl_uptake", "NE", "Jul 24", 88]], sheets=2)
    checked = pub.check_upload(pub.Upload("figures.xlsx", data, sheet="Sheet2"), demo_store)
    assert not checked.valid and "Missing required column" in checked.problems["problem"][0]
    missing = pub.check_upload(pub.Upload("figures.xlsx", data, sheet="Nope"), demo_store)
    assert "no sheet named 'Nope'" in missing.problems["problem"][0]


def test_zip_bomb_is_refused(demo_store):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (300 * 2**20))
    checked = pub.check_upload(pub.Upload("bomb.xlsx", out.getvalue()), demo_store)
    assert not checked.valid and "unpack" in checked.problems["problem"][0]


def test_not_a_workbook(demo_store):
    checked = pub.check_upload(pub.Upload("x.xlsx", b"PK\x03\x04garbage"), demo_store)
    assert not checked.valid and checked.frame.height == 0


def test_the_reports_wide_layout(demo_store):
    wide = (b"KPI,Period,NE,NW,S,City\n"
            b"Uptake of the Ready to Learn Assessments,Jul 24,88%,85%,90%,\n"
            b"hwc_referrals,Q2 2024/25,,,,812\n")
    checked = pub.check_upload(pub.Upload("report.csv", wide), demo_store)
    assert checked.valid, checked.problems
    assert checked.layout == "wide"
    got = {(r["kpi_id"], r["area"]): r["value"] for r in checked.frame.iter_rows(named=True)}
    assert got == {("rtl_uptake", "North East"): 88.0, ("rtl_uptake", "North West"): 85.0, ("rtl_uptake", "South"): 90.0,
                   ("hwc_referrals", "City"): 812.0}


def test_mapping_renames_columns_and_codes(demo_store, tmp_path):
    export = b"Indicator,Locality,Month,Rate\nRTL01,L-NE,2024-07,88\n"
    mapping = layouts.Mapping({"Indicator": "kpi_id", "Locality": "area", "Month": "period", "Rate": "value"},
                              {"RTL01": "rtl_uptake"}, {"L-NE": "North East"})
    layouts.save_mapping(tmp_path, "health visiting", mapping)
    assert layouts.list_mappings(tmp_path) == ["health visiting"]
    loaded = layouts.load_mapping(tmp_path, "health visiting")
    checked = pub.check_upload(pub.Upload("export.csv", export), demo_store, loaded)
    assert checked.valid, checked.problems
    assert checked.frame.select("kpi_id", "area", "period", "value").row(0) == ("rtl_uptake", "North East", "Jul 2024", 88.0)


@pytest.mark.parametrize("name", ["../etc/passwd", "a/b", "", ".hidden", "x" * 80])
def test_mapping_names_never_become_paths(tmp_path, name):
    with pytest.raises(ValueError):
        layouts.mapping_path(tmp_path, name)


def test_code_lines():
    assert layouts.parse_code_lines("A = rtl_uptake\nB, mmr_5y\n\nnonsense\n") == {"A": "rtl_uptake", "B": "mmr_5y"}
    assert layouts.parse_code_lines(layouts.code_lines({"X": "y"})) == {"X": "y"}


def test_apply_mapping_keeps_unmapped_columns():
    text = pl.DataFrame({"row": [2], "kpi": ["a"], "note": ["n"]})
    out = layouts.apply_mapping(text, layouts.Mapping({"KPI": "kpi_id"}))
    assert out.columns == ["row", "kpi_id", "note"]


def test_headers_read_only_the_first_row():
    assert layouts.headers(b"Indicator, Locality ,Month\nx,y,z\n", "a.csv") == ["indicator", "locality", "month"]
    assert layouts.headers(workbook([["KPI", "NE"], ["x", 1]]), "a.xlsx") == ["kpi", "ne"]
    assert layouts.headers(b"PK\x03\x04junk", "a.xlsx") == []


def test_wide_layout_warns_about_a_column_that_is_not_an_area(demo_store):
    checked = pub.check_upload(pub.Upload("report.csv", b"KPI,Period,NE,Atlantis\nrtl_uptake,Jul 24,88,90\n"), demo_store)
    assert checked.valid and checked.frame.height == 1
    (warning,) = checked.problems.to_dicts()
    assert (warning["severity"], warning["column"]) == ("warning", "atlantis") and "not an area" in warning["problem"]
