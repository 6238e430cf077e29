"""The deck built from the demo data: which slides, what each KPI slide says, and narrative overflow."""

from __future__ import annotations

import pytest

from conftest import DATA
from kpis import deck as D
from kpis import narratives
from kpis.periods import parse_period

Q1 = parse_period("2024/25 Q1")


@pytest.fixture(scope="module")
def found():
    return narratives.load_all(DATA / "narratives")[0]


@pytest.fixture(scope="module")
def city(demo_store, found):
    return D.build(demo_store, Q1, "City", None, found)


def test_slides_are_title_priorities_kpis_then_themes(city, demo_store, found):
    kinds = [s.kind for s in city.slides]
    n_kpis = demo_store.catalogue.height
    assert kinds[0] == "title"
    first_kpi = kinds.index("kpi")
    assert set(kinds[1:first_kpi]) == {"priority"}
    assert kinds[first_kpi:first_kpi + n_kpis] == ["kpi"] * n_kpis
    assert set(kinds[first_kpi + n_kpis:]) == {"theme"}
    priorities = {s.title.removesuffix(" (continued)") for s in city.slides if s.kind == "priority"}
    assert priorities == {s.title for s in narratives.for_period(found, Q1).priorities()}
    themes = [s.title for s in city.slides if s.kind == "theme" and not s.title.endswith("(continued)")]
    assert themes == ["Achievements", "Areas for Improvement", "Challenges", "Opportunities"]


def test_title_slide_counts_statuses_of_the_deck(city):
    title = city.slides[0]
    assert dict(title.counts) == {"red": 5, "amber": 0, "green": 4, "grey": 0}
    assert "Reporting period: 2024/25 Q1" in title.paragraphs and "Area: City" in title.paragraphs
    assert any(p.startswith("Data as at: 2024/25 Q1") for p in title.paragraphs)


@pytest.mark.parametrize(("kpi_id", "value", "status", "direction"), [
    ("mmr_24m", "90.24%", "✖ Red", "↓ Worsening"),
    ("mmr_5y", "94.97%", "✔ Green", "↑ Improving"),
    ("hwc_referrals", "800", "✔ Green", "↑ Improving, a significant change"),
    ("ooa_placements", "29", "✖ Red", "↑ Worsening"),
])
def test_kpi_slide_has_value_status_direction_and_spc_words(city, kpi_id, value, status, direction):
    slide = next(s for s in city.slides if s.kpi_id == kpi_id)
    f = slide.figure
    assert (f.value, f.status) == (value, status)
    assert f.direction.startswith(direction)
    assert f.spc and all("SPC " in line and "Assurance " in line for line in f.spc)
    assert slide.notes.startswith(status.split()[1])  # the 'why' sentences open with the status word
    assert slide.charts and slide.charts[0].alt_text.startswith("Line chart of")


def test_a_kpi_reported_by_area_shows_the_derived_parent_figure_and_the_areas(city):
    slide = next(s for s in city.slides if s.kpi_id == "rtl_uptake")
    f = slide.figure
    assert f.value == "87%" and "derived from the areas' numerators and denominators" in f.note
    assert f.parts == ("NE 87% ✖ Red", "NW 84% ✖ Red", "S 89% ✖ Red")
    assert f.status == "✖ Red (all areas)"
    assert [r[0] for r in slide.table.rows] == ["North East", "North West", "South"]
    assert slide.table.header[-1] == "Compared with City"


def test_kpi_slide_quotes_the_sentence_that_names_it(city):
    slide = next(s for s in city.slides if s.kpi_id == "rtl_uptake")
    assert len(slide.paragraphs) == 1
    assert "Ready to Learn assessment" in slide.paragraphs[0] and slide.paragraphs[0].endswith("(Areas for Improvement)")


def test_naming_sentence_comes_only_from_a_section_whose_kpis_line_lists_it(found, demo_store):
    narrative = narratives.for_period(found, Q1)
    for kpi in demo_store.catalogue.iter_rows(named=True):
        named = D.naming_sentence(narrative, kpi)
        sections = [s for s in narrative.sections if kpi["kpi_id"] in s.kpis]
        if not sections:
            assert named is None
            continue
        sentence, title = named
        assert title in {s.title for s in sections}
        assert sentence in " ".join(D.paragraphs(next(s for s in sections if s.title == title).body))


def test_kpi_order_follows_the_list_and_unknown_ids_are_refused(demo_store, found):
    chosen = D.build(demo_store, Q1, "City", ["mmr_5y", "rtl_uptake"], found)
    assert [s.kpi_id for s in chosen.slides if s.kind == "kpi"] == ["mmr_5y", "rtl_uptake"]
    assert dict(chosen.slides[0].counts) == {"red": 1, "amber": 0, "green": 1, "grey": 0}
    with pytest.raises(D.DeckError, match="nope"):
        D.build(demo_store, Q1, "City", ["mmr_5y", "nope"], found)


