"""Chart builders: pure functions from small, already-filtered frames to `alt.Chart`.

Colours and icons come from `styles`, so every chart speaks the same language as the
tiles. Periods sit on an ordinal axis sorted along the shared time axis, so months and
financial-year quarters are both labelled as people write them.

Every chart leaves here through `_accessible`: a `description` that screen readers announce
(the SVG's accessible name), and axis, legend and title text at 13 px or more in a colour
that meets WCAG AA on white (the app's style sheet makes it follow the theme's text colour).
"""

from __future__ import annotations

import html
from typing import NamedTuple

import polars as pl

from kpis import formatting, styles
from kpis.periods import order_exprs


class _Altair:
    """Altair, imported on first use: a page that draws only inline sparklines never pays for it (about a second)."""

    def __getattr__(self, name: str):
        import altair

        return getattr(altair, name)


alt = _Altair()

FONT = "Source Sans Pro, Arial, sans-serif"
THEME_TEXT = "theme_text"  # a text mark so named follows the theme's text colour in the app (Vega's class `theme_text_marks`)
ZONES = {"amber": "zone_amber", "green": "zone_green"}  # a trend's status zones, filled with the theme's status colour in the app


def _accessible(chart, description: str):
    """The shared finish: description, and text size and colour for axes, legends, titles and facet headers."""
    size, ink = styles.CHART_FONT_SIZE, styles.CHART_TEXT
    return (
        chart.properties(description=description)
        .configure_axis(labelColor=ink, titleColor=ink, labelFontSize=size, titleFontSize=size)
        .configure_legend(labelColor=ink, titleColor=ink, labelFontSize=size, titleFontSize=size)
        .configure_title(color=ink, fontSize=size + 3, subtitleColor=ink, subtitleFontSize=size)
        .configure_header(labelColor=ink, titleColor=ink, labelFontSize=size, titleFontSize=size)
        .configure_text(fontSize=size)
    )


def _span(frame: pl.DataFrame, order: list[str]) -> str:
    areas = frame.sort("area_order")["area"].unique(maintain_order=True).to_list() if "area_order" in frame.columns else []
    when = f"{order[0]} to {order[-1]}" if order else "no periods"
    return f"{', '.join(areas) or 'no areas'}, {when}"


def _period_sort(frame: pl.DataFrame) -> list[str]:
    keys = order_exprs() if "period_kind" in frame.columns else ["period_end", "period_start", "period"]
    return frame.sort(keys)["period"].unique(maintain_order=True).to_list()


def area_colours(areas: list[str], highlight: str | None = None, orders: list[int] | None = None) -> list[str]:
    """One colour per area of a chart (in the areas registry's order), never the same colour twice.

    Where every area's place in the registry (`orders`, from 1) falls within the palette, the
    area keeps its colour on every chart; otherwise the areas take the palette's colours in
    turn and evenly spaced hues follow. With more than `MANY_LINES` areas, one (`highlight`, else the
    first) keeps a strong colour and the rest are light grey, so one line can be read.
    """
    if len(areas) > MANY_LINES:
        chosen = highlight if highlight in areas else areas[0] if areas else None
        return [styles.AREA_PALETTE[1] if a == chosen else styles.BACKGROUND_LINE for a in areas]
    palette = list(styles.AREA_PALETTE)
    if orders is not None and all(1 <= o <= len(palette) for o in orders):
        return [palette[o - 1] for o in orders]
    extra = [f"hsl({round(360 * i / max(1, len(areas) - len(palette)))}, 55%, 45%)" for i in range(max(0, len(areas) - len(palette)))]
    return (palette + extra)[: len(areas)]


MANY_LINES = 8  # beyond this many areas in one chart, one line is highlighted and the rest are grey


def _area_scale(frame: pl.DataFrame, highlight: str | None = None) -> alt.Scale:
    """Each area of this chart its own colour, in the areas registry's order."""
    pairs = frame.select("area", "area_order").unique().sort("area_order")
    areas = pairs["area"].to_list()
    return alt.Scale(domain=areas, range=area_colours(areas, highlight, [int(o) for o in pairs["area_order"]]))


def _rag_scale() -> alt.Scale:
    return alt.Scale(domain=list(styles.RAG), range=[look.colour for look in styles.RAG.values()])


def _value_format(unit: str, decimals: int) -> str:
    return f",.{decimals}f"


