from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpis import problems as P
from kpis import readers


def test_headers_are_normalised():
    assert readers.normalise_header("\ufeff KPI ID ") == "kpi_id"
    assert readers.normalise_header("Numerator-Count") == "numerator_count"


def test_tidy_numbers_rows_as_a_spreadsheet_does():
    text = readers.read_text_csv(b"a,b\n1,2\n,\n3,4\n", "x.csv")
    assert text.frame["row"].to_list() == [2, 4]
    assert text.problems.height == 0


def test_unnamed_column_with_figures_is_a_warning():
    text = readers.read_text_csv(b"a,,b\n1,9,2\n", "x.csv")
    assert text.frame.columns == ["row", "a", "b"]
    assert text.problems["severity"].to_list() == ["warning"]


def test_latin1_bytes_that_windows_1252_leaves_undefined():
    text = readers.read_text_csv(b"a\n\x81\xe9\n", "x.csv")
    assert text.frame["a"].to_list() == ["\x81é"]


GOOD = "kpi_id,area,period,value\nrtl_uptake,NE,Jul 24,88\n"


@pytest.mark.parametrize(
    ("data", "how"),
    [
        (b"\xff\xfe" + GOOD.encode("utf-16-le"), "UTF-16 LE with a byte-order mark"),
        (b"\xfe\xff" + GOOD.encode("utf-16-be"), "UTF-16 BE with a byte-order mark"),
        (GOOD.encode("utf-16-le"), "UTF-16 LE without a mark"),
        (b"\xef\xbb\xbf" + GOOD.encode(), "UTF-8 with a byte-order mark"),
        (GOOD.replace("\n", "\r").encode(), "CR-only line endings"),
        (GOOD.replace("\n", "\r\n").encode(), "CRLF line endings"),
    ],
    ids=["utf16-le-bom", "utf16-be-bom", "utf16-le", "utf8-bom", "cr", "crlf"],
)
def test_encodings_and_line_endings_that_spreadsheets_write_are_read(data, how, tmp_path):
    path = tmp_path / "figures.csv"
    path.write_bytes(data)
    for source in (data, path):
        text = readers.read_text_csv(source, "figures.csv")
        assert text.problems.height == 0, (how, text.problems)
        assert text.frame.drop("row").rows() == [("rtl_uptake", "NE", "Jul 24", "88")], how


def test_a_ragged_row_is_reported_on_its_row():
    text = readers.read_text_csv(b"kpi_id,area,period,value\nrtl_uptake,NE,Jul 24,88\nrtl_uptake,NW,Jul 24,80,extra\n", "x.csv")
    (problem,) = text.problems.to_dicts()
    assert (problem["row"], problem["problem"]) == (3, "Row 3 has 5 cells but the header has 4")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 100, "password-protected"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "old Excel (.xls)"),
        (b"\xff\xfe" + GOOD.encode("utf-16-le") + b"x", "looks like UTF-16"),
    ],
    ids=["encrypted", "xls", "broken-utf16"],
)
def test_office_files_and_broken_utf16_are_named(data, expected):
    text = readers.read_text_csv(data, "x.csv")
    assert text.frame is None and expected in text.problems["problem"][0], text.problems


def test_size_is_checked_before_a_dropped_file_is_read(tmp_path, monkeypatch):
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:  # sparse: large on paper, nothing on disk
        handle.truncate(3 * 2**20)
    monkeypatch.setenv("KPI_MAX_UPLOAD_MB", "2")

    def no_reading(*args, **kwargs):
        raise AssertionError("the file was read before its size was checked")

    monkeypatch.setattr(Path, "open", no_reading)
    monkeypatch.setattr(Path, "read_bytes", no_reading)
    text = readers.read_text_csv(path, "huge.csv")
    assert text.frame is None and text.problems["problem"][0] == "The file is 3.0 MB, over the 2 MB limit"


def test_an_unforeseen_failure_is_a_report_and_a_log_entry(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise MemoryError("simulated")

    monkeypatch.setattr(readers, "_read", broken)
    text = readers.read_text_csv(GOOD.encode(), "x.csv")
    assert text.frame is None and "unexpected MemoryError" in text.problems["problem"][0]
    assert "simulated" in caplog.text  # the traceback is kept for whoever maintains the board


def test_a_published_batch_is_not_held_to_the_upload_limit(tmp_path, monkeypatch):
    folder = tmp_path / "batches"
    folder.mkdir()
    (folder / "b.csv").write_text(GOOD * 100)
    (tmp_path / "dropped.csv").write_text(GOOD * 100)
    monkeypatch.setenv("KPI_MAX_UPLOAD_MB", "0.001")
    assert readers.read_text_csv(folder / "b.csv", "b.csv").problems["problem"].to_list() == []
    assert "over the" in readers.read_text_csv(tmp_path / "dropped.csv", "dropped.csv").problems["problem"][0]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.binary(max_size=600),
    st.text(alphabet=st.sampled_from(list('kpi_d,arevlu"\r\n=#0.9 \t;\x00é')), max_size=300).map(str.encode),
    st.text(max_size=200).map(lambda t: t.encode("utf-16")),
))
def test_any_bytes_give_a_frame_or_a_clear_report(data):
    text = readers.read_text_csv(data, "x.csv")
    assert (text.frame is None) <= P.has_errors(text.problems)  # no frame only with an error that says why
    for problem in text.problems.to_dicts():
        assert problem["problem"] and problem["fix"] and "unexpected" not in problem["problem"], problem


def test_a_column_named_row_is_left_out_with_a_warning():
    text = readers.read_text_csv(b"Row,kpi_id\n1,rtl_uptake\n", "x.csv")
    assert text.frame.rows() == [(2, "rtl_uptake")]
    assert [(p["severity"], p["column"]) for p in text.problems.to_dicts()] == [("warning", "row")]
