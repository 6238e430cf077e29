"""Who may publish here: the access panel, the passphrase form and its backoff."""

from __future__ import annotations

import logging
import math
import uuid

import streamlit as st

from kpis import access, batches
from kpis.access import PassphraseBackoff, backoff_seconds, check_passphrase, is_direct_loopback

log = logging.getLogger("kpi_board")


def _secrets() -> dict:
    try:
        return {k: st.secrets[k] for k in st.secrets}
    except Exception:  # no secrets file, or one that cannot be parsed: nothing is configured
        return {}


def _connection() -> tuple[str | None, dict[str, str]]:
    """The peer address as Streamlit reports it (None for 127.0.0.1 and ::1) and the request headers."""
    return st.context.ip_address, dict(st.context.headers)


def is_local_visitor() -> bool:
    """A visitor on this machine: a loopback peer and Host, and no proxy header (see `kpis.access`)."""
    try:
        ip, headers = _connection()
    except Exception:
        return False
    return is_direct_loopback(remote_ip=ip, headers=headers)


# One record of wrong passphrases for the whole server, shared by every session.
PASSPHRASE_BACKOFF = PassphraseBackoff()


def _backoff_keys() -> tuple[str, str]:
    """Wrong passphrases count against this browser session and against the address it comes from."""
    try:
        ip, _ = _connection()
    except Exception:
        ip = None
    session = st.session_state.setdefault("_backoff_session", uuid.uuid4().hex)
    return f"session:{session}", f"address:{ip or 'loopback'}"


def _try_passphrase(phrase: str, salt: str, expected: str) -> None:
    """Check a passphrase unless this session or address is still waiting; log each failure, never the phrase."""
    guard, keys = PASSPHRASE_BACKOFF, _backoff_keys()
    wait = guard.wait(keys)
    if wait > 0:
        st.error(f"Too many wrong passphrases. Try again in {math.ceil(wait)} s.", icon=":material/timer:")
        return
    if check_passphrase(phrase, salt, expected):
        guard.succeed(keys)
        st.session_state["_analyst_ok"] = True
        st.rerun()
    failures = guard.fail(keys)
    log.warning("wrong analyst passphrase from %s (%d failures)", keys[1].removeprefix("address:"), failures)
    st.error(f"That passphrase is not right. Try again in {math.ceil(backoff_seconds(failures))} s.", icon=":material/error:")


def access_panel():
    """Who may publish here, shown and decided once per run."""

    secrets = _secrets()
    analyst = dict(secrets.get("analyst", {}))
    oidc = "auth" in secrets
    email = None
    if oidc:
        try:
            email = st.user.get("email") if st.user.is_logged_in else None
        except Exception:
            email = None
    salt, expected = str(analyst.get("passphrase_salt", "")), str(analyst.get("passphrase_hash", ""))
    decision = access.decide(
        oidc_configured=oidc, logged_in_email=email, allowed_emails=list(analyst.get("emails", [])),
        passphrase_configured=bool(expected), passphrase_ok=bool(st.session_state.get("_analyst_ok")),
        is_local=is_local_visitor(), local_user=batches.local_user(),
    )
    with st.container(border=True):
        if decision.can_publish:
            st.markdown(f":material/verified_user: **You can publish.** {decision.reason}")
        else:
            st.markdown(f":material/visibility: **Viewing only.** {decision.reason}")
        if oidc:
            if email is None and st.button("Log in", key="login"):
                st.login()
            elif email is not None and st.button("Log out", key="logout"):
                st.logout()
        elif expected and not decision.can_publish:
            with st.form("passphrase_form", border=False):
                phrase = st.text_input("Analyst passphrase", type="password", key="passphrase")
                if st.form_submit_button("Unlock publishing"):
                    _try_passphrase(phrase, salt, expected)
    return decision
