"""Published batches: immutable files, an append-only audit log, atomic writes and one lock.

Layout in the data folder:
- `batches/<batch_id>.csv`: what one publish wrote, never changed afterwards;
- `audit.jsonl`: one JSON object per line, the record of every publish, undo and restore.

The audit log is the commit point. A publish first writes its batch files (temporary file
in the same folder, fsync, rename), then appends one line per batch to the audit log in
one write, with fsync. Each line carries a checksum of the rest (`check`), and the lines
of one publish name their group and its size, so a publish counts only when every line
of its group is present and whole: a crash at any instant leaves the old state or the new
one. The log is never rewritten: a damaged line (cut short, changed, or not an entry) is
kept as it is, reported, and left out when the state is rebuilt from the valid lines.
Undo and restore only add lines; nothing is ever deleted. All writes hold one file lock,
so two publishes at once are applied one after the other, or the second is told to retry.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from filelock import FileLock, Timeout

from kpis import problems as P

log = logging.getLogger(__name__)

BATCH_DIR = "batches"
AUDIT_FILE = "audit.jsonl"
LOCK_FILE = ".publish.lock"
REPAIR_DIR = "set-aside"
LOCK_TIMEOUT_S = 15.0
ENV_FILE_MODE = "KPI_FILE_MODE"
DEFAULT_FILE_MODE = 0o640
CHECK_FIELD = "check"
BATCH_ID = re.compile(r"\d{8}T\d{12}Z-[0-9a-f]{6}")  # what `new_batch_id` makes
STATES = ("in force", "withdrawn", "broken")

HISTORY_SCHEMA = {
    "batch_id": pl.String, "published_at": pl.String, "user": pl.String, "source": pl.String, "sha256": pl.String,
    "rows": pl.Int64, "new": pl.Int64, "revised": pl.Int64, "unchanged": pl.Int64, "withdrawn": pl.Boolean,
    "withdrawn_at": pl.String, "withdrawn_by": pl.String, "state": pl.String, "note": pl.String, "mapping": pl.String,
}

# The audit entries, declared: each action's required fields and their types, then the optional ones.
_ACT = {"batch_id": str, "user": str, "at": str}
FIELDS: dict[str, dict[str, type]] = {
    "publish": {"batch_id": str, "published_at": str, "user": str, "source": str, "sha256": str,
                "rows": int, "new": int, "revised": int, "unchanged": int},
    "undo": _ACT,
    "restore": _ACT,
}
OPTIONAL_FIELDS: dict[str, dict[str, type]] = {"publish": {"group": str, "group_size": int, "file_sha256": str, "mapping": str}}
KEEP_FIX = "The line is kept as it is and left out; compare the log with a backup, then run `python -m kpis check`"


class BusyError(RuntimeError):
    """Another publish holds the lock: try again in a moment."""


class UnknownBatchError(KeyError):
    pass


class BrokenBatchError(ValueError):
    """The batch's file is missing, so it cannot be brought back."""


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


def is_batch_id(text: object) -> bool:
    return isinstance(text, str) and BATCH_ID.fullmatch(text) is not None


def batch_path(data_dir: Path, batch_id: str) -> Path:
    """The batch's file; the id is checked first, so no other path can be named."""
    if not is_batch_id(batch_id):
        raise ValueError(f"Not a batch id: {batch_id!r}")
    return data_dir / BATCH_DIR / f"{batch_id}.csv"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_mode() -> int:
    """The mode of every file the board writes: $KPI_FILE_MODE (octal, e.g. 640), else 0o640 (group-readable)."""
    text = os.environ.get(ENV_FILE_MODE, "").strip()
    try:
        mode = int(text, 8) if text else DEFAULT_FILE_MODE
    except ValueError:
        log.warning("%s=%r is not an octal mode; using %o", ENV_FILE_MODE, text, DEFAULT_FILE_MODE)
        return DEFAULT_FILE_MODE
    return mode & 0o777


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
            os.fchmod(handle.fileno(), file_mode())
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


