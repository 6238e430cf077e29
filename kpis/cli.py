"""`python -m kpis`: validate files and print the KPI summary, as the app computes them.

Exit codes: 0 valid or done (warnings allowed), 1 invalid, rejected or problems found, 2 usage
or environment error (disk full, read-only folder, another publish holding the lock).
Whatever a file holds, the answer is a report, never a traceback; with --json, always JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from kpis import backends, config, ingest, store, summary
from kpis import problems as P
from kpis.periods import ACCEPTED_FORMS, Period, PeriodError, parse_period
from kpis.styles import direction_label, rag_label


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m kpis", description="KPI performance board: check files and print the KPI summary.")
    sub = parser.add_subparsers(dest="command", required=True)
    validate = sub.add_parser("validate", help="check observation files against the catalogue and areas")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.add_argument("--mapping", help="a saved column mapping (data folder's mappings/NAME.json)")
    validate.add_argument("--sheet", help="the Excel sheet to read (default: the first)")
    summary_ = sub.add_parser("summary", help="the KPI summary table, as in the published report")
    summary_.add_argument("--period", help="reporting period, e.g. '2024/25 Q1' (default: the latest in the data)")
    summary_.add_argument("--area", help="area name or code (default: every area)")
    ingest_ = sub.add_parser("ingest", help="check files and publish them as batches (nothing is written if any file has an error)")
    ingest_.add_argument("files", nargs="+", metavar="FILE")
    ingest_.add_argument("--mapping", help="a saved column mapping (data folder's mappings/NAME.json)")
    ingest_.add_argument("--sheet", help="the Excel sheet to read (default: the first)")
    ingest_.add_argument("--user", help="who is publishing (default: the local user)")
    history_ = sub.add_parser("history", help="published batches")
    undo_ = sub.add_parser("undo", help="withdraw a batch (it is kept and can be restored)")
    restore_ = sub.add_parser("restore", help="bring a withdrawn batch back")
    for p in (undo_, restore_):
        p.add_argument("batch_id", metavar="BATCH_ID")
        p.add_argument("--user", help="who is acting (default: the local user)")
    check_ = _add_check_parser(sub)
    localities_ = sub.add_parser("localities", help="each child area against its parent: 95%% interval by unit and comparison")
    localities_.add_argument("--period", help="reporting period, e.g. '2024/25 Q1' (default: the latest in the data)")
    localities_.add_argument("--parent", help="parent area name or code (default: the top area)")
    hash_ = sub.add_parser("hash-passphrase", help="print the [analyst] lines for .streamlit/secrets.toml (reads the passphrase from stdin)")
    hash_.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    _spc_parser(sub)
    changes_, freshness_ = _changes_parsers(sub)
    comment_ = sub.add_parser("comment", help="add a dated comment to a KPI and period (kept in the data folder's comments.jsonl)")
    comment_.add_argument("--kpi", required=True, help="KPI id")
    comment_.add_argument("--period", required=True, help="the period it is about, e.g. '2024/25 Q1'")
    comment_.add_argument("--text", required=True, help="what happened")
    comment_.add_argument("--action", default="", help="what is being done")
    comment_.add_argument("--owner", default="", help="who owns the action")
    comment_.add_argument("--area", default="", help="the area it is about (default: all)")
    comment_.add_argument("--user", help="who is writing (default: the local user)")
    comments_ = sub.add_parser("comments", help="comments on KPIs, newest first")
    comments_.add_argument("--kpi", help="only this KPI")
    comments_.add_argument("--all", action="store_true", help="also corrected and withdrawn comments")
    for p in (changes_, freshness_, comment_, comments_):
        p.add_argument("--data-dir", help=f"data folder (default: ${config.ENV_DATA_DIR}, then ./data)")
        p.add_argument("--json", action="store_true", help="print JSON")
    _add_mapping_parser(sub)
    _db_parser(sub)
    _pack_parser(sub)
    parser.add_argument("--database-url", help=f"keep batches and the audit log in PostgreSQL (default: ${config.ENV_DATABASE_URL}; unset: the data folder)")
    for p in (validate, summary_, ingest_, history_, undo_, restore_, check_, localities_):
        p.add_argument("--data-dir", help=f"data folder (default: ${config.ENV_DATA_DIR}, then ./data)")
        p.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _finite_only(value: object) -> object:
    """The value with every NaN or infinite float replaced by null, through lists and dicts."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_only(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_only(v) for v in value]
    return value


def to_json(value: object) -> str:
    """Strict JSON for every `--json` output: NaN and infinity become null, never the non-JSON `NaN`."""
    return json.dumps(_finite_only(value), ensure_ascii=False, default=str, indent=1, allow_nan=False)


