"""The shape of an API key, `ffk_<prefix>_<secret>`: the prefix finds the key's row without
revealing anything, the secret proves possession (only its hash is stored)."""

from __future__ import annotations

import secrets
from datetime import datetime

from fluxforge.credentials import new_secret
from fluxforge.errors import InvalidRequest

API_KEY_PREFIX = "ffk_"


def new_api_key() -> tuple[str, str]:
    """A fresh key's visible prefix and the whole key, shown to its creator once."""
    prefix = secrets.token_hex(6)
    return prefix, f"{API_KEY_PREFIX}{prefix}_{new_secret()}"


def split_api_key(key: str) -> str | None:
    """The visible prefix of `ffk_<prefix>_<secret>`, or None when it is not shaped like a key."""
    if not key.startswith(API_KEY_PREFIX):
        return None
    prefix, sep, secret = key[len(API_KEY_PREFIX) :].partition("_")
    return prefix if sep and prefix and secret else None


def check_expiry(expires_at: datetime | None, now: datetime) -> None:
    """A key expires never, or at a future instant (a naive time would mean a different one per reader)."""
    if expires_at is not None and (expires_at.tzinfo is None or expires_at <= now):
        raise InvalidRequest("expires_at must be a future time with a timezone")