def _with_labels(frame: pl.DataFrame) -> pl.DataFrame:
    """Adds the status as icon and word, for tooltips and labels."""
    return frame.with_columns(styles.rag_label_expr().alias("status"))


def sparkline(frame: pl.DataFrame, name: str = "Recent values", height: int = 56, labels: dict[str, str] | None = None) -> alt.Chart:
    """A small line of recent history for a tile: one line per area, no axes, and where there are
    several areas each line labelled at its end with the area's code (`labels`) or name."""
    data = _with_labels(frame.select("area", "area_order", "period", "period_start", "period_end", "value", "target", "rag"))
    order = _period_sort(data)
    data = data.with_columns(pl.col("area").replace(labels or {}).alias("area_label"))
    x = alt.X("period:O", sort=order, axis=None)
    base = alt.Chart(data.to_pandas())
    line = base.mark_line(strokeWidth=2, point=alt.OverlayMarkDef(size=14)).encode(
        x=x,
        y=alt.Y("value:Q", axis=None, scale=alt.Scale(zero=False)),
        color=alt.Color("area:N", scale=_area_scale(data), legend=None),
        tooltip=[alt.Tooltip("area:N", title="Area"), alt.Tooltip("period:N", title="Period"),
                 alt.Tooltip("value:Q", title="Value"), alt.Tooltip("status:N", title="Status")],
    )
    target = base.mark_line(strokeDash=[3, 3], color=styles.TARGET_COLOUR, strokeWidth=1, interpolate="step-after").encode(
        # Every layer must hide the axis: a shared scale with one axis hidden breaks the renderer.
        x=x, y=alt.Y("target:Q", axis=None),
    )
    layers = [target, line]
    if data["area"].n_unique() > 1:  # lines that differ only by colour get their names beside them
        last = base.transform_filter(alt.FieldOneOfPredicate(field="period", oneOf=order[-1:]))
        # In the theme's text colour (the mark's name is the style sheet's hook): area colours are 3:1, text needs 4.5:1.
        layers.append(last.mark_text(align="left", dx=6, fontSize=styles.CHART_FONT_SIZE, fontWeight="bold", color=styles.CHART_TEXT).encode(
            x=x, y=alt.Y("value:Q", axis=None), text="area_label:N",
        ).properties(name=THEME_TEXT))
    chart = alt.layer(*layers).properties(height=height, width="container", padding={"right": 8})
    return _accessible(chart, f"{name}: sparkline of recent values for {_span(data, order)}").configure_view(strokeWidth=0)


SPARK_PLOT_WIDTH = 100  # the plot's own units across: the svg stretches them to the tile's width
SPARK_PAD = 5  # px kept clear above and below the lines, and units at either end


def _escaped(expr: pl.Expr) -> pl.Expr:
    """`html.escape` as a Polars expression (the five characters, replaced in one pass)."""
    return expr.cast(pl.String).fill_null("").str.replace_many(["&", "<", ">", '"', "'"], ["&amp;", "&lt;", "&gt;", "&quot;", "&#x27;"])


def _spark_points(frame: pl.DataFrame, height: int) -> tuple[pl.DataFrame, list[str]]:
    """The rows with their x (plot units) and y (px) on the sparkline, and the periods in order."""
    columns = ["area", "area_order", "period", "period_start", "period_end", "value", "target", "rag"]
    if {"unit", "decimals"} <= set(frame.columns):
        columns += ["unit", "decimals"]
    data = frame.select(columns).with_columns(pl.col("value", "target").cast(pl.Float64)).with_columns(
        pl.when(pl.col(c).is_finite()).then(pl.col(c)).alias(c) for c in ("value", "target"))
    order = _period_sort(data)
    both = pl.concat([data["value"], data["target"]]).drop_nulls()
    low, high = (both.min(), both.max()) if both.len() else (0.0, 1.0)
    if high == low:
        low, high = low - 1.0, high + 1.0
    steps = max(len(order) - 1, 1)
    index = pl.col("period").replace_strict(order, list(range(len(order))), return_dtype=pl.Float64)
    x = (pl.lit(SPARK_PLOT_WIDTH / 2) if len(order) == 1 else SPARK_PAD + index * ((SPARK_PLOT_WIDTH - 2 * SPARK_PAD) / steps)).round(2)

    def y(column: str) -> pl.Expr:
        return (SPARK_PAD + (high - pl.col(column)) * ((height - 2 * SPARK_PAD) / (high - low))).round(2)

    return data.with_columns(x.alias("_x"), y("value").alias("_y"), y("target").alias("_ty")).sort("area_order", "_x"), order


