"""What each page shows, computed from the store: tiles, trends, locality comparisons.

Pages call these and render the result; nothing here knows about Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from kpis import areas as A
from kpis import formatting, rules, stats, styles, summary
from kpis import narratives as N
from kpis.periods import Period, order_exprs
from kpis.store import Store

SPARK_POINTS = 13  # a year and a bit of monthly points, or three years of quarters


@dataclass(frozen=True)
class Tile:
    """One KPI on the overview: the selected area's latest figure and its parts."""

    kpi: dict[str, object]
    main: dict[str, object] | None  # the selected area's row from summary.latest, if it has one
    parts: list[dict[str, object]] = field(default_factory=list)  # child areas with a value
    spark: pl.DataFrame = field(default_factory=pl.DataFrame)

    @property
    def status_row(self) -> dict[str, object] | None:
        """The row that sets the tile's status: the area's own, else the worst of its parts."""
        if self.main is not None:
            return self.main
        ranked = sorted(self.parts, key=lambda r: ("red", "amber", "green", "grey").index(str(r["rag"])))
        return ranked[0] if ranked else None


def kpi_statuses(store: Store, period: Period | None, area: str) -> pl.DataFrame:
    """One status per KPI for the overview's counts and filters: the area's own, else the worst of its parts."""
    scope = [area, *A.children(store.areas, area)]
    latest = summary.latest(store, period, scope)
    rank = {"red": 0, "amber": 1, "green": 2, "grey": 3}
    per_kpi = (
        latest.with_columns((pl.col("area") == area).alias("own"), pl.col("rag").replace_strict(rank, return_dtype=pl.Int64).alias("_rank"))
        .sort(["own", "_rank"], descending=[True, False])
        .unique(subset="kpi_id", keep="first")
        .select("kpi_id", "rag")
    )
    return (
        store.catalogue.select("kpi_id", "priority").with_row_index("kpi_order")
        .join(per_kpi, on="kpi_id", how="left")
        .with_columns(pl.col("rag").is_not_null().alias("has_figure"), pl.col("rag").fill_null("grey"))
        .sort("kpi_order")
    )


def filter_statuses(statuses: pl.DataFrame, rags: list[str], priorities: list[int]) -> list[str]:
    """KPI ids with one of `rags` and in one of `priorities` (an empty list allows all)."""
    keep = (pl.col("rag").is_in(rags) if rags else pl.lit(True)) & (pl.col("priority").is_in(priorities) if priorities else pl.lit(True))
    return statuses.filter(keep)["kpi_id"].to_list()


def trend_table(history: pl.DataFrame, with_counts: bool) -> pl.DataFrame:
    """The values under a trend chart, as the Trends page lists and exports them."""
    counts = [pl.col("numerator").alias("Numerator"), pl.col("denominator").alias("Denominator"),
              pl.col("ci_low").round(2).alias("95% CI low"), pl.col("ci_high").round(2).alias("95% CI high")]
    return history.select(
        pl.col("kpi_id").alias("KPI id"), pl.col("area").alias("Area"), pl.col("period").alias("Period"),
        pl.col("value").alias("Value"), pl.col("target").alias("Target"),
        styles.rag_label_expr().alias("Status"),
        *(counts if with_counts else []),
        pl.col("note").alias("Note"), pl.col("source").alias("Source file"),
    )


def tiles(store: Store, period: Period | None, area: str, kpi_ids: list[str] | None = None) -> list[Tile]:
    """Tiles for `kpi_ids` (default: every KPI), in catalogue order."""
    scope = [area, *A.children(store.areas, area)]
    latest = summary.latest(store, period, scope, kpi_ids)
    history = trend(store, kpi_ids, scope, period)
    catalogue = store.catalogue if kpi_ids is None else store.catalogue.filter(pl.col("kpi_id").is_in(kpi_ids))
    out = []
    for kpi in catalogue.iter_rows(named=True):
        rows = latest.filter(pl.col("kpi_id") == kpi["kpi_id"])
        main = rows.filter(pl.col("area") == area)
        parts = rows.filter(pl.col("area") != area)
        spark_area = area if main.height else None
        spark = history.filter(pl.col("kpi_id") == kpi["kpi_id"])
        spark = spark.filter(pl.col("area") == spark_area) if spark_area else spark.filter(pl.col("area").is_in(parts["area"].implode()))
        spark = spark.filter(pl.col("period_end").rank("dense", descending=True).over("area") <= SPARK_POINTS)
        out.append(Tile(kpi, main.row(0, named=True) if main.height else None, parts.to_dicts(), spark))
    return out


