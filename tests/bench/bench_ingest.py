"""Benchmark: reading and validating a 1,000,000-row observations file.

(a) a bare `pl.read_csv`; (b) the board's full read + normalise + validate;
(c) a straightforward pandas + pandera(pandas) equivalent of (b).
Medians of several runs in one process, then each variant once in a fresh process
for its peak memory (resident set size). Run with `make bench`.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402

from kpis import ingest, periods, synthetic  # noqa: E402


def variant_a(path: Path, catalogue: pl.DataFrame, areas: pl.DataFrame) -> int:
    return pl.read_csv(path).height


def variant_b(path: Path, catalogue: pl.DataFrame, areas: pl.DataFrame) -> int:
    result = ingest.check_file(path.name, path, catalogue, areas)
    assert result.valid, result.problems.head()
    return result.frame.height


def variant_c(path: Path, catalogue: pl.DataFrame, areas: pl.DataFrame) -> int:
    """The same steps written the usual pandas way: strings in, normalise, merge, validate."""
    import pandas as pd
    import pandera.pandas as pa

    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    frame.columns = [c.strip().lower().replace(" ", "_") for c in frame.columns]
    frame["row"] = range(2, len(frame) + 2)
    for column in frame.columns.drop("row"):
        frame[column] = frame[column].str.strip()
    lookup = {k: v for k, v in zip(areas["area"].str.to_lowercase(), areas["area"], strict=True)}
    lookup |= {k: v for k, v in zip(areas["code"].str.to_lowercase(), areas["area"], strict=True)}
    frame["kpi_id"] = frame["kpi_id"].str.lower()
    frame["area"] = frame["area"].str.lower().map(lookup)
    for column in ("value", "numerator", "denominator", "target"):
        text = frame[column].str.rstrip("%").str.replace(",", "", regex=False)
        frame[column] = pd.to_numeric(text, errors="coerce")
    info = catalogue.select("kpi_id", "unit", "frequency", "decimals").to_pandas()
    frame = frame.merge(info, on="kpi_id", how="left")
    pairs = frame[["period", "frequency"]].drop_duplicates().dropna(subset=["period"])
    parsed = [periods.try_parse(p, f) for p, f in zip(pairs["period"], pairs["frequency"], strict=True)]
    pairs["period_start"] = pd.to_datetime([p.start if isinstance(p, periods.Period) else None for p in parsed])
    pairs["period_kind"] = [str(p.kind) if isinstance(p, periods.Period) else None for p in parsed]
    pairs["period_label"] = [p.label if isinstance(p, periods.Period) else None for p in parsed]
    frame = frame.merge(pairs, on=["period", "frequency"], how="left")
    frame["period"] = frame.pop("period_label")
    allowed = {"monthly": ["month"], "quarterly": ["fy_quarter", "quarter"], "annual": ["fy", "year"]}
    schema = pa.DataFrameSchema(
        {
            "kpi_id": pa.Column(str, pa.Check.isin(catalogue["kpi_id"].to_list())),
            "area": pa.Column(str, pa.Check.isin(areas["area"].to_list())),
            "period": pa.Column(str),
            "value": pa.Column(float),
            "numerator": pa.Column(float, pa.Check.ge(0), nullable=True),
            "denominator": pa.Column(float, pa.Check.gt(0), nullable=True),
        },
        checks=[
            pa.Check(lambda d: (d["unit"] != "percent") | d["value"].between(0, 100), name="percent_in_range"),
            pa.Check(lambda d: (d["unit"] != "count") | (d["value"] >= 0), name="count_not_negative"),
            pa.Check(lambda d: ~(d["numerator"] > d["denominator"]), name="numerator_within_denominator"),
            pa.Check(lambda d: (d["frequency"] + "/" + d["period_kind"]).isin([f"{f}/{k}" for f, ks in allowed.items() for k in ks]), name="period_fits_frequency"),
            pa.Check(lambda d: ~d.duplicated(["kpi_id", "area", "period"], keep=False), name="unique_key"),
        ],
    )
    schema.validate(frame, lazy=True)
    return len(frame)


VARIANTS = {"a": variant_a, "b": variant_b, "c": variant_c}


def time_runs(fn, path: Path, catalogue, areas, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn(path, catalogue, areas)
        out.append(time.perf_counter() - start)
    return out


def peak_rss_mib(variant: str, path: Path) -> float:
    done = subprocess.run([sys.executable, __file__, "--memory", variant, "--file", str(path)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)["peak_rss_mib"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--memory", choices=VARIANTS)
    parser.add_argument("--file")
    args = parser.parse_args()
    catalogue, areas = synthetic.large_registry()
    if args.memory:
        VARIANTS[args.memory](Path(args.file), catalogue, areas)
        # VmHWM, not ru_maxrss: the latter carries the parent's peak across fork and exec.
        status = Path("/proc/self/status").read_text()
        peak_kib = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), None)
        if peak_kib is None:
            peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"peak_rss_mib": peak_kib / 1024}))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "observations.csv"
        path.write_bytes(synthetic.million_row_csv(catalogue, areas, rows=args.rows))
        print(f"ingest benchmark: {args.rows:,} rows, {path.stat().st_size / 2**20:.1f} MiB, {pl.thread_pool_size()} Polars threads")
        for fn in VARIANTS.values():  # warm up imports and caches
            fn(path, catalogue, areas)
        # Interleave the variants so that load on a shared machine falls on all of them alike.
        times: dict[str, list[float]] = {k: [] for k in VARIANTS}
        for _ in range(args.runs):
            for key, fn in VARIANTS.items():
                times[key] += time_runs(fn, path, catalogue, areas, 1)
        medians = {k: statistics.median(v) for k, v in times.items()}
        memory = {k: peak_rss_mib(k, path) for k in VARIANTS}
        names = {"a": "bare pl.read_csv", "b": "board read + normalise + validate", "c": "pandas + pandera(pandas)"}
        for key in VARIANTS:
            print(f"({key}) {names[key]:<36} median {medians[key] * 1000:8.0f} ms   peak RSS {memory[key]:7.0f} MiB   runs: "
                  + ", ".join(f"{t * 1000:.0f}" for t in times[key]))
        print(f"b/a = {medians['b'] / medians['a']:.2f} (target <= 2.0)   c/b = {medians['c'] / medians['b']:.1f} (target >= 3)")


if __name__ == "__main__":
    main()
