"""Benchmark: the files store against the PostgreSQL store, in the same run.

1. Board load (`store.load`, cold) of a 288,000-row history published as ten yearly batches.
2. Publish of a 10,000-row batch (`publish.publish`: rows, records, audit, one commit).
3. Two board servers on one database, 20 overview loads at once spread across them:
   errors, p50 and p95, measured twice. Server side: 20 sessions open the app's WebSocket
   at once and ask for a run, as a browser does, and each is timed until the server says
   the run finished (no browser: the servers' own time). End to end: 20 loads in one
   headless Chromium (a context each), timed until the page has drawn. So that the figures
   say where the time goes, the run also gives one load alone, the CPU seconds per load of
   the servers and of the browser, and the store's part of a load (what every page load
   asks the store: `store.signature`, 20 at once from threads).

Targets: 1 and 2 at most 2x the files store. The two stores are timed in turns (files,
then PostgreSQL, in every round) so that a busy moment on a shared machine falls on both.
The database is a real server started in a temporary folder (as the tests start it). Run
with `make bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
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


def using(url: str | None) -> None:
    """Point the store at the database (a URL) or at the data folder's files (None)."""
    if url:
        os.environ[config.ENV_DATABASE_URL] = url
    else:
        os.environ.pop(config.ENV_DATABASE_URL, None)


