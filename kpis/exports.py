"""Downloads people can use: every table as CSV and Excel, with names beside ids and a unit column.

Every table goes through `prepare`: whole-number columns become integers (a count is `233`,
never `233.0`), and text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab,
carriage return at the start) gets a leading quote, as the CSV downloads always have. Excel
cells are written as text or numbers, never as formulas. File names say what and when:
`trend_mmr_24m_to_2024-25-Q1.csv`. Tables that compare areas have one column per area.

Small numbers are suppressed in every download (`kpis.suppression`): a table built from a store
suppresses them itself, and in every table a suppressed figure (and what is worked from it: its
counts, interval and gaps) is the word `suppressed`, with a column saying why, never a blank.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import polars as pl

from kpis import areas as A
from kpis import summary as S
from kpis import suppression
from kpis.periods import Period
from kpis.problems import neutralise_csv_cells
from kpis.store import Store
from kpis.styles import rag_label_expr

CSV_MIME = "text/csv"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Format:
    extension: str
    mime: str
    label: str


FORMATS = {"csv": Format("csv", CSV_MIME, "CSV"), "xlsx": Format("xlsx", XLSX_MIME, "Excel")}


def slug(text: str) -> str:
    """A file-name part: '2024/25 Q1' is '2024-25-Q1', 'North West' is 'North-West'."""
    return re.sub(r"[^A-Za-z0-9_]+", "-", text).strip("-") or "all"


def file_name(what: str, period: Period | str | None, extension: str, *parts: str) -> str:
    """'trend_mmr_24m_to_2024-25-Q1.csv': what, any parts (KPI, area), then the period it runs to."""
    stem = "_".join([slug(what).lower(), *(slug(p) for p in parts if p)])
    when = f"_to_{slug(str(period))}" if period else ""
    return f"{stem}{when}.{extension}"


def _whole(frame: pl.DataFrame) -> list[str]:
    """Float columns whose every value is a whole number (and that have one)."""
    floats = [c for c, t in frame.schema.items() if t in (pl.Float32, pl.Float64)]
    if not floats or frame.height == 0:
        return []
    checks = frame.select(
        ((pl.col(c).is_null() | (pl.col(c).is_finite() & (pl.col(c) == pl.col(c).round(0)))).all() & pl.col(c).is_not_null().any()).alias(c)
        for c in floats
    ).row(0, named=True)
    return [c for c, whole in checks.items() if whole]


def prepare(frame: pl.DataFrame) -> pl.DataFrame:
    """Whole-number columns as integers, formula-like text neutralised, dates and times as ISO text."""
    frame = frame.with_columns(pl.col(c).cast(pl.Int64) for c in _whole(frame))
    frame = frame.with_columns(pl.col(pl.Date, pl.Datetime).cast(pl.String))
    return neutralise_csv_cells(frame)


def csv_bytes(frame: pl.DataFrame) -> bytes:
    return prepare(frame).write_csv().encode("utf-8-sig")


def xlsx_bytes(frame: pl.DataFrame, sheet: str = "Data") -> bytes:
    """One sheet: a bold header row, then the values as text or numbers (a text cell is never a formula)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    ws = book.active
    ws.title = re.sub(r"[\[\]:*?/\\]", " ", sheet)[:31] or "Data"
    table = prepare(frame)
    ws.append(table.columns)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in table.iter_rows():
        ws.append(list(row))
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if cell.data_type == "f":  # openpyxl reads a leading '=' as a formula: keep it as text
                cell.data_type = "s"
    for i, column in enumerate(table.columns, 1):
        width = max([len(str(column)), *(len(str(v)) for v in table[column].head(200).to_list() if v is not None)])
        ws.column_dimensions[ws.cell(1, i).column_letter].width = min(60, max(8, width + 2))
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def encode(frame: pl.DataFrame, kind: str, sheet: str = "Data") -> bytes:
    return xlsx_bytes(frame, sheet) if kind == "xlsx" else csv_bytes(frame)


def read_back(data: bytes, kind: str) -> pl.DataFrame:
    """A download read back as a frame of text cells (for tests and checks)."""
    if kind == "csv":
        return pl.read_csv(io.BytesIO(data), infer_schema=False)
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(data), read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    header = [str(c) for c in rows[0]]
    return pl.DataFrame([[None if v is None else str(v) for v in r] for r in rows[1:]], schema={h: pl.String for h in header}, orient="row")


# ---- the tables ------------------------------------------------------------------

SUPPRESSED_BECAUSE = "Suppressed because"


def with_suppressed_words(frame: pl.DataFrame, columns: list[str], flag: str, reason: str | None = None,
                          reason_column: str = SUPPRESSED_BECAUSE) -> pl.DataFrame:
    """The `columns` of rows where `flag` is true as the word 'suppressed', and `reason` as a column saying why;
    `flag` and `reason` dropped. Where nothing is suppressed the table is as it was (numbers stay numbers)."""
    helpers = [c for c in (flag, reason) if c and c in frame.columns]
    if flag not in frame.columns or not frame[flag].fill_null(False).any():
        return frame.drop(helpers)
    frame = frame.with_columns(pl.col(c).cast(pl.Int64) for c in _whole(frame.select(columns)))
    out = frame.with_columns(suppression.word_expr(pl.col(c), flag).alias(c) for c in columns)
    if reason and reason in frame.columns:
        out = out.with_columns(pl.when(pl.col(flag)).then(pl.col(reason)).alias(reason_column))
    return out.drop(helpers)



