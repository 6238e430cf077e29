"""A corpus of malformed inputs, each built in code so that a reviewer can read what it holds.

Every case names the file, its bytes, the outcome expected (`error`: rejected, exit 1;
`warning`: accepted with a warning, exit 0; `ok`: read as intended, exit 0) and a fragment
of the message that names the cause. `tests/test_corpus.py` runs them all.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import openpyxl

Kind = Literal["csv", "xlsx", "mapping", "catalogue", "areas", "audit"]
Outcome = Literal["error", "warning", "ok"]

HEADER = "kpi_id,area,period,value"
GOOD_ROW = "rtl_uptake,NE,Jul 24,88"
GOOD = f"{HEADER}\n{GOOD_ROW}\n"


@dataclass(frozen=True)
class Case:
    name: str
    kind: Kind
    content: bytes | None  # None: the file does not exist
    expect: str  # a fragment of the problem that names the cause ("" for an input read as intended)
    outcome: Outcome = "error"
    filename: str = ""
    env: dict[str, str] = field(default_factory=dict)

    @property
    def file(self) -> str:
        return self.filename or f"{self.name}.{'xlsx' if self.kind == 'xlsx' else 'json' if self.kind == 'mapping' else 'csv'}"


def csv(name: str, text: str | bytes, expect: str, outcome: Outcome = "error", **kw: object) -> Case:
    return Case(name, "csv", text.encode() if isinstance(text, str) else text, expect, outcome, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------- workbooks


def workbook(rows: list[list[object]], percent_column: int | None = None) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    for row in rows:
        ws.append(row)
    if percent_column:
        for cells in ws.iter_rows(min_row=2, min_col=percent_column, max_col=percent_column):
            cells[0].number_format = "0%"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


GOOD_BOOK = workbook([HEADER.split(","), ["rtl_uptake", "NE", "Jul 24", 88]])


def rezip(data: bytes, edits: dict[str, Callable[[bytes], bytes] | bytes | None]) -> bytes:
    """The workbook with parts changed (a function of the old bytes), added (bytes) or removed (None)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in source.namelist():
            edit = edits.get(name, lambda b: b)
            if edit is None:
                continue
            archive.writestr(name, edit(source.read(name)) if callable(edit) else edit)
        for name, edit in edits.items():
            if name not in source.namelist() and isinstance(edit, bytes):
                archive.writestr(name, edit)
    return out.getvalue()


def declare(dtd: str, encoding: str = "utf-8") -> Callable[[bytes], bytes]:
    """Put a document type declaration in front of a part's root element."""
    def edit(part: bytes) -> bytes:
        text = part.decode("utf-8")
        if text.startswith("<?xml"):
            head, rest = text.split("?>", 1)
            text = f"{head}?>{dtd}{rest}"
        else:
            text = dtd + text
        return text.encode(encoding) if encoding == "utf-8" else b"\xff\xfe" + text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode(encoding)
    return edit


LAUGHS = ('<!DOCTYPE lolz [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
          '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>')


