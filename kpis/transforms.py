"""What a saved mapping can do to another system's export before it is checked: one registry of transforms.

A mapping is applied in a fixed order: columns are given their roles (`columns`), codes are
translated (`kpi_ids`, `areas`), the `steps` run in the order written (`period_format`,
`skip_rows`, `scale`), and last the comparator columns become rows of their own areas
(`comparators`). Each entry of `REGISTRY` names a transform, says in words what it does
(data/README.md documents every one) and, for a step, holds the function that does it over
Polars expressions. A step never raises for what a file holds: a row it leaves out is
counted in a warning.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from kpis import problems as P
from kpis import readers
from kpis.numbers import parse_number

StepResult = tuple[pl.DataFrame, pl.DataFrame]  # the frame after the step, and warnings about it


@dataclass(frozen=True)
class Context:
    """What a step may consult besides the file: the catalogue (units) and the areas (peer groups)."""

    file: str
    catalogue: pl.DataFrame | None = None
    areas: pl.DataFrame | None = None


@dataclass(frozen=True)
class Transform:
    name: str
    words: str  # what it does, for the documentation and the Data page
    params: dict[str, str]  # parameter -> what it means
    apply: Callable[[pl.DataFrame, dict, Context], StepResult] | None = None  # None: a section, applied by `layouts.apply_mapping`
    check: Callable[[dict], list[str]] | None = None  # the reasons a step's parameters cannot be used


# Named period formats: (pattern, replacement) turning another system's label into one the board reads.
PERIOD_FORMATS: dict[str, tuple[str, str, str]] = {
    "fy_semicolon_quarter": (r"^\s*(\d{4})\s*-\s*(\d{2})\s*;\s*Q([1-4])\s*$", "${1}/${2} Q${3}", "2018-19;Q1 → 2018/19 Q1"),
    "fy_dash": (r"^\s*(\d{4})\s*-\s*(\d{2})\s*$", "${1}/${2}", "2018-19 → 2018/19 (only where 19 follows 18; other spans stay as written)"),
    "calendar_quarter_dash": (r"^\s*(\d{4})\s*-\s*Q([1-4])\s*$", "${1} Q${2}", "2018-Q1 → 2018 Q1"),
}

_SPAN = r"^\s*(\d{4})\s*-\s*(\d{2}|\d{4})\s*$"


def _multi_year() -> pl.Expr:
    """A period label naming several years together (`2010-14`, `2009-11`, `2010-2014`): two to ten years apart."""
    first = pl.col("period").str.extract(_SPAN, 1).cast(pl.Int64, strict=False)
    second_text = pl.col("period").str.extract(_SPAN, 2)
    second = second_text.cast(pl.Int64, strict=False)
    span = pl.when(second_text.str.len_chars() == 4).then(second - first).otherwise((second - first) % 100)
    return span.is_between(2, 10).fill_null(False)


# Named row filters: (expression that picks the rows to leave out, what they are).
ROW_FILTERS: dict[str, tuple[Callable[[], pl.Expr], str]] = {
    "multi_year_period": (_multi_year, "a multi-year aggregate period such as 2010-14 (a label of the form 2009-11 is read as a span here)"),
    "blank_value": (lambda: pl.col("value").is_null() | (pl.col("value").str.strip_chars() == ""),
                    "a blank value: the figure is not available (suppressed or not collected) and is not published"),
}


def _period_format(frame: pl.DataFrame, step: dict, context: Context) -> StepResult:
    if "period" not in frame.columns:
        return frame, P.empty()
    pattern, replacement = (PERIOD_FORMATS[step["format"]][:2] if "format" in step else (step["pattern"], step["replace"]))
    return frame.with_columns(pl.col("period").str.replace(pattern, replacement)), P.empty()


def _check_period_format(step: dict) -> list[str]:
    if "format" in step:
        return [] if step["format"] in PERIOD_FORMATS else [f"'{step['format']}' is not a named period format; use one of {', '.join(PERIOD_FORMATS)}"]
    if not isinstance(step.get("pattern"), str) or not isinstance(step.get("replace"), str):
        return ["period_format needs 'format' (a named format) or both 'pattern' (a regular expression) and 'replace'"]
    try:
        re.compile(step["pattern"])
    except re.error as error:
        return [f"The pattern {step['pattern']!r} is not a regular expression ({error})"]
    return []


def _skip_rows(frame: pl.DataFrame, step: dict, context: Context) -> StepResult:
    build, words = ROW_FILTERS[step["filter"]]
    needed = "value" if step["filter"] == "blank_value" else "period"
    if needed not in frame.columns:
        return frame, P.empty()
    skip = build()
    skipped = frame.filter(skip)
    if skipped.height == 0:
        return frame, P.empty()
    rows = skipped["row"].head(5).to_list() if "row" in skipped.columns else []
    where = f" (rows {', '.join(map(str, rows))}{', …' if skipped.height > 5 else ''})" if rows else ""
    warning = P.file_problem(context.file, f"{skipped.height} row(s) left out by the mapping: {words}{where}",
                             "Nothing to do if that is intended; remove the step from the mapping to check them", "warning", needed)
    return frame.filter(~skip), warning


def _check_skip_rows(step: dict) -> list[str]:
    return [] if step.get("filter") in ROW_FILTERS else [f"skip_rows needs 'filter', one of {', '.join(ROW_FILTERS)}"]


def comparator_value_columns(frame: pl.DataFrame) -> list[str]:
    return [c for c in frame.columns if c.startswith(COMPARATOR_PREFIX) and c.endswith("_value")]


def _scale(frame: pl.DataFrame, step: dict, context: Context) -> StepResult:
    factor = float(step["factor"])
    columns = [c for c in step.get("columns", ["value", "target", *comparator_value_columns(frame)]) if c in frame.columns]
    where = pl.lit(True)
    if "kpis" in step and "kpi_id" in frame.columns:
        where = _kpi_key().is_in(pl.lit([str(k).lower() for k in step["kpis"]], pl.List(pl.String)).explode().implode())
    if "unit" in step and "kpi_id" in frame.columns:
        catalogue = context.catalogue if context.catalogue is not None else pl.DataFrame(schema={"kpi_id": pl.String, "unit": pl.String})
        ids = catalogue.filter(pl.col("unit") == step["unit"])["kpi_id"].to_list()
        where = where & _kpi_key().is_in(pl.lit(ids, pl.List(pl.String)).explode().implode())
    scaled = [
        pl.when(where & parse_number(c).is_not_null())
        .then((parse_number(c) * factor).round(9).cast(pl.String).str.replace(r"\.0$", ""))
        .otherwise(pl.col(c)).alias(c)
        for c in columns
    ]
    return (frame.with_columns(scaled) if scaled else frame), P.empty()


def _kpi_key() -> pl.Expr:
    return readers.strip_cells(pl.col("kpi_id")).str.to_lowercase()


def _check_scale(step: dict) -> list[str]:
    factor = step.get("factor")
    if isinstance(factor, bool) or not isinstance(factor, int | float) or not factor or factor != factor:
        return ["scale needs 'factor', a number other than 0 (100 turns fractions into percentages)"]
    if "kpis" in step and not isinstance(step["kpis"], list):
        return ["In scale, 'kpis' is a list of KPI ids"]
    return []


COMPARATOR_PREFIX = "comparator_"

REGISTRY: dict[str, Transform] = {t.name: t for t in (
    Transform("columns", "Gives each of the file's columns a role: kpi_id, area, period, value, numerator, denominator, target, note, "
              "or ignore (left out). Columns not named keep their own name.", {"Their header": "the role"}),
    Transform("kpi_ids", "Translates the file's indicator codes to the catalogue's KPI ids (C&L01 → libraries_cost).", {"Their code": "kpi_id"}),
    Transform("areas", "Translates the file's area names or codes to the board's areas.", {"Their name or code": "area"}),
    Transform("period_format", "Rewrites period labels into a form the board reads, by a named format "
              f"({'; '.join(f'{k}: {v[2]}' for k, v in PERIOD_FORMATS.items())}) or by a regular expression and its replacement.",
              {"format": "a named format", "pattern": "a regular expression", "replace": "its replacement (${1} for the first group)"},
              _period_format, _check_period_format),
    Transform("skip_rows", "Leaves out rows picked by a named filter and says how many in a warning: "
              + "; ".join(f"{k}: {v[1]}" for k, v in ROW_FILTERS.items()) + ".",
              {"filter": "the named filter"}, _skip_rows, _check_skip_rows),
    Transform("scale", "Multiplies figures by a factor: 100 turns fractions (0.91) into percentages (91). By default the value, "
              "the target and the comparators' values; only for the KPIs listed in 'kpis', or of the catalogue unit in 'unit', when given. "
              "Numerators and denominators are never scaled.",
              {"factor": "the multiplier", "columns": "which columns (optional)", "kpis": "which KPI ids (optional)", "unit": "which catalogue unit (optional)"},
              _scale, _check_scale),
    Transform("comparators", "Publishes comparator columns (a national figure, a peer-group average) as rows of their own areas, once per "
              "KPI and period: 'area' names the area (e.g. Scotland), or 'peer_group': true takes each row's area's peer group from "
              "areas.csv; 'value', 'numerator' and 'denominator' name the file's columns.",
              {"area": "the comparator's area", "peer_group": "true for the row's peer group", "value": "header", "numerator": "header", "denominator": "header"}),
)}

STEPS = {name: t for name, t in REGISTRY.items() if t.apply is not None}


def step_problems(steps: object) -> list[str]:
    """Every reason a mapping's `steps` cannot be used."""
    if not isinstance(steps, list):
        return ["'steps' is a list of steps, each an object with 'transform'"]
    out = []
    for i, step in enumerate(steps, start=1):
        if not isinstance(step, dict) or step.get("transform") not in STEPS:
            out.append(f"Step {i} is not one of the transforms {', '.join(STEPS)}")
            continue
        out += [f"Step {i}: {reason}" for reason in STEPS[step["transform"]].check(step)]
    return out