def _spc_parser(sub: argparse._SubParsersAction) -> None:
    spc_ = sub.add_parser("spc", help="statistical process control (XmR chart): limits, special causes, variation and assurance")
    spc_.add_argument("--values", help="a series in time order, e.g. '45,46,47'")
    spc_.add_argument("--improvement", choices=["increase", "decrease", "neutral"], help="which direction is better (with --values)")
    spc_.add_argument("--target", type=float, help="the target, for the assurance icon (with --values)")
    spc_.add_argument("--fix-after", type=int, metavar="N", help="each group's limits from its first N points (with --values)")
    spc_.add_argument("--rebase", metavar="POSITIONS", help="0-based positions where a new group starts, e.g. '12,30' (with --values)")
    spc_.add_argument("--kpi", help="a kpi_id: analyse its history from the data folder (with --area)")
    spc_.add_argument("--area", help="area name or code (with --kpi)")
    spc_.add_argument("--period", help="the history up to and including this period (with --kpi; default: all of it)")
    spc_.add_argument("--no-screen", action="store_true", help="keep every moving range (no screening at 3.267 x their mean)")
    spc_.add_argument("--data-dir", help=f"data folder (default: ${config.ENV_DATA_DIR}, then ./data)")
    spc_.add_argument("--json", action="store_true", help="print JSON")


def _pack_parser(sub: argparse._SubParsersAction) -> None:
    pack_ = sub.add_parser("pack", help="the committee pack: the presenter's deck as PDF or PowerPoint")
    pack_.add_argument("--period", help="reporting period, e.g. '2024/25 Q1' (default: the latest in the data)")
    pack_.add_argument("--area", help="area name or code (default: the top area)")
    pack_.add_argument("--kpis", help="kpi_ids in the order of their slides, e.g. 'mmr_24m,rtl_uptake' (default: every KPI)")
    pack_.add_argument("--format", choices=["pdf", "pptx"], required=True, help="pdf or pptx")
    pack_.add_argument("--out", required=True, metavar="FILE", help="the file to write")
    pack_.add_argument("--data-dir", help=f"data folder (default: ${config.ENV_DATA_DIR}, then ./data)")
    pack_.add_argument("--json", action="store_true", help="print JSON")


def _print_problems(problems: pl.DataFrame) -> None:
    for r in problems.iter_rows(named=True):
        where = f"row {r['row']}" if r["row"] is not None else "file"
        column = f", column {r['column']}" if r["column"] else ""
        value = f" (value: {r['value']!r})" if r["value"] is not None else ""
        print(f"{r['file']}: {where}{column}: {r['severity']}: {r['problem']}{value}. Fix: {r['fix']}")


def _read_file(path: Path) -> bytes | pl.DataFrame:
    """A file's bytes, or the problem that stops it being read: missing, unreadable, or over the size limit (checked first)."""
    try:
        if reason := config.too_large(path.stat().st_size):
            return P.file_problem(path.name, reason, "Split it into smaller files")
        return path.read_bytes()
    except OSError as error:
        return P.file_problem(path.name, f"The file could not be opened ({error.strerror or type(error).__name__})", "Check the file name and path")


def _check_content(path: Path, content: bytes, data: store.Store) -> pl.DataFrame:
    """The problems of one file: a workbook is read as Excel, anything else as CSV."""
    from kpis import layouts

    if layouts.is_excel(content) and path.suffix.lower() != ".csv":
        text = layouts.read_excel(content, path.name)
        if text.frame is None:
            return text.problems
        return P.combine([text.problems, ingest.check_observations(text.frame, data.catalogue, data.areas, path.name).problems])
    return ingest.check_file(path, content, data.catalogue, data.areas).problems


def cmd_validate(args: argparse.Namespace) -> int:
    data_dir = config.data_dir(args.data_dir)
    data = store.load(data_dir)
    reports = [data.problems.filter(pl.col("file").is_in(["catalogue.csv", "areas.csv"]))]
    if data.ok and args.mapping:
        reports += _mapped_reports(args, data_dir, data)
    elif data.ok:
        for name in args.files:
            path = Path(name)
            content = _read_file(path)
            reports.append(content if isinstance(content, pl.DataFrame) else _check_content(path, content, data))
    problems = P.combine(reports)
    valid = not P.has_errors(problems)
    if args.json:
        print(to_json({"valid": valid, "problems": problems.to_dicts()}))
    else:
        _print_problems(problems)
        errors = P.error_count(problems)
        print(f"{'valid' if valid else 'invalid'}: {errors} error(s), {problems.height - errors} warning(s) in {len(args.files)} file(s)")
    return 0 if valid else 1


def _mapped_reports(args: argparse.Namespace, data_dir: Path, data: store.Store) -> list[pl.DataFrame]:
    """The problems of each file read through a saved mapping, as `ingest --mapping` would find them."""
    from kpis import layouts, publish

    mapping, problems = layouts.read_mapping(data_dir, args.mapping)
    if mapping is None:
        return [problems]
    reports, uploads = [], []
    for name in args.files:
        content = _read_file(Path(name))
        if isinstance(content, pl.DataFrame):
            reports.append(content)
        else:
            uploads.append(publish.Upload(Path(name).name, content, args.sheet))
    return reports + [c.problems for c in publish.check_uploads(uploads, data, mapping, max_bytes=config.max_upload_bytes())]


