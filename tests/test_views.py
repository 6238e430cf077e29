import polars as pl

from kpis import views
from kpis.periods import parse_period

Q1 = parse_period("2024/25 Q1")


def test_tiles_in_catalogue_order_with_parts(demo_store):
    tiles = views.tiles(demo_store, Q1, "City")
    assert [t.kpi["kpi_id"] for t in tiles] == demo_store.catalogue["kpi_id"].to_list()
    rtl = tiles[0]
    assert rtl.main is None and [p["code"] for p in rtl.parts] == ["NE", "NW", "S"]
    assert rtl.status_row["rag"] == "red"
    assert rtl.spark["period"].n_unique() <= views.SPARK_POINTS
    hwc = tiles[2]
    assert hwc.main["value"] == 800 and hwc.parts == []


def test_kpi_statuses_count_like_the_report(demo_store):
    statuses = views.kpi_statuses(demo_store, Q1, "City")
    assert dict(statuses.group_by("rag").len().iter_rows()) == {"green": 4, "red": 5}
    assert statuses["has_figure"].all()


def test_trend_bands_follow_polarity(demo_store):
    ooa = views.trend(demo_store, ["ooa_placements"], ["City"], Q1).row(-1, named=True)
    assert ooa["green_limit"] > ooa["target"] and ooa["amber_limit"] > ooa["green_limit"]  # lower is better: bands above
    mmr = views.trend(demo_store, ["mmr_24m"], ["City"], Q1).row(-1, named=True)
    assert mmr["amber_limit"] < mmr["green_limit"] < mmr["target"]


def test_trend_stops_at_the_period(demo_store):
    frame = views.trend(demo_store, ["hwc_referrals"], ["City"], parse_period("2023/24 Q2"))
    assert frame["period"].to_list()[-1] == "2023/24 Q2"


def test_localities_derive_the_parent_from_counts(demo_store):
    frame = views.localities(demo_store, Q1, "City").filter(pl.col("kpi_id") == "rtl_uptake")
    assert frame["derived"].all()
    assert frame["reference"][0] == (261 + 231 + 267) / (300 + 275 + 300) * 100
    assert set(frame["compared"]) == {"similar"}


def test_localities_of_an_area_without_parts_is_empty(demo_store):
    assert views.localities(demo_store, Q1, "South").height == 0


def test_locality_matrix_cells(demo_store):
    text, rag = views.locality_matrix(views.localities(demo_store, Q1, "City"), ["North East", "North West", "South"])
    assert text.columns == ["KPI", "North East", "North West", "South"]
    row = text.filter(pl.col("KPI") == "Uptake of the Ready to Learn Assessments").row(0, named=True)
    assert row["North West"] == "84%  ✖ Red  ↓ Worsening"
    assert rag.filter(pl.col("KPI").str.starts_with("Uptake"))["South"].item() == "red"


def test_search_catalogue(demo_store):
    assert views.search_catalogue(demo_store.catalogue, "MMR 5 years")["kpi_id"].to_list() == ["mmr_5y"]
    assert views.search_catalogue(demo_store.catalogue, "  ").height == 9
    assert views.search_catalogue(demo_store.catalogue, "nothing-like-this").height == 0


def test_rule_text(demo_store):
    assert views.rule_text(demo_store.kpi("ooa_placements")) == (
        "green when on target or less than 2.5% of target above it; amber when less than 5% of target above; red otherwise")
    assert views.rule_text({**demo_store.kpi("mmr_5y"), "rag_basis": "absolute"}).startswith("green when on target or less than 2.5 percentage points below")


def test_priority_kpis_prefer_the_narrative(demo_store):
    from conftest import DATA
    from kpis import narratives

    (q1,), _ = narratives.load_all(DATA / "narratives")
    assert views.priority_kpis(demo_store, q1.section("priority_1"), 1)[0] == "rtl_uptake"
    assert views.priority_kpis(demo_store, q1.section("priority_5"), 5) == []  # the workforce priority has no KPI
