"""`python -m kpis localities`: each child area against its parent, as JSON or a text table."""

import json
import subprocess
import sys

import pytest
from locality_cases import ACROSS_PERIODS, IMPOSSIBLE_CITY, OOA_COUNTS, RATES, write_folder

from conftest import DATA, ROOT
from kpis import cli

FIELDS = {"kpi_id", "area", "period", "value", "low", "high", "method", "parent_value", "parent_period", "parent_derived", "comparison", "reason"}


def run_json(capsys, *args: str) -> tuple[int, list[dict]]:
    code = cli.main(["localities", *args, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out, parse_constant=lambda c: pytest.fail(f"not strict JSON: {c}"))


def test_demo_json_shape(capsys):
    code, rows = run_json(capsys, "--period", "2024/25 Q1", "--parent", "City", "--data-dir", str(DATA))
    assert code == 0 and len(rows) == 6
    assert all(set(r) == FIELDS for r in rows)
    ne = next(r for r in rows if (r["kpi_id"], r["area"]) == ("rtl_uptake", "North East"))
    assert (ne["method"], ne["comparison"], ne["reason"], ne["parent_derived"], ne["parent_period"]) == ("wilson", "similar", None, True, "Jun 2024")
    assert ne["low"] == pytest.approx(82.7220, abs=1e-4) and ne["high"] == pytest.approx(90.3425, abs=1e-4)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # area: (method, comparison, reason)
        (OOA_COUNTS, {"North East": ("poisson_exact", "not_compared", "part of a total"),
                      "South": ("poisson_exact", "not_compared", "part of a total")}),
        (IMPOSSIBLE_CITY, {"North East": ("wilson", "not_compared", "no City figure for 2024/25 Q1, and none can be derived: South has no denominator"),
                           "South": ("none", "not_compared", "numerator without denominator")}),
        (ACROSS_PERIODS, {"North West": ("wilson", "not_compared", "City's latest figure is for 2023/24 Q4")}),
        (RATES, {"North East": ("byar", "worse", None), "North West": ("poisson_exact", "better", None), "South": ("byar", "similar", None)}),
    ],
    ids=["count", "impossible-derived-city", "across-periods", "rate-per-1000"],
)
def test_cases(tmp_path, capsys, rows, expected):
    folder = write_folder(tmp_path, rows)
    code, out = run_json(capsys, "--period", "2024/25 Q1", "--parent", "City", "--data-dir", str(folder))
    assert code == 0
    got = {r["area"]: (r["method"], r["comparison"], r["reason"]) for r in out}
    assert {a: got[a] for a in expected} == expected


def test_strict_json_without_an_interval(tmp_path, capsys):
    code, out = run_json(capsys, "--parent", "city", "--data-dir", str(write_folder(tmp_path, IMPOSSIBLE_CITY)))
    south = next(r for r in out if r["area"] == "South")
    assert code == 0 and (south["low"], south["high"], south["parent_value"], south["parent_derived"]) == (None, None, None, False)


def test_text_table_and_usage_errors(capsys):
    assert cli.main(["localities", "--period", "2024/25 Q1", "--data-dir", str(DATA)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Areas of City at 2024/25 Q1") and "rtl_uptake" in text and "wilson" in text
    assert cli.main(["localities", "--parent", "Atlantis", "--data-dir", str(DATA)]) == 2
    assert "unknown area" in capsys.readouterr().err
    assert cli.main(["localities", "--period", "2024 Q5", "--data-dir", str(DATA)]) == 2
    code, rows = run_json(capsys, "--parent", "S", "--data-dir", str(DATA))
    assert (code, rows) == (0, [])  # South has no areas under it


@pytest.mark.process
def test_as_a_command():
    done = subprocess.run([sys.executable, "-m", "kpis", "localities", "--period", "2024/25 Q1", "--json", "--data-dir", str(DATA)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert {r["comparison"] for r in json.loads(done.stdout)} == {"similar"}