def _add_mapping_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    mapping_ = sub.add_parser("mapping", help="saved column mappings for other systems' exports")
    actions = mapping_.add_subparsers(dest="action", required=True)
    suggest_ = actions.add_parser("suggest", help="propose a mapping from a file's headers and contents, save it, and say what was inferred")
    suggest_.add_argument("file", metavar="FILE")
    suggest_.add_argument("--name", required=True, help="the mapping's name (saved as mappings/NAME.json)")
    suggest_.add_argument("--sheet", help="the Excel sheet to read (default: the first)")
    for p in (suggest_,):
        p.add_argument("--data-dir", help=f"data folder (default: ${config.ENV_DATA_DIR}, then ./data)")
        p.add_argument("--json", action="store_true", help="print JSON")
    return mapping_


def cmd_mapping(args: argparse.Namespace) -> int:
    from kpis import batches, layouts
    from kpis import suggest as S

    data_dir = config.data_dir(args.data_dir)
    data = store.load(data_dir)
    content = _read_file(Path(args.file))
    if not data.ok or isinstance(content, pl.DataFrame):
        problems = data.problems if not data.ok else content
        print(to_json({"saved": False, "problems": problems.to_dicts()})) if args.json else _print_problems(problems)
        return 1
    text = layouts.read_any(content, Path(args.file).name, args.sheet)
    if text.frame is None:
        print(to_json({"saved": False, "problems": text.problems.to_dicts()})) if args.json else _print_problems(text.problems)
        return 1
    try:
        path = layouts.mapping_path(data_dir, args.name)
    except ValueError as error:
        _emit_error(args, str(error), "Choose another name")
        return 2
    found = S.suggest(text.frame, data.catalogue, data.areas)
    try:
        layouts.save_mapping(data_dir, args.name, found.mapping)
    except (batches.BusyError, OSError) as error:
        return _environment_error(args, error)
    if args.json:
        print(to_json({"saved": True, "name": args.name, "path": str(path)} | found.record()))
        return 0
    print(f"saved mapping '{args.name}' as {path}")
    for line in found.inferred:
        print(f"inferred: {line}")
    for line in found.not_inferred:
        print(f"not inferred: {line}")
    return 0


def _store_at_period(args: argparse.Namespace) -> tuple[store.Store, Period | None] | int:
    """The store as it may be shown (small numbers suppressed) and the chosen period (default: the latest started one),
    or the exit code after saying why not."""
    data = _shown_store(config.data_dir(args.data_dir))
    if not data.ok:
        _print_problems(data.problems)
        return 1
    try:
        return data, parse_period(args.period) if args.period else summary.default_period(data)
    except PeriodError as error:
        _emit_error(args, str(error), f"Write the period in one of the accepted forms: {ACCEPTED_FORMS}")
        return 2


def _shown_store(data_dir: Path) -> store.Store:
    """The data folder's store as any output may show it: small numbers suppressed (kpis.suppression).
    Every command that prints or writes figures loads through here; validate, ingest and mapping read the stored figures."""
    from kpis import suppression

    return suppression.shown(store.load(data_dir))


