"""Cached reads of the data folder, keyed on the data files' signature.

Everything that computes lives in `kpis`; this module only caches. Data is cached on the
data files' names, sizes and modification times, so a file dropped into the data folder
shows on the next rerun and every session shares it.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import polars as pl
import streamlit as st

from kpis import config, narratives, store, summary, suppression, views
from kpis.periods import Period, parse_period
from kpis.store import Store

log = logging.getLogger("kpi_board")


def data_dir() -> Path:
    return config.data_dir()


def refresh_signature() -> None:
    """Look at the data files once per run; every cached lookup in this run uses that."""
    st.session_state["_data_signature"] = store.signature(data_dir())


def signature() -> tuple:
    return st.session_state.get("_data_signature") or store.signature(data_dir())


# The store is immutable and can be large, so it is cached as a shared resource rather
# than copied out of the cache on every run; everything derived from it is cached as data.
@st.cache_resource(show_spinner="Loading the KPI data…", max_entries=4)
def _store(folder: str, sig: tuple) -> Store:
    return store.load(Path(folder))


@st.cache_resource(show_spinner=False, max_entries=4)
def _shown(folder: str, sig: tuple) -> Store:
    """The store as the pages show it: small numbers suppressed (kpis.suppression)."""
    return suppression.shown(_store(folder, sig))


def current_store() -> Store:
    return _store(str(data_dir()), signature())


def shown_store() -> Store:
    """The store as the pages show it: small numbers suppressed. Every figure a page shows or offers for download comes from this."""
    return _shown(str(data_dir()), signature())


@st.cache_data(show_spinner=False, max_entries=128)
def _tiles(folder: str, sig: tuple, period: str | None, area: str, kpis: tuple[str, ...]) -> list[views.Tile]:
    return views.tiles(_shown(folder, sig), _period(period), area, list(kpis))


@st.cache_data(show_spinner=False, max_entries=64)
def _statuses(folder: str, sig: tuple, period: str | None, area: str) -> pl.DataFrame:
    return views.kpi_statuses(_shown(folder, sig), _period(period), area)


@st.cache_data(show_spinner=False, max_entries=64)
def _report(folder: str, sig: tuple, period: str | None, area: str) -> pl.DataFrame:
    return summary.report_table(_shown(folder, sig), _period(period), area)


@st.cache_data(show_spinner=False, max_entries=64)
def _trend(folder: str, sig: tuple, kpis: tuple[str, ...], areas: tuple[str, ...] | None, period: str | None) -> pl.DataFrame:
    return views.trend(_shown(folder, sig), list(kpis), list(areas) if areas else None, _period(period))


@st.cache_data(show_spinner=False, max_entries=64)
def _localities(folder: str, sig: tuple, period: str | None, parent: str, against: str | None = None) -> pl.DataFrame:
    return views.localities(_shown(folder, sig), _period(period), parent, against)


@st.cache_data(show_spinner=False, max_entries=8)
def _narratives(folder: str, sig: tuple) -> tuple[list[narratives.Narrative], list[str]]:
    return narratives.load_all(Path(folder) / "narratives")


@st.cache_data(show_spinner=False, max_entries=512)
def _sparkline_svg(folder: str, sig: tuple, period: str | None, area: str, kpi: str, _tile: views.Tile):
    """A tile's sparkline as SVG (`charts.sparkline_svg`): built once per data change, not on every rerun.

    The tile is the one the page already has for these keys (it is not part of the cache key: the keys decide it)."""
    from kpis import charts
    from kpis.areas import code_of

    codes = code_of(_store(folder, sig).areas)  # each line is labelled with its area's code
    return charts.sparkline_svg(_tile.spark, name=str(_tile.kpi["short_name"]), labels=codes)


def sparkline_svg(period: Period | None, area: str, tile: views.Tile):
    """The sparkline of a tile from `tiles(period, area, ...)`."""
    return _sparkline_svg(str(data_dir()), signature(), period.label if period else None, area, str(tile.kpi["kpi_id"]), tile)


def tiles(period: Period | None, area: str, kpis: list[str]) -> list[views.Tile]:
    return _tiles(str(data_dir()), signature(), period.label if period else None, area, tuple(kpis))


def statuses(period: Period | None, area: str) -> pl.DataFrame:
    return _statuses(str(data_dir()), signature(), period.label if period else None, area)


def report(period: Period | None, area: str) -> pl.DataFrame:
    return _report(str(data_dir()), signature(), period.label if period else None, area)


def trend(kpis: list[str], areas: list[str] | None, period: Period | None) -> pl.DataFrame:
    return _trend(str(data_dir()), signature(), tuple(kpis), tuple(areas) if areas else None, period.label if period else None)


def localities(period: Period | None, parent: str, against: str | None = None) -> pl.DataFrame:
    return _localities(str(data_dir()), signature(), period.label if period else None, parent, against)


@st.cache_data(show_spinner=False, max_entries=64)
def _summary_export(folder: str, sig: tuple, period: str | None, area: str) -> pl.DataFrame:
    from kpis import exports

    return exports.summary_table(_shown(folder, sig), _period(period), area)


def summary_export(period: Period | None, area: str) -> pl.DataFrame:
    """`kpis.exports.summary_table` of the shown store: the wide summary the overview offers for download."""
    return _summary_export(str(data_dir()), signature(), period.label if period else None, area)


def narrative_list() -> tuple[list[narratives.Narrative], list[str]]:
    return _narratives(str(data_dir()), signature())


# ---- statistical process control (computed in kpis.spc; cached here) -----------------


def _baselines_signature(folder: str) -> tuple:
    """spc_baselines.csv is not part of the store, so its own size and time join the cache key."""
    from kpis.spc import baselines

    try:
        stat = (Path(folder) / baselines.FILE).stat()
    except OSError:
        return ()
    return (stat.st_size, stat.st_mtime_ns)


@st.cache_data(show_spinner=False, max_entries=16)
def _spc_baselines(folder: str, sig: tuple, bsig: tuple) -> tuple[pl.DataFrame, pl.DataFrame]:
    from kpis.spc import baselines

    data = _shown(folder, sig)
    return baselines.load(Path(folder), data.catalogue, data.areas)


@st.cache_data(show_spinner=False, max_entries=128)
def _spc(folder: str, sig: tuple, bsig: tuple, kpi: str, area: str, period: str | None):
    from kpis import spc

    return spc.for_store(_shown(folder, sig), kpi, area, _period(period), _spc_baselines(folder, sig, bsig)[0])


@st.cache_data(show_spinner=False, max_entries=64)
def _spc_summary(folder: str, sig: tuple, bsig: tuple, period: str | None, areas: tuple[str, ...]) -> pl.DataFrame:
    from kpis import spc

    return spc.summary(_shown(folder, sig), _period(period), list(areas), None, _spc_baselines(folder, sig, bsig)[0])


def spc_baselines() -> tuple[pl.DataFrame, pl.DataFrame]:
    """The usable baselines and the problems with the file."""
    folder = str(data_dir())
    return _spc_baselines(folder, signature(), _baselines_signature(folder))


def spc_result(kpi: str, area: str, period: Period | None):
    folder = str(data_dir())
    return _spc(folder, signature(), _baselines_signature(folder), kpi, area, period.label if period else None)


def spc_summary(period: Period | None, areas: list[str]) -> pl.DataFrame:
    """One row per KPI × area (`kpis.spc.summary`): variation and assurance words, and any disagreement with RAG."""
    folder = str(data_dir())
    return _spc_summary(folder, signature(), _baselines_signature(folder), period.label if period else None, tuple(areas))

def _period(label: str | None) -> Period | None:
    return parse_period(label) if label else None


# ---- what changed, freshness, comments ---------------------------------------------


@st.cache_data(show_spinner=False, max_entries=64)
def _changes(folder: str, sig: tuple, period: str, since: str, as_of: str, areas: tuple[str, ...]) -> pl.DataFrame:
    from datetime import date

    from kpis import changes

    chosen = since if since in changes.SINCE_CHOICES else parse_period(since)
    data = _shown(folder, sig)
    found = changes.changes(data, parse_period(period), chosen, date.fromisoformat(as_of), list(areas))
    return suppression.mark(suppression.mark(found, data.observations), data.observations, "since_period", "since_")


def changes(period: Period, since: str, as_of, areas: list[str]) -> pl.DataFrame:
    """`kpis.changes.changes`, cached; `since` is 'previous', 'year' or a period label."""
    return _changes(str(data_dir()), signature(), period.label, since, as_of.isoformat(), tuple(areas))


@st.cache_data(show_spinner=False, max_entries=64)
def _freshness(folder: str, sig: tuple, as_of: str, areas: tuple[str, ...]) -> pl.DataFrame:
    from datetime import date

    from kpis import freshness

    return freshness.freshness(_shown(folder, sig), date.fromisoformat(as_of), list(areas))


def freshness(as_of, areas: list[str]) -> pl.DataFrame:
    return _freshness(str(data_dir()), signature(), as_of.isoformat(), tuple(areas))


@st.cache_data(show_spinner=False, max_entries=16)
def _default_period(folder: str, sig: tuple, today: str) -> str | None:
    from datetime import date

    found = summary.default_period(_store(folder, sig), date.fromisoformat(today))
    return found.label if found else None


@st.cache_data(show_spinner=False, max_entries=16)
def _period_choices(folder: str, sig: tuple) -> list[str]:
    from kpis import ranges

    return [p.label for p in ranges.grouped(summary.periods_available(_store(folder, sig)))]  # quarters, then months, then years


def period_choices() -> tuple[list[str], str | None]:
    """The reporting periods to choose from, and the default one (the latest started by today): once per data change and day."""
    folder, sig = str(data_dir()), signature()
    return _period_choices(folder, sig), _default_period(folder, sig, config.today().isoformat())


def as_of(period: Period | None):
    """The date freshness is judged at: today for the latest period, else the selected period's end."""
    from kpis import freshness

    today = config.today()
    return freshness.as_of_for(period, today, _period(_default_period(str(data_dir()), signature(), today.isoformat())))


