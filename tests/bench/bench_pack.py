"""Benchmark: the committee pack of the demo data, as PDF and as PowerPoint, as `python -m kpis pack` writes it.

Each format is built by the command's own entry point in one process: the first build also imports the
pack's libraries and starts the chart renderer (reported apart as "first"); the following builds are timed
and their median reported. Run with `make bench`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kpis import cli  # noqa: E402

PERIOD = "2024/25 Q1"


def build(fmt: str, out: Path) -> float:
    started = time.perf_counter()
    with redirect_stdout(StringIO()):
        code = cli.main(["pack", "--period", PERIOD, "--area", "City", "--format", fmt, "--out", str(out), "--data-dir", str(ROOT / "data")])
    took = time.perf_counter() - started
    if code != 0 or not out.exists():
        raise SystemExit(f"pack --format {fmt} failed (exit {code})")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="timed builds per format after the first")
    args = parser.parse_args()
    print(f"committee pack benchmark: demo data, {PERIOD}, City, every KPI; median of {args.runs} builds after the first")
    print("format   first s   median s   pages/slides   size")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("pdf", "pptx"):
            out = Path(tmp) / f"pack.{fmt}"
            first = build(fmt, out)
            times = [build(fmt, out) for _ in range(args.runs)]
            count = _count(fmt, out)
            print(f"{fmt:<8} {first:7.2f}   {statistics.median(times):8.2f}   {count:12d}   {out.stat().st_size / 1024:.0f} KB")


def _count(fmt: str, out: Path) -> int:
    if fmt == "pdf":
        from pypdf import PdfReader

        return len(PdfReader(out).pages)
    from pptx import Presentation

    return len(Presentation(out).slides)


if __name__ == "__main__":
    main()