def cmd_summary(args: argparse.Namespace) -> int:
    loaded = _store_at_period(args)
    if isinstance(loaded, int):
        return loaded
    data, period = loaded
    areas = None
    if args.area:
        from kpis.areas import lookup

        name = lookup(data.areas).get(args.area.strip().lower())
        if name is None:
            print(f"error: unknown area '{args.area}'", file=sys.stderr)
            return 2
        areas = [name]
    frame = summary.latest(data, period, areas)
    if args.json:
        print(to_json(summary.summary_records(frame)))
        return 0
    print(f"KPI summary at {period}" if period else "KPI summary")
    from kpis import suppression

    for r in frame.iter_rows(named=True):
        value = suppression.text(r, r["unit"], r["decimals"])
        target = summary.format_target(r["target"], r["target_wording"], r["unit"], r["decimals"])
        print(f"{r['kpi_id']:<26} {r['code'] or r['area']:<6} {value:>9}  target {target:<28} {r['period']:<11} "
              f"{rag_label(r['rag']):<12} {direction_label(r['arrow'], r['direction'], r['change_significant'])}"
              + (f"  {suppression.sentence(r)}" if suppression.is_suppressed(r) else ""))
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from kpis import batches, layouts, publish

    data_dir = config.data_dir(args.data_dir)
    data = store.load(data_dir)
    if not data.ok:
        _print_problems(data.problems)
        return 1
    mapping, unreadable = None, []
    if args.mapping:
        mapping, mapping_problems = layouts.read_mapping(data_dir, args.mapping)
        unreadable.append(mapping_problems)
    uploads = []
    for name in args.files:
        content = _read_file(Path(name))
        if isinstance(content, pl.DataFrame):
            unreadable.append(content)
        else:
            uploads.append(publish.Upload(Path(name).name, content, args.sheet))
    # Files are checked only with the mapping they were meant for: a broken mapping is reported alone.
    checked = publish.check_uploads(uploads, data, mapping, max_bytes=config.max_upload_bytes()) if mapping or not args.mapping else []
    problems = P.combine([*unreadable, *(c.problems for c in checked)])
    ok = not any(u.height for u in unreadable) and publish.blocked_reason(checked) is None
    infos = []
    if ok:
        try:
            infos = publish.publish(data_dir, checked, data, args.user or batches.local_user(), mapping=args.mapping)
        except (batches.BusyError, OSError) as error:
            return _environment_error(args, error)
    unchanged = ok and not infos  # every figure is in force as it is: nothing to publish
    if args.json:
        print(to_json({"published": ok and not unchanged, "unchanged": unchanged, "batches": [i.__dict__ for i in infos], "problems": problems.to_dicts()}))
    else:
        _print_problems(problems)
        for info in infos:
            print(f"published {info.source} as batch {info.batch_id}: {info.rows} row(s)" + (f" with the mapping '{args.mapping}'" if args.mapping else ""))
        if unchanged:
            print("nothing published: every figure is already in force as it is")
        if not ok:
            print("rejected: nothing was written")
    return 0 if ok else 1


def cmd_history(args: argparse.Namespace) -> int:

    found = backends.report(config.data_dir(args.data_dir))
    frame = found.history
    if args.json:
        print(to_json({"batches": frame.to_dicts(), "problems": found.problems.to_dicts()}))
        return 0
    _print_problems(found.problems)
    if frame.height == 0:
        print("no batches published yet")
    for r in frame.iter_rows(named=True):
        state = f"withdrawn {r['withdrawn_at']} by {r['withdrawn_by']}" if r["state"] == "withdrawn" else r["state"]
        note = f"  ({r['note']})" if r["note"] else ""
        note += f"  mapping {r['mapping']}" if r.get("mapping") else ""
        print(f"{r['batch_id']}  {r['published_at']}  {r['user']:<20} {r['source']:<30} {r['rows']:>7} rows  sha256 {r['sha256'][:12]}…  {state}{note}")
    return 0


def _set_withdrawn(args: argparse.Namespace, withdrawn: bool) -> int:
    from kpis import batches

    try:
        changed = backends.set_withdrawn(config.data_dir(args.data_dir), args.batch_id, args.user or batches.local_user(), withdrawn)
    except batches.UnknownBatchError:
        print(f"error: no batch {args.batch_id}; see `python -m kpis history`", file=sys.stderr)
        return 1
    except batches.BrokenBatchError:
        print(f"error: batch {args.batch_id} cannot be restored: its file is missing; see `python -m kpis check`", file=sys.stderr)
        return 1
    except (batches.BusyError, OSError) as error:
        return _environment_error(args, error)
    if not changed:  # asking for the state a batch is already in is an error: nothing is written
        print(f"error: batch {args.batch_id} is already {'withdrawn' if withdrawn else 'in force'}: nothing changed", file=sys.stderr)
        return 1
    print(f"{'withdrew' if withdrawn else 'restored'} batch {args.batch_id}")
    return 0


def _add_check_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    check_ = sub.add_parser("check", help="look for temporary files, orphan or missing batch files and damaged audit lines")
    check_.add_argument("--repair", action="store_true", help="move temporary files and orphan batches aside into set-aside/<time>/ (nothing is deleted)")
    return check_


def cmd_check(args: argparse.Namespace) -> int:
    """Exit 0 when nothing is found, 1 when something is (with --repair: something that needs a person), 2 on an environment error."""
    from kpis import batches

    try:
        findings = backends.check(config.data_dir(args.data_dir), repair=args.repair)
    except (batches.BusyError, OSError) as error:
        return _environment_error(args, error)
    remaining = findings.filter(pl.col("moved_to").is_null())
    if args.json:
        print(to_json({"clean": findings.height == 0, "findings": findings.to_dicts()}))
    else:
        for r in findings.iter_rows(named=True):
            where = f"{r['file']} line {r['row']}" if r["row"] is not None else r["file"]
            done = f" Moved to {r['moved_to']}." if r["moved_to"] else f" Fix: {r['fix']}"
            print(f"{where}: {r['kind']}: {r['problem']}.{done}")
        print("clean: nothing found" if findings.height == 0 else f"{findings.height} finding(s), {remaining.height} left for a person")
    return 1 if remaining.height else 0


