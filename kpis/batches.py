"""Published batches: immutable files, an audit log, atomic writes and one lock.

Layout in the data folder:
- `batches/<batch_id>.csv`: what one publish wrote, never changed afterwards;
- `audit.jsonl`: one JSON object per line, the record of every publish, undo and restore.

The audit log is the commit point. A publish first writes its batch file (temporary file
in the same folder, fsync, rename), then rewrites the audit log the same way with the
new entry added. A batch file without an audit entry (a publish killed half-way) is
ignored, so a crash at any instant leaves the old state or the new one. Undo and restore
only add audit entries: nothing is ever deleted. All writes hold one file lock, so two
publishes at once are applied one after the other, or the second is told to retry.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import os
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from filelock import FileLock, Timeout

BATCH_DIR = "batches"
AUDIT_FILE = "audit.jsonl"
LOCK_FILE = ".publish.lock"
LOCK_TIMEOUT_S = 15.0

HISTORY_SCHEMA = {
    "batch_id": pl.String, "published_at": pl.String, "user": pl.String, "source": pl.String, "sha256": pl.String,
    "rows": pl.Int64, "new": pl.Int64, "revised": pl.Int64, "unchanged": pl.Int64, "withdrawn": pl.Boolean,
    "withdrawn_at": pl.String, "withdrawn_by": pl.String,
}


class BusyError(RuntimeError):
    """Another publish holds the lock: try again in a moment."""


class UnknownBatchError(KeyError):
    pass


@dataclass(frozen=True)
class BatchInfo:
    batch_id: str
    published_at: str
    user: str
    source: str
    sha256: str
    rows: int


def local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "local user"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_batch_id() -> str:
    """Sortable by time, unique across processes: 20241126T105700123456Z-3f9a1c."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(3)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a directory be opened
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a reader sees the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


@contextlib.contextmanager
def locked(data_dir: Path, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(data_dir / LOCK_FILE), timeout=timeout)
    try:
        with lock:
            yield
    except Timeout as error:
        raise BusyError("Another analyst is publishing right now. Please try again in a moment.") from error


def read_audit(data_dir: Path) -> list[dict[str, object]]:
    path = data_dir / AUDIT_FILE
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            with contextlib.suppress(json.JSONDecodeError):  # written whole by rename; a bad line is skipped, not fatal
                entries.append(json.loads(line))
    return entries


def _append_audit(data_dir: Path, entry: dict[str, object]) -> None:
    lines = [json.dumps(e, ensure_ascii=False, sort_keys=True) for e in [*read_audit(data_dir), entry]]
    atomic_write(data_dir / AUDIT_FILE, ("\n".join(lines) + "\n").encode("utf-8"))


def history(data_dir: Path) -> pl.DataFrame:
    """Every published batch, oldest first, and whether it is withdrawn now."""
    batches: dict[str, dict[str, object]] = {}
    for entry in read_audit(data_dir):
        action, batch_id = entry.get("action"), str(entry.get("batch_id"))
        if action == "publish":
            batches[batch_id] = {k: entry.get(k) for k in ("batch_id", "published_at", "user", "source", "sha256", "rows", "new", "revised", "unchanged")}
            batches[batch_id] |= {"withdrawn": False, "withdrawn_at": None, "withdrawn_by": None}
        elif action == "undo" and batch_id in batches:
            batches[batch_id] |= {"withdrawn": True, "withdrawn_at": entry.get("at"), "withdrawn_by": entry.get("user")}
        elif action == "restore" and batch_id in batches:
            batches[batch_id] |= {"withdrawn": False, "withdrawn_at": None, "withdrawn_by": None}
    return pl.DataFrame(list(batches.values()), schema=HISTORY_SCHEMA)


def active(data_dir: Path) -> list[tuple[BatchInfo, Path]]:
    """Batches in force (published, not withdrawn, file present), oldest first."""
    out = []
    for row in history(data_dir).filter(~pl.col("withdrawn")).iter_rows(named=True):
        path = data_dir / BATCH_DIR / f"{row['batch_id']}.csv"
        if path.exists():
            out.append((BatchInfo(row["batch_id"], row["published_at"], row["user"], row["source"], row["sha256"], row["rows"]), path))
    return out


def write_batches(data_dir: Path, parts: list[tuple[pl.DataFrame, str, str, dict[str, int]]], user: str) -> list[BatchInfo]:
    """Publish each (frame, source name, sha256, counts) as a batch, all or none. Call inside `locked`.

    The batch files are written first; one rewrite of the audit log then commits them all.
    """
    infos, entries = [], []
    for frame, source, content_sha256, counts in parts:
        batch_id = new_batch_id()
        atomic_write(data_dir / BATCH_DIR / f"{batch_id}.csv", frame.write_csv().encode("utf-8"))
        info = BatchInfo(batch_id, now(), user, source, content_sha256, frame.height)
        infos.append(info)
        entries.append({"action": "publish", **info.__dict__, **counts})
    if entries:
        lines = [json.dumps(e, ensure_ascii=False, sort_keys=True) for e in [*read_audit(data_dir), *entries]]
        atomic_write(data_dir / AUDIT_FILE, ("\n".join(lines) + "\n").encode("utf-8"))
    return infos


def set_withdrawn(data_dir: Path, batch_id: str, user: str, withdrawn: bool) -> None:
    """Undo (withdraw) or restore a batch by adding an audit entry. Raises UnknownBatchError."""
    with locked(data_dir):
        known = history(data_dir).filter(pl.col("batch_id") == batch_id)
        if known.height == 0:
            raise UnknownBatchError(batch_id)
        if known["withdrawn"].item() == withdrawn:
            return
        _append_audit(data_dir, {"action": "undo" if withdrawn else "restore", "batch_id": batch_id, "user": user, "at": now()})
