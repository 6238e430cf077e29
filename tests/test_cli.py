import json
import subprocess

import pytest

import cli_run
from conftest import DATA


def run(*args: str, env_dir: str | None = None, in_process: bool = True) -> subprocess.CompletedProcess:
    return cli_run.run(*args, env={"KPI_DATA_DIR": env_dir}, in_process=in_process)


@pytest.mark.process
def test_summary_json_reproduces_the_published_table():
    done = run("summary", "--period", "2024/25 Q1", "--json", in_process=False)  # end to end, as a user starts it
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


@pytest.mark.parametrize("args", [("--help",), ("-h",)] + [(command, "--help") for command in (
    "validate", "summary", "ingest", "history", "undo", "restore", "check", "localities", "hash-passphrase", "spc", "changes",
    "freshness", "comment", "comments", "mapping", "db", "pack")])
def test_help_prints_usage_and_exits_0(args):
    """Help is the first thing a new analyst types: it names every command (top level) and never tracebacks."""
    done = run(*args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage:") and "Traceback" not in done.stderr
    if args[0].startswith("-"):
        assert all(command in done.stdout for command in ("ingest", "localities", "pack", "db"))


def test_data_dir_from_environment(tmp_path):
    done = run("summary", "--json", env_dir=str(tmp_path))
    assert done.returncode == 1  # an empty folder has no catalogue: said, not raised
    assert "catalogue" in done.stdout.lower()


def _strict(text: str):
    """json.loads that refuses NaN and Infinity, which are not JSON."""
    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_to_json_maps_non_finite_numbers_to_null():
    from kpis.cli import to_json

    out = to_json({"a": float("nan"), "b": [1.5, float("inf"), {"c": float("-inf")}], "d": None})
    assert _strict(out) == {"a": None, "b": [1.5, None, {"c": None}], "d": None}


def test_summary_json_is_strict_and_says_whether_changes_are_significant():
    done = run("summary", "--period", "2024/25 Q1", "--json")
    assert done.returncode == 0, done.stderr
    rows = {(r["kpi_id"], r["area"]): r for r in _strict(done.stdout)}
    assert all(r["change_significant"] in (True, False, None) for r in rows.values())
    assert rows[("mmr_5y", "City")]["change_significant"] is None  # no counts: not tested
    assert rows[("mmr_5y", "City")]["direction"] == "improving"  # the report's arrow is kept
    assert isinstance(rows[("rtl_uptake", "North East")]["change_significant"], bool)


@pytest.mark.parametrize("cell", ["nan", "inf", "1e309"])
def test_non_finite_figures_are_rejected_and_json_stays_strict(tmp_path, cell):
    bad = tmp_path / "bad.csv"
    bad.write_text(f"kpi_id,area,period,value,target\nrtl_uptake,NE,Jun 24,99,{cell}\nhwc_referrals,City,2024/25 Q1,{cell},\n")
    done = run("validate", str(bad), "--json", "--data-dir", str(DATA))
    assert done.returncode == 1
    report = _strict(done.stdout)
    assert [(p["row"], p["column"], p["severity"]) for p in report["problems"]] == [(2, "target", "error"), (3, "value", "error")]


def test_changes_json_since_the_previous_quarter():
    done = run("changes", "--period", "2024/25 Q1", "--since", "previous", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert set(rows[0]) == {"kpi_id", "area", "period", "value", "since_period", "since_value", "status", "since_status", "status_changed",
                            "direction", "change_significant", "overdue", "due_by"}
    aftercare = next(r for r in rows if r["kpi_id"] == "aftercare_eet")
    assert (aftercare["since_value"], aftercare["value"], aftercare["since_period"]) == (74.0, 77.0, "2023/24 Q4")
    assert not any(r["status_changed"] for r in rows) and not any(r["overdue"] for r in rows)


def test_freshness_json_with_the_clock_a_quarter_on():
    at_report = json.loads(run("freshness", "--period", "2024/25 Q1", "--json").stdout)
    assert not any(r["overdue"] for r in at_report)
    done = run("freshness", "--period", "2024/25 Q2", "--json")
    assert done.returncode == 0, done.stderr
    late = {(r["kpi_id"], r["area"]): r["overdue_days"] for r in json.loads(done.stdout) if r["overdue"]}
    assert late[("hpi_by_24wk", "South")] == 62 and late[("rtl_uptake", "North East")] == 19 and len(late) == 6
    assert {"kpi_id", "area", "latest_period", "expected_period", "overdue", "overdue_days"} <= set(json.loads(done.stdout)[0])


def test_changes_bad_since_is_a_usage_error():
    done = run("changes", "--since", "someday", "--json")
    assert done.returncode == 2 and "error" in json.loads(done.stdout)


def test_comment_then_comments(data_copy):
    done = run("comment", "--kpi", "mmr_24m", "--period", "Q4 2023/24", "--text", "A clinic closed", "--owner", "Public Health",
               "--user", "ana", "--json", env_dir=str(data_copy))
    assert done.returncode == 0, done.stdout + done.stderr
    comment_id = json.loads(done.stdout)["comment_id"]
    listed = json.loads(run("comments", "--kpi", "mmr_24m", "--json", env_dir=str(data_copy)).stdout)
    assert [(c["comment_id"], c["period"], c["owner"]) for c in listed["comments"]] == [(comment_id, "2023/24 Q4", "Public Health")]
    refused = run("comment", "--kpi", "nope", "--period", "2024/25 Q1", "--text", "x", "--json", env_dir=str(data_copy))
    assert refused.returncode == 1 and "There is no KPI" in json.loads(refused.stdout)["error"]["problem"]
