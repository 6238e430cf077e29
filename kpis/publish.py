"""From uploaded files to a published batch: check, preview, publish, undo.

The Data page and `python -m kpis ingest` share this path, so a file is judged the same
way wherever it comes in. Nothing is written unless every file is free of errors.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from kpis import batches as B
from kpis import ingest, layouts, summary
from kpis import problems as P
from kpis import store as S
from kpis.periods import MONTHS_IN, order_exprs

JUMP = 0.5  # a value more than 50% away from the previous period's is worth a second look
DEFAULT_MAX_BYTES = 50 * 2**20


@dataclass(frozen=True)
class Upload:
    name: str  # only ever shown and recorded, never used as a path
    data: bytes
    sheet: str | None = None
    ref: str | None = None  # the caller's id for this upload (e.g. the browser upload's), for caching


@dataclass(frozen=True)
class Checked:
    name: str
    sha256: str
    frame: pl.DataFrame  # rows that passed, plain text columns
    problems: pl.DataFrame
    layout: str = "long"
    sheets: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not P.has_errors(self.problems)


def blocked_reason(checked: list[Checked]) -> str | None:
    """Why these checked files cannot be published, or None: the one publish gate for the page and the CLI."""
    blocked = [c.name for c in checked if not c.valid]
    if blocked:
        return f"Fix the errors in {', '.join(blocked)} first."
    if sum(c.frame.height for c in checked) == 0:
        return "There are no rows to publish."
    return None


def display_name(name: str) -> str:
    """A file name as sent by a browser, reduced to something safe to show and record."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in "<>:\"|?*")
    return cleaned.strip()[:120] or "upload"


