"""Small-number suppression: table tests with the expected suppressed areas and reasons written out."""

import polars as pl
import pytest

from kpis import suppression as S

AREAS = pl.DataFrame({"area": ["City", "NE", "NW", "S"], "parent": [None, "City", "City", "City"]})


def catalogue(threshold: float | None = 5, unit: str = "percent") -> pl.DataFrame:
    return pl.DataFrame({"kpi_id": ["k"], "unit": [unit], "suppress_under": [threshold]}, schema_overrides={"suppress_under": pl.Float64})


def rows(figures: dict[str, tuple[float | None, float | None, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"kpi_id": "k", "area": a, "period": "2024/25", "value": v, "numerator": n, "denominator": d} for a, (v, n, d) in figures.items()],
        schema={"kpi_id": pl.String, "area": pl.String, "period": pl.String, "value": pl.Float64, "numerator": pl.Float64, "denominator": pl.Float64},
    )


P, C, PA = "fewer than 5", "another area", "its only suppressed area"


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        # nothing small: nothing suppressed
        ({"City": (50, 50, 100), "NE": (50, 20, 40), "NW": (50, 15, 30), "S": (50, 15, 30)}, {}),
        # one small numerator with the parent shown: the smallest other child goes too
        ({"City": (50, 50, 100), "NE": (10, 3, 30), "NW": (50, 20, 40), "S": (50, 27, 30)}, {"NE": P, "NW": C}),
        # a small denominator counts the same
        ({"City": (50, 50, 100), "NE": (75, 3, 4), "NW": (50, 20, 40), "S": (50, 27, 56)}, {"NE": P, "NW": C}),
        # two small children: neither can be worked out, no second suppression
        ({"City": (50, 50, 100), "NE": (10, 3, 30), "NW": (10, 4, 40), "S": (50, 43, 30)}, {"NE": P, "NW": P}),
        # the parent not shown: no second suppression
        ({"NE": (10, 3, 30), "NW": (50, 20, 40), "S": (50, 27, 30)}, {"NE": P}),
        # the parent itself small: it is suppressed, and so no child needs to be
        ({"City": (40, 4, 10), "NE": (10, 3, 5), "NW": (20, 1, 5)}, {"City": P, "NE": P, "NW": P}),
        # an only child suppressed: the parent goes instead
        ({"City": (50, 50, 100), "NE": (10, 3, 30)}, {"NE": P, "City": PA}),
        # zero is under five too
        ({"City": (50, 50, 100), "NE": (0, 0, 30), "NW": (50, 20, 40), "S": (50, 30, 30)}, {"NE": P, "NW": C}),
    ],
)
def test_primary_and_complementary_suppression(figures, expected):
    out = S.apply(rows(figures), catalogue(), AREAS)
    found = {a: r for a, r in zip(out["area"], out["suppression_reason"], strict=True) if r is not None}
    assert found.keys() == expected.keys() and all(expected[a] in r for a, r in found.items()), found
    hidden = out.filter(pl.col("suppressed"))
    assert hidden.select(pl.col("value", "numerator", "denominator").is_null().all()).row(0) == (True, True, True)
    assert out.filter(~pl.col("suppressed"))["value"].to_list() == [figures[a][0] for a in out.filter(~pl.col("suppressed"))["area"]]


def test_a_count_under_the_threshold_is_suppressed_by_its_value():
    out = S.apply(rows({"NE": (3, None, None), "NW": (12, None, None)}), catalogue(unit="count"), AREAS)
    assert out["suppressed"].to_list() == [True, False]


def test_suppression_is_off_without_a_threshold():
    figures = rows({"City": (50, 50, 100), "NE": (10, 1, 30)})
    out = S.apply(figures, catalogue(None), AREAS)
    assert not out["suppressed"].any() and out.drop("suppressed", "suppression_reason").equals(figures)


def test_a_download_says_suppressed_never_blank():
    out = S.for_download(S.apply(rows({"City": (50, 50, 100), "NE": (10, 3, 30), "NW": (50, 20, 40), "S": (50, 27, 30)}), catalogue(), AREAS))
    assert out.filter(pl.col("area") == "NE")["value"].item() == "suppressed"
    assert out.filter(pl.col("area") == "S")["value"].item() == "50.0"