@st.cache_data(show_spinner=False, max_entries=256)
def _grid_html(folder: str, sig: tuple, bsig: tuple, today: str, period: str | None, area: str, kpis: tuple[str, ...], _build) -> str:
    """The keys decide the tiles and everything their HTML shows (figures, freshness as of today, SPC); `_build` makes it."""
    return _build()


def grid_html(period: Period | None, area: str, kpis: list[str], build) -> str:
    """The Overview's tile grid as static HTML (`components.glance_grid_html`, called as `build()`), once per data change,
    day and KPIs shown: one cached call for the grid (a call per tile was a tenth of a warm visit's server time)."""
    folder = str(data_dir())
    return _grid_html(folder, signature(), _baselines_signature(folder), config.today().isoformat(),
                      period.label if period else None, area, tuple(kpis), build)


def _comments_signature(folder: str) -> tuple:
    from kpis import comments

    try:
        stat = (Path(folder) / comments.FILE).stat()
    except OSError:
        return ()
    return (stat.st_size, stat.st_mtime_ns)


@st.cache_data(show_spinner=False, max_entries=8)
def _comments(folder: str, csig: tuple) -> tuple[pl.DataFrame, pl.DataFrame]:
    from kpis import comments, problems
    from kpis.store import guard

    (frame, found), crash = guard(comments.FILE, lambda: comments.read(Path(folder)), (pl.DataFrame(schema=comments.SCHEMA), problems.empty()))
    return frame, problems.combine([found, crash])


