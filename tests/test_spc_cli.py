"""`python -m kpis spc`: the JSON contract, text output and usage errors."""

from __future__ import annotations

import json

import pytest

from conftest import DATA
from kpis import cli

KEYS = {"groups", "points", "variation", "assurance"}
GROUP_KEYS = {"start", "n", "mean", "amr", "lpl", "upl", "l2s", "u2s", "short_group_warning"}


def strict(text: str) -> dict:
    def no_constants(name):
        raise AssertionError(f"not strict JSON: {name}")

    return json.loads(text, parse_constant=no_constants)


def spc(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["spc", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_values_json_contract(capsys):
    code, out, _ = spc(capsys, "--values", "10,13,10,13,12,12,12,12,12,12,12", "--improvement", "increase", "--target", "20",
                       "--fix-after", "4", "--json")
    assert code == 0
    doc = strict(out)
    assert set(doc) == KEYS
    assert [set(g) for g in doc["groups"]] == [GROUP_KEYS]
    g = doc["groups"][0]
    assert (g["start"], g["n"], g["short_group_warning"]) == (0, 11, True)
    assert (g["mean"], g["amr"]) == (pytest.approx(11.5), pytest.approx(3.0))
    assert (g["lpl"], g["upl"], g["l2s"], g["u2s"]) == (pytest.approx(3.52), pytest.approx(19.48), pytest.approx(6.18), pytest.approx(16.82))
    assert [set(p) for p in doc["points"]] == [{"index", "value", "point_type"}] * 11
    assert [p["point_type"] for p in doc["points"]] == ["common_cause"] * 3 + ["special_cause_improvement"] * 8
    assert (doc["variation"], doc["assurance"]) == ("improvement_high", "consistent_fail")


def test_rebase_and_no_screen(capsys):
    _, out, _ = spc(capsys, "--values", "1,2,3,10,11,12", "--improvement", "decrease", "--rebase", "3", "--json")
    assert [(g["start"], g["n"], g["mean"]) for g in strict(out)["groups"]] == [(0, 3, 2.0), (3, 3, 11.0)]
    spike = "0,1,0,1,0,1,0,1,0,1,21"
    _, screened, _ = spc(capsys, "--values", spike, "--improvement", "neutral", "--json")
    _, unscreened, _ = spc(capsys, "--values", spike, "--improvement", "neutral", "--no-screen", "--json")
    assert strict(screened)["groups"][0]["amr"] == pytest.approx(1.0)
    assert strict(unscreened)["groups"][0]["amr"] == pytest.approx(2.9)
    assert strict(screened)["assurance"] is None


def test_one_point_gives_nulls_not_nan(capsys):
    code, out, _ = spc(capsys, "--values", "5", "--improvement", "increase", "--target", "3", "--json")
    doc = strict(out)
    assert code == 0 and doc["groups"][0]["amr"] is None and doc["groups"][0]["upl"] is None and doc["assurance"] is None


def test_text_output_uses_words(capsys):
    code, out, _ = spc(capsys, "--values", "10,13,10,13,20", "--improvement", "increase", "--fix-after", "4")
    assert code == 0
    assert "Special cause: improvement" in out and "A point outside the process limits" in out
    assert "variation: ▲ Special cause: improvement (high)" in out and "fewer than 13 points" in out


@pytest.mark.parametrize("args", [
    ["--values", "1,2,x", "--improvement", "increase"],
    ["--values", "1,2,nan", "--improvement", "increase"],
    ["--values", ",", "--improvement", "increase"],
    ["--values", "1,2,3"],
    ["--values", "1,2,3", "--improvement", "increase", "--rebase", "7"],
    ["--values", "1,2,3", "--improvement", "increase", "--rebase", "a"],
    ["--values", "1,2,3", "--improvement", "increase", "--fix-after", "0"],
    ["--values", "1,2,3", "--improvement", "increase", "--kpi", "rtl_uptake"],
    [],
    ["--kpi", "rtl_uptake"],
    ["--kpi", "no_such_kpi", "--area", "NE"],
    ["--kpi", "rtl_uptake", "--area", "Nowhere"],
    ["--kpi", "rtl_uptake", "--area", "NE", "--period", "Smarch"],
    ["--kpi", "rtl_uptake", "--area", "NE", "--improvement", "decrease"],
])
def test_usage_errors_exit_2_with_a_message(capsys, args):
    code, out, err = spc(capsys, *args, "--data-dir", str(DATA), "--json")
    assert code == 2
    assert err.startswith("error: ") and out == ""


def test_bad_improvement_is_an_argparse_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["spc", "--values", "1,2", "--improvement", "up"])
    assert stop.value.code == 2


def test_store_json_up_to_a_period(capsys):
    code, out, _ = spc(capsys, "--kpi", "rtl_uptake", "--area", "NE", "--period", "Mar 2024", "--data-dir", str(DATA), "--json")
    assert code == 0
    doc = strict(out)
    assert set(doc) == KEYS and len(doc["points"]) == 36 and doc["groups"][0]["n"] == 36
    assert doc["points"][0]["value"] == 78.0
    # the same series through --values gives the same answer
    values = ",".join(str(p["value"]) for p in doc["points"])
    _, again, _ = spc(capsys, "--values", values, "--improvement", "increase", "--target", "95", "--json")
    assert strict(again) == doc


def test_store_with_baselines_and_a_bad_row(capsys, data_copy):
    (data_copy / "spc_baselines.csv").write_text("kpi_id,area,period,reason,fix_after\nrtl_uptake,NE,Apr 2023,New pathway,12\nnope,NE,Apr 2023,x,\n")
    code, out, err = spc(capsys, "--kpi", "rtl_uptake", "--area", "North East", "--data-dir", str(data_copy), "--json")
    assert code == 0
    assert [g["start"] for g in strict(out)["groups"]] == [0, 24]
    assert "Not a KPI in the catalogue" in err
    code, out, _ = spc(capsys, "--kpi", "rtl_uptake", "--area", "North East", "--data-dir", str(data_copy))
    assert "from Apr 2023 (New pathway)" in out and "Apr 2021" in out


def test_store_without_figures_exits_1(capsys):
    code, _, err = spc(capsys, "--kpi", "rtl_uptake", "--area", "City", "--data-dir", str(DATA), "--json")
    assert code == 1 and "no figures" in err


@pytest.mark.process
def test_module_entry_point():
    from test_cli import run

    done = run("spc", "--values", "45,46,47", "--improvement", "increase", "--json", in_process=False)
    assert done.returncode == 0, done.stderr
    assert strict(done.stdout)["variation"] == "common_cause"
