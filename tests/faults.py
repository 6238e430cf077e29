"""One damaged source at a time: the cases the board must survive, shared by the page checks (AppTest, every
page, every case: `test_faults_pages.py`) and the served check (Chromium, a case of each kind: `test_faults_served.py`).

Each case names what it damages in a copy of the demo data with one published batch, and the text the Data
page must then show.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from conftest import ROOT

FRIENDLY_ERROR = "Sorry, something went wrong"


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def _replace(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")


def _delete_batch(data: Path) -> None:
    for batch in (data / "batches").glob("*.csv"):
        batch.unlink()


# (name, damage, text the Data page must show)
CASES: list[tuple[str, Callable[[Path], None], str]] = [
    ("dropped_file_year_0", lambda d: (d / "observations" / "zz.csv").write_text("kpi_id,area,period,value\nhwc_referrals,City,0000,400\n"),
     "zz.csv"),
    ("dropped_file_binary", lambda d: (d / "observations" / "junk.csv").write_bytes(b"\x00\x01\x02PK\x03\x04" * 50), "junk.csv"),
    ("audit_line_array", lambda d: _append(d / "audit.jsonl", "[]\n"), "problem(s) in the audit log"),
    ("audit_line_wrong_types", lambda d: _append(d / "audit.jsonl", '{"action":"publish","batch_id":"x","rows":"many"}\n'), "problem(s) in the audit log"),
    ("audit_line_cut_short", lambda d: _append(d / "audit.jsonl", '{"action":"undo","batch_id":"2024'), "problem(s) in the audit log"),
    ("batch_file_deleted", _delete_batch, "problem(s) in the audit log or the batch files"),
    ("catalogue_target_abc", lambda d: _replace(d / "catalogue.csv", ",95,95%,monthly", ",abc,95%,monthly"), "Left out, because their row in catalogue.csv or areas.csv has an error: rtl_uptake"),
    ("spc_baseline_row_damaged", lambda d: _append(d / "spc_baselines.csv", "no_such_kpi,Atlantis,someday,,x\n"),
     "row(s) of spc_baselines.csv could not be used"),
    ("areas_row_damaged", lambda d: _append(d / "areas.csv", "Nowhere,NOW,Atlantis,x\n"), "Left out, because their row in catalogue.csv or areas.csv has an error: Nowhere"),
]
IDS = [c[0] for c in CASES]


def published_copy(folder: Path) -> Path:
    """A copy of the demo data under `folder` with one batch published through the command line (so the audit
    log and the batch files have something to damage)."""
    from kpis import cli

    data = folder / "data"
    shutil.copytree(ROOT / "data", data)
    figures = folder / "q2.csv"
    figures.write_text("kpi_id,area,period,value\nooa_placements,City,2024/25 Q2,22\n")
    assert cli.main(["ingest", str(figures), "--data-dir", str(data)]) == 0
    return data


def restore(data: Path, pristine: Path) -> None:
    shutil.rmtree(data)
    shutil.copytree(pristine, data)
