"""Bytes to a frame of text: encodings, headers, blank rows and columns.

Everything is read as text; typing happens later in Polars, so that a bad cell is
reported with what the user typed rather than failing the whole read.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import polars as pl

from kpis import problems as P

_BOM = b"\xef\xbb\xbf"
ROW_COLUMN = "row"


@dataclass(frozen=True)
class TextFrame:
    """A file as text cells, with `row` as the spreadsheet row number (header = 1)."""

    frame: pl.DataFrame | None
    problems: pl.DataFrame


def normalise_header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.replace("\ufeff", "").strip().lower())


def _looks_binary(head: bytes) -> str | None:
    if head.startswith(b"PK\x03\x04"):
        return "This is an Excel workbook or another zip file, not a CSV"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "This is an old Excel (.xls) or Office file, not a CSV"
    if head.startswith(b"%PDF"):
        return "This is a PDF, not a CSV"
    if b"\x00" in head:
        return "This file holds binary data, not text"
    return None


def _decode(data: bytes) -> bytes:
    """UTF-8 bytes for Polars: keep valid UTF-8 as it is, read anything else as Windows-1252."""
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        # Windows-1252 leaves five bytes undefined; Latin-1 maps every byte.
        try:
            return data.decode("cp1252").encode("utf-8")
        except UnicodeDecodeError:
            return data.decode("latin-1").encode("utf-8")


def read_text_csv(data: bytes, file: str) -> TextFrame:
    """Read CSV bytes as all-text columns, or say in one line why they cannot be."""
    if not data.strip():
        return TextFrame(None, P.file_problem(file, "The file is empty", "Export the figures again with a header row and data rows"))
    reason = _looks_binary(data[:4096])
    if reason:
        return TextFrame(None, P.file_problem(file, reason, "Save the sheet as 'CSV UTF-8 (Comma delimited)' and upload that"))
    try:
        frame = pl.read_csv(_decode(data), infer_schema=False, truncate_ragged_lines=False, raise_if_empty=False)
    except (pl.exceptions.PolarsError, ValueError) as error:
        ragged = _first_ragged_row(data)
        if ragged is not None:
            row, fields, expected = ragged
            return TextFrame(None, P.file_problem(
                file, f"Row {row} has {fields} cells but the header has {expected}",
                "Remove the extra cells, or put text that contains commas in double quotes"))
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return TextFrame(None, P.file_problem(file, f"The file could not be read as CSV ({first[:160]})", "Check that every row has the same number of commas as the header, and save as CSV"))
    return tidy(frame, file)


def _first_ragged_row(data: bytes) -> tuple[int, int, int] | None:
    """Only on the error path: find the first row with more cells than the header."""
    import csv

    text = _decode(data).decode("utf-8", errors="replace")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    for number, cells in enumerate(reader, start=2):
        if len(cells) > len(header):
            return number, len(cells), len(header)
    return None


def tidy(frame: pl.DataFrame, file: str) -> TextFrame:
    """Normalise headers, strip cells, number rows and drop wholly empty rows and unnamed empty columns."""
    parts: list[pl.DataFrame] = []
    renamed: dict[str, str] = {}
    keep: list[str] = []
    for position, name in enumerate(frame.columns):
        clean = normalise_header(name)
        unnamed = clean == "" or re.fullmatch(r"_duplicated_\d+", name) is not None
        if unnamed:
            if frame[name].drop_nulls().str.strip_chars().str.len_chars().sum() == 0:
                continue
            clean = f"column_{position + 1}"
            parts.append(P.file_problem(file, f"Column {position + 1} has figures but no header; it was ignored", "Give the column a header, or delete it", "warning", clean))
            continue
        if clean in renamed.values():
            parts.append(P.file_problem(file, f"The header '{clean}' appears twice", "Keep one column of each name", "error", clean))
            continue
        renamed[name] = clean
        keep.append(name)
    frame = frame.select(keep).rename(renamed)
    if frame.width == 0:
        return TextFrame(None, P.combine([*parts, P.file_problem(file, "The file has no columns", "Export the figures again with a header row")]))
    frame = frame.with_columns(pl.col(pl.String).str.strip_chars()).with_columns(
        pl.when(pl.col(pl.String) == "").then(None).otherwise(pl.col(pl.String)).name.keep()
    )
    frame = frame.with_row_index(ROW_COLUMN, offset=2).with_columns(pl.col(ROW_COLUMN).cast(pl.Int64))
    frame = frame.filter(~pl.all_horizontal(pl.exclude(ROW_COLUMN).is_null()))
    if frame.height == 0:
        parts.append(P.file_problem(file, "The file has a header but no data rows", "Add one row per KPI, area and period under the header"))
        return TextFrame(None, P.combine(parts))
    return TextFrame(frame, P.combine(parts))
