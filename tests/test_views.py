import polars as pl
import pytest

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


def test_trend_intervals_follow_the_unit(demo_store):
    ooa = views.trend(demo_store, ["ooa_placements"], ["City"], Q1).row(-1, named=True)  # a count of 29: exact Poisson limits
    assert (ooa["method"], round(ooa["ci_low"], 4), round(ooa["ci_high"], 4)) == ("poisson_exact", 19.4218, 41.6488)
    rtl = views.trend(demo_store, ["rtl_uptake"], ["North East"], Q1).row(-1, named=True)
    assert (rtl["method"], round(rtl["ci_low"], 2), round(rtl["ci_high"], 2)) == ("wilson", 82.72, 90.34)
    mmr = views.trend(demo_store, ["mmr_24m"], ["City"], Q1).row(-1, named=True)  # a percentage without its counts
    assert (mmr["method"], mmr["ci_low"], mmr["interval_reason"]) == ("none", None, "no numerator and denominator")


def test_trend_stops_at_the_period(demo_store):
    frame = views.trend(demo_store, ["hwc_referrals"], ["City"], parse_period("2023/24 Q2"))
    assert frame["period"].to_list()[-1] == "2023/24 Q2"


def test_localities_derive_the_parent_from_counts(demo_store):
    frame = views.localities(demo_store, Q1, "City").filter(pl.col("kpi_id") == "rtl_uptake")
    assert frame["parent_derived"].all()
    assert frame["parent_value"][0] == (261 + 231 + 267) / (300 + 275 + 300) * 100
    assert set(frame["parent_period"]) == set(frame["period"]) == {"Jun 2024"}
    assert set(frame["method"]) == {"wilson"}
    assert set(frame["comparison"]) == {"similar"} and frame["reason"].null_count() == frame.height


def _cases(tmp_path, rows):
    from locality_cases import write_folder

    from kpis import store

    return views.localities(store.load(write_folder(tmp_path, rows)), Q1, "City")


def _by_area(frame):
    return {r["area"]: r for r in frame.iter_rows(named=True)}


def test_a_count_is_part_of_its_total_with_exact_poisson_limits(tmp_path):
    from locality_cases import OOA_COUNTS

    frame = _cases(tmp_path, OOA_COUNTS)
    rows = _by_area(frame)
    expected = {  # area: (low, high) of the count itself, not a percentage of numerator/denominator
        "North East": (1.6235, 11.6683), "North West": (4.7954, 18.3904), "South": (7.6539, 23.4896)}
    for area, (low, high) in expected.items():
        row = rows[area]
        assert (row["method"], row["comparison"], row["reason"]) == ("poisson_exact", "not_compared", "part of a total")
        assert (round(row["low"], 4), round(row["high"], 4)) == (low, high)
        assert row["gap"] is None  # never a gap between a part and its whole
        assert (row["parent_value"], row["parent_period"]) == (29.0, "2024/25 Q1")
    table = views.comparison_table(frame, "City")
    assert set(table["Gap to City"]) == {"–"}
    assert set(table["Compared with City"]) == {"– Not compared: part of a total"}


def test_a_rate_per_1000_has_an_interval_round_its_own_value(tmp_path):
    from locality_cases import RATES

    rows = _by_area(_cases(tmp_path, RATES))
    expected = {  # area: method, low, high, comparison against City = 41/6000 × 1,000 = 6.83 (derived)
        "North East": ("byar", 8.0871, 18.4532, "worse"),
        "North West": ("poisson_exact", 1.1009, 6.5297, "better"),
        "South": ("byar", 2.3937, 9.1957, "similar"),
    }
    for area, (method, low, high, comparison) in expected.items():
        row = rows[area]
        assert (row["method"], round(row["low"], 4), round(row["high"], 4), row["comparison"]) == (method, low, high, comparison)
        assert row["low"] <= row["value"] <= row["high"]
        assert row["parent_derived"] and row["parent_value"] == pytest.approx(41 / 6000 * 1000)


def test_an_incomplete_child_derives_no_parent(tmp_path):
    from locality_cases import IMPOSSIBLE_CITY

    rows = _by_area(_cases(tmp_path, IMPOSSIBLE_CITY))
    why = "no City figure for 2024/25 Q1, and none can be derived: South has no denominator"
    for area in ("North East", "North West"):
        row = rows[area]
        assert (row["parent_value"], row["parent_derived"], row["comparison"], row["reason"]) == (None, False, "not_compared", why)
    assert (rows["South"]["method"], rows["South"]["reason"]) == ("none", "numerator without denominator")
    caption = views.parent_caption(rows["North East"], "City", "percent", 2)
    assert caption == f"Not compared with City: {why}."


def test_no_comparison_across_periods(tmp_path):
    from locality_cases import ACROSS_PERIODS

    rows = _by_area(_cases(tmp_path, ACROSS_PERIODS))
    for row in rows.values():
        assert (row["comparison"], row["reason"]) == ("not_compared", "City's latest figure is for 2023/24 Q4")
        assert (row["parent_value"], row["parent_period"], row["gap"]) == (60.0, "2023/24 Q4", None)
    caption = views.parent_caption(rows["South"], "City", "percent", 2)
    assert "2023/24 Q4" in caption and "2024/25 Q1" in caption and "Not compared" in caption