class InlineChart(NamedTuple):
    """A chart drawn here as a standalone SVG document, with the description that names it."""

    svg: str
    description: str


def spread_expr(column: str, gap: float, low: float, high: float) -> pl.Expr:
    """Label positions over `column` (the frame sorted by it): each at least `gap` below the one before, so that
    labels of lines that end close together never overlap, then moved up together as far as needed to end by
    `high`, but never above `low`."""
    i = pl.int_range(pl.len())
    pushed = i * gap + (pl.col(column) - i * gap).cum_max()
    up = pushed - (pushed.max() - high).clip(lower_bound=0)
    return (up + (low - up.min()).clip(lower_bound=0)).alias(column)


def sparkline_svg(frame: pl.DataFrame, name: str = "Recent values", height: int = 56, labels: dict[str, str] | None = None) -> InlineChart:
    """The tile's sparkline as a small SVG: what `sparkline` draws, without a Vega view to load and compile.

    One line per area in its chart colour with a dot per figure (each dot titled with area, period,
    value and status), the target as dashed steps, and where there are several areas each line's code
    (`labels`) or name at its end, dark on a light halo so that it reads on either theme's background.
    The svg is an image named by its description, as the Vega sparkline is. Every text from the data
    is escaped."""
    data, order = _spark_points(frame, height)
    description = f"{name}: sparkline of recent values for {_span(data, order)}"
    areas = data.select("area", "area_order").unique(maintain_order=True)
    colours = dict(zip(areas["area"], area_colours(areas["area"].to_list(), None, [int(o) for o in areas["area_order"]]), strict=True))
    shown = data.filter(pl.col("value").is_not_null())
    value = formatting.value_expr() if "unit" in data.columns else pl.col("value").round(2).cast(pl.String)
    tip = pl.concat_str(_escaped(pl.col("area")), pl.lit(" · "), _escaped(pl.col("period")), pl.lit(": "), _escaped(value),
                        pl.lit(" · "), _escaped(styles.rag_label_expr()))
    lines = shown.group_by("area", maintain_order=True).agg(
        pl.format("M{} {}", pl.col("_x"), pl.col("_y")).str.join(" ").str.replace_all(" M", " L").alias("path"),
        pl.format('<path d="M{} {}h0"><title>{}</title></path>', pl.col("_x"), pl.col("_y"), tip).str.join("").alias("dots"),
    )
    line = 'fill="none" stroke-width="2" vector-effect="non-scaling-stroke" stroke-linejoin="round"'
    dot = 'stroke-width="5" stroke-linecap="round" vector-effect="non-scaling-stroke"'
    drawn = "".join(f'<path d="{path}" stroke="{colours[area]}" {line}/><g stroke="{colours[area]}" {dot}>{dots}</g>'
                    for area, path, dots in lines.iter_rows())
    target = data.filter(pl.col("target").is_not_null()).group_by("_x").agg(pl.col("_ty").min()).sort("_x")
    steps = pl.format("H{} V{}", pl.col("_x"), pl.col("_ty")).str.join(" ")
    if target.height:
        first = target.row(0, named=True)
        rest = target.slice(1).select(steps).item() if target.height > 1 else ""
        drawn = (f'<path d="M{first["_x"]} {first["_ty"]} {rest}" fill="none" stroke="{styles.TARGET_COLOUR}" stroke-width="1" '
                 f'stroke-dasharray="3 3" vector-effect="non-scaling-stroke"/>') + drawn
    plot = 100
    names = ""
    if len(colours) > 1:  # lines that differ only by colour get their names beside them
        plot = 86
        last = (shown.filter(pl.col("period") == order[-1]).with_columns(pl.col("area").replace(labels or {}).alias("label"))
                .sort("_y").with_columns(spread_expr("_y", styles.CHART_FONT_SIZE, styles.CHART_FONT_SIZE / 2, height - styles.CHART_FONT_SIZE / 2)))
        names = "".join(last.select(pl.format(f'<text x="{plot}%" dx="4" y="{{}}" dominant-baseline="middle">{{}}</text>',
                                              pl.col("_y"), _escaped(pl.col("label"))))[:, 0].to_list())
        names = (f'<g fill="{styles.CHART_TEXT}" stroke="#FFFFFF" stroke-width="3" stroke-linejoin="round" paint-order="stroke" '
                 f'font-size="{styles.CHART_FONT_SIZE}" font-weight="bold" font-family="{FONT}">{names}</g>' if names else "")
    label = html.escape(description)
    svg = (f'<svg role="img" aria-label="{label}" width="100%" height="{height}" xmlns="http://www.w3.org/2000/svg">'
           f"<title>{label}</title>"
           f'<svg width="{plot}%" height="{height}" viewBox="0 0 {SPARK_PLOT_WIDTH} {height}" preserveAspectRatio="none" overflow="visible">'
           f"{drawn}</svg>{names}</svg>")
    return InlineChart(svg, description)


