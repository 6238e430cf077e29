import io
import re
import zipfile

import openpyxl
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpis import layouts
from kpis import problems as P
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


HEADER = ["kpi_id", "area", "period", "value"]


def rezip(data: bytes, edits: dict[str, bytes]) -> bytes:
    """The workbook with some parts replaced or added."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in source.namelist():
            archive.writestr(name, edits.get(name, source.read(name)))
        for name in set(edits) - set(source.namelist()):
            archive.writestr(name, edits[name])
    return out.getvalue()


def sheet_xml(data: bytes) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")


GOOD_BOOK = workbook([HEADER, ["rtl_uptake", "NE", "Jul 24", 88]])
LAUGHS = (b'<!DOCTYPE lolz [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
          b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>')


@pytest.mark.parametrize(
    ("part", "content"),
    [
        ("xl/worksheets/sheet1.xml", b"<!DOCTYPE worksheet>" + sheet_xml(GOOD_BOOK).replace(b"<t>NE</t>", b"<t>&ne;</t>")),  # undefined entity
        ("xl/worksheets/sheet1.xml", LAUGHS + sheet_xml(GOOD_BOOK)),  # billion laughs
        ("xl/workbook.xml", b'<!DOCTYPE w [<!ENTITY s "Sheet">]>' + zipfile.ZipFile(io.BytesIO(GOOD_BOOK)).read("xl/workbook.xml")),
        ("xl/sharedStrings.xml", b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY e SYSTEM "file:///etc/passwd">]><sst>&e;</sst>'),
        ("xl/worksheets/sheet1.xml", b"\xff\xfe" + (LAUGHS + sheet_xml(GOOD_BOOK)).decode().encode("utf-16-le")),
    ],
    ids=["undefined-entity", "billion-laughs", "workbook-part", "shared-strings", "utf-16-part"],
)
def test_a_workbook_declaring_a_dtd_is_refused_before_parsing(demo_store, part, content, monkeypatch):
    import openpyxl

    def no_parsing(*args, **kwargs):
        raise AssertionError("openpyxl was given a workbook with a DTD")

    monkeypatch.setattr(openpyxl, "load_workbook", no_parsing)
    checked = pub.check_upload(pub.Upload("dtd.xlsx", rezip(GOOD_BOOK, {part: content})), demo_store)
    (problem,) = checked.problems.to_dicts()
    assert not checked.valid and checked.frame.height == 0
    assert f"part '{part}' declares a DTD or entities" in problem["problem"], problem


def test_a_formula_without_a_saved_value_is_named(demo_store):
    data = workbook([HEADER, ["rtl_uptake", "NE", "Jul 24", "=SUM(B5:B6)"], ["rtl_uptake", "NW", "Jul 24", 85]])
    checked = pub.check_upload(pub.Upload("formula.xlsx", data), demo_store)
    assert [(p["row"], p["column"], p["problem"]) for p in checked.problems.to_dicts()] == [
        (2, "value", "The cell holds a formula with no saved value, not a figure: '=SUM(B5:B6)'")]
    assert "paste them back as values" in checked.problems["fix"][0]


def test_a_formula_with_a_saved_value_is_read_as_that_value_in_one_pass(monkeypatch):
    import openpyxl

    data = workbook([HEADER, ["rtl_uptake", "NE", "Jul 24", "=80+8"]])
    cached = rezip(data, {"xl/worksheets/sheet1.xml": re.sub(rb"<f>80\+8</f>(<v ?/>|<v></v>)", b"<f>80+8</f><v>88</v>", sheet_xml(data))})
    loads = []
    real = openpyxl.load_workbook
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: loads.append(k["data_only"]) or real(*a, **k))
    assert layouts.read_excel(cached, "formula.xlsx").frame["value"].to_list() == ["88"]
    assert loads == [True]  # the formulas' text is read only when some result is missing
    assert layouts.read_excel(data, "formula.xlsx").frame["value"].to_list() == ["=80+8"]
    assert loads == [True, True, False]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 100,
         "This workbook is password-protected"),
        (GOOD_BOOK[: len(GOOD_BOOK) // 2], "The workbook is damaged or not a real .xlsx"),
        (rezip(GOOD_BOOK, {"xl/worksheets/sheet1.xml": sheet_xml(GOOD_BOOK)[:300]}), "The workbook is damaged or not a real .xlsx"),
    ],
    ids=["encrypted", "truncated-zip", "truncated-sheet"],
)
def test_encrypted_and_damaged_workbooks_are_named(demo_store, data, expected):
    checked = pub.check_upload(pub.Upload("book.xlsx", data), demo_store)
    assert not checked.valid and checked.problems["problem"][0].startswith(expected), checked.problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"columns": {"Indicator": 5}}', "In 'columns', 'Indicator' maps to 5, which is not a name"),
        ('{"columns": {"Rate": "value", "Percent": "value"}}', "2 columns map to 'value': 'Rate', 'Percent'"),
        ('{"columns": {"Rate": "valeu"}}', "'Rate' maps to 'valeu', which is not a column the board reads: did you mean 'value'?"),
        ('{"colums": {}}', "The mapping has an unknown section 'colums': did you mean 'columns'?"),
        ('{"columns": []}', "'columns' is not an object of names"),
        ("[1]", "The mapping is a JSON list, not an object"),
        ("{nope", "The mapping is not valid JSON"),
    ],
)
def test_a_broken_mapping_is_a_report(tmp_path, text, expected):
    (tmp_path / "mappings").mkdir()
    (tmp_path / "mappings" / "export.json").write_text(text)
    mapping, problems = layouts.read_mapping(tmp_path, "export")
    assert mapping is None and problems["file"].to_list() == ["mappings/export.json"]
    assert problems["problem"][0].startswith(expected) and problems["fix"][0], problems
    with pytest.raises(ValueError) as raised:  # the Data page shows this message
        layouts.load_mapping(tmp_path, "export")
    assert str(raised.value).startswith(expected)


def test_a_broken_mapping_is_a_json_report_from_the_command_line(data_copy, tmp_path, capsys):
    import json

    from kpis import cli

    (data_copy / "mappings").mkdir()
    (data_copy / "mappings" / "export.json").write_text('{"columns": {"Indicator": 5, "Rate": "value", "Percent": "value"}}')
    upload = tmp_path / "export.csv"
    upload.write_text("Indicator,Rate\nrtl_uptake,88\n")
    code = cli.main(["ingest", "--json", "--data-dir", str(data_copy), "--mapping", "export", str(upload)])
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert (code, report["published"], err) == (1, False, "")
    assert [p["problem"][:30] for p in report["problems"]] == ["In 'columns', 'Indicator' maps", "2 columns map to 'value': 'Rat"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=len(GOOD_BOOK) - 1), st.binary(min_size=1, max_size=64))
def test_a_corrupted_workbook_gives_a_frame_or_a_clear_report(at, junk):
    data = GOOD_BOOK[:at] + junk + GOOD_BOOK[at + len(junk):]
    text = layouts.read_any(data, "book.xlsx")
    assert (text.frame is None) <= P.has_errors(text.problems)
    for problem in text.problems.to_dicts():
        assert problem["problem"] and problem["fix"] and "unexpected" not in problem["problem"], problem
