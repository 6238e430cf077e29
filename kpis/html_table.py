"""A small frame as a static HTML table: escaped text, numbers to the right, optional links and per-row cell styles.

Pages show short tables (six priorities, a period's summary) this way rather than as a data grid, whose script
bundle would load with the page only for them (README, First paint).
"""

from __future__ import annotations

import html

import polars as pl

LINK_TEXT = "Open section"
_CELL = "padding:0.3rem 0.6rem;border-bottom:1px solid rgba(128,128,128,0.35);text-align:{align}"


def table_html(frame: pl.DataFrame, link_column: str | None = "Section", css_class: str = "kpi-priority-summary",
               cell_styles: dict[str, list[str]] | None = None) -> str:
    """`frame` as an HTML table: a header row, then one row per line headed by its first cell; numbers to the
    right; the link column's addresses as links, named for assistive technology by their row's heading.
    `cell_styles` adds, per column, one inline style per row (built by the caller from fixed registry strings,
    never from the data). Every text is escaped; an empty cell stays empty."""
    extra = cell_styles or {}

    def cell(tag: str, value: object, column: str, scope: str = "", heading: object = "", style: str = "") -> str:
        numeric = frame.schema[column].is_numeric()
        text = html.escape("" if value is None else str(value))
        if column == link_column and tag == "td":
            text = f'<a href="{html.escape(str(value), quote=True)}">{LINK_TEXT}<span class="kpi-sr"> {html.escape(str(heading))}</span></a>'
        return f'<{tag}{scope} style="{_CELL.format(align="right" if numeric else "left")}{";" + style if style else ""}">{text}</{tag}>'

    head = "".join(cell("th", c, c, ' scope="col"') for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(cell("th" if i == 0 else "td", row[c], c, ' scope="row"' if i == 0 else "", row[frame.columns[0]],
                              extra[c][n] if c in extra else "")
                         for i, c in enumerate(frame.columns)) + "</tr>"
        for n, row in enumerate(frame.iter_rows(named=True))
    )
    return (f'<table class="{html.escape(css_class, quote=True)}" style="border-collapse:collapse;width:100%">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
