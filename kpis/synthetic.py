"""Made-up data: the demo history behind the published figures, and large files for benchmarks.

Nothing here is published data. The demo history is shaped to end exactly on the
published values and to move, over the last 12 months, the way the report's arrows show.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from kpis.periods import PeriodKind, make_period

HISTORY_NOTE = "Illustrative history, not published"
PUBLISHED_NOTE = "Published in the Q1 2024/25 performance update"
PUBLISHED_FRACTION_NOTE = PUBLISHED_NOTE + "; numerator and denominator illustrative"


@dataclass(frozen=True)
class Series:
    kpi_id: str
    area: str
    kind: PeriodKind
    first: date  # start of the first period of history
    latest: date  # start of the published period
    latest_label: str  # the label as the report writes it
    published: float
    year_before: float  # value 12 months before: sets the direction
    start_value: float
    denominator: int | None = None  # monthly cohort, when the KPI is a fraction
    decimals: int = 0
    spread: float = 1.0


_MONTH, _FYQ = PeriodKind.MONTH, PeriodKind.FY_QUARTER
DEMO_SERIES = [
    Series("rtl_uptake", "North East", _MONTH, date(2021, 4, 1), date(2024, 6, 1), "Jun 24", 87, 84, 80, 300),
    Series("rtl_uptake", "North West", _MONTH, date(2021, 4, 1), date(2024, 6, 1), "Jun 24", 84, 86, 81, 275),
    Series("rtl_uptake", "South", _MONTH, date(2021, 4, 1), date(2024, 6, 1), "Jun 24", 89, 86, 82, 300),
    Series("hpi_by_24wk", "North East", _MONTH, date(2021, 4, 1), date(2024, 3, 1), "Mar 24", 95, 93, 91, 260),
    Series("hpi_by_24wk", "North West", _MONTH, date(2021, 4, 1), date(2024, 3, 1), "Mar 24", 98, 96, 93, 250),
    Series("hpi_by_24wk", "South", _MONTH, date(2021, 4, 1), date(2024, 3, 1), "Mar 24", 97, 95, 92, 300),
    Series("hwc_referrals", "City", _FYQ, date(2021, 4, 1), date(2024, 4, 1), "Q1 2024/25", 800, 610, 420, spread=25),
    Series("under5_permanency_review", "City", _FYQ, date(2021, 4, 1), date(2024, 4, 1), "Q1 2024/25", 56, 48, 62, spread=2.5),
    Series("scra_reports_on_time", "City", _FYQ, date(2021, 4, 1), date(2024, 4, 1), "Q1 2024/25", 51, 47, 44, spread=2),
    Series("aftercare_eet", "City", _FYQ, date(2021, 4, 1), date(2024, 4, 1), "Q1 2024/25", 77, 72, 68, spread=1.5),
    Series("ooa_placements", "City", _FYQ, date(2021, 4, 1), date(2024, 4, 1), "Q1 2024/25", 29, 24, 34, spread=1.2),
    Series("mmr_24m", "City", _FYQ, date(2021, 4, 1), date(2024, 1, 1), "Q4 2023/24", 90.24, 91.10, 92.4, decimals=2, spread=0.35),
    Series("mmr_5y", "City", _FYQ, date(2021, 4, 1), date(2024, 1, 1), "Q4 2023/24", 94.97, 94.60, 94.2, decimals=2, spread=0.3),
]


def _starts(series: Series) -> list[date]:
    step = 1 if series.kind is _MONTH else 3
    out, current = [], series.first
    while current < series.latest:
        out.append(current)
        index = current.year * 12 + current.month - 1 + step
        current = date(index // 12, index % 12 + 1, 1)
    return out


def _history_rows(series: Series, rng: random.Random) -> list[dict[str, object]]:
    starts = _starts(series)
    steps_per_year = 12 if series.kind is _MONTH else 4
    anchor = len(starts) - steps_per_year  # the period a year before the published one
    rows = []
    for i, start in enumerate(starts):
        if i == anchor:
            base, noise = series.year_before, 0.0
        elif i < anchor:
            base = series.start_value + (series.year_before - series.start_value) * i / max(anchor, 1)
            noise = rng.gauss(0, series.spread)
        else:
            base = series.year_before + (series.published - series.year_before) * (i - anchor) / steps_per_year
            noise = rng.gauss(0, series.spread)
        value = round(base + noise, series.decimals)
        row: dict[str, object] = {"kpi_id": series.kpi_id, "area": series.area, "period": make_period(series.kind, start).label}
        if series.denominator:
            denominator = series.denominator + rng.randint(-20, 20)
            numerator = min(denominator, round(value * denominator / 100))
            row |= {"value": round(100 * numerator / denominator, series.decimals), "numerator": numerator, "denominator": denominator}
        else:
            row |= {"value": max(value, 0), "numerator": None, "denominator": None}
        rows.append(row | {"note": HISTORY_NOTE})
    return rows


def _published_row(series: Series) -> dict[str, object]:
    row: dict[str, object] = {"kpi_id": series.kpi_id, "area": series.area, "period": series.latest_label, "value": series.published}
    if series.denominator:
        numerator = round(series.published * series.denominator / 100)
        return row | {"numerator": numerator, "denominator": series.denominator, "note": PUBLISHED_FRACTION_NOTE}
    return row | {"numerator": None, "denominator": None, "note": PUBLISHED_NOTE}


_DEMO_SCHEMA = {"kpi_id": pl.String, "area": pl.String, "period": pl.String, "value": pl.Float64,
                "numerator": pl.Int64, "denominator": pl.Int64, "note": pl.String}


def demo_history(seed: int = 2024) -> pl.DataFrame:
    rng = random.Random(seed)
    return pl.DataFrame([r for s in DEMO_SERIES for r in _history_rows(s, rng)], schema=_DEMO_SCHEMA)


def demo_published() -> pl.DataFrame:
    return pl.DataFrame([_published_row(s) for s in DEMO_SERIES], schema=_DEMO_SCHEMA)


def large_registry(n_kpis: int = 200, n_areas: int = 12) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A catalogue of `n_kpis` monthly KPIs and a city with `n_areas - 1` localities."""
    ids = [f"kpi_{i:03d}" for i in range(n_kpis)]
    units = ["percent" if i % 3 else "count" for i in range(n_kpis)]
    catalogue = pl.DataFrame({
        "kpi_id": ids,
        "name": [f"Generated indicator {i}" for i in range(n_kpis)],
        "short_name": [f"Indicator {i}" for i in range(n_kpis)],
        "priority": [i % 6 + 1 for i in range(n_kpis)],
        "unit": units,
        "polarity": ["lower_is_better" if i % 5 == 0 else "higher_is_better" for i in range(n_kpis)],
        "target": [90.0 if u == "percent" else 500.0 for u in units],
        "target_wording": [None] * n_kpis,
        "frequency": ["monthly"] * n_kpis,
        "definition": ["Generated for benchmarks"] * n_kpis,
        "source": [None] * n_kpis, "owner": [None] * n_kpis,
        "rag_basis": ["relative"] * n_kpis, "green_within": [2.5] * n_kpis, "amber_within": [5.0] * n_kpis,
        "decimals": [1] * n_kpis,
    })
    areas = pl.DataFrame({
        "area": ["Region"] + [f"Locality {i:02d}" for i in range(1, n_areas)],
        "code": ["R"] + [f"L{i:02d}" for i in range(1, n_areas)],
        "parent": [None] + ["Region"] * (n_areas - 1),
        "order": list(range(1, n_areas + 1)),
    })
    return catalogue, areas