def test_the_parent_figure_of_the_same_period_is_used(tmp_path):
    from locality_cases import ACROSS_PERIODS

    rows = _by_area(_cases(tmp_path, [*ACROSS_PERIODS, ("mmr_24m", "City", "2024/25 Q1", 80, None, None)]))
    assert {(r["parent_value"], r["parent_period"], r["comparison"]) for r in rows.values()} == {(80.0, "2024/25 Q1", "worse")}
    assert {r["gap"] for r in rows.values()} == {-10.0}


def test_localities_of_an_area_without_parts_is_empty(demo_store):
    assert views.localities(demo_store, Q1, "South").height == 0


def test_locality_matrix_cells(demo_store):
    text, rag = views.locality_matrix(views.localities(demo_store, Q1, "City"), ["North East", "North West", "South"])
    assert text.columns == ["KPI", "North East", "North West", "South"]
    row = text.filter(pl.col("KPI") == "Uptake of the Ready to Learn Assessments").row(0, named=True)
    assert row["North West"] == "84%  ✖ Red  ↓ Worsening, within normal variation"
    assert rag.filter(pl.col("KPI").str.starts_with("Uptake"))["South"].item() == "red"


def test_locality_matrix_names_the_spc_variation_in_words(demo_store):
    from kpis import spc

    areas = ["North East", "North West", "South"]
    text, _ = views.locality_matrix(views.localities(demo_store, Q1, "City"), areas, spc.summary(demo_store, Q1, areas))
    row = text.filter(pl.col("KPI") == "Uptake of the Ready to Learn Assessments").row(0, named=True)
    assert row["North West"] == "84%  ✖ Red  ↓ Worsening, within normal variation  · SPC: ◆ Common cause"
    assert row["North East"].endswith("· SPC: ▲ Special cause: improvement (high)"), row


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


ACROSS_PERIODS_AREAS = [("mmr_24m", area, "2024/25 Q1", 70, 70, 100) for area in ("North East", "North West", "South")]


def test_a_stale_area_is_compared_with_the_parent_of_its_own_period(tmp_path):
    older = [(k, a, "2023/24 Q4", v, n, d) for k, a, _, v, n, d in ACROSS_PERIODS_AREAS]
    rows = _by_area(_cases(tmp_path, [*older, ("mmr_24m", "City", "2023/24 Q4", 60, None, None), ("mmr_24m", "City", "2024/25 Q1", 80, None, None)]))
    assert {(r["period"], r["parent_value"], r["parent_period"], r["comparison"]) for r in rows.values()} == {("2023/24 Q4", 60.0, "2023/24 Q4", "better")}


@pytest.mark.parametrize(
    ("shortfall", "polarity", "unit", "words"),
    [
        (8.0, "higher_is_better", "percent", "8.0 pts below"),
        (-2.0, "higher_is_better", "percent", "2.0 pts above"),
        (0.0, "higher_is_better", "percent", "on target"),
        (4.0, "lower_is_better", "count", "4.0 over"),
        (-3.0, "lower_is_better", "count", "3.0 under"),
        (None, "higher_is_better", "percent", "–"),
        (1.0, "neutral", "number", "–"),
    ],
)
def test_gap_to_target_in_words(shortfall, polarity, unit, words):
    frame = pl.DataFrame({"shortfall": [shortfall], "polarity": [polarity], "unit": [unit], "gap_decimals": [1]},
                         schema={"shortfall": pl.Float64, "polarity": pl.String, "unit": pl.String, "gap_decimals": pl.Int64})
    frame = frame.with_columns(views.target_gap_expr().abs().alias("_abs_gap"))
    assert frame.select(views.target_gap_text_expr()).item() == words


def test_localities_rank_by_gap_to_target_and_compare_a_leaf_with_its_siblings(demo_store):
    frame = views.localities(demo_store, parse_period("2024/25 Q1"), "City")
    ranked = views.ranked_by_target_gap(frame.filter(pl.col("kpi_id") == "rtl_uptake"))
    assert ranked["area"].to_list() == ["North West", "North East", "South"]
    assert views.comparison_table(ranked, "City")["Gap to target"].to_list() == ["11.0 pts below", "8.0 pts below", "6.0 pts below"]
    assert views.comparison_scope(demo_store.areas, "North West") == ("City", "North West")
    assert views.comparison_scope(demo_store.areas, "City") == ("City", None)


@pytest.mark.parametrize(("kpi_ids", "chosen", "expected"), [
    (["a", "b", "c"], "c", ["c", "a", "b"]),            # the tile's KPI first, the rest after it
    (["a", "b", "c"], "z", ["a", "b", "c"]),            # not one of them: all, in order
    ([f"k{i}" for i in range(8)], "k5", ["k5"]),        # many: the chosen one alone
    ([f"k{i}" for i in range(8)], None, ["k0"]),        # many and none chosen: the first
])
def test_localities_compare_the_chosen_kpi_first(kpi_ids, chosen, expected):
    assert views.default_comparisons(kpi_ids, chosen) == expected