# ---- the audit log: lines, checksums, schema --------------------------------------------------


def checksum(entry: dict[str, object]) -> str:
    """SHA-256 of the entry's canonical JSON (sorted keys, UTF-8), without the `check` field."""
    rest = {k: v for k, v in entry.items() if k != CHECK_FIELD}
    return sha256(json.dumps(rest, sort_keys=True, ensure_ascii=False).encode("utf-8"))


def audit_line(entry: dict[str, object]) -> str:
    return json.dumps({**entry, CHECK_FIELD: checksum(entry)}, sort_keys=True, ensure_ascii=False)


def _type_name(kind: type) -> str:
    return {str: "text", int: "a whole number"}[kind]


def typed_fields_problem(entry: dict, fields: dict[str, dict[str, type]], optional: dict[str, dict[str, type]]) -> tuple[str, str] | None:
    """The first field of a log entry that is missing or of the wrong type for its action, as (field, problem)."""
    action = entry.get("action")
    if action not in fields:
        return "action", f"Unknown action {action!r}"
    for name, kind in (fields[action] | optional.get(action, {})).items():
        value = entry.get(name)
        if value is None and name not in fields[action]:
            continue
        if not isinstance(value, kind) or isinstance(value, bool):
            return name, f"'{name}' is {'missing' if value is None else repr(value)[:40]}, not {_type_name(kind)}"
    return None


def entry_problem(entry: object) -> tuple[str | None, str] | None:
    """What is wrong with one parsed line, as (field, problem), or None if it is a valid entry."""
    if not isinstance(entry, dict):
        return None, f"Not an audit entry (a JSON {type(entry).__name__}, not an object)"
    if found := typed_fields_problem(entry, FIELDS, OPTIONAL_FIELDS):
        return found
    if not is_batch_id(entry["batch_id"]) or ("group" in entry and not is_batch_id(entry["group"])):
        return "batch_id", "Not a batch id"
    if isinstance(entry.get("group_size"), int) and entry["group_size"] < 1:
        return "group_size", "'group_size' is below 1"
    if CHECK_FIELD in entry and entry[CHECK_FIELD] != checksum(entry):
        return CHECK_FIELD, "The checksum does not match: the line was changed or cut"
    return None


@dataclass(frozen=True)
class Audit:
    entries: list[tuple[int, dict[str, object]]]  # (line number, entry) for every valid line, in order
    damaged: list[tuple[int, str]]  # (line number, text as it is) for every line left out
    problems: pl.DataFrame
    unchecked: int = 0  # valid lines written before checksums


def _problem(line: int | None, column: str | None, text: str, problem: str, fix: str = KEEP_FIX, severity: P.Severity = "error") -> dict:
    return {"file": AUDIT_FILE, "row": line, "column": column, "value": text[:120], "problem": problem, "fix": fix, "severity": severity}


def read_lines(data_dir: Path) -> Audit:
    """Every line of the audit log, judged: valid entries, damaged lines and their problems."""
    path = data_dir / AUDIT_FILE
    if not path.exists():
        return Audit([], [], P.empty())
    text = path.read_bytes().decode("utf-8", errors="replace")
    return parse_lines(enumerate(text.split("\n"), start=1))


def parse_lines(numbered: Iterable[tuple[int, str]]) -> Audit:
    """(number, text) lines of an audit log, wherever it is kept, judged as `read_lines` judges the file's."""
    entries, damaged, rows, unchecked = [], [], [], 0
    for number, line in numbered:
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            found: tuple[str | None, str] | None = (None, "Not whole JSON (the line was cut short or changed)")
        else:
            found = entry_problem(entry)
        if found is not None:
            damaged.append((number, line))
            rows.append(_problem(number, found[0], line, found[1]))
            continue
        unchecked += CHECK_FIELD not in entry
        entries.append((number, {k: v for k, v in entry.items() if k != CHECK_FIELD}))
    if unchecked:
        rows.append(_problem(None, CHECK_FIELD, "", f"{unchecked} line(s) were written before lines carried a checksum, so they are unchecked",
                             "Nothing to do: they are read as before", "warning"))
    return Audit(entries, damaged, pl.DataFrame(rows, schema=P.PROBLEM_SCHEMA), unchecked)


