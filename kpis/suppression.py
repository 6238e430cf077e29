"""Small-number suppression: figures built on a few people are not shown.

Per KPI, the catalogue's `suppress_under` (empty: off; the children's-services convention
is 5) is the threshold: a row whose numerator, denominator or (for a count) value is under
it is suppressed (primary). Where exactly one child of a parent is suppressed for a KPI and
period and the parent's figure is shown, one more child is suppressed (complementary: the
shown child with the smallest count), so the first cannot be worked out by subtracting
the others from the parent; with no other child to suppress, the parent is suppressed.

`apply` returns the frame with `suppressed` and `suppression_reason` columns and the
value, numerator and denominator of suppressed rows emptied, so intervals, comparisons,
downloads and packs built from it never hold the figure. It is pure and keyword-free so
that any output (pages, CSV downloads, the committee pack) can apply it to what it shows.

Every output goes through `shown(store)`: the pages (through their cache), every command of
`python -m kpis` that prints figures, the deck (and so the committee pack and the presenter
page), and the downloads built from a store. It is idempotent, so an output that is handed an
already suppressed store may apply it again safely. Where a figure is written out, `text`,
`word_expr` and `for_download` write "suppressed" and the reason, never a blank.
"""

from __future__ import annotations

import polars as pl

THRESHOLD = "suppress_under"
CONVENTION = 5  # children's services: counts under 5 are not published
FIGURES = ("value", "numerator", "denominator")
PRIMARY = "fewer than {} people counted, so the figure is not shown"
COMPLEMENTARY = "not shown so that a suppressed figure of another area cannot be worked out from the total"
PARENT = "not shown so that its only suppressed area's figure cannot be worked out from it"


def thresholds(catalogue: pl.DataFrame) -> pl.DataFrame:
    """kpi_id, unit and threshold of every KPI with suppression on."""
    if THRESHOLD not in catalogue.columns:
        return pl.DataFrame(schema={"kpi_id": pl.String, "unit": pl.String, THRESHOLD: pl.Float64})
    return catalogue.filter(pl.col(THRESHOLD).is_not_null()).select(
        pl.col("kpi_id").cast(pl.String), pl.col("unit").cast(pl.String), pl.col(THRESHOLD).cast(pl.Float64))


def apply(frame: pl.DataFrame, catalogue: pl.DataFrame, areas: pl.DataFrame) -> pl.DataFrame:
    """`frame` (kpi_id, area, period and figures) with suppression applied; columns `suppressed`, `suppression_reason` added."""
    if "suppressed" in frame.columns:  # already applied: the emptied figures must not be read as shown ones
        return frame
    limits = thresholds(catalogue)
    marked = frame.with_columns(pl.lit(False).alias("suppressed"), pl.lit(None, pl.String).alias("suppression_reason"))
    if limits.height == 0 or frame.height == 0:
        return marked
    keys = ("kpi_id", "area", "period")
    work = (
        marked.with_columns(pl.col(k).cast(pl.String).alias(f"_{k}") for k in keys)
        .with_row_index("_order")
        .join(limits.rename({"kpi_id": "_kpi_id", "unit": "_unit", THRESHOLD: "_limit"}), on="_kpi_id", how="left")
        .join(areas.select(pl.col("area").alias("_area"), pl.col("parent").alias("_parent")), on="_area", how="left")
    )
    small = lambda column: (pl.col(column).cast(pl.Float64) < pl.col("_limit")).fill_null(False)
    primary = small("numerator") | small("denominator") | ((pl.col("_unit") == "count") & small("value"))
    work = work.with_columns(primary.alias("_primary"))

    # Complementary: per KPI, period and parent, where one child alone is suppressed and the parent is shown.
    shown_parents = work.filter(~pl.col("_primary")).select(pl.col("_kpi_id"), pl.col("_period"), pl.col("_area").alias("_parent"))
    group = ["_kpi_id", "_period", "_parent"]
    lone = (
        work.filter(pl.col("_parent").is_not_null()).group_by(group).agg(pl.col("_primary").sum().alias("_n"))
        .filter(pl.col("_n") == 1).join(shown_parents, on=group, how="semi")
    )
    size = pl.coalesce(pl.col("numerator"), pl.col("value")).cast(pl.Float64)
    candidates = work.join(lone.select(group), on=group, how="semi").filter(~pl.col("_primary"))
    second = candidates.sort([size, "_order"]).unique(subset=group, keep="first").select("_order")
    orphaned = lone.join(candidates.select(group).unique(), on=group, how="anti").select(
        pl.col("_kpi_id"), pl.col("_period"), pl.col("_parent").alias("_area"))
    parents = work.join(orphaned, on=["_kpi_id", "_period", "_area"], how="semi").select("_order")

    reason = (
        pl.when(pl.col("_primary")).then(pl.format(PRIMARY, pl.col("_limit").cast(pl.Int64)))
        .when(pl.col("_order").is_in(second["_order"].implode())).then(pl.lit(COMPLEMENTARY))
        .when(pl.col("_order").is_in(parents["_order"].implode())).then(pl.lit(PARENT))
    )
    work = work.with_columns(reason.alias("suppression_reason")).with_columns(pl.col("suppression_reason").is_not_null().alias("suppressed"))
    hidden = pl.col("suppressed")
    return work.sort("_order").with_columns(
        pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c) for c in FIGURES if c in work.columns
    ).select(marked.columns)


