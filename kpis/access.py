"""Who may publish: the rule as a pure function, and the analyst passphrase hash.

Viewing is open to everyone. Publishing, undo and restore need the analyst role:
- with OIDC login configured (`[auth]` in secrets), a logged-in user whose email is on
  the analysts' allow-list;
- otherwise, with an analyst passphrase configured, whoever enters it;
- with neither, only a direct loopback connection (same machine, no proxy headers).

Wrong passphrases back off: each failure doubles the wait, per session and per address.
A plain TCP relay on the same machine cannot be told from a local browser, so a shared
deployment must configure a passphrase or login.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

ITERATIONS = 310_000

# Headers a proxy, load balancer or CDN adds: any one of them means the connection was relayed.
PROXY_HEADERS = ("forwarded", "via", "x-real-ip", "cf-connecting-ip", "true-client-ip", "x-client-ip",
                 "x-cluster-client-ip", "fastly-client-ip")
PROXY_HEADER_PREFIXES = ("x-forwarded-",)
LOOPBACK_NAMES = ("localhost",)


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

    @property
    def acting_user(self) -> str:
        """The name recorded on what this visitor publishes, undoes or restores."""
        return self.user or "analyst"


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


# ---- a direct loopback connection --------------------------------------------------------------


def is_loopback(address: str | None) -> bool:
    """127.0.0.0/8, ::1, the IPv4-mapped ::ffff:127.x.y.z, or the name localhost; brackets allowed."""
    text = (address or "").strip().strip("[]").lower()
    if text in LOOPBACK_NAMES:
        return True
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def host_name(host_header: str) -> str:
    """The host part of a Host header: `[::1]:8501` -> `::1`, `127.0.0.1:8501` -> `127.0.0.1`."""
    host = host_header.strip()
    if host.startswith("["):
        return host[1:].split("]")[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def proxy_headers(headers: Mapping[str, str]) -> list[str]:
    """The proxy headers present, lower-cased."""
    names = [name.lower() for name in headers]
    return [n for n in names if n in PROXY_HEADERS or n.startswith(PROXY_HEADER_PREFIXES)]


def is_direct_loopback(*, remote_ip: str | None, headers: Mapping[str, str]) -> bool:
    """A browser on this machine talking straight to the server: loopback peer, loopback Host, no proxy header.

    `remote_ip` is None when Streamlit reports no address, which it does for 127.0.0.1 and ::1; a
    missing Host header (as in AppTest, which has no connection) is never local.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    peer_ok = remote_ip is None or is_loopback(remote_ip)
    return peer_ok and is_loopback(host_name(lowered.get("host", ""))) and not proxy_headers(lowered)


# ---- wrong passphrases back off ------------------------------------------------------------------

BACKOFF_FIRST = 1.0
BACKOFF_CAP = 60.0


def backoff_seconds(failures: int, *, first: float = BACKOFF_FIRST, cap: float = BACKOFF_CAP) -> float:
    """The wait after `failures` wrong passphrases in a row: none, then 1 s doubling to the cap."""
    if failures <= 0:
        return 0.0
    return min(cap, first * 2.0 ** min(failures - 1, 64))


@dataclass
class _Record:
    failures: int
    last: float


class PassphraseBackoff:
    """Failures in a row per key (a session, an address); the wait is the longest over the keys given.

    Shared by every session of the server, so it holds a lock; the clock is injectable for tests.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, forget_after: float = 15 * 60.0) -> None:
        self._clock = clock
        self._forget_after = forget_after
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    def failures(self, keys: Iterable[str]) -> int:
        with self._lock:
            return max((self._records[k].failures for k in keys if k in self._records), default=0)

    def wait(self, keys: Iterable[str]) -> float:
        """Seconds left before the next try is checked; 0 when it may be checked now."""
        now = self._clock()
        with self._lock:
            left = [r.last + backoff_seconds(r.failures) - now for k in keys if (r := self._records.get(k))]
        return max([0.0, *left])

    def fail(self, keys: Iterable[str]) -> int:
        """Count one wrong passphrase against every key; the failures in a row, the most over the keys."""
        now = self._clock()
        with self._lock:
            self._records = {k: r for k, r in self._records.items() if now - r.last <= self._forget_after}
            for k in keys:
                record = self._records.setdefault(k, _Record(0, now))
                record.failures += 1
                record.last = now
            return max((self._records[k].failures for k in keys), default=0)

    def succeed(self, keys: Iterable[str]) -> None:
        with self._lock:
            for k in keys:
                self._records.pop(k, None)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
