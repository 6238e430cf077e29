"""Other ways figures arrive: Excel workbooks, the report's wide layout, and saved column mappings.

Everything ends as the same frame of text cells that `readers` makes from a CSV, so one
validation path serves every layout.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import polars as pl

from kpis import problems as P
from kpis import readers

CANONICAL = ("kpi_id", "area", "period", "value", "numerator", "denominator", "target", "note")
MAPPING_DIR = "mappings"
MAPPING_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _-]{0,59}$")

# Limits against zip bombs and oversized workbooks.
MAX_ZIP_ENTRIES = 2_000
MAX_UNCOMPRESSED = 200 * 2**20
MAX_RATIO = 200
MAX_CELLS = 5_000_000


def is_excel(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def _zip_problem(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                return f"The workbook holds {len(entries)} parts, more than the {MAX_ZIP_ENTRIES} allowed"
            total = sum(e.file_size for e in entries)
            if total > MAX_UNCOMPRESSED:
                return f"The workbook would unpack to {total / 2**20:.0f} MB, more than the {MAX_UNCOMPRESSED // 2**20} MB allowed"
            for entry in entries:
                if entry.compress_size and entry.file_size / entry.compress_size > MAX_RATIO and entry.file_size > 2**20:
                    return "The workbook is compressed suspiciously tightly (a possible zip bomb)"
            if not any(e.filename == "[Content_Types].xml" for e in entries):
                return "This zip file is not an Excel workbook"
    except zipfile.BadZipFile:
        return "The workbook is damaged and could not be opened"
    return None


def excel_sheets(data: bytes) -> list[str]:
    """Sheet names of a workbook, or [] when it cannot be opened safely."""
    if _zip_problem(data):
        return []
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # any unreadable workbook is reported by read_excel
        return []
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def _cell_text(value: object, number_format: str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime | date):
        # A date on the first of a month is that month; any other date stays a date (and is reported).
        return value.strftime("%Y-%m") if value.day == 1 else value.strftime("%Y-%m-%d")
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        if number_format and "%" in number_format:
            value = value * 100  # a cell formatted as a percentage holds the fraction
        text = repr(float(value))
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def read_excel(data: bytes, file: str, sheet: str | None = None) -> readers.TextFrame:
    """The first sheet (or `sheet`) as text cells, opened with limits against zip bombs."""
    if reason := _zip_problem(data):
        return readers.TextFrame(None, P.file_problem(file, reason, "Save the sheet as CSV UTF-8 and upload that instead"))
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds; all mean "cannot read"
        return readers.TextFrame(None, P.file_problem(file, f"The workbook could not be read ({type(error).__name__})",
                                                      "Open it in Excel, save it again as .xlsx or as CSV UTF-8"))
    try:
        names = book.sheetnames
        if sheet is not None and sheet not in names:
            return readers.TextFrame(None, P.file_problem(file, f"The workbook has no sheet named '{sheet}'", f"Choose one of: {', '.join(names)}"))
        ws = book[sheet or names[0]]
        rows: list[list[str | None]] = []
        cells = 0
        for row in ws.iter_rows():
            rows.append([_cell_text(c.value, getattr(c, "number_format", None)) for c in row])
            cells += len(row)
            if cells > MAX_CELLS:
                return readers.TextFrame(None, P.file_problem(file, "The sheet is too large to read here", "Split it, or save it as CSV"))
    finally:
        book.close()
    if not rows or all(v is None for v in rows[0]):
        return readers.TextFrame(None, P.file_problem(file, "The sheet is empty or its first row (the header) is blank",
                                                      "Put the column names in the first row"))
    width = max(len(r) for r in rows)
    header = [(h if h is not None else "") for h in rows[0]] + [""] * (width - len(rows[0]))
    seen: dict[str, int] = {}
    names_out = []
    for h in header:  # keep duplicate or blank headers distinct, as the CSV reader does
        n = seen.get(h, 0)
        seen[h] = n + 1
        names_out.append(h if n == 0 else f"{h}_duplicated_{n - 1}")
    body = [r + [None] * (width - len(r)) for r in rows[1:]]
    frame = pl.DataFrame(body, schema={n: pl.String for n in names_out}, orient="row")
    return readers.tidy(frame, file)


def read_any(data: bytes, file: str, sheet: str | None = None) -> readers.TextFrame:
    """CSV or Excel bytes as text cells."""
    if is_excel(data) and not file.lower().endswith(".csv"):
        return read_excel(data, file, sheet)
    return readers.read_text_csv(data, file)


@dataclass(frozen=True)
class Mapping:
    """How another system's export maps onto the board's columns and codes."""

    columns: dict[str, str] = field(default_factory=dict)  # source header -> canonical column
    kpi_ids: dict[str, str] = field(default_factory=dict)  # source code -> kpi_id
    areas: dict[str, str] = field(default_factory=dict)  # source code -> area name

    def to_json(self) -> str:
        return json.dumps({"columns": self.columns, "kpi_ids": self.kpi_ids, "areas": self.areas}, indent=2, ensure_ascii=False)

    @staticmethod
    def from_json(text: str) -> Mapping:
        raw = json.loads(text)
        if not isinstance(raw, dict) or not all(isinstance(raw.get(k, {}), dict) for k in ("columns", "kpi_ids", "areas")):
            raise ValueError("a mapping is a JSON object with 'columns', 'kpi_ids' and 'areas', each an object")
        return Mapping(dict(raw.get("columns", {})), dict(raw.get("kpi_ids", {})), dict(raw.get("areas", {})))


def mapping_path(data_dir: Path, name: str) -> Path:
    """The file of a named mapping. The name is checked, so it can never reach outside the folder."""
    if not MAPPING_NAME.match(name):
        raise ValueError("A mapping name uses letters, digits, spaces, '-' and '_' (up to 60)")
    return data_dir / MAPPING_DIR / f"{name.strip()}.json"


def list_mappings(data_dir: Path) -> list[str]:
    folder = data_dir / MAPPING_DIR
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def load_mapping(data_dir: Path, name: str) -> Mapping:
    return Mapping.from_json(mapping_path(data_dir, name).read_text(encoding="utf-8"))


def save_mapping(data_dir: Path, name: str, mapping: Mapping) -> Path:
    from kpis.batches import atomic_write

    path = mapping_path(data_dir, name)
    atomic_write(path, mapping.to_json().encode("utf-8"))
    return path


def apply_mapping(text: pl.DataFrame, mapping: Mapping) -> pl.DataFrame:
    """Rename mapped columns and translate mapped codes; anything unmapped passes through."""
    renames = {readers.normalise_header(src): dst for src, dst in mapping.columns.items() if readers.normalise_header(src) in text.columns}
    text = text.drop([c for c in set(renames.values()) if c in text.columns and c not in renames]).rename(renames)
    if mapping.kpi_ids and "kpi_id" in text.columns:
        text = text.with_columns(pl.col("kpi_id").replace(mapping.kpi_ids))
    if mapping.areas and "area" in text.columns:
        text = text.with_columns(pl.col("area").replace(mapping.areas))
    return text


def detect_wide(text: pl.DataFrame, catalogue: pl.DataFrame, areas: pl.DataFrame) -> list[str]:
    """Area columns, when the frame is in the report's wide layout (one column per area); else []."""
    if "area" in text.columns or "value" in text.columns:
        return []
    keys = {readers.normalise_header(a): a for a in areas["area"]} | {readers.normalise_header(c): c for c in areas["code"]}
    return [c for c in text.columns if c in keys]