def for_download(frame: pl.DataFrame) -> pl.DataFrame:
    """A table for a CSV download: a suppressed figure is the word `suppressed` with its reason, never an empty cell."""
    if "suppressed" not in frame.columns:
        return frame
    return frame.with_columns(
        pl.when(pl.col("suppressed")).then(pl.lit("suppressed")).otherwise(pl.col(c).cast(pl.String)).alias(c)
        for c in FIGURES if c in frame.columns
    )


def shown(store):  # -> store.Store; typed loosely to keep this module free of the store's imports
    """The store as it may be shown: observations with suppression applied (the revisions stay as they are). Idempotent."""
    from dataclasses import replace

    if thresholds(store.catalogue).height == 0 or "suppressed" in store.observations.columns:
        return store
    return replace(store, observations=apply(store.observations, store.catalogue, store.areas))


WORD = "suppressed"


def is_suppressed(row: dict[str, object]) -> bool:
    return bool(row.get("suppressed"))


def text(row: dict[str, object], unit: str, decimals: int) -> str:
    """A row's figure as shown: 'suppressed' where it is, else the formatted value."""
    from kpis.formatting import format_value

    return WORD if is_suppressed(row) else format_value(row.get("value"), unit, decimals)


def sentence(row: dict[str, object]) -> str:
    """'Suppressed: fewer than 5 people counted, so the figure is not shown.' (empty for a shown figure)."""
    if not is_suppressed(row):
        return ""
    return f"Suppressed: {row.get('suppression_reason') or 'small numbers'}."


def word_expr(figure: pl.Expr, flag: str = "suppressed") -> pl.Expr:
    """`figure` as text, or the word 'suppressed' where `flag` is true (frames without the flag: unchanged)."""
    return pl.when(pl.col(flag).fill_null(False)).then(pl.lit(WORD)).otherwise(figure.cast(pl.String))


def mark(frame: pl.DataFrame, observations: pl.DataFrame, period: str = "period", prefix: str = "") -> pl.DataFrame:
    """`frame` (kpi_id, area and a period column) with `{prefix}suppressed` and `{prefix}suppression_reason` from
    suppressed `observations` (from `shown`): for a table built from figures that does not carry the flags itself."""
    flag, why = f"{prefix}suppressed", f"{prefix}suppression_reason"
    if "suppressed" not in observations.columns:
        return frame.with_columns(pl.lit(False).alias(flag), pl.lit(None, pl.String).alias(why))
    keys = ["_kpi", "_area", "_period"]
    flags = observations.filter(pl.col("suppressed")).select(
        pl.col("kpi_id").cast(pl.String).alias("_kpi"), pl.col("area").cast(pl.String).alias("_area"), pl.col("period").cast(pl.String).alias("_period"),
        pl.col("suppressed").alias(flag), pl.col("suppression_reason").alias(why)).unique(keys)
    keyed = frame.drop([c for c in (flag, why) if c in frame.columns]).with_columns(
        pl.col("kpi_id").cast(pl.String).alias("_kpi"), pl.col("area").cast(pl.String).alias("_area"), pl.col(period).cast(pl.String).alias("_period"))
    return keyed.join(flags, on=keys, how="left", maintain_order="left").with_columns(pl.col(flag).fill_null(False)).drop(keys)
