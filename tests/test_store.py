import hashlib
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from kpis import ingest, readers, store


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_demo_data_loads_clean(demo_store):
    assert demo_store.ok
    assert demo_store.problems.height == 0
    assert demo_store.files["status"].to_list() == ["loaded", "loaded"]
    assert demo_store.catalogue.height == 9
    assert demo_store.observations.select(pl.struct("kpi_id", "area", "period").is_unique().all()).item()


def test_later_file_wins_and_older_value_is_a_revision(data_copy):
    (data_copy / "observations" / "2024-08-01_correction.csv").write_text("kpi_id,area,period,value\nooa_placements,City,2024/25 Q1,28\n")
    loaded = store.load(data_copy)
    current = loaded.observations.filter((pl.col("kpi_id") == "ooa_placements") & (pl.col("period") == "2024/25 Q1"))
    assert current["value"].to_list() == [28.0]
    assert current["source"].item() == "2024-08-01_correction.csv"
    revision = loaded.revisions.filter(pl.col("kpi_id") == "ooa_placements")
    assert revision["value"].to_list() == [29.0]


def test_invalid_file_is_quarantined_and_last_good_data_kept(data_copy, demo_store):
    before = digest(data_copy)
    bad = data_copy / "observations" / "2024-09-01_bad.csv"
    bad.write_text("kpi_id,area,period,value\nooa_placements,City,2024/25 Q1,28\nooa_placements,Nowhere,2024/25 Q1,1\n")
    loaded = store.load(data_copy)
    assert loaded.files.filter(pl.col("file") == bad.name)["status"].item() == "quarantined"
    assert loaded.observations.equals(demo_store.observations)
    assert loaded.problems.filter(pl.col("file") == bad.name).height == 1
    bad.unlink()
    assert digest(data_copy) == before


def test_broken_catalogue_is_reported_not_raised(data_copy):
    (data_copy / "catalogue.csv").write_text("kpi_id,name\n")
    loaded = store.load(data_copy)
    assert not loaded.ok
    assert loaded.problems.height >= 1


def test_catalogue_rules_are_checked(data_copy):
    text = (data_copy / "catalogue.csv").read_text().replace("higher_is_better,95,95%,monthly", "upwards,95,95%,monthly", 1)
    (data_copy / "catalogue.csv").write_text(text)
    loaded = store.load(data_copy)
    row = loaded.problems.filter(pl.col("file") == "catalogue.csv").row(0, named=True)
    assert row["row"] == 2 and row["column"] == "polarity" and row["value"] == "upwards"


def kpis_with_figures(loaded: store.Store) -> set[str]:
    return set(loaded.observations["kpi_id"].unique())


@pytest.mark.parametrize(("find", "replace", "column"), [
    ("higher_is_better,95,95%,monthly", "upwards,95,95%,monthly", "polarity"),
    ("higher_is_better,95,95%,monthly", "higher_is_better,abc,95%,monthly", "target"),
])
def test_a_damaged_catalogue_row_takes_out_that_kpi_only(data_copy, demo_store, find, replace, column):
    text = (data_copy / "catalogue.csv").read_text()
    (data_copy / "catalogue.csv").write_text(text.replace(find, replace, 1))
    loaded = store.load(data_copy)
    assert loaded.ok
    assert loaded.left_out == ("rtl_uptake",)
    assert set(loaded.catalogue["kpi_id"]) == set(demo_store.catalogue["kpi_id"]) - {"rtl_uptake"}
    assert kpis_with_figures(loaded) == kpis_with_figures(demo_store) - {"rtl_uptake"}
    catalogue_errors = loaded.problems.filter((pl.col("file") == "catalogue.csv") & (pl.col("severity") == "error"))
    assert catalogue_errors.select("row", "column").rows() == [(2, column)]
    # Files that hold figures for the KPI left out still load, with a warning per row instead of being quarantined.
    assert set(loaded.files["status"]) == {"loaded"}
    skipped = loaded.problems.filter(pl.col("problem").str.contains("left out"))
    assert skipped.height > 0 and set(skipped["severity"]) == {"warning"}


def test_an_unusable_catalogue_still_empties_the_store(data_copy):
    (data_copy / "catalogue.csv").write_text("kpi_id,name\nrtl_uptake,x\n")
    loaded = store.load(data_copy)
    assert not loaded.ok and "Missing column" in loaded.problems["problem"][0]


def test_a_damaged_leaf_area_takes_out_that_area_only(data_copy, demo_store):
    text = (data_copy / "areas.csv").read_text().replace("South,S,City,4", "South,NE,City,4")  # a code used twice
    (data_copy / "areas.csv").write_text(text)
    loaded = store.load(data_copy)
    assert loaded.ok
    assert set(loaded.areas["area"]) == {"City", "North West"}  # both rows that share the code are out
    assert set(loaded.observations["area"]) == {"City", "North West"}
    assert set(loaded.files["status"]) == {"loaded"}


def test_a_damaged_parent_area_empties_the_store(data_copy):
    text = (data_copy / "areas.csv").read_text().replace("City,City,,1", "City,NE,,1")
    (data_copy / "areas.csv").write_text(text)
    assert not store.load(data_copy).ok


