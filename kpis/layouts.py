"""Other ways figures arrive: Excel workbooks, the report's wide layout, and saved column mappings.

Everything ends as the same frame of text cells that `readers` makes from a CSV, so one
validation path serves every layout.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import polars as pl

from kpis import problems as P
from kpis import readers, transforms

CANONICAL = ("kpi_id", "area", "period", "value", "numerator", "denominator", "target", "note")
MAPPING_DIR = "mappings"
MAPPING_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _-]{0,59}$")

# Limits against zip bombs and oversized workbooks.
MAX_ZIP_ENTRIES = 2_000
MAX_UNCOMPRESSED = 200 * 2**20
MAX_RATIO = 200
MAX_CELLS = 5_000_000
MAX_MAPPING_BYTES = 2**20


def is_excel(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


DAMAGED = "The workbook is damaged or not a real .xlsx"
DAMAGED_FIX = "Open it in Excel and save it again as .xlsx, or save the sheet as CSV UTF-8 and upload that"
# A declaration in any part is refused before a parser sees it: entities can expand without end
# or reach outside the file, and no workbook Excel writes needs one.
_DECLARATIONS = tuple(
    marker.encode(encoding) for marker in ("<!DOCTYPE", "<!ENTITY") for encoding in ("ascii", "utf-16-le", "utf-16-be")
)
# A formula with no saved result: `<f>…</f>` (or a shared formula's `<f …/>`) followed by an empty `<v>` or the cell's end.
_UNSAVED_FORMULA = re.compile(rb"(?:</(?:\w+:)?f>|<(?:\w+:)?f\b[^>]*/>)\s*(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>|</(?:\w+:)?c>)")
_CHUNK = 2**20
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([^"']*)["']""")
_PLAIN_ENCODINGS = {"utf-8", "utf8", "utf-16", "utf16", "us-ascii", "ascii"}


@dataclass(frozen=True)
class _Inspection:
    problem: str | None = None
    fix: str = DAMAGED_FIX
    formulas: bool = False  # a worksheet holds a formula whose result was never saved


def _scan(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, markers: tuple[bytes, ...],
          pattern: re.Pattern[bytes] | None = None) -> tuple[set[bytes], str | None, bool]:
    """Which markers occur in a part (read in overlapping chunks, so none is split), the encoding its XML
    declaration names, and whether `pattern` matches."""
    found: set[bytes] = set()
    tail, encoding, matched = b"", None, False
    with archive.open(entry) as part:
        while chunk := part.read(_CHUNK):
            if not tail:
                head = chunk[:400]
                head = head.decode("utf-16", errors="ignore").encode() if head.startswith((b"\xff\xfe", b"\xfe\xff")) else head.replace(b"\x00", b"")
                declared = _ENCODING.match(head.removeprefix(b"\xef\xbb\xbf"))
                encoding = declared.group(1).decode("ascii", errors="replace").lower() if declared else None
            window = tail + chunk
            found.update(m for m in markers if m in window)
            matched = matched or bool(pattern and pattern.search(window))
            tail = window[-200:] or b" "
    return found, encoding, matched


