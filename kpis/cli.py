"""`python -m kpis`: validate files and print the KPI summary, as the app computes them.

Exit codes: 0 valid or done (warnings allowed), 1 invalid, rejected or failed, 2 usage error.
Whatever a file holds, the answer is a report, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from kpis import config, ingest, store, summary
from kpis import problems as P
from kpis.periods import PeriodError, parse_period
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
    hash_ = sub.add_parser("hash-passphrase", help="print the [analyst] lines for .streamlit/secrets.toml (reads the passphrase from stdin)")
    hash_.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    for p in (validate, summary_, ingest_, history_, undo_, restore_):
        p.add_argument("--data-dir", help=f"data folder (default: ${config.ENV_DATA_DIR}, then ./data)")
        p.add_argument("--json", action="store_true", help="print JSON")
    return parser


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
        print(json.dumps({"valid": valid, "problems": problems.to_dicts()}, ensure_ascii=False, indent=1))
    else:
        _print_problems(problems)
        errors = problems.filter(pl.col("severity") == "error").height
        print(f"{'valid' if valid else 'invalid'}: {errors} error(s), {problems.height - errors} warning(s) in {len(args.files)} file(s)")
    return 0 if valid else 1


def cmd_summary(args: argparse.Namespace) -> int:
    data = store.load(config.data_dir(args.data_dir))
    if not data.ok:
        _print_problems(data.problems)
        return 1
    try:
        period = parse_period(args.period) if args.period else summary.default_period(data)
    except PeriodError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
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
        print(json.dumps(summary.summary_records(frame), ensure_ascii=False, default=str, indent=1))
        return 0
    print(f"KPI summary at {period}" if period else "KPI summary")
    for r in frame.iter_rows(named=True):
        value = summary.format_value(r["value"], r["unit"], r["decimals"])
        target = summary.format_target(r["target"], r["target_wording"], r["unit"], r["decimals"])
        print(f"{r['kpi_id']:<26} {r['code'] or r['area']:<6} {value:>9}  target {target:<28} {r['period']:<11} "
              f"{rag_label(r['rag']):<12} {direction_label(r['arrow'], r['direction'])}")
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
    ok = not any(u.height for u in unreadable) and not P.has_errors(problems) and any(c.frame.height for c in checked)
    infos = []
    if ok:
        try:
            infos = publish.publish(data_dir, checked, data, args.user or batches.local_user())
        except batches.BusyError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps({"published": ok, "batches": [i.__dict__ for i in infos], "problems": problems.to_dicts()}, ensure_ascii=False, indent=1))
    else:
        _print_problems(problems)
        for info in infos:
            print(f"published {info.source} as batch {info.batch_id}: {info.rows} row(s)")
        if not ok:
            print("rejected: nothing was written")
    return 0 if ok else 1


def cmd_history(args: argparse.Namespace) -> int:
    from kpis import batches

    frame = batches.history(config.data_dir(args.data_dir))
    if args.json:
        print(json.dumps(frame.to_dicts(), ensure_ascii=False, indent=1))
        return 0
    if frame.height == 0:
        print("no batches published yet")
    for r in frame.iter_rows(named=True):
        state = f"withdrawn {r['withdrawn_at']} by {r['withdrawn_by']}" if r["withdrawn"] else "in force"
        print(f"{r['batch_id']}  {r['published_at']}  {r['user']:<20} {r['source']:<30} {r['rows']:>7} rows  sha256 {r['sha256'][:12]}…  {state}")
    return 0


def _set_withdrawn(args: argparse.Namespace, withdrawn: bool) -> int:
    from kpis import batches

    try:
        batches.set_withdrawn(config.data_dir(args.data_dir), args.batch_id, args.user or batches.local_user(), withdrawn)
    except batches.UnknownBatchError:
        print(f"error: no batch {args.batch_id}; see `python -m kpis history`", file=sys.stderr)
        return 1
    except batches.BusyError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{'withdrew' if withdrawn else 'restored'} batch {args.batch_id}")
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


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {
        "validate": cmd_validate, "summary": cmd_summary, "ingest": cmd_ingest, "history": cmd_history,
        "undo": lambda a: _set_withdrawn(a, True), "restore": lambda a: _set_withdrawn(a, False), "hash-passphrase": cmd_hash,
    }
    try:
        return commands[args.command](args)
    except Exception as error:
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
