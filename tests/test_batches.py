"""Never lose data: atomic publish, kill -9 at random instants, concurrent publishes, untouched on rejection."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from kills import kill_instants

from conftest import ROOT
from kpis import backends, cli, ingest, synthetic
from kpis import batches as B
from kpis import store as S


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def values(folder: Path) -> pl.DataFrame:
    """The board's state, as figures (provenance aside)."""
    return S.load(folder).observations.select(*ingest.KEY, "value").sort(list(ingest.KEY))


@pytest.fixture
def big_registry(tmp_path: Path) -> Path:
    """A data folder with 200 KPIs and 12 areas, and a 60,000-row file ready to publish."""
    folder = tmp_path / "data"
    (folder / "observations").mkdir(parents=True)
    catalogue, areas = synthetic.large_registry(200, 12)
    catalogue.write_csv(folder / "catalogue.csv")
    areas.write_csv(folder / "areas.csv")
    (tmp_path / "upload.csv").write_bytes(synthetic.million_row_csv(catalogue, areas, rows=60_000))
    return folder


def run_ingest(folder: Path, upload: Path, user: str = "test") -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "kpis", "ingest", str(upload), "--data-dir", str(folder), "--user", user],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_publish_then_undo_then_restore(data_copy, tmp_path, backend):
    upload = tmp_path / "q2.csv"
    upload.write_text("kpi_id,area,period,value\nooa_placements,City,2024/25 Q2,22\n")
    before = values(data_copy)
    assert cli.main(["ingest", str(upload), "--data-dir", str(data_copy), "--user", "ana"]) == 0
    (batch,) = backends.report(data_copy).history.to_dicts()
    assert (batch["user"], batch["source"], batch["rows"], batch["new"], batch["withdrawn"]) == ("ana", "q2.csv", 1, 1, False)
    assert batch["sha256"] == hashlib.sha256(upload.read_bytes()).hexdigest()
    after = values(data_copy)
    assert after.height == before.height + 1
    assert cli.main(["undo", batch["batch_id"], "--data-dir", str(data_copy)]) == 0
    assert values(data_copy).equals(before)
    assert backends.report(data_copy).history["state"].to_list() == ["withdrawn"]  # undo deletes nothing
    assert (data_copy / "batches" / f"{batch['batch_id']}.csv").exists() == (backend == "files")  # the database keeps no files
    assert cli.main(["restore", batch["batch_id"], "--data-dir", str(data_copy)]) == 0
    assert values(data_copy).equals(after)
    actions = [e["action"] for _, e in backends.report(data_copy).audit.entries]
    assert actions == ["publish", "undo", "restore"]


def test_a_failure_between_batch_file_and_audit_entry_leaves_the_old_state(data_copy, tmp_path, monkeypatch, capsys):
    upload = tmp_path / "q2.csv"
    upload.write_text("kpi_id,area,period,value\nooa_placements,City,2024/25 Q2,22\n")
    before = values(data_copy)

    def crash_on_audit(data_dir, entries):
        raise OSError(errno.EIO, "disk unplugged")

    monkeypatch.setattr(B, "append_audit", crash_on_audit)
    assert cli.main(["ingest", str(upload), "--data-dir", str(data_copy), "--json"]) == 2
    assert "could not be written" in json.loads(capsys.readouterr().out)["error"]["problem"]
    assert values(data_copy).equals(before)
    assert list((data_copy / "batches").iterdir()) == []  # a publish that failed takes its batch files back
    assert B.check(data_copy).height == 0


def publish_one(folder: Path, tmp_path: Path, text: str = "kpi_id,area,period,value\nooa_placements,City,2024/25 Q2,22\n") -> str:
    upload = tmp_path / "one.csv"
    upload.write_text(text)
    assert cli.main(["ingest", str(upload), "--data-dir", str(folder)]) == 0
    return B.history(folder)["batch_id"][-1]


