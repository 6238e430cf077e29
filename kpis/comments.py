"""Commentary per KPI and period: what happened, what is being done, and who owns it.

Comments are kept as published figures are (see `batches`): `comments.jsonl` in the data
folder is an append-only log, one JSON object per line with a checksum of the rest, written
in one append with fsync under the publish lock. Nothing is ever rewritten or deleted: a
correction is a new comment that `replaces` an earlier one, and a withdrawal is a line of
its own; the earlier text stays in the log and in `history`. A damaged line is kept as it
is, reported as a problem row and left out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from kpis import batches as B
from kpis import problems as P
from kpis.periods import PeriodError, parse_period

FILE = "comments.jsonl"
MAX_TEXT = 2000  # characters per field

# The entries, declared: each action's required fields, then the optional ones.
FIELDS: dict[str, dict[str, type]] = {
    "comment": {"comment_id": str, "kpi_id": str, "period": str, "what_happened": str, "user": str, "at": str},
    "withdraw": {"comment_id": str, "user": str, "at": str},
}
OPTIONAL_FIELDS: dict[str, dict[str, type]] = {"comment": {"area": str, "action_taken": str, "owner": str, "replaces": str}}

SCHEMA = {"comment_id": pl.String, "kpi_id": pl.String, "period": pl.String, "area": pl.String, "what_happened": pl.String,
          "action_taken": pl.String, "owner": pl.String, "user": pl.String, "at": pl.String, "replaces": pl.String,
          "state": pl.String}
STATES = ("current", "replaced", "withdrawn")


class CommentError(ValueError):
    """A comment that cannot be kept: the reason and its fix."""

    def __init__(self, problem: str, fix: str) -> None:
        self.problem, self.fix = problem, fix
        super().__init__(f"{problem}. {fix}")


@dataclass(frozen=True)
class Draft:
    kpi_id: str
    period: str
    what_happened: str
    action_taken: str = ""
    owner: str = ""
    area: str = ""
    replaces: str = ""


def _problem(line: int | None, column: str | None, text: str, problem: str) -> dict[str, object]:
    return {"file": FILE, "row": line, "column": column, "value": text[:120], "problem": problem,
            "fix": "The line is kept as it is and left out; compare the file with a backup", "severity": "error"}


def entry_problem(entry: object) -> tuple[str | None, str] | None:
    """What is wrong with one parsed line, as (field, problem), or None for a valid entry."""
    if not isinstance(entry, dict):
        return None, "Not a comment entry (not a JSON object)"
    if found := B.typed_fields_problem(entry, FIELDS, OPTIONAL_FIELDS):
        return found
    if entry.get(B.CHECK_FIELD) != B.checksum(entry):
        return B.CHECK_FIELD, "The checksum does not match: the line was changed or cut"
    return None


def read(data_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every comment ever kept, with its state (current, replaced, withdrawn), and the problems found."""
    path = data_dir / FILE
    if not path.exists():
        return pl.DataFrame(schema=SCHEMA), P.empty()
    rows, problems, states = [], [], {}
    for number, line in enumerate(path.read_bytes().decode("utf-8", errors="replace").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            problems.append(_problem(number, None, line, "Not whole JSON (the line was cut short or changed)"))
            continue
        if (found := entry_problem(entry)) is not None:
            problems.append(_problem(number, found[0], line, found[1]))
            continue
        if entry["action"] == "withdraw":
            states[entry["comment_id"]] = "withdrawn"
            continue
        if entry.get("replaces"):
            states.setdefault(entry["replaces"], "replaced")
        rows.append({k: entry.get(k) for k in SCHEMA if k != "state"})
    frame = pl.DataFrame(rows, schema={k: v for k, v in SCHEMA.items() if k != "state"})
    frame = frame.with_columns(pl.col("comment_id").replace_strict(states, default="current", return_dtype=pl.String).alias("state"))
    return frame.select(list(SCHEMA)), pl.DataFrame(problems, schema=P.PROBLEM_SCHEMA)


def _clean(text: str, field: str, required: bool = False) -> str:
    text = (text or "").strip()
    if required and not text:
        raise CommentError(f"'{field}' is empty", f"Write what {field.replace('_', ' ')} says")
    if len(text) > MAX_TEXT:
        raise CommentError(f"'{field}' is {len(text)} characters long", f"Shorten it to at most {MAX_TEXT} characters")
    return text


def add(data_dir: Path, draft: Draft, user: str, known_kpis: set[str]) -> str:
    """Keep a comment (checked first) and return its id; raises CommentError or batches.BusyError."""
    if draft.kpi_id not in known_kpis:
        raise CommentError(f"There is no KPI '{draft.kpi_id}'", "Choose a KPI from the catalogue")
    try:
        period = parse_period(draft.period).label
    except PeriodError as error:
        raise CommentError(f"'{draft.period}' is not a period", "Write it as e.g. 2024/25 Q1 or Jun 2024") from error
    entry: dict[str, object] = {
        "action": "comment", "comment_id": B.new_batch_id(), "kpi_id": draft.kpi_id, "period": period,
        "what_happened": _clean(draft.what_happened, "what_happened", required=True), "user": _clean(user, "user", required=True), "at": B.now(),
    }
    for name in ("area", "action_taken", "owner", "replaces"):
        if value := _clean(getattr(draft, name), name):
            entry[name] = value
    with B.locked(data_dir):
        if draft.replaces:
            existing, _ = read(data_dir)
            if draft.replaces not in set(existing["comment_id"]):
                raise CommentError(f"There is no comment '{draft.replaces}' to correct", "Choose a comment shown on the page")
        B.append_audit(data_dir, [entry], file=FILE)
    return str(entry["comment_id"])


def withdraw(data_dir: Path, comment_id: str, user: str) -> None:
    """Withdraw a comment: a line of its own; the comment stays in the log."""
    with B.locked(data_dir):
        existing, _ = read(data_dir)
        if comment_id not in set(existing["comment_id"]):
            raise CommentError(f"There is no comment '{comment_id}'", "Choose a comment shown on the page")
        B.append_audit(data_dir, [{"action": "withdraw", "comment_id": comment_id, "user": user, "at": B.now()}], file=FILE)


def for_kpi(frame: pl.DataFrame, kpi_id: str, until_periods: list[str] | None = None, include_old: bool = False) -> pl.DataFrame:
    """A KPI's comments, newest first; only current ones unless `include_old`."""
    out = frame.filter(pl.col("kpi_id") == kpi_id)
    if not include_old:
        out = out.filter(pl.col("state") == "current")
    if until_periods is not None:
        out = out.filter(pl.col("period").is_in(until_periods))
    return out.sort("at", descending=True)
