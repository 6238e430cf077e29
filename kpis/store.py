"""The store: catalogue, areas and every observation file, loaded and reconciled.

Observation files are applied oldest first, by modification time (name breaks ties), so
a file dropped in later wins. When two files hold the same KPI, area and period, the
newer file's value is current and the older value is kept as a revision. A file with
any error is quarantined whole: the store shows the last good data without it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from kpis import areas as A
from kpis import catalogue as C
from kpis import ingest
from kpis import problems as P

FILE_SCHEMA = {"file": pl.String, "rows": pl.Int64, "status": pl.String, "errors": pl.Int64, "warnings": pl.Int64}


@dataclass(frozen=True)
class Store:
    catalogue: pl.DataFrame
    areas: pl.DataFrame
    observations: pl.DataFrame  # current value per KPI, area and period, with `source`
    revisions: pl.DataFrame = field(default_factory=lambda: ingest.empty().with_columns(pl.lit(None, pl.String).alias("source")))
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
    files = [p for p in folder.glob("*.csv") if p.is_file()]
    return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))


def signature(data_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and modification times of every data file: a cache key that changes with them."""
    paths = [data_dir / "catalogue.csv", data_dir / "areas.csv", *observation_files(data_dir)]
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
    """Current values (later frames win) and the superseded ones, from frames with `source`."""
    if not frames:
        empty = ingest.empty().with_columns(pl.lit(None, pl.String).alias("source"))
        return empty, empty
    stacked = pl.concat(
        [f.with_columns(pl.lit(i, pl.Int64).alias("_order")) for i, f in enumerate(frames)], how="vertical"
    )
    latest = pl.col("_order") == pl.col("_order").max().over(ingest.KEY)
    current = stacked.filter(latest).drop("_order").sort(["kpi_id", "area", "period_end"])
    revisions = stacked.filter(~latest).drop("_order")
    return current, revisions


def load(data_dir: Path, today: date | None = None) -> Store:
    catalogue, catalogue_problems = C.load(data_dir / "catalogue.csv")
    areas, area_problems = A.load(data_dir / "areas.csv")
    if P.has_errors(catalogue_problems) or P.has_errors(area_problems):
        return Store(C.empty(), A.empty(), ingest.empty(), problems=P.combine([catalogue_problems, area_problems]))
    good, file_rows, reports = [], [], [catalogue_problems, area_problems]
    for path in observation_files(data_dir):
        result = ingest.check_file(path, path, catalogue, areas, today)
        errors = result.problems.filter(pl.col("severity") == "error").height
        warnings = result.problems.height - errors
        status = "quarantined" if errors else "loaded"
        if not errors:
            good.append(ingest.as_text(result.frame).with_columns(pl.lit(path.name).alias("source")))
        file_rows.append({"file": path.name, "rows": result.frame.height, "status": status, "errors": errors, "warnings": warnings})
        reports.append(result.problems)
    current, revisions = reconcile(good)
    return Store(catalogue, areas, current, revisions, pl.DataFrame(file_rows, schema=FILE_SCHEMA), P.combine(reports))


def from_frames(catalogue: pl.DataFrame, areas: pl.DataFrame, observations: list[pl.DataFrame]) -> Store:
    """A store from frames already typed (benchmarks and tests)."""
    current, revisions = reconcile([o.with_columns(pl.lit(f"frame{i}").alias("source")) for i, o in enumerate(observations)])
    return Store(catalogue, areas, current, revisions)
