"""Chart builders are checked on their Vega-Lite spec: marks, encodings, titles, colours."""

import polars as pl
import pytest

from kpis import charts, styles, summary, views


@pytest.fixture(scope="module")
def rtl(demo_store):
    return views.trend(demo_store, ["rtl_uptake"], None, summary.default_period(demo_store))


def marks(spec: dict) -> list[str]:
    layers = spec.get("layer") or spec.get("spec", {}).get("layer", [])
    return [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in layers]


def test_trend_chart_layers_and_encodings(rtl):
    spec = charts.trend_chart(rtl, "Ready to Learn", "percent", 0).to_dict()
    assert spec["title"] == "Ready to Learn"
    assert marks(spec) == ["area", "area", "line", "line", "point"]
    line = spec["layer"][3]["encoding"]
    assert line["x"]["field"] == "period" and line["x"]["type"] == "ordinal"
    assert line["x"]["sort"][0] == "Apr 2021" and line["x"]["sort"][-1] == "Jun 2024"
    assert line["color"]["scale"]["domain"] == ["North East", "North West", "South"]
    assert line["color"]["scale"]["range"] == list(styles.AREA_PALETTE[1:4])  # colours follow the areas registry
    target = spec["layer"][2]
    assert target["mark"]["interpolate"] == "step-after" and target["encoding"]["y"]["field"] == "target"
    tooltip_fields = {t["field"] for t in spec["layer"][4]["encoding"]["tooltip"]}
    assert {"area", "period", "value", "target", "status", "numerator", "denominator"} <= tooltip_fields


def test_trend_chart_with_intervals_adds_error_bars(rtl):
    assert "errorbar" in marks(charts.trend_chart(rtl, "x", "percent", 0, show_interval=True).to_dict())


def test_mixed_periods_share_one_sorted_axis(demo_store):
    frame = views.trend(demo_store, ["rtl_uptake", "mmr_24m"], ["North East", "City"], None)
    order = charts.trend_chart(frame, "x", "percent", 0).to_dict()["layer"][3]["encoding"]["x"]["sort"]
    # By end date, then the longer period first: Feb 2024, then the quarter to March, then March itself.
    assert order.index("Feb 2024") < order.index("2023/24 Q4") < order.index("Mar 2024")


def test_locality_bars_colour_by_status_and_label_with_word(demo_store):
    frame = views.localities(demo_store, summary.default_period(demo_store), "City").filter(pl.col("kpi_id") == "rtl_uptake")
    spec = charts.locality_bars(frame, "Ready to Learn", "percent", 0).to_dict()
    assert marks(spec) == ["bar", "rule", "text", "text"]  # labels inside long bars, and past the end of short ones
    bar = spec["layer"][0]["encoding"]
    assert bar["color"]["field"] == "rag" and bar["color"]["scale"]["range"][2] == styles.RAG["red"].colour
    labels = {row["label"] for row in spec["datasets"][spec["data"]["name"]]} if "data" in spec else set()
    assert labels == {"87%  ✖ Red", "84%  ✖ Red", "89%  ✖ Red"}


def test_sparkline_hides_every_axis(rtl):
    spec = charts.sparkline(rtl.filter(pl.col("area") == "South")).to_dict()
    for layer in spec["layer"]:
        assert layer["encoding"]["y"]["axis"] is None and layer["encoding"]["x"]["axis"] is None


def test_small_multiples_facet_by_area(rtl):
    spec = charts.small_multiples(rtl, "RTL", "percent", 0).to_dict()
    assert spec["facet"]["field"] == "area" and marks(spec) == ["line", "line"]
    assert "data" in spec and all("data" not in layer for layer in spec["spec"]["layer"])


def test_band_tooltips_are_words_not_column_names():
    import polars as pl

    from kpis import charts

    frame = pl.DataFrame({"green_limit": [92.625, 25.625, 380.0, None], "amber_limit": [90.25, 26.25, 370.0, None],
                          "polarity": ["higher_is_better", "lower_is_better", "higher_is_better", "higher_is_better"],
                          "_unit": ["percent", "count", "count", "percent"]})
    assert frame.select(charts.band_words_expr())[:, 0].to_list() == [
        "green above 92.625%, amber above 90.25%", "green below 25.625, amber below 26.25", "green above 380, amber above 370", None]


