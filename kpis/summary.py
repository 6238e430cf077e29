"""The KPI summary: latest value per KPI and area at a reporting period, with status.

This is the published report's table, computed: target, actual, period, RAG and
direction over the last 12 months, plus the reasons behind each status.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import ROUND_FLOOR, Decimal

import polars as pl

from kpis import areas as A
from kpis import rules
from kpis.formatting import format_target, format_value
from kpis.periods import Period, order_exprs, parse_period
from kpis.store import Store
from kpis.styles import RAG, RAG_ORDER, direction_label, rag_label

CATALOGUE_FIELDS = ("kpi_id", "name", "short_name", "priority", "unit", "polarity", "target_wording", "frequency",
                    "rag_basis", "green_within", "amber_within", "decimals", "direction_tolerance")


def periods_available(store: Store) -> list[Period]:
    """Every period in the data, along the shared time axis, earliest first."""
    labels = store.observations["period"].unique().to_list()
    return sorted(parse_period(label) for label in labels)


def default_period(store: Store, today: date | None = None) -> Period | None:
    """The latest period in the data that has started by `today`; of those ending together, the longest
    (a quarter over its last month). A period not started yet is never the default."""
    today = today or date.today()
    available = [p for p in periods_available(store) if p.start <= today]
    if not available:
        return None
    last_end = max(p.end for p in available)
    return min(p for p in available if p.end == last_end)  # the earliest start, then the total order


def latest(store: Store, period: Period | None, areas: list[str] | None = None, kpi_ids: list[str] | None = None) -> pl.DataFrame:
    """Per KPI and area, the latest value at or before `period`, with target, RAG and direction.

    `stale` is true where that value belongs to an earlier period than the one selected.
    """
    obs = store.observations.lazy()
    if period is not None:
        obs = obs.filter(pl.col("period_end") <= period.end)
    if areas is not None:
        obs = obs.filter(pl.col("area").is_in(areas))
    if kpi_ids is not None:
        obs = obs.filter(pl.col("kpi_id").is_in(kpi_ids))
    last = obs.sort(order_exprs()).unique(subset=["kpi_id", "area"], keep="last")
    prior = store.observations.lazy().select(
        "kpi_id", "area", "period_kind",
        pl.col("period_start").alias("prior_start"), pl.col("period").alias("prior_period"), pl.col("value").alias("prior_value"),
        pl.col("numerator").alias("prior_numerator"), pl.col("denominator").alias("prior_denominator"),
    )
    area_info = store.areas.lazy().select("area", "code", "parent", pl.col("order").alias("area_order"))
    frame = (
        last.with_columns(pl.col("period_start").dt.offset_by("-1y").alias("prior_start"))
        .join(prior, on=["kpi_id", "area", "period_kind", "prior_start"], how="left")
        .join(store.catalogue.lazy().select(*CATALOGUE_FIELDS, pl.col("target").alias("catalogue_target")), on="kpi_id", how="inner")
        .join(area_info, on="area", how="left")
        .with_columns(pl.coalesce("target", "catalogue_target").alias("target"))
    )
    frame = rules.with_direction(rules.with_rag(frame))
    stale = pl.lit(False) if period is None else pl.col("period_end") < pl.lit(period.start)
    catalogue_order = store.catalogue.select("kpi_id").with_row_index("kpi_order").lazy()
    return (
        frame.with_columns(stale.alias("stale"))
        .join(catalogue_order, on="kpi_id", how="left")
        .sort(["kpi_order", "area_order"])
        .collect()
    )


def status_counts(frame: pl.DataFrame) -> dict[str, int]:
    counts = dict(frame.group_by("rag").len().iter_rows())
    return {rag: int(counts.get(rag, 0)) for rag in ("green", "amber", "red", "grey")}


def why(row: dict[str, object]) -> str:
    """Why a KPI has its status, in plain sentences: the RAG rule with the figures it was judged on
    (as shown, so the words never contradict the badge), then the direction and its rule."""
    if row.get("value") is None:
        return f"{RAG[str(row['rag'])].word}: there is no value for this period."
    direction = why_direction(row)
    return f"{why_rag(row)} {direction}" if direction else why_rag(row)


def why_rag(row: dict[str, object]) -> str:
    """One sentence for the RAG status, from the rounded figures the status was judged on."""
    unit, decimals = str(row["unit"]), int(row["decimals"] or 0)
    value = row.get("rag_value", row.get("value"))
    target = row.get("rag_target", row.get("target"))
    look = RAG[str(row["rag"])]
    if value is None:
        return f"{look.word}: there is no value for this period."
    if row["polarity"] == "neutral":
        return f"{look.word}: this KPI is tracked without a good or bad direction, so it is not rated."
    if target is None or not math.isfinite(float(target)):
        return f"{look.word}: this KPI has no target, so it is not rated."
    shown = format_value(value, unit, decimals)
    aim = format_value(target, unit, decimals)
    shortfall = float(row["shortfall"])
    relative = row["rag_basis"] == "relative"
    green, amber = float(row["green_within"]), float(row["amber_within"])
    band = "rule: " + rules.rule_words(row)
    better = "above" if row["polarity"] == "higher_is_better" else "below"
    worse = "below" if better == "above" else "above"
    if shortfall <= 0:
        return f"{look.word}: {shown} meets the target of {aim} ({'at' if shortfall == 0 else better} target; {band})."
    gap = format_value(abs(shortfall), unit, decimals).replace("%", " percentage points") if unit == "percent" else format_value(abs(shortfall), unit, decimals)
    measured = f", {shown_miss(float(row['miss']), green, amber)} of the target" if relative else ""
    return f"{look.word}: {shown} is {gap} {worse} the target of {aim}{measured} ({band})."


def shown_miss(miss: float, *bands: float) -> str:
    """The miss as a percentage, rounded down at the bands' precision (at least one decimal), so that
    the number read against the bands gives the same status: 4.997 against 'amber within 5%' is 4.9%."""
    places = max([1, *(max(0, -Decimal(repr(b)).normalize().as_tuple().exponent) for b in bands)])
    places = min(places, 6)
    floored = Decimal(repr(miss)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_FLOOR)
    if floored == 0 and miss > 0:
        return f"less than {Decimal(1).scaleb(-places)}%"
    return f"{floored}%"


def why_direction(row: dict[str, object]) -> str | None:
    """The direction in words: the two figures compared, the words on the tile, and the rule behind them."""
    if "direction" not in row:
        return None
    unit, decimals = str(row["unit"]), int(row["decimals"] or 0)
    if row["direction"] == rules.Direction.UNKNOWN.value:
        return "Direction: there is no figure for the same period a year earlier, so no direction is shown."
    label = direction_label(row.get("arrow"), str(row["direction"]), row.get("change_significant"))
    compared = f"{format_value(row['value'], unit, decimals)} against {format_value(row['prior_value'], unit, decimals)} in {row['prior_period']}"
    tolerance = float(row.get("direction_tolerance") or 0.0)
    held = (f"a change of up to {format_value(tolerance, unit, decimals).replace('%', ' percentage points')} counts as maintained"
            if tolerance > 0 else "any change counts")
    method = row.get("significance_method")
    if method is None:
        tested = ("Significance is not tested: that needs a numerator and denominator in both periods for a percentage, "
                  "or a whole-number count.")
    else:
        z = float(row["change_z"])
        verdict = "the change is significant" if row.get("change_significant") else "the data cannot tell this change from chance"
        test = rules.SIGNIFICANCE_METHODS[str(method)].short
        tested = f"{test[0].upper()}{test[1:]} at 95% gives z = {z:.2f} (|z| > 1.96 is significant): {verdict}."
    return f"Direction: {label}: {compared}, the same period a year earlier ({held}). {tested}"


def report_table(store: Store, period: Period | None, area: str) -> pl.DataFrame:
    """The published report's table: KPI, Target, Actual by area, Period, RAG, Direction in last 12 months.

    Per KPI, the selected area and its child areas that have a value are shown, each
    with its short code, as the report writes 'NE 87% NW 84% S 89%'.
    """
    scope = [area, *A.children(store.areas, area)]
    rows = latest(store, period, scope)
    if rows.height == 0:
        return pl.DataFrame(schema={c: pl.String for c in ("kpi_id", "KPI", "Target", "Actual", "Period", "RAG status", "Direction in last 12 months")})
    out = []
    for kpi_id, group in rows.group_by("kpi_id", maintain_order=True):
        records = group.to_dicts()
        first = records[0]
        unit, decimals = str(first["unit"]), int(first["decimals"])
        parts = [r for r in records if r["area"] != area]
        if len(parts) > MANY_AREAS:  # a cell of 33 entries cannot be read: the area's own figure and the areas in counts
            out.append(_many_areas_row(str(kpi_id[0]), [r for r in records if r["area"] == area], parts, unit, decimals))
            continue
        many = len(records) > 1
        out.append({
            "kpi_id": str(kpi_id[0]),
            "KPI": str(first["name"]),
            "Target": format_target(first["target"], first["target_wording"], unit, decimals),
            "Actual": "  ".join(f"{r['code']} {_shown_value(r, unit, decimals)}" for r in records),
            "Period": _joined([str(r["period"]) for r in records]),
            "RAG status": _joined([rag_label(str(r["rag"])) for r in records], [str(r["code"]) for r in records] if many else None),
            "Direction in last 12 months": _joined([direction_label(r["arrow"], str(r["direction"])) for r in records],
                                                   [str(r["code"]) for r in records] if many else None),
        })
    return pl.DataFrame(out)


MANY_AREAS = 6  # beyond this many child areas, a table cell or a tile summarises them instead of listing each


def _shown_value(row: dict[str, object], unit: str, decimals: int) -> str:
    return "suppressed" if row.get("suppressed") else format_value(row["value"], unit, decimals)


def _counts(values: list[str], order: list[str] | None = None) -> str:
    """'20 ✔ Green, 10 ▲ Amber': how many areas have each value, most first (or in `order`, e.g. worst status first)."""
    from collections import Counter

    counted = Counter(values)
    ranked = [(v, counted[v]) for v in order if v in counted] if order else counted.most_common()
    return ", ".join(f"{n} {v}" for v, n in ranked)


def _areas_words(own: str | None, values: list[str], order: list[str] | None = None, code: str = "") -> str:
    """The area's own word (led by its code) and its areas' in counts; 'All X' where the area and every one of its areas agree."""
    if len(set(values)) == 1 and own in (None, values[0]):
        return f"All {values[0]}"
    return (f"{code} {own}  ·  ".lstrip() if own else "") + "areas: " + _counts(values, order)


def _many_areas_row(kpi_id: str, own: list[dict[str, object]], parts: list[dict[str, object]], unit: str, decimals: int) -> dict[str, str]:
    """One report row for a KPI reported by many areas: the area's own figure, then its areas in counts."""
    first = (own or parts)[0]
    head = f"{own[0]['code']} {_shown_value(own[0], unit, decimals)}  ·  " if own else ""
    values = [r for r in parts if r["value"] is not None]
    spread = (f"{len(parts)} areas, {format_value(min(r['value'] for r in values), unit, decimals)} to "
              f"{format_value(max(r['value'] for r in values), unit, decimals)}") if values else f"{len(parts)} areas"
    statuses = [rag_label(r) for r in RAG_ORDER]  # worst first, as the tiles count them
    return {
        "kpi_id": kpi_id, "KPI": str(first["name"]),
        "Target": format_target(first["target"], first["target_wording"], unit, decimals),
        "Actual": head + spread,
        "Period": _joined(sorted({str(r["period"]) for r in [*own, *parts]})),
        "RAG status": _areas_words(rag_label(str(own[0]["rag"])) if own else None, [rag_label(str(r["rag"])) for r in parts], statuses,
                                   str(own[0]["code"]) if own else ""),
        "Direction in last 12 months": _areas_words(direction_label(own[0]["arrow"], str(own[0]["direction"])) if own else None,
                                                    [direction_label(r["arrow"], str(r["direction"])) for r in parts], None,
                                                    str(own[0]["code"]) if own else ""),
    }


def _joined(values: list[str], codes: list[str] | None = None) -> str:
    """'All X' when every area agrees, else each area with its code."""
    if len(set(values)) == 1:
        return f"All {values[0]}" if codes else values[0]
    return "  ".join(f"{c} {v}" for c, v in zip(codes or [""] * len(values), values, strict=True)).strip()


def summary_records(frame: pl.DataFrame) -> list[dict[str, object]]:
    """The CLI's JSON: plain records from `latest`."""
    return frame.select(
        "kpi_id", pl.col("name").alias("kpi_name"), "area", "period", "value", "target", "rag", "direction", "arrow", "change",
        "prior_period", "prior_value", "stale", "change_significant", "direction_note",
        *(c for c in ("suppressed", "suppression_reason") if c in frame.columns),
    ).to_dicts()
