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
        ranked = sorted(self.parts, key=lambda r: styles.RAG_RANK[str(r["rag"])])
        return ranked[0] if ranked else None


def kpi_statuses(store: Store, period: Period | None, area: str) -> pl.DataFrame:
    """One status per KPI for the overview's counts and filters: the area's own, else the worst of its parts."""
    scope = [area, *A.children(store.areas, area)]
    latest = summary.latest(store, period, scope)
    per_kpi = (
        latest.with_columns((pl.col("area") == area).alias("own"), pl.col("rag").replace_strict(styles.RAG_RANK, return_dtype=pl.Int64).alias("_rank"))
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
    suppressed = "suppressed" in history.columns  # small numbers suppressed (kpis.suppression): said in words, never a blank
    value = (pl.when(pl.col("suppressed")).then(pl.lit("suppressed")).otherwise(pl.col("value").cast(pl.String)) if suppressed
             else pl.col("value"))
    if suppressed:
        counts = [pl.when(pl.col("suppressed")).then(pl.lit("suppressed")).otherwise(c.cast(pl.String)).alias(c.meta.output_name()) for c in counts]
    return history.select(
        pl.col("kpi_id").alias("KPI id"), pl.col("area").alias("Area"), pl.col("period").alias("Period"),
        value.alias("Value"), pl.col("target").alias("Target"),
        styles.rag_label_expr().alias("Status"),
        *(counts if with_counts else []),
        *([pl.col("suppression_reason").alias("Suppressed because")] if suppressed else []),
        pl.col("note").alias("Note"), pl.col("source").alias("Source file"),
    )


def tiles(store: Store, period: Period | None, area: str, kpi_ids: list[str] | None = None) -> list[Tile]:
    """Tiles for `kpi_ids` (default: every KPI), in catalogue order."""
    scope = [area, *A.children(store.areas, area)]
    latest = summary.latest(store, period, scope, kpi_ids)
    history = trend(store, kpi_ids, scope, period, intervals=False)
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


def trend(store: Store, kpi_ids: list[str] | None, areas: list[str] | None, until: Period | None = None,
          intervals: bool = True) -> pl.DataFrame:
    """History per KPI and area up to `until`, with the effective target and the RAG bands,
    and (unless `intervals` is false: sparklines and SPC need none) the 95% interval by unit.

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
        "kpi_id", "short_name", "unit", "polarity", "decimals", "rag_basis", "green_within", "amber_within", "per",
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
    if intervals:  # exact limits cost a root-finding per distinct count, so only where they are shown
        frame = stats.with_intervals(frame).rename({"low": "ci_low", "high": "ci_high"})
    return (
        frame.with_columns(
            (pl.col("target") + side * width * pl.col("green_within")).alias("green_limit"),
            (pl.col("target") + side * width * pl.col("amber_within")).alias("amber_limit"),
        )
        .sort([pl.col("kpi_id"), pl.col("area_order"), *order_exprs()])
        .collect()
    )


def reference_values(store: Store, period: Period | None, parent: str, children: list[str], keys: pl.DataFrame) -> pl.DataFrame:
    """The parent's figure to compare with, per KPI and period of the children's figures (`keys`: kpi_id, period).

    Like is compared with like: the parent's own figure for that very period; else, for a
    parent that publishes no figure of this KPI, one derived from every child's numerator
    and denominator for that period (a percentage or a rate only). Columns: parent_value,
    parent_period, parent_derived and parent_reason, which says why there is no figure of
    the same period to compare with (null when there is one).
    """
    key_schema = {"kpi_id": pl.String, "period": pl.String}
    keys = keys.select(pl.col("kpi_id").cast(pl.String), pl.col("period").cast(pl.String)).unique()
    cat = store.catalogue.select("kpi_id", "unit", "per")
    obs = store.observations.lazy().filter(pl.col("kpi_id").is_in(keys["kpi_id"].implode()))
    # The parent's own figure for the same period.
    own = (obs.filter(pl.col("area") == parent).join(keys.lazy().cast(key_schema), on=["kpi_id", "period"], how="semi")
           .select("kpi_id", "period", pl.col("value").alias("own_value")))
    # The parent's latest figure of each KPI, whatever its period: what a reader would otherwise compare with.
    until = obs.filter(pl.col("period_end") <= period.end) if period is not None else obs
    own_latest = (until.filter(pl.col("area") == parent).sort(order_exprs())
                  .group_by("kpi_id").agg(pl.col("value").last().alias("latest_value"), pl.col("period").last().alias("latest_period")))
    # Derived: every child's numerator and denominator for the period.
    grid = keys.lazy().join(pl.LazyFrame({"area": children}, schema={"area": pl.String}), how="cross")
    lack = (
        pl.when(pl.col("value").is_null()).then(pl.format("no figure for {}", pl.col("period")))
        .when(pl.col("numerator").is_null() & pl.col("denominator").is_null()).then(pl.lit("no numerator or denominator"))
        .when(pl.col("denominator").is_null()).then(pl.lit("no denominator"))
        .when(pl.col("numerator").is_null()).then(pl.lit("no numerator"))
        .when(pl.col("denominator") <= 0).then(pl.lit("a denominator of zero"))
    )
    parts = (
        grid.join(obs.select("kpi_id", "area", "period", "value", "numerator", "denominator"), on=["kpi_id", "area", "period"], how="left")
        .with_columns(lack.alias("lack"))
        .group_by("kpi_id", "period")
        .agg(pl.col("numerator").sum(), pl.col("denominator").sum(),
             pl.format("{} has {}", pl.col("area"), pl.col("lack")).filter(pl.col("lack").is_not_null()).str.join("; ").alias("gaps"))
    )
    derivable = pl.col("unit").replace_strict({u: r.derivable for u, r in stats.UNITS.items()}, default=False, return_dtype=pl.Boolean)
    derived = pl.when(derivable & (pl.col("gaps") == "")).then(pl.col("numerator") / pl.col("denominator") * stats.scale_expr())
    why_not = (
        pl.when(~derivable).then(pl.format("no {} figure for {}", pl.lit(parent), pl.col("period")))
        .when((pl.col("unit") == "rate") & pl.col("per").is_null()).then(pl.format("no {} figure for {}, and none can be derived: the catalogue gives no 'per' for this rate",
                                                       pl.lit(parent), pl.col("period")))
        .otherwise(pl.format("no {} figure for {}, and none can be derived: {}", pl.lit(parent), pl.col("period"), pl.col("gaps")))
    )
    has_own = pl.col("own_value").is_not_null()
    publishes = pl.col("latest_value").is_not_null()
    return (
        keys.lazy().cast(key_schema)
        .join(cat.lazy(), on="kpi_id", how="left")
        .join(own, on=["kpi_id", "period"], how="left")
        .join(own_latest, on="kpi_id", how="left")
        .join(parts, on=["kpi_id", "period"], how="left")
        .with_columns(derived.alias("derived_value"))
        .select(
            "kpi_id", "period",
            pl.when(has_own).then("own_value").when(publishes).then("latest_value").otherwise("derived_value").alias("parent_value"),
            pl.when(has_own).then("period").when(publishes).then("latest_period")
            .when(pl.col("derived_value").is_not_null()).then("period").alias("parent_period"),
            (~has_own & ~publishes & pl.col("derived_value").is_not_null()).alias("parent_derived"),
            pl.when(has_own).then(None)
            .when(publishes).then(pl.format("{}'s latest figure is for {}", pl.lit(parent), pl.col("latest_period")))
            .when(pl.col("derived_value").is_null()).then(why_not).alias("parent_reason"),
        )
        .collect()
    )


PEER_GROUP = "peer group"  # `localities(against=...)`: each area against its own peer group (areas.csv's peer_group)


def comparators(store: Store, parent: str) -> list[str]:
    """What the areas of `parent` may be compared with: the parent, the top areas (e.g. the nation), and their peer groups."""
    groups = set(A.peer_group_of(store.areas).values())
    nations = [r for r in A.roots(store.areas) if r != parent and r not in groups]
    return [parent, *nations, *([PEER_GROUP] if groups & {A.peer_group_of(store.areas).get(c) for c in A.children(store.areas, parent)} else [])]


def _against(store: Store, period: Period | None, against: str, children: list[str], latest: pl.DataFrame) -> pl.DataFrame:
    """Per child row, the figure of `against` (an area, or each child's peer group) for the same KPI and period; never derived."""
    groups = A.peer_group_of(store.areas)
    target = {c: groups.get(c) for c in children} if against == PEER_GROUP else dict.fromkeys(children, against)
    keys = latest.select(pl.col("kpi_id").cast(pl.String), pl.col("period").cast(pl.String), pl.col("area").cast(pl.String))
    keys = keys.with_columns(pl.col("area").replace_strict(target, default=None, return_dtype=pl.String).alias("_against"))
    refs = []
    for name in sorted({t for t in target.values() if t}):
        found = reference_values(store, period, name, [], keys.filter(pl.col("_against") == name).select("kpi_id", "period"))
        refs.append(found.with_columns(
            pl.lit(name).alias("_against"),
            # Never derived from the children: they are not this area's parts.
            *(pl.when(pl.col("parent_derived")).then(None).otherwise(pl.col(c)).alias(c) for c in ("parent_value", "parent_period")),
            pl.when(pl.col("parent_derived")).then(pl.format("no {} figure for {}", pl.lit(name), pl.col("period")))
            .otherwise(pl.col("parent_reason")).alias("parent_reason"),
            pl.lit(False).alias("parent_derived"),
        ))
    if not refs:
        return keys.with_columns(pl.lit(None, pl.Float64).alias("parent_value"))
    joined = keys.join(pl.concat(refs, how="diagonal_relaxed"), on=["kpi_id", "period", "_against"], how="left")
    return joined.with_columns(
        pl.when(pl.col("_against").is_null()).then(pl.lit("no peer group in areas.csv")).otherwise(pl.col("parent_reason")).alias("parent_reason"))


def localities(store: Store, period: Period | None, parent: str, against: str | None = None) -> pl.DataFrame:
    """Each child area's latest value per KPI, with RAG, direction, 95% interval, the parent's figure and the comparison.

    Columns added to `summary.latest`: per, method, low, high, interval_reason,
    parent_value, parent_period, parent_derived, parent_reason, gap (child − parent, only
    for a figure of the same period that is not part of the parent's total), comparison
    and reason (why not compared).
    """
    children = A.children(store.areas, parent)
    if not children:
        return pl.DataFrame()
    latest = summary.latest(store, period, children)
    if latest.height == 0:
        return latest
    if "per" not in latest.columns:
        latest = latest.join(store.catalogue.select("kpi_id", "per"), on="kpi_id", how="left", maintain_order="left")
    comparable = pl.col("unit").replace_strict({u: r.compared_with_parent for u, r in stats.UNITS.items()}, default=False, return_dtype=pl.Boolean)
    if against in (None, parent):
        parents = reference_values(store, period, parent, children, latest.select("kpi_id", "period"))
        frame = stats.with_intervals(latest).join(parents, on=["kpi_id", "period"], how="left", maintain_order="left")
    else:  # the nation, or each area's peer group
        refs = _against(store, period, against, children, latest).drop("_against")
        frame = stats.with_intervals(latest).with_columns(pl.col("kpi_id", "period", "area").cast(pl.String)).join(
            refs, on=["kpi_id", "period", "area"], how="left", maintain_order="left")
    compared = stats.with_comparison(
        frame.with_columns(pl.when(comparable & pl.col("parent_reason").is_null()).then(pl.col("value") - pl.col("parent_value")).alias("gap"))
    )
    if "suppressed" not in compared.columns:
        return compared
    # A suppressed figure (kpis.suppression) is not compared, and the reason says why it is not shown.
    return compared.with_columns(
        pl.when(pl.col("suppressed")).then(pl.format("suppressed: {}", pl.col("suppression_reason"))).otherwise(pl.col("reason")).alias("reason"))


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


COMPARED = {"better": "▲ Better than", "similar": "● Similar to", "worse": "▼ Worse than", "higher": "△ Higher than", "lower": "▽ Lower than"}
NOT_COMPARED = "– Not compared"


def comparison_label_expr(parent: str) -> pl.Expr:
    """The comparison in words, with icon: '▲ Better than City', or '– Not compared: <reason>'."""
    return (
        pl.when(pl.col("comparison") == "not_compared").then(pl.format("{}: {}", pl.lit(NOT_COMPARED), pl.coalesce("reason", pl.lit("no reason given"))))
        .otherwise(pl.col("comparison").replace_strict(COMPARED, default=None, return_dtype=pl.String) + pl.lit(f" {parent}"))
    )


def locality_matrix(frame: pl.DataFrame, areas: list[str], spc: pl.DataFrame | None = None,
                    areas_in_rows: bool | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """KPI × area: cell text (value, status icon and word, direction, and the SPC variation in words when `spc`
    from `kpis.spc.summary` is given) and, alongside, each cell's RAG.

    With more than `MANY_AREAS` areas (or `areas_in_rows`), the areas are the rows and the KPIs the columns,
    so that a page shows every area by scrolling down rather than a few columns of many."""
    words = {k: v.word for k, v in styles.DIRECTION.items()}
    if spc is not None and spc.height:
        frame = frame.join(spc.select("kpi_id", "area", "variation_label"), on=["kpi_id", "area"], how="left")
    else:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("variation_label"))
    cells = with_suppression_flag(frame).with_columns(
        pl.concat_str(
            shown_value_expr(), pl.lit("  "), styles.rag_label_expr(), pl.lit("  "),
            pl.col("arrow").replace_strict(styles.ARROWS, default="–"), pl.lit(" "), pl.col("direction").replace_strict(words, default=""),
            pl.when(pl.col("direction").is_in(list(styles.QUALIFIED_DIRECTIONS))).then(pl.lit(", ") + pl.col("direction_note")).otherwise(pl.lit("")),
            pl.when(pl.col("variation_label").is_not_null()).then(pl.lit("  · SPC: ") + pl.col("variation_label")).otherwise(pl.lit("")),
        ).alias("cell")
    )
    present = [a for a in areas if a in set(cells["area"])]
    if areas_in_rows if areas_in_rows is not None else len(present) > MANY_AREAS:
        order = pl.col("area").replace_strict({a: i for i, a in enumerate(areas)}, default=len(areas), return_dtype=pl.Int64)
        by_area = cells.with_columns(pl.col("area").cast(pl.String)).sort(order)
        kpis = by_area["name"].unique(maintain_order=True).to_list()
        text = by_area.pivot(on="name", index="area", values="cell", aggregate_function="first").select("area", *kpis)
        rag = by_area.pivot(on="name", index="area", values="rag", aggregate_function="first").select("area", *kpis)
        return text.rename({"area": "Area"}), rag.rename({"area": "Area"})
    text = cells.pivot(on="area", index="name", values="cell", aggregate_function="first").select("name", *present)
    rag = cells.pivot(on="area", index="name", values="rag", aggregate_function="first").select("name", *present)
    return text.rename({"name": "KPI"}), rag.rename({"name": "KPI"})


def parent_caption(ref: dict[str, object], parent: str, unit: str, decimals: int) -> str:
    """One sentence on the parent's figure that a KPI's areas are compared with, or why there is none to compare with."""
    if ref["parent_value"] is None:
        return f"Not compared with {parent}: {ref['parent_reason']}."
    how = "derived from the areas' numerators and denominators" if ref["parent_derived"] else "published"
    text = f"{parent}: {formatting.format_value(ref['parent_value'], unit, decimals)} ({how}, {ref['parent_period']})"
    if ref["parent_reason"] is not None:
        return f"{text}. Not compared: {ref['parent_reason']}, and the areas' figures are for {ref['period']}."
    if not stats.UNITS.get(unit, stats.UNITS["number"]).compared_with_parent:
        return f"{text}. Each area's count is part of {parent}'s total, so it is not compared with {parent} ({stats.PART_OF_A_TOTAL})."
    return text + "."


def with_suppression_flag(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` with `suppressed` and `suppression_reason` (false and null where small numbers were not suppressed)."""
    missing = {"suppressed": pl.lit(False), "suppression_reason": pl.lit(None, pl.String)}
    return frame.with_columns(e.alias(c) for c, e in missing.items() if c not in frame.columns)


def shown_value_expr() -> pl.Expr:
    """The formatted value, or 'suppressed' (kpis.suppression); over `with_suppression_flag`'s columns."""
    from kpis import suppression

    return suppression.word_expr(formatting.value_expr())


def default_comparisons(kpi_ids: list[str], chosen: str | None, limit: int = 6) -> list[str]:
    """The KPIs Localities compares before anyone picks: the chosen one (arriving from its tile) first, then the
    others when there are at most `limit`; past that, the chosen one alone (or the first)."""
    first = [chosen] if chosen in kpi_ids else []
    return first + [k for k in kpi_ids if k not in first] if len(kpi_ids) <= limit else (first or kpi_ids[:1])


def comparison_grid_columns(n_areas: int) -> int:
    """How many KPIs' comparisons (chart and table) sit side by side: two, or one across the page beyond `MANY_AREAS`
    areas, where a table of that many areas, with its reasons, would be cut off in half the page."""
    return 1 if n_areas > MANY_AREAS else 2


def comparison_table(part: pl.DataFrame, parent: str) -> pl.DataFrame:
    """Per area of one KPI: value, gap to the parent and to the target, 95% interval and method, and the comparison in words."""
    methods = {name: m.title for name, m in stats.METHODS.items()}
    return with_suppression_flag(part).with_columns(pl.max_horizontal("decimals", pl.lit(1)).alias("gap_decimals"), target_gap_expr().abs().alias("_abs_gap")).select(
        pl.col("area").alias("Area"),
        pl.col("period").alias("Period"),
        shown_value_expr().alias("Value"),
        pl.when(pl.col("gap").is_null()).then(pl.lit("–"))
        .otherwise(pl.when(pl.col("gap") > 0).then(pl.lit("+")).otherwise(pl.lit("")) + formatting.value_expr("gap", "unit", "gap_decimals").str.replace("%", " pts")
                   ).alias(f"Gap to {parent}"),
        target_gap_text_expr().alias("Gap to target"),
        pl.when(pl.col("low").is_not_null())
        .then(pl.format("{} – {}", pl.col("low").round(1), pl.col("high").round(1))).otherwise(pl.lit("–")).alias("95% interval"),
        pl.col("method").replace_strict(methods, default="–", return_dtype=pl.String).alias("Method"),
        comparison_label_expr(parent).alias(f"Compared with {parent}"),
    )


POLARITY_WORDS = {"higher_is_better": "Higher is better", "lower_is_better": "Lower is better", "neutral": "Neutral (not rated)"}


def rule_expr() -> pl.Expr:
    """The KPI's RAG rule in words, over catalogue columns: `rules.rule_words_expr`, or why it is not rated."""
    return (
        pl.when(pl.col("polarity") == "neutral").then(pl.lit("not rated (neutral polarity)"))
        .when(pl.col("target").is_null()).then(pl.lit("not rated until a target is set"))
        .otherwise(rules.rule_words_expr())
    )


def rule_text(kpi: dict[str, object]) -> str:
    columns = {"polarity": pl.String, "target": pl.Float64, "rag_basis": pl.String, "unit": pl.String,
               "green_within": pl.Float64, "amber_within": pl.Float64}
    return pl.DataFrame([{c: kpi.get(c) for c in columns}], schema=columns).select(rule_expr()).item()


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


def target_gap_expr() -> pl.Expr:
    """How far the value is beyond its target in the good direction (negative: short of it), in the KPI's unit."""
    return -pl.col("shortfall")


def target_gap_text_expr() -> pl.Expr:
    """'2.0 pts above', '6.0 pts below' the target (for lower-is-better 'under' and 'over'), in the KPI's unit;
    '–' without a target or for a neutral KPI. Over `shortfall`, `polarity`, `unit`, `gap_decimals` and `_abs_gap`."""
    gap = target_gap_expr()
    size = formatting.value_expr("_abs_gap", "unit", "gap_decimals").str.replace("%", " pts")
    word = (pl.when(pl.col("polarity") == "lower_is_better").then(pl.when(gap >= 0).then(pl.lit(" under")).otherwise(pl.lit(" over")))
            .otherwise(pl.when(gap >= 0).then(pl.lit(" above")).otherwise(pl.lit(" below"))))
    text = pl.when(gap == 0).then(pl.lit("on target")).otherwise(size + word)
    return pl.when(gap.is_null() | (pl.col("polarity") == "neutral")).then(pl.lit("–")).otherwise(text)


def ranked_by_target_gap(part: pl.DataFrame) -> pl.DataFrame:
    """Areas furthest short of the target first (those without a target last)."""
    return part.sort(pl.col("shortfall"), descending=True, nulls_last=True)


def comparison_scope(areas: pl.DataFrame, area: str) -> tuple[str | None, str | None]:
    """Which parent's areas to compare, and which of them to single out: an area with areas under it is compared
    across its own; one without is compared with its siblings and its parent (it is singled out)."""
    if A.children(areas, area):
        return area, None
    parent = areas.filter(pl.col("area") == area)["parent"]
    return (parent.item() if parent.len() and parent.item() is not None else None), area


MANY_AREAS = summary.MANY_AREAS


@dataclass(frozen=True)
class PartsSummary:
    """Many child areas in a few words: how many at each status, and the best and worst area."""

    counts: dict[str, int]  # status -> number of areas, worst status first, only statuses present
    best: dict[str, object] | None
    worst: dict[str, object] | None


def summarise_parts(parts: list[dict[str, object]], polarity: str) -> PartsSummary:
    """Counts by status, and the best and worst area: by status first, then by value in the KPI's good direction."""
    counts = {rag: n for rag in styles.RAG_ORDER if (n := sum(1 for p in parts if p.get("rag") == rag))}
    ranked = [p for p in parts if p.get("value") is not None]
    if not ranked:
        return PartsSummary(counts, None, None)
    sign = {"higher_is_better": 1.0, "lower_is_better": -1.0}.get(polarity, 0.0)
    goodness = lambda p: sign * float(p["value"])  # type: ignore[arg-type]
    rated = [p for p in ranked if p.get("rag") in ("red", "amber", "green")] or ranked
    rank = lambda p: styles.RAG_RANK.get(str(p.get("rag")), len(styles.RAG_RANK))  # red 0 (worst) … green 2
    worst = min(rated, key=lambda p: (rank(p), goodness(p), str(p["area"])))
    best = max(rated, key=lambda p: (rank(p), goodness(p), str(p["area"])))
    return PartsSummary(counts, best, worst)