def test_the_cli_summary_and_localities_show_suppressed_figures_as_such(data_copy, capsys):
    import json

    from kpis import cli

    catalogue = pl.read_csv(data_copy / "catalogue.csv", infer_schema=False)
    catalogue.with_columns(pl.when(pl.col("kpi_id") == "rtl_uptake").then(pl.lit("1000")).otherwise(None).alias("suppress_under")).write_csv(
        data_copy / "catalogue.csv")
    assert cli.main(["summary", "--json", "--data-dir", str(data_copy)]) == 0
    records = json.loads(capsys.readouterr().out)
    hidden = [r for r in records if r["suppressed"]]
    assert hidden and {r["kpi_id"] for r in hidden} == {"rtl_uptake"}
    assert all(r["value"] is None and "fewer than 1000" in r["suppression_reason"] for r in hidden)
    assert cli.main(["localities", "--json", "--data-dir", str(data_copy)]) == 0
    localities = [r for r in json.loads(capsys.readouterr().out) if r["kpi_id"] == "rtl_uptake"]
    assert localities and all(r["value"] is None and r["low"] is None for r in localities)


@pytest.mark.parametrize("page", ["pages/overview_page.py", "pages/trends_page.py", "pages/localities_page.py"])
@pytest.mark.slow
def test_pages_show_suppressed_figures_as_such(data_copy, monkeypatch, page):
    from test_app_pages import html_text, open_page

    catalogue = pl.read_csv(data_copy / "catalogue.csv", infer_schema=False)
    catalogue.with_columns(pl.when(pl.col("kpi_id") == "rtl_uptake").then(pl.lit("1000")).otherwise(None).alias("suppress_under")).write_csv(
        data_copy / "catalogue.csv")
    monkeypatch.setenv("KPI_DATA_DIR", str(data_copy))
    at = open_page(page, kpi="rtl_uptake")
    assert not at.exception, [e.value for e in at.exception]
    if page == "pages/overview_page.py":
        assert "suppressed" in html_text(at)


def test_the_trend_download_says_suppressed_with_the_reason(data_copy):
    from kpis import store, suppression, views

    catalogue = pl.read_csv(data_copy / "catalogue.csv", infer_schema=False)
    catalogue.with_columns(pl.when(pl.col("kpi_id") == "rtl_uptake").then(pl.lit("1000")).otherwise(None).alias("suppress_under")).write_csv(
        data_copy / "catalogue.csv")
    shown = suppression.shown(store.load(data_copy))
    table = views.trend_table(views.trend(shown, ["rtl_uptake"], None, None), with_counts=True)
    assert table.height and set(table["Value"]) == {"suppressed"} and set(table["Numerator"]) == {"suppressed"}
    assert table["Suppressed because"].str.contains("fewer than 1000").all()


# ---- every output path: a folder where one area's figure is built on 3 children -------------------------------
#
# rtl_uptake in Jul 2024: North East 3 of 7 (43%) is under the threshold of 5; North West 160 of 250 (64%) is the
# smallest other area, so it is suppressed too (else 43% could be worked out from City's 461 of 605 minus the
# others). Neither figure, nor its counts, may appear in any output; each must say "suppressed" and why.

SMALL = {"City": (461, 605), "North East": (3, 7), "North West": (160, 250), "South": (298, 348)}
HIDDEN = ("43%", "64%", "42.86", "42.9", "64.0", "160")  # the suppressed figures as any output would write them
JUL = "Jul 2024"


@pytest.fixture
def small_folder(data_copy):
    catalogue = pl.read_csv(data_copy / "catalogue.csv", infer_schema=False)
    catalogue.with_columns(pl.when(pl.col("kpi_id") == "rtl_uptake").then(pl.lit("5")).otherwise(None).alias("suppress_under")).write_csv(
        data_copy / "catalogue.csv")
    pl.DataFrame([{"kpi_id": "rtl_uptake", "area": a, "period": JUL, "value": round(100 * n / d, 4), "numerator": n, "denominator": d,
                   "note": ""} for a, (n, d) in SMALL.items()]).write_csv(data_copy / "observations" / "2024-07_rtl.csv")
    return data_copy


def leaks(text: str, hidden: tuple[str, ...] = HIDDEN) -> list[str]:
    """The suppressed figures found in `text` as numbers of their own ('64%', not the end of '90.64%')."""
    import re

    return [h for h in hidden if re.search(rf"(?<![\d.,]){re.escape(h)}(?![\d])", text)]


def cli_out(capsys, *args: str) -> str:
    from kpis import cli

    code = cli.main(list(args))
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    return out.out


def test_the_small_folder_suppresses_north_east_and_north_west(small_folder):
    from kpis import store

    shown = S.shown(store.load(small_folder)).observations.filter((pl.col("kpi_id") == "rtl_uptake") & (pl.col("period") == JUL))
    found = dict(zip(shown["area"].cast(pl.String), shown["suppression_reason"], strict=True))
    assert {a for a, r in found.items() if r} == {"North East", "North West"}
    assert "fewer than 5" in found["North East"] and "another area" in found["North West"]