def comments_signature() -> tuple:
    """Size and time of the comments file: part of the key of anything that shows comments."""
    return _comments_signature(str(data_dir()))


def comments() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every comment kept, with its state, and the problems with the file (loaded under the store's guard)."""
    folder = str(data_dir())
    return _comments(folder, _comments_signature(folder))


# ---- readiness: before the server answers, when it is served through `serve.py` -----------

OVERVIEW_TILES = 12  # tiles on each page of the overview's tiles


def prepare() -> dict[str, float]:
    """Everything a first visit to the overview would otherwise wait for, done at the server's start (`serve.py`),
    outside any script run: the store read and checked, the overview's first screen as a visit with no choices
    made shows it, Streamlit's own first-page work, and the other pages' warm-up. Returns seconds per step, for
    the log. A problem with the data is not raised here: the first page shows it, as it would have without this."""
    took: dict[str, float] = {}
    started = time.perf_counter()
    folder, sig = str(data_dir()), store.signature(data_dir())
    data = _store(folder, sig)
    took["store"] = time.perf_counter() - started
    if data.ok:
        started = time.perf_counter()
        _prepare_overview(folder, sig, data)
        took["overview"] = time.perf_counter() - started
    started = time.perf_counter()
    _prepare_first_page()
    took["first page"] = time.perf_counter() - started
    started = time.perf_counter()
    _warm_up(0)
    took["other pages"] = time.perf_counter() - started
    return took


def _prepare_first_page() -> None:
    """What Streamlit does once per process, on the first page after a start: the page icon is read with Pillow,
    and the first element drawn checks whether it runs in an interactive shell (`inspect.stack()`, which looks
    up the file of every loaded module). One element drawn here, outside any page, goes nowhere."""
    import PIL.Image  # noqa: F401

    st.empty()


def _prepare_overview(folder: str, sig: tuple, data: Store) -> None:
    """The cached lookups the overview's first screen makes for the default period and the top area, called with
    the keys the page's own calls use: statuses, narratives, the first page of tiles as the grid's HTML (`grid_html`,
    whose builder fills the sparkline, SPC and freshness lookups), the summary table and its download."""
    from kpis import priorities
    from kpis.areas import code_of, default_area
    from pages import components  # the tiles' HTML is built by the page's own builder

    today = config.today().isoformat()
    label = _default_period(folder, sig, today)  # as the page chooses it (`period_choices`)
    default = _period(label)
    area = default_area(data.areas)
    statuses = _statuses(folder, sig, label, area)
    _narratives(folder, sig)
    first = tuple(priorities.filtered(statuses, [], [])["kpi_id"].to_list()[:OVERVIEW_TILES])
    _report(folder, sig, label, area)
    _summary_export(folder, sig, label, area)
    codes, bsig = code_of(data.areas), _baselines_signature(folder)
    _grid_html(folder, sig, bsig, today, label, area, first,
               lambda: components.glance_grid_html(_tiles(folder, sig, label, area, first), default, area, codes))


# ---- warm-up: once per server process, at its start or after the first page --------------

WARM_UP_DELAY = 3.0  # seconds: the first page's messages, and the browser's requests for it, go first
_warmed = threading.Event()  # set once the warm-up has run in this process


def _warm_up(delay: float = WARM_UP_DELAY) -> None:
    """Imports what the other pages draw with, and starts the chart renderer the presenter's slides use, so the
    first visit to Trends or Localities and the first slide with a chart do not wait for them. Only imports
    and one conversion of a constant chart: nothing shared is read or written. Runs once per process:
    at the start when served through `serve.py` (`prepare`), else after the first page."""
    time.sleep(delay)
    if _warmed.is_set():
        return
    started = time.perf_counter()
    try:
        import altair  # noqa: F401  (Trends, Localities)
        import pandas.io.formats.style  # noqa: F401  (Localities' tables are pandas Stylers: their templates load on import)
        import vl_convert

        from kpis import deck, pack  # noqa: F401  (Present)

        vl_convert.vegalite_to_svg({"data": {"values": [{"x": 1}]}, "mark": "point", "encoding": {"x": {"field": "x", "type": "quantitative"}}},
                                   allowed_base_urls=[])
    except Exception:  # a warm-up that fails costs only the time it would have saved
        log.warning("Warm-up failed; pages will import what they need when first shown", exc_info=True)
        return
    finally:
        _warmed.set()
    log.info("Warm-up done in %.1f s", time.perf_counter() - started)


@st.cache_resource(show_spinner=False)
def warm_up() -> threading.Thread:
    """Starts the warm-up thread the first time any page has run in this server process (a cached resource:
    every later call returns the same thread); it returns at once if the warm-up ran at the start."""
    thread = threading.Thread(target=_warm_up, name="kpi-warm-up", daemon=True)
    thread.start()
    return thread
