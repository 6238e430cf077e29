"""Bytes to a frame of text: encodings, headers, blank rows and columns.

Everything is read as text; typing happens later in Polars, so that a bad cell is
reported with what the user typed rather than failing the whole read.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from kpis import config
from kpis import problems as P

_BOM = b"\xef\xbb\xbf"
ROW_COLUMN = "row"
log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())  # logged for whoever configures logging; never printed at a user


@dataclass(frozen=True)
class TextFrame:
    """A file as text cells, with `row` as the spreadsheet row number (header = 1)."""

    frame: pl.DataFrame | None
    problems: pl.DataFrame


def strip_cells(expr: pl.Expr) -> pl.Expr:
    """Surrounding spaces removed; a cell of only spaces becomes empty (null)."""
    stripped = expr.str.strip_chars()
    return pl.when(stripped == "").then(None).otherwise(stripped)


def normalise_header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.replace("\ufeff", "").strip().lower())


def _looks_binary(head: bytes) -> str | None:
    if head.startswith(b"PK\x03\x04"):
        return "This is an Excel workbook or another zip file, not a CSV"
    if head.startswith(OLE):
        return "This is an old Excel (.xls) or Office file, not a CSV"
    if head.startswith(b"%PDF"):
        return "This is a PDF, not a CSV"
    if b"\x00" in head:
        return "This file holds binary data, not text"
    return None


OLE = b"\xd0\xcf\x11\xe0"  # an Office compound file: an old .xls, or an .xlsx locked with a password
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
PASSWORD_FIX = "Open it in Excel, remove the password (File, Info, Protect Workbook), save it and upload it again"


def ole_problem(data: bytes) -> tuple[str, str]:
    """Why an Office compound file cannot be read, and the fix: a password-protected workbook, or an old format."""
    if _ENCRYPTED in data:
        return "This workbook is password-protected, so it cannot be read", PASSWORD_FIX
    return ("This is an old Excel (.xls) or other Office file, which the board does not read",
            "Open it in Excel and save it as .xlsx or as 'CSV UTF-8 (Comma delimited)'")


def _utf16(data: bytes) -> str | None:
    """The encoding of UTF-16 text (with a byte-order mark, or plain text with every other byte zero), else None."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = data[:512] if len(data) % 2 == 0 else data[:511]
    if len(sample) >= 4 and sample[1::2].count(0) == len(sample) // 2 and 0 not in sample[0::2]:
        return "utf-16-le"
    if len(sample) >= 4 and sample[0::2].count(0) == len(sample) // 2 and 0 not in sample[1::2]:
        return "utf-16-be"
    return None


def _line_endings(data: bytes) -> bytes:
    """Old Mac line endings (CR alone) as newlines; files with any newline are left as they are."""
    return data.replace(b"\r", b"\n") if b"\r" in data and b"\n" not in data else data


def plain(data: bytes) -> bytes:
    """UTF-16 text decoded (to UTF-8) and CR-only line endings mended; other bytes as they are."""
    encoding = _utf16(data[:4096])
    if encoding:
        data = data.decode(encoding, errors="replace").encode("utf-8")
    return _line_endings(data)


def with_row(problem: pl.DataFrame, row: int) -> pl.DataFrame:
    """A file-level problem pinned to one row of the file."""
    return problem.with_columns(pl.lit(row, pl.Int64).alias("row"))


def unexpected(file: str, error: Exception, fix: str = "Save the file again as 'CSV UTF-8 (Comma delimited)' or .xlsx, and upload that") -> TextFrame:
    """A reading failure nobody foresaw: a report for the user, and the traceback in the log."""
    log.error("reading %s failed", file, exc_info=error)
    return TextFrame(None, P.file_problem(file, f"The file could not be read: an unexpected {type(error).__name__}", fix))


def _recode(data: bytes) -> bytes:
    """Bytes that are not UTF-8, re-encoded as UTF-8 from Windows-1252 (or Latin-1)."""
    try:
        return data.decode("cp1252").encode("utf-8")
    except UnicodeDecodeError:
        # Windows-1252 leaves five bytes undefined; Latin-1 maps every byte.
        return data.decode("latin-1").encode("utf-8")


def utf8(data: bytes) -> bytes:
    """The bytes as UTF-8: as they are when they already are, else read as Windows-1252."""
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        return _recode(data)


def _as_text(data: bytes) -> str:
    return utf8(data.removeprefix(_BOM)).decode("utf-8")


def _read(source: bytes | Path) -> pl.DataFrame:
    # A quoted empty cell ("") means no value, like an unquoted one.
    return pl.read_csv(source, infer_schema=False, raise_if_empty=False, null_values=[""])


def read_text_csv(source: bytes | Path, file: str, strip: bool = True, max_bytes: int | None = None) -> TextFrame:
    """Read CSV (bytes, or a path that Polars maps directly) as text columns, or say in one line why not.

    UTF-8 with or without a byte-order mark is read as it is, UTF-16 with a byte-order mark
    is decoded, and anything else is taken as Windows-1252; lines may end in CR alone. A
    file over the size limit (`max_bytes`, default $KPI_MAX_UPLOAD_MB) is refused before it
    is read. With `strip=False` cells keep their spaces, for callers that strip only the
    columns that need it.
    """
    try:
        return _read_text_csv(source, file, strip, max_bytes)
    except Exception as error:  # the report names it; the log keeps the traceback
        return unexpected(file, error)


