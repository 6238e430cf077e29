"""Who may publish: the rule as a pure function, and the analyst passphrase hash.

Viewing is open to everyone. Publishing, undo and restore need the analyst role:
- with OIDC login configured (`[auth]` in secrets), a logged-in user whose email is on
  the analysts' allow-list;
- otherwise, with an analyst passphrase configured, whoever enters it;
- with neither, only a visitor on the same machine (localhost).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

ITERATIONS = 310_000


def hash_passphrase(passphrase: str, salt: str | None = None) -> tuple[str, str]:
    """(salt, hash) in hex, PBKDF2-HMAC-SHA256, for `[analyst]` in .streamlit/secrets.toml."""
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", passphrase.encode("utf-8"), bytes.fromhex(salt), ITERATIONS)
    return salt, digest.hex()


def check_passphrase(passphrase: str, salt: str, expected_hash: str) -> bool:
    try:
        _, digest = hash_passphrase(passphrase, salt)
    except ValueError:
        return False
    return hmac.compare_digest(digest, expected_hash.lower())


@dataclass(frozen=True)
class Decision:
    can_publish: bool
    user: str | None
    reason: str


def decide(*, oidc_configured: bool, logged_in_email: str | None, allowed_emails: list[str], passphrase_configured: bool,
           passphrase_ok: bool, is_local: bool, local_user: str = "local user") -> Decision:
    if oidc_configured:
        if not logged_in_email:
            return Decision(False, None, "Log in to publish.")
        if logged_in_email.strip().lower() in {e.strip().lower() for e in allowed_emails}:
            return Decision(True, logged_in_email, f"Logged in as {logged_in_email}.")
        return Decision(False, None, f"{logged_in_email} is not on the analysts' list; ask the board's owner to add you.")
    if passphrase_configured:
        if passphrase_ok:
            return Decision(True, "analyst (passphrase)", "Analyst passphrase accepted.")
        return Decision(False, None, "Enter the analyst passphrase to publish.")
    if is_local:
        return Decision(True, local_user, "Publishing as the local user on this machine.")
    return Decision(False, None, "Publishing is turned off for visitors from other machines. To enable it, configure an analyst "
                                 "passphrase or login in .streamlit/secrets.toml (see the README).")
