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
