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

from kpis import config, ingest, store, summary
from kpis import problems as P
from kpis.periods import ACCEPTED_FORMS, Period, PeriodError, parse_period
from kpis.styles import direction_label, rag_label


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m kpis", description="KPI performance board: check files and print the KPI summary.")
    sub = parser.add_subparsers(dest="command", required=True)
    validate = sub.add_parser("validate", help="check observation files against the catalogue and areas")
    validate.add_argument("files", nargs="+", metavar="FILE")
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
    localities_ = sub.add_parser("localities", help="each child area against its parent: 95% interval by unit and comparison")
    localities_.add_argument("--period", help="reporting period, e.g. '2024/25 Q1' (default: the latest in the data)")
    localities_.add_argument("--parent", help="parent area name or code (default: the top area)")
    hash_ = sub.add_parser("hash-passphrase", help="print the [analyst] lines for .streamlit/secrets.toml (reads the passphrase from stdin)")
    hash_.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    _spc_parser(sub)
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
    data = store.load(config.data_dir(args.data_dir))
    reports = [data.problems.filter(pl.col("file").is_in(["catalogue.csv", "areas.csv"]))]
    if data.ok:
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


def _store_at_period(args: argparse.Namespace) -> tuple[store.Store, Period | None] | int:
    """The store and the chosen period (default: the latest started one), or the exit code after saying why not."""
    data = store.load(config.data_dir(args.data_dir))
    if not data.ok:
        _print_problems(data.problems)
        return 1
    try:
        return data, parse_period(args.period) if args.period else summary.default_period(data)
    except PeriodError as error:
        _emit_error(args, str(error), f"Write the period in one of the accepted forms: {ACCEPTED_FORMS}")
        return 2


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
    for r in frame.iter_rows(named=True):
        value = summary.format_value(r["value"], r["unit"], r["decimals"])
        target = summary.format_target(r["target"], r["target_wording"], r["unit"], r["decimals"])
        print(f"{r['kpi_id']:<26} {r['code'] or r['area']:<6} {value:>9}  target {target:<28} {r['period']:<11} "
              f"{rag_label(r['rag']):<12} {direction_label(r['arrow'], r['direction'], r['change_significant'])}")
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
            infos = publish.publish(data_dir, checked, data, args.user or batches.local_user())
        except (batches.BusyError, OSError) as error:
            return _environment_error(args, error)
    if args.json:
        print(to_json({"published": ok, "batches": [i.__dict__ for i in infos], "problems": problems.to_dicts()}))
    else:
        _print_problems(problems)
        for info in infos:
            print(f"published {info.source} as batch {info.batch_id}: {info.rows} row(s)")
        if not ok:
            print("rejected: nothing was written")
    return 0 if ok else 1


def cmd_history(args: argparse.Namespace) -> int:
    from kpis import batches

    found = batches.report(config.data_dir(args.data_dir))
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
        print(f"{r['batch_id']}  {r['published_at']}  {r['user']:<20} {r['source']:<30} {r['rows']:>7} rows  sha256 {r['sha256'][:12]}…  {state}{note}")
    return 0


def _set_withdrawn(args: argparse.Namespace, withdrawn: bool) -> int:
    from kpis import batches

    try:
        changed = batches.set_withdrawn(config.data_dir(args.data_dir), args.batch_id, args.user or batches.local_user(), withdrawn)
    except batches.UnknownBatchError:
        print(f"error: no batch {args.batch_id}; see `python -m kpis history`", file=sys.stderr)
        return 1
    except batches.BrokenBatchError:
        print(f"error: batch {args.batch_id} cannot be restored: its file is missing; see `python -m kpis check`", file=sys.stderr)
        return 1
    except (batches.BusyError, OSError) as error:
        return _environment_error(args, error)
    if not changed:  # asking again for the state a batch is in is not an error: nothing is written
        print(f"batch {args.batch_id} was already {'withdrawn' if withdrawn else 'in force'}: nothing changed")
        return 0
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
        findings = batches.check(config.data_dir(args.data_dir), repair=args.repair)
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
    records = frame.select(LOCALITY_FIELDS).to_dicts() if frame.height else []
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
        print(f"{r['kpi_id']:<26} {r['area']:<12} {r['period']:<11} {r['value']:>10g}  {interval:<17} {r['method']:<13} {parent} {against:<28} {verdict}")
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
    data = store.load(data_dir)
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


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {
        "validate": cmd_validate, "summary": cmd_summary, "ingest": cmd_ingest, "history": cmd_history,
        "undo": lambda a: _set_withdrawn(a, True), "restore": lambda a: _set_withdrawn(a, False), "hash-passphrase": cmd_hash,
        "spc": cmd_spc, "check": cmd_check, "localities": cmd_localities,
    }
    try:
        return commands[args.command](args)
    except Exception as error:
        from kpis import publish

        if publish.explain_error(error):
            return _environment_error(args, error)
        logging.getLogger("kpis").debug("command failed", exc_info=True)
        _emit_error(args, f"The command failed ({type(error).__name__}: {error})", "Run `python -m kpis check`; if it persists, report it with this message")
        return 1
