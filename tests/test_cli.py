import json
import subprocess
import sys

import pytest

from conftest import DATA, ROOT


def run(*args: str, env_dir: str | None = None) -> subprocess.CompletedProcess:
    import os

    env = dict(os.environ)
    env.pop("KPI_DATA_DIR", None)
    if env_dir:
        env["KPI_DATA_DIR"] = env_dir
    return subprocess.run([sys.executable, "-m", "kpis", *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)


def test_summary_json_reproduces_the_published_table():
    done = run("summary", "--period", "2024/25 Q1", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert {"kpi_id", "kpi_name", "area", "period", "value", "target", "rag", "direction", "change"} <= set(rows[0])
    by_key = {(r["kpi_id"], r["area"]): r for r in rows}
    assert by_key[("mmr_24m", "City")]["value"] == 90.24 and by_key[("mmr_24m", "City")]["rag"] == "red"
    assert by_key[("rtl_uptake", "North West")]["direction"] == "worsening"
    assert len(rows) == 13


def test_summary_text_and_area():
    done = run("summary", "--area", "NE")
    assert done.returncode == 0
    assert "rtl_uptake" in done.stdout and "hwc_referrals" not in done.stdout


def test_validate_clean_file_exits_0(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("kpi_id,area,period,value\nmmr_5y,City,2024/25 Q1,95\n")
    done = run("validate", str(good), "--data-dir", str(DATA))
    assert done.returncode == 0 and "valid" in done.stdout


def test_validate_broken_file_lists_problems_and_exits_1(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("kpi_id,area,period,value\nmmr_5y,Nowhere,2024/25 Q1,95\nmmr_5y,City,2024 Q5,95\n")
    done = run("validate", str(bad), "--json")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["valid"] is False
    assert [(p["row"], p["column"]) for p in report["problems"]] == [(2, "area"), (3, "period")]
    assert all(p["fix"] and p["file"] == "bad.csv" for p in report["problems"])


@pytest.mark.parametrize("content", [b"\x00\xff\xfe junk", b"", b"\x89PNG\r\n\x1a\n" + bytes(range(256))])
def test_validate_never_tracebacks(tmp_path, content):
    odd = tmp_path / "odd.csv"
    odd.write_bytes(content)
    done = run("validate", str(odd))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout


def test_missing_file_is_a_problem_not_a_traceback(tmp_path):
    done = run("validate", str(tmp_path / "nope.csv"))
    assert done.returncode == 1 and "could not be opened" in done.stdout


def test_usage_error_exits_2():
    assert run("validate").returncode == 2
    assert run("summary", "--period", "2024 Q5").returncode == 2
    assert run("frobnicate").returncode == 2


def test_data_dir_from_environment(tmp_path):
    done = run("summary", "--json", env_dir=str(tmp_path))
    assert done.returncode == 1  # an empty folder has no catalogue: said, not raised
    assert "catalogue" in done.stdout.lower()