def test_shown_is_idempotent(small_folder):
    from kpis import store

    once = S.shown(store.load(small_folder))
    assert S.shown(once).observations.equals(once.observations)
    assert S.apply(once.observations, once.catalogue, once.areas)["suppressed"].sum() == once.observations["suppressed"].sum() > 0


def test_cli_summary_text_and_json_say_suppressed(small_folder, capsys):
    import json

    text = cli_out(capsys, "summary", "--period", JUL, "--data-dir", str(small_folder))
    rows = [line for line in text.splitlines() if line.startswith("rtl_uptake")]
    assert [r for r in rows if "suppressed" in r] and not leaks("\n".join(rows)), rows
    records = [r for r in json.loads(cli_out(capsys, "summary", "--json", "--period", JUL, "--data-dir", str(small_folder)))
               if r["kpi_id"] == "rtl_uptake" and r["period"] == JUL]
    assert {r["area"] for r in records if r["suppressed"]} == {"North East", "North West"}
    assert not leaks(json.dumps(records))


def test_cli_localities_text_says_suppressed_with_the_reason(small_folder, capsys):
    text = cli_out(capsys, "localities", "--period", JUL, "--data-dir", str(small_folder))
    rows = [line for line in text.splitlines() if line.startswith("rtl_uptake")]
    assert len([r for r in rows if "suppressed" in r]) == 2 and any("fewer than 5" in r for r in rows), rows
    assert not leaks("\n".join(rows))


@pytest.mark.parametrize("json_flag", [(), ("--json",)])
def test_cli_changes_never_shows_a_suppressed_figure(small_folder, capsys, json_flag):
    text = cli_out(capsys, "changes", "--period", JUL, "--since", "Jul 2023", *json_flag, "--data-dir", str(small_folder))
    assert "suppressed" in text and not leaks(text)


@pytest.mark.parametrize("area", ["North East", "North West"])
def test_cli_spc_leaves_a_suppressed_figure_out_of_the_series(small_folder, capsys, area):
    import json

    text = cli_out(capsys, "spc", "--kpi", "rtl_uptake", "--area", area, "--json", "--data-dir", str(small_folder))
    values = [p["value"] for p in json.loads(text)["points"]]
    assert values and round(100 * SMALL[area][0] / SMALL[area][1], 4) not in values


@pytest.mark.parametrize("fmt", ["pdf", "pptx"])
def test_the_pack_never_shows_a_suppressed_figure(small_folder, tmp_path, capsys, fmt):
    out = tmp_path / f"pack.{fmt}"
    cli_out(capsys, "pack", "--period", JUL, "--area", "City", "--kpis", "rtl_uptake,mmr_24m", "--format", fmt, "--out", str(out),
            "--data-dir", str(small_folder))
    pages = read_pack(out)
    slide = next(p for p in pages if "Uptake of the Ready to Learn" in p and "North East" in p)
    assert slide.count("suppressed") >= 2 and "fewer than 5" in slide, slide
    assert not leaks(" ".join(pages)), leaks(" ".join(pages))


def read_pack(path) -> list[str]:
    """Every page's or slide's text (PowerPoint: with tables and speaker notes)."""
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        return [" ".join(page.extract_text().split()) for page in PdfReader(path).pages]
    from pptx import Presentation

    pages = []
    for slide in Presentation(str(path)).slides:
        words = [s.text_frame.text for s in slide.shapes if s.has_text_frame]
        words += [c.text for s in slide.shapes if s.has_table for row in s.table.rows for c in row.cells]
        words += [slide.notes_slide.notes_text_frame.text] if slide.has_notes_slide else []
        pages.append(" ".join(" ".join(words).split()))
    return pages


@pytest.mark.parametrize(("area", "reason"), [("North East", "fewer than 5"), ("North West", "another area"), ("City", None)])
def test_the_deck_of_any_area_says_suppressed_in_figure_table_and_notes(small_folder, area, reason):
    from kpis import deck, store
    from kpis.periods import parse_period

    built = deck.build(store.load(small_folder), parse_period(JUL), area, ["rtl_uptake"])
    (slide,) = [s for s in built.slides if s.kpi_id == "rtl_uptake"]
    said = deck.text_of(slide) + " " + slide.notes + " " + " ".join(c.alt_text for c in slide.charts)
    said += " " + " ".join(deck.text_of(s) + " " + s.notes for s in built.slides if s.kind == "title")
    assert "suppressed" in said.lower() and not leaks(said), said
    if reason:
        assert slide.figure.value == "suppressed" and reason in slide.figure.note and reason in slide.notes
        title = next(s for s in built.slides if s.kind == "title")
        assert dict(title.counts)["grey"] >= 1  # a suppressed figure has no status: it is never counted as red or green


