"""Observation files: read, normalise in Polars, validate with pandera, report.

`check_observations` never raises for anything a file holds: every problem becomes a
row of the report, and the rows that pass come back typed, ready for the store.

Large files from other systems are usually clean, so each column first takes a fast
path (a cast to the known categories or to a number) and only a column where that
fails pays for the full normalisation: spaces, case, area codes, `87%`, `1,024`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from kpis import areas as A
from kpis import catalogue as C
from kpis import periods, readers, validation
from kpis import problems as P
from kpis.numbers import NUMBER_FIX, fast_number, number_problem, parse_number
from kpis.schemas import FREQUENCIES, UNITS, ObservationModel

REQUIRED = ("kpi_id", "area", "period", "value")
OPTIONAL = ("numerator", "denominator", "target", "note")
NUMBERS = ("value", "numerator", "denominator", "target")
KEY = ("kpi_id", "area", "period")

OBSERVATION_SCHEMA = {
    "kpi_id": pl.String, "area": pl.String, "period": pl.String, "period_start": pl.Date,
    "period_end": pl.Date, "period_kind": pl.String, "value": pl.Float64, "numerator": pl.Float64,
    "denominator": pl.Float64, "target": pl.Float64, "note": pl.String,
}

EXPLAIN = {
    "figures_finite": validation.Explanation("value", "A figure is NaN or infinite", "Write finite figures in digits"),
    "numerator_not_negative": validation.Explanation("numerator", "The numerator is negative", "Counts cannot be below zero"),
    "denominator_positive": validation.Explanation("denominator", "The denominator is zero or negative", "Use the number of people or events counted; it must be above zero"),
    "percent_in_range": validation.Explanation("value", "A percentage outside 0–100", "Give the percentage as a number from 0 to 100 (87 or 87%, not 0.87 or 870)"),
    "count_not_negative": validation.Explanation("value", "A count below zero", "Counts cannot be negative"),
    "numerator_within_denominator": validation.Explanation("numerator", "The numerator is larger than the denominator", "Check that the two columns are not swapped"),
    "value_matches_fraction": validation.Explanation("value", "The value does not match numerator ÷ denominator", "Recalculate the percentage, or correct the numerator or denominator"),
    "period_fits_frequency": validation.Explanation("period", "The period does not fit the KPI's frequency", "Use a month for a monthly KPI, a quarter for a quarterly one and a year for an annual one"),
}


@dataclass(frozen=True)
class CheckResult:
    """Rows that passed (typed, with the file's `row` number), and every problem found."""

    frame: pl.DataFrame
    problems: pl.DataFrame

    @property
    def valid(self) -> bool:
        return not P.has_errors(self.problems)


@dataclass(frozen=True)
class Rule:
    """One row-level check: where `when` holds, report `problem` about `column`."""

    when: pl.Expr
    column: str
    value: pl.Expr
    problem: pl.Expr | str
    fix: pl.Expr | str
    severity: P.Severity = "error"


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=OBSERVATION_SCHEMA)


def as_text(frame: pl.DataFrame, keep_row: bool = False) -> pl.DataFrame:
    """Observations with plain text columns, ready to stack with other files (and the file's row number if asked)."""
    columns = ["row", *OBSERVATION_SCHEMA] if keep_row and "row" in frame.columns else list(OBSERVATION_SCHEMA)
    return frame.select(columns).cast(OBSERVATION_SCHEMA)


def _area_hint(areas: pl.DataFrame) -> str:
    listed = [f"{a} ({c})" for a, c in zip(areas["area"], areas["code"], strict=True)]
    more = f" and {len(listed) - 8} more in areas.csv" if len(listed) > 8 else ""
    return "Use an area name or code: " + ", ".join(listed[:8]) + more


