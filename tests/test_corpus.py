"""Every malformed input of the corpus gets a clear report: valid JSON, a problem and a fix, no traceback,
the right exit code, and a data folder left byte for byte as it was."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import malformed as M
import pytest

from conftest import DATA
from kpis import cli, config, store
from kpis import publish as pub

GENERIC = ("unexpected", "Traceback", "Error:")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("corpus") / "data"
    shutil.copytree(DATA, target)
    return target


@pytest.fixture(scope="module")
def loaded(data_dir: Path) -> store.Store:
    """The corpus folder's store, loaded once: no case may change the folder (each checks its fingerprint)."""
    return store.load(data_dir)


def fingerprint(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object], str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and not err.startswith("error:"), err
    return code, json.loads(out), err


def assert_clear(problems: list[dict[str, object]], case: M.Case) -> None:
    for p in problems:
        assert p["problem"] and p["fix"], p
        assert not any(g in str(p["problem"]) for g in GENERIC), p
    errors = [p for p in problems if p["severity"] == "error"]
    assert bool(errors) is (case.outcome == "error"), problems
    # The cause is named: by the error itself, or by a warning beside it ("did you mean 'value'?").
    if case.outcome != "ok":
        assert any(case.expect in str(p["problem"]) for p in problems), problems


FILE_CASES = [c for c in M.ALL if c.kind in ("csv", "xlsx")]


@pytest.mark.parametrize("case", FILE_CASES, ids=[f"{c.kind}-{c.name}" for c in FILE_CASES])
def test_every_bad_file_gets_a_clear_report(case: M.Case, data_dir: Path, loaded: store.Store, tmp_path: Path, capsys, monkeypatch) -> None:
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    path = tmp_path / case.file
    path.write_bytes(case.content or b"")
    before = fingerprint(data_dir)

    code, report, _ = run(capsys, "validate", "--json", "--data-dir", str(data_dir), str(path))
    assert_clear(report["problems"], case)  # type: ignore[arg-type]
    assert code == (1 if case.outcome == "error" else 0)
    assert report["valid"] is (case.outcome != "error")

    checked = pub.check_uploads([pub.Upload(case.file, case.content or b"")], loaded, max_bytes=config.max_upload_bytes())
    assert_clear(checked[0].problems.to_dicts(), case)
    if case.outcome == "ok":  # read as intended: the figure, not just the absence of errors
        assert checked[0].frame.select("kpi_id", "area", "value").rows()[0] == ("rtl_uptake", "North East", 88.0)
    if case.outcome == "error":
        with pytest.raises(ValueError, match="Nothing was published"):
            pub.publish(data_dir, checked, loaded, "corpus")
        code, report, _ = run(capsys, "ingest", "--json", "--data-dir", str(data_dir), "--user", "corpus", str(path))
        assert code == 1 and report["published"] is False
    assert fingerprint(data_dir) == before


MAPPING_CASES = [c for c in M.ALL if c.kind == "mapping"]


@pytest.mark.parametrize("case", MAPPING_CASES, ids=[c.name for c in MAPPING_CASES])
def test_every_bad_mapping_gets_a_clear_report(case: M.Case, data_copy: Path, tmp_path: Path, capsys) -> None:
    if case.content is not None:
        (data_copy / "mappings").mkdir(exist_ok=True)
        (data_copy / "mappings" / f"{case.filename}.json").write_bytes(case.content)
    upload = tmp_path / "export.csv"
    upload.write_text(M.GOOD)
    before = fingerprint(data_copy)
    code, report, _ = run(capsys, "ingest", "--json", "--data-dir", str(data_copy), "--mapping", case.filename, str(upload))
    assert code == 1 and report["published"] is False
    assert_clear(report["problems"], case)  # type: ignore[arg-type]
    assert fingerprint(data_copy) == before


STORE_CASES = [c for c in M.ALL if c.kind in ("catalogue", "areas", "audit")]
TARGET = {"catalogue": "catalogue.csv", "areas": "areas.csv", "audit": "audit.jsonl"}


@pytest.mark.parametrize("case", STORE_CASES, ids=[c.name for c in STORE_CASES])
def test_bad_reference_files_load_without_raising(case: M.Case, data_copy: Path, capsys) -> None:
    (data_copy / TARGET[case.kind]).write_bytes(case.content or b"")
    loaded = store.load(data_copy)
    code, report, _ = run(capsys, "validate", "--json", "--data-dir", str(data_copy), str(data_copy / "observations" / "2024-25_q1_published.csv"))
    assert code in (0, 1) and isinstance(report["problems"], list)
    assert loaded.problems.height > 0


def test_the_corpus_is_large_and_varied() -> None:
    kinds = {k: sum(c.kind == k for c in M.ALL) for k in ("csv", "xlsx", "mapping", "catalogue", "areas", "audit")}
    assert len(M.ALL) >= 60 and all(kinds.values()), kinds
    assert len({c.name + c.kind for c in M.ALL}) == len(M.ALL)


@pytest.mark.parametrize("command", ["validate", "ingest"])
def test_the_command_line_checks_size_before_reading(command, data_dir, tmp_path, capsys, monkeypatch):
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:  # sparse: large on paper, nothing on disk
        handle.truncate(3 * 2**20)
    monkeypatch.setenv("KPI_MAX_UPLOAD_MB", "2")
    real_read = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        assert self != path, "the file was read before its size was checked"
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    before = fingerprint(data_dir)
    code, report, _ = run(capsys, command, "--json", "--data-dir", str(data_dir), str(path))
    assert code == 1 and [p["problem"] for p in report["problems"]] == ["The file is 3.0 MB, over the 2 MB limit"]
    assert fingerprint(data_dir) == before


SUBPROCESS_CASES = [c for c in M.ALL if c.name in ("broken_sheet_xml", "undefined_entity", "no_workbook_part", "ragged_row")]


@pytest.mark.parametrize("case", SUBPROCESS_CASES, ids=[c.name for c in SUBPROCESS_CASES])
@pytest.mark.process
def test_the_command_prints_json_and_nothing_on_stderr(case: M.Case, data_dir: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    from conftest import ROOT

    path = tmp_path / case.file
    path.write_bytes(case.content or b"")
    done = subprocess.run([sys.executable, "-m", "kpis", "validate", "--json", "--data-dir", str(data_dir), str(path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert (done.returncode, done.stderr) == (1, "")
    assert any(case.expect in p["problem"] for p in json.loads(done.stdout)["problems"])