def zip_of(parts: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def ole(extra: bytes = b"") -> bytes:
    """The start of an Office compound file (the container of an .xls, or of a password-protected .xlsx)."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + extra + b"\x00" * 512


ENCRYPTED = ole("EncryptedPackage".encode("utf-16-le") + b"\x00" * 64 + "EncryptionInfo".encode("utf-16-le"))
SHEET = "xl/worksheets/sheet1.xml"


def xlsx(name: str, data: bytes, expect: str, outcome: Outcome = "error", **kw: object) -> Case:
    return Case(name, "xlsx", data, expect, outcome, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------- the cases

CSV_CASES = [
    csv("empty", b"", "The file is empty"),
    csv("blank_lines_only", b"  \n \n", "The file is empty"),
    csv("header_only", HEADER + "\n", "header but no data rows"),
    csv("commas_only", HEADER + "\n,,,\n,,,\n", "header but no data rows"),
    csv("ragged_row", f"{HEADER}\n{GOOD_ROW},extra\n", "Row 2 has 5 cells but the header has 4"),
    csv("ragged_later_row", f"{HEADER}\n{GOOD_ROW}\nrtl_uptake,NW,Jul 24,80,1,2\n", "Row 3 has 6 cells"),
    csv("zip_named_csv", GOOD_BOOK, "Excel workbook or another zip file, not a CSV"),
    csv("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "This is a PDF"),
    csv("binary", b"\x00\x01\x02\x03\xff\xfe\xfd binary", "binary data"),
    csv("old_xls", ole(), "old Excel (.xls)"),
    csv("encrypted_named_csv", ENCRYPTED, "password-protected"),
    csv("utf16_odd_length", b"\xff\xfe" + GOOD.encode("utf-16-le") + b"k", "looks like UTF-16"),
    csv("missing_value_column", "kpi_id,area,period\nrtl_uptake,NE,Jul 24\n", "Missing required column(s): value"),
    csv("missing_everything", "name,score\nRob,3\n", "Missing required column(s): kpi_id, area, period, value"),
    csv("semicolons", "kpi_id;area;period;value\nrtl_uptake;NE;Jul 24;88\n", "Missing required column"),
    csv("tabs", "kpi_id\tarea\tperiod\tvalue\nrtl_uptake\tNE\tJul 24\t88\n", "Missing required column"),
    csv("html_page", "<html><body>Not found</body></html>\n", "header but no data rows"),
    csv("misspelt_required", "kpi_idd,area,period,value\nrtl_uptake,NE,Jul 24,88\n", "did you mean 'kpi_id'"),
    csv("duplicate_header", f"{HEADER},value\n{GOOD_ROW},89\n", "appears twice"),
    csv("unknown_kpi", f"{HEADER}\nrtl_uptak,NE,Jul 24,88\n", "Unknown KPI id 'rtl_uptak'"),
    csv("unknown_area", f"{HEADER}\nrtl_uptake,Atlantis,Jul 24,88\n", "Unknown area 'Atlantis'"),
    csv("empty_kpi", f"{HEADER}\n,NE,Jul 24,88\n", "The KPI id is empty"),
    csv("empty_area", f"{HEADER}\nrtl_uptake,,Jul 24,88\n", "The area is empty"),
    csv("bad_period", f"{HEADER}\nrtl_uptake,NE,2024 Q5,88\n", "2024 Q5"),
    csv("month_13", f"{HEADER}\nrtl_uptake,NE,13/2024,88\n", "13/2024"),
    csv("empty_period", f"{HEADER}\nrtl_uptake,NE,,88\n", "The period is empty"),
    csv("period_wrong_frequency", f"{HEADER}\nrtl_uptake,NE,2024/25,88\n", "does not fit the KPI's frequency"),
    csv("empty_value", f"{HEADER}\nrtl_uptake,NE,Jul 24,\n", "The value is empty"),
    csv("text_value", f"{HEADER}\nrtl_uptake,NE,Jul 24,n/a\n", "'n/a' is not a number"),
    csv("formula_value", f"{HEADER}\nrtl_uptake,NE,Jul 24,=A1+2\n", "formula with no saved value"),
    csv("formula_in_kpi_id", f"{HEADER}\n\"=cmd|' /C calc'!A0\",NE,Jul 24,88\n", "formula with no saved value"),
    csv("excel_error_value", f"{HEADER}\nrtl_uptake,NE,Jul 24,#DIV/0!\n", "is an Excel error"),
    csv("excel_na_value", f"{HEADER}\nrtl_uptake,NE,Jul 24,#N/A\n", "is an Excel error"),
    csv("percent_over_100", f"{HEADER}\nrtl_uptake,NE,Jul 24,870\n", "A percentage outside 0–100"),
    csv("negative_count", f"{HEADER}\nooa_placements,City,2024/25 Q2,-3\n", "A count below zero"),
    csv("numerator_above_denominator", f"{HEADER},numerator,denominator\nrtl_uptake,NE,Jul 24,88,300,200\n", "larger than its denominator"),
    csv("zero_denominator", f"{HEADER},numerator,denominator\nrtl_uptake,NE,Jul 24,88,0,0\n", "denominator is zero"),
    csv("value_not_fraction", f"{HEADER},numerator,denominator\nrtl_uptake,NE,Jul 24,50,90,100\n", "does not match numerator"),
    csv("bad_numerator", f"{HEADER},numerator\nrtl_uptake,NE,Jul 24,88,lots\n", "'lots' is not a number"),
    csv("duplicate_key", f"{HEADER}\n{GOOD_ROW}\nrtl_uptake,NE,Jul 24,70\n", "with a different value"),
    csv("null_byte_late", (GOOD + "rtl_uptake,NW,Jul 24,8\x008\n" * 300).encode(), "binary data"),
    csv("size_over_limit", GOOD + "rtl_uptake,NW,Jul 24,80\n" * 200, "over the", env={"KPI_MAX_UPLOAD_MB": "0.001"}),
    # Accepted, with a warning that names the likely mistake.
    csv("numerater", f"{HEADER},numerater\n{GOOD_ROW},5\n", "'numerater' is not one the board reads: did you mean 'numerator'", "warning"),
    csv("denominatr", f"{HEADER},denominatr\n{GOOD_ROW},5\n", "did you mean 'denominator'", "warning"),
    csv("taget", f"{HEADER},taget\n{GOOD_ROW},90\n", "did you mean 'target'", "warning"),
    csv("fractions", f"{HEADER}\nrtl_uptake,NE,Jul 24,0.87\nrtl_uptake,NW,Jul 24,0.8\n", "look like fractions", "warning"),
    csv("exact_repeat", f"{HEADER}\n{GOOD_ROW}\n{GOOD_ROW}\n", "Repeats row 2", "warning"),
    csv("far_future_period", f"{HEADER}\nooa_placements,City,2040/41 Q1,3\n", "more than a year after today", "error"),
    csv("unnamed_column", f"{HEADER},\n{GOOD_ROW},9\n", "has figures but no header", "warning"),
    # Read as intended: encodings and line endings that spreadsheets write.
    csv("utf16_le_bom", b"\xff\xfe" + GOOD.encode("utf-16-le"), "", "ok"),
    csv("utf16_be_bom", b"\xfe\xff" + GOOD.encode("utf-16-be"), "", "ok"),
    csv("utf16_no_bom", GOOD.encode("utf-16-le"), "", "ok"),
    csv("cr_only", GOOD.replace("\n", "\r"), "", "ok"),
    csv("utf8_bom_crlf", b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode(), "", "ok"),
    csv("windows_1252_note", f"{HEADER},note\n{GOOD_ROW},caf\xe9 \u2013 r\xe9sum\xe9\n".encode("cp1252"), "", "ok"),
]

XLSX_CASES = [
    xlsx("dtd_in_workbook", rezip(GOOD_BOOK, {"xl/workbook.xml": declare('<!DOCTYPE workbook [<!ENTITY x "Sheet1">]>')}), "declares a DTD"),
    xlsx("dtd_in_shared_strings", rezip(GOOD_BOOK, {"xl/sharedStrings.xml": b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY e SYSTEM "file:///etc/passwd">]><sst>&e;</sst>'}),
         "declares a DTD"),
    xlsx("billion_laughs", rezip(GOOD_BOOK, {SHEET: declare(LAUGHS)}), "declares a DTD"),
    xlsx("undefined_entity", rezip(GOOD_BOOK, {SHEET: lambda b: declare("<!DOCTYPE worksheet>")(b).replace(b"<t>NE</t>", b"<t>&ne;</t>")}), "declares a DTD"),
    xlsx("external_entity", rezip(GOOD_BOOK, {SHEET: declare('<!DOCTYPE w [<!ENTITY ext SYSTEM "http://example.invalid/x">]>')}), "declares a DTD"),
    xlsx("dtd_in_content_types", rezip(GOOD_BOOK, {"[Content_Types].xml": declare("<!DOCTYPE Types>")}), "declares a DTD"),
    xlsx("dtd_in_rels", rezip(GOOD_BOOK, {"_rels/.rels": declare("<!DOCTYPE Relationships>")}), "declares a DTD"),
    xlsx("dtd_utf16_part", rezip(GOOD_BOOK, {SHEET: declare(LAUGHS, "utf-16-le")}), "declares a DTD"),
    xlsx("dtd_in_oddly_named_part", rezip(GOOD_BOOK, {"xl/worksheets/sheet1.dat": LAUGHS.encode()}), "declares a DTD"),
    xlsx("ebcdic_part", rezip(GOOD_BOOK, {SHEET: lambda b: b'<?xml version="1.0" encoding="cp037"?>' + (LAUGHS + b.decode()).encode("cp037")}),
         "encoding 'cp037'"),
    xlsx("encrypted", ENCRYPTED, "password-protected"),
    xlsx("old_xls", ole(), "old Excel (.xls)"),
    xlsx("truncated", GOOD_BOOK[: len(GOOD_BOOK) // 2], "damaged or not a real .xlsx"),
    xlsx("zip_header_only", b"PK\x03\x04garbage", "damaged or not a real .xlsx"),
    xlsx("zip_not_workbook", zip_of({"readme.txt": b"hello"}), "not an Excel workbook"),
    xlsx("no_workbook_part", rezip(GOOD_BOOK, {"xl/workbook.xml": None}), "damaged or not a real .xlsx"),
    xlsx("broken_sheet_xml", rezip(GOOD_BOOK, {SHEET: lambda b: b[: len(b) // 2]}), "damaged or not a real .xlsx"),
    xlsx("zip_bomb_ratio", zip_of({"[Content_Types].xml": b"<Types/>", SHEET: b"0" * (3 * 2**20)}), "compressed suspiciously"),
    xlsx("too_many_parts", zip_of({"[Content_Types].xml": b"<Types/>", **{f"x/{i}.bin": b"" for i in range(2_001)}}, zipfile.ZIP_STORED),
         "more than the 2000 allowed"),
    xlsx("formula_no_saved_value", workbook([HEADER.split(","), ["rtl_uptake", "NE", "Jul 24", "=SUM(B5:B6)"]]), "formula with no saved value"),
    xlsx("formula_saved_error", rezip(workbook([HEADER.split(","), ["rtl_uptake", "NE", "Jul 24", "=1/0"]]),
                                      {SHEET: lambda b: re.sub(rb'<c r="D2"><f>1/0</f><v ?/>|<c r="D2"><f>1/0</f><v></v>',  # as either XML writer spells it
                                                                 b'<c r="D2" t="e"><f>1/0</f><v>#DIV/0!</v>', b)}),
         "is an Excel error"),
    xlsx("empty_sheet", workbook([]), "The sheet is empty"),
    xlsx("blank_header_row", workbook([[None, None], ["rtl_uptake", "NE", "Jul 24", 88]]), "The sheet is empty or its first row"),
    xlsx("missing_columns", workbook([["kpi_id", "area"], ["rtl_uptake", "NE"]]), "Missing required column(s): period, value"),
    xlsx("unknown_kpi", workbook([HEADER.split(","), ["nope", "NE", "Jul 24", 88]]), "Unknown KPI id 'nope'"),
    xlsx("date_not_month_start", workbook([HEADER.split(","), ["rtl_uptake", "NE", __import__("datetime").datetime(2024, 7, 15), 88]]), "2024-07-15"),
    xlsx("empty_file", b"", "The file is empty"),
    xlsx("text_named_xlsx", GOOD.replace("value", "valeu").encode(), "did you mean 'value'"),
    xlsx("numerater", workbook([[*HEADER.split(","), "numerater"], ["rtl_uptake", "NE", "Jul 24", 88, 5]]), "did you mean 'numerator'", "warning"),
    xlsx("fractions_unformatted", workbook([HEADER.split(","), ["rtl_uptake", "NE", "Jul 24", 0.88], ["rtl_uptake", "NW", "Jul 24", 0.81]]),
         "look like fractions", "warning"),
    xlsx("percent_formatted", workbook([HEADER.split(","), ["rtl_uptake", "NE", "Jul 24", 0.88]], percent_column=4), "", "ok"),
]


def mapping(name: str, text: str | bytes | None, expect: str, mapping_name: str | None = None) -> Case:
    content = text.encode() if isinstance(text, str) else text
    return Case(name, "mapping", content, expect, "error", filename=mapping_name or name)


MAPPING_CASES = [
    mapping("number_target", '{"columns": {"Indicator": 5}}', "maps to 5, which is not a name"),
    mapping("two_to_value", '{"columns": {"Rate": "value", "Percent": "value"}}', "2 columns map to 'value'"),
    mapping("unknown_target", '{"columns": {"Rate": "valu"}}', "did you mean 'value'"),
    mapping("not_json", "{columns: Rate=value}", "not valid JSON"),
    mapping("json_list", '[["Rate", "value"]]', "not an object"),
    mapping("columns_list", '{"columns": ["Rate", "value"]}', "'columns' is not an object"),
    mapping("unknown_section", '{"colums": {"Rate": "value"}}', "did you mean 'columns'"),
    mapping("null_kpi_code", '{"kpi_ids": {"RTL01": null}}', "maps to null"),
    mapping("empty_target", '{"columns": {"Rate": ""}}', "which is not a name"),
    mapping("nested_target", '{"columns": {"Rate": {"to": "value"}}}', "which is not a name"),
    mapping("missing_file", None, "no saved mapping named"),
    mapping("bad_name", None, "A mapping name uses", mapping_name="../../secrets"),
    mapping("utf16_mapping", '{"columns": {"Rate": "value"}}'.encode("utf-16"), "could not be read"),
    mapping("huge_mapping", b'{"columns": {' + b'"c": "value",' * 100_000 + b'"d": "value"}}', "too large"),
]

CATALOGUE = "kpi_id,name,unit,polarity,frequency,target\n"
CATALOGUE_CASES = [
    Case("catalogue_empty", "catalogue", b"", "empty"),
    Case("catalogue_missing_columns", "catalogue", b"kpi_id,name\nx,X\n", "Missing column"),
    Case("catalogue_bad_unit", "catalogue", (CATALOGUE + "rtl_uptake,Ready,percentage,higher_is_better,monthly,90\n").encode(), "unit"),
    Case("catalogue_duplicate_id", "catalogue", (CATALOGUE + "a,A,percent,higher_is_better,monthly,90\na,B,percent,higher_is_better,monthly,90\n").encode(), ""),
    Case("catalogue_bad_target", "catalogue", (CATALOGUE + "a,A,percent,higher_is_better,monthly,ninety\n").encode(), "not a number"),
    Case("catalogue_ragged", "catalogue", (CATALOGUE + "a,A,percent,higher_is_better,monthly,90,extra\n").encode(), "cells but the header"),
    Case("catalogue_binary", "catalogue", b"\x00\x01\x02binary", "binary"),
]
AREAS_CASES = [
    Case("areas_empty", "areas", b"", "empty"),
    Case("areas_missing_code", "areas", b"area,parent\nCity,\n", "Missing"),
    Case("areas_duplicate_code", "areas", b"area,code,parent\nCity,C,\nNorth,C,City\n", ""),
    Case("areas_ragged", "areas", b"area,code,parent\nCity,C,,9,9\n", "cells but the header"),
    Case("areas_pdf", "areas", b"%PDF-1.4", "PDF"),
]
AUDIT_CASES = [
    Case("audit_not_json", "audit", b"this is not json\n", ""),
    Case("audit_truncated", "audit", b'{"action": "publish", "batch_id": "x"\n', ""),
    Case("audit_missing_batch", "audit", json.dumps({"action": "publish", "batch_id": "20240101T000000000000Z-aaaaaa", "published_at": "2024-01-01T00:00:00Z",
                                                     "user": "a", "source": "x.csv", "sha256": "0", "rows": 1}).encode() + b"\n", ""),
    Case("audit_array_line", "audit", b'[1, 2, 3]\n', ""),
]

ALL = CSV_CASES + XLSX_CASES + MAPPING_CASES + CATALOGUE_CASES + AREAS_CASES + AUDIT_CASES