def read_audit(data_dir: Path) -> list[dict[str, object]]:
    """The valid entries of the audit log, oldest first (see `read_lines` for the damaged ones)."""
    return [entry for _, entry in read_lines(data_dir).entries]


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def append_audit(data_dir: Path, entries: list[dict[str, object]], file: str = AUDIT_FILE) -> None:
    """Append entries, one checked line each, in one write with fsync. Call inside `locked`.
    `file` is another append-only log kept the same way (the comments log).

    A last line left without its newline (a crash mid-write) is kept: the new lines start
    on a line of their own. If the write fails (disk full), what it added is cut off again.
    """
    if not entries:
        return
    path = data_dir / file
    data = "".join(audit_line(e) + "\n" for e in entries).encode("utf-8")
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, file_mode())
    try:
        if created:
            os.fchmod(fd, file_mode())
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        try:
            _write_all(fd, data)
            os.fsync(fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)
            raise
    finally:
        os.close(fd)
    if created:
        _fsync_dir(data_dir)


# ---- history: a fold over the valid lines ------------------------------------------------------


BROKEN = {  # why a committed batch is broken: (problem, fix)
    "missing": ("The batch file is missing", "Put the file back from a backup; `python -m kpis check` lists every missing file"),
    "changed": ("The batch file was changed after it was published (its SHA-256 differs)",
                "Put the published file back from a backup; batch files are never edited"),
}


def _broken(path: Path, file_sha256: str | None) -> str | None:
    """'missing' or 'changed' (when the publish recorded the file's SHA-256), else None."""
    try:
        return "changed" if file_sha256 and sha256(path.read_bytes()) != file_sha256 else None
    except FileNotFoundError:
        return "missing"


@dataclass(frozen=True)
class Report:
    history: pl.DataFrame  # HISTORY_SCHEMA, one row per committed batch, oldest first
    problems: pl.DataFrame  # the audit log's problems and the broken batches
    audit: Audit = field(repr=False, default_factory=lambda: Audit([], [], P.empty()))


def report(data_dir: Path) -> Report:
    """Every committed batch with its state (in force, withdrawn, broken), and every problem found on the way."""
    return fold(read_lines(data_dir), lambda batch_id, file_sha256: _broken(batch_path(data_dir, batch_id), file_sha256), f"{BATCH_DIR}/{{}}.csv")


