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
    assert marks(spec) == ["area", "area", "line", "line", "point", "text"]  # the last names each area line at its end
    line = spec["layer"][3]["encoding"]
    assert line["x"]["field"] == "period" and line["x"]["type"] == "ordinal"
    assert line["x"]["sort"][0] == "Apr 2021" and line["x"]["sort"][-1] == "Jun 2024"
    assert line["color"]["scale"]["domain"] == ["North East", "North West", "South"]
    assert line["color"]["scale"]["range"] == list(styles.AREA_PALETTE[1:4])  # colours follow the areas registry
    target = spec["layer"][2]
    assert target["mark"]["interpolate"] == "step-after" and target["encoding"]["y"]["field"] == "target"
    tooltip_fields = {t["field"] for t in spec["layer"][4]["encoding"]["tooltip"]}
    assert {"area", "period", "value", "target", "status", "numerator", "denominator"} <= tooltip_fields


def test_trend_chart_names_each_area_line_at_its_own_last_point(rtl):
    frame = rtl.filter(~((pl.col("area") == "South") & (pl.col("period") == "Jun 2024")))  # South's last figure is a month earlier
    spec = charts.trend_chart(frame, "Ready to Learn", "percent", 0).to_dict()
    labels = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    assert len(labels) == 1 and labels[0]["name"] == charts.THEME_TEXT and labels[0]["encoding"]["text"]["field"] == "area"
    rows = {r["area"]: r["period"] for r in labels[0]["data"]["values"]} if "values" in labels[0].get("data", {}) else \
        {r["area"]: r["period"] for r in spec["datasets"][labels[0]["data"]["name"]]}
    assert rows == {"North East": "Jun 2024", "North West": "Jun 2024", "South": "May 2024"}
    assert spec["padding"]["right"] >= 8 * len("North East")


def test_a_single_area_trend_has_no_line_labels_and_many_areas_name_only_the_highlight():
    one = pl.DataFrame({"area": ["City"] * 2, "area_order": [1, 1], "period": ["Apr 2024", "May 2024"], "value": [1.0, 2.0]})
    assert charts._line_ends(one, ["Apr 2024", "May 2024"]) == []
    many = pl.DataFrame({"area": [f"Ward {i}" for i in range(12)], "area_order": list(range(12)), "period": ["May 2024"] * 12,
                         "value": [1.0] * 12})
    assert charts._line_ends(many, ["May 2024"], highlight="Ward 3") == ["Ward 3"]
    assert charts._line_ends(many, ["May 2024"]) == ["Ward 0"]
    assert charts._line_ends(many.head(3), ["May 2024"]) == ["Ward 0", "Ward 1", "Ward 2"]


def test_trend_chart_status_shapes_show_on_both_themes(rtl):
    from test_styles import contrast

    legend = charts.trend_chart(rtl, "x", "percent", 0).to_dict()["layer"][4]["encoding"]["shape"]["legend"]
    for background in styles.BACKGROUND.values():
        assert contrast(legend["symbolFillColor"], background) >= 3 and contrast(legend["symbolStrokeColor"], background) >= 3


def test_trend_chart_zones_are_named_for_the_theme_and_filled_with_their_status_colour(rtl):
    layers = charts.trend_chart(rtl, "x", "percent", 0).to_dict()["layer"]
    zones = {layer["name"]: layer["mark"]["color"] for layer in layers if layer["mark"]["type"] == "area"}
    assert zones == {charts.ZONES[rag]: styles.RAG[rag].colour for rag in ("amber", "green")}


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


def font_sizes(spec, path: str = "") -> list[tuple[str, float]]:
    """Every font size a spec sets, anywhere (config, axis, mark), with where it is set."""
    found = []
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key.lower().endswith("fontsize") and isinstance(value, int | float):
                found.append((f"{path}.{key}", value))
            found += font_sizes(value, f"{path}.{key}")
    elif isinstance(spec, list):
        for i, value in enumerate(spec):
            found += font_sizes(value, f"{path}[{i}]")
    return found


def test_no_chart_sets_any_text_smaller_than_13_px_anywhere(demo_store, rtl):
    for name, spec in all_charts(demo_store, rtl).items():
        sizes = font_sizes(spec)
        assert sizes, name
        assert [(where, size) for where, size in sizes if size < styles.CHART_FONT_SIZE] == [], name


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


# ---- the inline-SVG sparkline (the tiles' sparkline: no Vega view) -----------------------

SVG = "{http://www.w3.org/2000/svg}"


def parse_svg(text: str):
    import xml.etree.ElementTree as ET

    return ET.fromstring(text)  # well-formed, or this raises


def spark_frame(rows: list[tuple[str, int, str, float | None, float | None]]) -> pl.DataFrame:
    """(area, area_order, period, value, target) rows, months of 2024 in the order given."""
    from datetime import date

    months = {"Jan 2024": 1, "Feb 2024": 2, "Mar 2024": 3}
    return pl.DataFrame(
        [{"area": a, "area_order": o, "period": p, "period_start": date(2024, months[p], 1), "period_end": date(2024, months[p], 28),
          "value": v, "target": t, "rag": "green", "unit": "percent", "decimals": 0} for a, o, p, v, t in rows])


def test_svg_sparkline_is_an_image_named_as_the_vega_one(rtl):
    chart = charts.sparkline_svg(rtl, "Ready to Learn")
    svg = parse_svg(chart.svg)
    vega = charts.sparkline(rtl, "Ready to Learn").to_dict()
    assert chart.description == vega["description"]
    assert svg.get("role") == "img" and svg.get("aria-label") == vega["description"]
    assert svg.find(f"{SVG}title").text == vega["description"]


