"""Download buttons for a table: CSV and Excel, side by side, named for what and when (see `kpis.exports`)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from kpis import exports
from kpis.periods import Period


def buttons(frame: pl.DataFrame, what: str, period: Period | str | None, *parts: str, key: str, label: str = "Download") -> None:
    for col, (kind, fmt) in zip(st.columns(4), exports.FORMATS.items(), strict=False):
        # Encoded on click, not on every run of the page (an Excel file takes a while to write).
        col.download_button(f"{label} ({fmt.label})", lambda kind=kind: exports.encode(frame, kind, what.replace("_", " ").capitalize()),
                            file_name=exports.file_name(what, period, kind, *parts), mime=fmt.mime, key=f"{key}_{kind}")