def check_upload(upload: Upload, store: S.Store, mapping: layouts.Mapping | None = None, today: date | None = None,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> Checked:
    name = display_name(upload.name)
    digest = B.sha256(upload.data)
    if len(upload.data) > max_bytes:
        return Checked(name, digest, ingest.empty(), P.file_problem(
            name, f"The file is {len(upload.data) / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB limit", "Split it into smaller files"))
    sheets = layouts.excel_sheets(upload.data) if layouts.is_excel(upload.data) else []
    text = layouts.read_any(upload.data, name, upload.sheet)
    if text.frame is None:
        return Checked(name, digest, ingest.empty(), text.problems, sheets=sheets)
    frame, layout = text.frame, "long"
    if mapping is not None:
        frame = layouts.apply_mapping(frame, mapping)
    ignored = P.empty()
    if area_columns := layouts.detect_wide(frame, store.catalogue, store.areas):
        extra = [c for c in frame.columns if c not in {*area_columns, "row", "kpi", "kpi_id", "period", "target", "note"}]
        # In the report's layout an unrecognised column is most likely an area missing from areas.csv.
        ignored = P.combine([P.file_problem(name, f"The column '{c}' is not an area in areas.csv, so its figures were left out",
                                            "Rename it to an area's name or code, or add the area to areas.csv", "warning", c) for c in extra])
        frame, layout = layouts.wide_to_long(frame, store.catalogue, store.areas), "wide"
    result = ingest.check_observations(frame, store.catalogue, store.areas, name, today)
    with_rows = ingest.as_text(result.frame, keep_row=True)
    problems = P.combine([text.problems, ignored, result.problems, _history_warnings(with_rows, store, name)])
    typed = ingest.as_text(result.frame) if not P.has_errors(text.problems) else ingest.empty()
    return Checked(name, digest, typed, problems, layout, sheets)


def _history_warnings(frame: pl.DataFrame, store: S.Store, file: str) -> pl.DataFrame:
    """Warnings that need the published history: a value more than 50% away from the previous period's."""
    if frame.height == 0:
        return P.empty()
    step = pl.col("period_kind").replace_strict({str(kind): f"-{months}mo" for kind, months in MONTHS_IN.items()},
                                                default="-12mo", return_dtype=pl.String)
    previous = store.observations.select("kpi_id", "area", "period_kind", pl.col("period_start").alias("_prev_start"),
                                         pl.col("value").alias("_prev_value"), pl.col("period").alias("_prev_period"))
    jumps = (
        frame.with_columns(pl.col("period_start").dt.offset_by(step).alias("_prev_start"))
        .join(previous, on=["kpi_id", "area", "period_kind", "_prev_start"], how="inner")
        .filter((pl.col("_prev_value") != 0) & ((pl.col("value") - pl.col("_prev_value")).abs() > JUMP * pl.col("_prev_value").abs()))
    )
    return P.row_problems(
        jumps, file, pl.lit(True), "value", pl.col("value"),
        pl.format("More than 50% away from {} in {}", pl.col("_prev_value"), pl.col("_prev_period")),
        "Check the figure; publish it if it is right", "warning",
    ).collect()


def check_uploads(uploads: list[Upload], store: S.Store, mapping: layouts.Mapping | None = None, today: date | None = None,
                  max_bytes: int = DEFAULT_MAX_BYTES) -> list[Checked]:
    checked = [check_upload(u, store, mapping, today, max_bytes) for u in uploads]
    return cross_file_conflicts(checked)


def cross_file_conflicts(checked: list[Checked]) -> list[Checked]:
    """Two files of one upload giving different values for the same KPI, area and period is an error in the later file."""
    seen: pl.DataFrame | None = None
    out = []
    for item in checked:
        problems = item.problems
        if seen is not None and item.frame.height:
            clash = item.frame.join(seen, on=list(ingest.KEY), how="inner", suffix="_other").filter(pl.col("value") != pl.col("value_other"))
            if clash.height:
                problems = P.combine([problems, P.file_problem(
                    item.name, f"{clash.height} figure(s) differ from another file in this upload, e.g. {clash['kpi_id'][0]}, "
                    f"{clash['area'][0]}, {clash['period'][0]}", "Upload one file per KPI, area and period, or correct the figures")])
        seen = item.frame.select(*ingest.KEY, "value") if seen is None else pl.concat([seen, item.frame.select(*ingest.KEY, "value")])
        out.append(Checked(item.name, item.sha256, item.frame, problems, item.layout, item.sheets))
    return out


@dataclass(frozen=True)
class Preview:
    changes: pl.DataFrame  # one row per uploaded figure: change = new / revised / unchanged, with the old figure's provenance
    flips: pl.DataFrame  # KPI and area whose overview status would change
    counts: dict[str, int]


def preview(checked: list[Checked], store: S.Store) -> Preview:
    frames = [c.frame.with_columns(pl.lit(c.name).alias("file")) for c in checked if c.frame.height]
    if not frames:
        empty = pl.DataFrame(schema={"file": pl.String, "kpi_id": pl.String, "area": pl.String, "period": pl.String, "change": pl.String})
        return Preview(empty, pl.DataFrame(), {"new": 0, "revised": 0, "unchanged": 0})
    changes = classify(pl.concat(frames, how="vertical_relaxed"), store)
    after = store
    for c in checked:
        if c.frame.height:
            after = S.with_frame(after, c.frame, c.name, B.now(), "preview")
    return Preview(changes, status_flips(store, after), counts_of(changes))


def classify(incoming: pl.DataFrame, store: S.Store) -> pl.DataFrame:
    """Each incoming figure as new, revised or unchanged against the store, with the old figure's provenance."""
    current = store.observations.select(*ingest.KEY, pl.col("value").alias("old_value"), pl.col("source").alias("old_source"),
                                        pl.col("published_at").alias("old_published_at"), pl.col("published_by").alias("old_published_by"))
    return incoming.join(current, on=list(ingest.KEY), how="left", maintain_order="left").with_columns(
        pl.when(pl.col("old_value").is_null()).then(pl.lit("new"))
        .when((pl.col("value") - pl.col("old_value")).abs() < 1e-9).then(pl.lit("unchanged"))
        .otherwise(pl.lit("revised")).alias("change")
    )


def counts_of(changes: pl.DataFrame) -> dict[str, int]:
    return {k: int(changes.filter(pl.col("change") == k).height) for k in ("new", "revised", "unchanged")}


def status_flips(before: S.Store, after: S.Store) -> pl.DataFrame:
    """Per KPI and area, the overview's status before and after, where it differs (each at its own default period)."""
    old = summary.latest(before, summary.default_period(before)).select("kpi_id", "name", "area", pl.col("period").alias("period_before"),
                                                                         pl.col("rag").alias("rag_before"))
    new = summary.latest(after, summary.default_period(after)).select("kpi_id", "name", "area", pl.col("period").alias("period_after"),
                                                                       pl.col("rag").alias("rag_after"))
    both = new.join(old, on=["kpi_id", "name", "area"], how="full", coalesce=True)
    return both.filter(pl.col("rag_before").fill_null("none") != pl.col("rag_after").fill_null("none")).sort("kpi_id", "area")


def publish(data_dir: Path, checked: list[Checked], store: S.Store, user: str) -> list[B.BatchInfo]:
    """Write every file as a batch, all or none. Raises ValueError if any file has an error, BusyError if locked."""
    if not checked or any(not c.valid for c in checked):
        raise ValueError("Nothing was published: every error must be fixed first")
    with B.locked(data_dir):
        parts = [(c.frame.select(layouts.CANONICAL), c.name, c.sha256, counts_of(classify(c.frame, store))) for c in checked if c.frame.height]
        return B.write_batches(data_dir, parts, user)


# Why a write failed, said so that the person can act on it: errno -> (problem, fix).
WRITE_ERRORS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("The disk is full, so nothing was written", "Free some space on the disk that holds the data folder, then try again"),
    errno.EDQUOT: ("The disk quota is used up, so nothing was written", "Free some space or raise the quota, then try again"),
    errno.EROFS: ("The data folder is read-only, so nothing was written", "Mount the data folder read-write (or point KPI_DATA_DIR at a writable folder), then try again"),
    errno.EACCES: ("The data folder may not be written by this user, so nothing was written",
                   "Give the user the board runs as write access to the data folder, then try again"),
    errno.EPERM: ("The data folder may not be written by this user, so nothing was written",
                  "Give the user the board runs as write access to the data folder, then try again"),
}