def summary_table(store: Store, period: Period | None, area: str) -> pl.DataFrame:
    """The KPI summary with one column per area: value, status, direction (against a year earlier) and the figure's period; KPI id, name and unit first."""
    store = suppression.shown(store)
    scope = [area, *A.children(store.areas, area)]
    latest = views_flag(S.latest(store, period, scope))
    base = store.catalogue.select(pl.col("kpi_id").alias("KPI id"), pl.col("name").alias("KPI"), pl.col("unit").alias("Unit"),
                                  pl.col("target").alias("Target"), pl.col("target_wording").alias("Target as published"))
    if latest.height == 0:
        return base
    long = latest.with_columns(rag_label_expr().str.replace(r"^\S+ ", "").alias("status"))
    present = [a for a in scope if a in set(long["area"])]
    wide = base
    for area_name in present:  # one block of columns per area, in area order
        part = long.filter(pl.col("area") == area_name).select(
            pl.col("kpi_id").alias("KPI id"), pl.col("value").alias(f"{area_name} value"),
            pl.col("status").alias(f"{area_name} status"), pl.col("direction").alias(f"{area_name} direction"),
            pl.col("period").alias(f"{area_name} period"), "suppressed", "suppression_reason")
        part = with_suppressed_words(part, [f"{area_name} value"], "suppressed", "suppression_reason", f"{area_name} suppressed because")
        wide = wide.join(part, on="KPI id", how="left", maintain_order="left")
    return wide


def trend_table(history: pl.DataFrame, catalogue: pl.DataFrame, with_counts: bool = True) -> pl.DataFrame:
    """A trend's values: KPI id and name, unit, area, period, value, target, status, and the counts when shown."""
    names = catalogue.select("kpi_id", pl.col("name").alias("KPI"), pl.col("unit").alias("Unit"))
    counts = [pl.col("numerator").alias("Numerator"), pl.col("denominator").alias("Denominator")]
    if "ci_low" in history.columns:
        counts += [pl.col("ci_low").round(2).alias("95% CI low"), pl.col("ci_high").round(2).alias("95% CI high")]
    table = views_flag(history).join(names, on="kpi_id", how="left", maintain_order="left").select(
        pl.col("kpi_id").alias("KPI id"), "KPI", "Unit", pl.col("area").alias("Area"), pl.col("period").alias("Period"),
        pl.col("value").alias("Value"), pl.col("target").alias("Target"), rag_label_expr().str.replace(r"^\S+ ", "").alias("Status"),
        *(counts if with_counts else []), pl.col("note").alias("Note"), "suppressed", "suppression_reason",
    )
    figures = ["Value", *(c.meta.output_name() for c in counts if with_counts)]
    return with_suppressed_words(table, figures, "suppressed", "suppression_reason")


def changes_table(frame: pl.DataFrame) -> pl.DataFrame:
    """What changed, for download: names beside ids, the unit, both figures and statuses, direction and freshness.
    Suppressed figures say so where `frame` carries the flags of `suppression.mark` (`suppressed`, `since_suppressed`)."""
    flags = {c: pl.col(c) if c in frame.columns else pl.lit(None, t) for c, t in
             (("suppressed", pl.Boolean), ("suppression_reason", pl.String), ("since_suppressed", pl.Boolean))}
    table = frame.select(
        pl.col("kpi_id").alias("KPI id"), pl.col("kpi_name").alias("KPI"), pl.col("unit").alias("Unit"), pl.col("area").alias("Area"),
        pl.col("since_period").alias("Earlier period"), pl.col("since_value").alias("Earlier value"),
        pl.col("period").alias("Period"), pl.col("value").alias("Value"), pl.col("change").alias("Change"),
        rag_label_expr("since_status").str.replace(r"^\S+ ", "").alias("Earlier status"),
        rag_label_expr("status").str.replace(r"^\S+ ", "").alias("Status"),
        pl.col("status_changed").alias("Status changed"), pl.col("direction").alias("Direction"),
        pl.col("change_significant").alias("Significant change"), pl.col("target_last_met").alias("Target last met"),
        pl.col("overdue").alias("Overdue"), pl.col("overdue_days").alias("Days overdue"), pl.col("due_by").alias("Next figure due by"),
        pl.col("owner").alias("Owner"), *(e.alias(c) for c, e in flags.items()),
    )
    table = with_suppressed_words(table, ["Value", "Change"], "suppressed", "suppression_reason")
    return with_suppressed_words(table, ["Earlier value", "Change"], "since_suppressed", None)


def localities_table(frame: pl.DataFrame, parent: str) -> pl.DataFrame:
    """Each area's figure per KPI against the parent and the target: names beside ids, unit, interval, both gaps."""
    table = views_flag(frame).select(
        pl.col("kpi_id").alias("KPI id"), pl.col("name").alias("KPI"), pl.col("unit").alias("Unit"), pl.col("area").alias("Area"),
        pl.col("period").alias("Period"), pl.col("value").alias("Value"), pl.col("target").alias("Target"),
        (-pl.col("shortfall")).alias("Gap to target (+ is better)"), pl.col("parent_value").alias(f"{parent} value"),
        pl.col("gap").alias(f"Gap to {parent}"), pl.col("low").round(2).alias("95% CI low"), pl.col("high").round(2).alias("95% CI high"),
        pl.col("comparison").alias(f"Compared with {parent}"), pl.col("reason").alias("Why not compared"), "suppressed",
    )
    figures = ["Value", "Gap to target (+ is better)", f"Gap to {parent}", "95% CI low", "95% CI high"]
    return with_suppressed_words(table, figures, "suppressed")  # 'Why not compared' says why it is suppressed


def views_flag(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with the suppression columns, false and empty where there are none."""
    from kpis import views

    return views.with_suppression_flag(frame)