def test_a_short_bar_is_labelled_past_its_end_and_a_suppressed_one_says_so(demo_store):
    frame = views.localities(demo_store, summary.default_period(demo_store), "City").filter(pl.col("kpi_id") == "rtl_uptake")
    frame = frame.with_columns(
        pl.when(pl.col("area") == "South").then(5.0).when(pl.col("area") == "North West").then(None).otherwise(pl.col("value")).alias("value"),
        (pl.col("area") == "North West").alias("suppressed"),
        pl.when(pl.col("area") == "North West").then(pl.lit("fewer than 5 people counted")).alias("suppression_reason"),
    )
    spec = charts.locality_bars(frame, "Ready to Learn", "percent", 0).to_dict()
    rows = {r["area"]: r for r in spec["datasets"][spec["data"]["name"]]}
    assert rows["South"]["_place"] == "outside" and rows["North East"]["_place"] == "inside"
    assert rows["North West"]["_place"] == "suppressed" and rows["North West"]["label"] == "suppressed: fewer than 5 people counted"
    outside = spec["layer"][3]
    assert outside["mark"]["align"] == "left" and outside["encoding"]["x"]["field"] == "_x"


def all_charts(demo_store, rtl) -> dict[str, dict]:
    from kpis import spc

    frame = views.localities(demo_store, summary.default_period(demo_store), "City").filter(pl.col("kpi_id") == "rtl_uptake")
    points = spc.analyse([10, 13, 10, 13, 12, 12, 12, 12, 12, 12, 12, 20, 1, 2, 3], "increase").points
    return {
        "sparkline": charts.sparkline(rtl, "Ready to Learn").to_dict(),
        "trend": charts.trend_chart(rtl, "Ready to Learn", "percent", 0).to_dict(),
        "bars": charts.locality_bars(frame, "Ready to Learn", "percent", 0).to_dict(),
        "multiples": charts.small_multiples(rtl, "Ready to Learn", "percent", 0).to_dict(),
        "xmr": charts.xmr_chart(points, "Ready to Learn", "percent", 0).to_dict(),
    }


def test_every_chart_is_described_and_its_text_is_large_and_dark_enough(demo_store, rtl):
    from test_styles import contrast

    for name, spec in all_charts(demo_store, rtl).items():
        assert spec["description"].startswith("Ready to Learn: "), name
        config = spec["config"]
        for part, keys in {"axis": ("labelColor", "titleColor"), "legend": ("labelColor", "titleColor"), "title": ("color",),
                           "header": ("labelColor", "titleColor")}.items():
            for key in keys:
                assert contrast(config[part][key], "#FFFFFF") >= 4.5, (name, part, key)
        for part, keys in {"axis": ("labelFontSize", "titleFontSize"), "legend": ("labelFontSize", "titleFontSize"), "title": ("fontSize",)}.items():
            for key in keys:
                assert config[part][key] >= 13, (name, part, key)


def test_descriptions_say_what_the_chart_shows(demo_store, rtl):
    specs = all_charts(demo_store, rtl)
    assert "North East, North West, South, Apr 2021 to Jun 2024" in specs["trend"]["description"]
    assert "North East: 87%  ✖ Red" in specs["bars"]["description"]


def test_sparkline_labels_each_area_line_at_its_end(rtl):
    spec = charts.sparkline(rtl, "RTL", labels={"North East": "NE", "North West": "NW", "South": "S"}).to_dict()
    text = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    assert len(text) == 1 and text[0]["encoding"]["text"]["field"] == "area_label"
    assert text[0]["name"] == charts.THEME_TEXT and text[0]["mark"]["color"] == styles.CHART_TEXT
    rows = spec["datasets"][spec["data"]["name"]]
    assert {r["area"]: r["area_label"] for r in rows} == {"North East": "NE", "North West": "NW", "South": "S"}
    last = text[0]["transform"][0]["filter"]["oneOf"]
    assert last == [spec["layer"][1]["encoding"]["x"]["sort"][-1]]


def test_a_single_area_sparkline_needs_no_label(rtl):
    spec = charts.sparkline(rtl.filter(pl.col("area") == "South"), "RTL").to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["line", "line"]
    assert spec["description"].startswith("RTL: sparkline of recent values for South, ")