def fold(audit: Audit, broken_of: Callable[[str, str | None], str | None], where: str = f"{BATCH_DIR}/{{}}.csv") -> Report:
    """History as a fold over the valid entries; `broken_of(batch_id, file_sha256)` says 'missing', 'changed' or None."""
    counts = Counter(str(e.get("group", e["batch_id"])) for _, e in audit.entries if e["action"] == "publish")  # whole lines per publish
    rows = []
    batches: dict[str, dict[str, object]] = {}
    file_sums: dict[str, str | None] = {}
    for number, entry in audit.entries:
        action, batch_id = entry["action"], str(entry["batch_id"])
        if action == "publish":
            group, size = str(entry.get("group", batch_id)), int(entry.get("group_size", 1))  # type: ignore[arg-type]
            if counts.get(group, 0) != size:
                rows.append(_problem(number, "group", audit_line(entry), f"Part of a publish of {size} batch(es) of which {counts.get(group, 0)} line(s) "
                                     "are whole: the publish did not complete, so none of its batches is in force"))
                continue
            if batch_id in batches:
                rows.append(_problem(number, "batch_id", audit_line(entry), "A second publish entry for the same batch"))
                continue
            batches[batch_id] = {k: entry.get(k) for k in HISTORY_SCHEMA if k in FIELDS["publish"] or k in ("batch_id", "mapping")}
            batches[batch_id] |= {"withdrawn": False, "withdrawn_at": None, "withdrawn_by": None, "note": None}
            file_sums[batch_id] = entry.get("file_sha256")  # type: ignore[assignment]
        elif batch_id not in batches:
            rows.append(_problem(number, "batch_id", audit_line(entry), f"An {action} of a batch that has no publish entry before it"))
        elif action == "undo":
            batches[batch_id] |= {"withdrawn": True, "withdrawn_at": entry["at"], "withdrawn_by": entry["user"]}
        else:
            batches[batch_id] |= {"withdrawn": False, "withdrawn_at": None, "withdrawn_by": None}
    for number, text in audit.damaged:
        for batch_id in set(BATCH_ID.findall(text)) & batches.keys():
            note = f"audit.jsonl line {number} names this batch but is damaged, so it was left out: check this batch's state"
            batches[batch_id]["note"] = "; ".join(filter(None, [batches[batch_id]["note"], note]))  # type: ignore[list-item]
    for batch_id, batch in batches.items():
        broken = broken_of(batch_id, file_sums.get(batch_id))
        batch["state"] = "broken" if broken else "withdrawn" if batch["withdrawn"] else "in force"
        if broken:
            batch["note"] = "; ".join(filter(None, [BROKEN[broken][0], batch["note"]]))  # type: ignore[list-item]
            rows.append({"file": where.format(batch_id), "row": None, "column": None, "value": batch_id,
                         "problem": f"{BROKEN[broken][0]}, so its figures are not shown (the batch is broken)", "fix": BROKEN[broken][1], "severity": "error"})
    problems = P.combine([audit.problems, pl.DataFrame(rows, schema=P.PROBLEM_SCHEMA)])
    return Report(pl.DataFrame(list(batches.values()), schema=HISTORY_SCHEMA), problems, audit)


def history(data_dir: Path) -> pl.DataFrame:
    """Every published batch, oldest first, its state (in force, withdrawn, broken) and any note."""
    return report(data_dir).history


def active(data_dir: Path, history_frame: pl.DataFrame | None = None) -> list[tuple[BatchInfo, Path]]:
    """Batches in force (published, not withdrawn, file present), oldest first."""
    frame = history(data_dir) if history_frame is None else history_frame
    return [
        (BatchInfo(row["batch_id"], row["published_at"], row["user"], row["source"], row["sha256"], row["rows"]), batch_path(data_dir, row["batch_id"]))
        for row in frame.filter(pl.col("state") == "in force").iter_rows(named=True)
    ]


def write_batches(data_dir: Path, parts: list[tuple[pl.DataFrame, str, str, dict[str, int]]], user: str, mapping: str | None = None) -> list[BatchInfo]:
    """Publish each (frame, source name, sha256, counts) as a batch, all or none. Call inside `locked`.

    The batch files are written first; one append to the audit log then commits them all:
    its lines share a `group` (the first batch's id) and `group_size`, and the publish
    counts only when every line of the group is whole.
    """
    infos, entries = [], []
    try:
        for frame, source, content_sha256, counts in parts:
            info = BatchInfo(new_batch_id(), now(), user, source, content_sha256, frame.height)
            content = frame.write_csv().encode("utf-8")
            atomic_write(batch_path(data_dir, info.batch_id), content)
            infos.append(info)
            entries.append({"action": "publish", **info.__dict__, **counts, "file_sha256": sha256(content)} | ({"mapping": mapping} if mapping else {}))
        group = {"group": infos[0].batch_id, "group_size": len(infos)} if infos else {}
        append_audit(data_dir, [entry | group for entry in entries])
    except Exception:
        # Not committed (a failed append is cut off again): the files written so far are nobody's, so they go.
        for info in infos:
            with contextlib.suppress(OSError):
                batch_path(data_dir, info.batch_id).unlink()
        raise
    return infos