def _label_table(labels: list[str]) -> tuple[pl.DataFrame, int]:
    """Each distinct label parsed once, and how many readings of each it holds (1, or 4).

    A label that could be read two ways (2011-12) is parsed again for every frequency,
    so that each row can take the reading that fits its KPI; the table then holds the
    plain reading followed by one block per frequency.
    """
    parsed = periods.parse_labels(pl.Series(labels, dtype=pl.String)).drop("frequency")
    table = pl.DataFrame({"raw_period": labels}, schema={"raw_period": pl.String}).join(parsed, on="raw_period", how="left", maintain_order="left")
    variants = 1
    if table["period_ambiguous"].any():
        two_way = [label for label, flag in zip(labels, table["period_ambiguous"], strict=True) if flag]
        blocks = [table]
        for frequency in FREQUENCIES:
            reread = periods.parse_labels(pl.Series(two_way, dtype=pl.String), pl.Series([frequency] * len(two_way), dtype=pl.String)).drop("frequency")
            blocks.append(table.update(reread, on="raw_period", include_nulls=True))
        table = pl.concat(blocks)
        variants = 1 + len(FREQUENCIES)
    table = table.with_columns(_canonical_columns(table))
    labels_in_use = pl.concat([table[c] for c in table.columns if c == "period" or c.startswith("period_as_")])
    canonical = labels_in_use.drop_nulls().unique().sort().to_list()
    kinds = pl.Enum([k.value for k in periods.PeriodKind])
    return table.with_columns(
        *(pl.col(c).cast(pl.Enum(canonical)) for c in table.columns if c == "period" or c.startswith("period_as_")),
        *(pl.col(c).cast(kinds) for c in table.columns if c == "period_kind" or c.startswith("kind_as_")),
    ), variants


CANONICAL_FREQUENCIES = sorted({frequency for frequency, _ in periods.CANONICAL_KIND})


def _canonical_columns(table: pl.DataFrame) -> list[pl.Series]:
    """Per frequency that stores some kind as another (quarterly: calendar quarters as financial ones),
    the label and kind each parsed period takes for a KPI of that frequency."""
    parsed = [
        periods.make_period(periods.PeriodKind(kind), start) if kind is not None else None
        for kind, start in zip(table["period_kind"], table["period_start"], strict=True)
    ]
    out = []
    for frequency in CANONICAL_FREQUENCIES:
        same = [periods.canonical_for(p, frequency) if p is not None else None for p in parsed]
        out.append(pl.Series(f"period_as_{frequency}", [p.label if p else None for p in same], pl.String))
        out.append(pl.Series(f"kind_as_{frequency}", [str(p.kind) if p else None for p in same], pl.String))
    return out


def _canonical_expr(table: pl.DataFrame, column: str, index: pl.Expr) -> pl.Expr:
    """`period` or `period_kind` of each row, as stored for the row's KPI frequency."""
    prefix = "period_as_" if column == "period" else "kind_as_"
    expr = pl.lit(table[column]).gather(index)
    for frequency in CANONICAL_FREQUENCIES:
        expr = pl.when(pl.col("frequency") == frequency).then(pl.lit(table[f"{prefix}{frequency}"]).gather(index)).otherwise(expr)
    return expr.alias(column)


def _report(frame: pl.DataFrame, file: str, rules: list[Rule]) -> list[pl.DataFrame]:
    """Problem rows for every rule that fires; one pass finds which rules fire at all."""
    fired = frame.select(rule.when.any().alias(str(i)) for i, rule in enumerate(rules)).row(0)
    lazy = [
        P.row_problems(frame, file, rule.when, rule.column, rule.value, rule.problem, rule.fix, rule.severity)
        for rule, hit in zip(rules, fired, strict=True) if hit
    ]
    return pl.collect_all(lazy) if lazy else []


def check_observations(text: pl.DataFrame, catalogue: pl.DataFrame, areas: pl.DataFrame, file: str, today: date | None = None) -> CheckResult:
    """Normalise and validate a text frame of observations (as `readers` returns it).

    The steps: the required columns are there; each cell is typed (KPI, area, numbers, period
    read for its KPI's frequency); every row rule and the duplicate-key rules are reported in
    one pass; the pandera schema checks what is left; rows free of errors are kept.
    """
    missing = [c for c in REQUIRED if c not in text.columns]
    column_warnings = column_hints(text, file)
    if missing:
        return CheckResult(empty(), P.combine([column_warnings, _missing_columns(file, missing)]))
    today = today or date.today()
    text = text.with_columns(pl.lit(None, pl.String).alias(c) for c in OPTIONAL if c not in text.columns)
    typed = _typed_rows(text, catalogue, areas)
    key_ok = pl.col("_kpi").is_not_null() & pl.col("_area").is_not_null() & pl.col("period").is_not_null() & pl.col("value").is_not_null()
    rules = _row_rules(typed, catalogue, areas, today)
    typed, duplicate_rules = _duplicate_rules(typed, key_ok, areas.height)
    row_problems = _report(typed, file, rules + duplicate_rules)
    report = likely_mistakes(P.combine([column_warnings, *row_problems, _schema_problems(typed, file)]), typed, file)
    # Text columns stay categories (Enum) here; the store turns them into plain text.
    return CheckResult(_accepted_rows(typed, report, key_ok, has_duplicates=bool(duplicate_rules)).select("row", *OBSERVATION_SCHEMA.keys()), report)