def took(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def store_figures(stores: dict[str, tuple[Path, str | None]], upload: bytes, runs: int) -> dict[str, dict[str, float]]:
    """Median load and publish time per store, the stores taking turns in every round."""
    times: dict[str, dict[str, list[float]]] = {name: {"load": [], "publish": []} for name in stores}
    loaded, checked = {}, {}
    for name, (folder, url) in stores.items():
        using(url)
        loaded[name] = S.load(folder)
        checked[name] = pub.check_uploads([pub.Upload("upload.csv", upload)], loaded[name])
        assert all(c.valid for c in checked[name]), checked[name][0].problems
    for _ in range(runs):  # every load first: each publish below adds to the history a load reads
        for name, (folder, url) in stores.items():
            using(url)
            times[name]["load"].append(took(lambda folder=folder: S.load(folder)))
    for _ in range(runs):
        for name, (folder, url) in stores.items():
            using(url)
            times[name]["publish"].append(took(lambda name=name, folder=folder: pub.publish(folder, checked[name], loaded[name], "bench")))
    return {name: {"rows": loaded[name].observations.height, **{k: statistics.median(v) for k, v in found.items()}}
            for name, found in times.items()}


def store_part_of_a_load(folder: Path, count: int) -> list[float]:
    """What every page load asks the store (`store.signature`: the files' times and the database's change counter), `count` at once."""
    times: list[float] = []
    gate = threading.Barrier(count)

    def one() -> None:
        gate.wait()
        times.append(took(lambda: S.signature(folder)))

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def start_server(data_dir: Path) -> tuple[subprocess.Popen, str]:
    """A board server (`streamlit run app.py`) on a free port, as the browser tests start one; its process, to read its CPU time."""
    import pg_server

    port = pg_server.free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, env=dict(os.environ, KPI_DATA_DIR=str(data_dir)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read() == b"ok":
                return proc, base
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("a board server did not start")


async def server_load(base: str) -> tuple[float, str | None]:
    """One session's first run of the overview, as the browser asks for it over the app's WebSocket: (seconds, error or None)."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    ask = BackMsg()
    ask.rerun_script.query_string = ""
    ask.rerun_script.page_script_hash = ""
    error = None
    async with websockets.connect(base.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"], max_size=None) as ws:
        start = time.perf_counter()
        await ws.send(ask.SerializeToString())
        while True:
            message = ForwardMsg()
            message.ParseFromString(await ws.recv())
            kind = message.WhichOneof("type")
            if kind == "delta" and message.delta.WhichOneof("type") == "new_element" and message.delta.new_element.WhichOneof("type") == "exception":
                error = f"exception on {base}: {message.delta.new_element.exception.message[:160]}"
            if kind == "script_finished" and message.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                if message.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                    error = error or f"run on {base} ended: {ForwardMsg.ScriptFinishedStatus.Name(message.script_finished)}"
                return time.perf_counter() - start, error


async def server_loads(bases: list[str], count: int, pids: list[int]) -> dict[str, object]:
    """A first load per server (it reads the store), two more alone, then `count` at once spread across them, without a browser."""
    first = [(await server_load(base))[0] for base in bases]
    alone = [(await server_load(base))[0] for base in bases for _ in range(2)]
    cpu = sum(cpu_seconds(pid) for pid in pids)
    found = await asyncio.gather(*(server_load(bases[i % len(bases)]) for i in range(count)))
    cpu = sum(cpu_seconds(pid) for pid in pids) - cpu
    return {"first": first, "alone": alone, "times": [t for t, _ in found], "errors": [e for _, e in found if e], "server_cpu": cpu / max(count, 1)}


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (state first): Linux only."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int, reaped: bool = False) -> float:
    """User and system CPU time of one process so far, with its ended children's when `reaped`."""
    fields = _stat(pid)
    ticks = sum(int(f) for f in fields[11:15 if reaped else 13])
    return ticks / os.sysconf("SC_CLK_TCK")


def client_cpu_seconds(servers: list[int]) -> float:
    """CPU time of this benchmark's other descendants (the browser driver, Chromium and its ended page processes)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(_stat(int(entry.name))[1])
            except (OSError, IndexError, ValueError):
                continue
    mine, total = {os.getpid()}, 0.0
    for pid in sorted(parents):  # a child has a higher id than its parent unless ids wrapped: good enough here
        if parents[pid] in mine and pid not in servers:
            mine.add(pid)
            with contextlib.suppress(OSError):
                total += cpu_seconds(pid, reaped=True)
    return total


async def page_loads(bases: list[str], count: int, pids: list[int]) -> dict[str, object]:
    """One load alone per server, then `count` at once spread across them; wall times, errors and the servers' CPU per load."""
    from playwright.async_api import async_playwright
    from test_browser import CHROMIUM, CHROMIUM_ARGS, DONE

    errors: list[str] = []

    async def one(browser, base: str) -> float:
        context = await browser.new_context(viewport={"width": 1400, "height": 1000})
        page = await context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        start = time.perf_counter()
        await page.goto(base, wait_until="domcontentloaded", timeout=180_000)
        for _ in range(3):  # a run can start again at once (query parameters): it must stay finished for a moment
            await page.wait_for_selector(DONE, timeout=180_000)
            await page.wait_for_timeout(300)
        took = time.perf_counter() - start
        if await page.locator('[data-testid="stException"]').count():
            errors.append(f"exception on {base}")
        await context.close()
        return took

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for base in bases:  # each server loads and caches the store once first
            await one(browser, base)
        alone = [await one(browser, base) for base in bases for _ in range(2)]
        cpu, client = sum(cpu_seconds(pid) for pid in pids), client_cpu_seconds(pids)
        times = await asyncio.gather(*(one(browser, bases[i % len(bases)]) for i in range(count)))
        cpu, client = sum(cpu_seconds(pid) for pid in pids) - cpu, client_cpu_seconds(pids) - client
        await browser.close()
    return {"alone": alone, "times": list(times), "errors": errors, "server_cpu": cpu / count, "client_cpu": client / count}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--no-browser", dest="browser", action="store_false", help="time the page loads without Chromium only")
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
            found = store_figures({"files": (files_dir, None), "postgres": (pg_dir, url)}, upload, args.runs)
            files, database = found["files"], found["postgres"]
            print(f"store benchmark: median of {args.runs}; history {files['rows']:,} current rows in {len(parts)} batches")
            print(f"{'':<26} {'files ms':>9} {'postgres ms':>12} {'ratio':>7}   target: ratio <= 2")
            for key, label in (("load", "board load (store.load)"), ("publish", "publish 10,000 rows")):
                f, d = files[key] * 1000, database[key] * 1000
                print(f"{label:<26} {f:9.0f} {d:12.0f} {d / f:7.2f}   {'ok' if d <= 2 * f else 'MISSED'}")

            using(url)
            store_part = store_part_of_a_load(pg_dir, args.pages)
            started = [start_server(pg_dir), start_server(pg_dir)]
            bases, pids = [base for _, base in started], [proc.pid for proc, _ in started]
            try:
                server_side = asyncio.run(server_loads(bases, args.pages, pids))
                browser = asyncio.run(page_loads(bases, args.pages, pids)) if args.browser else None
            finally:
                for proc, _ in started:
                    proc.terminate()
                    proc.wait(timeout=30)
            print(f"two servers, {args.pages} overview loads at once (a server's first run of a new session):")
            for label, loads in (("server side (WebSocket, no browser)", server_side), ("end to end (headless Chromium)", browser)):
                if loads is None:
                    continue
                times, errors = loads["times"], loads["errors"]
                q = statistics.quantiles(times, n=20, method="inclusive")
                cpu = f"servers {loads['server_cpu'] * 1000:.0f} ms" + (f", browser {loads['client_cpu'] * 1000:.0f} ms" if "client_cpu" in loads else "")
                print(f"  {label:<37} errors {len(errors)}, p50 {statistics.median(times) * 1000:6.0f} ms, p95 {q[18] * 1000:6.0f} ms, "
                      f"max {max(times) * 1000:6.0f} ms; one alone {statistics.median(loads['alone']) * 1000:5.0f} ms; CPU per load: {cpu}"
                      + (f"; first error: {errors[0][:200]}" if errors else ""))
            print(f"  a server's first load (reads the store from the database): {', '.join(f'{t * 1000:.0f} ms' for t in server_side['first'])}")
            print(f"  the store's part of a page load (store.signature, {args.pages} at once): "
                  f"p50 {statistics.median(store_part) * 1000:.1f} ms, max {max(store_part) * 1000:.1f} ms ({os.cpu_count()} cores)")
    finally:
        pg_server.stop(server)


if __name__ == "__main__":
    main()