def trend(store: Store, kpi_ids: list[str] | None, areas: list[str] | None, until: Period | None = None) -> pl.DataFrame:
    """History per KPI and area up to `until`, with the effective target and the RAG bands.

    Bands, in the KPI's unit: `green_limit` is where green ends and `amber_limit` where
    amber ends, on the wrong side of the target.
    """
    obs = store.observations.lazy()
    if kpi_ids is not None:
        obs = obs.filter(pl.col("kpi_id").is_in(kpi_ids))
    if areas is not None:
        obs = obs.filter(pl.col("area").is_in(areas))
    if until is not None:
        obs = obs.filter(pl.col("period_end") <= until.end)
    cat = store.catalogue.lazy().select(
        "kpi_id", "short_name", "unit", "polarity", "decimals", "rag_basis", "green_within", "amber_within",
        pl.col("target").alias("catalogue_target"),
    )
    area_info = store.areas.lazy().select("area", "code", pl.col("order").alias("area_order"))
    frame = (
        obs.join(cat, on="kpi_id", how="inner")
        .join(area_info, on="area", how="left")
        .with_columns(pl.coalesce("target", "catalogue_target").alias("target"))
    )
    frame = rules.with_rag(frame)
    width = pl.when(pl.col("rag_basis") == "absolute").then(1.0).otherwise(pl.col("target").abs() / 100)
    side = pl.when(pl.col("polarity") == "higher_is_better").then(-1.0).when(pl.col("polarity") == "lower_is_better").then(1.0)
    return (
        frame.with_columns(
            (pl.col("target") + side * width * pl.col("green_within")).alias("green_limit"),
            (pl.col("target") + side * width * pl.col("amber_within")).alias("amber_limit"),
            *stats.wilson_exprs(),
        )
        .sort([pl.col("kpi_id"), pl.col("area_order"), *order_exprs()])
        .collect()
    )


def reference_values(latest: pl.DataFrame, parent: str, children: list[str]) -> pl.DataFrame:
    """The parent area's value per KPI, from `summary.latest` over the parent and its children:
    published, else derived from the parts' counts.

    A parent without its own figure gets one only when every child reported a numerator
    and denominator for the same period; it is marked `derived`.
    """
    own = latest.filter(pl.col("area") == parent).select("kpi_id", pl.col("value").alias("reference"), pl.col("period").alias("reference_period"),
                                                         pl.lit(False).alias("derived"))
    parts = latest.filter(pl.col("area").is_in(children))
    derived = (
        parts.group_by("kpi_id", "period", "unit")
        .agg(pl.len().alias("n"), pl.col("numerator").sum(), pl.col("denominator").sum(),
             pl.col("numerator").is_null().any().alias("gaps"))
        .filter((pl.col("n") == len(children)) & ~pl.col("gaps") & (pl.col("denominator") > 0) & (pl.col("unit") == "percent"))
        .select("kpi_id", (pl.col("numerator") / pl.col("denominator") * 100).alias("reference"), pl.col("period").alias("reference_period"),
                pl.lit(True).alias("derived"))
        .filter(~pl.col("kpi_id").is_in(own["kpi_id"].implode()))
    )
    return pl.concat([own, derived], how="vertical")


def localities(store: Store, period: Period | None, parent: str) -> pl.DataFrame:
    """Each child area's latest value per KPI, with RAG, direction, gap to the parent and comparison."""
    children = A.children(store.areas, parent)
    if not children:
        return pl.DataFrame()
    everything = summary.latest(store, period, [parent, *children])
    latest = everything.filter(pl.col("area").is_in(children))
    if latest.height == 0:
        return latest
    refs = reference_values(everything, parent, children)
    return (
        latest.with_columns(stats.wilson_exprs())
        .join(refs, on="kpi_id", how="left")
        .with_columns((pl.col("value") - pl.col("reference")).alias("gap"))
        .with_columns(stats.compare_exprs())
    )


def search_catalogue(catalogue: pl.DataFrame, text: str) -> pl.DataFrame:
    """KPIs whose id, name, definition, source or owner contain every word of `text` (any case)."""
    words = [w for w in text.lower().split() if w]
    if not words:
        return catalogue
    haystack = pl.concat_str(
        [pl.col(c).fill_null("") for c in ("kpi_id", "name", "short_name", "definition", "source", "owner", "target_wording")],
        separator=" ",
    ).str.to_lowercase()
    return catalogue.filter(pl.all_horizontal(haystack.str.contains(w, literal=True) for w in words))


def priority_kpis(store: Store, section: N.Section | None, priority: int | None) -> list[str]:
    """KPIs a priority speaks about: those its narrative names; if it names none, those the catalogue files under it."""
    known = set(store.catalogue["kpi_id"])
    named = [k for k in (section.kpis if section else ()) if k in known]
    if named or not priority:
        return list(dict.fromkeys(named))
    return store.catalogue.filter(pl.col("priority") == priority)["kpi_id"].to_list()