@pytest.mark.parametrize("target", ["zz.csv", "catalogue.csv", "areas.csv"])
def test_any_exception_while_loading_a_source_quarantines_it(data_copy, demo_store, monkeypatch, caplog, target):
    (data_copy / "observations" / "zz.csv").write_text("kpi_id,area,period,value\nmmr_5y,City,2024/25 Q1,95\n")
    real_check, real_read = ingest.check_file, readers.read_text_csv

    def check_file(path, data, *args, **kwargs):
        if Path(path).name == target:
            raise OverflowError("date value out of range")
        return real_check(path, data, *args, **kwargs)

    def read_text_csv(source, file, *args, **kwargs):
        if file == target:
            raise MemoryError("out of memory")
        return real_read(source, file, *args, **kwargs)

    monkeypatch.setattr(ingest, "check_file", check_file)
    monkeypatch.setattr(readers, "read_text_csv", read_text_csv)
    loaded = store.load(data_copy)
    (problem,) = loaded.problems.filter(pl.col("file") == target).to_dicts()
    assert "could not be loaded" in problem["problem"] and problem["severity"] == "error"
    assert target in caplog.text  # logged with its traceback, not swallowed
    if target == "zz.csv":
        assert loaded.files.filter(pl.col("file") == "zz.csv")["status"].item() == "quarantined"
        assert loaded.observations.equals(demo_store.observations)
    else:
        assert not loaded.ok


def test_areas_come_from_data(data_copy):
    """Thirty-two council areas work as well as three localities."""
    names = [f"Council {i:02d}" for i in range(1, 33)]
    lines = ["area,code,parent", "Scotland,SCO,"] + [f"{n},C{i:02d},Scotland" for i, n in enumerate(names, 1)]
    (data_copy / "areas.csv").write_text("\n".join(lines) + "\n")
    obs = data_copy / "observations"
    for p in obs.glob("*.csv"):
        p.unlink()
    rows = "\n".join(f"mmr_5y,C{i:02d},2024/25 Q1,{90 + i / 10}" for i in range(1, 33))
    (obs / "councils.csv").write_text("kpi_id,area,period,value\n" + rows + "\n")
    loaded = store.load(data_copy)
    assert loaded.problems.height == 0
    assert loaded.observations["area"].n_unique() == 32


def test_signature_changes_with_the_files(data_copy):
    before = store.signature(data_copy)
    (data_copy / "observations" / "new.csv").write_text("kpi_id,area,period,value\n")
    assert store.signature(data_copy) != before


@pytest.mark.parametrize("period", ["9999/00 Q4", "0000-01"])
def test_a_period_out_of_the_calendar_quarantines_only_its_file(data_copy, demo_store, period):
    (data_copy / "observations" / "zz.csv").write_text(f"kpi_id,area,period,value\nmmr_5y,City,{period},95\n")
    loaded = store.load(data_copy)
    assert loaded.ok
    assert loaded.files.filter(pl.col("file") == "zz.csv")["status"].item() == "quarantined"
    assert loaded.observations.equals(demo_store.observations)


def test_an_unchanged_registry_is_parsed_once_and_a_changed_one_again(data_copy, monkeypatch):
    """Parsing the catalogue and areas (pandera) is most of a load's time, and every publish reloads them unchanged:
    the parse is kept by content. An edit to either file is parsed afresh, and the result is the same as a first load."""
    from kpis import areas, catalogue

    calls = []
    for module in (catalogue, areas):
        real = module.parse
        monkeypatch.setattr(module, "parse", lambda text, file, real=real: calls.append(file) or real(text, file))
    store.load(data_copy)
    calls.clear()
    again = store.load(data_copy)
    assert calls == []
    (data_copy / "catalogue.csv").write_text((data_copy / "catalogue.csv").read_text().replace("MMR", "MMR jab", 1))
    edited = store.load(data_copy)
    assert calls == ["catalogue.csv"]
    assert edited.catalogue.height == again.catalogue.height and not edited.catalogue.equals(again.catalogue)
    assert edited.areas.equals(again.areas)
    (data_copy / "areas.csv").write_text((data_copy / "areas.csv").read_text() + "\n")  # other bytes, the same areas
    calls.clear()
    assert store.load(data_copy).areas.equals(again.areas) and calls == ["areas.csv"]


def test_a_reload_checks_only_new_batches_until_the_catalogue_changes(data_copy, tmp_path, monkeypatch):
    """Each load checks the batches in force again, so that a catalogue change shows in them; a batch already checked
    against the same catalogue, areas and day is not checked twice. A changed catalogue checks every batch again."""
    from kpis import batches as B
    from kpis import cli

    for quarter, value in (("Q2", 21), ("Q3", 22)):
        upload = tmp_path / f"{quarter}.csv"
        upload.write_text(f"kpi_id,area,period,value\nooa_placements,City,2024/25 {quarter},{value}\n")
        assert cli.main(["ingest", str(upload), "--data-dir", str(data_copy)]) == 0
    checked = []
    real = ingest.check_file
    monkeypatch.setattr(ingest, "check_file", lambda name, *args, **kwargs: checked.append(Path(name).parent.name) or real(name, *args, **kwargs))
    first = store.load(data_copy)  # the second ingest loaded the store with the first batch in it: that one is known
    assert checked.count(B.BATCH_DIR) == 1
    checked.clear()
    again = store.load(data_copy)
    assert checked.count(B.BATCH_DIR) == 0 and again.observations.equals(first.observations)
    (data_copy / "catalogue.csv").write_text((data_copy / "catalogue.csv").read_text().replace("MMR", "MMR jab", 1))
    checked.clear()
    store.load(data_copy)
    assert checked.count(B.BATCH_DIR) == 2
    checked.clear()
    store.load(data_copy, today=date(2030, 1, 1))  # judged on another day: checked again
    assert checked.count(B.BATCH_DIR) == 2
