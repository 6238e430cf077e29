import pandera.errors
import polars as pl
import pytest

from kpis import schemas


@pytest.mark.parametrize(
    ("values", "finite"),
    [([1.0, None], [True, True]), ([float("nan")], [False]), ([float("inf")], [False]), ([-0.0], [True])],
    ids=["numbers-and-empty", "nan", "infinity", "negative-zero"],
)
def test_finite_means_a_number_or_empty(values, finite):
    checked = pl.DataFrame({"a": values}, schema={"a": pl.Float64}).select(schemas._all_finite(("a",)))
    assert checked.to_series().to_list() == finite


@pytest.mark.parametrize(
    ("green", "amber", "ok"),
    [(2.5, 5.0, True), (5.0, 5.0, True), (6.0, 5.0, False)],
    ids=["wider-amber", "equal-bands", "amber-narrower"],
)
def test_amber_is_never_narrower_than_green(green, amber, ok):
    row = {"row": 2, "kpi_id": "a", "name": "A", "short_name": "A", "priority": None, "unit": "count", "polarity": "neutral",
           "target": None, "target_wording": None, "frequency": "annual", "definition": None, "source": None, "owner": None,
           "rag_basis": "relative", "green_within": green, "amber_within": amber, "decimals": 0, "per": None, "direction_tolerance": 0.0}
    frame = pl.DataFrame([row], schema_overrides={"row": pl.Int64, "priority": pl.Int64, "target": pl.Float64, "per": pl.Float64,
                                        "target_wording": pl.String, "definition": pl.String, "source": pl.String, "owner": pl.String})
    try:
        schemas.CatalogueModel.validate(frame, lazy=True)
        valid = True
    except pandera.errors.SchemaErrors:
        valid = False
    assert valid is ok
