"""The presenter page's link to the app's shared state: the one place it imports the app's shared modules.

Everything the page needs from the shared selections and caches goes through here, so a
change in where those live touches this file only.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from kpis import deck, pack
from kpis.periods import Period, parse_period
from kpis.store import Store
from pages import cache, components, selections

require_data = components.require_data
selected_period = selections.selected_period
selected_area = selections.selected_area


def signature() -> tuple:
    """The data files' signature and the comments file's: a deck's notes carry the comments."""
    return (*cache.signature(), cache.comments_signature())


def data_dir() -> Path:
    return cache.data_dir()


@st.cache_resource(show_spinner="Building the deck…", max_entries=16)
def _deck(folder: str, sig: tuple, period: str | None, area: str, kpis: tuple[str, ...], fit: str = "screen") -> deck.Deck:
    data: Store = cache.current_store()
    found, _ = cache.narrative_list()
    return deck.build(data, parse_period(period) if period else None, area, list(kpis) or None, found, cache.comments()[0], fit)


def current_deck(period: Period | None, area: str, kpis: list[str], fit: str = "screen") -> deck.Deck:
    return _deck(str(data_dir()), signature(), period.label if period else None, area, tuple(kpis), fit)


@st.cache_resource(show_spinner=False, max_entries=8)
def _pack(folder: str, sig: tuple, period: str | None, area: str, kpis: tuple[str, ...], fmt: str) -> bytes:
    return pack.render(_deck(folder, sig, period, area, kpis), fmt)


def pack_maker(period: Period | None, area: str, kpis: list[str], fmt: str):
    """A callable for a download button: the pack is made only when asked for, then cached."""
    args = (str(data_dir()), signature(), period.label if period else None, area, tuple(kpis), fmt)
    return lambda: _pack(*args)


@st.cache_data(show_spinner=False, max_entries=64)
def _chart_svg(folder: str, sig: tuple, period: str | None, area: str, kpis: tuple[str, ...], fit: str, index: int, width: int,
               height: int) -> str:
    slide = _deck(folder, sig, period, area, kpis, fit).slides[index]
    return pack.render_svg(slide.charts[0], width, height, pack.SCREEN_CHART_CONFIG)


def chart_svg(period: Period | None, area: str, kpis: list[str], fit: str, index: int, width: int, height: int) -> str:
    return _chart_svg(str(data_dir()), signature(), period.label if period else None, area, tuple(kpis), fit, index, width, height)
