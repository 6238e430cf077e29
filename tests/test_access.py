import pytest

from conftest import ROOT
from kpis import access

BASE = {"oidc_configured": False, "logged_in_email": None, "allowed_emails": [], "passphrase_configured": False,
        "passphrase_ok": False, "is_local": False}


@pytest.mark.parametrize(
    ("changes", "can"),
    [
        ({}, False),  # anonymous remote visitor, nothing configured
        ({"is_local": True}, True),  # same machine
        ({"passphrase_configured": True}, False),
        ({"passphrase_configured": True, "is_local": True}, False),  # a configured passphrase applies to everyone
        ({"passphrase_configured": True, "passphrase_ok": True}, True),
        ({"oidc_configured": True}, False),
        ({"oidc_configured": True, "logged_in_email": "viewer@example.org", "allowed_emails": ["ana@example.org"]}, False),
        ({"oidc_configured": True, "logged_in_email": "Ana@Example.org", "allowed_emails": ["ana@example.org"]}, True),
        ({"oidc_configured": True, "passphrase_configured": True, "passphrase_ok": True}, False),  # login wins over passphrase
    ],
)
def test_who_may_publish(changes, can):
    decision = access.decide(**(BASE | changes))
    assert decision.can_publish is can
    assert decision.reason


def test_remote_visitor_is_told_how_to_enable_publishing():
    assert "secrets.toml" in access.decide(**BASE).reason


def test_passphrase_hash_round_trip():
    salt, digest = access.hash_passphrase("correct horse battery staple")
    assert len(salt) == 32 and len(digest) == 64
    assert access.check_passphrase("correct horse battery staple", salt, digest)
    assert not access.check_passphrase("correct horse battery stapler", salt, digest)
    assert not access.check_passphrase("anything", "not-hex", digest)
    assert access.hash_passphrase("x", salt)[1] != access.hash_passphrase("x")[1]  # salted


# ---- a direct loopback connection, with no proxy in between ------------------------------------

LOOPBACK = {"remote_ip": "::ffff:127.0.0.1", "headers": {"Host": "127.0.0.1:8501"}}


@pytest.mark.parametrize(
    ("remote_ip", "host", "local"),
    [
        ("::ffff:127.0.0.1", "127.0.0.1:8501", True),  # how Streamlit reports IPv4 loopback on a dual-stack socket
        ("127.0.0.1", "127.0.0.1:8501", True),
        ("127.0.0.1", "127.0.0.1", True),
        ("127.8.9.10", "localhost:8501", True),  # all of 127.0.0.0/8 is loopback
        ("::1", "[::1]:8501", True),
        ("::1", "localhost:8501", True),
        ("::1", "LOCALHOST", True),
        (None, "localhost:8501", True),  # Streamlit reports 127.0.0.1 and ::1 as no address at all
        (None, "[::1]:8501", True),
        ("localhost", "localhost:8501", True),
        ("192.168.1.20", "127.0.0.1:8501", False),  # another machine, whatever Host it claims
        ("::ffff:192.168.1.20", "localhost:8501", False),
        ("10.0.0.5", "board.example.org", False),
        ("::1", "board.example.org", False),  # a public name: a relay or a DNS-rebinding page
        ("::1", "192.168.1.20:8501", False),
        ("::1", "", False),  # no Host header (and AppTest, which has no connection at all)
        (None, "", False),
        ("not an address", "localhost", False),
    ],
)
def test_direct_loopback_by_address_and_host(remote_ip, host, local):
    headers = {"Host": host} if host else {}
    assert access.is_direct_loopback(remote_ip=remote_ip, headers=headers) is local


@pytest.mark.parametrize(
    "header",
    ["Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port", "X-Forwarded-Server",
     "X-Real-IP", "Via", "CF-Connecting-IP", "True-Client-IP", "X-Client-IP", "X-Cluster-Client-IP", "Fastly-Client-IP",
     "x-forwarded-for", "VIA"],
)
@pytest.mark.parametrize(("remote_ip", "host"), [("::ffff:127.0.0.1", "127.0.0.1:8501"), ("127.0.0.1", "127.0.0.1:8501"),
                                                 ("::1", "[::1]:8501"), (None, "localhost:8501")])
def test_any_proxy_header_means_not_direct(header, remote_ip, host):
    headers = {"Host": host, header: "203.0.113.7"}
    assert access.is_direct_loopback(remote_ip=remote_ip, headers=headers) is False
    assert header.lower() in access.proxy_headers(headers)


def test_ordinary_browser_headers_are_not_proxy_headers():
    headers = {"Host": "127.0.0.1:8501", "User-Agent": "Mozilla/5.0", "Origin": "http://127.0.0.1:8501", "X-Requested-With": "x",
               "Accept-Language": "en-GB", "Cookie": "a=b", "Sec-WebSocket-Key": "k"}
    assert access.proxy_headers(headers) == []
    assert access.is_direct_loopback(remote_ip="::ffff:127.0.0.1", headers=headers)


def test_every_listed_proxy_header_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in (*access.PROXY_HEADERS, *access.PROXY_HEADER_PREFIXES):
        spelled = "-".join(part.upper() if part in {"ip", "cf"} else part.capitalize() for part in name.rstrip("-").split("-"))
        assert spelled in readme, spelled


# ---- wrong passphrases back off ----------------------------------------------------------------


