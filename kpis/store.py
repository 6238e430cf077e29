"""The store: catalogue, areas and every observation file, loaded and reconciled.

Two kinds of source feed it: files dropped into `observations/`, and batches published
through the Data page or `python -m kpis ingest` (see `batches`). All are applied oldest
first (a dropped file by its modification time, a batch by its publish time; the name
breaks ties), so a later source wins. When two sources hold the same KPI, area and
period, the newer value is current and the older one is kept as a revision, with who
published it and when. A dropped file with any error is quarantined whole: the store
shows the last good data without it.

Every source (each dropped file, each batch, the audit log, the catalogue, the areas) is
loaded under one guard: whatever goes wrong while loading it, the source is quarantined
with a problem row and the rest of the board loads. A catalogue row with an error takes
out that KPI only (`Store.left_out`); an area row with an error takes out that area when
no other area hangs under it. The store is empty only when no KPI or no area is left.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TypeVar

import polars as pl

from kpis import areas as A
from kpis import backends, ingest, periods, readers
from kpis import batches as B
from kpis import catalogue as C
from kpis import problems as P

log = logging.getLogger(__name__)
T = TypeVar("T")

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
    left_out: tuple[str, ...] = ()  # KPI ids and areas whose catalogue or areas row has an error

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
    stamped = []
    for path in folder.glob("*.csv"):
        try:
            if path.is_file() and not path.name.startswith("."):
                stamped.append((path.stat().st_mtime_ns, path.name, path))
        except OSError:  # gone or unreadable since the listing: the next load sees it as it is then
            continue
    return [path for *_, path in sorted(stamped)]


def signature(data_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and modification times of every data file, and the store's own key: a cache key that changes with them."""
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
    return (*out, *backends.current(data_dir).signature())  # the batches: files' times, or the database's change counter


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


def guard(source: str, load: Callable[[], T], fallback: T) -> tuple[T, pl.DataFrame]:
    """Run one source's `load`; any exception quarantines that source with a problem row (and is logged)."""
    try:
        return load(), P.empty()
    except Exception as error:
        log.exception("%s could not be loaded and is quarantined", source)
        if isinstance(getattr(error, "problem", None), str) and isinstance(getattr(error, "fix", None), str):  # says both itself (pg.DatabaseError)
            return fallback, P.file_problem(source, error.problem, error.fix)
        return fallback, P.file_problem(source, f"The file could not be loaded ({type(error).__name__}: {str(error)[:200]})",
                                        "Check or replace the file; the rest of the board is shown without it")


def _keep_good_rows(text: readers.TextFrame, parse: Callable[[pl.DataFrame, str], tuple[pl.DataFrame, pl.DataFrame]],
                    file: str, key: str) -> tuple[pl.DataFrame | None, pl.DataFrame, pl.DataFrame]:
    """Parse a registry file, then drop the rows with an error: (rows left or None if the file is unusable, problems, rows left out as text)."""
    none = pl.DataFrame(schema={key: pl.String})
    if text.frame is None:
        return None, text.problems, none
    typed, problems = parse(text.frame, file)
    problems = P.combine([text.problems, problems])
    errors = problems.filter(pl.col("severity") == "error")
    if errors.height == 0:
        return typed, problems, none
    if errors["row"].null_count() or key not in text.frame.columns:
        return None, problems, none
    bad = text.frame.filter(pl.col("row").is_in(errors["row"].implode()))
    return typed.filter(~pl.col(key).is_in(bad[key].drop_nulls().implode()) & pl.col(key).is_not_null()), problems, bad


# A registry's parse (pandera) is most of a load's time, and each publish reloads the catalogue and areas unchanged:
# the rows kept are remembered by the file's content. Polars frames are not changed in place, so sharing them is safe.
_PARSED: dict[tuple[str, str, bytes], tuple[pl.DataFrame | None, pl.DataFrame, pl.DataFrame]] = {}
_PARSED_MAX = 8
_MEMO_LOCK = threading.Lock()


