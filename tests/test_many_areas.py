"""Many child areas summarised: counts by status, best and worst area, written out per case."""

import re

import polars as pl
import pytest

from kpis import views


def parts(*rows):
    return [{"area": a, "rag": r, "value": v} for a, r, v in rows]


@pytest.mark.parametrize(
    ("rows", "polarity", "counts", "best", "worst"),
    [
        ((("A", "green", 95), ("B", "red", 70), ("C", "green", 99), ("D", "red", 60), ("E", "grey", 100)), "higher_is_better",
         {"red": 2, "green": 2, "grey": 1}, "C", "D"),
        ((("A", "green", 95), ("B", "red", 70), ("C", "green", 99), ("D", "red", 60)), "lower_is_better",
         {"red": 2, "green": 2}, "A", "B"),
        ((("A", "amber", 5), ("B", "amber", 7)), "higher_is_better", {"amber": 2}, "B", "A"),
        ((("A", "grey", 5), ("B", "grey", 7)), "higher_is_better", {"grey": 2}, "B", "A"),  # no targets: by value alone
        ((("A", "red", None),), "higher_is_better", {"red": 1}, None, None),  # no figure (suppressed): no best or worst
    ],
)
def test_summarise_parts(rows, polarity, counts, best, worst):
    found = views.summarise_parts(parts(*rows), polarity)
    assert found.counts == counts
    assert (found.best or {}).get("area") == best and (found.worst or {}).get("area") == worst
    assert list(found.counts) == [r for r in ("red", "amber", "green", "grey") if r in counts]  # worst status first


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    """A data folder of 32 councils, the nation and four family groups, with a benchmarking export published into it."""
    from kpis import cli
    from tests import benchmarking as B

    root = tmp_path_factory.mktemp("national")
    folder = B.write_folder(root / "data")
    export = B.write_export(root / "export.csv")
    assert cli.main(["mapping", "suggest", str(export), "--name", "national", "--data-dir", str(folder)]) == 0
    assert cli.main(["ingest", str(export), "--mapping", "national", "--data-dir", str(folder)]) == 0
    return folder


@pytest.mark.parametrize("page", ["pages/overview_page.py", "pages/trends_page.py", "pages/localities_page.py", "pages/priorities_page.py"])
def test_pages_run_with_32_areas(national, monkeypatch, page):
    from test_app_pages import open_page

    monkeypatch.setenv("KPI_DATA_DIR", str(national))
    at = open_page(page, area="Scotland")
    assert not at.exception, [e.value for e in at.exception]


def test_an_overview_tile_with_32_areas_summarises_them(national, monkeypatch):
    from test_app_pages import html_text, open_page

    monkeypatch.setenv("KPI_DATA_DIR", str(national))
    at = open_page(area="Scotland")
    text = html_text(at)
    assert not at.exception
    assert "32 areas" in text and "Best:" in text and "Worst:" in text
    assert "class=\"kpi-chip\"" not in text  # no row of 32 chips


def test_an_overview_tile_with_32_areas_links_to_them_once(national, monkeypatch):
    from test_app_pages import html_text, open_page

    monkeypatch.setenv("KPI_DATA_DIR", str(national))
    at = open_page(area="Scotland")
    summaries = html_text(at).count('<div class="kpi-meta">32 areas</div>')
    links = re.findall(r"<a [^>]*>.*?</a>", html_text(at))
    assert summaries > 0 and sum(link.endswith(" All 32 areas</a>") for link in links) == summaries, (summaries, links)


def test_a_priorities_tile_with_32_areas_links_to_them_once(national, monkeypatch):
    """The Priorities page's tile (`render_tile`), drawn outside a page with its links recorded."""
    import streamlit as st

    from kpis import summary
    from kpis.areas import code_of
    from pages import cache, components

    monkeypatch.setenv("KPI_DATA_DIR", str(national))
    links: list[str] = []
    monkeypatch.setattr(st, "page_link", lambda page, label, **_: links.append(label))
    data = cache.shown_store()
    period = summary.default_period(data)
    tile = cache.tiles(period, "Scotland", data.catalogue["kpi_id"].to_list()[:1])[0]
    assert len(tile.parts) == 32
    components.render_tile(tile, period, "Scotland", code_of(data.areas), compact=True)
    assert links.count("All 32 areas") == 1, links