def _inspect(data: bytes) -> _Inspection:
    """Everything that can be learnt about a workbook without a spreadsheet parser: limits, declarations, formulas."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                return _Inspection(f"The workbook holds {len(entries)} parts, more than the {MAX_ZIP_ENTRIES} allowed")
            total = sum(e.file_size for e in entries)
            if total > MAX_UNCOMPRESSED:
                return _Inspection(f"The workbook would unpack to {total / 2**20:.0f} MB, more than the {MAX_UNCOMPRESSED // 2**20} MB allowed")
            for entry in entries:
                if entry.compress_size and entry.file_size / entry.compress_size > MAX_RATIO and entry.file_size > 2**20:
                    return _Inspection("The workbook is compressed suspiciously tightly (a possible zip bomb)")
            if not any(e.filename == "[Content_Types].xml" for e in entries):
                return _Inspection("This zip file is not an Excel workbook", "Upload the .xlsx workbook itself, or a CSV")
            formulas = False
            for entry in entries:  # every part: a workbook may point its parser at a part of any name
                is_sheet = entry.filename.startswith("xl/worksheets/")
                found, encoding, unsaved = _scan(archive, entry, _DECLARATIONS, _UNSAVED_FORMULA if is_sheet else None)
                if encoding is not None and encoding not in _PLAIN_ENCODINGS:
                    return _Inspection(
                        f"The workbook's part '{entry.filename[:80]}' is written in the encoding '{encoding[:20]}', which Excel never uses; it was not opened",
                        "Open the file in Excel and save it again as .xlsx, or save the sheet as CSV UTF-8")
                if found:
                    return _Inspection(
                        f"The workbook's part '{entry.filename[:80]}' declares a DTD or entities, which Excel never writes; it was not opened",
                        "Open the file in Excel and save it again as .xlsx, or save the sheet as CSV UTF-8")
                formulas = formulas or unsaved
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError):
        return _Inspection(DAMAGED)
    return _Inspection(formulas=formulas)


def _zip_problem(data: bytes) -> str | None:
    return _inspect(data).problem


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
    if isinstance(getattr(value, "text", None), str):  # an array formula, read with data_only off
        return value.text
    if isinstance(value, int | float):
        if number_format and "%" in number_format:
            value = value * 100  # a cell formatted as a percentage holds the fraction
        text = repr(float(value))
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def read_excel(data: bytes, file: str, sheet: str | None = None) -> readers.TextFrame:
    """The first sheet (or `sheet`) as text cells, opened only after the checks of `_inspect`.

    A formula whose result was never saved (the file was written by a program, not by
    Excel) is read as its formula text, so that the report can say so.
    """
    try:
        return _read_excel(data, file, sheet)
    except Exception as error:  # the report names it; the log keeps the traceback
        return readers.unexpected(file, error, DAMAGED_FIX)


def _read_excel(data: bytes, file: str, sheet: str | None) -> readers.TextFrame:
    if data.startswith(readers.OLE):
        return readers.TextFrame(None, P.file_problem(file, *readers.ole_problem(data)))
    inspection = _inspect(data)
    if inspection.problem:
        return readers.TextFrame(None, P.file_problem(file, inspection.problem, inspection.fix))
    try:
        rows = _sheet_rows(data, sheet, data_only=True)
        if isinstance(rows, list) and inspection.formulas:
            formulas = _sheet_rows(data, sheet, data_only=False)
            if isinstance(formulas, list):
                rows = [[f if v is None and isinstance(f, str) and f.startswith("=") else v for v, f in zip(r, fr, strict=False)]
                        for r, fr in zip(rows, formulas, strict=False)]
    except Exception as error:  # openpyxl raises many kinds on a damaged part; all mean the same to the user
        readers.log.warning("workbook %s could not be read", file, exc_info=error)
        return readers.TextFrame(None, P.file_problem(file, f"{DAMAGED} ({type(error).__name__})", DAMAGED_FIX))
    if isinstance(rows, tuple):
        return readers.TextFrame(None, P.file_problem(file, *rows))
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


def _sheet_rows(data: bytes, sheet: str | None, data_only: bool) -> list[list[str | None]] | tuple[str, str]:
    """A sheet's cells as text (formulas as their text when `data_only` is off), or (problem, fix)."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
    try:
        names = book.sheetnames
        if not names:
            return "The workbook has no sheets", DAMAGED_FIX
        if sheet is not None and sheet not in names:
            return f"The workbook has no sheet named '{sheet}'", f"Choose one of: {', '.join(names)}"
        ws = book[sheet or names[0]]
        if not hasattr(ws, "iter_rows"):
            return f"The sheet '{sheet or names[0]}' is a chart, not a table of figures", "Choose the sheet that holds the figures"
        rows: list[list[str | None]] = []
        cells = 0
        for row in ws.iter_rows():
            rows.append([_cell_text(getattr(c, "value", None), getattr(c, "number_format", None)) for c in row])
            cells += len(row)
            if cells > MAX_CELLS:
                return "The sheet is too large to read here", "Split it, or save it as CSV"
        return rows
    finally:
        book.close()


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
    steps: list[dict] = field(default_factory=list)  # transforms run in order: period_format, skip_rows, scale
    comparators: list[dict] = field(default_factory=list)  # comparator columns published as rows of their areas

    def to_json(self) -> str:
        raw: dict[str, object] = {"columns": self.columns, "kpi_ids": self.kpi_ids, "areas": self.areas}
        raw |= {k: v for k, v in (("steps", self.steps), ("comparators", self.comparators)) if v}
        return json.dumps(raw, indent=2, ensure_ascii=False)

    @staticmethod
    def from_json(text: str, name: str = "mapping") -> Mapping:
        """A mapping from its JSON; MappingError (a ValueError) lists every problem when it is not a valid one."""
        try:
            raw = json.loads(text)
        except ValueError as error:
            raise MappingError(P.file_problem(_mapping_file(name), f"The mapping is not valid JSON ({error})", MAPPING_FIX)) from error
        problems = mapping_problems(raw, name)
        if problems.height:
            raise MappingError(problems)
        return Mapping(dict(raw.get("columns", {})), dict(raw.get("kpi_ids", {})), dict(raw.get("areas", {})),
                       list(raw.get("steps", [])), list(raw.get("comparators", [])))