def _read_text_csv(source: bytes | Path, file: str, strip: bool, max_bytes: int | None) -> TextFrame:
    if isinstance(source, Path):
        size = source.stat().st_size
        if (reason := config.too_large(size, max_bytes)) and not _written_by_the_board(source):
            return TextFrame(None, P.file_problem(file, reason, "Split it into smaller files"))
        with source.open("rb") as handle:
            head = handle.read(4096)
        if _needs_bytes(head):
            source = source.read_bytes()
    else:
        head, size = source[:4096], len(source)
    if size == 0 or (size <= 4096 and not head.strip()):
        return TextFrame(None, P.file_problem(file, "The file is empty", "Export the figures again with a header row and data rows"))
    if isinstance(source, bytes):
        if head.startswith(OLE):
            return TextFrame(None, P.file_problem(file, *ole_problem(source)))
        if encoding := _utf16(head):
            try:
                source = source.decode(encoding).encode("utf-8")
            except UnicodeDecodeError:
                return TextFrame(None, P.file_problem(file, "The file looks like UTF-16 text but some of it is not",
                                                      "Save the sheet as 'CSV UTF-8 (Comma delimited)' and upload that"))
            head = source[:4096]
        source = _line_endings(source)
    reason = _looks_binary(head)
    if reason:
        return TextFrame(None, P.file_problem(file, reason, "Save the sheet as 'CSV UTF-8 (Comma delimited)' and upload that"))
    try:
        try:
            frame = _read(source)
        except pl.exceptions.ComputeError as error:
            if "utf" not in str(error).lower():
                raise
            frame = _read(_recode(source.read_bytes() if isinstance(source, Path) else source))
    except (pl.exceptions.PolarsError, ValueError) as error:
        ragged = _first_ragged_row(source.read_bytes() if isinstance(source, Path) else source)
        if ragged is not None:
            row, fields, expected = ragged
            return TextFrame(None, with_row(P.file_problem(
                file, f"Row {row} has {fields} cells but the header has {expected}",
                "Remove the extra cells, or put text that contains commas in double quotes"), row))
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return TextFrame(None, P.file_problem(file, f"The file could not be read as CSV ({first[:160]})",
                                              "Check that every row has the same number of commas as the header, and save as CSV"))
    return tidy(frame, file, strip)


def _written_by_the_board(path: Path) -> bool:
    """A published batch: the board wrote it from checked uploads, and a workbook may unpack to more than its upload's size."""
    from kpis.batches import BATCH_DIR

    return path.parent.name == BATCH_DIR


def _needs_bytes(head: bytes) -> bool:
    """Whether a file must be read into memory first (to decode it or mend its line endings) rather than mapped."""
    return head.startswith(OLE) or _utf16(head) is not None or (b"\r" in head and b"\n" not in head)


def _first_ragged_row(data: bytes) -> tuple[int, int, int] | None:
    """Only on the error path: find the first row with more cells than the header."""
    import csv

    reader = csv.reader(io.StringIO(_as_text(data)))
    try:
        header = next(reader, [])
        for number, cells in enumerate(reader, start=2):
            if len(cells) > len(header):
                return number, len(cells), len(header)
    except csv.Error:  # the caller reports the parser's own message instead
        return None
    return None


def tidy(frame: pl.DataFrame, file: str, strip: bool = True) -> TextFrame:
    """Normalise headers, number rows, drop wholly empty rows and unnamed empty columns."""
    parts: list[pl.DataFrame] = []
    renamed: dict[str, str] = {}
    keep: list[str] = []
    for position, name in enumerate(frame.columns):
        clean = normalise_header(re.sub(r"_duplicated_\d+$", "", name))
        if clean == "":
            if frame[name].drop_nulls().str.strip_chars().str.len_chars().sum() == 0:
                continue
            parts.append(P.file_problem(file, f"Column {position + 1} has figures but no header; it was ignored",
                                        "Give the column a header, or delete it", "warning", f"column {position + 1}"))
            continue
        if clean == ROW_COLUMN:  # the board's own row number; a file's column of that name is not read
            parts.append(P.file_problem(file, f"The column '{name.strip()}' was left out: the board numbers the rows itself",
                                        "Delete the column, or rename it if it holds something you need", "warning", clean))
            continue
        if clean in renamed.values():
            parts.append(P.file_problem(file, f"The header '{clean}' appears twice", "Keep one column of each name", "error", clean))
            continue
        renamed[name] = clean
        keep.append(name)
    frame = frame.select(keep).rename(renamed)
    if frame.width == 0:
        return TextFrame(None, P.combine([*parts, P.file_problem(file, "The file has no columns", "Export the figures again with a header row")]))
    if strip:
        frame = frame.with_columns(strip_cells(pl.col(pl.String)).name.keep())
    frame = frame.with_row_index(ROW_COLUMN, offset=2).with_columns(pl.col(ROW_COLUMN).cast(pl.Int64))
    frame = frame.filter(~pl.all_horizontal(pl.exclude(ROW_COLUMN).is_null()))
    if frame.height == 0:
        parts.append(P.file_problem(file, "The file has a header but no data rows", "Add one row per KPI, area and period under the header"))
        return TextFrame(None, P.combine(parts))
    return TextFrame(frame, P.combine(parts))