COMPARED = {"better": "▲ Better than", "similar": "● Similar to", "worse": "▼ Worse than", "not compared": "– Not compared with",
            "different": "◆ Different from"}


def locality_matrix(frame: pl.DataFrame, areas: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """KPI × area: cell text (value, status icon and word, direction) and, alongside, each cell's RAG."""
    words = {k: v.word for k, v in styles.DIRECTION.items()}
    cells = frame.with_columns(
        pl.concat_str(
            formatting.value_expr(), pl.lit("  "), styles.rag_label_expr(), pl.lit("  "),
            pl.col("arrow").replace_strict(styles.ARROWS, default="–"), pl.lit(" "), pl.col("direction").replace_strict(words, default=""),
        ).alias("cell")
    )
    present = [a for a in areas if a in set(cells["area"])]
    text = cells.pivot(on="area", index="name", values="cell", aggregate_function="first").select("name", *present)
    rag = cells.pivot(on="area", index="name", values="rag", aggregate_function="first").select("name", *present)
    return text.rename({"name": "KPI"}), rag.rename({"name": "KPI"})


def comparison_table(part: pl.DataFrame, parent: str) -> pl.DataFrame:
    """Per area of one KPI: value, gap to the parent, 95% interval and the better/similar/worse marker."""
    return part.with_columns(pl.max_horizontal("decimals", pl.lit(1)).alias("gap_decimals")).select(
        pl.col("area").alias("Area"),
        formatting.value_expr().alias("Value"),
        pl.when(pl.col("gap").is_null()).then(pl.lit("–"))
        .otherwise(pl.when(pl.col("gap") > 0).then(pl.lit("+")).otherwise(pl.lit("")) + formatting.value_expr("gap", "unit", "gap_decimals").str.replace("%", " pts")
                   ).alias(f"Gap to {parent}"),
        pl.when(pl.col("ci_low").is_not_null())
        .then(pl.format("{} – {}", pl.col("ci_low").round(1), pl.col("ci_high").round(1))).otherwise(pl.lit("–")).alias("95% interval"),
        (pl.col("compared").replace_strict(COMPARED, default="–") + pl.lit(f" {parent}")).alias(f"Compared with {parent}"),
    )


POLARITY_WORDS = {"higher_is_better": "Higher is better", "lower_is_better": "Lower is better", "neutral": "Neutral (not rated)"}


def rule_expr() -> pl.Expr:
    """The KPI's RAG rule in words, over catalogue columns."""
    side = pl.when(pl.col("polarity") == "higher_is_better").then(pl.lit("below")).otherwise(pl.lit("above"))
    unit = (pl.when(pl.col("rag_basis") == "absolute")
            .then(pl.when(pl.col("unit") == "percent").then(pl.lit(" percentage points")).otherwise(pl.lit("")))
            .otherwise(pl.lit("% of target")))
    number = lambda c: pl.col(c).round(3).cast(pl.String).str.replace(r"\.0+$", "")
    return (
        pl.when(pl.col("polarity") == "neutral").then(pl.lit("not rated (neutral polarity)"))
        .when(pl.col("target").is_null()).then(pl.lit("not rated until a target is set"))
        .otherwise(pl.format("green when on target or less than {}{} {} it; amber when less than {}{} {}; red otherwise",
                             number("green_within"), unit, side, number("amber_within"), unit, side))
    )


def rule_text(kpi: dict[str, object]) -> str:
    columns = ("polarity", "target", "rag_basis", "unit", "green_within", "amber_within")
    frame = pl.DataFrame([{c: kpi.get(c) for c in columns}], schema={
        "polarity": pl.String, "target": pl.Float64, "rag_basis": pl.String, "unit": pl.String,
        "green_within": pl.Float64, "amber_within": pl.Float64})
    return frame.select(rule_expr()).item()


def catalogue_table(catalogue: pl.DataFrame) -> pl.DataFrame:
    """The catalogue as the Definitions page lists it."""
    return catalogue.select(
        pl.col("short_name").alias("KPI"),
        pl.col("kpi_id").alias("Id"),
        pl.col("priority").alias("Priority"),
        pl.col("definition").alias("Definition"),
        pl.col("unit").alias("Unit"),
        pl.col("polarity").replace_strict(POLARITY_WORDS, default=None).alias("Polarity"),
        pl.coalesce("target_wording", pl.col("target").cast(pl.String)).alias("Target"),
        pl.col("frequency").alias("Frequency"),
        rule_expr().alias("RAG rule"),
        pl.col("source").alias("Source"),
        pl.col("owner").alias("Owner"),
    )
