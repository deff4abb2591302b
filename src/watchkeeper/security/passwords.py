"""Password hashing with scrypt (stdlib), a salt per password, constant-time checks.

A stored hash reads ``scrypt$<n>$<r>$<p>$<salt>$<hash>`` (salt and hash in urlsafe
base64), so the cost can be raised later without breaking existing hashes: each hash
is checked with the parameters it was made with. Passwords are never logged, printed or
kept beyond the call; there are no default passwords (an account without one signs in
with API tokens only).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from watchkeeper.errors import AccountError

SCHEME = "scrypt"
N, R, P = 2**14, 8, 1          # about 16 MiB and 50 ms per hash: slow for guessing
SALT_BYTES = 16
HASH_BYTES = 32
MIN_LENGTH = 12
MAX_LENGTH = 1024
_MAXMEM = 64 * 1024 * 1024


def check_password(password: str, account: str) -> None:
    """Refuse a password too short, too long, or equal to the account's name (the
    message never repeats it)."""
    if len(password) < MIN_LENGTH:
        raise AccountError("password", f"too short: use at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise AccountError("password", f"too long: at most {MAX_LENGTH} characters")
    if password.strip().casefold() == account.casefold():
        raise AccountError("password", "must not be the account's name")


def hash_password(password: str) -> str:
    """A new salted scrypt hash of `password`."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(password, salt, N, R, P)
    return "$".join((SCHEME, str(N), str(R), str(P), _b64(salt), _b64(digest)))


def verify_password(password: str, stored: str | None) -> bool:
    """Whether `password` matches `stored`; False for no hash or one not made here.
    The digests are compared in constant time."""
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != SCHEME:
            return False
        expected = _unb64(digest)
        actual = _scrypt(password, _unb64(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=_MAXMEM, dklen=HASH_BYTES)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
