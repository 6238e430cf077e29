import polars as pl
import pytest

from kpis import ingest
from kpis import publish as pub
from kpis import store as S

GOOD = b"kpi_id,area,period,value\nooa_placements,City,2024/25 Q2,22\nhwc_referrals,City,2024/25 Q1,812\nmmr_5y,City,2023/24 Q4,94.97\n"


def test_preview_counts_and_provenance(demo_store):
    checked = pub.check_uploads([pub.Upload("q2.csv", GOOD)], demo_store)
    preview = pub.preview(checked, demo_store)
    assert preview.counts == {"new": 1, "revised": 1, "unchanged": 1}
    revised = preview.changes.filter(pl.col("change") == "revised").row(0, named=True)
    assert (revised["old_value"], revised["value"], revised["old_source"], revised["old_published_by"]) == (
        800.0, 812.0, "2024-25_q1_published.csv", "file drop-in")
    assert revised["old_published_at"]


def test_status_flips(demo_store):
    checked = pub.check_uploads([pub.Upload("q2.csv", GOOD)], demo_store)
    flips = pub.preview(checked, demo_store).flips
    row = flips.filter(pl.col("kpi_id") == "ooa_placements").row(0, named=True)
    assert (row["rag_before"], row["period_before"], row["rag_after"], row["period_after"]) == ("red", "2024/25 Q1", "green", "2024/25 Q2")


def test_a_big_jump_is_a_warning_not_an_error(demo_store):
    checked = pub.check_upload(pub.Upload("q2.csv", b"kpi_id,area,period,value\nhwc_referrals,City,2024/25 Q2,300\n"), demo_store)
    assert checked.valid
    (problem,) = checked.problems.to_dicts()
    assert (problem["row"], problem["severity"]) == (2, "warning") and "More than 50% away from 800" in problem["problem"]


def test_conflicting_files_in_one_upload(demo_store):
    a = pub.Upload("a.csv", b"kpi_id,area,period,value\nooa_placements,City,2024/25 Q2,22\n")
    b = pub.Upload("b.csv", b"kpi_id,area,period,value\nooa_placements,City,2024/25 Q2,23\n")
    first, second = pub.check_uploads([a, b], demo_store)
    assert first.valid and not second.valid and "differ from another file" in second.problems["problem"][0]


def test_size_limit(demo_store):
    checked = pub.check_upload(pub.Upload("big.csv", GOOD), demo_store, max_bytes=10)
    assert not checked.valid and "limit" in checked.problems["problem"][0]


@pytest.mark.parametrize(("sent", "shown"), [("../../etc/passwd", "passwd"), ("C:\\Users\\me\\q2.csv", "q2.csv"), ("<script>.csv", "script.csv"), ("", "upload")])
def test_file_names_are_only_shown(sent, shown):
    assert pub.display_name(sent) == shown


def test_publish_refuses_any_error(demo_store, data_copy):
    checked = pub.check_uploads([pub.Upload("bad.csv", b"kpi_id,area,period,value\nmmr_5y,Atlantis,2024/25 Q1,95\n")], demo_store)
    with pytest.raises(ValueError):
        pub.publish(data_copy, checked, demo_store, "me")
    assert not (data_copy / "audit.jsonl").exists()


def test_filled_template_validates_as_is(demo_store):
    template = pub.template(demo_store)
    assert template.height == 13  # every KPI and area the demo reports
    assert set(template.filter(pl.col("kpi_id") == "rtl_uptake")["period"]) == {"Jul 2024"}
    assert set(template.filter(pl.col("kpi_id") == "mmr_24m")["period"]) == {"2024/25 Q1"}
    latest = S.load(__import__("conftest").DATA).observations.sort("period_end").unique(subset=["kpi_id", "area"], keep="last")
    filled = template.join(latest.select("kpi_id", "area", pl.col("value").cast(pl.String).alias("v")), on=["kpi_id", "area"]).with_columns(
        pl.col("v").alias("value")).drop("v")
    result = ingest.check_file("filled.csv", filled.write_csv().encode(), demo_store.catalogue, demo_store.areas)
    assert result.valid, result.problems


def _checked(name: str, rows: int, severities: list[str]) -> pub.Checked:
    problems = pl.DataFrame({"file": [name] * len(severities), "severity": severities}, schema={"file": pl.String, "severity": pl.String})
    return pub.Checked(name, "0" * 64, pl.DataFrame({"value": ["1"] * rows}, schema={"value": pl.String}), problems)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ([("a.csv", 3, [])], None),
        ([("a.csv", 3, ["warning"])], None),
        ([("a.csv", 3, ["error"])], "Fix the errors in a.csv first."),
        ([("a.csv", 3, []), ("b.csv", 0, ["error", "warning"])], "Fix the errors in b.csv first."),
        ([("a.csv", 0, [])], "There are no rows to publish."),
        ([], "There are no rows to publish."),
    ],
    ids=["clean", "warnings-only", "errors", "one-of-two-has-errors", "no-rows", "no-files"],
)
def test_the_publish_gate(files, expected):
    assert pub.blocked_reason([_checked(*f) for f in files]) == expected
