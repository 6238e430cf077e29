"""The store: catalogue, areas and every observation file, loaded and reconciled.

Two kinds of source feed it: files dropped into `observations/`, and batches published
through the Data page or `python -m kpis ingest` (see `batches`). All are applied oldest
first (a dropped file by its modification time, a batch by its publish time; the name
breaks ties), so a later source wins. When two sources hold the same KPI, area and
period, the newer value is current and the older one is kept as a revision, with who
published it and when. A dropped file with any error is quarantined whole: the store
shows the last good data without it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from kpis import areas as A
from kpis import batches as B
from kpis import catalogue as C
from kpis import ingest, periods
from kpis import problems as P

FILE_SCHEMA = {"file": pl.String, "rows": pl.Int64, "status": pl.String, "errors": pl.Int64, "warnings": pl.Int64}
PROVENANCE = {"source": pl.String, "published_at": pl.String, "published_by": pl.String}


def _empty_observations() -> pl.DataFrame:
    return ingest.empty().with_columns(pl.lit(None, t).alias(c) for c, t in PROVENANCE.items())


@dataclass(frozen=True)
class Store:
    catalogue: pl.DataFrame
    areas: pl.DataFrame
    observations: pl.DataFrame  # current value per KPI, area and period, with `source`
    revisions: pl.DataFrame = field(default_factory=_empty_observations)
    files: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=FILE_SCHEMA))
    problems: pl.DataFrame = field(default_factory=P.empty)

    @property
    def ok(self) -> bool:
        return self.catalogue.height > 0 and self.areas.height > 0

    def kpi(self, kpi_id: str) -> dict[str, object] | None:
        rows = self.catalogue.filter(pl.col("kpi_id") == kpi_id)
        return rows.row(0, named=True) if rows.height else None


def observation_files(data_dir: Path) -> list[Path]:
    folder = data_dir / "observations"
    if not folder.is_dir():
        return []
    files = [p for p in folder.glob("*.csv") if p.is_file() and not p.name.startswith(".")]
    return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))


def signature(data_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and modification times of every data file: a cache key that changes with them."""
    paths = [data_dir / "catalogue.csv", data_dir / "areas.csv", data_dir / B.AUDIT_FILE, *observation_files(data_dir)]
    if (data_dir / "narratives").is_dir():
        paths += sorted((data_dir / "narratives").glob("*.md"))
    out = []
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            continue
        out.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(out)


def reconcile(frames: list[pl.DataFrame]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Current values (later frames win) and the superseded ones, from frames with provenance columns."""
    frames = [f.with_columns(pl.lit(None, t).alias(c) for c, t in PROVENANCE.items() if c not in f.columns).cast(PROVENANCE) for f in frames]
    if not frames:
        return _empty_observations(), _empty_observations()
    stacked = pl.concat(
        [f.with_columns(pl.lit(i, pl.Int64).alias("_order")) for i, f in enumerate(frames)], how="vertical"
    )
    latest = pl.col("_order") == pl.col("_order").max().over(ingest.KEY)
    current = stacked.filter(latest).drop("_order").sort([pl.col("kpi_id"), pl.col("area"), *periods.order_exprs()])
    revisions = stacked.filter(~latest).drop("_order")
    return current, revisions


def _mtime_iso(path: Path) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def load(data_dir: Path, today: date | None = None) -> Store:
    catalogue, catalogue_problems = C.load(data_dir / "catalogue.csv")
    areas, area_problems = A.load(data_dir / "areas.csv")
    if P.has_errors(catalogue_problems) or P.has_errors(area_problems):
        return Store(C.empty(), A.empty(), ingest.empty(), problems=P.combine([catalogue_problems, area_problems]))
    sources: list[tuple[str, str, pl.DataFrame]] = []
    file_rows, reports = [], [catalogue_problems, area_problems]
    for path in observation_files(data_dir):
        result = ingest.check_file(path, path, catalogue, areas, today)
        errors = result.problems.filter(pl.col("severity") == "error").height
        warnings = result.problems.height - errors
        status = "quarantined" if errors else "loaded"
        if not errors:
            when = _mtime_iso(path)
            sources.append((when, path.name, ingest.as_text(result.frame).with_columns(
                pl.lit(path.name).alias("source"), pl.lit(when).alias("published_at"), pl.lit("file drop-in").alias("published_by"))))
        file_rows.append({"file": path.name, "rows": result.frame.height, "status": status, "errors": errors, "warnings": warnings})
        reports.append(result.problems)
    for info, path in B.active(data_dir):
        # Batches were validated when published; they are checked again so that a later catalogue change shows.
        result = ingest.check_file(path, path, catalogue, areas, today)
        sources.append((info.published_at, info.batch_id, ingest.as_text(result.frame).with_columns(
            pl.lit(info.batch_id).alias("source"), pl.lit(info.published_at).alias("published_at"), pl.lit(info.user).alias("published_by"))))
        if P.has_errors(result.problems):
            reports.append(result.problems.filter(pl.col("severity") == "error"))
    sources.sort(key=lambda s: (s[0], s[1]))
    current, revisions = reconcile([frame for _, _, frame in sources])
    return Store(catalogue, areas, current, revisions, pl.DataFrame(file_rows, schema=FILE_SCHEMA), P.combine(reports))


def with_frame(store: Store, frame: pl.DataFrame, source: str, published_at: str, published_by: str) -> Store:
    """The store as it would be with `frame` (typed observations) applied last."""
    extra = ingest.as_text(frame).with_columns(
        pl.lit(source).alias("source"), pl.lit(published_at).alias("published_at"), pl.lit(published_by).alias("published_by"))
    current, revisions = reconcile([store.observations, extra])
    return Store(store.catalogue, store.areas, current, pl.concat([store.revisions, revisions], how="vertical"), store.files, store.problems)
