"""The store backends: the same guarantees from the data folder and from PostgreSQL, and the way between them."""

from __future__ import annotations

import hashlib
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from kills import kill_instants

from conftest import ROOT
from kpis import backends, cli, config, ingest, layouts, pg, synthetic
from kpis import batches as B
from kpis import publish as pub
from kpis import store as S

Q2 = "kpi_id,area,period,value\nooa_placements,City,2024/25 Q2,22\n"


def values(folder: Path) -> pl.DataFrame:
    return S.load(folder).observations.select(*ingest.KEY, "value").sort(list(ingest.KEY))


def ingest_file(folder: Path, tmp_path: Path, text: str, name: str = "q2.csv", user: str = "ana") -> str:
    upload = tmp_path / name
    upload.write_text(text)
    assert cli.main(["ingest", str(upload), "--data-dir", str(folder), "--user", user]) == 0
    return backends.report(folder).history["batch_id"][-1]


def files_state(folder: Path) -> dict[str, bytes]:
    """The store's own files, as bytes: the audit log and every batch file."""
    paths = [folder / B.AUDIT_FILE, *sorted((folder / B.BATCH_DIR).glob("*.csv"))]
    return {str(p.relative_to(folder)): p.read_bytes() for p in paths if p.exists()}


def test_the_registry_names_each_backend_and_the_url_chooses(monkeypatch, tmp_path):
    monkeypatch.delenv(config.ENV_DATABASE_URL, raising=False)
    assert set(backends.BACKENDS) == {"files", "postgres"}
    assert backends.current(tmp_path).name == "files"
    assert backends.current(tmp_path, "postgresql://x@127.0.0.1/db").name == "postgres"
    monkeypatch.setenv(config.ENV_DATABASE_URL, "postgresql://x@127.0.0.1/db")
    assert backends.current(tmp_path).name == "postgres"
    monkeypatch.setenv(config.ENV_DATABASE_URL, "  ")
    assert backends.current(tmp_path).name == "files"


# ---- the guarantees, for both backends ---------------------------------------------------------


def test_a_failure_at_the_commit_point_leaves_the_old_state(data_copy, tmp_path, backend, monkeypatch):
    before, key = values(data_copy), S.signature(data_copy)

    def fail(*args, **kwargs):
        raise OSError(5, "the write failed")

    monkeypatch.setattr(B if backend == "files" else pg, "append_audit" if backend == "files" else "_append", fail)
    upload = tmp_path / "q2.csv"
    upload.write_text(Q2)
    assert cli.main(["ingest", str(upload), "--data-dir", str(data_copy)]) == 2
    assert values(data_copy).equals(before)
    assert backends.report(data_copy).history.height == 0
    assert backends.check(data_copy).height == 0  # nothing half-written is left behind
    assert S.signature(data_copy) == key or backend == "files"  # the folder made for the batch is a new time, not new figures


HOLD_LOCK = {  # another process holds the publish lock until its stdin closes
    "files": "import sys; from pathlib import Path; from kpis import batches as B\n"
             "with B.locked(Path(sys.argv[1])):\n    print('held', flush=True); sys.stdin.read()",
    "postgres": "import sys; from kpis import config, pg\n"
                "with pg.connect(config.database_url()) as conn:\n"
                "    conn.execute('SELECT pg_advisory_xact_lock(%s)', (pg.PUBLISH_LOCK,)); print('held', flush=True); sys.stdin.read()",
}


@pytest.mark.process
def test_a_second_publisher_is_told_to_retry(data_copy, backend, monkeypatch):
    monkeypatch.setattr(B, "LOCK_TIMEOUT_S", 0.5)
    store = S.load(data_copy)
    checked = pub.check_uploads([pub.Upload("q2.csv", Q2.encode())], store)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK[backend], str(data_copy)], cwd=ROOT, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.perf_counter()
        with pytest.raises(B.BusyError, match="try again"):
            pub.publish(data_copy, checked, store, "second")
        assert time.perf_counter() - started >= 0.4  # it waited for the lock first
    finally:
        holder.communicate("", timeout=30)
    assert backends.report(data_copy).history.height == 0
    assert len(pub.publish(data_copy, checked, store, "second")) == 1  # once the lock is free, it goes through


@pytest.mark.process
def test_a_publish_from_another_process_changes_the_cache_key(data_copy, tmp_path, backend):
    key = S.signature(data_copy)
    upload = tmp_path / "q2.csv"
    upload.write_text(Q2)
    done = subprocess.run([sys.executable, "-m", "kpis", "ingest", str(upload), "--data-dir", str(data_copy)], cwd=ROOT, capture_output=True)
    assert done.returncode == 0, done.stderr
    assert S.signature(data_copy) != key
    assert values(data_copy).filter(pl.col("period") == "2024/25 Q2")["value"].to_list() == [22.0]


