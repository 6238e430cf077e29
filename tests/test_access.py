import pytest

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