def _emit_error(args: argparse.Namespace, problem: str, fix: str) -> None:
    if getattr(args, "json", False):
        print(to_json({"error": {"problem": problem, "fix": fix}}))
    else:
        print(f"error: {problem}. Fix: {fix}", file=sys.stderr)


def _environment_error(args: argparse.Namespace, error: BaseException) -> int:
    """Disk full, read-only folder, no permission, lock held: exit 2 with its own message and fix."""
    from kpis import publish

    problem, fix = publish.explain_error(error) or (f"{type(error).__name__}: {error}", "Try again")
    _emit_error(args, problem, fix)
    return 2


LOCALITY_FIELDS = ("kpi_id", "area", "period", "value", "low", "high", "method", "parent_value", "parent_period", "parent_derived",
                   "comparison", "reason")


def cmd_localities(args: argparse.Namespace) -> int:
    from kpis import areas as A
    from kpis import views

    loaded = _store_at_period(args)
    if isinstance(loaded, int):
        return loaded
    data, period = loaded
    parent = A.lookup(data.areas).get(args.parent.strip().lower()) if args.parent else next(iter(A.roots(data.areas)), None)
    if parent is None:
        print(f"error: unknown area '{args.parent}'", file=sys.stderr)
        return 2
    frame = views.localities(data, period, parent)
    fields = [*LOCALITY_FIELDS, *(c for c in ("suppressed", "suppression_reason") if c in frame.columns)]
    records = frame.select(fields).to_dicts() if frame.height else []
    if args.json:
        print(to_json(records))
        return 0
    if not records:
        print(f"{parent}: no figures for its areas" + (f" at or before {period}" if period else ""))
        return 0
    print(f"Areas of {parent} at {period}" if period else f"Areas of {parent}")
    for r in records:
        interval = f"{r['low']:.2f}–{r['high']:.2f}" if r["low"] is not None else "–"
        against = "–" if r["parent_value"] is None else f"{r['parent_value']:g} ({r['parent_period']}{', derived' if r['parent_derived'] else ''})"
        verdict = r["comparison"] + (f": {r['reason']}" if r["reason"] else "")
        value = "suppressed" if r.get("suppressed") else f"{r['value']:g}"
        print(f"{r['kpi_id']:<26} {r['area']:<12} {r['period']:<11} {value:>10}  {interval:<17} {r['method']:<13} {parent} {against:<28} {verdict}")
    return 0


def cmd_hash(args: argparse.Namespace) -> int:
    from kpis import access

    passphrase = sys.stdin.readline().rstrip("\n")
    if len(passphrase) < 12:
        print("error: use a passphrase of at least 12 characters", file=sys.stderr)
        return 2
    salt, digest = access.hash_passphrase(passphrase)
    print(f'[analyst]\npassphrase_salt = "{salt}"\npassphrase_hash = "{digest}"')
    return 0


class UsageError(ValueError):
    """A command line that cannot be acted on: exit 2 with the message."""


def _numbers(text: str, kind: type, what: str) -> list:
    try:
        numbers = [kind(part) for part in text.replace(" ", "").split(",") if part != ""]
    except ValueError:
        raise UsageError(f"{what} must be numbers separated by commas, e.g. '45,46,47'") from None
    if any(isinstance(n, float) and not math.isfinite(n) for n in numbers):
        raise UsageError(f"{what} must be finite numbers")
    return numbers


def _spc_result(args: argparse.Namespace):
    """The SPC analysis the arguments ask for; UsageError when they do not make sense."""
    from kpis import spc
    from kpis.spc import baselines

    if (args.values is None) == (args.kpi is None):
        raise UsageError("give either --values (with --improvement) or --kpi with --area")
    if args.values is not None:
        if args.improvement is None:
            raise UsageError("--values needs --improvement increase, decrease or neutral")
        if args.area or args.period:
            raise UsageError("--area and --period go with --kpi, not --values")
        values = _numbers(args.values, float, "--values")
        if not values:
            raise UsageError("--values holds no numbers")
        rebase = _numbers(args.rebase, int, "--rebase") if args.rebase else []
        if args.target is not None and not math.isfinite(args.target):
            raise UsageError("--target must be a finite number")
        try:
            return spc.analyse(values, args.improvement, args.target, args.fix_after, rebase, not args.no_screen), None
        except ValueError as error:
            raise UsageError(str(error)) from None
    if args.area is None:
        raise UsageError("--kpi needs --area")
    if args.improvement or args.target is not None or args.fix_after is not None or args.rebase:
        raise UsageError("--improvement, --target, --fix-after and --rebase go with --values; for a KPI they come from the "
                         "catalogue and spc_baselines.csv")
    data_dir = config.data_dir(args.data_dir)
    data = _shown_store(data_dir)  # a suppressed figure is left out of the series, as the pages leave it out
    if not data.ok:
        _print_problems(data.problems)
        raise SystemExit(1)
    if data.kpi(args.kpi) is None:
        raise UsageError(f"unknown KPI '{args.kpi}'")
    from kpis.areas import lookup

    area = lookup(data.areas).get(args.area.strip().lower())
    if area is None:
        raise UsageError(f"unknown area '{args.area}'")
    try:
        period = parse_period(args.period) if args.period else None
    except PeriodError as error:
        raise UsageError(str(error)) from None
    found, problems = baselines.load(data_dir, data.catalogue, data.areas)
    for r in problems.iter_rows(named=True):
        print(f"warning: {r['file']}: row {r['row']}: {r['problem']} ({r['column']}: {r['value']!r}); that row is left out. Fix: {r['fix']}",
              file=sys.stderr)
    result = spc.for_store(data, args.kpi, area, period, found, not args.no_screen)
    if result is None:
        print(f"error: {args.kpi} has no figures for {area}" + (f" up to {period}" if period else ""), file=sys.stderr)
        raise SystemExit(1)
    return result, f"{args.kpi} · {area}"