def run_steps(frame: pl.DataFrame, steps: list[dict], context: Context) -> StepResult:
    warnings = []
    for step in steps:
        frame, found = STEPS[step["transform"]].apply(frame, step, context)
        warnings.append(found)
    return frame, P.combine(warnings)


def comparator_problems(comparators: object) -> list[str]:
    if not isinstance(comparators, list):
        return ["'comparators' is a list of objects, each with 'area' or 'peer_group' and 'value'"]
    out = []
    for i, c in enumerate(comparators, start=1):
        if not isinstance(c, dict) or not isinstance(c.get("value"), str):
            out.append(f"Comparator {i} needs 'value', the header of its figures")
        elif not (isinstance(c.get("area"), str) and c["area"].strip()) and c.get("peer_group") is not True:
            out.append(f"Comparator {i} needs 'area' (an area's name) or \"peer_group\": true")
    return out


def rename_comparators(frame: pl.DataFrame, comparators: list[dict]) -> pl.DataFrame:
    """The comparators' source columns under internal names (`comparator_1_value`, ...), so later steps can find them."""
    renames = {}
    for i, c in enumerate(comparators, start=1):
        for part in ("value", "numerator", "denominator"):
            source = readers.normalise_header(c[part]) if isinstance(c.get(part), str) else None
            if source and source in frame.columns:
                renames[source] = f"{COMPARATOR_PREFIX}{i}_{part}"
    return frame.rename(renames)