def test_check_is_clean_after_publish_undo_restore(data_copy, tmp_path, backend, capsys):
    batch = ingest_file(data_copy, tmp_path, Q2)
    assert cli.main(["undo", batch, "--data-dir", str(data_copy)]) == 0
    assert cli.main(["restore", batch, "--data-dir", str(data_copy)]) == 0
    capsys.readouterr()
    assert cli.main(["check", "--data-dir", str(data_copy)]) == 0
    assert "clean" in capsys.readouterr().out


# ---- PostgreSQL: the database's own means ------------------------------------------------------


def test_db_init_is_versioned_and_runs_again(pg_server, capsys):
    url = pg_server.create_database("kpi_init_twice")
    assert cli.main(["db", "init", "--database-url", url]) == 0
    assert "applied 1, 2" in capsys.readouterr().out
    assert cli.main(["db", "init", "--database-url", url]) == 0
    assert "already up to date" in capsys.readouterr().out
    with pg.connect(url) as conn:
        assert pg.schema_version(conn) == pg.latest_version() == 2


def test_db_init_upgrades_a_version_1_database_and_its_batches_stay_the_same(data_copy, tmp_path, pg_server, monkeypatch, capsys):
    """Version 1 kept a batch as rows; the upgrade gives each such batch its file, the very bytes the audit line hashed."""
    monkeypatch.delenv(config.ENV_DATABASE_URL, raising=False)
    batch = ingest_file(data_copy, tmp_path, 'kpi_id,area,period,value,note\nhwc_referrals,City,2024/25 Q2,790,"a note, with a comma"\n'
                        'mmr_5y,North East,2024/25 Q2,93.5,\n')
    files_values, content = values(data_copy), B.batch_path(data_copy, batch).read_bytes()
    url = pg_server.create_database("kpi_version_1")
    first = next(path for version, path in pg.migrations() if version == 1)
    with pg.connect(url) as conn:  # what version 1 made of this data folder: the batch as numbered rows
        conn.execute("CREATE TABLE kpi_schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
        conn.execute(first.read_text())
        conn.execute("INSERT INTO kpi_schema_version (version) VALUES (1)")
        conn.execute("INSERT INTO kpi_batches (batch_id, source, rows, file_sha256) VALUES (%s, 'more.csv', 2, %s)", (batch, B.sha256(content)))
        rows = pl.read_csv(content, infer_schema=False).with_columns(pl.lit(batch).alias("batch_id"), pl.int_range(1, pl.len() + 1).alias("row_no"))
        with conn.cursor().copy("COPY kpi_batch_rows (batch_id, row_no, kpi_id, area, period, value, numerator, denominator, target, note) "
                                "FROM STDIN (FORMAT csv)") as copy:
            copy.write(rows.select("batch_id", "row_no", *layouts.CANONICAL).write_csv(include_header=False))
        for line in (data_copy / B.AUDIT_FILE).read_text().splitlines():
            conn.execute("INSERT INTO kpi_audit (line, action, batch_id) VALUES (%s, 'publish', %s)", (line, batch))
        conn.execute("UPDATE kpi_change_counter SET value = 1")
    capsys.readouterr()
    assert cli.main(["db", "init", "--database-url", url]) == 0
    assert "applied 2" in capsys.readouterr().out
    assert cli.main(["db", "init", "--database-url", url]) == 0  # and again: nothing more to do
    assert "already up to date" in capsys.readouterr().out
    monkeypatch.setenv(config.ENV_DATABASE_URL, url)
    assert values(data_copy).equals(files_values)
    assert backends.report(data_copy).history["state"].to_list() == ["in force"]
    assert pg.batch_files(url, [batch]) == {batch: content}
    assert backends.check(data_copy).height == 0


def test_a_board_on_a_schema_behind_says_to_run_db_init(data_copy, tmp_path, database_url, monkeypatch):
    monkeypatch.setenv(config.ENV_DATABASE_URL, database_url)
    ingest_file(data_copy, tmp_path, Q2)
    with pg.connect(database_url) as conn:
        conn.execute("DELETE FROM kpi_schema_version WHERE version = %s", (pg.latest_version(),))
    problems = S.load(data_copy).problems.filter(pl.col("file") == "database")
    assert problems["problem"].to_list() == [pg.CHECK_KINDS["schema behind"][0]] and "db init" in problems["fix"].item()


@pytest.mark.parametrize("statement", ["UPDATE kpi_batch_files SET content = 'x'", "DELETE FROM kpi_batches", "TRUNCATE kpi_audit CASCADE",
                                       "UPDATE kpi_audit SET line = '{}'", "DELETE FROM kpi_batch_files", "TRUNCATE kpi_batch_rows"])
def test_history_is_append_only_in_the_database(data_copy, tmp_path, database_url, monkeypatch, statement):
    import psycopg

    monkeypatch.setenv(config.ENV_DATABASE_URL, database_url)
    ingest_file(data_copy, tmp_path, Q2)
    before = values(data_copy)
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"), pg.connect(database_url) as conn:
        conn.execute(statement)
    assert values(data_copy).equals(before)


def test_a_publish_is_one_transaction_in_the_database(data_copy, tmp_path, database_url, monkeypatch):
    """Rows, batch records, audit lines and the change counter commit together or not at all."""
    monkeypatch.setenv(config.ENV_DATABASE_URL, database_url)

    def counts() -> tuple[int, ...]:
        with pg.connect(database_url) as conn:
            return conn.execute("SELECT (SELECT count(*) FROM kpi_batch_files), (SELECT count(*) FROM kpi_batches), "
                                "(SELECT count(*) FROM kpi_audit), (SELECT value FROM kpi_change_counter)").fetchone()

    monkeypatch.setattr(pg, "_bump", lambda conn: (_ for _ in ()).throw(OSError(5, "cut")))  # the very last step fails
    upload = tmp_path / "q2.csv"
    upload.write_text(Q2)
    assert cli.main(["ingest", str(upload), "--data-dir", str(data_copy)]) == 2
    assert counts() == (0, 0, 0, 0)
    monkeypatch.undo()
    monkeypatch.setenv(config.ENV_DATABASE_URL, database_url)
    ingest_file(data_copy, tmp_path, Q2)
    assert counts() == (1, 1, 1, 1)


def test_an_unreachable_database_is_a_report_not_a_traceback(data_copy, tmp_path, monkeypatch, capsys, pg_server):
    monkeypatch.setenv(config.ENV_DATABASE_URL, f"postgresql://postgres@127.0.0.1:{pg_server.port}/no_such_database")
    loaded = S.load(data_copy)
    assert loaded.ok and loaded.problems.filter(pl.col("file") == "database").height == 1  # the figures in files still show
    upload = tmp_path / "q2.csv"
    upload.write_text(Q2)
    assert cli.main(["ingest", str(upload), "--data-dir", str(data_copy), "--json"]) == 2
    assert "could not be reached" in capsys.readouterr().out


# ---- moving in and out -------------------------------------------------------------------------


def test_import_then_export_gives_back_every_byte(data_copy, tmp_path, database_url, monkeypatch):
    monkeypatch.delenv(config.ENV_DATABASE_URL, raising=False)
    first = ingest_file(data_copy, tmp_path, Q2)
    ingest_file(data_copy, tmp_path, 'kpi_id,area,period,value,note\nhwc_referrals,City,2024/25 Q2,790,"a note, with a comma"\n'
                "mmr_5y,North East,2024/25 Q2,93.5,\n", name="more.csv", user="bo")
    assert cli.main(["undo", first, "--data-dir", str(data_copy)]) == 0
    with (data_copy / B.AUDIT_FILE).open("a") as log:
        log.write('{"action": "undo", "batch_id": "cut sh\n')  # a damaged line: imported as it is, kept, reported
    files_values, files_history = values(data_copy), backends.report(data_copy).history

    assert cli.main(["db", "import", "--from", str(data_copy), "--database-url", database_url]) == 0
    monkeypatch.setenv(config.ENV_DATABASE_URL, database_url)
    assert values(data_copy).equals(files_values)
    assert backends.report(data_copy).history.equals(files_history)
    assert backends.check(data_copy)["kind"].to_list() == ["damaged line"]

    out = tmp_path / "exported"
    assert cli.main(["db", "export", "--to", str(out), "--database-url", database_url]) == 0
    assert files_state(out) == files_state(data_copy)
    assert cli.main(["db", "export", "--to", str(out), "--database-url", database_url]) == 2  # never over an existing store


def test_import_refuses_a_database_that_has_history(data_copy, tmp_path, database_url, monkeypatch, capsys):
    monkeypatch.setenv(config.ENV_DATABASE_URL, database_url)
    ingest_file(data_copy, tmp_path, Q2)
    before = values(data_copy)
    assert cli.main(["db", "import", "--from", str(data_copy), "--database-url", database_url]) == 2
    assert "already holds an audit log" in capsys.readouterr().err
    assert values(data_copy).equals(before)


def test_a_broken_files_store_imports_as_broken_and_check_says_so(data_copy, tmp_path, database_url, monkeypatch, capsys):
    monkeypatch.delenv(config.ENV_DATABASE_URL, raising=False)
    lost = ingest_file(data_copy, tmp_path, Q2)
    B.batch_path(data_copy, lost).unlink()
    (data_copy / B.BATCH_DIR / "20240101T000000000000Z-abcdef.csv").write_text("kpi_id\n")  # an orphan
    assert cli.main(["db", "import", "--from", str(data_copy), "--database-url", database_url]) == 1  # something was left out
    assert "missing" in capsys.readouterr().out
    monkeypatch.setenv(config.ENV_DATABASE_URL, database_url)
    assert backends.report(data_copy).history["state"].to_list() == ["broken"]
    assert cli.main(["check", "--data-dir", str(data_copy), "--json"]) == 1
    assert '"missing batch rows"' in capsys.readouterr().out


@pytest.mark.process
def test_kill_at_random_instants_leaves_old_or_new_state_in_the_database(tmp_path, pg_server, monkeypatch):
    folder = tmp_path / "data"
    (folder / "observations").mkdir(parents=True)
    catalogue, areas = synthetic.large_registry(200, 12)
    catalogue.write_csv(folder / "catalogue.csv")
    areas.write_csv(folder / "areas.csv")
    upload = tmp_path / "upload.csv"
    upload.write_bytes(synthetic.million_row_csv(catalogue, areas, rows=30_000))
    rng = random.Random(20241127)
    outcomes = {"old": 0, "new": 0}
    instants = [0.0, *kill_instants(rng, 5, early=0)]  # the first run is not killed
    for trial, instant in enumerate(instants):
        url = pg_server.create_database(f"kpi_kill_{trial}")
        pg.init(url)
        monkeypatch.setenv(config.ENV_DATABASE_URL, url)
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "kpis", "ingest", str(upload), "--data-dir", str(folder)], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if trial == 0:  # the first run goes to the end, to time it and to know the old and new states
            assert proc.wait(timeout=300) == 0
            duration = time.perf_counter() - start
            new = values(folder)
            old = new.head(0)
            continue
        time.sleep(duration * instant)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        state = values(folder)
        assert state.equals(old) or state.equals(new), f"trial {trial}: a half state"
        outcomes["old" if state.equals(old) else "new"] += 1
        assert backends.check(folder).height == 0  # nothing half-written, nothing to repair
    print(f"kill -9 outcomes over {len(instants) - 1} trials: {outcomes}")


