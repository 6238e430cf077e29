"""The XmR chart's Vega-Lite spec: limits per group, 2-sigma lines dashed, points in words."""

from __future__ import annotations

from kpis import charts, spc
from kpis.spc import icons


def spec_for(target=15.0):
    r = spc.analyse([10, 13, 10, 13, 12, 12, 12, 12, 12, 12, 12, 20, 1, 2, 3], "increase", fix_after=4, target=target, rebase=[12])
    return r, charts.xmr_chart(r.points, "Example", "number", 1, target=r.target).to_dict()


def test_layers_lines_and_dashes():
    _, spec = spec_for()
    layers = spec["layer"]
    fields = [layer["encoding"]["y"]["field"] for layer in layers]
    assert fields == ["upl", "lpl", "u2s", "l2s", "mean", "target", "value", "value"]
    dashes = {layer["encoding"]["y"]["field"]: layer["mark"].get("strokeDash") for layer in layers[:5]}
    assert dashes["u2s"] == dashes["l2s"] == [4, 4]
    assert dashes["upl"] == dashes["lpl"] == dashes["mean"] == [1, 0]
    # a line per group, so that the limits break at a rebase
    assert all(layer["encoding"]["detail"]["field"] == "group" for layer in layers[:5])


def test_points_coloured_and_shaped_by_type_with_words():
    r, spec = spec_for()
    points = spec["layer"][-1]["encoding"]
    assert points["color"]["field"] == points["shape"]["field"] == "point_words"
    present = set(r.points["point_type"])
    assert points["color"]["scale"]["domain"] == [look.word for kind, look in icons.POINTS.items() if kind in present]
    assert points["color"]["scale"]["range"] == [look.colour for kind, look in icons.POINTS.items() if kind in present]
    assert len(present) >= 2
    assert {t["title"] for t in points["tooltip"]} >= {"Period", "Value", "Point type", "Signal"}
    rows = spec["datasets"][spec["data"]["name"]]
    assert {row["point_words"] for row in rows} == {icons.POINT_WORDS[t] for t in r.points["point_type"]}


def test_every_layer_shares_the_axis_settings():
    # A layer that hides an axis while another shows it breaks the renderer: none hides one.
    _, spec = spec_for()
    for layer in spec["layer"]:
        for channel in ("x", "y"):
            if channel in layer["encoding"]:
                assert layer["encoding"][channel].get("axis", {}) is not None


def test_no_target_no_target_layer():
    _, spec = spec_for(target=None)
    assert "rule" not in [layer["mark"]["type"] for layer in spec["layer"]]


def test_store_points_use_periods(demo_store):
    r = spc.for_store(demo_store, "rtl_uptake", "South", None)
    spec = charts.xmr_chart(r.points, "Ready to Learn", "percent", 0, r.target).to_dict()
    x = spec["layer"][-1]["encoding"]["x"]
    assert x["field"] == "period" and x["sort"][0] == "Apr 2021" and x["sort"][-1] == "Jun 2024"