def test_downloads_say_suppressed_with_the_reason(small_folder):
    from kpis import changes, store, views
    from kpis import exports as E
    from kpis.periods import parse_period

    raw = store.load(small_folder)
    shown, jul = S.shown(raw), parse_period(JUL)
    tables = {
        "summary": E.summary_table(raw, jul, "City"),  # handed the stored figures: the download suppresses them itself
        "trend": E.trend_table(views.trend(shown, ["rtl_uptake"], None, jul), shown.catalogue, True),
        "localities": E.localities_table(views.localities(shown, jul, "City"), "City"),
        "changes": E.changes_table(S.mark(changes.changes(shown, jul, parse_period("Jul 2023")), shown.observations)),
    }
    for name, table in tables.items():
        for kind in ("csv", "xlsx"):
            back = E.read_back(E.encode(table, kind), kind)
            text = back.write_csv()
            assert "suppressed" in text and "fewer than 5" in text, (name, kind)
            assert not leaks(text), (name, kind, leaks(text))


@pytest.mark.parametrize(("page", "params"), [
    ("pages/overview_page.py", {}),
    ("pages/localities_page.py", {"kpi": "rtl_uptake"}),
    ("pages/changes_page.py", {"since": "Jul 2023"}),
    ("pages/trends_page.py", {"kpi": "rtl_uptake", "areas": "North East,North West,South", "counts": "true", "spc": "true"}),
])
def test_no_page_shows_a_suppressed_figure(small_folder, monkeypatch, page, params):
    from test_app_pages import all_text, open_page

    monkeypatch.setenv("KPI_DATA_DIR", str(small_folder))
    at = open_page(page, period=JUL, area="City", **params)
    assert not at.exception, [e.value for e in at.exception]
    tables = [t.value for t in at.table] + [d.value for d in at.dataframe]
    text = all_text(at) + "\n".join(t.to_csv() if hasattr(t, "to_csv") else str(t) for t in tables)
    assert "suppressed" in text
    assert not leaks(text, ("43%", "64%", "42.86", "42.857"))


def test_the_pages_cache_gives_spc_changes_and_the_store_as_shown(small_folder, monkeypatch):
    from kpis.periods import parse_period
    from pages import cache

    monkeypatch.setenv("KPI_DATA_DIR", str(small_folder))
    jul = parse_period(JUL)
    for area, (n, d) in SMALL.items():
        result = cache.spc_result("rtl_uptake", area, jul)
        assert (round(100 * n / d, 4) in result.points["value"].to_list()) == (area in ("City", "South")), area
    spc = cache.spc_summary(jul, list(SMALL)).filter(pl.col("kpi_id") == "rtl_uptake")
    direct = {a: cache.spc_result("rtl_uptake", a, jul).variation for a in SMALL}
    assert dict(zip(spc["area"], spc["variation"], strict=True)) == direct  # the summary reads the same, suppressed series
    found = cache.changes(jul, "Jul 2023", jul.end, ["North East", "North West"]).filter(pl.col("kpi_id") == "rtl_uptake")
    assert found["suppressed"].to_list() == [True, True] and found["value"].is_null().all()
    assert cache.shown_store().observations["suppressed"].sum() == 2


def test_a_suppressed_area_keeps_its_row_in_the_locality_table_matrix_and_bars(small_folder):
    from kpis import charts, store, views
    from kpis.periods import parse_period

    frame = views.localities(S.shown(store.load(small_folder)), parse_period(JUL), "City").filter(pl.col("kpi_id") == "rtl_uptake")
    table = views.comparison_table(frame, "City")
    expected = {
        "North East": ("suppressed", "– Not compared: suppressed: fewer than 5 people counted, so the figure is not shown"),
        "North West": ("suppressed", "– Not compared: suppressed: " + S.COMPLEMENTARY),
        "South": ("86%", "▲ Better than City"),
    }
    assert {r[0]: (r[2], r[-1]) for r in table.iter_rows()} == expected
    matrix, _ = views.locality_matrix(frame, list(expected))
    assert [matrix[a].item().split("  ")[0] for a in expected] == ["suppressed", "suppressed", "86%"]
    bars = charts.locality_bars(frame, "Ready to Learn uptake", "percent", 0).to_dict()
    rows = {r["area"]: r for r in next(iter(bars["datasets"].values()))}
    assert set(rows) == set(expected)  # every area has a bar: a suppressed one is a word at zero, never a gap
    assert rows["North East"]["label"].startswith("suppressed: fewer than 5") and rows["North East"]["_x"] == 0.0