MAPPING_SECTIONS = ("columns", "kpi_ids", "areas", "steps", "comparators")
CODE_SECTIONS = ("columns", "kpi_ids", "areas")
IGNORE = "ignore"  # a column's role when it is to be left out
MAPPING_TARGETS = (*CANONICAL, "kpi", IGNORE)  # `kpi`: the KPI by id or published name, in the report's wide layout
MAPPING_FIX = 'Write it as {"columns": {"Their header": "kpi_id", ...}, "kpi_ids": {...}, "areas": {...}}, or save it again on the Data page'


class MappingError(ValueError):
    """A saved mapping that cannot be used; `problems` holds one row per reason."""

    def __init__(self, problems: pl.DataFrame) -> None:
        self.problems = problems
        super().__init__("; ".join(problems["problem"].to_list()))


def _mapping_file(name: str) -> str:
    return f"{MAPPING_DIR}/{name}.json"


def mapping_problems(raw: object, name: str) -> pl.DataFrame:
    """Every reason a mapping's JSON cannot be used: its shape, names that are not text, unknown or repeated targets."""
    file = _mapping_file(name)
    problem = lambda text, fix, column=None: P.file_problem(file, text, fix, column=column)
    if not isinstance(raw, dict):
        return problem(f"The mapping is a JSON {type(raw).__name__}, not an object", MAPPING_FIX)
    parts: list[pl.DataFrame] = []
    from kpis.catalogue import suggest

    for key in raw:
        if key not in MAPPING_SECTIONS:
            hint = suggest(str(key), list(MAPPING_SECTIONS))
            parts.append(problem(f"The mapping has an unknown section '{key}'" + (f": did you mean '{hint}'?" if hint else ""),
                                 f"Use only {', '.join(MAPPING_SECTIONS)}", str(key)))
    if "steps" in raw:
        parts += [problem(reason, "See data/README.md for the transforms and their parameters", "steps") for reason in transforms.step_problems(raw["steps"])]
    if "comparators" in raw:
        parts += [problem(reason, "See data/README.md for comparators", "comparators") for reason in transforms.comparator_problems(raw["comparators"])]
    for section in CODE_SECTIONS:
        pairs = raw.get(section, {})
        if not isinstance(pairs, dict):
            parts.append(problem(f"'{section}' is not an object of names", MAPPING_FIX, section))
            continue
        for source, target in pairs.items():
            if not isinstance(target, str) or not target.strip():
                parts.append(problem(f"In '{section}', '{source}' maps to {json.dumps(target)}, which is not a name",
                                     f'Write the name in quotes, e.g. "{source}": "{MAPPING_TARGETS[0] if section == "columns" else "..."}"', section))
    columns = raw.get("columns", {})
    if isinstance(columns, dict):
        targets: dict[str, list[str]] = {}
        for source, target in columns.items():
            if isinstance(target, str) and target.strip():
                targets.setdefault(target, []).append(source)
                if target not in MAPPING_TARGETS:
                    hint = suggest(target.strip().lower(), list(MAPPING_TARGETS))
                    parts.append(problem(f"'{source}' maps to '{target}', which is not a column the board reads"
                                         + (f": did you mean '{hint}'?" if hint else ""),
                                         f"Map it to one of: {', '.join(MAPPING_TARGETS)}", "columns"))
        for target, sources in targets.items():
            if len(sources) > 1 and target != IGNORE:
                parts.append(problem(f"{len(sources)} columns map to '{target}': {', '.join(repr(s) for s in sources)}",
                                     f"Map only one column to '{target}'", "columns"))
    return P.combine(parts)