def set_withdrawn(data_dir: Path, batch_id: str, user: str, withdrawn: bool) -> bool:
    """Undo (withdraw) or restore a batch by adding an audit entry; False if it was so already.

    Raises UnknownBatchError, or BrokenBatchError to restore a batch whose file is missing.
    """
    if not is_batch_id(batch_id):
        raise UnknownBatchError(batch_id)
    with locked(data_dir):
        known = history(data_dir).filter(pl.col("batch_id") == batch_id)
        if known.height == 0:
            raise UnknownBatchError(batch_id)
        if known["withdrawn"].item() == withdrawn:
            return False
        if not withdrawn and known["state"].item() == "broken":
            raise BrokenBatchError(batch_id)
        append_audit(data_dir, [{"action": "undo" if withdrawn else "restore", "batch_id": batch_id, "user": user, "at": now()}])
        return True


# ---- check and repair --------------------------------------------------------------------------

CHECK_SCHEMA = {"kind": pl.String, "file": pl.String, "row": pl.Int64, "problem": pl.String, "fix": pl.String, "moved_to": pl.String}
CHECK_KINDS = {  # kind: (problem, fix); the order is the report's
    "temp file": ("A temporary file left by a write that was cut short", "Run `python -m kpis check --repair` to move it aside"),
    "orphan batch": ("A batch file with no whole publish entry (a publish cut short): it is not in force",
                     "Run `python -m kpis check --repair` to move it aside"),
    "missing batch file": ("The audit log names this batch but its file is missing: the batch is broken",
                           "Put the file back from a backup; --repair cannot recreate it"),
    "changed batch file": ("The batch file differs from what was published (SHA-256): the batch is broken",
                           "Put the published file back from a backup; --repair leaves it as it is"),
    "damaged line": ("A damaged line in the audit log, left out of the state",
                     "The log is append-only, so the line stays; --repair saves a copy beside the moved files"),
}


def _temp_files(data_dir: Path) -> list[Path]:
    folders = [data_dir, data_dir / BATCH_DIR]
    return sorted(p for folder in folders if folder.is_dir() for p in folder.glob(".*.tmp") if p.is_file())


def _orphans(data_dir: Path, committed: set[str]) -> list[Path]:
    folder = data_dir / BATCH_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".") and p.stem not in committed)


def check(data_dir: Path, repair: bool = False) -> pl.DataFrame:
    """Temp files, orphan batches, missing batch files and damaged audit lines (CHECK_SCHEMA).

    With `repair`, under the lock, temp files and orphan batches are moved (never deleted)
    into `set-aside/<UTC time>/`, with a copy of the damaged lines; the audit log is not changed.
    """
    with locked(data_dir) if repair else contextlib.nullcontext():
        found = report(data_dir)
        committed = set(found.history["batch_id"])
        findings: list[tuple[str, Path | str, int | None]] = [
            *(("temp file", p, None) for p in _temp_files(data_dir)),
            *(("orphan batch", p, None) for p in _orphans(data_dir, committed)),
            *((f"{'missing' if note.startswith(BROKEN['missing'][0]) else 'changed'} batch file", f"{BATCH_DIR}/{b}.csv", None)
              for b, note in found.history.filter(pl.col("state") == "broken").select("batch_id", "note").iter_rows()),
            *(("damaged line", AUDIT_FILE, n) for n, _ in found.audit.damaged),
        ]
        target = data_dir / REPAIR_DIR / datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        rows = []
        for kind, where, line in findings:
            name = str(where.relative_to(data_dir)) if isinstance(where, Path) else where
            moved = None
            if repair and isinstance(where, Path):
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.move(where, target / name)
                moved = str((target / name).relative_to(data_dir))
            rows.append({"kind": kind, "file": name, "row": line, "problem": CHECK_KINDS[kind][0], "fix": CHECK_KINDS[kind][1], "moved_to": moved})
        if repair and found.audit.damaged:
            target.mkdir(parents=True, exist_ok=True)
            copy = target / "audit-damaged-lines.txt"
            copy.write_text("".join(f"line {n}: {text}\n" for n, text in found.audit.damaged), encoding="utf-8")
            os.chmod(copy, file_mode())
    return pl.DataFrame(rows, schema=CHECK_SCHEMA)