def test_the_batch_file_is_the_same_bytes_from_either_store(data_copy, tmp_path, database_url, monkeypatch):
    monkeypatch.setenv(config.ENV_DATABASE_URL, database_url)
    batch = ingest_file(data_copy, tmp_path, Q2)
    (_, name, _), = backends.current(data_copy).active_batches(backends.report(data_copy).history)
    recorded = next(e for _, e in backends.report(data_copy).audit.entries if e["batch_id"] == batch)["file_sha256"]
    content = pg.batch_files(database_url, [batch])[batch]
    assert name == f"kpi_batches/{batch}.csv" and hashlib.sha256(content).hexdigest() == recorded


def test_every_backend_is_documented():
    readme = (ROOT / "README.md").read_text()
    for name in backends.BACKENDS:
        assert f"| `{name}`" in readme, name
    for command in ("db init", "db import --from", "db export --to", "pg_dump", config.ENV_DATABASE_URL):
        assert command in readme, command


def test_the_cli_takes_the_database_url_before_any_command(data_copy, tmp_path, database_url, monkeypatch, capsys):
    monkeypatch.delenv(config.ENV_DATABASE_URL, raising=False)  # restored afterwards, whatever the command sets
    upload = tmp_path / "q2.csv"
    upload.write_text(Q2)
    assert cli.main(["--database-url", database_url, "ingest", str(upload), "--data-dir", str(data_copy)]) == 0
    capsys.readouterr()
    assert cli.main(["--database-url", database_url, "history", "--data-dir", str(data_copy), "--json"]) == 0
    assert '"source": "q2.csv"' in capsys.readouterr().out
    assert not (data_copy / B.AUDIT_FILE).exists()


@pytest.mark.parametrize(("tamper", "kind"), [
    ("DROP TRIGGER kpi_audit_append_only ON kpi_audit", "append-only guard missing"),
    ("SET session_replication_role = replica; UPDATE kpi_batches SET rows = rows + 1", "row count differs"),
    ("SET session_replication_role = replica; UPDATE kpi_batch_files SET content = content || '\\x0a'::bytea", "changed batch file"),
    ("SET session_replication_role = replica; DELETE FROM kpi_batch_files", "missing batch rows"),
    ("DELETE FROM kpi_schema_version", "schema behind"),
])
def test_check_reports_what_was_done_to_the_database_behind_its_back(data_copy, tmp_path, database_url, monkeypatch, capsys, tamper, kind):
    monkeypatch.setenv(config.ENV_DATABASE_URL, database_url)
    ingest_file(data_copy, tmp_path, Q2)
    assert backends.check(data_copy).height == 0
    with pg.connect(database_url) as conn:  # as the database's owner, bypassing the board
        conn.execute(tamper)
    capsys.readouterr()
    assert cli.main(["check", "--data-dir", str(data_copy)]) == 1
    assert kind in capsys.readouterr().out
