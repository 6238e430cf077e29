"""A generated national benchmarking export and the data folder it belongs to.

The shape of the real thing: one row per indicator × council × financial year, 32 councils,
the national figure and the council's family-group average as extra columns on every row,
percentages stored as fractions, costs and days whose numerator exceeds the denominator,
multi-year aggregate periods (`2010-14`, `2009-11`), blank cells where a figure is
suppressed, and indicator codes such as `C&L01` that are not KPI ids. A second, quarterly
file writes its periods as `2018-19;Q1`.
"""

from __future__ import annotations

import random
from pathlib import Path

import polars as pl

COUNCILS = (
    "Aberdeen City", "Aberdeenshire", "Angus", "Argyll & Bute", "Clackmannanshire", "Dumfries & Galloway", "Dundee City",
    "East Ayrshire", "East Dunbartonshire", "East Lothian", "East Renfrewshire", "Edinburgh City", "Eilean Siar", "Falkirk",
    "Fife", "Glasgow City", "Highland", "Inverclyde", "Midlothian", "Moray", "North Ayrshire", "North Lanarkshire",
    "Orkney Islands", "Perth & Kinross", "Renfrewshire", "Scottish Borders", "Shetland Islands", "South Ayrshire",
    "South Lanarkshire", "Stirling", "West Dunbartonshire", "West Lothian",
)
NATION = "Scotland"
GROUPS = 4

# code in the export, kpi_id, unit, per, frequency, how a council's figures are made
INDICATORS = (
    ("CHN10", "chn10", "percent", "", "annual"),
    ("CORP-ASSET01", "corp_asset01", "percent", "", "annual"),
    ("C&L01", "c_l01", "number", "1", "annual"),  # cost per library visit: numerator (£) far above denominator (visits)
    ("CORP6A", "corp6a", "number", "1", "annual"),  # sickness days per employee
    ("SW1", "sw1", "rate", "1000", "annual"),  # per 1,000 population
)
QUARTERLY = ("HSN-Q1", "hsn_q1", "percent", "", "quarterly")
YEARS = tuple(f"{y}-{(y + 1) % 100:02d}" for y in range(2015, 2023))
HEADER = ("Indicator Code", "Local Authority", "Year", "Value", "Numerator", "Denominator", "Scotland Value", "Family Group", "Family Group Average")


def group_of(council: str) -> str:
    return f"Family Group {COUNCILS.index(council) % GROUPS + 1}"


def write_folder(folder: Path) -> Path:
    """A data folder for the export: catalogue, areas (with peer groups) and no published figures yet."""
    folder.mkdir(parents=True, exist_ok=True)
    catalogue = pl.DataFrame(
        [
            {"kpi_id": kpi, "name": f"Indicator {code}", "unit": unit, "polarity": "higher_is_better", "frequency": frequency,
             "target": "90" if unit == "percent" else "", "per": per, "decimals": "2" if unit == "number" else "1"}
            for code, kpi, unit, per, frequency in (*INDICATORS, QUARTERLY)
        ]
    )
    catalogue.write_csv(folder / "catalogue.csv")
    areas = [{"area": NATION, "code": "SCO", "parent": "", "order": 1, "peer_group": ""}]
    areas += [{"area": f"Family Group {g}", "code": f"FG{g}", "parent": "", "order": 1 + g, "peer_group": ""} for g in range(1, GROUPS + 1)]
    areas += [{"area": c, "code": f"S12{i:06d}", "parent": NATION, "order": 10 + i, "peer_group": group_of(c)} for i, c in enumerate(COUNCILS)]
    pl.DataFrame(areas).write_csv(folder / "areas.csv")
    (folder / "observations").mkdir(exist_ok=True)
    return folder


def _figures(rng: random.Random, unit: str, per: str) -> tuple[str, str, str]:
    """Value, numerator and denominator as the export writes them."""
    if unit == "percent":
        denominator = rng.randint(800, 1200)
        numerator = rng.randint(int(denominator * 0.8), denominator)
        return f"{numerator / denominator:.4f}", str(numerator), str(denominator)
    if unit == "number":
        denominator = rng.randint(20_000, 60_000)
        numerator = round(denominator * rng.uniform(2.5, 3.5), 2)
        return f"{numerator / denominator:.2f}", f"{numerator:.2f}", str(denominator)
    denominator = rng.randint(50_000, 120_000)
    numerator = rng.randint(300, 500)
    return f"{numerator / denominator * float(per):.1f}", str(numerator), str(denominator)


def export_rows(seed: int = 7) -> list[tuple[str, ...]]:
    rng = random.Random(seed)
    rows = []
    for code, _, unit, per, _ in INDICATORS:
        periods = YEARS + (("2010-14",) if code == "CHN10" else ("2009-11",) if code == "CORP6A" else ())
        for period in periods:
            national = _figures(rng, unit, per)[0]
            group_average = {g: _figures(rng, unit, per)[0] for g in range(1, GROUPS + 1)}
            for council in COUNCILS:
                value, numerator, denominator = _figures(rng, unit, per)
                if rng.random() < 0.02:  # suppressed: the figures are blank
                    value, numerator, denominator = "", "", ""
                group = COUNCILS.index(council) % GROUPS + 1
                rows.append((code, council, period, value, numerator, denominator, national, str(group), group_average[group]))
    return rows


def write_export(path: Path, seed: int = 7) -> Path:
    pl.DataFrame(export_rows(seed), schema=list(HEADER), orient="row").write_csv(path)
    return path


def write_quarterly_export(path: Path, seed: int = 11) -> Path:
    rng = random.Random(seed)
    rows = []
    for year in YEARS[-2:]:
        for quarter in range(1, 5):
            period = f"{year};Q{quarter}"
            national = _figures(rng, "percent", "")[0]
            averages = {g: _figures(rng, "percent", "")[0] for g in range(1, GROUPS + 1)}
            for council in COUNCILS:
                group = COUNCILS.index(council) % GROUPS + 1
                rows.append((QUARTERLY[0], council, period, *_figures(rng, "percent", ""), national, str(group), averages[group]))
    pl.DataFrame(rows, schema=list(HEADER), orient="row").write_csv(path)
    return path