def test_the_batch_write_is_temp_file_fsync_rename(data_copy, tmp_path, monkeypatch):
    """Fails if a batch file is ever written in place, or renamed before its data reached the disk."""
    final = data_copy / "batches"
    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src, dst):
        events.append(("rename", f"{src} -> {dst}"))
        assert not Path(dst).exists() or Path(dst).parent != final, "a batch file is never replaced"
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    batch_id = publish_one(data_copy, tmp_path)
    path = final / f"{batch_id}.csv"
    renames = [e for kind, e in events if kind == "rename" and e.endswith(str(path))]
    assert len(renames) == 1, events
    temp = renames[0].split(" -> ")[0]
    assert Path(temp).parent == final and Path(temp).name.endswith(".tmp")
    fsynced = [target for kind, target in events if kind == "fsync"]
    assert temp in fsynced and events.index(("fsync", temp)) < events.index(("rename", renames[0]))
    audit_fsync = [i for i, (kind, target) in enumerate(events) if kind == "fsync" and target == str(data_copy / B.AUDIT_FILE)]
    assert audit_fsync and audit_fsync[-1] > events.index(("rename", renames[0]))  # the batch is on disk before its commit


def test_the_audit_log_is_appended_never_rewritten(data_copy, tmp_path):
    publish_one(data_copy, tmp_path)
    audit = data_copy / B.AUDIT_FILE
    before, inode = audit.read_bytes(), audit.stat().st_ino
    batch_id = B.history(data_copy)["batch_id"][0]
    assert cli.main(["undo", batch_id, "--data-dir", str(data_copy)]) == 0
    assert audit.stat().st_ino == inode and audit.read_bytes().startswith(before)
    for line in audit.read_text().splitlines():
        entry = json.loads(line)
        assert entry["check"] == hashlib.sha256(json.dumps({k: v for k, v in entry.items() if k != "check"}, sort_keys=True,
                                                           ensure_ascii=False).encode()).hexdigest()


DAMAGED = ["null", "[]", "42", '{"action":"publish","batch_id":"x","rows":"many"}', '{"action":"erase","batch_id":"20241126T105700123456Z-3f9a1c"}',
           '{"action":"publish","batch_id":"../../catalogue","published_at":"t","user":"u","source":"s","sha256":"h","rows":1,"new":1,"revised":0,"unchanged":0}',
           "{\"action\": \"und"]


