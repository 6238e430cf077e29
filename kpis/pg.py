"""The PostgreSQL store: the files backend's guarantees, kept by the database's own means.

- A publish is one transaction: the batch rows, the batch records, the audit lines and the
  change counter commit together or not at all.
- A second publisher waits on a transaction-level advisory lock; after `B.LOCK_TIMEOUT_S`
  it is told to retry (`B.BusyError`).
- Batches and the audit log are append-only: a trigger refuses UPDATE, DELETE and TRUNCATE,
  so undo and restore can only be new audit lines.
- The audit lines are the files backend's own checksummed JSON, so history is the same fold
  (`B.fold`) and `db export` writes back the very same `audit.jsonl`.
- Each batch is kept as the very file the files backend keeps (its CSV bytes, one row per
  batch): a publish writes one value per batch, a load reads every batch in force in one
  query and parses it as the files backend parses its files, and every report hashes each
  batch against the SHA-256 its audit line recorded, as the files backend does. Every page
  load asks only for the change counter, which every writer bumps in its transaction.

Schema changes are numbered SQL files in `migrations/`, applied once each and recorded in
`kpi_schema_version` (`python -m kpis db init`, safe to run again).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from kpis import batches as B
from kpis import layouts

MIGRATIONS = Path(__file__).parent / "migrations"
PUBLISH_LOCK = 0x4B5049_0001  # pg_advisory_xact_lock keys: one for writers, one for migrations
MIGRATE_LOCK = 0x4B5049_0002
AUDIT_TABLE = "kpi_audit"

CHECK_KINDS = {  # kind: (problem, fix); the database's counterparts of `B.CHECK_KINDS`
    "schema behind": ("The database's schema is older than this version of the board", "Run `python -m kpis db init`"),
    "append-only guard missing": ("A trigger that keeps history append-only is missing", "Run `python -m kpis db init`, or restore it from the migration"),
    "missing batch rows": ("The audit log names this batch but the database holds no rows for it: the batch is broken",
                           "It was missing in the data folder it was imported from; put the file back there and import again"),
    "changed batch file": ("The batch's rows differ from what was published (SHA-256): the batch is broken",
                           "It was changed in the data folder it was imported from; import the published file"),
    "row count differs": ("The batch holds a different number of rows than was recorded", "Restore the database from a backup (pg_dump)"),
    "damaged line": ("A damaged audit line (imported as it was), left out of the state", "Nothing to do: the line is kept as it was imported"),
}
GUARDS = ("kpi_batches_append_only", "kpi_batches_no_truncate", "kpi_batch_rows_append_only", "kpi_batch_rows_no_truncate",
          "kpi_audit_append_only", "kpi_audit_no_truncate", "kpi_batch_files_append_only", "kpi_batch_files_no_truncate")


class DatabaseError(OSError):
    """The database could not be reached or refused a write: said so that a person can act on it."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem, self.fix = problem, fix


def _psycopg():
    import psycopg

    return psycopg


@contextlib.contextmanager
def connect(url: str) -> Iterator:
    """One transaction on a new connection: committed when the block ends, rolled back on any error."""
    psycopg = _psycopg()
    try:
        conn = psycopg.connect(url, connect_timeout=10)
    except psycopg.OperationalError as error:
        raise DatabaseError(f"The database could not be reached ({str(error).strip()[:160]})",
                            "Check KPI_DATABASE_URL and that the database server is running, then try again") from error
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def _lock(conn, key: int) -> None:
    """Wait for the advisory lock (held until this transaction ends); BusyError after B.LOCK_TIMEOUT_S."""
    psycopg = _psycopg()
    conn.execute(f"SET LOCAL lock_timeout = '{int(B.LOCK_TIMEOUT_S * 1000)}ms'")
    try:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
    except psycopg.errors.LockNotAvailable as error:
        raise B.BusyError("Another analyst is publishing right now. Please try again in a moment.") from error


# ---- schema migrations -------------------------------------------------------------------------


def migrations() -> list[tuple[int, Path]]:
    """(version, file) for every numbered SQL file, in order."""
    return sorted((int(p.name.split("_", 1)[0]), p) for p in MIGRATIONS.glob("[0-9]*.sql"))


def latest_version() -> int:
    return max((v for v, _ in migrations()), default=0)


def schema_version(conn) -> int:
    exists = conn.execute("SELECT to_regclass('kpi_schema_version') IS NOT NULL").fetchone()[0]
    return conn.execute("SELECT coalesce(max(version), 0) FROM kpi_schema_version").fetchone()[0] if exists else 0


def _files_from_rows(conn) -> None:
    """Version 2: each batch published before it (rows in kpi_batch_rows) gets its file, as `db export` wrote it."""
    missing = [r[0] for r in conn.execute("SELECT batch_id FROM kpi_batches WHERE batch_id NOT IN (SELECT batch_id FROM kpi_batch_files)")]
    if not missing:
        return
    out = io.BytesIO()
    query = f"SELECT batch_id, {', '.join(layouts.CANONICAL)} FROM kpi_batch_rows WHERE batch_id = ANY(%s) ORDER BY batch_id, row_no"
    with conn.cursor().copy(f"COPY ({query}) TO STDOUT (FORMAT csv, HEADER)", (missing,)) as copy:
        for block in copy:
            out.write(block)
    rows = pl.read_csv(out.getvalue(), infer_schema=False) if out.tell() else pl.DataFrame(schema=dict.fromkeys(("batch_id", *layouts.CANONICAL), pl.String))
    parts = rows.partition_by("batch_id", as_dict=True, maintain_order=True)
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO kpi_batch_files (batch_id, content) VALUES (%s, %s)",
                        [(batch_id, batch_csv(parts.get((batch_id,), rows.head(0)))) for batch_id in missing])


# Steps a migration needs beyond its SQL, run right after it in the same transaction: version -> step.
UPGRADES = {2: _files_from_rows}


def init(url: str) -> list[int]:
    """Apply every migration not applied yet, each once, under a lock; the versions applied now (none when up to date)."""
    applied = []
    with connect(url) as conn:
        _lock(conn, MIGRATE_LOCK)
        conn.execute("CREATE TABLE IF NOT EXISTS kpi_schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
        done = {row[0] for row in conn.execute("SELECT version FROM kpi_schema_version")}
        for version, path in migrations():
            if version not in done:
                conn.execute(path.read_text(encoding="utf-8"))
                UPGRADES.get(version, lambda conn: None)(conn)
                conn.execute("INSERT INTO kpi_schema_version (version) VALUES (%s)", (version,))
                applied.append(version)
    return applied


# ---- reading -----------------------------------------------------------------------------------


def batch_files(url: str, batch_ids: list[str]) -> dict[str, bytes]:
    """Each named batch's file (its CSV bytes, as the files backend keeps it): one query through ADBC, fetched as
    Arrow (columnar; Polars parses each file, no Python loop over observations)."""
    import adbc_driver_postgresql.dbapi as adbc

    ids = [b for b in batch_ids if B.is_batch_id(b)]  # checked, so they can be written into the query as they are
    if not ids:
        return {}
    listed = ", ".join(f"'{b}'" for b in ids)
    try:
        with adbc.connect(url) as conn, conn.cursor() as cursor:
            cursor.execute(f"SELECT batch_id, content FROM kpi_batch_files WHERE batch_id IN ({listed})")
            found = pl.DataFrame(pl.from_arrow(cursor.fetch_arrow_table()))
    except Exception as error:
        raise DatabaseError(f"The database could not be read ({type(error).__name__}: {str(error).strip()[:160]})",
                            "Check KPI_DATABASE_URL and that the database server is running, then try again") from error
    return dict(zip(found["batch_id"].to_list(), found["content"].to_list(), strict=True))


def batch_csv(rows: pl.DataFrame) -> bytes:
    """One batch's rows as the CSV file the files backend keeps (same columns, same bytes)."""
    return rows.select(layouts.CANONICAL).write_csv().encode("utf-8")


def _audit(conn) -> B.Audit:
    rows = conn.execute(f"SELECT seq, line FROM {AUDIT_TABLE} ORDER BY seq").fetchall()
    return B.parse_lines(rows)


def _sums(conn) -> dict[str, str]:
    """Each stored batch's SHA-256, hashed now by the database from the bytes it holds (as the files backend hashes its files)."""
    return dict(conn.execute("SELECT batch_id, encode(sha256(content), 'hex') FROM kpi_batch_files").fetchall())


def _report(conn) -> B.Report:
    if schema_version(conn) < latest_version():  # its tables are not yet the ones read below
        raise DatabaseError(CHECK_KINDS["schema behind"][0], CHECK_KINDS["schema behind"][1])
    audit, sums = _audit(conn), _sums(conn)

    def broken_of(batch_id: str, recorded: str | None) -> str | None:
        if batch_id not in sums:
            return "missing"
        return "changed" if recorded and sums[batch_id] != recorded else None

    found = B.fold(audit, broken_of, "kpi_batches/{}")
    problems = found.problems.with_columns(pl.col("file").replace(B.AUDIT_FILE, AUDIT_TABLE))
    return B.Report(found.history, problems, audit)


# ---- writing -----------------------------------------------------------------------------------


def _as_text(content: bytes) -> pl.DataFrame:
    return pl.read_csv(io.BytesIO(content), infer_schema=False)


def _add_batch(conn, batch_id: str, source: str, content: bytes, rows: int | None = None) -> None:
    """The batch's record and its file; `rows` is counted from the file when not given."""
    conn.execute("INSERT INTO kpi_batches (batch_id, source, rows, file_sha256) VALUES (%s, %s, %s, %s)",
                 (batch_id, source, _as_text(content).height if rows is None else rows, B.sha256(content)))
    conn.execute("INSERT INTO kpi_batch_files (batch_id, content) VALUES (%s, %s)", (batch_id, content))


def _append(conn, entries: list[dict[str, object]]) -> None:
    with conn.cursor() as cur:
        cur.executemany(f"INSERT INTO {AUDIT_TABLE} (line, action, batch_id) VALUES (%s, %s, %s)",
                        [(B.audit_line(e), e["action"], e["batch_id"]) for e in entries])


def _bump(conn) -> None:
    conn.execute("UPDATE kpi_change_counter SET value = value + 1 WHERE id = 1")


@dataclass(frozen=True)
class PostgresBackend:
    url: str
    name: str = "postgres"

    def report(self) -> B.Report:
        with connect(self.url) as conn:
            return _report(conn)

    def active_batches(self, history: pl.DataFrame) -> Iterator[tuple[B.BatchInfo, str, Path | pl.DataFrame]]:
        active = history.filter(pl.col("state") == "in force")
        files = batch_files(self.url, active["batch_id"].to_list())
        for row in active.iter_rows(named=True):  # one row per batch, not per observation
            info = B.BatchInfo(row["batch_id"], row["published_at"], row["user"], row["source"], row["sha256"], row["rows"])
            yield info, f"kpi_batches/{info.batch_id}.csv", files[info.batch_id]  # in force, so hashed and whole at the report

    def write_batches(self, parts: list[tuple[pl.DataFrame, str, str, dict[str, int]]], user: str, mapping: str | None = None) -> list[B.BatchInfo]:
        infos, entries = [], []
        with connect(self.url) as conn:
            _lock(conn, PUBLISH_LOCK)
            for frame, source, content_sha256, counts in parts:
                info = B.BatchInfo(B.new_batch_id(), B.now(), user, source, content_sha256, frame.height)
                content = frame.write_csv().encode("utf-8")
                _add_batch(conn, info.batch_id, source, content, frame.height)
                infos.append(info)
                entries.append({"action": "publish", **info.__dict__, **counts, "file_sha256": B.sha256(content)} | ({"mapping": mapping} if mapping else {}))
            group = {"group": infos[0].batch_id, "group_size": len(infos)} if infos else {}
            _append(conn, [entry | group for entry in entries])
            _bump(conn)
        return infos

    def set_withdrawn(self, batch_id: str, user: str, withdrawn: bool) -> bool:
        if not B.is_batch_id(batch_id):
            raise B.UnknownBatchError(batch_id)
        with connect(self.url) as conn:
            _lock(conn, PUBLISH_LOCK)
            known = _report(conn).history.filter(pl.col("batch_id") == batch_id)
            if known.height == 0:
                raise B.UnknownBatchError(batch_id)
            if known["withdrawn"].item() == withdrawn:
                return False
            if not withdrawn and known["state"].item() == "broken":
                raise B.BrokenBatchError(batch_id)
            _append(conn, [{"action": "undo" if withdrawn else "restore", "batch_id": batch_id, "user": user, "at": B.now()}])
            _bump(conn)
            return True

    def signature(self) -> tuple:
        key = hashlib.sha256(self.url.encode()).hexdigest()[:12]  # which database, without its password
        try:
            with connect(self.url) as conn:
                return ("postgres", key, conn.execute("SELECT value FROM kpi_change_counter WHERE id = 1").fetchone()[0])
        except Exception:  # unreachable or not initialised: the load reports it; the next good answer is a new key
            return ("postgres", key, None)

    def check(self, repair: bool = False) -> pl.DataFrame:
        """The database's findings; --repair has nothing to move aside, because nothing half-written can be committed."""
        rows = []

        def add(kind: str, where: str, line: int | None = None) -> None:
            rows.append({"kind": kind, "file": where, "row": line, "problem": CHECK_KINDS[kind][0], "fix": CHECK_KINDS[kind][1], "moved_to": None})

        with connect(self.url) as conn:
            if schema_version(conn) < latest_version():
                add("schema behind", "kpi_schema_version")
                return pl.DataFrame(rows, schema=B.CHECK_SCHEMA)
            present = {r[0] for r in conn.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'kpi_%'")}
            for guard in GUARDS:
                if guard not in present:
                    add("append-only guard missing", guard)
            found = _report(conn)
            for batch_id, note in found.history.filter(pl.col("state") == "broken").select("batch_id", "note").iter_rows():
                add("missing batch rows" if note.startswith(B.BROKEN["missing"][0]) else "changed batch file", f"kpi_batches/{batch_id}")
            for batch_id, recorded, content in conn.cursor(binary=True).execute(
                "SELECT batch_id, rows, content FROM kpi_batches JOIN kpi_batch_files USING (batch_id) ORDER BY batch_id"
            ):
                if _as_text(bytes(content)).height != recorded:
                    add("row count differs", f"kpi_batches/{batch_id}")
            for number, _ in found.audit.damaged:
                add("damaged line", AUDIT_TABLE, number)
        return pl.DataFrame(rows, schema=B.CHECK_SCHEMA)


# ---- moving in and out -------------------------------------------------------------------------


@dataclass(frozen=True)
class Moved:
    lines: int  # audit lines copied
    batches: int  # batch files copied
    skipped: list[str]  # what was not copied, and why


def import_files(url: str, data_dir: Path) -> Moved:
    """Copy a data folder's audit log and batch files into an empty database, in one transaction.

    Every audit line is copied as it is, damaged ones too, in order, so the history is the
    same. A batch whose file is missing is left missing (broken, as it was); a batch file
    no whole publish names (a publish cut short) is not copied.
    """
    path = data_dir / B.AUDIT_FILE
    text = path.read_bytes().decode("utf-8", errors="replace") if path.exists() else ""
    lines = [line for line in text.split("\n") if line.strip()]
    audit = B.parse_lines(enumerate(lines, start=1))
    valid = dict(audit.entries)
    named = list(dict.fromkeys(str(e["batch_id"]) for _, e in audit.entries if e["action"] == "publish"))
    skipped, copied = [], 0
    with connect(url) as conn:
        _lock(conn, PUBLISH_LOCK)
        if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {AUDIT_TABLE})").fetchone()[0]:
            raise DatabaseError("The database already holds an audit log, so nothing was imported",
                                "Import into a new, empty database (`python -m kpis db init` first)")
        for batch_id in named:
            file = B.batch_path(data_dir, batch_id)
            if not file.exists():
                skipped.append(f"{B.BATCH_DIR}/{batch_id}.csv: missing, so the batch stays broken")
                continue
            source = next(str(e["source"]) for _, e in audit.entries if e["batch_id"] == batch_id and e["action"] == "publish")
            _add_batch(conn, batch_id, source, file.read_bytes())
            copied += 1
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO {AUDIT_TABLE} (line, action, batch_id) VALUES (%s, %s, %s)",
                            [(line, valid[n]["action"] if n in valid else None, valid[n]["batch_id"] if n in valid else None)
                             for n, line in enumerate(lines, start=1)])
        _bump(conn)
    folder = data_dir / B.BATCH_DIR
    orphans = sorted(p.name for p in folder.glob("*.csv") if p.stem not in set(named)) if folder.is_dir() else []
    skipped += [f"{B.BATCH_DIR}/{name}: no publish entry names it (a publish cut short), so it was not copied" for name in orphans]
    return Moved(len(lines), copied, skipped)


def export_files(url: str, data_dir: Path) -> Moved:
    """Write the database's audit log and batches into a data folder that has none, as the files backend keeps them."""
    if (data_dir / B.AUDIT_FILE).exists() or any((data_dir / B.BATCH_DIR).glob("*.csv")):
        raise DatabaseError(f"{data_dir} already holds an audit log or batches, so nothing was exported",
                            "Export into a new folder (copy the catalogue and areas in beside it)")
    with connect(url) as conn:
        lines = [line for _, line in conn.execute(f"SELECT seq, line FROM {AUDIT_TABLE} ORDER BY seq").fetchall()]
        ids = [r[0] for r in conn.execute("SELECT batch_id FROM kpi_batches ORDER BY batch_id")]
    files = batch_files(url, ids)  # batches are immutable, so what the audit read above names is all there
    for batch_id, content in sorted(files.items()):
        B.atomic_write(B.batch_path(data_dir, batch_id), content)
    if lines:
        B.atomic_write(data_dir / B.AUDIT_FILE, "".join(line + "\n" for line in lines).encode("utf-8"))
    return Moved(len(lines), len(files), [f"{B.BATCH_DIR}/{b}.csv: the database holds no file for it (`check` says more)" for b in ids if b not in files])