def band_words_expr() -> pl.Expr:
    """The RAG bands in words, as a tooltip says them: 'green above 92.625%, amber above 90.25%' ('below' where lower
    is better), over green_limit, amber_limit, polarity and `_unit`. The edges are exact (up to 3 decimals): a figure
    on the edge itself is in the outer band."""
    def shown(column: str) -> pl.Expr:
        text = pl.col(column).round(3).cast(pl.String).str.replace(r"\.?0+$", "")
        return text + pl.when(pl.col("_unit") == "percent").then(pl.lit("%")).otherwise(pl.lit(""))

    edge = pl.when(pl.col("polarity") == "lower_is_better").then(pl.lit("below")).otherwise(pl.lit("above"))
    return pl.when(pl.col("green_limit").is_not_null() & pl.col("amber_limit").is_not_null()).then(
        pl.concat_str(pl.lit("green "), edge, pl.lit(" "), shown("green_limit"), pl.lit(", amber "), edge, pl.lit(" "), shown("amber_limit")))


def trend_chart(frame: pl.DataFrame, title: str, unit: str, decimals: int = 1, show_interval: bool = False,
                highlight: str | None = None) -> alt.Chart:
    """Lines per area over time, the target as steps, and the amber and green zones shaded (their tooltip in words)."""
    data = _with_labels(frame)
    if {"green_limit", "amber_limit", "polarity"} <= set(data.columns):
        data = data.with_columns(pl.lit(unit).alias("_unit"))
        data = data.with_columns(band_words_expr().alias("band_words")).drop("_unit")
    else:
        data = data.with_columns(pl.lit(None, pl.String).alias("band_words"))
    order = _period_sort(data)
    pdf = data.to_pandas()
    fmt = _value_format(unit, decimals)
    x = alt.X("period:O", sort=order, title="Period", axis=alt.Axis(labelAngle=-45, labelOverlap=True))
    y_title = "Percent" if unit == "percent" else "Value"
    base = alt.Chart(pdf)
    bands = base.transform_filter("isValid(datum.target)").transform_aggregate(
        target="max(target)", green_limit="max(green_limit)", amber_limit="max(amber_limit)", band_words="max(band_words)", groupby=["period"],
    )
    band_tooltip = [alt.Tooltip("period:N", title="Period"), alt.Tooltip("band_words:N", title="Status bands")]
    # Named (`zone_amber`, `zone_green`) so that the app's style sheet fills them with the theme's status colour.
    amber_zone = bands.mark_area(opacity=0.18, color=styles.RAG["amber"].colour, interpolate="step-after").encode(
        x=x, y="amber_limit:Q", y2="green_limit:Q", tooltip=band_tooltip,
    ).properties(name=ZONES["amber"])
    green_zone = bands.mark_area(opacity=0.15, color=styles.RAG["green"].colour, interpolate="step-after").encode(
        x=x, y="green_limit:Q", y2="target:Q", tooltip=band_tooltip,
    ).properties(name=ZONES["green"])
    target = bands.mark_line(color=styles.TARGET_COLOUR, strokeDash=[6, 4], strokeWidth=2, interpolate="step-after").encode(
        x=x, y=alt.Y("target:Q", title=y_title),
        tooltip=[alt.Tooltip("period:N", title="Period"), alt.Tooltip("target:Q", title="Target", format=fmt)],
    )
    tooltip = [
        alt.Tooltip("area:N", title="Area"), alt.Tooltip("period:N", title="Period"),
        alt.Tooltip("value:Q", title="Value", format=fmt), alt.Tooltip("target:Q", title="Target", format=fmt),
        alt.Tooltip("status:N", title="Status"),
    ]
    if "numerator" in pdf and pdf["numerator"].notna().any():
        tooltip += [alt.Tooltip("numerator:Q", title="Numerator", format=",.0f"), alt.Tooltip("denominator:Q", title="Denominator", format=",.0f")]
    colour = alt.Color("area:N", scale=_area_scale(data, highlight), title="Area",
                       legend=alt.Legend(orient="top", columns=min(6, max(1, data["area"].n_unique())), symbolLimit=0, labelLimit=200))
    lines = base.mark_line(strokeWidth=2.5).encode(x=x, y=alt.Y("value:Q", scale=alt.Scale(zero=False), title=y_title), color=colour)
    points = base.mark_point(filled=True, size=70).encode(
        x=x, y="value:Q", color=colour,
        shape=alt.Shape("rag:N", scale=alt.Scale(domain=list(styles.RAG), range=["circle", "triangle-up", "cross", "square"]),
                        title="Status", legend=alt.Legend(orient="top", columns=2, labelExpr=_rag_label_expr(),  # wraps; shapes in a grey seen on both themes
                                                          symbolFillColor=styles.TARGET_COLOUR, symbolStrokeColor=styles.TARGET_COLOUR)),
        tooltip=tooltip,
    )
    layers = [amber_zone, green_zone, target, lines, points]
    if show_interval:
        layers.insert(3, base.transform_filter("isValid(datum.ci_low)").mark_errorbar(ticks=True).encode(
            x=x, y=alt.Y("ci_low:Q", title=y_title), y2="ci_high:Q", color=colour))
    labelled = _line_ends(data, order, highlight)
    if labelled:  # lines told apart by colour are also named at their ends, in the theme's text colour
        ends = alt.Chart(_line_end_rows(data, order, labelled).to_pandas())
        layers.append(ends.mark_text(align="left", dx=8, fontSize=styles.CHART_FONT_SIZE, fontWeight="bold", color=styles.CHART_TEXT).encode(
            x=x, y="value:Q", text="area:N").properties(name=THEME_TEXT))
    chart = alt.layer(*layers).properties(title=title, height=380, width="container",
                                          padding={"right": 12 + 8 * max((len(a) for a in labelled), default=0)})
    return _accessible(chart, f"{title}: line chart by period for {_span(data, order)}, with the target and the amber and green zones")