def _registry_rows(digest: bytes, text: readers.TextFrame, parse: Callable[[pl.DataFrame, str], tuple[pl.DataFrame, pl.DataFrame]],
                   file: str, key: str) -> tuple[pl.DataFrame | None, pl.DataFrame, pl.DataFrame]:
    """`_keep_good_rows` of a registry file, parsed once per content (`digest`: the SHA-256 of the bytes `text` was read from)."""
    memo = (key, file, digest)
    with _MEMO_LOCK:  # the app's sessions load in threads of their own
        if memo not in _PARSED:
            while len(_PARSED) >= _PARSED_MAX:
                _PARSED.pop(next(iter(_PARSED)))  # the oldest
            _PARSED[memo] = _keep_good_rows(text, parse, file, key)
        return _PARSED[memo]


# Every load checks each batch in force again (a later catalogue change shows), so a reload after a publish checked every
# earlier batch once more: a batch's check is remembered by its content, the registries' and the day it is judged on.
_CHECKED: dict[tuple, ingest.CheckResult] = {}
_CHECKED_MAX = 512


def _checked_batch(name: str, content: Path | bytes | pl.DataFrame, catalogue: pl.DataFrame, areas: pl.DataFrame,
                   registries: tuple[bytes, bytes], today: date | None) -> ingest.CheckResult:
    """`ingest.check_file` of a batch, once per (content, catalogue, areas, day). Rows read from a database as a frame are checked each time."""
    if isinstance(content, pl.DataFrame) or not all(registries):
        return ingest.check_file(name, content, catalogue, areas, today)
    day = today or date.today()
    raw = content.read_bytes() if isinstance(content, Path) else content
    memo = (name, hashlib.sha256(raw).digest(), *registries, day)
    with _MEMO_LOCK:
        if memo in _CHECKED:
            return _CHECKED[memo]
    result = ingest.check_file(name, content, catalogue, areas, day)
    with _MEMO_LOCK:
        # Checks against another catalogue, areas or day will not be asked for again: at most one copy of each batch is kept.
        for old in [key for key in _CHECKED if key[2:] != memo[2:]]:
            del _CHECKED[old]
        while len(_CHECKED) >= _CHECKED_MAX:
            _CHECKED.pop(next(iter(_CHECKED)))
        _CHECKED[memo] = result
    return result


def _catalogue(path: Path) -> tuple[pl.DataFrame, pl.DataFrame, list[str], bytes]:
    if not path.exists():
        return (*C.load(path), [], b"")
    content = path.read_bytes()
    digest = hashlib.sha256(content).digest()
    text = readers.read_text_csv(content, path.name)
    if text.frame is not None and "kpi_id" in text.frame.columns:
        text = readers.TextFrame(text.frame.with_columns(pl.col("kpi_id").str.to_lowercase()), text.problems)
    frame, problems, bad = _registry_rows(digest, text, C.parse, path.name, "kpi_id")
    return (C.empty() if frame is None else frame), problems, bad["kpi_id"].drop_nulls().to_list(), digest


def _areas(path: Path) -> tuple[pl.DataFrame, pl.DataFrame, list[str], bytes]:
    if not path.exists():
        return (*A.load(path), [], b"")
    content = path.read_bytes()
    digest = hashlib.sha256(content).digest()
    frame, problems, bad = _registry_rows(digest, readers.read_text_csv(content, path.name), A.parse, path.name, "area")
    out = bad["area"].drop_nulls().to_list()
    if frame is None or frame.filter(pl.col("parent").is_in(out)).height:
        return A.empty(), problems, [], b""  # an area left out with areas under it: the tree is unusable
    return frame, problems, [*out, *(bad["code"].drop_nulls().to_list() if "code" in bad.columns else [])], digest


def _excuse_left_out(problems: pl.DataFrame, catalogue_out: list[str], areas_out: list[str]) -> pl.DataFrame:
    """A row for a KPI or area that is left out (its registry row has an error) is skipped with a warning, not an error."""
    if not catalogue_out and not areas_out:
        return problems
    value = pl.col("value").str.strip_chars().str.to_lowercase()
    kpi = (pl.col("column") == "kpi_id") & pl.col("problem").str.starts_with("Unknown KPI id") & value.is_in([k.lower() for k in catalogue_out])
    area = (pl.col("column") == "area") & pl.col("problem").str.starts_with("Unknown area") & value.is_in([a.lower() for a in areas_out])
    return problems.with_columns(
        pl.when(kpi | area).then(pl.lit("warning")).otherwise(pl.col("severity")).alias("severity"),
        pl.when(kpi).then(pl.format("The KPI '{}' is left out: its row in catalogue.csv has an error", pl.col("value")))
        .when(area).then(pl.format("The area '{}' is left out: its row in areas.csv has an error", pl.col("value")))
        .otherwise(pl.col("problem")).alias("problem"),
        pl.when(kpi | area).then(pl.lit("Fix the catalogue or areas row (see the Data page); this row loads once it is fixed"))
        .otherwise(pl.col("fix")).alias("fix"),
    )