def large_history(catalogue: pl.DataFrame, areas: pl.DataFrame, years: int = 10, seed: int = 7) -> pl.DataFrame:
    """Monthly values for every KPI and area over `years` years, as text cells like a file."""
    months = pl.date_range(date(2025 - years, 4, 1), date(2025, 3, 1), "1mo", eager=True)
    grid = (
        catalogue.select("kpi_id", "unit").join(areas.select("area"), how="cross").join(pl.DataFrame({"start": months}), how="cross")
    )
    rng = np.random.default_rng(seed)
    noise = rng.normal(0, 3, grid.height)
    return grid.with_columns(
        pl.col("start").dt.strftime("%Y-%m").alias("period"),
        pl.when(pl.col("unit") == "percent").then((88 + pl.lit(noise)).clip(0, 100)).otherwise((500 + 30 * pl.lit(noise)).clip(0)).round(1).alias("value"),
    ).select("kpi_id", "area", "period", "value")


def million_row_csv(catalogue: pl.DataFrame, areas: pl.DataFrame, rows: int = 1_000_000, seed: int = 11) -> bytes:
    """A valid observations CSV of `rows` rows with distinct keys, in the canonical layout."""
    rng = np.random.default_rng(seed)
    kpis = catalogue["kpi_id"]
    n_months = -(-rows // (kpis.len() * areas.height))
    months = pl.Series("start", [date(2025 - (i // 12) - 1, (i % 12) + 1, 1) for i in range(n_months)])
    grid = (
        pl.DataFrame({"kpi_id": kpis}).join(areas.select("area"), how="cross").join(pl.DataFrame({"start": months}), how="cross").head(rows)
    )
    frame = grid.with_columns(
        pl.col("start").dt.strftime("%Y-%m").alias("period"),
        pl.lit(rng.normal(0, 1, grid.height)).alias("_z"),
    ).join(catalogue.select("kpi_id", "unit"), on="kpi_id", how="left", maintain_order="left").with_columns(
        pl.when(pl.col("unit") == "percent").then((88 + 4 * pl.col("_z")).clip(0, 100)).otherwise((500 + 30 * pl.col("_z")).clip(0)).round(1).alias("value"),
        *(pl.lit(None, pl.String).alias(c) for c in ("numerator", "denominator", "target", "note")),
    ).select("kpi_id", "area", "period", "value", "numerator", "denominator", "target", "note")
    out = io.BytesIO()
    frame.write_csv(out)
    return out.getvalue()
