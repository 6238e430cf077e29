"""The board's server: `streamlit run serve.py` (what `make run` does) serves the pages of `app.py`.

Streamlit runs `app.py` afresh for every visit; this module is the server around it. Before the server
answers (its health check, `/_stcore/health`, included), it imports the board's modules and fills the caches
the overview's first screen reads (`pages.cache.prepare`), so the first visit after a start finds them ready
and a load balancer sends no one to a server still loading. `streamlit run app.py` still serves the same
pages, without this: the first visit then waits for the imports and the data.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from contextlib import asynccontextmanager

import streamlit as st

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("kpi_board")


@asynccontextmanager
async def ready(_app):
    """Start-up: prepare the overview (in a worker thread: the server's event loop stays free), then serve."""
    started = time.perf_counter()
    try:
        took = await asyncio.to_thread(_prepare)
    except Exception:  # the server still starts: the first page then loads what it needs and shows any problem
        log.exception("Preparing the overview failed; the first visit will load the data itself")
    else:
        steps = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in took.items())
        log.info("Ready in %.1f s (%s)", time.perf_counter() - started, steps)
    yield


# Streamlit warns of each cached call and element made outside a page ("missing ScriptRunContext"): here that is the point.
_OUTSIDE_A_PAGE = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")


def _prepare() -> dict[str, float]:
    started = time.perf_counter()
    level = _OUTSIDE_A_PAGE.level
    _OUTSIDE_A_PAGE.setLevel(logging.ERROR)
    try:
        from pages import cache  # imports Polars, pandera and the board's modules

        imports = time.perf_counter() - started
        took = {"imports": imports, **cache.prepare()}
        # Streamlit collects garbage after every page run (`runner.postScriptGC`); what start-up made lives as long
        # as the server, so it is set aside once here and those collections walk only what a visit made.
        gc.collect()
        gc.freeze()
        return took
    finally:
        _OUTSIDE_A_PAGE.setLevel(level)


app = st.App("app.py", lifespan=ready)