@pytest.mark.parametrize(("failures", "seconds"), [(0, 0.0), (1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (7, 60.0), (50, 60.0), (10_000, 60.0)])
def test_backoff_doubles_from_one_second_and_is_capped(failures, seconds):
    assert access.backoff_seconds(failures) == seconds


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_failure_doubles_the_wait_for_that_session_and_address():
    clock = FakeClock()
    guard = access.PassphraseBackoff(clock=clock)
    keys = ("session:a", "address:10.0.0.5")
    assert guard.wait(keys) == 0.0
    assert guard.fail(keys) == 1
    assert guard.wait(keys) == 1.0
    clock.now += 0.4
    assert guard.wait(keys) == pytest.approx(0.6)
    clock.now += 0.6
    assert guard.wait(keys) == 0.0
    assert guard.fail(keys) == 2
    assert guard.wait(keys) == 2.0
    for _ in range(48):
        clock.now += 60
        guard.fail(keys)
    assert guard.failures(keys) == 50
    assert guard.wait(keys) == 60.0  # capped, however many failures


def test_the_wait_follows_the_address_into_a_new_session_and_the_session_to_a_new_address():
    clock = FakeClock()
    guard = access.PassphraseBackoff(clock=clock)
    for _ in range(3):
        clock.now += 60
        guard.fail(("session:a", "address:10.0.0.5"))
    assert guard.wait(("session:b", "address:10.0.0.5")) == 4.0  # a fresh session from the same address
    assert guard.wait(("session:a", "address:10.0.0.6")) == 4.0  # the same session from another address
    assert guard.wait(("session:b", "address:10.0.0.6")) == 0.0  # someone else entirely


def test_a_right_passphrase_clears_the_wait():
    clock = FakeClock()
    guard = access.PassphraseBackoff(clock=clock)
    keys = ("session:a", "address:10.0.0.5")
    guard.fail(keys)
    guard.fail(keys)
    guard.succeed(keys)
    assert guard.failures(keys) == 0 and guard.wait(keys) == 0.0


def test_old_failures_are_forgotten():
    clock = FakeClock()
    guard = access.PassphraseBackoff(clock=clock, forget_after=600.0)
    guard.fail(("session:a", "address:10.0.0.5"))
    clock.now += 601
    guard.fail(("session:b", "address:10.0.0.6"))  # any failure sweeps out records past their time
    assert guard.failures(("session:a", "address:10.0.0.5")) == 0
    assert guard.failures(("session:b", "address:10.0.0.6")) == 1


# ---- the Data page: backing off, and logging each failure without the phrase ---------------------


@pytest.mark.slow
def test_data_page_refuses_a_second_try_within_the_wait_and_logs_without_the_phrase(data_copy, monkeypatch, caplog):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("KPI_DATA_DIR", str(data_copy))
    salt, digest = access.hash_passphrase("correct horse battery staple")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.secrets["analyst"] = {"passphrase_salt": salt, "passphrase_hash": digest}
    at.run()
    at.switch_page("pages/data_page.py").run()

    def attempt(phrase: str) -> None:
        at.text_input(key="passphrase").input(phrase)
        next(b for b in at.button if b.label == "Unlock publishing").click().run()
        assert not at.exception, [e.value for e in at.exception]

    with caplog.at_level("WARNING", logger="kpi_board"):
        attempt("wrong guess one")
        assert any("not right" in e.value for e in at.error)
        attempt("correct horse battery staple")  # right, but within the wait: refused unchecked
    assert any("Try again in" in e.value for e in at.error), [e.value for e in at.error]
    assert not any("You can publish" in m.value for m in at.markdown)
    failures = [r.getMessage() for r in caplog.records if "wrong analyst passphrase" in r.getMessage()]
    assert failures and failures[0].endswith("(1 failures)"), failures
    assert not any("wrong guess one" in r.getMessage() or "correct horse" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("remote_ip", "headers", "can"),
    [
        ("::ffff:127.0.0.1", {"Host": "127.0.0.1:8501"}, True),  # a browser at http://127.0.0.1:8501
        (None, {"Host": "localhost:8501"}, True),
        (None, {"Host": "[::1]:8501"}, True),
        (None, {"Host": "127.0.0.1:8501", "Via": "1.1 proxy"}, False),
        (None, {"Host": "localhost:8501", "X-Forwarded-Host": "board.example.org"}, False),
        (None, {"Host": "localhost:8501", "CF-Connecting-IP": "203.0.113.7"}, False),
        ("192.168.1.20", {"Host": "127.0.0.1:8501"}, False),
    ],
)
@pytest.mark.slow
def test_data_page_reads_the_connection_without_secrets(data_copy, monkeypatch, remote_ip, headers, can):
    from streamlit.testing.v1 import AppTest

    from pages import access_ui

    monkeypatch.setenv("KPI_DATA_DIR", str(data_copy))
    monkeypatch.setattr(access_ui, "_connection", lambda: (remote_ip, headers))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/data_page.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("You can publish" in m.value for m in at.markdown) is can


@pytest.mark.parametrize(("user", "acting"), [("ana@example.org", "ana@example.org"), ("local user", "local user"), (None, "analyst")])
def test_the_acting_user_is_named_on_every_write(user, acting):
    assert access.Decision(True, user, "").acting_user == acting
