"""Where published batches and the audit log are kept: one interface, two backends.

- `files` (the default): the data folder's `batches/` and `audit.jsonl`, one file lock
  (see `batches`). Right for one machine with one board server.
- `postgres`: tables in one PostgreSQL database (see `pg`), chosen by $KPI_DATABASE_URL
  (or the CLI's `--database-url`). Every board server on every machine reads and
  publishes the same figures with the same guarantees.

Both keep the same promises: a publish is all or nothing, batches are never changed,
undo and restore are new audit entries, nothing is deleted, and a second publisher
waits on a lock or is told to retry. The catalogue, areas, narratives, mappings and SPC
baselines stay files in the data folder for both: they are configuration that changes
with a release, so several servers read them from one read-only copy shipped with the
app (or one shared read-only mount), never from a folder a server writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import polars as pl

from kpis import batches as B
from kpis import config

# A part to publish: (frame in the canonical columns, source name, SHA-256 of the upload, new/revised/unchanged counts).
Part = tuple[pl.DataFrame, str, str, dict[str, int]]


class Backend(Protocol):
    name: str

    def report(self) -> B.Report:
        """Every committed batch and its state (B.HISTORY_SCHEMA), with the problems found on the way."""
        ...

    def active_batches(self, history: pl.DataFrame) -> Iterator[tuple[B.BatchInfo, str, Path | pl.DataFrame]]:
        """Batches in force, oldest first: (info, name in reports, its CSV file or its rows as text columns)."""
        ...

    def write_batches(self, parts: list[Part], user: str, mapping: str | None = None) -> list[B.BatchInfo]:
        """Publish every part as a batch, all or none, under the publish lock (B.BusyError when it stays taken)."""
        ...

    def set_withdrawn(self, batch_id: str, user: str, withdrawn: bool) -> bool:
        """Undo or restore by a new audit entry; False when it was so already."""
        ...

    def signature(self) -> tuple:
        """A cache key that changes with every publish, undo and restore, whichever server made it."""
        ...

    def check(self, repair: bool = False) -> pl.DataFrame:
        """Findings in B.CHECK_SCHEMA: what a person (or --repair) must look at."""
        ...


@dataclass(frozen=True)
class FilesBackend:
    """Today's data folder, unchanged: every call is the `batches` function of the same name."""

    data_dir: Path
    name: str = "files"

    def report(self) -> B.Report:
        return B.report(self.data_dir)

    def active_batches(self, history: pl.DataFrame) -> Iterator[tuple[B.BatchInfo, str, Path | pl.DataFrame]]:
        for info, path in B.active(self.data_dir, history):
            yield info, f"{B.BATCH_DIR}/{path.name}", path

    def write_batches(self, parts: list[Part], user: str, mapping: str | None = None) -> list[B.BatchInfo]:
        with B.locked(self.data_dir):
            return B.write_batches(self.data_dir, parts, user, mapping=mapping)

    def set_withdrawn(self, batch_id: str, user: str, withdrawn: bool) -> bool:
        return B.set_withdrawn(self.data_dir, batch_id, user, withdrawn)

    def signature(self) -> tuple:
        out = []
        for path in (self.data_dir / B.AUDIT_FILE, self.data_dir / B.BATCH_DIR):
            try:
                stat = path.stat()
            except OSError:
                continue
            out.append((str(path), stat.st_size, stat.st_mtime_ns))
        return tuple(out)

    def check(self, repair: bool = False) -> pl.DataFrame:
        return B.check(self.data_dir, repair=repair)


def _postgres(data_dir: Path, url: str) -> Backend:
    from kpis import pg

    return pg.PostgresBackend(url)


# The registry: a backend's name -> how to open it for a data folder and a database URL.
BACKENDS: dict[str, Callable[[Path, str], Backend]] = {
    "files": lambda data_dir, url: FilesBackend(data_dir),
    "postgres": _postgres,
}


def chosen(url: str | None = None) -> str:
    """The backend's name: `postgres` when a database URL is given or set, else `files`."""
    return "postgres" if config.database_url(url) else "files"


def current(data_dir: Path, url: str | None = None) -> Backend:
    """The backend this process uses for `data_dir`: $KPI_DATABASE_URL (or `url`) picks PostgreSQL."""
    return BACKENDS[chosen(url)](Path(data_dir), config.database_url(url) or "")


# The calls the pages and the CLI make, by data folder, so that they need not know which backend is in use.


def report(data_dir: Path) -> B.Report:
    return current(data_dir).report()


def set_withdrawn(data_dir: Path, batch_id: str, user: str, withdrawn: bool) -> bool:
    return current(data_dir).set_withdrawn(batch_id, user, withdrawn)


def check(data_dir: Path, repair: bool = False) -> pl.DataFrame:
    return current(data_dir).check(repair)
