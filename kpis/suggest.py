"""Propose a mapping for another system's export from its headers and contents.

Each finding is a line of words: what was inferred (this column is the area; these KPIs
hold fractions, so they are scaled by 100) and what could not be (a code with no KPI). The
proposal is an ordinary `layouts.Mapping`, saved and edited like any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from kpis import areas as A
from kpis import catalogue as C
from kpis import layouts, periods, readers, transforms
from kpis.numbers import parse_number

# Header words for each role, most specific first; a header is matched on its lower-case words.
ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "kpi_id": ("indicator code", "indicator", "kpi id", "kpi", "measure code", "measure", "code"),
    "area": ("local authority", "authority", "council", "area", "locality", "la name", "la"),
    "period": ("financial year", "time period", "period", "year", "quarter", "month"),
    "numerator": ("numerator", "num"),
    "denominator": ("denominator", "denom", "den"),
    "target": ("target",),
    "note": ("note", "notes", "comment"),
    "value": ("value", "figure", "result", "rate", "percentage", "indicator value"),
}
PEER_WORDS = ("family group", "peer group", "comparator group", "benchmark group")
NATIONAL_WORDS = ("national", "scotland", "england", "wales", "country")
FIGURE_WORDS = ("average", "mean", "value", "figure", "rate", "numerator", "num", "denominator", "denom", "den")
PART_WORDS = {"numerator": ("numerator", "num"), "denominator": ("denominator", "denom", "den")}


@dataclass
class Suggestion:
    mapping: layouts.Mapping
    inferred: list[str] = field(default_factory=list)
    not_inferred: list[str] = field(default_factory=list)

    def record(self) -> dict:
        return {"mapping": _raw(self.mapping), "inferred": self.inferred, "not_inferred": self.not_inferred}


def _raw(mapping: layouts.Mapping) -> dict:
    import json

    return json.loads(mapping.to_json())


def _words(header: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", header.lower()))


def _has(header: str, word: str) -> bool:
    return re.search(rf"(^| ){re.escape(word)}( |$)", _words(header)) is not None


def _part(header: str) -> str:
    return next((part for part, words in PART_WORDS.items() if any(_has(header, w) for w in words)), "value")


def kpi_key(code: str) -> str:
    """A code as a KPI id might spell it: `C&L01` → `c_l01`, `CORP-ASSET01` → `corp_asset01`."""
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9]+", "_", code.strip().lower())).strip("_")


def suggest(text: pl.DataFrame, catalogue: pl.DataFrame, areas: pl.DataFrame) -> Suggestion:
    """A mapping for `text` (as `readers` returns it), with what was inferred and what was not."""
    columns = [c for c in text.columns if c != "row"]
    found = Suggestion(layouts.Mapping())
    roles: dict[str, str] = {}
    comparators: list[dict] = []
    area_names = {a.lower(): a for a in areas["area"]}
    groups = set(areas["peer_group"].drop_nulls()) if "peer_group" in areas.columns else set()

    # Comparator columns first: a header naming the nation (an area of its own) or a peer group, with a figure.
    by_comparator: dict[str, dict] = {}
    for column in columns:
        numeric = _mostly_numbers(text[column])
        national = next((area_names[w] for w in area_names if _has(column, w)), None)
        if national is None and any(_has(column, w) for w in NATIONAL_WORDS):
            national = next((a for a in areas["area"] if areas.filter(pl.col("area") == a)["parent"].item() is None
                             and a not in groups and not _is_council(areas, a)), None)
        peer = any(_has(column, w) for w in PEER_WORDS)
        names_group = peer and not any(_has(column, w) for w in FIGURE_WORDS)  # "Family Group": which group, not a figure
        if names_group or not numeric or not (national or peer):
            if peer:
                roles[column] = layouts.IGNORE
                found.inferred.append(f"'{column}' names each row's peer group; it is left out (areas.csv's peer_group is used)")
            continue
        key = "peer_group" if peer else national
        entry = by_comparator.setdefault(key, {"peer_group": True} if peer else {"area": national})
        entry[_part(column)] = column
        roles[column] = "comparator"
    for key, entry in by_comparator.items():
        if "value" not in entry:
            found.not_inferred.append(f"The comparator '{key}' has no value column")
            continue
        if entry.get("peer_group") and not groups:
            found.not_inferred.append(f"'{entry['value']}' looks like a peer-group figure, but areas.csv gives no peer_group: add that column to publish it")
            continue
        comparators.append(entry)
        who = "each row's peer group (areas.csv)" if entry.get("peer_group") else f"the area '{key}'"
        found.inferred.append(f"'{entry['value']}' is a comparator: published once per KPI and period as {who}")

    # Roles by header words, the most specific word winning; each role taken once.
    for role, words in ROLE_WORDS.items():
        for word in words:
            match = next((c for c in columns if c not in roles and _has(c, word)), None)
            if match is not None:
                roles[match] = role
                found.inferred.append(f"'{match}' is the {role} column (its header)")
                break
    # Roles by contents, for what the headers did not give.
    taken = set(roles.values())
    for column in [c for c in columns if c not in roles]:
        role = _role_by_content(text[column], catalogue, areas, taken)
        if role:
            roles[column], taken = role, taken | {role}
            found.inferred.append(f"'{column}' is the {role} column (its contents)")
    for role in ("kpi_id", "area", "period", "value"):
        if role not in roles.values():
            found.not_inferred.append(f"No column was recognised as the {role}: choose it on the Data page or in the mapping's columns")
    for column in columns:
        if column not in roles:
            roles[column] = layouts.IGNORE
            found.inferred.append(f"'{column}' is not a column the board reads; it is left out")

    column_of = {role: c for c, role in roles.items()}
    kpi_ids = _code_map(text, column_of.get("kpi_id"), catalogue, found)
    steps = _steps(text, column_of, kpi_ids, catalogue, found)
    found.mapping = layouts.Mapping({c: r for c, r in roles.items() if r != "comparator"}, kpi_ids, {}, steps, comparators)
    return found


def _is_council(areas: pl.DataFrame, area: str) -> bool:
    return "peer_group" in areas.columns and areas.filter(pl.col("area") == area)["peer_group"].item() is not None


def _mostly_numbers(column: pl.Series) -> bool:
    cells = column.drop_nulls()
    if cells.len() == 0:
        return False
    return pl.DataFrame({"c": cells}).select(parse_number("c").is_not_null().mean()).item() >= 0.9


def _role_by_content(column: pl.Series, catalogue: pl.DataFrame, areas: pl.DataFrame, taken: set[str]) -> str | None:
    sample = column.drop_nulls().unique().head(200).to_list()
    if not sample:
        return None
    share = lambda test: sum(1 for v in sample if test(v)) / len(sample)
    lookup = A.lookup(areas)
    ids = set(catalogue["kpi_id"])
    if "area" not in taken and share(lambda v: v.strip().lower() in lookup) >= 0.8:
        return "area"
    if "period" not in taken and share(lambda v: not isinstance(periods.try_parse(v), periods.PeriodError)) >= 0.8:
        return "period"
    if "kpi_id" not in taken and share(lambda v: kpi_key(v) in ids) >= 0.5:
        return "kpi_id"
    return None


def _code_map(text: pl.DataFrame, column: str | None, catalogue: pl.DataFrame, found: Suggestion) -> dict[str, str]:
    if column is None:
        return {}
    ids = catalogue["kpi_id"].to_list()
    codes = text[column].drop_nulls().str.strip_chars().unique().sort().to_list()
    out, unknown = {}, []
    for code in codes:
        if code.lower() in ids:
            continue
        key = kpi_key(code)
        guess = key if key in ids else C.suggest(key, ids)
        if guess:
            out[code] = guess
        else:
            unknown.append(code)
    if out:
        found.inferred.append(f"{len(out)} indicator code(s) mapped to KPI ids: "
                              + ", ".join(f"{k} → {v}" for k, v in list(out.items())[:8]) + (" …" if len(out) > 8 else ""))
    if unknown:
        found.not_inferred.append(f"{len(unknown)} indicator code(s) match no KPI in the catalogue: {', '.join(unknown[:12])}"
                                  + (" …" if len(unknown) > 12 else "") + "; add them to kpi_ids, or to the catalogue")
    return out


def _steps(text: pl.DataFrame, column_of: dict[str, str], kpi_ids: dict[str, str], catalogue: pl.DataFrame, found: Suggestion) -> list[dict]:
    steps: list[dict] = []
    period, value, kpi = column_of.get("period"), column_of.get("value"), column_of.get("kpi_id")
    if period:
        labels = text[period].drop_nulls().unique()
        for name, (pattern, _, example) in transforms.PERIOD_FORMATS.items():
            if name == "fy_dash":
                continue  # the board reads 2018-19 itself
            if labels.str.contains(pattern).any():
                steps.append({"transform": "period_format", "format": name})
                found.inferred.append(f"Periods are written like {example}")
        multi = pl.DataFrame({"period": labels}).filter(transforms.ROW_FILTERS["multi_year_period"][0]())
        if multi.height:
            steps.append({"transform": "skip_rows", "filter": "multi_year_period"})
            found.inferred.append(f"{multi.height} multi-year aggregate period(s) such as '{multi['period'][0]}' are left out")
    if value:
        blank = text[value].is_null().sum()
        if blank:
            steps.append({"transform": "skip_rows", "filter": "blank_value"})
            found.inferred.append(f"{blank} row(s) have a blank value: read as not available, not published, counted in a warning")
    if value and kpi:
        units = dict(zip(catalogue["kpi_id"], catalogue["unit"], strict=True))
        figures = text.select(
            readers.strip_cells(pl.col(kpi)).replace(kpi_ids).str.to_lowercase().alias("kpi"), parse_number(value).alias("v"))
        ranges = figures.group_by("kpi").agg(pl.col("v").min().alias("low"), pl.col("v").max().alias("high")).sort("kpi")
        fractions = [r["kpi"] for r in ranges.iter_rows(named=True)
                     if units.get(r["kpi"]) == "percent" and r["low"] is not None and r["low"] >= 0 and r["high"] <= 1]
        if fractions:
            steps.append({"transform": "scale", "factor": 100, "kpis": fractions})
            found.inferred.append(f"{len(fractions)} percentage KPI(s) hold fractions (all within 0–1), so are scaled by 100: "
                                  + ", ".join(fractions[:8]) + (" …" if len(fractions) > 8 else ""))
    return steps