def _line_ends(frame: pl.DataFrame, order: list[str], highlight: str | None = None) -> list[str]:
    """The areas whose lines are named at their ends: every area where there are several, or with more
    than `MANY_LINES` only the one drawn in colour (`highlight`, else the first)."""
    areas = frame.sort("area_order")["area"].unique(maintain_order=True).to_list() if "area_order" in frame.columns else []
    if len(areas) < 2 or not order:
        return []
    if len(areas) > MANY_LINES:
        return [highlight if highlight in areas else areas[0]]
    return areas


def _line_end_rows(frame: pl.DataFrame, order: list[str], areas: list[str]) -> pl.DataFrame:
    """Each area's last point with a figure, where its name goes."""
    place = pl.col("period").replace_strict({p: i for i, p in enumerate(order)}, default=-1, return_dtype=pl.Int64)
    shown = frame.filter(pl.col("area").is_in(areas) & pl.col("value").is_not_null()).with_columns(place.alias("_place"))
    return shown.filter(pl.col("_place") == pl.col("_place").max().over("area")).select("area", "period", "value")


def _rag_label_expr() -> str:
    cases = " : ".join(f"datum.label == '{k}' ? '{v.icon} {v.word}'" for k, v in styles.RAG.items())
    return f"{cases} : datum.label"


def locality_bars(frame: pl.DataFrame, title: str, unit: str, decimals: int = 1) -> alt.Chart:
    """Bars per area against the target, coloured and labelled by status (icon and word as well as colour)."""
    data = _with_labels(frame).with_columns((formatting.value_expr() + pl.lit("  ") + pl.col("status")).alias("label"))
    suppressed = pl.col("suppressed").fill_null(False) if "suppressed" in data.columns else pl.lit(False)
    reason = pl.col("suppression_reason") if "suppression_reason" in data.columns else pl.lit("")
    # A label goes inside its bar only where the bar is long enough to hold it; else just past the bar's end,
    # so it never covers the area names. A suppressed figure is a word at zero, never a missing bar.
    longest = data.select(pl.max_horizontal(pl.col("value").max(), pl.col("target").max() if "target" in data.columns else pl.lit(0.0))).item() or 1.0
    data = data.with_columns(
        pl.when(suppressed).then(pl.lit("suppressed: ") + reason.fill_null("")).otherwise(pl.col("label")).alias("label"),
        pl.when(suppressed).then(pl.lit("suppressed")).when(pl.col("value") < 0.45 * longest).then(pl.lit("outside")).otherwise(pl.lit("inside")).alias("_place"),
        pl.col("value").fill_null(0.0).alias("_x"),
    )
    pdf = data.to_pandas()
    fmt = _value_format(unit, decimals)
    y = alt.Y("area:N", sort=data["area"].to_list(), title=None)  # in the order given: areas' order, or ranked
    base = alt.Chart(pdf)
    bars = base.mark_bar(height=24).encode(
        y=y, x=alt.X("value:Q", title="Percent" if unit == "percent" else "Value"),
        color=alt.Color("rag:N", scale=_rag_scale(), legend=None),
        tooltip=[alt.Tooltip("area:N", title="Area"), alt.Tooltip("period:N", title="Period"),
                 alt.Tooltip("value:Q", title="Value", format=fmt), alt.Tooltip("target:Q", title="Target", format=fmt),
                 alt.Tooltip("status:N", title="Status")],
    )
    text_colours = alt.Scale(domain=list(styles.RAG), range=[look.text_colour for look in styles.RAG.values()])
    inside = base.transform_filter("datum._place == 'inside'").mark_text(align="right", dx=-6, fontSize=styles.CHART_FONT_SIZE, fontWeight="bold").encode(
        y=y, x="value:Q", text="label:N", color=alt.Color("rag:N", scale=text_colours, legend=None),
    )
    outside = base.transform_filter("datum._place != 'inside'").mark_text(align="left", dx=6, fontSize=styles.CHART_FONT_SIZE, fontWeight="bold",
                                                                           color=styles.CHART_TEXT).encode(y=y, x="_x:Q", text="label:N").properties(name=THEME_TEXT)

    target = base.transform_filter("isValid(datum.target)").mark_rule(color=styles.TARGET_COLOUR, strokeDash=[6, 4], strokeWidth=2).encode(
        x="max(target):Q", tooltip=[alt.Tooltip("max(target):Q", title="Target", format=fmt)],
    )
    chart = alt.layer(bars, target, inside, outside).resolve_scale(color="independent").properties(title=title, height=alt.Step(32), width="container")
    words = "; ".join(data.sort("area_order").select(pl.format("{}: {}", "area", "label").alias("words"))["words"].to_list()) if data.height else "no values"
    return _accessible(chart, f"{title}: bar chart by area against the target. {words}")


def small_multiples(frame: pl.DataFrame, title: str, unit: str, decimals: int = 1, columns: int = 3) -> alt.Chart:
    """One small trend per area, sharing a y scale, each with its target."""
    data = _with_labels(frame)
    order = _period_sort(data)
    fmt = _value_format(unit, decimals)
    # Every small chart carries its own dated axis: the first and last period of the range, and some between.
    x = alt.X("period:O", sort=order, title=None, axis=alt.Axis(labelAngle=-45, labelOverlap="greedy", ticks=False))
    base = alt.Chart()  # the data goes on the layer, so that the facet splits it
    line = base.mark_line(strokeWidth=2).encode(
        x=x, y=alt.Y("value:Q", scale=alt.Scale(zero=False), title=None),
        color=alt.Color("area:N", scale=_area_scale(data), legend=None),
        tooltip=[alt.Tooltip("area:N", title="Area"), alt.Tooltip("period:N", title="Period"),
                 alt.Tooltip("value:Q", title="Value", format=fmt), alt.Tooltip("status:N", title="Status")],
    )
    target = base.mark_line(color=styles.TARGET_COLOUR, strokeDash=[4, 3], interpolate="step-after").encode(x=x, y="target:Q")
    chart = (
        alt.layer(target, line, data=data.to_pandas())
        .properties(width=220, height=120)
        .facet(facet=alt.Facet("area:N", title=None, sort=data.sort("area_order")["area"].unique(maintain_order=True).to_list()), columns=columns)
        .resolve_axis(x="independent")
        .properties(title=title)
    )
    return _accessible(chart, f"{title}: one small line chart per area, with the target, for {_span(data, order)}")


