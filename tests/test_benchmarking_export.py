"""A national benchmarking export, generated in its real shape, from `mapping suggest` to `ingest` to `summary --json`."""

import json

import polars as pl
import pytest

from kpis import cli
from kpis import store as S
from tests import benchmarking as B


@pytest.fixture
def folder(tmp_path):
    return B.write_folder(tmp_path / "data")


def run(capsys, *argv) -> tuple[int, str]:
    code = cli.main(list(argv))
    return code, capsys.readouterr().out


def test_suggest_then_ingest_publishes_with_no_errors(folder, tmp_path, capsys):
    export = B.write_export(tmp_path / "export.csv")
    code, out = run(capsys, "mapping", "suggest", str(export), "--name", "national", "--data-dir", str(folder), "--json")
    suggestion = json.loads(out)
    assert code == 0 and suggestion["saved"] and suggestion["not_inferred"] == []
    mapping = suggestion["mapping"]
    assert mapping["kpi_ids"] == {"C&L01": "c_l01", "CORP-ASSET01": "corp_asset01"}
    assert {"transform": "scale", "factor": 100, "kpis": ["chn10", "corp_asset01"]} in mapping["steps"]
    assert {"transform": "skip_rows", "filter": "multi_year_period"} in mapping["steps"]
    assert [c.get("area") or "peer" for c in mapping["comparators"]] == [B.NATION, "peer"]

    code, out = run(capsys, "validate", str(export), "--mapping", "national", "--data-dir", str(folder), "--json")
    assert code == 0 and not [p for p in json.loads(out)["problems"] if p["severity"] == "error"]

    code, out = run(capsys, "ingest", str(export), "--mapping", "national", "--data-dir", str(folder), "--json")
    report = json.loads(out)
    problems = report["problems"]
    assert code == 0 and report["published"]
    assert [p for p in problems if p["severity"] == "error"] == []
    assert not [p for p in problems if "Repeats row" in p["problem"]]
    rows = B.export_rows()
    multi = sum(1 for r in rows if r[2] in ("2010-14", "2009-11"))
    blank = sum(1 for r in rows if r[2] not in ("2010-14", "2009-11") and r[3] == "")
    skipped = [p["problem"] for p in problems if "left out by the mapping" in p["problem"]]
    assert sorted(int(p.split(" ")[0]) for p in skipped) == sorted([multi, blank])

    observations = S.load(folder).observations
    councils = len(B.COUNCILS) * len(B.INDICATORS) * len(B.YEARS) - blank
    comparators = (1 + B.GROUPS) * len(B.INDICATORS) * len(B.YEARS)
    assert observations.height == councils + comparators
    per_area = observations.group_by("kpi_id", "area", "period").len()
    assert per_area["len"].max() == 1
    assert set(observations["area"]) == {*B.COUNCILS, B.NATION, *(f"Family Group {g}" for g in range(1, B.GROUPS + 1))}

    code, out = run(capsys, "summary", "--json", "--data-dir", str(folder))
    summary = pl.DataFrame(json.loads(out))
    assert code == 0
    percent = summary.filter(pl.col("kpi_id").is_in(["chn10", "corp_asset01"]))
    assert percent["value"].min() > 50 and percent["value"].max() <= 100  # scaled from fractions
    costs = summary.filter(pl.col("kpi_id") == "c_l01")
    assert costs.height == len(B.COUNCILS) + 1 + B.GROUPS and costs["value"].max() < 10  # cost per visit, numerator far above denominator
    assert summary.filter(pl.col("area") == B.NATION).height == len(B.INDICATORS)


def test_the_same_export_without_a_mapping_fails_and_says_a_mapping_may_be_needed(folder, tmp_path, capsys):
    export = B.write_export(tmp_path / "export.csv")
    code, out = run(capsys, "validate", str(export), "--data-dir", str(folder), "--json")
    (problem,) = json.loads(out)["problems"]
    assert code == 1 and "mapping" in problem["fix"]


def test_a_quarterly_export_with_semicolon_quarters(folder, tmp_path, capsys):
    export = B.write_quarterly_export(tmp_path / "quarterly.csv")
    run(capsys, "mapping", "suggest", str(export), "--name", "quarterly", "--data-dir", str(folder))
    code, out = run(capsys, "ingest", str(export), "--mapping", "quarterly", "--data-dir", str(folder), "--json")
    assert code == 0 and not [p for p in json.loads(out)["problems"] if p["severity"] == "error"]
    periods = S.load(folder).observations["period"].unique().sort().to_list()
    assert periods == sorted(f"{y[:4]}/{y[5:]} Q{q}" for y in B.YEARS[-2:] for q in range(1, 5))


def test_suggest_says_what_it_could_not_infer(folder, tmp_path, capsys):
    export = tmp_path / "odd.csv"
    export.write_text("Indicator Code,Local Authority,Year,Value\nZZ99,Angus,2019-20,1\n")
    code, out = run(capsys, "mapping", "suggest", str(export), "--name", "odd", "--data-dir", str(folder))
    assert code == 0 and "not inferred: 1 indicator code(s) match no KPI in the catalogue: ZZ99" in out