def wide_to_long(text: pl.DataFrame, catalogue: pl.DataFrame, areas: pl.DataFrame) -> pl.DataFrame:
    """Melt the report's layout (KPI, period, one column per area) into one row per KPI, area and period.

    The KPI may be given by id or by its name as published.
    """
    area_columns = detect_wide(text, catalogue, areas)
    if "kpi_id" not in text.columns and "kpi" in text.columns:
        text = text.rename({"kpi": "kpi_id"})
    by_name = {n.lower(): k for n, k in zip(catalogue["name"], catalogue["kpi_id"], strict=True)}
    by_name |= {n.lower(): k for n, k in zip(catalogue["short_name"], catalogue["kpi_id"], strict=True)}
    if "kpi_id" in text.columns:
        text = text.with_columns(pl.col("kpi_id").str.strip_chars().str.to_lowercase().replace(by_name).alias("kpi_id"))
    keep = [c for c in ("row", "kpi_id", "period", "target", "note") if c in text.columns]
    long = text.unpivot(on=area_columns, index=keep, variable_name="area", value_name="value")
    # A blank cell means that area does not report the KPI: no row, rather than an error.
    return long.filter(pl.col("value").is_not_null()).sort(["row", "area"], maintain_order=True)


def parse_code_lines(text: str) -> dict[str, str]:
    """`CODE = value` lines (or `CODE, value`) into a dict; blank lines and lines without a separator are skipped."""
    out = {}
    for line in text.splitlines():
        sep = "=" if "=" in line else "," if "," in line else None
        if sep:
            code, value = (part.strip() for part in line.split(sep, 1))
            if code and value:
                out[code] = value
    return out


def code_lines(codes: dict[str, str]) -> str:
    return "\n".join(f"{k} = {v}" for k, v in codes.items())


def headers(data: bytes, file: str, sheet: str | None = None) -> list[str]:
    """The normalised column headers of a CSV or workbook, reading only its first rows."""
    if is_excel(data) and not file.lower().endswith(".csv"):
        if _zip_problem(data):
            return []
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # an unreadable workbook has no headers to offer; its report says why
            return []
        try:
            ws = book[sheet] if sheet in book.sheetnames else book[book.sheetnames[0]]
            first = next(ws.iter_rows(max_row=1, values_only=True), ())
        finally:
            book.close()
        names = [str(v) for v in first if v is not None]
    else:
        try:
            names = pl.read_csv(readers.utf8(data), n_rows=1, infer_schema=False).columns
        except (pl.exceptions.PolarsError, ValueError):
            return []
    return [h for h in (readers.normalise_header(n) for n in names) if h]