def load(data_dir: Path, today: date | None = None) -> Store:
    (catalogue, catalogue_problems, catalogue_out, catalogue_sha), crash_c = guard(
        "catalogue.csv", lambda: _catalogue(data_dir / "catalogue.csv"), (C.empty(), P.empty(), [], b""))
    (areas, area_problems, areas_out, areas_sha), crash_a = guard("areas.csv", lambda: _areas(data_dir / "areas.csv"), (A.empty(), P.empty(), [], b""))
    reports = [catalogue_problems, crash_c, area_problems, crash_a]
    if catalogue.height == 0 or areas.height == 0:
        return Store(C.empty(), A.empty(), ingest.empty(), problems=P.combine(reports))
    excuse = lambda problems: _excuse_left_out(problems, catalogue_out, areas_out)
    sources: list[tuple[str, str, pl.DataFrame]] = []
    file_rows = []
    for path in observation_files(data_dir):
        result, crash = guard(path.name, lambda path=path: ingest.check_file(path, path, catalogue, areas, today), None)
        problems = P.combine([excuse(result.problems), crash]) if result else crash
        errors = P.error_count(problems)
        if result is not None and not errors:
            when = _mtime_iso(path)
            sources.append((when, path.name, ingest.as_text(result.frame).with_columns(
                pl.lit(path.name).alias("source"), pl.lit(when).alias("published_at"), pl.lit("file drop-in").alias("published_by"))))
        file_rows.append({"file": path.name, "rows": result.frame.height if result else 0, "status": "quarantined" if errors else "loaded",
                          "errors": errors, "warnings": problems.height - errors})
        reports.append(problems)
    backend = backends.current(data_dir)
    audit_source, batch_source = (B.AUDIT_FILE, B.BATCH_DIR) if backend.name == "files" else ("database", "database")
    report, crash = guard(audit_source, backend.report, B.Report(pl.DataFrame(schema=B.HISTORY_SCHEMA), P.empty()))
    reports += [report.problems, crash]
    active, crash = guard(batch_source, lambda: list(backend.active_batches(report.history)), [])
    reports.append(crash)
    for info, name, content in active:
        # Batches were validated when published; they are checked again so that a later catalogue change shows.
        result, crash = guard(name, lambda name=name, content=content: _checked_batch(name, content, catalogue, areas, (catalogue_sha, areas_sha), today), None)
        reports.append(crash)
        if result is None:
            continue
        sources.append((info.published_at, info.batch_id, ingest.as_text(result.frame).with_columns(
            pl.lit(info.batch_id).alias("source"), pl.lit(info.published_at).alias("published_at"), pl.lit(info.user).alias("published_by"))))
        reports.append(excuse(result.problems).filter(pl.col("severity") == "error"))
    sources.sort(key=lambda s: (s[0], s[1]))
    current, revisions = reconcile([frame for _, _, frame in sources])
    return Store(catalogue, areas, current, revisions, pl.DataFrame(file_rows, schema=FILE_SCHEMA), P.combine(reports),
                 tuple([*catalogue_out, *areas_out]))


def with_frame(store: Store, frame: pl.DataFrame, source: str, published_at: str, published_by: str) -> Store:
    """The store as it would be with `frame` (typed observations) applied last."""
    extra = ingest.as_text(frame).with_columns(
        pl.lit(source).alias("source"), pl.lit(published_at).alias("published_at"), pl.lit(published_by).alias("published_by"))
    current, revisions = reconcile([store.observations, extra])
    return Store(store.catalogue, store.areas, current, pl.concat([store.revisions, revisions], how="vertical"), store.files, store.problems,
                 store.left_out)