def _finite(value: object) -> object:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def spc_record(result) -> dict:
    """The JSON shape of an SPC result (strict JSON: no NaN)."""
    group_keys = ("start", "n", "mean", "amr", "lpl", "upl", "l2s", "u2s", "short_group_warning")
    return {
        "groups": [{k: _finite(g[k]) for k in group_keys} for g in result.groups.iter_rows(named=True)],
        "points": [{k: _finite(p[k]) for k in ("index", "value", "point_type")} for p in result.points.iter_rows(named=True)],
        "variation": result.variation,
        "assurance": result.assurance,
    }


def cmd_spc(args: argparse.Namespace) -> int:
    from kpis.spc import icons
    from kpis.spc.rules import RULE_WORDS

    try:
        result, title = _spc_result(args)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except SystemExit as stop:
        return int(stop.code or 1)
    if args.json:
        print(to_json(spc_record(result)))
        return 0
    number = lambda v: "–" if v is None or not math.isfinite(v) else f"{v:,.4g}"
    print(f"XmR chart{' for ' + title if title else ''}: {len(result.points)} point(s), improvement: {result.improvement}")
    for g in result.groups.iter_rows(named=True):
        since = f" from {g['period']}" if g.get("period") else ""
        reason = f" ({g['reason']})" if g.get("reason") else ""
        print(f"group from point {g['start']}{since}{reason}: n={g['n']} mean={number(g['mean'])} limits {number(g['lpl'])} to "
              f"{number(g['upl'])}, 2 sigma {number(g['l2s'])} to {number(g['u2s'])}"
              + ("  warning: fewer than 13 points, the limits are uncertain" if g["short_group_warning"] else ""))
    for p in result.points.iter_rows(named=True):
        label = p.get("period") or ""
        print(f"{p['index']:>4} {label:<12} {number(p['value']):>10}  {icons.POINT_WORDS[p['point_type']]:<32} {RULE_WORDS.get(p['rule'], '')}")
    print(f"variation: {icons.label(result.variation)}")
    print(f"assurance: {icons.label(result.assurance) if result.assurance else 'none (no target, or a neutral KPI)'}")
    return 0


def _changes_parsers(sub: argparse._SubParsersAction) -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    changes_ = sub.add_parser("changes", help="what changed: each KPI and area now against an earlier period, with status and freshness")
    changes_.add_argument("--period", help="reporting period, e.g. '2024/25 Q1' (default: the latest in the data)")
    changes_.add_argument("--since", default="previous", help="'previous' (the period before, of the same kind), 'year' (a year earlier) or a period")
    freshness_ = sub.add_parser("freshness", help="is each KPI's latest figure as recent as expected (catalogue's expected_within_days)?")
    freshness_.add_argument("--period", help="judge at the end of this period (default: today, for the latest figures)")
    for p in (changes_, freshness_):
        p.add_argument("--as-of", dest="as_of", help=f"judge freshness at this date, YYYY-MM-DD (default: the period's end, or today or ${config.ENV_TODAY})")
    return changes_, freshness_


def _load_at(args: argparse.Namespace) -> tuple[store.Store, object, object] | int:
    """The store, the selected period (or None) and the as-of date; an exit code on a usage error."""
    from datetime import date

    from kpis import freshness

    data = _shown_store(config.data_dir(args.data_dir))
    if not data.ok:
        _print_problems(data.problems)
        return 1
    try:
        period = parse_period(args.period) if args.period else None
        as_of = date.fromisoformat(args.as_of) if args.as_of else None
    except (PeriodError, ValueError) as error:
        _emit_error(args, str(error), "Give the period as e.g. '2024/25 Q1' and the date as YYYY-MM-DD")
        return 2
    return data, period, as_of or freshness.as_of_for(period, config.today())