def comparator_rows(frame: pl.DataFrame, comparators: list[dict], context: Context) -> StepResult:
    """The file's rows plus one row per comparator, KPI and period (repeats across the file's rows dropped), without the comparator columns."""
    internal = [c for c in frame.columns if c.startswith(COMPARATOR_PREFIX)]
    base = frame.drop(internal)
    blocks, warnings = [base], []
    groups = _peer_groups(context.areas)
    for i, c in enumerate(comparators, start=1):
        value = f"{COMPARATOR_PREFIX}{i}_value"
        if value not in frame.columns:
            warnings.append(P.file_problem(context.file, f"The comparator column '{c['value']}' is not in the file",
                                           "Check the header in the mapping", "warning", c["value"]))
            continue
        own_group = readers.strip_cells(pl.col("area")).str.to_lowercase().replace_strict(groups, default=None)
        area = own_group if c.get("peer_group") is True else pl.lit(c["area"])
        rows = frame.select(
            *(col for col in base.columns if col not in ("area", "value", "numerator", "denominator")),
            area.alias("area"), pl.col(value).alias("value"),
            *(pl.col(f"{COMPARATOR_PREFIX}{i}_{p}").alias(p) if f"{COMPARATOR_PREFIX}{i}_{p}" in frame.columns else pl.lit(None, pl.String).alias(p)
              for p in ("numerator", "denominator")),
        ).filter(pl.col("area").is_not_null() & pl.col("value").is_not_null() & (pl.col("value").str.strip_chars() != ""))
        key = [col for col in rows.columns if col not in ("row", "note")]
        blocks.append(rows.unique(subset=key, keep="first", maintain_order=True).select(base.columns))
    return pl.concat(blocks, how="vertical_relaxed"), P.combine(warnings)


def _peer_groups(areas: pl.DataFrame | None) -> dict[str, str]:
    """Each area's name and code (lower case) → its peer group, from areas.csv's `peer_group` column."""
    if areas is None or "peer_group" not in areas.columns:
        return {}
    with_group = areas.filter(pl.col("peer_group").is_not_null())
    pairs = zip(with_group["area"], with_group["code"], with_group["peer_group"], strict=True)
    return {key.strip().lower(): group for area, code, group in pairs for key in (area, code)}