@pytest.mark.parametrize("line", DAMAGED)
def test_a_damaged_audit_line_is_reported_and_the_rest_works(data_copy, tmp_path, line, capsys):
    batch_id = publish_one(data_copy, tmp_path)
    audit = data_copy / B.AUDIT_FILE
    with audit.open("a") as handle:
        handle.write(line + "\n")
    found = B.report(data_copy)
    assert found.history.select("batch_id", "state").rows() == [(batch_id, "in force")]
    (problem,) = found.problems.filter(pl.col("file") == B.AUDIT_FILE).to_dicts()
    assert (problem["row"], problem["severity"], problem["value"]) == (2, "error", line[:120])
    assert S.load(data_copy).observations.filter(pl.col("source") == batch_id).height == 1
    capsys.readouterr()
    assert cli.main(["history", "--data-dir", str(data_copy), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [p["row"] for p in shown["problems"]] == [2]
    assert cli.main(["check", "--data-dir", str(data_copy), "--json"]) == 1
    assert [(f["kind"], f["row"]) for f in json.loads(capsys.readouterr().out)["findings"]] == [("damaged line", 2)]


def test_an_edited_line_fails_its_checksum_and_is_left_out(data_copy, tmp_path):
    batch_id = publish_one(data_copy, tmp_path)
    assert cli.main(["undo", batch_id, "--data-dir", str(data_copy)]) == 0
    audit = data_copy / B.AUDIT_FILE
    audit.write_text(audit.read_text().replace('"action": "undo"', '"action": "restore"'))  # someone turns the undo into a restore
    assert B.history(data_copy)["state"].to_list() == ["in force"]
    (problem,) = B.report(data_copy).problems.to_dicts()
    assert (problem["row"], problem["column"]) == (2, "check") and "checksum" in problem["problem"]


def test_a_batch_id_is_checked_before_it_names_a_file(data_copy):
    with pytest.raises(ValueError, match="Not a batch id"):
        B.batch_path(data_copy, "../catalogue")
    assert B.is_batch_id(B.new_batch_id())
    with pytest.raises(B.UnknownBatchError):
        B.set_withdrawn(data_copy, "../../etc/passwd", "me", True)


def test_an_undo_line_cut_short_is_reported_and_kept(data_copy, tmp_path):
    batch_id = publish_one(data_copy, tmp_path)
    assert cli.main(["undo", batch_id, "--data-dir", str(data_copy)]) == 0
    audit = data_copy / B.AUDIT_FILE
    cut = audit.read_bytes()[:-40]  # the undo line loses its end, as in a crash mid-write
    audit.write_bytes(cut)
    (row,) = B.history(data_copy).to_dicts()
    assert row["state"] == "in force" and "line 2" in row["note"]  # rebuilt from the valid lines, with a warning on the batch
    problems = B.report(data_copy).problems
    assert problems.select("row", "severity").rows() == [(2, "error")]
    # The next write appends on a new line and keeps the damaged text as it is.
    publish_one(data_copy, tmp_path, "kpi_id,area,period,value\nhwc_referrals,City,2024/25 Q2,800\n")
    assert audit.read_bytes().startswith(cut + b"\n")
    assert [n for n, _ in B.read_lines(data_copy).damaged] == [2]
    assert B.history(data_copy).height == 2


def test_a_publish_of_several_files_is_all_or_nothing_in_the_log(data_copy, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("kpi_id,area,period,value\nooa_placements,City,2024/25 Q2,22\n")
    b.write_text("kpi_id,area,period,value\nhwc_referrals,City,2024/25 Q2,800\n")
    before = values(data_copy)
    assert cli.main(["ingest", str(a), str(b), "--data-dir", str(data_copy)]) == 0
    assert B.history(data_copy).height == 2
    audit = data_copy / B.AUDIT_FILE
    lines = audit.read_bytes().split(b"\n")
    audit.write_bytes(lines[0] + b"\n" + lines[1][:25])  # the second line of the one write is torn
    assert B.history(data_copy).height == 0
    assert values(data_copy).equals(before)
    problems = B.report(data_copy).problems
    assert problems.select("row").to_series().to_list() == [1, 2]
    assert "did not complete" in problems["problem"][0]


def test_a_deleted_batch_file_is_a_broken_batch_not_in_force(data_copy, tmp_path, capsys):
    batch_id = publish_one(data_copy, tmp_path)
    signature = S.signature(data_copy)
    (data_copy / "batches" / f"{batch_id}.csv").unlink()
    assert S.signature(data_copy) != signature  # a running board notices at the next page load
    assert B.history(data_copy)["state"].to_list() == ["broken"]
    assert B.active(data_copy) == []
    loaded = S.load(data_copy)
    assert loaded.problems.filter(pl.col("file") == f"batches/{batch_id}.csv")["problem"].str.contains("missing").all()
    assert cli.main(["restore", batch_id, "--data-dir", str(data_copy)]) == 1  # not withdrawn: nothing to restore, an error
    capsys.readouterr()
    assert cli.main(["check", "--data-dir", str(data_copy), "--json"]) == 1
    assert [f["kind"] for f in json.loads(capsys.readouterr().out)["findings"]] == ["missing batch file"]


def test_a_batch_file_changed_after_publishing_is_broken(data_copy, tmp_path, capsys):
    batch_id = publish_one(data_copy, tmp_path)
    path = data_copy / "batches" / f"{batch_id}.csv"
    path.write_text(path.read_text().replace(",22.0", ",99.0").replace(",22,", ",99,"))
    (row,) = B.history(data_copy).to_dicts()
    assert row["state"] == "broken" and "changed" in row["note"]
    assert S.load(data_copy).observations.filter(pl.col("source") == batch_id).height == 0
    capsys.readouterr()
    assert cli.main(["check", "--data-dir", str(data_copy), "--json"]) == 1
    assert [f["kind"] for f in json.loads(capsys.readouterr().out)["findings"]] == ["changed batch file"]


def test_undo_of_a_withdrawn_batch_is_an_error_that_writes_nothing(data_copy, tmp_path, capsys):
    batch_id = publish_one(data_copy, tmp_path)
    assert cli.main(["undo", batch_id, "--data-dir", str(data_copy)]) == 0
    capsys.readouterr()
    lines = (data_copy / B.AUDIT_FILE).read_bytes()
    assert cli.main(["undo", batch_id, "--data-dir", str(data_copy)]) == 1
    assert "already withdrawn" in capsys.readouterr().err
    assert (data_copy / B.AUDIT_FILE).read_bytes() == lines


def test_restore_of_a_batch_in_force_is_an_error_that_writes_nothing(data_copy, tmp_path, capsys):
    batch_id = publish_one(data_copy, tmp_path)
    lines = (data_copy / B.AUDIT_FILE).read_bytes()
    assert cli.main(["restore", batch_id, "--data-dir", str(data_copy)]) == 1
    assert "already in force" in capsys.readouterr().err
    assert (data_copy / B.AUDIT_FILE).read_bytes() == lines


def test_legacy_lines_without_a_checksum_are_read_and_reported_once(data_copy, tmp_path):
    batch_id = publish_one(data_copy, tmp_path)
    audit = data_copy / B.AUDIT_FILE
    entry = {k: v for k, v in json.loads(audit.read_text()).items() if k not in ("check", "group", "group_size")}
    undo = {"action": "undo", "batch_id": batch_id, "user": "old", "at": "2024-01-01T00:00:00Z"}
    audit.write_text(json.dumps(entry) + "\n" + json.dumps(undo) + "\n")
    assert B.history(data_copy)["state"].to_list() == ["withdrawn"]
    (problem,) = B.report(data_copy).problems.to_dicts()
    assert problem["severity"] == "warning" and "2 line(s)" in problem["problem"]


@pytest.mark.parametrize(("setting", "mode"), [(None, 0o640), ("600", 0o600), ("0o644", 0o644), ("rubbish", 0o640)])
def test_files_are_written_with_the_configured_mode(data_copy, tmp_path, monkeypatch, setting, mode):
    if setting is None:
        monkeypatch.delenv(B.ENV_FILE_MODE, raising=False)
    else:
        monkeypatch.setenv(B.ENV_FILE_MODE, setting)
    batch_id = publish_one(data_copy, tmp_path)
    assert (data_copy / "batches" / f"{batch_id}.csv").stat().st_mode & 0o777 == mode
    assert (data_copy / B.AUDIT_FILE).stat().st_mode & 0o777 == mode


def test_a_failed_append_leaves_no_damaged_line(data_copy, tmp_path, monkeypatch):
    publish_one(data_copy, tmp_path)
    audit = data_copy / B.AUDIT_FILE
    before = audit.read_bytes()
    real_write = os.write

    def half_then_full(fd, data):
        if len(data) > 20:
            real_write(fd, bytes(data[:20]))
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", half_then_full)
    with B.locked(data_copy), pytest.raises(OSError):
        B.append_audit(data_copy, [{"action": "undo", "batch_id": B.history(data_copy)["batch_id"][0], "user": "u", "at": "t"}])
    assert audit.read_bytes() == before


KILL_TRIALS = 8  # random instants; the exact points a publish can die at are each tested below (KILL_AT)



@pytest.mark.process
def test_kill_at_random_instants_leaves_old_or_new_state(big_registry, tmp_path):
    upload = tmp_path / "upload.csv"
    pristine = tmp_path / "pristine"
    shutil.copytree(big_registry, pristine)
    old = values(pristine)
    reference = tmp_path / "reference"
    shutil.copytree(pristine, reference)
    start = time.perf_counter()
    assert run_ingest(reference, upload).wait(timeout=300) == 0
    duration = time.perf_counter() - start
    new = values(reference)
    assert new.height == old.height + 60_000

    rng = random.Random(20241126)
    outcomes = {"old": 0, "new": 0}
    leftovers = {"temp file": 0, "orphan batch": 0}
    for trial, instant in enumerate(kill_instants(rng, KILL_TRIALS, early=2)):
        folder = tmp_path / f"trial{trial}"
        shutil.copytree(pristine, folder)
        proc = run_ingest(folder, upload)
        time.sleep(duration * instant)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        state = values(folder)
        assert state.equals(old) or state.equals(new), f"trial {trial}: a half state"
        outcomes["old" if state.equals(old) else "new"] += 1
        found = B.check(folder)
        assert set(found["kind"]) <= set(leftovers), found  # never a damaged line nor a missing batch file
        for kind in found["kind"]:
            leftovers[kind] += 1
        B.check(folder, repair=True)  # what a kill leaves behind is reported, then moved aside
        assert B.check(folder).height == 0 and values(folder).equals(state)
        shutil.rmtree(folder)
    print(f"kill -9 outcomes over {KILL_TRIALS} trials: {outcomes}; left behind and moved aside by check --repair: {leftovers}")
    assert outcomes["old"] > 0


KILL_AT = {
    # where a publishing process is killed (-9): the function it dies in, and what that leaves behind
    "before rename": ("os.replace", "temp file"),
    "before the audit append": ("kpis.batches.append_audit", "orphan batch"),
}


@pytest.mark.parametrize("moment", list(KILL_AT))
@pytest.mark.process
def test_what_a_kill_leaves_behind_is_reported_and_moved_aside(data_copy, tmp_path, moment):
    target, kind = KILL_AT[moment]
    upload = tmp_path / "q2.csv"
    upload.write_text("kpi_id,area,period,value\nooa_placements,City,2024/25 Q2,22\n")
    module, name = target.rsplit(".", 1)
    code = (f"import importlib, os, signal, sys; from kpis import cli; m = importlib.import_module({module!r}); "
            f"setattr(m, {name!r}, lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)); "
            f"cli.main(['ingest', {str(upload)!r}, '--data-dir', {str(data_copy)!r}])")
    before = values(data_copy)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL
    assert values(data_copy).equals(before)
    found = B.check(data_copy)
    assert found["kind"].to_list() == [kind]
    B.check(data_copy, repair=True)
    assert B.check(data_copy).height == 0 and values(data_copy).equals(before)
    assert len(list((data_copy / B.REPAIR_DIR).rglob("*.csv*"))) == 1  # moved aside, not deleted


def _publisher(folder: str, kpi: str, count: int) -> None:
    """Child process: publish `count` one-row batches for one KPI."""
    from pathlib import Path as _Path

    from kpis import publish as pub
    from kpis import store as _S

    for i in range(count):
        month = f"{2000 + i // 12}-{i % 12 + 1:02d}"
        data = _S.load(_Path(folder))
        checked = pub.check_uploads([pub.Upload(f"{kpi}-{i}.csv", f"kpi_id,area,period,value\n{kpi},Region,{month},{50 + i}\n".encode())], data)
        pub.publish(_Path(folder), checked, data, f"process-{kpi}")


@pytest.mark.process
def test_concurrent_publishes_lose_nothing(big_registry, backend):
    code = "import sys; from tests.test_batches import _publisher; _publisher(sys.argv[1], sys.argv[2], 12)"
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'tests'}")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(big_registry), kpi], cwd=ROOT, env=env) for kpi in ("kpi_000", "kpi_001")]
    assert [p.wait(timeout=600) for p in procs] == [0, 0]
    found = backends.report(big_registry)
    history = found.history
    assert history.height == 24
    assert sorted(history["user"].unique()) == ["process-kpi_000", "process-kpi_001"]
    state = S.load(big_registry).observations
    assert state.filter(pl.col("kpi_id").is_in(["kpi_000", "kpi_001"])).height == 24
    assert len(found.audit.entries) == 24 and found.audit.damaged == []  # one whole entry per publish, none interleaved


MALFORMED = {
    "empty.csv": b"",
    "header_only.csv": b"kpi_id,area,period,value\n",
    "binary.csv": bytes(range(256)),
    "workbook.xlsx": b"PK\x03\x04not really a workbook",
    "missing_column.csv": b"kpi_id,area\nmmr_5y,City\n",
    "ragged.csv": b"kpi_id,area,period,value\nmmr_5y,City,2024/25 Q1,95,extra\n",
    "unknown_kpi.csv": b"kpi_id,area,period,value\nmmr_6y,City,2024/25 Q1,95\n",
    "bad_period.csv": b"kpi_id,area,period,value\nmmr_5y,City,2024 Q5,95\n",
    "bad_value.csv": b"kpi_id,area,period,value\nmmr_5y,City,2024/25 Q1,ninety\n",
    "out_of_range.csv": b"kpi_id,area,period,value\nmmr_5y,City,2024/25 Q1,195\n",
    "duplicate_key.csv": b"kpi_id,area,period,value\nmmr_5y,City,2024/25 Q1,95\nmmr_5y,City,2024/25 Q1,96\n",
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_every_rejected_file_leaves_the_data_folder_byte_identical(data_copy, tmp_path, name, backend):
    upload = tmp_path / name
    upload.write_bytes(MALFORMED[name])
    before, key = digest(data_copy), S.signature(data_copy)
    assert cli.main(["ingest", str(upload), "--data-dir", str(data_copy)]) == 1
    assert digest(data_copy) == before
    assert S.signature(data_copy) == key  # and the database's change counter did not move


def test_busy_lock_tells_the_caller_to_retry(data_copy):
    with B.locked(data_copy), pytest.raises(B.BusyError, match="try again"), B.locked(data_copy, timeout=0.2):
        pass