def explain_error(error: BaseException) -> tuple[str, str] | None:
    """(problem, fix) for a write that failed for a reason outside the data (busy, disk full, read-only), else None."""
    if isinstance(error, B.BusyError):
        return str(error), "Wait a moment and try again; nothing was written"
    if isinstance(error, OSError):
        return WRITE_ERRORS.get(error.errno or 0, (f"The data folder could not be written ({error.strerror or error}), so nothing was written",
                                                   "Check the disk and the data folder's permissions, then try again"))
    return None


def template(store: S.Store) -> pl.DataFrame:
    """A CSV template: one row per KPI and area that reports it, for the period after its latest, value to fill in."""
    from kpis.periods import PeriodKind, add_months, make_period

    latest = (
        store.observations.sort(order_exprs()).unique(subset=["kpi_id", "area"], keep="last")
        .join(store.catalogue.select("kpi_id", pl.col("name").alias("kpi_name")).with_row_index("_order"), on="kpi_id")
        .join(store.areas.select("area", "order"), on="area")
        .sort(["_order", "order"])
    )
    kinds = latest.select("period_kind", "period_start").unique()
    labels = {
        (kind, start): make_period(PeriodKind(kind), add_months(start, MONTHS_IN[PeriodKind(kind)])).label
        for kind, start in kinds.iter_rows()
    }
    next_period = pl.DataFrame(
        {"period_kind": [k for k, _ in labels], "period_start": [s for _, s in labels], "next_period": list(labels.values())},
        schema={"period_kind": pl.String, "period_start": pl.Date, "next_period": pl.String},
    )
    return latest.join(next_period, on=["period_kind", "period_start"], how="left", maintain_order="left").select(
        "kpi_id", "area", pl.col("next_period").alias("period"), pl.lit(None, pl.String).alias("value"),
        pl.lit(None, pl.String).alias("numerator"), pl.lit(None, pl.String).alias("denominator"),
        pl.lit(None, pl.String).alias("target"), pl.col("kpi_name").alias("note"),
    )