@pytest.mark.parametrize("n", [1, 3, 8])
def test_area_colours_never_repeat_in_one_chart(n):
    from kpis import charts

    areas = [f"Area {i}" for i in range(n)]
    assert len(set(charts.area_colours(areas, orders=list(range(1, n + 1))))) == n
    assert len(set(charts.area_colours(areas, orders=[o + 30 for o in range(n)]))) == n  # places beyond the palette


def test_with_many_lines_one_is_highlighted_and_the_rest_grey():
    from kpis import charts, styles

    areas = [f"Area {i}" for i in range(33)]
    colours = charts.area_colours(areas, highlight="Area 5", orders=list(range(1, 34)))
    assert colours[5] != styles.BACKGROUND_LINE and colours.count(styles.BACKGROUND_LINE) == 32


def test_trends_default_to_the_area_and_its_parent(national, monkeypatch):
    from test_app_pages import open_page

    monkeypatch.setenv("KPI_DATA_DIR", str(national))
    at = open_page("pages/trends_page.py", area="Fife", kpi="chn10")
    assert not at.exception
    (areas,) = [m for m in at.multiselect if m.label == "Areas"]
    assert areas.value == ["Fife", "Scotland"]


def test_localities_compare_with_the_peer_group_chosen_on_the_page_and_kept_in_the_url(national, monkeypatch):
    from test_app_pages import open_page

    from kpis import views

    monkeypatch.setenv("KPI_DATA_DIR", str(national))
    at = open_page("pages/localities_page.py", area="Scotland", against=views.PEER_GROUP)
    assert not at.exception, [e.value for e in at.exception]
    (choice,) = [s for s in at.selectbox if s.label == "Compare with"]
    assert choice.value == views.PEER_GROUP and at.query_params["against"] in (views.PEER_GROUP, [views.PEER_GROUP])
    assert any("each area's peer group" in c.value for c in at.caption)


def test_each_area_is_compared_with_its_own_peer_group(national):
    from kpis import store, summary, views
    from tests import benchmarking as B

    data = store.load(national)
    period = summary.default_period(data)
    frame = views.localities(data, period, B.NATION, views.PEER_GROUP).filter(pl.col("kpi_id") == "chn10")
    groups = data.observations.filter((pl.col("kpi_id") == "chn10") & (pl.col("period") == period.label)).select(
        pl.col("area").alias("group"), pl.col("value").alias("group_value"))
    expected = frame.with_columns(pl.col("area").replace_strict({c: B.group_of(c) for c in B.COUNCILS}).alias("group")).join(groups, on="group")
    assert expected.height == frame.height > 0
    assert (expected["parent_value"] == expected["group_value"]).all()


def test_with_many_areas_the_matrix_puts_areas_in_rows(national):
    from kpis import store, summary, views
    from tests import benchmarking as B

    data = store.load(national)
    frame = views.localities(data, summary.default_period(data), B.NATION)
    text, rags = views.locality_matrix(frame, list(B.COUNCILS))
    assert text.columns[0] == "Area" and text["Area"].to_list() == list(B.COUNCILS)
    assert text.width == 1 + len(B.INDICATORS) and rags.columns == text.columns
    few, _ = views.locality_matrix(frame.filter(pl.col("area").is_in(B.COUNCILS[:3])), list(B.COUNCILS[:3]))
    assert few.columns == ["KPI", *B.COUNCILS[:3]]


def test_the_summary_table_counts_many_areas_instead_of_listing_them(national):
    from kpis import store, summary

    data = store.load(national)
    table = summary.report_table(data, summary.default_period(data), "Scotland")
    row = table.filter(pl.col("kpi_id") == "chn10").row(0, named=True)
    assert row["Actual"].startswith("SCO ") and "32 areas," in row["Actual"]
    counts = row["RAG status"].split("areas: ")[1]
    assert sum(int(part.split(" ")[0]) for part in counts.split(", ")) == 32
    assert "Aberdeen" not in row["Actual"] and len(row["Actual"]) < 60
    assert row["RAG status"].startswith("SCO ") and row["Direction in last 12 months"].startswith("SCO ")  # each names its area


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from tests import many_areas_folder

    return many_areas_folder.write(tmp_path_factory.mktemp("generated") / "data")