def test_svg_sparkline_draws_a_line_per_area_in_its_chart_colour_with_a_dot_per_figure(rtl):
    svg = parse_svg(charts.sparkline_svg(rtl, "RTL", labels={"North East": "NE", "North West": "NW", "South": "S"}).svg)
    plot = svg.find(f"{SVG}svg")
    lines = [p for p in plot.findall(f"{SVG}path") if p.get("stroke-dasharray") is None]
    vega_colours = charts.sparkline(rtl, "RTL").to_dict()["layer"][1]["encoding"]["color"]["scale"]["range"]
    assert [p.get("stroke") for p in lines] == vega_colours
    dots = plot.findall(f"{SVG}g")
    assert [len(g.findall(f"{SVG}path")) for g in dots] == [rtl.filter(pl.col("area") == a).height for a in ("North East", "North West", "South")]
    assert sorted(t.text for t in svg.findall(f"{SVG}g/{SVG}text")) == ["NE", "NW", "S"]  # drawn top to bottom
    names = svg.find(f"{SVG}g")  # dark text on a light halo: readable on either theme, as an image cannot follow the page's colour
    assert names.get("fill") == styles.CHART_TEXT and names.get("stroke") == "#FFFFFF" and names.get("paint-order") == "stroke"


def test_svg_sparkline_places_figures_by_period_and_value_and_the_target_as_dashed_steps():
    frame = spark_frame([("South", 4, "Mar 2024", 30.0, 50.0), ("South", 4, "Jan 2024", 10.0, 40.0), ("South", 4, "Feb 2024", 20.0, 40.0)])
    svg = parse_svg(charts.sparkline_svg(frame, "X", height=56).svg)
    plot = svg.find(f"{SVG}svg")
    target, line = plot.findall(f"{SVG}path")
    # Periods in time order across the plot; the highest value (the target, 50) at the top, the lowest (10) at the bottom.
    assert line.get("d") == "M5.0 51.0 L50.0 39.5 L95.0 28.0"
    assert target.get("stroke-dasharray") == "3 3" and target.get("d") == "M5.0 16.5 H50.0 V16.5 H95.0 V5.0"
    assert svg.findall(f"{SVG}g/{SVG}text") == []  # one area: no names at the line's end
    assert [t.text for t in plot.iter(f"{SVG}title")] == ["South · Jan 2024: 10% · ✔ Green", "South · Feb 2024: 20% · ✔ Green",
                                                          "South · Mar 2024: 30% · ✔ Green"]


def test_svg_sparkline_skips_missing_figures_and_centres_a_single_period():
    gap = spark_frame([("South", 4, "Jan 2024", 10.0, None), ("South", 4, "Feb 2024", None, None), ("South", 4, "Mar 2024", 30.0, None)])
    plot = parse_svg(charts.sparkline_svg(gap, "X").svg).find(f"{SVG}svg")
    assert [p.get("d") for p in plot.findall(f"{SVG}path")] == ["M5.0 51.0 L95.0 5.0"]  # no target line either
    single = spark_frame([("South", 4, "Jan 2024", 10.0, 10.0), ("North", 3, "Jan 2024", 12.0, 10.0)])
    plot = parse_svg(charts.sparkline_svg(single, "X").svg).find(f"{SVG}svg")
    assert {p.get("d").split()[0] for p in plot.findall(f"{SVG}g/{SVG}path")} == {"M50.0"}


def test_svg_sparkline_escapes_every_text_from_the_data():
    evil = '<script>alert("x")</script>&'
    frame = spark_frame([(evil, 1, "Jan 2024", 1.0, 2.0), (evil, 1, "Feb 2024", 2.0, 2.0), ("B'", 2, "Feb 2024", 3.0, 2.0)])
    chart = charts.sparkline_svg(frame, name=evil, labels={"B'": evil})
    text = chart.svg
    assert chart.description.startswith(evil)  # plain text: whoever puts it into HTML escapes it
    assert "<script" not in text and "&lt;script&gt;" in text
    svg = parse_svg(text)  # still well-formed: quotes and ampersands escaped too
    assert svg.get("aria-label").startswith(evil + ": sparkline") and [t.text for t in svg.findall(f"{SVG}g/{SVG}text")] == [evil, evil]


def test_importing_the_chart_builders_does_not_import_altair():
    import subprocess
    import sys

    from conftest import ROOT

    code = "import sys, kpis.charts as c; c.sparkline_svg; assert 'altair' not in sys.modules; c.alt.Chart; assert 'altair' in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True).returncode == 0


@pytest.mark.parametrize(("ends", "spread"), [
    ([10.0, 40.0], [10.0, 40.0]),          # far enough apart: left where they are
    ([20.0, 21.0], [20.0, 33.0]),          # close together: pushed down a line each ...
    ([45.0, 46.0, 47.0], [24.0, 37.0, 50.0]),  # ... and moved up together to end inside the chart ...
    ([2.0, 3.0], [6.5, 19.5]),             # ... but never above its top
])
def test_line_end_labels_are_spread_so_they_never_overlap(ends, spread):
    frame = pl.DataFrame({"_y": ends})
    assert frame.select(charts.spread_expr("_y", 13, 6.5, 50))["_y"].to_list() == spread
