"""Small data folders for the Localities comparisons: the demo catalogue and areas, plus one file of figures."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import DATA

# kpi_id, area, period, value, numerator, denominator
Row = tuple[str, str, str, float, float | None, float | None]

RATE_KPI = ('rate_per_1000,"Children looked after per 1,000 children",Looked after rate,3,rate,lower_is_better,10,"10 per 1,000",'
            'quarterly,"Children looked after per 1,000 children aged 0–17.",Illustrative,Children\'s Services,relative,2.5,5,1,1000,0')

OOA_COUNTS: list[Row] = [
    ("ooa_placements", "North East", "2024/25 Q1", 5, 5, 5),
    ("ooa_placements", "North West", "2024/25 Q1", 10, None, None),
    ("ooa_placements", "South", "2024/25 Q1", 14, 14, 100),
    ("ooa_placements", "City", "2024/25 Q1", 29, None, None),
]
IMPOSSIBLE_CITY: list[Row] = [
    ("mmr_24m", "North East", "2024/25 Q1", 95, 95, 100),
    ("mmr_24m", "North West", "2024/25 Q1", 95, 95, 100),
    ("mmr_24m", "South", "2024/25 Q1", 50, 50, None),
]
ACROSS_PERIODS: list[Row] = [
    *((("mmr_24m", area, "2024/25 Q1", 70, 70, 100)) for area in ("North East", "North West", "South")),
    ("mmr_24m", "City", "2023/24 Q4", 60, None, None),
]
RATES: list[Row] = [
    ("rate_per_1000", "North East", "2024/25 Q1", 12.5, 25, 2000),
    ("rate_per_1000", "North West", "2024/25 Q1", 3.0, 6, 2000),
    ("rate_per_1000", "South", "2024/25 Q1", 5.0, 10, 2000),
]


def _cell(v: float | None) -> str:
    return "" if v is None else f"{v:g}"


def write_folder(root: Path, rows: list[Row]) -> Path:
    """A data folder with the demo catalogue (plus a rate per 1,000), the demo areas and `rows` as the only figures."""
    folder = root / "data"
    (folder / "observations").mkdir(parents=True)
    shutil.copy(DATA / "areas.csv", folder / "areas.csv")
    catalogue = (DATA / "catalogue.csv").read_text(encoding="utf-8").rstrip("\n") + "\n" + RATE_KPI + "\n"
    (folder / "catalogue.csv").write_text(catalogue, encoding="utf-8")
    lines = ["kpi_id,area,period,value,numerator,denominator"]
    lines += [f"{k},{a},{p},{_cell(v)},{_cell(n)},{_cell(d)}" for k, a, p, v, n, d in rows]
    (folder / "observations" / "figures.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder
