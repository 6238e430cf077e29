"""Small-number suppression: table tests with the expected suppressed areas and reasons written out."""

import polars as pl
import pytest

from kpis import suppression as S

AREAS = pl.DataFrame({"area": ["City", "NE", "NW", "S"], "parent": [None, "City", "City", "City"]})


def catalogue(threshold: float | None = 5, unit: str = "percent") -> pl.DataFrame:
    return pl.DataFrame({"kpi_id": ["k"], "unit": [unit], "suppress_under": [threshold]}, schema_overrides={"suppress_under": pl.Float64})


def rows(figures: dict[str, tuple[float | None, float | None, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"kpi_id": "k", "area": a, "period": "2024/25", "value": v, "numerator": n, "denominator": d} for a, (v, n, d) in figures.items()],
        schema={"kpi_id": pl.String, "area": pl.String, "period": pl.String, "value": pl.Float64, "numerator": pl.Float64, "denominator": pl.Float64},
    )


P, C, PA = "fewer than 5", "another area", "its only suppressed area"


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        # nothing small: nothing suppressed
        ({"City": (50, 50, 100), "NE": (50, 20, 40), "NW": (50, 15, 30), "S": (50, 15, 30)}, {}),
        # one small numerator with the parent shown: the smallest other child goes too
        ({"City": (50, 50, 100), "NE": (10, 3, 30), "NW": (50, 20, 40), "S": (50, 27, 30)}, {"NE": P, "NW": C}),
        # a small denominator counts the same
        ({"City": (50, 50, 100), "NE": (75, 3, 4), "NW": (50, 20, 40), "S": (50, 27, 56)}, {"NE": P, "NW": C}),
        # two small children: neither can be worked out, no second suppression
        ({"City": (50, 50, 100), "NE": (10, 3, 30), "NW": (10, 4, 40), "S": (50, 43, 30)}, {"NE": P, "NW": P}),
        # the parent not shown: no second suppression
        ({"NE": (10, 3, 30), "NW": (50, 20, 40), "S": (50, 27, 30)}, {"NE": P}),
        # the parent itself small: it is suppressed, and so no child needs to be
        ({"City": (40, 4, 10), "NE": (10, 3, 5), "NW": (20, 1, 5)}, {"City": P, "NE": P, "NW": P}),
        # an only child suppressed: the parent goes instead
        ({"City": (50, 50, 100), "NE": (10, 3, 30)}, {"NE": P, "City": PA}),
        # zero is under five too
        ({"City": (50, 50, 100), "NE": (0, 0, 30), "NW": (50, 20, 40), "S": (50, 30, 30)}, {"NE": P, "NW": C}),
    ],
)
def test_primary_and_complementary_suppression(figures, expected):
    out = S.apply(rows(figures), catalogue(), AREAS)
    found = {a: r for a, r in zip(out["area"], out["suppression_reason"], strict=True) if r is not None}
    assert found.keys() == expected.keys() and all(expected[a] in r for a, r in found.items()), found
    hidden = out.filter(pl.col("suppressed"))
    assert hidden.select(pl.col("value", "numerator", "denominator").is_null().all()).row(0) == (True, True, True)
    assert out.filter(~pl.col("suppressed"))["value"].to_list() == [figures[a][0] for a in out.filter(~pl.col("suppressed"))["area"]]


def test_a_count_under_the_threshold_is_suppressed_by_its_value():
    out = S.apply(rows({"NE": (3, None, None), "NW": (12, None, None)}), catalogue(unit="count"), AREAS)
    assert out["suppressed"].to_list() == [True, False]


def test_suppression_is_off_without_a_threshold():
    figures = rows({"City": (50, 50, 100), "NE": (10, 1, 30)})
    out = S.apply(figures, catalogue(None), AREAS)
    assert not out["suppressed"].any() and out.drop("suppressed", "suppression_reason").equals(figures)


def test_a_download_says_suppressed_never_blank():
    out = S.for_download(S.apply(rows({"City": (50, 50, 100), "NE": (10, 3, 30), "NW": (50, 20, 40), "S": (50, 27, 30)}), catalogue(), AREAS))
    assert out.filter(pl.col("area") == "NE")["value"].item() == "suppressed"
    assert out.filter(pl.col("area") == "S")["value"].item() == "50.0"


def test_the_cli_summary_and_localities_show_suppressed_figures_as_such(data_copy, capsys):
    import json

    from kpis import cli

    catalogue = pl.read_csv(data_copy / "catalogue.csv", infer_schema=False)
    catalogue.with_columns(pl.when(pl.col("kpi_id") == "rtl_uptake").then(pl.lit("1000")).otherwise(None).alias("suppress_under")).write_csv(
        data_copy / "catalogue.csv")
    assert cli.main(["summary", "--json", "--data-dir", str(data_copy)]) == 0
    records = json.loads(capsys.readouterr().out)
    hidden = [r for r in records if r["suppressed"]]
    assert hidden and {r["kpi_id"] for r in hidden} == {"rtl_uptake"}
    assert all(r["value"] is None and "fewer than 1000" in r["suppression_reason"] for r in hidden)
    assert cli.main(["localities", "--json", "--data-dir", str(data_copy)]) == 0
    localities = [r for r in json.loads(capsys.readouterr().out) if r["kpi_id"] == "rtl_uptake"]
    assert localities and all(r["value"] is None and r["low"] is None for r in localities)


@pytest.mark.parametrize("page", ["pages/overview_page.py", "pages/trends_page.py", "pages/localities_page.py"])
@pytest.mark.slow
def test_pages_show_suppressed_figures_as_such(data_copy, monkeypatch, page):
    from test_app_pages import html_text, open_page

    catalogue = pl.read_csv(data_copy / "catalogue.csv", infer_schema=False)
    catalogue.with_columns(pl.when(pl.col("kpi_id") == "rtl_uptake").then(pl.lit("1000")).otherwise(None).alias("suppress_under")).write_csv(
        data_copy / "catalogue.csv")
    monkeypatch.setenv("KPI_DATA_DIR", str(data_copy))
    at = open_page(page, kpi="rtl_uptake")
    assert not at.exception, [e.value for e in at.exception]
    if page == "pages/overview_page.py":
        assert "suppressed" in html_text(at)


def test_the_trend_download_says_suppressed_with_the_reason(data_copy):
    from kpis import store, suppression, views

    catalogue = pl.read_csv(data_copy / "catalogue.csv", infer_schema=False)
    catalogue.with_columns(pl.when(pl.col("kpi_id") == "rtl_uptake").then(pl.lit("1000")).otherwise(None).alias("suppress_under")).write_csv(
        data_copy / "catalogue.csv")
    shown = suppression.shown(store.load(data_copy))
    table = views.trend_table(views.trend(shown, ["rtl_uptake"], None, None), with_counts=True)
    assert table.height and set(table["Value"]) == {"suppressed"} and set(table["Numerator"]) == {"suppressed"}
    assert table["Suppressed because"].str.contains("fewer than 1000").all()
