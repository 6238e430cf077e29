"""Benchmark: the files store against the PostgreSQL store, in the same run.

1. Board load (`store.load`, cold) of a 288,000-row history published as ten yearly batches.
2. Publish of a 10,000-row batch (`publish.publish`: rows, records, audit, one commit).
3. Two board servers on one database, 20 page loads at once spread across them (headless
   Chromium): errors, p50 and p95.

Targets: 1 and 2 at most 2x the files store. The database is a real server started in a
temporary folder (as the tests start it). Run with `make bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import polars as pl  # noqa: E402

from kpis import backends, config, layouts, pg, synthetic  # noqa: E402
from kpis import publish as pub  # noqa: E402
from kpis import store as S  # noqa: E402


def write_registry(folder: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    catalogue, areas = synthetic.large_registry(200, 12)
    (folder / "observations").mkdir(parents=True)
    catalogue.write_csv(folder / "catalogue.csv")
    areas.write_csv(folder / "areas.csv")
    return catalogue, areas


def history_parts(catalogue: pl.DataFrame, areas: pl.DataFrame) -> list[backends.Part]:
    history = synthetic.large_history(catalogue, areas, years=10).with_columns(
        pl.col("value").cast(pl.String), *(pl.lit(None, pl.String).alias(c) for c in ("numerator", "denominator", "target", "note")))
    years = history.with_columns(pl.col("period").str.slice(0, 4).alias("_year")).partition_by("_year", as_dict=True, maintain_order=True)
    return [(part.select(layouts.CANONICAL), f"history-{year}.csv", "0" * 64, {"new": part.height, "revised": 0, "unchanged": 0})
            for (year,), part in years.items()]


def timed(action, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def store_figures(folder: Path, url: str | None, upload: bytes, runs: int) -> dict[str, float]:
    if url:
        os.environ[config.ENV_DATABASE_URL] = url
    else:
        os.environ.pop(config.ENV_DATABASE_URL, None)
    loaded = S.load(folder)
    rows = loaded.observations.height
    load_s = timed(lambda: S.load(folder), runs)
    checked = pub.check_uploads([pub.Upload("upload.csv", upload)], loaded)
    assert all(c.valid for c in checked), checked[0].problems
    publish_s = timed(lambda: pub.publish(folder, checked, loaded, "bench"), runs)
    return {"rows": rows, "load": load_s, "publish": publish_s}


async def page_loads(bases: list[str], count: int) -> tuple[list[float], list[str]]:
    from playwright.async_api import async_playwright
    from test_browser import CHROMIUM, CHROMIUM_ARGS, DONE

    errors: list[str] = []

    async def one(browser, base: str) -> float:
        page = await browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("pageerror", lambda e: errors.append(str(e)))
        start = time.perf_counter()
        await page.goto(base, wait_until="domcontentloaded", timeout=180_000)
        for _ in range(3):  # a run can start again at once (query parameters): it must stay finished for a moment
            await page.wait_for_selector(DONE, timeout=180_000)
            await page.wait_for_timeout(300)
        took = time.perf_counter() - start
        if await page.locator('[data-testid="stException"]').count():
            errors.append(f"exception on {base}")
        await page.close()
        return took

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for base in bases:  # each server loads and caches the store once first
            await one(browser, base)
        times = await asyncio.gather(*(one(browser, bases[i % len(bases)]) for i in range(count)))
        await browser.close()
    return list(times), errors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", type=int, default=20)
    args = parser.parse_args()
    import logging

    import pg_server

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    if reason := pg_server.missing_reason():
        print(f"store benchmark skipped: {reason}")
        return
    server = pg_server.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            files_dir, pg_dir = Path(tmp) / "files", Path(tmp) / "pg"
            catalogue, areas = write_registry(files_dir)
            write_registry(pg_dir)
            url = server.create_database("kpi_bench")
            pg.init(url)
            parts = history_parts(catalogue, areas)
            backends.FilesBackend(files_dir).write_batches(parts, "bench")
            pg.PostgresBackend(url).write_batches(parts, "bench")
            upload = synthetic.million_row_csv(catalogue, areas, rows=10_000)
            files = store_figures(files_dir, None, upload, args.runs)
            database = store_figures(pg_dir, url, upload, args.runs)
            print(f"store benchmark: median of {args.runs}; history {files['rows']:,} current rows in {len(parts)} batches")
            print(f"{'':<26} {'files ms':>9} {'postgres ms':>12} {'ratio':>7}   target: ratio <= 2")
            for key, label in (("load", "board load (store.load)"), ("publish", "publish 10,000 rows")):
                f, d = files[key] * 1000, database[key] * 1000
                print(f"{label:<26} {f:9.0f} {d:12.0f} {d / f:7.2f}   {'ok' if d <= 2 * f else 'MISSED'}")

            from test_browser import serve

            os.environ[config.ENV_DATABASE_URL] = url
            servers = [serve(pg_dir), serve(pg_dir)]
            bases = [next(s) for s in servers]
            try:
                times, errors = asyncio.run(page_loads(bases, args.pages))
            finally:
                for s in servers:
                    next(s, None)
            q = statistics.quantiles(times, n=20, method="inclusive")
            print(f"two servers, {args.pages} overview loads at once: errors {len(errors)}, p50 {statistics.median(times) * 1000:.0f} ms, "
                  f"p95 {q[18] * 1000:.0f} ms, max {max(times) * 1000:.0f} ms" + (f"; first error: {errors[0][:200]}" if errors else ""))
    finally:
        pg_server.stop(server)


if __name__ == "__main__":
    main()
