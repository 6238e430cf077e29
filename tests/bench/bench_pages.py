"""Benchmark: each page's server-side run (AppTest.run), on the demo data and on a large history.

The large history is generated: 200 KPIs x 12 areas x 10 years of months (288,000 rows).
Each page is run once to warm the caches, then timed over several runs; medians are
reported with the large/demo ratio measured in the same process. Run with `make bench`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kpis import synthetic  # noqa: E402

PAGES = ["pages/overview_page.py", "pages/trends_page.py", "pages/localities_page.py", "pages/priorities_page.py", "pages/definitions_page.py",
         "pages/data_page.py"]


def write_large(folder: Path) -> int:
    catalogue, areas = synthetic.large_registry(200, 12)
    history = synthetic.large_history(catalogue, areas, years=10)
    (folder / "observations").mkdir(parents=True)
    (folder / "narratives").mkdir()
    catalogue.write_csv(folder / "catalogue.csv")
    areas.write_csv(folder / "areas.csv")
    history.write_csv(folder / "observations" / "history.csv")
    (folder / "narratives" / "2024-25-q4.md").write_text(
        "---\nperiod: 2024/25 Q4\ntitle: Generated\n---\n"
        + "".join(f"## Partnership Priority {i}: Generated\nKPIs: kpi_{i:03d}, kpi_{i + 6:03d}\n\n- A point.\n\n" for i in range(1, 7))
        + "## Achievements\n- One.\n## Areas for Improvement\n- One.\n## Challenges\n- One.\n## Opportunities\n- One.\n"
    )
    return history.height


def time_pages(data_dir: Path, runs: int) -> dict[str, list[float]]:
    from streamlit.testing.v1 import AppTest

    os.environ["KPI_DATA_DIR"] = str(data_dir)
    out: dict[str, list[float]] = {}
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.run()
        if page != PAGES[0]:
            at.switch_page(page)
        at.run()  # warm: data loaded and cached
        assert not at.exception, [e.value for e in at.exception]
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - start)
        assert not at.exception, [e.value for e in at.exception]
        out[page] = times
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        rows = write_large(Path(folder))
        demo = time_pages(ROOT / "data", args.runs)
        large = time_pages(Path(folder), args.runs)
    print(f"page benchmark: AppTest run(), median of {args.runs} warm runs; large history = {rows:,} rows (200 KPIs x 12 areas x 10 years)")
    print(f"{'page':<28} {'demo ms':>9} {'large ms':>9} {'large/demo':>11}   target: large <= 300 ms and <= 5x demo")
    for page in PAGES:
        d, g = statistics.median(demo[page]) * 1000, statistics.median(large[page]) * 1000
        verdict = "ok" if g <= 300 and g <= 5 * d else "MISSED"
        print(f"{Path(page).stem:<28} {d:9.0f} {g:9.0f} {g / d:11.2f}   {verdict}")


if __name__ == "__main__":
    main()