@pytest.mark.parametrize("page", ["pages/overview_page.py", "pages/localities_page.py", "pages/trends_page.py"])
def test_pages_run_with_200_kpis_and_32_localities(generated, monkeypatch, page):
    from test_app_pages import html_text, open_page

    monkeypatch.setenv("KPI_DATA_DIR", str(generated))
    at = open_page(page, area="Region")
    assert not at.exception, [e.value for e in at.exception]
    if page == "pages/overview_page.py":
        assert 'class="kpi-chip"' not in html_text(at) and "32 areas" in html_text(at)


def test_trends_for_a_parent_of_32_areas_start_with_it_alone(national, monkeypatch):
    from test_app_pages import open_page

    monkeypatch.setenv("KPI_DATA_DIR", str(national))
    at = open_page("pages/trends_page.py", area="Scotland", kpi="chn10")
    (areas,) = [m for m in at.multiselect if m.label == "Areas"]
    assert areas.value == ["Scotland"]


@pytest.mark.parametrize(
    ("own", "values", "order", "expected"),
    [
        # the area and all its areas agree: said once
        ("✔ Green", ["✔ Green"] * 32, None, "All ✔ Green"),
        (None, ["– No figure a year earlier"] * 32, None, "All – No figure a year earlier"),
        # the areas agree but not with the area itself: both said
        ("✖ Red", ["✔ Green"] * 3, None, "✖ Red  ·  areas: 3 ✔ Green"),
        # statuses counted worst first, whichever is most common
        ("✔ Green", ["✔ Green"] * 5 + ["✖ Red"] * 2 + ["▲ Amber"], ["✖ Red", "▲ Amber", "✔ Green"], "✔ Green  ·  areas: 2 ✖ Red, 1 ▲ Amber, 5 ✔ Green"),
        # directions counted most first
        (None, ["↑ Improving"] + ["↓ Worsening"] * 2, None, "areas: 2 ↓ Worsening, 1 ↑ Improving"),
    ],
)
def test_many_areas_in_one_summary_cell(own, values, order, expected):
    from kpis import summary

    assert summary._areas_words(own, values, order) == expected


@pytest.mark.parametrize(("n_areas", "columns"), [(3, 2), (6, 2), (7, 1), (32, 1)])
def test_comparisons_of_many_areas_take_the_whole_width(n_areas, columns):
    assert views.comparison_grid_columns(n_areas) == columns


@pytest.mark.parametrize(
    ("changed", "limit", "expected"),
    [
        # the selected area first, then those whose status changed, then the rest, in the table's order
        ({"B": True, "D": True}, 3, (["R", "B", "D"], 2)),
        ({}, 2, (["R", "A"], 3)),
        ({"A": True}, 10, (["R", "A", "B", "C", "D"], 0)),
    ],
)
def test_status_histories_listed_for_many_areas(changed, limit, expected):
    from kpis import changes

    areas = ["A", "B", "C", "D", "R"]
    frame = pl.DataFrame({"kpi_id": ["k"] * 5 + ["other"], "area": [*areas, "R"], "status_changed": [changed.get(a, False) for a in areas] + [True]})
    assert changes.history_areas(frame, "k", "R", limit) == expected


@pytest.mark.parametrize(
    ("rags", "limit", "expected"),
    [
        # more than the limit: the few worst, catalogue order among equals; the rest named
        (["green", "red", "amber", "red", "grey"], 4, (["k1", "k3"], ["k2", "k0", "k4"])),
        # up to the limit: every one, worst first
        (["green", "red", "amber"], 3, (["k1", "k2", "k0"], [])),
        (["green", "green"], 6, (["k0", "k1"], [])),
    ],
)
def test_a_priority_shows_its_worst_kpis_as_tiles_and_names_the_rest(rags, limit, expected):
    from kpis import priorities

    statuses = pl.DataFrame({"kpi_id": [f"k{i}" for i in range(len(rags))] + ["x"], "priority": [1] * len(rags) + [2], "rag": [*rags, "red"]})
    assert priorities.tiles_first(statuses, 1, limit, few=2) == expected