def test_a_long_narrative_continues_on_the_next_slide(demo_store):
    long = " ".join(f"Sentence number {i} says something about the service and what it learned." for i in range(60))
    text = f"---\nperiod: 2024/25 Q1\n---\n## Partnership Priority 1: Long\nKPIs: mmr_24m\n\n{long}\n\n- A short bullet.\n"
    deck = D.build(demo_store, Q1, "City", ["mmr_24m"], [narratives.parse(text)])
    pages = [s for s in deck.slides if s.kind == "priority"]
    assert len(pages) >= 3
    assert pages[0].title == "Partnership Priority 1: Long" and all(p.title.endswith("(continued)") for p in pages[1:])
    assert all(sum(len(p) for p in page.paragraphs) <= D.BUDGET_BESIDE for page in pages)
    # Nothing is lost or repeated: the pages hold the narrative's sentences in order.
    assert " ".join(p for page in pages for p in page.paragraphs) == f"{long} A short bullet."


def test_split_by_budget_keeps_short_paragraphs_together():
    assert D.split_by_budget(["a" * 10, "b" * 10, "c" * 10], 25) == [["a" * 10, "b" * 10], ["c" * 10]]
    assert D.split_by_budget(["One. Two. Three."], 8) == [["One.", "Two."], ["Three."]]  # a long paragraph is cut between sentences


def test_plain_drops_markdown_emphasis_and_links():
    assert D.plain("**bold** and *italic* and [a link](http://x)") == "bold and italic and a link"
    assert D.paragraphs("Intro line\nsecond line\n\n- one\n- two **b**") == ["Intro line second line", "one", "two b"]


def test_kpi_notes_carry_status_history_and_comments(demo_store, found, tmp_path):
    from kpis import comments

    comments.add(tmp_path, comments.Draft("ooa_placements", "2024/25 Q1", "Two placements ended early", "Review panel", "Head of Service"),
                 "analyst", set(demo_store.catalogue["kpi_id"]))
    comments.add(tmp_path, comments.Draft("ooa_placements", "2025/26 Q1", "Not yet said"), "analyst", set(demo_store.catalogue["kpi_id"]))
    built = D.build(demo_store, Q1, "City", ["ooa_placements"], found, comments.read(tmp_path)[0])
    (slide,) = [s for s in built.slides if s.kind == "kpi"]
    assert "Status history in City: Red from" in slide.notes
    assert "Comment on 2024/25 Q1 (analyst, " in slide.notes and "Two placements ended early. Being done: Review panel. Owner: Head of Service." in slide.notes
    assert "Not yet said" not in slide.notes  # a comment on a later period is not part of this deck


# ---- fits ------------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "height", "fit"), [
    (1920, 1080, "screen"),  # a 1920×1080 screen at 100%
    (1280, 720, "screen"),  # a 1280×720 projector, or 1920×1080 at 150% zoom
    (1100, 600, "screen"),  # the smallest screen fit
    (1099, 720, "compact"),
    (1280, 599, "compact"),
    (853, 480, "compact"),  # 1280×720 at 150% zoom
])
def test_fit_follows_the_css_viewport(width, height, fit):
    assert D.fit_for(width, height) == fit


@pytest.fixture(scope="module")
def compact(demo_store, found):
    return D.build(demo_store, Q1, "City", None, found, fit="compact")


def test_the_compact_deck_says_everything_the_screen_deck_says(city, compact):
    assert compact.fit == "compact" and len(compact.slides) > len(city.slides)
    said = "\n".join(D.text_of(s) for s in compact.slides)
    for slide in city.slides:
        for line in D.text_of(slide).split("\n"):
            assert line.removesuffix(" (continued)") in said, line
    assert [s.kpi_id for s in compact.slides if s.kind == "kpi"] == [s.kpi_id for s in city.slides if s.kind == "kpi"]


def test_a_compact_kpi_slide_has_its_figure_and_trend_then_its_detail(compact):
    i = next(i for i, s in enumerate(compact.slides) if s.kpi_id == "rtl_uptake")
    head, detail = compact.slides[i], compact.slides[i + 1]
    assert head.kind == "kpi" and head.continues and head.charts and head.table is None and not head.paragraphs
    assert (head.figure.spc, head.figure.note) == ((), "")
    assert detail.kind == "kpi_detail" and detail.title == f"{head.title} (continued)" and not detail.charts
    assert detail.table is not None and detail.figure.spc and detail.paragraphs
    assert detail.notes == head.notes


def test_compact_text_stays_within_its_budget_and_its_table_follows_on_its_own(compact):
    room = D.FITS["compact"]
    text = [s for s in compact.slides if s.kind in ("priority", "theme")]
    assert all(sum(len(p) for p in s.paragraphs) <= room.wide for s in text)
    assert all(not (s.paragraphs and s.table) for s in text)
    tables = [i for i, s in enumerate(compact.slides) if s.kind == "priority" and s.table is not None]
    assert tables and all(compact.slides[i - 1].continues and compact.slides[i].title.endswith(": its KPIs") for i in tables)


def test_an_unknown_fit_is_a_deck_error(demo_store, found):
    with pytest.raises(D.DeckError, match="unknown fit: tiny"):
        D.build(demo_store, Q1, "City", ["mmr_5y"], found, fit="tiny")


def test_areas_with_the_same_spc_reading_share_one_line(city):
    f = next(s for s in city.slides if s.kpi_id == "hpi_by_24wk").figure
    readings = [line.split(": ", 1)[1] for line in f.spc]
    assert len(readings) == len(set(readings))  # no reading written twice
    assert sorted(code for line in f.spc for code in line.split(": ", 1)[0].split(", ")) == ["NE", "NW", "S"]