def cmd_changes(args: argparse.Namespace) -> int:
    from kpis import changes

    loaded = _load_at(args)
    if isinstance(loaded, int):
        return loaded
    data, period, as_of = loaded
    period = period or summary.default_period(data, config.today())
    if period is None:
        _emit_error(args, "There are no figures to compare", "Add observations to the data folder")
        return 1
    as_of = as_of if args.as_of or args.period else config.today()
    try:
        since = args.since if args.since in changes.SINCE_CHOICES else parse_period(args.since)
    except PeriodError as error:
        _emit_error(args, str(error), "Give --since as 'previous', 'year' or a period such as '2023/24 Q4'")
        return 2
    from kpis import suppression

    frame = changes.changes(data, period, since, as_of)
    flags = ()
    if "suppressed" in data.observations.columns:  # suppression is on: each figure says whether it is shown
        frame = suppression.mark(suppression.mark(frame, data.observations), data.observations, "since_period", "since_")
        flags = ("suppressed", "suppression_reason", "since_suppressed")
    if args.json:
        print(to_json(changes.records(frame, (*changes.CLI_FIELDS, *flags))))
        return 0
    print(f"What changed at {period} since {changes.since_period(period, since)}")
    for r in frame.iter_rows(named=True):
        then = ("suppressed" if r.get("since_suppressed") else "–") if r["since_value"] is None else f"{r['since_value']:g}"
        then += f" ({r['since_period']})" if r["since_value"] is not None or r.get("since_suppressed") else ""
        now = "suppressed" if r.get("suppressed") else f"{r['value']:g}"
        status = rag_label(r["status"]) if not r["status_changed"] else f"{rag_label(r['since_status'])} → {rag_label(r['status'])}"
        direction = direction_label(r["arrow"], r["direction"], r["change_significant"]) if r["direction"] else "no new figure"
        late = f"  overdue by {r['overdue_days']} days" if r["overdue"] else ""
        why = f"  {suppression.sentence(r)}" if r.get("suppressed") else ""
        print(f"{r['kpi_id']:<26} {r['area']:<12} {now:>8} ({r['period']})  was {then:<22} {status:<20} {direction}{late}{why}")
    return 0


def cmd_freshness(args: argparse.Namespace) -> int:
    from kpis import freshness

    loaded = _load_at(args)
    if isinstance(loaded, int):
        return loaded
    data, _, as_of = loaded
    frame = freshness.freshness(data, as_of)
    if args.json:
        print(to_json(freshness.records(frame)))
        return 0
    print(f"Freshness at {as_of.isoformat()}")
    for r in frame.iter_rows(named=True):
        state = freshness.overdue_words(r["overdue_days"]) or ("on time" if r["overdue"] is False else "no expected date set")
        due = freshness.due_words(r["due_by"]) or ""
        print(f"{r['kpi_id']:<26} {r['area']:<12} latest {r['latest_period']:<11} expected {r['expected_period'] or '–':<11} {state:<22} {due}")
    return 0


def cmd_comment(args: argparse.Namespace) -> int:
    from kpis import batches, comments

    folder = config.data_dir(args.data_dir)
    data = store.load(folder)
    draft = comments.Draft(args.kpi.strip().lower(), args.period, args.text, args.action, args.owner, args.area)
    try:
        comment_id = comments.add(folder, draft, args.user or batches.local_user(), set(data.catalogue["kpi_id"]))
    except comments.CommentError as error:
        _emit_error(args, error.problem, error.fix)
        return 1
    except batches.BusyError as error:
        return _environment_error(args, error)
    print(to_json({"comment_id": comment_id}) if args.json else f"Comment {comment_id} kept for {draft.kpi_id} at {draft.period}")
    return 0


def cmd_comments(args: argparse.Namespace) -> int:
    from kpis import comments

    frame, problems = comments.read(config.data_dir(args.data_dir))
    if args.kpi:
        frame = comments.for_kpi(frame, args.kpi.strip().lower(), include_old=args.all)
    elif not args.all:
        frame = frame.filter(frame["state"] == "current").sort("at", descending=True)
    if args.json:
        print(to_json({"comments": frame.to_dicts(), "problems": problems.to_dicts()}))
        return 0
    if problems.height:
        _print_problems(problems)
    for r in frame.iter_rows(named=True):
        print(f"{r['at'][:10]} {r['kpi_id']:<26} {r['period']:<11} {r['user']:<12} {r['state']:<9} {r['what_happened']}"
              + (f" | doing: {r['action_taken']}" if r["action_taken"] else "") + (f" | owner: {r['owner']}" if r["owner"] else ""))
    return 0


