"""Benchmark: first paint of the overview against a bare one-page Streamlit app, served on the same machine.

Both apps are served by `streamlit run` on free ports and opened in headless Chromium (Debian's,
driven by Playwright), alternately, so both see the same load on the machine. The board is served as
`make run` serves it, through `serve.py` (`--board app.py` serves the page script alone, for a comparison):

- cold: a fresh server process for each visit, and its first page load;
- warm: a new browser context (empty cache) against a server that has already served the page.

A visit is timed from navigation start to the moment the page was last seen finished: Streamlit's
script state idle, no skeleton left, every Vega view drawn (a canvas or svg with a size) and every
image loaded, after
which it must stay finished for a while. The time is taken in the page (performance.now()), so
Playwright's own overhead is not counted.

The slide change is the server's time for a /present rerun stepping from slide N to N+1 (AppTest,
in-process, each step once, after the deck was opened once).

Medians are reported with the board/bare ratios of the same run. Run with `make bench`.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("KPI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
DEMO_TODAY = "2024-07-15"
TARGETS = {"cold": 1.5, "warm": 1.3}  # board / bare, medians
SLIDE_TARGET_MS = 300

BARE_APP = '''import streamlit as st

st.title("A bare page")
st.write("One title and a line of text: the yardstick for a Streamlit page's first paint.")
'''

# Runs in every page: notes the last moment the page went from not finished to finished.
WATCH = """(() => {
  const finished = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (!document.querySelector('[data-testid="stMain"] h1')) return false;
    if (document.querySelector('[data-testid="stSkeleton"], [data-testid="stStatusWidget"] [data-testid="stStatusWidgetRunningIcon"]')) return false;
    for (const view of document.querySelectorAll('.vega-embed')) {
      const drawn = view.querySelector('canvas, svg.marks, svg[role="graphics-document"], svg');
      if (!drawn) return false;
      const box = drawn.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) return false;
    }
    for (const image of document.querySelectorAll('[data-testid="stMain"] img')) {
      if (!image.complete || image.naturalWidth === 0) return false;
    }
    return true;
  };
  window.__paint = {doneAt: null, views: 0, svgs: 0};
  const tick = () => {
    const now = finished();
    if (now && window.__paint.doneAt === null) {
      window.__paint.doneAt = performance.now();
      window.__paint.views = document.querySelectorAll('.vega-embed').length;
      window.__paint.svgs = document.querySelectorAll('img.kpi-spark').length;
    } else if (!now) {
      window.__paint.doneAt = null;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();"""

SETTLE_MS = 1500  # a page is finished when it has stayed finished this long


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `streamlit run` process on a free port; waits for its health check."""

    def __init__(self, script: Path, cwd: Path, env: dict[str, str]):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=cwd, env=dict(os.environ, **env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}/"
        started = time.perf_counter()
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"{self.url}_stcore/health", timeout=2).read() == b"ok":
                    self.ready_in = time.perf_counter() - started  # process start to a healthy server
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"streamlit did not start for {script}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def visit(browser, url: str) -> tuple[float, int, int]:
    """Seconds from navigation start to finished, with the number of Vega views and inline sparklines seen."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        context.add_init_script(WATCH)
        page = context.new_page()
        page.goto(url, wait_until="commit")
        page.wait_for_function(f"() => window.__paint && window.__paint.doneAt !== null && performance.now() - window.__paint.doneAt > {SETTLE_MS}",
                               timeout=120_000, polling=100)
        paint = page.evaluate("() => window.__paint")
        return paint["doneAt"] / 1000, int(paint["views"]), int(paint["svgs"])
    finally:
        context.close()


def first_paint(runs: int, board: str = "serve.py") -> tuple[dict[str, dict[str, list[float]]], dict[str, tuple[int, int]]]:
    from playwright.sync_api import sync_playwright

    times: dict[str, dict[str, list[float]]] = {mode: {"board": [], "bare": []} for mode in ("cold", "warm", "ready")}
    seen: dict[str, tuple[int, int]] = {}
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as p:
        bare_script = Path(folder) / "bare_app.py"
        bare_script.write_text(BARE_APP)
        apps = {
            "board": (ROOT / board, ROOT, {"KPI_DATA_DIR": str(ROOT / "data"), "KPI_TODAY": DEMO_TODAY}),
            "bare": (bare_script, Path(folder), {}),
        }
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for run in range(runs):  # cold: a new server for every visit; the order alternates
                for name in (("board", "bare") if run % 2 == 0 else ("bare", "board")):
                    server = Server(*apps[name])
                    try:
                        seconds, views, svgs = visit(browser, server.url)
                    finally:
                        server.stop()
                    times["cold"][name].append(seconds)
                    times["ready"][name].append(server.ready_in)
                    seen[name] = (views, svgs)
            servers = {name: Server(*spec) for name, spec in apps.items()}
            try:
                for server in servers.values():
                    visit(browser, server.url)  # warms the server: imports, data, caches
                for run in range(runs):
                    for name in (("board", "bare") if run % 2 == 0 else ("bare", "board")):
                        times["warm"][name].append(visit(browser, servers[name].url)[0])
            finally:
                for server in servers.values():
                    server.stop()
        finally:
            browser.close()
    return times, seen


def slide_changes() -> list[float]:
    """Server seconds of each /present rerun from slide N to N+1, once per slide, after the deck was opened once."""
    import logging

    from streamlit.testing.v1 import AppTest

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    os.environ.update(KPI_DATA_DIR=str(ROOT / "data"), KPI_TODAY=DEMO_TODAY)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params["slide"] = "1"
    at.run()
    at.switch_page("pages/present_page.py").run()
    assert not at.exception, [e.value for e in at.exception]
    times = []
    while True:
        before = str(at.query_params.get("slide"))
        step = next(b for b in at.button if b.key == "present_next")
        start = time.perf_counter()
        step.click().run()
        times.append(time.perf_counter() - start)
        assert not at.exception, [e.value for e in at.exception]
        if str(at.query_params.get("slide")) == before:  # the last slide: Next stays put
            times.pop()
            break
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-slides", action="store_true")
    parser.add_argument("--board", default="serve.py", choices=["serve.py", "app.py"], help="what `streamlit run` serves for the board")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"first-paint benchmark skipped: no Chromium at {CHROMIUM} (make browser-deps)")
        return
    times, seen = first_paint(args.runs, args.board)
    print(f"first-paint benchmark: overview ({args.board}) vs a bare one-page Streamlit app, headless Chromium, median of {args.runs} alternated visits")
    print(f"  the overview drew {seen['board'][0]} Vega view(s) and {seen['board'][1]} inline sparkline(s)")
    print(f"{'visit':<8} {'board s':>8} {'bare s':>8} {'ratio':>7}   target")
    for mode, limit in TARGETS.items():
        board, bare = statistics.median(times[mode]["board"]), statistics.median(times[mode]["bare"])
        verdict = "ok" if board / bare <= limit else "MISSED"
        print(f"{mode:<8} {board:8.2f} {bare:8.2f} {board / bare:7.2f}   <= {limit}x  {verdict}"
              f"   (board {', '.join(f'{t:.2f}' for t in times[mode]['board'])}; bare {', '.join(f'{t:.2f}' for t in times[mode]['bare'])})")
    ready = {name: statistics.median(times["ready"][name]) for name in ("board", "bare")}
    print(f"  before the cold visits, each server took (median) {ready['board']:.2f} s (board) and {ready['bare']:.2f} s (bare) from its start to healthy")
    if not args.skip_slides:
        steps = slide_changes()
        median, worst = statistics.median(steps) * 1000, max(steps) * 1000
        verdict = "ok" if median <= SLIDE_TARGET_MS else "MISSED"
        print(f"slide change on /present (server, AppTest): median {median:.0f} ms, slowest {worst:.0f} ms over {len(steps)} steps"
              f"   target: median <= {SLIDE_TARGET_MS} ms  {verdict}")
        print(f"  each step N -> N+1, ms: {', '.join(f'{t * 1000:.0f}' for t in steps)}")


if __name__ == "__main__":
    main()
