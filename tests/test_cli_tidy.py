"""The CLI's manners: an identical re-ingest publishes nothing, history names the mapping, a closed pipe is quiet,
and warnings do not depend on whether the file was published already."""

import json
import subprocess
import sys

import pytest

from conftest import ROOT
from kpis import batches as B
from kpis import cli
from tests import benchmarking as BM

JUMPY = "kpi_id,area,period,value\nooa_placements,City,2024/25 Q2,22\nooa_placements,City,2024/25 Q3,60\n"


def test_an_identical_reingest_publishes_nothing_and_says_so(data_copy, tmp_path, capsys):
    upload = tmp_path / "one.csv"
    upload.write_text(JUMPY)
    assert cli.main(["ingest", str(upload), "--data-dir", str(data_copy)]) == 0
    capsys.readouterr()
    before = B.history(data_copy).height
    assert cli.main(["ingest", str(upload), "--data-dir", str(data_copy), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["unchanged"] and not report["published"] and report["batches"] == []
    assert B.history(data_copy).height == before
    assert cli.main(["ingest", str(upload), "--data-dir", str(data_copy)]) == 0
    assert "nothing published: every figure is already in force" in capsys.readouterr().out


def test_a_reingest_with_one_figure_changed_publishes(data_copy, tmp_path, capsys):
    upload = tmp_path / "one.csv"
    upload.write_text(JUMPY)
    assert cli.main(["ingest", str(upload), "--data-dir", str(data_copy)]) == 0
    upload.write_text(JUMPY.replace(",60", ",61"))
    before = B.history(data_copy).height
    assert cli.main(["ingest", str(upload), "--data-dir", str(data_copy)]) == 0
    assert B.history(data_copy).height == before + 1


def test_warnings_are_the_same_before_and_after_publishing(data_copy, tmp_path, capsys):
    upload = tmp_path / "one.csv"
    upload.write_text(JUMPY)
    cli.main(["validate", str(upload), "--data-dir", str(data_copy), "--mapping", "none"])  # a missing mapping is reported, not raised
    capsys.readouterr()

    def warnings() -> list[str]:
        cli.main(["ingest", str(upload), "--data-dir", str(data_copy), "--json"])
        return sorted(p["problem"] for p in json.loads(capsys.readouterr().out)["problems"])

    first = warnings()
    assert any("More than 50% away" in p for p in first)
    assert warnings() == first


def test_history_records_the_mapping_used(tmp_path, capsys):
    folder = BM.write_folder(tmp_path / "data")
    export = BM.write_quarterly_export(tmp_path / "q.csv")
    assert cli.main(["mapping", "suggest", str(export), "--name", "quarterly", "--data-dir", str(folder)]) == 0
    assert cli.main(["ingest", str(export), "--mapping", "quarterly", "--data-dir", str(folder)]) == 0
    capsys.readouterr()
    assert B.history(folder)["mapping"].to_list() == ["quarterly"]
    assert cli.main(["history", "--data-dir", str(folder)]) == 0
    assert "mapping quarterly" in capsys.readouterr().out


@pytest.mark.process
def test_a_closed_pipe_ends_quietly():
    """`summary | head -1`: the reader leaves after one line; the command says nothing on stderr."""
    command = f"{sys.executable} -m kpis summary --data-dir data | head -1"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.startswith("KPI summary")
    assert "Error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0


class _ClosedAfterOneLine:
    """A stdout whose reader leaves after the first line, as `| head -1` does."""

    def __init__(self) -> None:
        self.lines = 0

    def write(self, text: str) -> int:
        if self.lines >= 1:
            raise BrokenPipeError(32, "Broken pipe")
        self.lines += text.count("\n")
        return len(text)

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        raise OSError("not a real file")


def test_output_to_a_closed_pipe_exits_quietly_with_0(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdout", _ClosedAfterOneLine())
    assert cli.main(["summary", "--data-dir", str(ROOT / "data")]) == 0
    assert capsys.readouterr().err == ""