def _closed_pipe() -> int:
    """The reader went away (`summary | head`): stop quietly; stdout is pointed at nothing so the final flush cannot fail."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (a test's capture): nothing to redirect
        pass
    return 0


def _db_parser(sub: argparse._SubParsersAction) -> None:
    db_ = sub.add_parser("db", help="the PostgreSQL store: create or upgrade its tables, import a data folder, export to one")
    actions = db_.add_subparsers(dest="db_command", required=True)
    init_ = actions.add_parser("init", help="apply the schema migrations not applied yet (safe to run again)")
    import_ = actions.add_parser("import", help="copy a data folder's batches and audit log into an empty database")
    import_.add_argument("--from", dest="source", required=True, metavar="DATA_DIR")
    export_ = actions.add_parser("export", help="write the database's batches and audit log into a data folder that has none")
    export_.add_argument("--to", dest="target", required=True, metavar="DATA_DIR")
    for p in (init_, import_, export_):
        p.add_argument("--database-url", help=f"the database (default: ${config.ENV_DATABASE_URL})")
        p.add_argument("--json", action="store_true", help="print JSON")


def cmd_db(args: argparse.Namespace) -> int:
    """Exit 0 when done, 1 when something was left out (listed), 2 when the database could not be used."""
    from kpis import pg

    url = config.database_url(args.database_url)
    if not url:
        _emit_error(args, "No database given", f"Pass --database-url or set {config.ENV_DATABASE_URL}")
        return 2
    try:
        if args.db_command == "init":
            applied = pg.init(url)
            result = {"applied": applied, "version": pg.latest_version()}
            text = f"schema at version {pg.latest_version()}: " + (f"applied {', '.join(map(str, applied))}" if applied else "already up to date")
        else:
            pg.init(url)
            moved = pg.import_files(url, Path(args.source)) if args.db_command == "import" else pg.export_files(url, Path(args.target))
            result = {"lines": moved.lines, "batches": moved.batches, "skipped": moved.skipped}
            text = "\n".join([*moved.skipped, f"{args.db_command}ed {moved.batches} batch(es) and {moved.lines} audit line(s)"])
    except (pg.DatabaseError, OSError) as error:
        return _environment_error(args, error)
    print(to_json(result) if args.json else text)
    return 1 if result.get("skipped") else 0


def cmd_pack(args: argparse.Namespace) -> int:
    from kpis import areas as A
    from kpis import deck, narratives, pack

    data_dir = config.data_dir(args.data_dir)
    data = _shown_store(data_dir)  # the deck suppresses small numbers itself too; here so that every figure read is as shown
    if not data.ok:
        _print_problems(data.problems)
        return 1
    try:
        period = parse_period(args.period) if args.period else summary.default_period(data)
        area = A.lookup(data.areas).get(args.area.strip().lower()) if args.area else next(iter(A.roots(data.areas)), None)
        if area is None:
            raise UsageError(f"unknown area '{args.area}'")
        kpi_ids = [k.strip() for k in args.kpis.split(",") if k.strip()] if args.kpis else None
        from kpis import comments

        built = deck.build(data, period, area, kpi_ids, narratives.load_all(data_dir / "narratives")[0], comments.read(data_dir)[0])
    except (PeriodError, UsageError, deck.DeckError) as error:
        _emit_error(args, str(error), "Check the command line: python -m kpis pack --help")
        return 2
    out = Path(args.out)
    content = pack.render(built, args.format)
    from kpis import batches

    batches.atomic_write(out, content)
    record = {"file": str(out), "format": args.format, "period": period.label if period else None, "area": area,
              "kpis": list(built.kpi_ids), "slides": len(built.slides), "bytes": len(content)}
    print(to_json(record) if args.json else f"wrote {out}: {len(built.slides)} slides ({args.format}) for {area}, {record['period']}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if getattr(args, "database_url", None) and args.command != "db":
        import os

        # Every store call of this command reads it; put back afterwards, for callers that run several commands in one process.
        before = os.environ.get(config.ENV_DATABASE_URL)
        os.environ[config.ENV_DATABASE_URL] = args.database_url
        try:
            return _run(args)
        finally:
            if before is None:
                os.environ.pop(config.ENV_DATABASE_URL, None)
            else:
                os.environ[config.ENV_DATABASE_URL] = before
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    commands = {
        "validate": cmd_validate, "summary": cmd_summary, "ingest": cmd_ingest, "history": cmd_history,
        "undo": lambda a: _set_withdrawn(a, True), "restore": lambda a: _set_withdrawn(a, False), "hash-passphrase": cmd_hash,
        "spc": cmd_spc, "check": cmd_check, "localities": cmd_localities, "db": cmd_db, "mapping": cmd_mapping, "pack": cmd_pack,
        "changes": cmd_changes, "freshness": cmd_freshness, "comment": cmd_comment, "comments": cmd_comments,
    }
    try:
        return commands[args.command](args)
    except BrokenPipeError:
        return _closed_pipe()
    except Exception as error:
        from kpis import publish

        if publish.explain_error(error):
            return _environment_error(args, error)
        logging.getLogger("kpis").debug("command failed", exc_info=True)
        _emit_error(args, f"The command failed ({type(error).__name__}: {error})", "Run `python -m kpis check`; if it persists, report it with this message")
        return 1
