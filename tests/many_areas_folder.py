"""A generated data folder of 200 KPIs and 32 localities under one region, for the many-areas page tests."""

from __future__ import annotations

from pathlib import Path

from kpis import synthetic


def write(folder: Path, n_kpis: int = 200, n_areas: int = 33, years: int = 1) -> Path:
    catalogue, areas = synthetic.large_registry(n_kpis, n_areas)
    (folder / "observations").mkdir(parents=True, exist_ok=True)
    catalogue.write_csv(folder / "catalogue.csv")
    areas.write_csv(folder / "areas.csv")
    synthetic.large_history(catalogue, areas, years=years).write_csv(folder / "observations" / "generated.csv")
    return folder