_XMR_SHAPES = {"common_cause": "circle", "special_cause_improvement": "triangle-up", "special_cause_concern": "diamond",
               "special_cause_neutral_high": "triangle-up", "special_cause_neutral_low": "triangle-down"}


def xmr_chart(points: pl.DataFrame, title: str, unit: str = "number", decimals: int = 1, target: float | None = None) -> alt.Chart:
    """An XmR chart from `spc` points: the values coloured and shaped by point type (with words in the
    legend and tooltips), each group's mean and process limits, the 2-sigma lines dashed, and the target."""
    from kpis.spc import icons
    from kpis.spc.rules import RULE_WORDS

    data = points.sort("index").with_columns(
        (pl.col("period") if "period" in points.columns else pl.col("index").cast(pl.String)).alias("period"),
        pl.col("point_type").replace_strict(icons.POINT_WORDS, return_dtype=pl.String).alias("point_words"),
        pl.col("rule").replace_strict(RULE_WORDS, default="", return_dtype=pl.String).alias("rule_words"),
        pl.lit(target, pl.Float64).alias("target"),
    )
    order = data["period"].to_list()
    fmt = _value_format(unit, decimals)
    y_title = "Percent" if unit == "percent" else "Value"
    x = alt.X("period:O", sort=order, title="Period" if "period" in points.columns else "Point",
              axis=alt.Axis(labelAngle=-45, labelOverlap=True))
    base = alt.Chart(data.to_pandas())

    def line(field: str, colour: str, dash: list[int] | None = None, width: float = 1.5) -> alt.Chart:
        return base.mark_line(color=colour, strokeDash=dash or [1, 0], strokeWidth=width).encode(
            x=x, y=alt.Y(f"{field}:Q", title=y_title), detail="group:N",
            tooltip=[alt.Tooltip("period:N", title="Period"), alt.Tooltip(f"{field}:Q", title=_XMR_LINES[field], format=fmt)],
        )

    layers = [
        line("upl", styles.BAND_COLOUR, width=2), line("lpl", styles.BAND_COLOUR, width=2),
        line("u2s", styles.BAND_COLOUR, [4, 4], 1), line("l2s", styles.BAND_COLOUR, [4, 4], 1),
        line("mean", styles.MEAN_COLOUR, width=1.5),
    ]
    if target is not None:
        layers.append(base.mark_rule(color=styles.TARGET_COLOUR, strokeDash=[8, 4], strokeWidth=2).encode(
            y=alt.Y("mean(target):Q", title=y_title), tooltip=[alt.Tooltip("mean(target):Q", title="Target", format=fmt)]))
    layers.append(base.mark_line(color=styles.BAND_COLOUR, strokeWidth=1).encode(x=x, y=alt.Y("value:Q", title=y_title)))
    kinds = [k for k in icons.POINTS if k in set(data["point_type"])]  # the legend lists the types on this chart
    layers.append(base.mark_point(filled=True, size=80, opacity=1).encode(
        x=x, y=alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False)),
        color=alt.Color("point_words:N", title="Point type", scale=alt.Scale(
            domain=[icons.POINTS[k].word for k in kinds], range=[icons.POINTS[k].colour for k in kinds]), legend=alt.Legend(orient="top")),
        shape=alt.Shape("point_words:N", title="Point type", scale=alt.Scale(
            domain=[icons.POINTS[k].word for k in kinds], range=[_XMR_SHAPES[k] for k in kinds]), legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("period:N", title="Period"), alt.Tooltip("value:Q", title="Value", format=fmt),
                 alt.Tooltip("point_words:N", title="Point type"), alt.Tooltip("rule_words:N", title="Signal"),
                 alt.Tooltip("mean:Q", title="Mean", format=fmt), alt.Tooltip("lpl:Q", title="Lower process limit", format=fmt),
                 alt.Tooltip("upl:Q", title="Upper process limit", format=fmt)],
    ))
    chart = alt.layer(*layers).properties(title=title, height=360, width="container")
    signals = data.filter(pl.col("point_type") != "common_cause").height
    span = f"{order[0]} to {order[-1]}" if order else "no points"
    return _accessible(chart, f"{title}: XmR chart, {span}, with the mean, process limits and 2-sigma lines; "
                              f"{signals} point(s) of special cause variation")


_XMR_LINES = {"upl": "Upper process limit", "lpl": "Lower process limit", "u2s": "Upper 2-sigma line",
              "l2s": "Lower 2-sigma line", "mean": "Mean"}
