"""`python -m kpis check [--repair]`, and every CLI failure outside the data as JSON with exit 2."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from kpis import batches as B
from kpis import cli

UPLOAD = "kpi_id,area,period,value\nooa_placements,City,2024/25 Q2,22\n"


def run(capsys, *args: str) -> tuple[int, dict]:
    code = cli.main([*args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def publish(folder: Path, tmp_path: Path, capsys) -> str:
    upload = tmp_path / "q2.csv"
    upload.write_text(UPLOAD)
    code, out = run(capsys, "ingest", str(upload), "--data-dir", str(folder))
    assert code == 0
    return out["batches"][0]["batch_id"]


def test_a_clean_folder_checks_clean(data_copy, tmp_path, capsys):
    publish(data_copy, tmp_path, capsys)
    assert run(capsys, "check", "--data-dir", str(data_copy)) == (0, {"clean": True, "findings": []})


def test_check_reports_and_repair_moves_aside_never_deletes(data_copy, tmp_path, capsys):
    batch_id = publish(data_copy, tmp_path, capsys)
    temp = data_copy / "batches" / ".20241126T105700123456Z-3f9a1c.csv.abc.tmp"
    temp.write_text("half a batch")
    audit_temp = data_copy / ".audit.jsonl.xyz.tmp"
    audit_temp.write_text("{}")
    orphan = data_copy / "batches" / "20241126T105700123456Z-3f9a1c.csv"
    orphan.write_text(UPLOAD)
    (data_copy / B.AUDIT_FILE).open("a").write('{"action": "undo", "batch_id": "' + batch_id + '", "us\n')
    code, out = run(capsys, "check", "--data-dir", str(data_copy))
    assert code == 1 and not out["clean"]
    found = {(f["kind"], f["file"], f["row"]) for f in out["findings"]}
    assert found == {("temp file", audit_temp.name, None), ("temp file", f"batches/{temp.name}", None),
                     ("orphan batch", f"batches/{orphan.name}", None), ("damaged line", B.AUDIT_FILE, 2)}
    assert all(f["fix"] and f["moved_to"] is None for f in out["findings"])
    audit_before = (data_copy / B.AUDIT_FILE).read_bytes()

    code, out = run(capsys, "check", "--repair", "--data-dir", str(data_copy))
    assert code == 1  # the damaged line stays (the log is append-only): a person must look at it
    moved = {f["file"]: f["moved_to"] for f in out["findings"] if f["moved_to"]}
    assert set(moved) == {audit_temp.name, f"batches/{temp.name}", f"batches/{orphan.name}"}
    for source, target in moved.items():
        assert not (data_copy / source).exists() and (data_copy / target).is_file()
        assert target.startswith(B.REPAIR_DIR + "/")
    assert (data_copy / moved[f"batches/{orphan.name}"]).read_text() == UPLOAD  # kept as it was
    folder = data_copy / Path(moved[audit_temp.name]).parent
    assert "line 2:" in (folder / "audit-damaged-lines.txt").read_text()
    assert (data_copy / B.AUDIT_FILE).read_bytes() == audit_before
    code, out = run(capsys, "check", "--data-dir", str(data_copy))
    assert [f["kind"] for f in out["findings"]] == ["damaged line"]


def test_check_in_text(data_copy, capsys):
    (data_copy / "batches").mkdir()
    (data_copy / "batches" / ".x.tmp").write_text("")
    assert cli.main(["check", "--data-dir", str(data_copy)]) == 1
    assert "batches/.x.tmp: temp file" in capsys.readouterr().out


ENVIRONMENT = [
    (OSError(errno.ENOSPC, "No space left on device"), "disk is full"),
    (OSError(errno.EROFS, "Read-only file system"), "read-only"),
    (PermissionError(errno.EACCES, "Permission denied"), "may not be written"),
    (B.BusyError("Another analyst is publishing right now. Please try again in a moment."), "try again"),
]


@pytest.mark.parametrize(("error", "said"), ENVIRONMENT)
def test_an_environment_error_on_ingest_is_json_and_exit_2(data_copy, tmp_path, capsys, monkeypatch, error, said):
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(B, "atomic_write", fail)
    upload = tmp_path / "q2.csv"
    upload.write_text(UPLOAD)
    code, out = run(capsys, "ingest", str(upload), "--data-dir", str(data_copy))
    assert code == 2
    assert said in out["error"]["problem"] and out["error"]["fix"]
    cli.main(["ingest", str(upload), "--data-dir", str(data_copy)])
    plain = capsys.readouterr()
    assert said in plain.err and "Fix:" in plain.err and "Traceback" not in plain.err


@pytest.mark.parametrize(("error", "said"), ENVIRONMENT)
def test_an_environment_error_on_undo_and_check_is_json_and_exit_2(data_copy, tmp_path, capsys, monkeypatch, error, said):
    batch_id = publish(data_copy, tmp_path, capsys)

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(B, "append_audit", fail)
    if isinstance(error, B.BusyError):
        monkeypatch.setattr(B, "locked", fail)
    code, out = run(capsys, "undo", batch_id, "--data-dir", str(data_copy))
    assert code == 2 and said in out["error"]["problem"]
    monkeypatch.setattr(B, "locked", fail)
    code, out = run(capsys, "check", "--repair", "--data-dir", str(data_copy))
    assert code == 2 and said in out["error"]["problem"]


def test_an_unexpected_failure_is_still_json(data_copy, capsys, monkeypatch):
    def boom(args):
        raise RuntimeError("something odd")

    monkeypatch.setattr(cli, "cmd_history", boom)
    code, out = run(capsys, "history", "--data-dir", str(data_copy))
    assert code == 1 and "something odd" in out["error"]["problem"]
