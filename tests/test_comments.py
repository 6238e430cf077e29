"""Commentary: kept like published figures (append-only, checksummed, under the lock), never lost."""

import pytest

from kpis import batches as B
from kpis import comments as CM

KNOWN = {"mmr_24m", "rtl_uptake"}


def _draft(**kw) -> CM.Draft:
    return CM.Draft(**({"kpi_id": "mmr_24m", "period": "Q4 2023/24", "what_happened": "Uptake fell after a clinic closed",
                        "action_taken": "Extra clinics from May", "owner": "Public Health"} | kw))


def test_a_comment_is_kept_with_its_canonical_period(tmp_path):
    comment_id = CM.add(tmp_path, _draft(), "ana", KNOWN)
    frame, problems = CM.read(tmp_path)
    assert problems.height == 0
    row = frame.row(0, named=True)
    assert (row["comment_id"], row["period"], row["owner"], row["user"], row["state"]) == (comment_id, "2023/24 Q4", "Public Health", "ana", "current")


@pytest.mark.parametrize(
    ("draft", "problem"),
    [
        ({"kpi_id": "nope"}, "There is no KPI 'nope'"),
        ({"period": "someday"}, "'someday' is not a period"),
        ({"what_happened": "   "}, "'what_happened' is empty"),
        ({"owner": "x" * 2001}, "'owner' is 2001 characters long"),
        ({"replaces": "20240101T000000000000Z-abcdef"}, "There is no comment '20240101T000000000000Z-abcdef' to correct"),
    ],
)
def test_a_bad_comment_is_refused_and_nothing_is_written(tmp_path, draft, problem):
    with pytest.raises(CM.CommentError) as raised:
        CM.add(tmp_path, _draft(**draft), "ana", KNOWN)
    assert raised.value.problem == problem
    assert not (tmp_path / CM.FILE).exists() or (tmp_path / CM.FILE).read_text() == ""


def test_a_correction_and_a_withdrawal_keep_every_earlier_text(tmp_path):
    first = CM.add(tmp_path, _draft(), "ana", KNOWN)
    second = CM.add(tmp_path, _draft(what_happened="Corrected text", replaces=first), "ben", KNOWN)
    other = CM.add(tmp_path, _draft(kpi_id="rtl_uptake", period="Jun 2024"), "ana", KNOWN)
    CM.withdraw(tmp_path, other, "ana")
    frame, _ = CM.read(tmp_path)
    assert dict(frame.select("comment_id", "state").iter_rows()) == {first: "replaced", second: "current", other: "withdrawn"}
    assert CM.for_kpi(frame, "mmr_24m")["what_happened"].to_list() == ["Corrected text"]
    assert CM.for_kpi(frame, "mmr_24m", include_old=True).height == 2
    assert CM.for_kpi(frame, "rtl_uptake").height == 0
    assert len((tmp_path / CM.FILE).read_text().splitlines()) == 4


def test_a_changed_line_is_reported_and_left_out(tmp_path):
    CM.add(tmp_path, _draft(), "ana", KNOWN)
    CM.add(tmp_path, _draft(period="2024/25 Q1"), "ana", KNOWN)
    path = tmp_path / CM.FILE
    lines = path.read_text().splitlines()
    path.write_text(lines[0].replace("clinic", "CLINIC") + "\n" + lines[1] + "\n{cut")
    frame, problems = CM.read(tmp_path)
    assert frame["period"].to_list() == ["2024/25 Q1"]
    assert problems["row"].to_list() == [1, 3]
    assert "checksum" in problems["problem"][0]


def test_the_append_happens_under_the_publish_lock(tmp_path, monkeypatch):
    import contextlib

    held, seen = [], []
    real_locked, real_append = B.locked, B.append_audit

    @contextlib.contextmanager
    def locked(data_dir, *a, **kw):
        with real_locked(data_dir, *a, **kw):
            held.append(True)
            yield
            held.pop()

    def append(data_dir, entries, file=B.AUDIT_FILE):
        seen.append((bool(held), file))
        real_append(data_dir, entries, file=file)

    monkeypatch.setattr(B, "locked", locked)
    monkeypatch.setattr(B, "append_audit", append)
    CM.add(tmp_path, _draft(), "ana", KNOWN)
    assert seen == [(True, CM.FILE)]
    assert not (tmp_path / B.AUDIT_FILE).exists()


def test_a_failed_write_leaves_the_log_as_it_was(tmp_path, monkeypatch):
    CM.add(tmp_path, _draft(), "ana", KNOWN)
    before = (tmp_path / CM.FILE).read_bytes()

    def full(fd, data):
        import os

        os.write(fd, data[:10])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(B, "_write_all", full)
    with pytest.raises(OSError):
        CM.add(tmp_path, _draft(period="2024/25 Q1"), "ana", KNOWN)
    assert (tmp_path / CM.FILE).read_bytes() == before