def mapping_path(data_dir: Path, name: str) -> Path:
    """The file of a named mapping. The name is checked, so it can never reach outside the folder."""
    if not MAPPING_NAME.match(name):
        raise ValueError("A mapping name uses letters, digits, spaces, '-' and '_' (up to 60)")
    return data_dir / MAPPING_DIR / f"{name.strip()}.json"


def list_mappings(data_dir: Path) -> list[str]:
    folder = data_dir / MAPPING_DIR
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def read_mapping(data_dir: Path, name: str) -> tuple[Mapping | None, pl.DataFrame]:
    """A saved mapping and no problems, or None and the report of why it cannot be used."""
    try:
        path = mapping_path(data_dir, name)
    except ValueError as error:
        return None, P.file_problem(f"mapping '{name[:60]}'", str(error), "Check the mapping's name")
    try:
        if path.stat().st_size > MAX_MAPPING_BYTES:
            return None, P.file_problem(_mapping_file(name), "The mapping file is too large to be a mapping", MAPPING_FIX)
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        saved = list_mappings(data_dir)
        return None, P.file_problem(_mapping_file(name), f"There is no saved mapping named '{name}'",
                                    f"Choose one of: {', '.join(saved)}" if saved else "Save a mapping on the Data page first")
    except (OSError, UnicodeDecodeError) as error:
        return None, P.file_problem(_mapping_file(name), f"The mapping could not be read ({type(error).__name__})", MAPPING_FIX)
    try:
        return Mapping.from_json(text, name), P.empty()
    except MappingError as error:
        return None, error.problems


def load_mapping(data_dir: Path, name: str) -> Mapping:
    """A saved mapping; raises ValueError (MappingError or a bad name) or OSError when it cannot be used."""
    mapping, problems = read_mapping(data_dir, name)
    if mapping is None:
        raise MappingError(problems)
    return mapping


def save_mapping(data_dir: Path, name: str, mapping: Mapping) -> Path:
    from kpis.batches import atomic_write

    path = mapping_path(data_dir, name)
    atomic_write(path, mapping.to_json().encode("utf-8"))
    return path


def apply_mapping(text: pl.DataFrame, mapping: Mapping) -> pl.DataFrame:
    """Rename mapped columns and translate mapped codes; anything unmapped passes through."""
    return transform(text, mapping)[0]


def transform(text: pl.DataFrame, mapping: Mapping, catalogue: pl.DataFrame | None = None, areas: pl.DataFrame | None = None,
              file: str = "") -> tuple[pl.DataFrame, pl.DataFrame]:
    """A file under a mapping, in the order of `kpis.transforms`: roles, codes, steps, comparators; and the steps' warnings."""
    text = transforms.rename_comparators(text, mapping.comparators)
    roles = {readers.normalise_header(src): dst for src, dst in mapping.columns.items() if readers.normalise_header(src) in text.columns}
    text = text.drop([c for c, role in roles.items() if role == IGNORE])
    renames = {c: role for c, role in roles.items() if role != IGNORE}
    text = text.drop([c for c in set(renames.values()) if c in text.columns and c not in renames]).rename(renames)
    if mapping.kpi_ids and "kpi_id" in text.columns:
        codes = {k.strip(): v for k, v in mapping.kpi_ids.items()}
        text = text.with_columns(readers.strip_cells(pl.col("kpi_id")).replace(codes).alias("kpi_id"))
    if mapping.areas and "area" in text.columns:
        text = text.with_columns(pl.col("area").replace(mapping.areas))
    context = transforms.Context(file, catalogue, areas)
    text, warnings = transforms.run_steps(text, mapping.steps, context)
    if mapping.comparators:
        text, missing = transforms.comparator_rows(text, mapping.comparators, context)
        warnings = P.combine([warnings, missing])
    return text, warnings


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
            try:
                ws = book[sheet] if sheet in book.sheetnames else book[book.sheetnames[0]]
                first = next(ws.iter_rows(max_row=1, values_only=True), ())
            finally:
                book.close()
        except Exception:  # an unreadable workbook has no headers to offer; its report says why
            return []
        names = [str(v) for v in first if v is not None]
    else:
        try:
            names = pl.read_csv(readers.utf8(readers.plain(data)), n_rows=1, infer_schema=False).columns
        except (pl.exceptions.PolarsError, ValueError):
            return []
    return [h for h in (readers.normalise_header(n) for n in names) if h]
