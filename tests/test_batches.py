"""Never lose data: atomic publish, kill -9 at random instants, concurrent publishes, untouched on rejection."""

from __future__ import annotations

import hashlib
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

from conftest import ROOT
from kpis import batches as B
from kpis import cli, ingest, synthetic
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


def test_publish_then_undo_then_restore(data_copy, tmp_path):
    upload = tmp_path / "q2.csv"
    upload.write_text("kpi_id,area,period,value\nooa_placements,City,2024/25 Q2,22\n")
    before = values(data_copy)
    assert cli.main(["ingest", str(upload), "--data-dir", str(data_copy), "--user", "ana"]) == 0
    (batch,) = B.history(data_copy).to_dicts()
    assert (batch["user"], batch["source"], batch["rows"], batch["new"], batch["withdrawn"]) == ("ana", "q2.csv", 1, 1, False)
    assert batch["sha256"] == hashlib.sha256(upload.read_bytes()).hexdigest()
    after = values(data_copy)
    assert after.height == before.height + 1
    assert cli.main(["undo", batch["batch_id"], "--data-dir", str(data_copy)]) == 0
    assert values(data_copy).equals(before)
    assert (data_copy / "batches" / f"{batch['batch_id']}.csv").exists()  # undo deletes nothing
    assert cli.main(["restore", batch["batch_id"], "--data-dir", str(data_copy)]) == 0
    assert values(data_copy).equals(after)
    actions = [e["action"] for e in B.read_audit(data_copy)]
    assert actions == ["publish", "undo", "restore"]


def test_a_crash_between_batch_file_and_audit_entry_leaves_the_old_state(data_copy, tmp_path, monkeypatch):
    upload = tmp_path / "q2.csv"
    upload.write_text("kpi_id,area,period,value\nooa_placements,City,2024/25 Q2,22\n")
    before = values(data_copy)
    real = B.atomic_write
    calls = []

    def crash_on_audit(path, data):
        calls.append(path.name)
        if path.name == B.AUDIT_FILE:
            raise OSError("disk unplugged")
        real(path, data)

    monkeypatch.setattr(B, "atomic_write", crash_on_audit)
    assert cli.main(["ingest", str(upload), "--data-dir", str(data_copy)]) == 1
    assert calls[-1] == B.AUDIT_FILE and any(c.endswith(".csv") for c in calls)
    assert values(data_copy).equals(before)  # the orphan batch file is not in force


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
    for trial in range(24):
        folder = tmp_path / f"trial{trial}"
        shutil.copytree(pristine, folder)
        proc = run_ingest(folder, upload)
        # Start-up (imports) takes most of a run: aim most kills at its second half, where it reads, checks and writes.
        time.sleep(duration * (rng.uniform(0.5, 1.05) if trial % 4 else rng.uniform(0, 0.5)))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        state = values(folder)
        assert state.equals(old) or state.equals(new), f"trial {trial}: a half state"
        outcomes["old" if state.equals(old) else "new"] += 1
        assert not list((folder / "batches").glob(".*.tmp")) or state.equals(old) or state.equals(new)
        shutil.rmtree(folder)
    print(f"kill -9 outcomes over 24 trials: {outcomes}")
    assert outcomes["old"] > 0


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


def test_concurrent_publishes_lose_nothing(big_registry):
    code = "import sys; from tests.test_batches import _publisher; _publisher(sys.argv[1], sys.argv[2], 20)"
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'tests'}")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(big_registry), kpi], cwd=ROOT, env=env) for kpi in ("kpi_000", "kpi_001")]
    assert [p.wait(timeout=600) for p in procs] == [0, 0]
    history = B.history(big_registry)
    assert history.height == 40
    assert sorted(history["user"].unique()) == ["process-kpi_000", "process-kpi_001"]
    state = S.load(big_registry).observations
    assert state.filter(pl.col("kpi_id").is_in(["kpi_000", "kpi_001"])).height == 40
    lines = (big_registry / B.AUDIT_FILE).read_text().splitlines()
    assert len(lines) == 40  # one whole entry per publish, none interleaved


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
def test_every_rejected_file_leaves_the_data_folder_byte_identical(data_copy, tmp_path, name):
    upload = tmp_path / name
    upload.write_bytes(MALFORMED[name])
    before = digest(data_copy)
    assert cli.main(["ingest", str(upload), "--data-dir", str(data_copy)]) == 1
    assert digest(data_copy) == before


def test_busy_lock_tells_the_caller_to_retry(data_copy):
    with B.locked(data_copy), pytest.raises(B.BusyError, match="try again"), B.locked(data_copy, timeout=0.2):
        pass