def _missing_columns(file: str, missing: list[str]) -> pl.DataFrame:
    return P.file_problem(
        file, f"Missing required column(s): {', '.join(missing)}",
        f"The header must include {', '.join(REQUIRED)} (optional: {', '.join(OPTIONAL)}); see the template",
        column=", ".join(missing))


def _casts(text: pl.DataFrame, kpi_type: pl.Enum, area_type: pl.Enum, lookup: dict[str, str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """KPI and area as categories and the numbers as floats, and the distinct period labels."""
    # Fast path, all columns at once: plain casts to the known categories and to numbers.
    casts, labels = pl.collect_all([
        text.lazy().select(
            pl.col("kpi_id").cast(kpi_type, strict=False).alias("_kpi"),
            pl.col("area").cast(area_type, strict=False).alias("_area"),
            *(fast_number(c) for c in NUMBERS),
        ),
        text.lazy().select(pl.col("period").drop_nulls().unique()),
    ])
    # Slow path, only for a column where a cast missed something the user wrote.
    slow = {
        "_kpi": readers.strip_cells(pl.col("kpi_id")).str.to_lowercase().cast(kpi_type, strict=False),
        "_area": readers.strip_cells(pl.col("area")).str.to_lowercase().replace_strict(lookup, default=None).cast(area_type, strict=False),
    } | {c: parse_number(c) for c in NUMBERS}
    source = {"_kpi": "kpi_id", "_area": "area"} | {c: c for c in NUMBERS}
    redo = [slow[c].alias(c) for c in casts.columns if casts[c].null_count() > text[source[c]].null_count()]
    if redo:
        casts = casts.with_columns(text.select(redo))
    return casts, labels


def _period_index(table: pl.DataFrame, variants: int) -> pl.Expr:
    """Each row's position in the table `_label_table` returns.

    That table is `variants` blocks of equal height: the plain reading of every label, then
    (only when some label reads two ways) one block per frequency, in `FREQUENCIES` order.
    A row takes its label's place in the block of its KPI's frequency (the plain block for none).
    """
    label_type = pl.Enum(table["raw_period"].head(table.height // variants).to_list())
    period_index = pl.col("raw_period").cast(label_type, strict=False).to_physical().cast(pl.Int64)
    if variants > 1:
        # A label like 2011-12 is read by each row's KPI frequency: the table holds every reading.
        period_index = (pl.col("frequency").to_physical().cast(pl.Int64).fill_null(-1) + 1) * (table.height // variants) + period_index
    return period_index


def _typed_rows(text: pl.DataFrame, catalogue: pl.DataFrame, areas: pl.DataFrame) -> pl.DataFrame:
    """The raw text beside its typed reading, with the catalogue columns the checks need."""
    kpi_type, area_type = pl.Enum(catalogue["kpi_id"].to_list()), pl.Enum(areas["area"].to_list())
    casts, labels = _casts(text, kpi_type, area_type, A.lookup(areas))
    info = catalogue.select(
        pl.col("unit").cast(pl.Enum(list(UNITS))), pl.col("frequency").cast(pl.Enum(list(FREQUENCIES))),
        "decimals", pl.col("target").alias("catalogue_target"),
    )
    table, variants = _label_table(labels["period"].to_list())
    period_index = _period_index(table, variants)
    kpi_index = pl.col("_kpi").to_physical()
    return (
        pl.concat([text.select("row", *(pl.col(c).alias(f"raw_{c}") for c in (*KEY, *NUMBERS)), "note"), casts], how="horizontal")
        .with_columns(
            # Looked up per row only where a check can use them: decimals with fractions, the
            # catalogue target where some KPI has none.
            pl.lit(info[c]).gather(kpi_index).alias(c) if needed else pl.lit(None, info[c].dtype).alias(c)
            for c, needed in {
                "unit": True, "frequency": True,
                "decimals": casts["numerator"].null_count() < casts.height and casts["denominator"].null_count() < casts.height,
                "catalogue_target": info["catalogue_target"].null_count() > 0,
            }.items()
        )
        .with_columns(period_index.alias("_period_index"))
        .with_columns(
            # A period is stored under one label for its KPI's frequency (2025 Q1 is 2024/25 Q4 for a quarterly KPI).
            *(_canonical_expr(table, c, pl.col("_period_index")) for c in ("period", "period_kind")),
            *(pl.lit(table[c]).gather(pl.col("_period_index")).alias(c) for c in ("period_start", "period_end")),
            (pl.lit(table["period_error"]).gather(pl.col("_period_index")) if table["period_error"].null_count() < table.height
             else pl.lit(None, pl.String)).alias("period_error"),
            pl.col("_kpi").alias("kpi_id"),
            pl.col("_area").alias("area"),
            kpi_index.alias("_kpi_index"),
        )
    )


def _row_rules(typed: pl.DataFrame, catalogue: pl.DataFrame, areas: pl.DataFrame, today: date) -> list[Rule]:
    """Every rule that looks at one row at a time."""
    kpi_ids = catalogue["kpi_id"].to_list()
    known = pl.col("_kpi").is_not_null()
    unknown_ids = (
        typed.filter(~known & pl.col("raw_kpi_id").is_not_null())["raw_kpi_id"].str.strip_chars().unique().to_list()
        if typed["_kpi"].null_count() > typed["raw_kpi_id"].null_count() else []
    )
    hints = {u: (f"Did you mean '{s}'? " if (s := C.suggest(u.lower(), kpi_ids)) else "") for u in unknown_ids}
    no_target_ids = catalogue.filter(pl.col("target").is_null())["kpi_id"]
    no_target = known & pl.col("target").is_null() & pl.col("_kpi").is_in(no_target_ids.implode())
    rules = [
        Rule(pl.col("raw_kpi_id").is_null(), "kpi_id", pl.col("raw_kpi_id"), "The KPI id is empty", "Fill in the KPI id from the catalogue"),
        Rule(~known & pl.col("raw_kpi_id").is_not_null(), "kpi_id", pl.col("raw_kpi_id"), pl.format("Unknown KPI id '{}'", pl.col("raw_kpi_id")),
             pl.col("raw_kpi_id").str.strip_chars().replace_strict(hints, default="", return_dtype=pl.String) + pl.lit("KPI ids are listed in the catalogue (Definitions page)")),
        Rule(pl.col("raw_area").is_null(), "area", pl.col("raw_area"), "The area is empty", _area_hint(areas)),
        Rule(pl.col("raw_area").is_not_null() & pl.col("_area").is_null(), "area", pl.col("raw_area"), pl.format("Unknown area '{}'", pl.col("raw_area")), _area_hint(areas)),
        Rule(pl.col("raw_period").is_null(), "period", pl.col("raw_period"), "The period is empty", f"Write the period, e.g. {periods.ACCEPTED_FORMS}"),
        Rule(pl.col("period_error").is_not_null(), "period", pl.col("raw_period"), pl.col("period_error"), f"Accepted forms are {periods.ACCEPTED_FORMS}"),
        Rule(pl.col("raw_value").is_null(), "value", pl.col("raw_value"), "The value is empty", "Enter the figure, or remove the row if there is none for this period"),
        *(Rule(pl.col(f"raw_{c}").is_not_null() & pl.col(c).is_null(), c, pl.col(f"raw_{c}"), number_problem(f"raw_{c}"), NUMBER_FIX)
          for c in NUMBERS),
        Rule(pl.col("period_start").is_between(pl.lit(today), pl.lit(periods.future_limit(today)), closed="right"), "period",
             pl.col("raw_period"), "This period has not started yet", "Check the period; figures are usually for a past period", "warning"),
        Rule(pl.col("period_start") > pl.lit(periods.future_limit(today)), "period", pl.col("raw_period"),
             pl.format("This period starts more than a year after today ({})", pl.lit(today.isoformat())),
             "Check the year: figures are for past periods (two-digit years are read as 1950–2049)"),
        # Half a fraction gives no interval, and must not feed a parent figure derived from the areas' counts.
        Rule(pl.col("unit").is_in(["percent", "rate"]) & pl.col("numerator").is_not_null() & pl.col("denominator").is_null(),
             "denominator", pl.col("raw_denominator"), "numerator without denominator",
             "Give both the numerator and the denominator, or neither; without both there is no interval and no derived total", "warning"),
        Rule(pl.col("unit").is_in(["percent", "rate"]) & pl.col("numerator").is_null() & pl.col("denominator").is_not_null(),
             "numerator", pl.col("raw_numerator"), "denominator without numerator",
             "Give both the numerator and the denominator, or neither; without both there is no interval and no derived total", "warning"),
    ]

    if no_target_ids.len():
        # One warning per KPI is enough for the reader.
        rules.append(Rule(no_target & (pl.col("row") == pl.col("row").filter(no_target).min().over("_kpi")), "target", pl.col("raw_kpi_id"),
                          "This KPI has no target, so it will be shown without a RAG status",
                          "Add a target to the catalogue or a target column to the file, if there is one", "warning"))

    return rules


def _duplicate_rules(typed: pl.DataFrame, key_ok: pl.Expr, n_areas: int) -> tuple[pl.DataFrame, list[Rule]]:
    """Rows repeating an earlier row's KPI, area and period; none (and the frame untouched) when there are none."""
    # Duplicate keys: one cheap count on an integer key, and the detail only when there are any.
    n_periods = len(typed["period"].dtype.categories) + 1
    key = (
        (pl.col("_kpi_index").cast(pl.Int64) * n_areas + pl.col("_area").to_physical().cast(pl.Int64)) * n_periods
        + pl.col("period").to_physical().cast(pl.Int64)
    )
    has_duplicates = typed.select(key.filter(key_ok).n_unique() < key_ok.sum()).item()
    if not has_duplicates:
        return typed, []
    typed = typed.with_columns(pl.when(key_ok).then(key).alias("_key"))
    typed = typed.with_columns(
        pl.col("row").min().over("_key").alias("_first_row"),
        pl.col("value").n_unique().over("_key").alias("_distinct"),
    )
    repeat = pl.col("_key").is_not_null() & (pl.col("row") != pl.col("_first_row"))
    return typed, [
        Rule(repeat & (pl.col("_distinct") > 1), "value", pl.col("raw_value"),
             pl.format("The same KPI, area and period as row {} with a different value", pl.col("_first_row")), "Keep one row per KPI, area and period"),
        Rule(repeat & (pl.col("_distinct") == 1), "value", pl.col("raw_value"), pl.format("Repeats row {}", pl.col("_first_row")),
             "Delete the repeated row", "warning"),
    ]


def _schema_problems(typed: pl.DataFrame, file: str) -> pl.DataFrame:
    """The pandera schema over the typed rows, reported against the text as written."""
    raw = typed.select("row", *(pl.col(f"raw_{c}").alias(c) for c in (*KEY, *NUMBERS)))
    schema = ObservationModel.to_schema().update_columns({
        # The text columns are categories here; their dtype names the categories this file may hold.
        "kpi_id": {"dtype": typed["kpi_id"].dtype}, "area": {"dtype": typed["area"].dtype},
        "period": {"dtype": typed["period"].dtype}, "period_kind": {"dtype": typed["period_kind"].dtype},
        "unit": {"dtype": typed["unit"].dtype}, "frequency": {"dtype": typed["frequency"].dtype},
    })
    return validation.validate(schema, typed, file, EXPLAIN, raw=raw)


def _accepted_rows(typed: pl.DataFrame, report: pl.DataFrame, key_ok: pl.Expr, has_duplicates: bool) -> pl.DataFrame:
    """Rows with a full key and no error, the first of any repeated key."""
    errors = report.filter((pl.col("severity") == "error") & pl.col("row").is_not_null())["row"]
    good = typed.filter(key_ok)
    if errors.len():
        good = good.filter(~pl.col("row").is_in(errors.implode()))
    if has_duplicates:
        good = good.filter(pl.col("row") == pl.col("_first_row"))
    return good


FORMULA_FIX = "In Excel, copy the cells and paste them back as values, or open the file in Excel and save it so the results are stored"
EXCEL_ERROR = r"^#(DIV/0!|N/A|VALUE!|REF!|NAME\?|NUM!|NULL!|SPILL!|CALC!)$"


def column_hints(text: pl.DataFrame, file: str) -> pl.DataFrame:
    """A warning for each column the board does not read whose name is close to one it reads and the file lacks."""
    absent = [c for c in (*REQUIRED, *OPTIONAL) if c not in text.columns]
    unknown = [c for c in text.columns if c != "row" and c not in (*REQUIRED, *OPTIONAL)]
    return P.combine([
        P.file_problem(file, f"The column '{c}' is not one the board reads: did you mean '{s}'?",
                       f"Rename the column to '{s}'; as it stands its figures are left out", "warning", c)
        for c in unknown if (s := C.suggest(c, absent))
    ])


def likely_mistakes(report: pl.DataFrame, typed: pl.DataFrame, file: str) -> pl.DataFrame:
    """The report with the likely causes named: formulas and Excel errors instead of figures, and fractions for percentages.

    A cell holding a formula is reported as one, in place of the row rules' generic
    problem about that cell ("not a number", "unknown KPI id"). A percentage KPI whose
    figures in this file all lie within 0–1 is a warning: they look like fractions.
    """
    # Only cells that failed to read as what their column holds can be formulas or Excel errors.
    failed = {c: pl.col(c).is_null() for c in NUMBERS} | {"kpi_id": pl.col("_kpi").is_null(), "area": pl.col("_area").is_null(),
                                                           "period": pl.col("period").is_null()}
    failed = {c: miss & pl.col(f"raw_{c}").is_not_null() for c, miss in failed.items()}
    suspects = typed.filter(pl.any_horizontal(failed.values()))
    cells = [
        P.row_problems(suspects, file, failed[c] & when, c, pl.col(f"raw_{c}"), problem, fix)
        for c in (*KEY, *NUMBERS)
        for when, problem, fix in (
            (pl.col(f"raw_{c}").str.strip_chars().str.starts_with("="),
             pl.format("The cell holds a formula with no saved value, not a figure: '{}'", pl.col(f"raw_{c}")), FORMULA_FIX),
            (pl.col(f"raw_{c}").str.strip_chars().str.contains(EXCEL_ERROR), pl.format("'{}' is an Excel error, not a figure", pl.col(f"raw_{c}")),
             "Correct the formula in Excel, or enter the figure, and save the file again"),
        )
    ] if suspects.height else []
    formulas = P.combine(cells) if cells else P.empty()
    is_percent = (pl.col("unit") == "percent") & pl.col("value").is_not_null()
    percent = (
        typed.lazy().filter(is_percent)
        .group_by("_kpi").agg(pl.col("row").min(), pl.col("raw_kpi_id").first(), pl.col("value").min().alias("_low"),
                              pl.col("value").max().alias("_high"), pl.col("value").is_between(0, 1, closed="none").any().alias("_fraction"))
        .filter((pl.col("_low") >= 0) & (pl.col("_high") <= 1) & pl.col("_fraction"))
    )
    fractions = P.row_problems(
        percent, file, pl.lit(True), "value", pl.col("_high"),
        pl.format("Every value of the percentage KPI '{}' in this file lies within 0–1: they look like fractions", pl.col("raw_kpi_id")),
        "Multiply by 100 (0.87 is 87%), or check the figures; publish them as they are if they are right", "warning",
    ) if typed.select((is_percent & pl.col("value").is_between(0, 1, closed="none")).any()).item() else P.empty()
    if formulas.height:
        report = report.join(formulas.select("row", "column"), on=["row", "column"], how="anti", nulls_equal=False)
    return P.combine([report, formulas, fractions])


def check_file(path: Path | str, data: bytes | Path, catalogue: pl.DataFrame, areas: pl.DataFrame, today: date | None = None) -> CheckResult:
    """Check CSV bytes (or a file Polars reads directly); `path` names the file in the report."""
    name = Path(path).name
    text = readers.read_text_csv(data, name, strip=False)
    if text.frame is None:
        return CheckResult(empty(), text.problems)
    result = check_observations(text.frame, catalogue, areas, name, today)
    frame = empty() if P.has_errors(text.problems) else result.frame
    return CheckResult(frame, P.combine([text.problems, result.problems]))
